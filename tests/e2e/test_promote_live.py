"""`fleet promote --require-healthy` against a real kube-apiserver: the source environment is
the status scenario's (checkout Synced/Healthy on a commit, ledger OutOfSync), read by the CLI
through `fleet status`'s reader; the target is a copy of the shipped prod catalog."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tests import status_scenario as scenario
from tests.conftest import ROOT, one_file_text
from tests.e2e.test_status_live import WITH_TROUBLE, fleet_env  # noqa: F401 - the scenario, written live

PROD = one_file_text("prod").encode()  # the shipped prod catalog as one file


def promote(env: dict[str, Any], target: Path, app: str) -> subprocess.CompletedProcess[str]:
    source = env["catalogs"][WITH_TROUBLE]
    command = [sys.executable, "-m", "fleet", "promote", app, "--from", str(source), "--to", str(target)]
    return subprocess.run(
        [*command, "--require-healthy", "--kubeconfig", env["kubeconfig"]],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_the_commit_that_is_healthy_in_the_source_is_what_reaches_prod(fleet_env, tmp_path: Path) -> None:  # noqa: F811
    target = tmp_path / "prod.yaml"
    target.write_bytes(PROD)
    result = promote(fleet_env, target, "payments/checkout")
    assert result.returncode == 0, result.stderr
    assert f"promoted payments/checkout: v2.14.0 -> {scenario.REV_A}" in result.stderr
    changed = [(a, b) for a, b in zip(PROD.splitlines(), target.read_bytes().splitlines(), strict=True) if a != b]
    assert changed == [(b"          revision: v2.14.0", b"          revision: " + scenario.REV_A.encode())]


def test_an_out_of_sync_source_is_refused(fleet_env, tmp_path: Path) -> None:  # noqa: F811
    target = tmp_path / "prod.yaml"
    target.write_bytes(PROD)
    result = promote(fleet_env, target, "payments/ledger")
    assert result.returncode == 1
    assert "OutOfSync" in result.stderr
    assert "(--require-healthy)" in result.stderr
    assert target.read_bytes() == PROD
