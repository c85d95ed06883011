"""A one-file catalog through `python -m fleet` under the real engine: it deploys as one stack
named like its environment, as the pull-request pipeline deploys it (docs/operator/deploying.md,
`python -m fleet up stacks/dev.yaml --yes`), and a preview after it finds nothing to do.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
import yaml

from fleet.compiler import load
from tests.conftest import ROOT
from tests.e2e.engine import Workspace
from tests.e2e.kube import Kube
from tests.e2e.test_fleet_stacks import by_name, fleet, logs_of_failed

ENVIRONMENT = "dev"
CATALOG = "stacks/dev.yaml"


@pytest.fixture(scope="module")
def ws(
    pulumi_env: dict[str, str], argocd_crds: list[str], kube: Kube, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    workspace = Workspace.platform(tmp_path_factory.mktemp("one-file") / "app-of-apps", pulumi_env)
    joined = subprocess.run(
        [sys.executable, "-m", "fleet", "join", "stacks/dev", "--out", CATALOG],
        cwd=workspace.dir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert joined.returncode == 0, joined.stderr
    stack_file = workspace.dir / f"Pulumi.{ENVIRONMENT}.yaml"
    settings = yaml.safe_load(stack_file.read_text())
    settings["config"]["app-of-apps:fleet"] = CATALOG
    stack_file.write_text(yaml.safe_dump(settings, sort_keys=False))
    namespaces = [ns.name for team in load(ROOT / "stacks" / ENVIRONMENT).teams for ns in team.namespaces]
    try:
        yield workspace
    finally:
        try:
            workspace.remove(ENVIRONMENT)
        finally:  # namespaces are retained on delete: removed by hand
            assert kube.delete_namespaces(namespaces) == []


def test_a_one_file_catalog_deploys_as_its_one_stack(ws: Workspace, kube: Kube) -> None:
    result = fleet(ws, "up", CATALOG, "--yes", "--format", "json")
    assert result.returncode == 0, logs_of_failed(ws, result)
    results = by_name(result)
    assert list(results) == [ENVIRONMENT]
    assert results[ENVIRONMENT]["result"] == "succeeded"
    assert results[ENVIRONMENT]["changes"]["create"] > 20
    for team in load(ws.dir / CATALOG).teams:
        for namespace in team.namespaces:
            assert kube.exists(f"/api/v1/namespaces/{namespace.name}"), namespace.name
    skipped = fleet(ws, "preview", CATALOG, "--format", "json")  # its inputs are those of the up
    assert skipped.returncode == 0, logs_of_failed(ws, skipped)
    assert by_name(skipped)[ENVIRONMENT]["result"] == "skipped"
    again = fleet(ws, "preview", CATALOG, "--all", "--format", "json")
    assert again.returncode == 0, logs_of_failed(ws, again)
    assert by_name(again)[ENVIRONMENT]["result"] == "succeeded"
    changes = by_name(again)[ENVIRONMENT]["changes"]
    assert {k: v for k, v in changes.items() if k != "same"} == dict.fromkeys(
        ("create", "update", "replace", "delete"), 0
    )
