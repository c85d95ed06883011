"""Ctrl-C and a removed team under the real engine, through `python -m fleet` in a project of its own.

- `up` of the dev folder, one team stack at a time, is sent SIGINT (to the command alone, as a CI
  runner or `kill -INT` does) while its first team stack's `pulumi up` runs: the command stops
  starting stacks, passes the interrupt to that `pulumi`, which stops gracefully, and prints the
  summary (the running stack failed, "interrupted"; the others skipped, "not started"), keeps the
  logs and exits 130 without a traceback. A second `up` then deploys every other stack (the
  platform's, deployed before the interrupt with its inputs recorded, is skipped as unchanged):
  no state was left half-written.
- A team file removed from the folder: `preview` names the team's stack in its summary, skipped,
  with the command that destroys it; nothing of it is touched (its namespace is still there).
  `destroy --teams <team>` then empties its stack. The team's namespace is retained on delete (it
  may hold workloads), so it stays in the cluster until removed by hand, as the docs say.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.catalog.naming import platform_stack, team_stack
from fleet.compiler import load
from tests.conftest import ROOT
from tests.e2e.engine import Workspace
from tests.e2e.kube import Kube
from tests.e2e.test_fleet_stacks import SHOWN, _normal, by_name, fleet, logs_of_failed
from tests.test_docs import matches

ENVIRONMENT = "dev"
CATALOG = "stacks/dev"
REMOVED = "scratch"  # a team added for this module, then removed from the folder
SCRATCH = {
    "name": REMOVED,
    "description": "A team that leaves the catalog",
    "owners": ["zoe@acme.example"],
    "code_owners": ["@acme/scratch"],
    "apps": [{"name": "notes", "source": {"repo": "https://github.com/acme/notes-deploy", "path": "overlays/dev"}}],
}


# The page that shows these commands' output; each is compared with what the run printed.
DOC = ROOT / "docs" / "operator" / "deploying.md"
DOC_COMMANDS = (
    "python -m fleet up stacks/dev --yes --parallel 1",
    "python -m fleet up stacks/dev --yes",
)


def shown() -> dict[str, str]:
    """command -> the output the page shows for it."""
    return {m.group(1): m.group(2) for m in SHOWN.finditer(DOC.read_text())}


def assert_as_documented(command: str, output: str) -> None:
    assert matches(_normal(shown()[command]), _normal(output)), f"{DOC}: `{command}` prints, today:\n{output}"


def _stacks(ws: Workspace) -> list[str]:
    catalog = load(ws.dir / CATALOG)
    return [platform_stack(ENVIRONMENT), *sorted(team_stack(ENVIRONMENT, t.name) for t in catalog.teams)]


def _namespaces(ws: Workspace) -> dict[str, list[str]]:
    return {t.name: [n.name for n in t.namespaces] for t in load(ws.dir / CATALOG).teams}


@pytest.fixture(scope="module")
def ws(
    pulumi_env: dict[str, str], argocd_crds: list[str], kube: Kube, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    workspace = Workspace.platform(tmp_path_factory.mktemp("orphans") / "app-of-apps", pulumi_env)
    (workspace.dir / CATALOG / "teams" / f"{REMOVED}.yaml").write_text(yaml.safe_dump(SCRATCH, sort_keys=False))
    every = _stacks(workspace)
    namespaces = [ns for names in _namespaces(workspace).values() for ns in names]
    try:
        yield workspace
    finally:
        for stack in reversed(every):  # what the test left
            workspace.remove(stack)
        assert kube.delete_namespaces(namespaces) == []  # retained on delete: removed by hand


def _wait_for(path_of: Any, text: str, process: subprocess.Popen[str], timeout: float = 600) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        path = path_of()
        if path is not None and path.is_file() and text in path.read_text(errors="replace"):
            return path
        if process.poll() is not None:
            pytest.fail(f"the command ended ({process.returncode}) before {text!r} appeared")
        time.sleep(0.1)
    pytest.fail(f"{text!r} did not appear within {timeout} s")


def test_ctrl_c_stops_the_run_gracefully_and_the_next_up_finishes_it(ws: Workspace) -> None:
    every = _stacks(ws)
    first_team = every[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "fleet", "up", CATALOG, "--yes", "--parallel", "1"],
        cwd=ws.dir,
        env={**ws.env, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # no terminal: the interrupt reaches the command alone
        # Ctrl-C handled, even when this runner inherited it ignored (nohup): what a user's shell gives.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    runs = ws.dir / "build" / "runs"

    def log() -> Path | None:
        found = sorted(runs.glob(f"*-up/{first_team}.log")) if runs.is_dir() else []
        return found[-1] if found else None

    try:
        # The first team stack's `pulumi up` has begun its update: the engine prints the stack's name.
        path = _wait_for(log, f"Updating ({first_team})", process)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, out + err
    assert "Traceback" not in out + err
    assert "interrupted: no other stack starts" in err
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith(f"{ENVIRONMENT}.")}
    assert re.search(r" succeeded ", rows[every[0]]), out  # the platform stack had finished
    assert re.search(r" failed .* interrupted$", rows[first_team]), out
    for stack in every[2:]:
        assert rows[stack].endswith("not started: the run was interrupted"), out
    assert path.read_text().strip()  # its log is kept, pulumi's output in it
    assert_as_documented("python -m fleet up stacks/dev --yes --parallel 1", out)
    again = fleet(ws, "up", CATALOG, "--yes", "--format", "json")
    assert again.returncode == 0, logs_of_failed(ws, again)
    # The platform stack's update finished before the interrupt, with its inputs recorded: skipped
    # as unchanged (fleet.orchestration.inputs); the interrupted stack and the others run.
    assert {name: r["result"] for name, r in by_name(again).items()} == {
        name: "skipped" if name == every[0] else "succeeded" for name in every
    }


def test_a_removed_team_s_stack_is_named_never_destroyed_then_destroyed_on_purpose(ws: Workspace, kube: Kube) -> None:
    namespaces = _namespaces(ws)[REMOVED]
    stack = team_stack(ENVIRONMENT, REMOVED)
    assert ws.resources(stack), "the module's first test deploys it"
    (ws.dir / CATALOG / "teams" / f"{REMOVED}.yaml").unlink()
    preview = fleet(ws, "preview", CATALOG, "--format", "json")
    assert preview.returncode == 0, logs_of_failed(ws, preview)
    data = json.loads(preview.stdout)
    command = f"python -m fleet destroy {CATALOG} --teams {REMOVED} --yes"
    assert {
        "name": stack,
        "result": "skipped",
        "changes": dict.fromkeys(("create", "update", "replace", "delete", "same"), 0),
        "seconds": 0.0,
        "note": f"not in the catalog: its resources stay; destroy them on purpose with {command}",
    } in data["stacks"]
    assert f"warning: {stack}: not in the catalog: its resources stay; destroy them on purpose with {command}" in (
        preview.stderr
    )
    text = fleet(ws, "up", CATALOG, "--yes")
    assert text.returncode == 0, logs_of_failed(ws, text)
    assert re.search(rf"^{re.escape(stack)} +skipped( +-){{6}} +not in the catalog", text.stdout, re.MULTILINE)
    assert_as_documented("python -m fleet up stacks/dev --yes", text.stdout)
    for namespace in namespaces:
        assert kube.exists(f"/api/v1/namespaces/{namespace}"), namespace
    assert len(ws.resources(stack)) > 3  # untouched
    destroyed = fleet(ws, *command.split()[3:])
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert all(r["type"].startswith("pulumi:") for r in ws.resources(stack))
    # Namespaces are retained on delete (they may hold workloads the fleet did not create): the
    # stack lets go of them, the cluster keeps them until someone removes them by hand.
    for namespace in namespaces:
        assert kube.exists(f"/api/v1/namespaces/{namespace}"), namespace
