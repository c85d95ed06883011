"""Moving a deployed environment into its platform stack and a stack per team, for real.

`dev` is deployed in today's shape (one stack), then the commands of docs/operator/stacks.md
("Moving a deployed environment") run as shown: `python -m fleet split-stack dev`, a preview of
every new stack that must find nothing to do, an `up --expect-no-changes` of each, the old stack
left with nothing but its root, and its removal. Every object the fleet created in the cluster
keeps its uid (read with the Kubernetes client before and after): nothing was replaced or
deleted. A team stack reads the platform stack through a real StackReference.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from fleet.catalog.naming import platform_stack, team_stack
from fleet.compiler import load
from tests.conftest import ROOT, catalog_path
from tests.e2e.engine import Workspace
from tests.e2e.kube import Kube

ENV = "dev"
DOC = ROOT / "docs" / "operator" / "stacks.md"
BLOCK = re.compile(r"<!-- e2e: migration -->\n```sh\n(.*?)```", re.DOTALL)
TEAMS = [team.name for team in load(catalog_path(ENV)).teams]


def doc_commands() -> list[str]:
    """The migration's commands as the operator manual shows them, comments cut."""
    found = BLOCK.search(DOC.read_text())
    assert found, f"{DOC}: no <!-- e2e: migration --> sh block"
    return [line.split("  #")[0].strip() for line in found.group(1).splitlines() if line.strip()]


def kubernetes_objects(ws: Workspace, stack: str) -> list[tuple[str, str, str, str | None]]:
    """(apiVersion, kind, name, namespace) of every Kubernetes object the stack's state holds."""
    out = []
    for resource in ws.resources(stack):
        if not resource["type"].startswith("kubernetes:") or resource.get("custom") is not True:
            continue
        if resource["type"].startswith("kubernetes:") and "Patch" in resource["type"]:
            continue  # a patch of an object the Argo CD install owns: its uid is not ours to keep
        outputs = resource.get("outputs") or {}
        meta = outputs.get("metadata") or {}
        out.append((outputs["apiVersion"], outputs["kind"], meta["name"], meta.get("namespace")))
    return out


def uids(kube: Kube, objects: list[tuple[str, str, str, str | None]]) -> dict[str, str]:
    return {
        f"{kind} {namespace or ''}/{name}": kube.get(kube.path_of(api, kind, name, namespace))["metadata"]["uid"]
        for api, kind, name, namespace in objects
    }


def run_line(ws: Workspace, line: str) -> str:
    """One shown command, in the project's folder with the tier's backend and cluster."""
    argv = shlex.split(line)
    if argv[:3] == ["python", "-m", "fleet"]:
        done = subprocess.run(
            [sys.executable, *argv[1:]], cwd=ws.dir, env=ws.env, capture_output=True, text=True, timeout=1800
        )
        assert done.returncode == 0, f"{line} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done.stdout
    assert argv[0] == "pulumi", f"only `pulumi` and `python -m fleet` lines are shown: {line}"
    return ws.pulumi(*argv[1:], timeout=1800).stdout


