"""`python -m fleet up|preview|destroy stacks/dev` under the real engine: the dev folder's platform
stack and team stacks run through the Automation API, side by side.

- A failure injected into one team's stack (an admission policy of the cluster refuses that team's
  ServiceAccounts, as a webhook or a quota would) fails that stack alone: every other stack
  deploys, the exit code is 4, the summary and the JSON name the failed stack.
- With the policy gone, `up` of the folder runs the failed stack again and skips the others
  (their inputs are those of their last successful update); a preview after it skips every
  stack, and `preview --all` runs every one and finds nothing to change in any of them.
- An edit to one team's file, then `preview --changed-since HEAD`, previews that team's stack
  only (the others skipped), and finds the change; a plain preview also runs that stack alone
  (the others' inputs are unchanged).
- What changes a stack's state without this command runs that stack at the next preview: a
  `pulumi refresh`, a `pulumi up` by hand (no recorded inputs); a `pulumi state delete` leaves
  no trace in the history, so the stack is skipped until `--all` runs it (as the page says).
- A new team's file, then `up --changed-since HEAD`, deploys the platform stack (its `platform`
  output names the teams) and then the new team's stack.
- `destroy` empties every stack, the teams' first.

Stacks, names and objects come from the catalog (`fleet plan`), never from a list written here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.catalog.naming import TEAM_LABEL, platform_stack, team_stack
from fleet.compiler import load
from tests.conftest import ROOT
from tests.e2e.engine import Workspace
from tests.e2e.kube import Kube, KubeError
from tests.e2e.test_dev_stack import namespaces_of
from tests.test_docs import matches

ENVIRONMENT = "dev"
CATALOG = "stacks/dev"
FAILING_TEAM = "search"  # its stack is made to fail; the others must deploy
EDITED_TEAM = "payments"  # its file is edited for --changed-since
NEW_TEAM = "billing"  # its file is added for --changed-since
POLICY = "e2e-injected-failure"
ADMISSION = "/apis/admissionregistration.k8s.io/v1"
NO_CHANGE = {"create": 0, "update": 0, "replace": 0, "delete": 0}
# The page that shows these commands' output; each shown command is run here, its output compared.
DOC = ROOT / "docs" / "operator" / "running-stacks.md"
SHOWN = re.compile(r"<!-- e2e: (.+?) -->\n```\w*\n(.*?)^```", re.DOTALL | re.MULTILINE)
DOC_COMMANDS = (
    "python -m fleet preview stacks/dev",
    "python -m fleet preview stacks/dev --changed-since HEAD",
    "python -m fleet up stacks/dev --yes --format json",
)


def shown() -> dict[str, str]:
    """command -> the output the page shows for it."""
    return {m.group(1): m.group(2) for m in SHOWN.finditer(DOC.read_text())}


def _normal(text: str) -> str:
    """Numbers, times and column widths aside: what a run cannot repeat exactly."""
    text = re.sub(r"\d{8}T\d{6}Z", "TIME", text)
    text = re.sub(r"sha256:[0-9a-f]+", "sha256:HEX", text)
    text = re.sub(r"\d+(?:\.\d+)?", "N", text)
    return "\n".join(re.sub(r" +", " ", line) for line in text.splitlines()) + "\n"


def assert_as_documented(result: subprocess.CompletedProcess[str], output: str) -> None:
    command = "python -m fleet " + " ".join(result.args[3:])
    expected = shown()[command]
    assert matches(_normal(expected), _normal(output)), f"{DOC}: `{command}` prints, today:\n{output}"


def stacks() -> list[str]:
    catalog = load(ROOT / CATALOG)
    return [platform_stack(ENVIRONMENT), *sorted(team_stack(ENVIRONMENT, t.name) for t in catalog.teams)]


def fleet(ws: Workspace, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    """The command as an operator runs it in the project: the environment of the `pulumi` CLI
    (backend, passphrase, KUBECONFIG) is the only thing that tells it where to deploy."""
    return subprocess.run(
        [sys.executable, "-m", "fleet", *args],
        cwd=ws.dir,
        env={**ws.env, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def by_name(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    data = json.loads(result.stdout)
    assert set(data) == {"stacks"}
    return {entry["name"]: entry for entry in data["stacks"]}


def logs_of_failed(ws: Workspace, result: subprocess.CompletedProcess[str]) -> str:
    """The logs of the stacks a run says failed, for an assertion's message."""
    place = next((line for line in (result.stdout + result.stderr).splitlines() if line.startswith("logs: ")), None)
    if place is None:
        return result.stdout + result.stderr
    folder = ws.dir / place.removeprefix("logs: ").removesuffix("/<stack>.log")
    failed = [line.split(":")[0] for line in (result.stdout + result.stderr).splitlines() if ": failed in " in line]
    return "\n".join(f"--- {name}\n{(folder / f'{name}.log').read_text()[-6000:]}" for name in failed)