@pytest.fixture(scope="module")
def migrated(
    pulumi_env: dict[str, str], argocd_crds: list[str], kube: Kube, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    ws = Workspace.platform(tmp_path_factory.mktemp("split") / "app-of-apps", pulumi_env)
    ws.init(ENV, {})
    new = [platform_stack(ENV), *(team_stack(ENV, t) for t in TEAMS)]
    namespaces: list[str] = []
    try:
        ws.pulumi("up", "--yes", "--skip-preview", "--stack", ENV)
        objects = kubernetes_objects(ws, ENV)
        namespaces = [name for _, kind, name, _ in objects if kind == "Namespace"]
        before = uids(kube, objects)
        count = len(ws.resources(ENV))
        printed: dict[str, str] = {}
        for line in doc_commands():
            printed[line] = run_line(ws, line)
            if line.startswith("python -m fleet split-stack"):
                # The doc shows the platform stack and one team's; every other team's runs alike.
                for team in TEAMS:
                    ws.pulumi("preview", "--expect-no-changes", "--stack", team_stack(ENV, team))
        for team in TEAMS:
            ws.pulumi("up", "--yes", "--expect-no-changes", "--stack", team_stack(ENV, team))
        yield {"ws": ws, "before": before, "count": count, "printed": printed, "new": new}
    finally:
        try:
            for stack in reversed(new):  # teams first, then the platform
                ws.remove(stack)
            ws.remove(ENV)
        finally:  # namespaces are retained on delete (they hold workloads): removed by hand
            assert kube.delete_namespaces(namespaces) == []


def test_the_doc_shows_the_move_and_the_checks() -> None:
    lines = doc_commands()
    assert lines[0] == f"python -m fleet split-stack {ENV}"
    assert f"pulumi preview --expect-no-changes --stack {platform_stack(ENV)}" in lines
    assert lines[-1] == f"pulumi stack rm --yes --preserve-config {ENV}"


def test_every_object_keeps_its_uid(migrated: dict[str, Any], kube: Kube) -> None:
    ws, before = migrated["ws"], migrated["before"]
    objects = [o for stack in migrated["new"] for o in kubernetes_objects(ws, stack)]
    after = uids(kube, objects)
    assert len(before) > 50
    assert after == before


def test_the_new_stacks_hold_what_the_old_one_held(migrated: dict[str, Any]) -> None:
    ws = migrated["ws"]
    held = {stack: ws.resources(stack) for stack in migrated["new"]}
    for stack, resources in held.items():
        components = [r for r in resources if r["type"] == "app-of-apps:index:AppOfApps"]
        assert len(components) == 1, stack
        assert all(r["urn"].startswith(f"urn:pulumi:{stack}::") for r in resources)
    # every resource once, plus a root stack and an AppOfApps per new stack, plus the providers
    # each stack has of its own, plus a team stack's StackReference of the platform
    custom = [
        r["urn"].split("::", 1)[1]
        for resources in held.values()
        for r in resources
        if r.get("custom") and not r["type"].startswith("pulumi:")
    ]
    assert len(custom) == len(set(custom))
    teams = [r for r in held[team_stack(ENV, "payments")] if r["type"] == "app-of-apps:index:Team"]
    assert [t["urn"].split("::")[-1] for t in teams] == ["payments"]
    references = [r for r in held[team_stack(ENV, "payments")] if r["type"] == "pulumi:pulumi:StackReference"]
    assert [r["urn"].split("::")[-1] for r in references] == [f"organization/app-of-apps/{platform_stack(ENV)}"]
    assert not [r for r in held[platform_stack(ENV)] if r["type"] == "pulumi:pulumi:StackReference"]


def test_the_old_stack_ended_empty(migrated: dict[str, Any]) -> None:
    exported = json.loads(migrated["printed"][f"pulumi stack export --stack {ENV}"])
    assert [r["type"] for r in exported["deployment"]["resources"]] == ["pulumi:pulumi:Stack"]
    assert migrated["count"] > 50


def test_the_team_stacks_export_the_contract_in_slices(migrated: dict[str, Any]) -> None:
    from fleet.contract.fleet_output import merge, parse

    ws = migrated["ws"]
    outputs = [ws.outputs(stack)["fleet"] for stack in migrated["new"]]
    whole = parse(merge(outputs), "the split stacks")
    assert sorted(whole.teams) == sorted(TEAMS)
    payments = ws.outputs(team_stack(ENV, "payments"))["fleet"]
    assert list(payments["teams"]) == ["payments"]
    assert ws.outputs(platform_stack(ENV))["platform"]["teams"] == sorted(TEAMS)


def test_the_example_team_service_reads_its_teams_stack(
    migrated: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """examples/team-service, pointed at the payments team's own stack as its Pulumi.dev.yaml
    says (the local backend calls its organization `organization`), previews the app's role."""
    dev = migrated["ws"]
    config = yaml.safe_load((ROOT / "examples" / "team-service" / f"Pulumi.{ENV}.yaml").read_text())["config"]
    reference = config["team-service:platformStack"]
    assert reference.split("/")[2] == team_stack(ENV, config["team-service:team"])
    ws = Workspace.of(
        ROOT / "examples" / "team-service",
        tmp_path_factory.mktemp("team") / "team-service",
        {**dev.env, "PYTHONPATH": str(ROOT)},
        venv="venv",
        backend=dev.backend,
    )
    ws.init(ENV, {})
    try:
        ws.pulumi("config", "set", "--stack", ENV, "platformStack", "organization/" + reference.split("/", 1)[1])
        expected = dev.outputs(reference.split("/")[2])["fleet"]["teams"][config["team-service:team"]]["apps"][
            config["team-service:app"]
        ]
        preview = json.loads(ws.pulumi("preview", "--stack", ENV, "--json").stdout)
        (config_map,) = [s for s in preview["steps"] if s["urn"].endswith("::platform")]
        data = config_map["newState"]["inputs"]["data"]
        assert data["AWS_ROLE_ARN"] == expected["role_arn"]
        assert data["ARGOCD_APPLICATION"] == expected["argocd_application"]
    finally:
        ws.remove(ENV)