def git(ws: Workspace, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "e2e", "GIT_AUTHOR_EMAIL": "e2e@acme.example"}
    env |= {"GIT_COMMITTER_NAME": "e2e", "GIT_COMMITTER_EMAIL": "e2e@acme.example"}
    subprocess.run(["git", "-C", str(ws.dir), *args], check=True, capture_output=True, env=env)


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Every Kubernetes object of the offline plan of the dev folder."""
    out = tmp_path_factory.mktemp("plan")
    subprocess.run([sys.executable, "-m", "fleet", "plan", CATALOG, "--out", str(out)], check=True, cwd=ROOT)
    return [yaml.safe_load(p.read_text()) for p in sorted((out / "kubernetes").rglob("*.yaml"))]


@pytest.fixture(scope="module")
def planned_namespaces(planned: list[dict[str, Any]]) -> list[str]:
    return namespaces_of(planned)


@pytest.fixture(scope="module")
def ws(
    pulumi_env: dict[str, str],
    argocd_crds: list[str],
    kube: Kube,
    planned_namespaces: list[str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Workspace]:
    """The project in a Git repository of its own (for --changed-since), its stacks in a local backend."""
    workspace = Workspace.platform(tmp_path_factory.mktemp("fleet-stacks") / "app-of-apps", pulumi_env)
    # Git does not follow a linked .gitignore: the workspace gets the repository's as a file, so that
    # what a run writes (build/, the written stack files) is ignored as in a clone.
    (workspace.dir / ".gitignore").unlink()
    (workspace.dir / ".gitignore").write_text((ROOT / ".gitignore").read_text())
    git(workspace, "init", "-q", "-b", "main")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-q", "-m", "the dev folder")
    try:
        yield workspace
    finally:
        try:
            remove_policy(kube)
            for stack in reversed(stacks()):  # what `destroy` left, if it did not run or failed
                workspace.remove(stack)
        finally:  # namespaces are retained on delete (they hold workloads): removed by hand
            assert kube.delete_namespaces(planned_namespaces) == []


def remove_policy(kube: Kube) -> None:
    kube.delete(f"{ADMISSION}/validatingadmissionpolicybindings/{POLICY}")
    kube.delete(f"{ADMISSION}/validatingadmissionpolicies/{POLICY}")


def inject_failure(kube: Kube, team: str) -> None:
    """An admission policy that refuses the team's ServiceAccounts (by the team label the program
    puts on them), in force once a dry-run of such an object is refused."""
    kube.apply(
        f"{ADMISSION}/validatingadmissionpolicies/{POLICY}",
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": POLICY},
            "spec": {
                "failurePolicy": "Fail",
                "matchConstraints": {
                    "resourceRules": [
                        {
                            "apiGroups": [""],
                            "apiVersions": ["v1"],
                            "operations": ["CREATE"],
                            "resources": ["serviceaccounts"],
                        }
                    ]
                },
                "validations": [{"expression": "false", "message": f"e2e: an injected failure of team {team}"}],
            },
        },
    )
    kube.apply(
        f"{ADMISSION}/validatingadmissionpolicybindings/{POLICY}",
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": POLICY},
            "spec": {
                "policyName": POLICY,
                "validationActions": ["Deny"],
                "matchResources": {"objectSelector": {"matchLabels": {TEAM_LABEL: team}}},
            },
        },
    )
    probe = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "probe", "labels": {TEAM_LABEL: team}}}
    deadline = time.monotonic() + 60
    while True:
        try:
            kube.request("POST", "/api/v1/namespaces/default/serviceaccounts", probe, query={"dryRun": "All"})
        except KubeError as err:
            if err.status in (400, 403, 422) and "injected failure" in json.dumps(err.body):
                return
            raise
        if time.monotonic() > deadline:
            pytest.fail("the injected admission policy was not in force within 60 s")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def failed_run(ws: Workspace, kube: Kube) -> subprocess.CompletedProcess[str]:
    inject_failure(kube, FAILING_TEAM)
    try:
        return fleet(ws, "up", CATALOG, "--yes", "--format", "json")
    finally:
        remove_policy(kube)


def test_a_failure_in_one_team_stack_leaves_the_others_deployed(
    failed_run: subprocess.CompletedProcess[str], ws: Workspace, kube: Kube, planned: list[dict[str, Any]]
) -> None:
    assert failed_run.returncode == 4, failed_run.stderr
    results = by_name(failed_run)
    failing = team_stack(ENVIRONMENT, FAILING_TEAM)
    assert list(results) == stacks()
    assert {name: r["result"] for name, r in results.items()} == {
        name: "failed" if name == failing else "succeeded" for name in stacks()
    }
    assert f"{failing}: failed" in failed_run.stderr
    assert "injected failure" in failed_run.stderr  # the engine's error, in the progress line
    for name in stacks():
        if name != failing:
            assert results[name]["changes"]["create"] > 0
            assert ws.resources(name), f"{name} holds no resources"
    # Every other team's ServiceAccounts are in the cluster; the failing team's are not.
    accounts = [o["metadata"] for o in planned if o["kind"] == "ServiceAccount"]
    assert {m["labels"][TEAM_LABEL] for m in accounts} == {t.name for t in load(ROOT / CATALOG).teams}
    for meta in accounts:
        present = kube.exists(f"/api/v1/namespaces/{meta['namespace']}/serviceaccounts/{meta['name']}")
        assert present == (meta["labels"][TEAM_LABEL] != FAILING_TEAM), meta
    log_line = next(line for line in failed_run.stderr.splitlines() if line.startswith("logs: "))
    logs = ws.dir / log_line.removeprefix("logs: ").removesuffix("/<stack>.log")
    assert sorted(p.stem for p in logs.glob("*.log")) == sorted(stacks())
    assert "injected failure" in (logs / f"{failing}.log").read_text()
    assert_as_documented(failed_run, failed_run.stdout)


@pytest.fixture(scope="module")
def deployed(failed_run: subprocess.CompletedProcess[str], ws: Workspace) -> subprocess.CompletedProcess[str]:
    return fleet(ws, "up", CATALOG, "--yes", "--format", "json")


def results_of(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return {name: entry["result"] for name, entry in by_name(result).items()}


def test_up_of_the_dev_folder_runs_the_failed_stack_again_and_skips_the_unchanged_ones(
    deployed: subprocess.CompletedProcess[str], ws: Workspace, kube: Kube, planned_namespaces: list[str]
) -> None:
    assert deployed.returncode == 0, logs_of_failed(ws, deployed)
    results = by_name(deployed)
    assert list(results) == stacks()
    failing = team_stack(ENVIRONMENT, FAILING_TEAM)
    assert {name: r["result"] for name, r in results.items()} == {
        name: "succeeded" if name == failing else "skipped" for name in stacks()
    }
    assert results[failing]["changes"]["create"] > 0
    for name in stacks():
        if name != failing:
            assert results[name]["note"].startswith("unchanged since its update of "), results[name]
            assert results[name]["changes"] == {**NO_CHANGE, "same": 0}
    for namespace in planned_namespaces:
        assert kube.exists(f"/api/v1/namespaces/{namespace}"), namespace
    # The update's message records its inputs, in the backend's history.
    history = json.loads(ws.pulumi("stack", "history", "--json", "--stack", failing).stdout)
    assert history[0]["kind"] == "update"
    assert history[0]["result"] == "succeeded"
    assert re.fullmatch(r"app-of-apps inputs sha256:[0-9a-f]{64}", history[0]["message"])


def test_a_preview_after_up_skips_every_stack_and_all_runs_every_one(
    deployed: subprocess.CompletedProcess[str], ws: Workspace
) -> None:
    assert deployed.returncode == 0, logs_of_failed(ws, deployed)
    text = fleet(ws, "preview", CATALOG)
    assert text.returncode == 0, text.stdout + text.stderr
    assert_as_documented(text, text.stdout)
    skipped = fleet(ws, "preview", CATALOG, "--format", "json")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert results_of(skipped) == dict.fromkeys(stacks(), "skipped")
    forced = fleet(ws, "preview", CATALOG, "--all", "--format", "json")
    assert forced.returncode == 0, logs_of_failed(ws, forced)
    again = by_name(forced)
    assert list(again) == stacks()
    for name, entry in again.items():
        assert entry["result"] == "succeeded", name
        assert {k: v for k, v in entry["changes"].items() if k != "same"} == NO_CHANGE, name
        assert entry["changes"]["same"] > 0, name
    # A preview records nothing: still skipped after it.
    assert results_of(fleet(ws, "preview", CATALOG, "--format", "json")) == dict.fromkeys(stacks(), "skipped")
    # `up --all` runs every stack and records its inputs again; then `up` skips every one.
    up_all = fleet(ws, "up", CATALOG, "--yes", "--all", "--format", "json")
    assert results_of(up_all) == dict.fromkeys(stacks(), "succeeded"), logs_of_failed(ws, up_all)
    assert results_of(fleet(ws, "up", CATALOG, "--yes", "--format", "json")) == dict.fromkeys(stacks(), "skipped")


def test_an_edit_to_one_team_file_previews_that_team_s_stack_only(
    deployed: subprocess.CompletedProcess[str], ws: Workspace
) -> None:
    path = ws.dir / CATALOG / "teams" / f"{EDITED_TEAM}.yaml"
    before = path.read_text()
    data = yaml.safe_load(before)
    path.write_text(before.replace(data["description"], data["description"] + " (edited)", 1))
    try:
        result = fleet(ws, "preview", CATALOG, "--changed-since", "HEAD", "--format", "json")
        text = fleet(ws, "preview", CATALOG, "--changed-since", "HEAD")
        plain = fleet(ws, "preview", CATALOG, "--format", "json")  # no --changed-since: the inputs decide
    finally:
        path.write_text(before)
    assert plain.returncode == 0, logs_of_failed(ws, plain)
    assert results_of(plain) == {
        name: "succeeded" if name == team_stack(ENVIRONMENT, EDITED_TEAM) else "skipped" for name in stacks()
    }
    assert by_name(plain)[team_stack(ENVIRONMENT, EDITED_TEAM)]["changes"]["update"] > 0
    assert result.returncode == 0, logs_of_failed(ws, result)
    assert text.returncode == 0, logs_of_failed(ws, text)
    assert_as_documented(text, text.stdout)
    results = by_name(result)
    edited = team_stack(ENVIRONMENT, EDITED_TEAM)
    assert {name: r["result"] for name, r in results.items()} == {
        name: "succeeded" if name == edited else "skipped" for name in stacks()
    }
    assert results[edited]["changes"]["update"] > 0  # the description annotation, at least
    assert results[edited]["changes"]["create"] == 0


def test_what_changes_a_stack_s_state_outside_the_command_runs_that_stack(
    deployed: subprocess.CompletedProcess[str], ws: Workspace
) -> None:
    refreshed, by_hand, trimmed = (team_stack(ENVIRONMENT, t) for t in ("identity", "payments", "search"))
    assert results_of(fleet(ws, "preview", CATALOG, "--format", "json")) == dict.fromkeys(stacks(), "skipped")
    # A refresh: its stack's latest entry is no update.
    ws.pulumi("refresh", "--yes", "--skip-preview", "--stack", refreshed)
    result = fleet(ws, "preview", CATALOG, "--format", "json")
    assert results_of(result) == {name: "succeeded" if name == refreshed else "skipped" for name in stacks()}
    # An update by hand: no inputs recorded.
    ws.pulumi("up", "--yes", "--skip-preview", "--stack", by_hand)
    result = fleet(ws, "preview", CATALOG, "--format", "json")
    assert results_of(result) == {name: "succeeded" if name in (refreshed, by_hand) else "skipped" for name in stacks()}
    # `up` runs them (nothing to change) and records their inputs: skipped again.
    result = fleet(ws, "up", CATALOG, "--yes", "--format", "json")
    assert results_of(result) == {name: "succeeded" if name in (refreshed, by_hand) else "skipped" for name in stacks()}
    assert results_of(fleet(ws, "preview", CATALOG, "--format", "json")) == dict.fromkeys(stacks(), "skipped")
    # A state command leaves no history entry (Pulumi 3.274): the stack is still skipped, as the
    # page says, and --all runs it (the engine would create the resource again).
    state = ws.resources(trimmed)
    used = {
        urn
        for r in state
        for urn in [
            r.get("parent"),
            *(r.get("dependencies") or []),
            *(u for deps in (r.get("propertyDependencies") or {}).values() for u in deps),
        ]
        if urn
    }
    leaf = next(r["urn"] for r in state if r["type"].startswith("kubernetes:core/v1:") and r["urn"] not in used)
    ws.pulumi("state", "delete", "--yes", "--stack", trimmed, leaf)
    assert results_of(fleet(ws, "preview", CATALOG, "--format", "json")) == dict.fromkeys(stacks(), "skipped")
    result = fleet(ws, "preview", CATALOG, "--all", "--teams", trimmed.split(".", 1)[1], "--format", "json")
    assert results_of(result)[trimmed] == "succeeded"
    assert by_name(result)[trimmed]["changes"]["create"] == 1


def test_a_new_team_s_file_deploys_through_up_changed_since_after_the_platform(
    deployed: subprocess.CompletedProcess[str], ws: Workspace, kube: Kube, tmp_path: Path
) -> None:
    """A team stack refuses a platform stack whose `platform` output does not name its team: the
    new team's file selects the platform stack too, which runs first."""
    path = ws.dir / CATALOG / "teams" / f"{NEW_TEAM}.yaml"
    path.write_text(
        f"name: {NEW_TEAM}\ndescription: A team that joins\nowners: [fay@acme.example]\n"
        f"code_owners: ['@acme/{NEW_TEAM}']\n"
    )
    new_stack = team_stack(ENVIRONMENT, NEW_TEAM)
    subprocess.run(
        [sys.executable, "-m", "fleet", "plan", CATALOG, "--out", str(tmp_path)], check=True, cwd=ws.dir, env=ws.env
    )
    planned = [yaml.safe_load(p.read_text()) for p in sorted((tmp_path / "kubernetes").rglob("*.yaml"))]
    namespaces = [n for n in namespaces_of(planned) if not kube.exists(f"/api/v1/namespaces/{n}")]
    assert namespaces, "the new team has a namespace of its own"
    try:
        result = fleet(ws, "up", CATALOG, "--changed-since", "HEAD", "--yes", "--format", "json")
        assert result.returncode == 0, logs_of_failed(ws, result)
        names = list(by_name(result))
        assert names[0] == platform_stack(ENVIRONMENT)
        assert set(names) == {*stacks(), new_stack}
        assert results_of(result) == {
            name: "succeeded" if name in (platform_stack(ENVIRONMENT), new_stack) else "skipped"
            for name in by_name(result)
        }
        assert by_name(result)[new_stack]["changes"]["create"] > 0
        for namespace in namespaces:
            assert kube.exists(f"/api/v1/namespaces/{namespace}"), namespace
    finally:
        path.unlink()
        gone = fleet(ws, "destroy", CATALOG, "--teams", NEW_TEAM, "--yes")
        ws.remove(new_stack)
        assert kube.delete_namespaces(namespaces) == []
        # The platform stack's `platform` output no longer names the team: as the catalog says again.
        platform = fleet(ws, "up", CATALOG, "--teams", "platform", "--yes")
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert platform.returncode == 0, platform.stdout + platform.stderr
    assert ws.outputs(platform_stack(ENVIRONMENT))["platform"]["teams"] == sorted(
        t.name for t in load(ROOT / CATALOG).teams
    )


def test_destroy_empties_every_stack_teams_first(deployed: subprocess.CompletedProcess[str], ws: Workspace) -> None:
    result = fleet(ws, "destroy", CATALOG, "--yes", "--parallel", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    order = [line.split(":")[0] for line in lines if line.endswith(": destroy started")]
    assert order[-1] == platform_stack(ENVIRONMENT)
    assert sorted(order) == sorted(stacks())
    for name in stacks():
        assert all(r["type"].startswith("pulumi:") for r in ws.resources(name)), name
