"""A platform stack and a stack per team: the names, and which stack holds what."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.catalog.location import PipelineError, reviewed_stack_file, stack_settings
from fleet.catalog.naming import (
    PLATFORM_STACK_SUFFIX,
    TEAM_LABEL,
    StackScope,
    platform_stack,
    stack_scope,
    team_stack,
)
from fleet.compiler import load_state
from fleet.contract.fleet_output import fleet_output, merge
from fleet.contract.platform_output import platform_output, problems
from fleet.io.stacks import prepare
from fleet.render.partition import UnknownTeamError, changed_stacks, digests, part, partition, stacks
from fleet.render.resources import Resource, desired_resources
from fleet.render.state import FleetState, TeamState
from tests.conftest import ROOT, shipped
from tests.pulumi_harness import ProgramRun, run_program

PROVIDERS = {"pulumi:providers:aws", "pulumi:providers:kubernetes", "pulumi:providers:okta"}


def test_stack_names() -> None:
    assert platform_stack("dev") == "dev.platform"
    assert team_stack("dev", "payments") == "dev.payments"
    assert PLATFORM_STACK_SUFFIX == "platform"


@pytest.mark.parametrize(
    ("stack", "scope"),
    [
        ("dev", StackScope("dev", None, "environment")),
        ("dev.platform", StackScope("dev", None, "platform")),
        ("dev.payments", StackScope("dev", "payments", "team")),
        ("acme/app-of-apps/prod.search", StackScope("prod", "search", "team")),
        ("organization/app-of-apps/prod", StackScope("prod", None, "environment")),
    ],
)
def test_stack_scope_reads_the_name(stack: str, scope: StackScope) -> None:
    assert stack_scope(stack) == scope
    assert scope.stack == stack.rsplit("/", 1)[-1]


@pytest.mark.parametrize("stack", ["", ".platform", "dev.", "dev.payments.extra", "org/proj/"])
def test_stack_scope_refuses_other_names(stack: str) -> None:
    with pytest.raises(ValueError, match="neither"):
        stack_scope(stack)


def test_what_each_scope_holds() -> None:
    whole, platform, team = stack_scope("dev"), stack_scope("dev.platform"), stack_scope("dev.payments")
    held = {
        scope.kind: (scope.holds_platform(), scope.holds_team("payments"), scope.holds_team("search"))
        for scope in (whole, platform, team)
    }
    assert held == {
        "environment": (True, True, True),
        "platform": (True, False, False),
        "team": (False, True, False),
    }


def test_names_round_trip() -> None:
    for name in (platform_stack("prod"), team_stack("prod", "search"), "prod"):
        assert stack_scope(name).stack == name


# --- the partition: which stack holds what ------------------------------------------------------


def _state(env: str) -> FleetState:
    return load_state(shipped(env))[1]


def _team_owns(resource: Resource, team: TeamState, state: FleetState) -> bool:
    """Judged from names and labels, independently of how the partition is computed: the
    resource is the team's own, not something other teams share."""
    prefix = f"{state.organization}-{state.environment}-{team.name}-"
    props = resource.props
    if resource.type.startswith("okta:"):
        return str(props["name"]).startswith(prefix)
    if resource.type.startswith("aws:iam/"):
        return str(props.get("name") if resource.type == "aws:iam/role:Role" else props["role"]).startswith(prefix)
    if resource.type.startswith("aws:eks/"):
        return props["namespace"] in team.namespaces
    metadata = props["metadata"]
    if props["kind"] == "Namespace":
        return metadata["name"] in team.namespaces
    if metadata.get("namespace") in team.namespaces:
        return True
    return (
        metadata.get("namespace") == state.argocd_namespace
        and metadata.get("labels", {}).get(TEAM_LABEL) == team.name
        and props["kind"] in {"AppProject", "Application", "ExternalSecret"}
    )


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_resource_is_in_exactly_one_stack_and_the_union_is_the_single_stack(env: str) -> None:
    state = _state(env)
    parts = partition(state)
    assert list(parts) == [platform_stack(env), *(team_stack(env, t.name) for t in state.teams)]
    keys = [r.key for resources in parts.values() for r in resources]
    assert len(keys) == len(set(keys))  # in exactly one stack
    whole = desired_resources(state)
    assert sorted(keys) == sorted(r.key for r in whole)  # the union is today's single stack
    # ... with the same inputs and options, so that a moved resource previews unchanged
    by_key = {r.key: r for r in whole}
    assert all(r == by_key[r.key] for resources in parts.values() for r in resources)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_a_team_stack_holds_only_what_is_its_teams(env: str) -> None:
    state = _state(env)
    for team in state.teams:
        held = partition(state)[team_stack(env, team.name)]
        assert held
        foreign = [r.key for r in held if not _team_owns(r, team, state)]
        assert foreign == []
        assert not any(_team_owns(r, team, state) for r in partition(state)[platform_stack(env)])


def test_the_platform_holds_what_is_shared() -> None:
    state = _state("dev")
    kinds = Counter(r.props.get("kind", r.type) for r in partition(state)[platform_stack("dev")])
    assert kinds == {
        "ValidatingAdmissionPolicy": 1,
        "ValidatingAdmissionPolicyBinding": 1,
        "ConfigMap": 1,  # our keys of argocd-rbac-cm
        "ClusterRole": 1,  # the status reader
        "ClusterRoleBinding": 1,
        "Role": 1,
        "RoleBinding": 1,
    }


def test_the_ownership_check_would_catch_a_shared_resource() -> None:
    # The check above is not vacuous: the platform's objects are not any team's.
    state = _state("dev")
    payments = next(t for t in state.teams if t.name == "payments")
    platform = partition(state)[platform_stack("dev")]
    assert platform
    assert [r for r in platform if _team_owns(r, payments, state)] == []
    search = partition(state)[team_stack("dev", "search")]
    assert not all(_team_owns(r, payments, state) for r in search)


def test_part_follows_the_scope() -> None:
    state = _state("dev")
    assert part(state, stack_scope("dev")) is state
    assert part(state, stack_scope("dev.platform")).teams == ()
    team = part(state, stack_scope("dev.search"))
    assert [t.name for t in team.teams] == ["search"]
    assert (team.cluster_objects, team.reader_objects, team.argocd_rbac) == ((), (), None)
    with pytest.raises(UnknownTeamError, match=r"'nobody' is not in the dev catalog"):
        part(state, stack_scope("dev.nobody"))
    with pytest.raises(ValueError, match="environment 'prod'"):
        part(state, stack_scope("prod.search"))


def test_changed_stacks_are_the_parts_that_differ() -> None:
    state = _state("dev")
    assert changed_stacks(state, state) == []
    assert changed_stacks(None, state) == stacks(state)
    search = next(t for t in state.teams if t.name == "search")
    edited = replace(state, teams=tuple(replace(t, decommissioning=True) if t is search else t for t in state.teams))
    assert changed_stacks(state, edited) == ["dev.search"]  # retain_on_delete comes off its resources
    renamed = replace(
        state,
        teams=tuple(
            replace(t, project=replace(t.project, obj={**t.project.obj, "spec": {}})) if t is search else t
            for t in state.teams
        ),
    )
    assert changed_stacks(state, renamed) == ["dev.search"]
    assert digests(state)[platform_stack("dev")] == digests(renamed)[platform_stack("dev")]


# --- the fleet contract in the split world ---------------------------------------------------------


def test_each_team_stack_exports_its_slice_and_the_union_is_the_single_contract() -> None:
    state = _state("dev")
    whole = fleet_output(state).model_dump()
    platform = fleet_output(part(state, stack_scope("dev.platform"))).model_dump()
    assert platform == {**whole, "teams": {}}
    slices = [fleet_output(part(state, stack_scope(team_stack("dev", t.name)))).model_dump() for t in state.teams]
    assert all(
        s == {**whole, "teams": {name: whole["teams"][name]}}
        for s, name in zip(slices, [t.name for t in state.teams], strict=True)
    )
    assert merge([platform, *slices]) == whole


# --- what a team stack reads from the platform stack -----------------------------------------------


def test_the_platform_output_is_accepted_by_each_team_of_the_same_render() -> None:
    state = _state("dev")
    data = platform_output(state)
    assert data["teams"] == sorted(t.name for t in state.teams)
    for team in state.teams:
        assert problems(data, state, team.name, "o/p/dev.platform") == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: None, "has no 'platform' output: deploy the platform stack dev.platform first"),
        (lambda d: [d], "is a list, not an object"),
        (lambda d: {**d, "version": 2.0}, "version 2; this program reads version 1"),
        (lambda d: {**d, "environment": "prod"}, "platform of environment 'prod', not 'dev'"),
        (lambda d: {**d, "organization": "other"}, "platform of organization 'other', not 'acme'"),
        (lambda d: {**d, "teams": ["search"]}, "does not declare team 'payments'"),
        (lambda d: {**d, "digest": "0" * 64}, "deployed another platform than this catalog renders"),
    ],
)
def test_a_team_stack_refuses_a_platform_that_does_not_agree(change, reason: str) -> None:
    state = _state("dev")
    found = problems(change(platform_output(state)), state, "payments", "o/p/dev.platform")
    assert len(found) == 1
    assert reason in found[0]


# --- the stack files of the platform and team stacks -----------------------------------------------


def test_stack_settings_come_from_the_environments_reviewed_file() -> None:
    reviewed = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    written = stack_settings(reviewed, "dev.payments", {"encryptionsalt": "v1:abc", "config": {"x:y": "stale"}})
    assert written == {"encryptionsalt": "v1:abc", **reviewed}
    assert stack_settings(reviewed, "dev.platform") == reviewed
    assert reviewed_stack_file("dev.payments") == "Pulumi.dev.yaml"
    assert reviewed_stack_file("dev") == "Pulumi.dev.yaml"


def test_stack_settings_refuse_what_a_second_stack_cannot_share() -> None:
    with pytest.raises(PipelineError) as err:
        stack_settings({"config": {"app-of-apps:okta": {"secure": "v1:xyz"}}, "backend": "x"}, "dev.search")
    assert len(err.value.reasons) == 2
    assert "app-of-apps:okta is a secret encrypted for stack dev only" in err.value.reasons[0]
    assert "backend: not shared" in err.value.reasons[1]
    with pytest.raises(PipelineError, match="is the reviewed file itself"):
        stack_settings({}, "dev")


# --- the program, run as the platform stack and as each team's stack (mock engine) ----------------

PLATFORM_REF = "organization/app-of-apps/dev.platform"
_RUNS: dict[str, ProgramRun] = {}


def _run(stack: str, **kwargs: Any) -> ProgramRun:
    os.environ["MOCK_ACCOUNT"] = "111111111111"
    return run_program(stack, **kwargs)


def _split_run(stack: str) -> ProgramRun:
    """The program for `stack` with the stack file `stack_settings` writes (the catalog path of
    Pulumi.dev.yaml) and a deployed platform stack to read."""
    if stack not in _RUNS:
        outputs = {PLATFORM_REF: {"platform": platform_output(_state("dev"))}}
        _RUNS[stack] = _run(stack, config={"fleet": "stacks/dev"}, stack_outputs=outputs)
    assert _RUNS[stack].error is None, _RUNS[stack].error
    return _RUNS[stack]


def _urns(run: ProgramRun, stack: str) -> set[str]:
    """The URNs a run registered, without the stack's name (what `pulumi state move` rewrites)."""
    return {r.urn.replace(f"urn:pulumi:{stack}::", "urn:pulumi:STACK::", 1) for r in run.registrations}


def test_the_split_stacks_register_the_single_stacks_resources_with_the_same_urns() -> None:
    whole = _split_run("dev")
    state = _state("dev")
    split = [platform_stack("dev"), *(team_stack("dev", t.name) for t in state.teams)]
    seen: list[str] = []
    for stack in split:
        run = _split_run(stack)
        seen += sorted(
            u
            for u in _urns(run, stack)
            if "pulumi:providers:" not in u and "AppOfApps::fleet" not in u and "StackReference" not in u
        )
        assert [r.type for r in run.registrations].count("app-of-apps:index:AppOfApps") == 1
        assert {r.type for r in run.registrations if r.type.startswith("pulumi:providers:")} == PROVIDERS
    single = sorted(u for u in _urns(whole, "dev") if "pulumi:providers:" not in u and "AppOfApps::fleet" not in u)
    assert len(seen) == len(set(seen))
    assert sorted(seen) == single


def test_a_team_stack_reads_the_platform_stack_and_exports_its_slice() -> None:
    # It ran because the StackReference to PLATFORM_REF answered (the next test: without it, it fails).
    run = _split_run("dev.payments")
    fleet = run.outputs["fleet"]
    assert list(fleet["teams"]) == ["payments"]
    assert fleet["teams"]["payments"]["apps"]["checkout"]["role_arn"] == (
        "arn:aws:iam::111111111111:role/fleet/acme-dev-payments-checkout"
    )
    assert "platform" not in run.outputs
    teams = {r.name for r in run.of_type("app-of-apps:index:Team")}
    assert teams == {"payments"}


def test_the_platform_stack_reads_no_team_and_exports_the_platform() -> None:
    run = _split_run("dev.platform")
    assert run.error is None  # no StackReference answered, and none was needed
    assert run.of_type("app-of-apps:index:Team") == []
    assert run.outputs["platform"] == platform_output(_state("dev"))
    assert run.outputs["fleet"]["teams"] == {}
    merged = merge(
        [run.outputs["fleet"], *(_split_run(f"dev.{t}").outputs["fleet"] for t in ("identity", "payments", "search"))]
    )
    assert merged == _split_run("dev").outputs["fleet"]


def test_a_team_stack_refuses_a_platform_stack_that_was_not_deployed() -> None:
    run = _run("dev.search", config={"fleet": "stacks/dev"})
    assert run.error is not None
    assert f"stack {PLATFORM_REF} has no 'platform' output: deploy the platform stack dev.platform first" in str(
        run.error
    )
    # The providers wait for the check, so no resource reaches them: the update stops there.


def test_a_team_stack_of_an_unknown_team_registers_nothing() -> None:
    run = _run("dev.nobody", config={"fleet": "stacks/dev"})
    assert run.error is not None
    assert "'nobody' is not in the dev catalog" in str(run.error)
    assert run.registrations == []


def test_a_team_stack_takes_its_catalog_only_from_the_environments_reviewed_file(tmp_path) -> None:
    # No stack file for dev.search (or one written by hand): the engine's value is not what
    # Pulumi.dev.yaml says, and the program refuses before registering anything.
    for config in ({}, {"fleet": "stacks/prod"}):
        run = _run("dev.search", config=config)
        assert run.error is not None
        assert "[pipeline-catalog-config]" in str(run.error)
        assert "Pulumi.dev.yaml" in str(run.error)
        assert run.registrations == []


def test_a_badly_named_stack_is_refused() -> None:
    run = _run("dev.search.extra", config={"fleet": "stacks/dev"})
    assert run.error is not None
    assert "neither <environment>" in str(run.error)
    assert run.registrations == []


def test_prepare_writes_a_split_stacks_file_and_keeps_its_salt(tmp_path) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text((ROOT / "Pulumi.dev.yaml").read_text())
    (tmp_path / "Pulumi.dev.search.yaml").write_text(
        "encryptionsalt: v1:salt\nconfig:\n  app-of-apps:fleet: stacks/x\n"
    )
    written = prepare(tmp_path, "dev.search")
    assert written == tmp_path / "Pulumi.dev.search.yaml"
    text = written.read_text()
    assert text.startswith("# Written from Pulumi.dev.yaml by `python -m fleet` before each run of stack dev.search")
    data = yaml.safe_load(text)
    assert data["encryptionsalt"] == "v1:salt"
    assert data["config"] == yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    assert prepare(tmp_path, "dev") == tmp_path / "Pulumi.dev.yaml"  # the reviewed file is left alone
    assert (tmp_path / "Pulumi.dev.yaml").read_text() == (ROOT / "Pulumi.dev.yaml").read_text()
    with pytest.raises(PipelineError, match=r"Pulumi\.prod\.yaml: no such file"):
        prepare(tmp_path, "prod.search")


def _repo(path: Path) -> Callable[..., None]:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    env |= {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@a", "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@a"}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=path, env=env, check=True, capture_output=True)

    return git


HOSTILE = (
    "secretsprovider: awskms://alias/someone-elses-key?region=eu-west-1\n"
    "encryptedkey: AQICAHhOTHER\n"
    "environment: [app-of-apps/prod]\n"
    "config:\n  app-of-apps:fleet: stacks/prod\n  app-of-apps:awsAssumeRoleArn: arn:aws:iam::999999999999:role/x\n"
)


def test_prepare_refuses_a_stack_file_that_git_tracks_and_keeps_nothing_of_it(tmp_path) -> None:
    git = _repo(tmp_path)
    git("init", "-q", "-b", "main")
    (tmp_path / "Pulumi.dev.yaml").write_text((ROOT / "Pulumi.dev.yaml").read_text())
    (tmp_path / ".gitignore").write_text("Pulumi.*.*.yaml\n")
    (tmp_path / "Pulumi.dev.payments.yaml").write_text(HOSTILE)
    git("add", "-A")
    git("add", "-f", "Pulumi.dev.payments.yaml")  # past .gitignore, as a hostile pull request would
    git("commit", "-q", "-m", "x")
    with pytest.raises(
        PipelineError,
        match=r"Pulumi\.dev\.payments\.yaml: the stack file of dev\.payments .*"
        r"\[pipeline-generated-stack-file\]",
    ):
        prepare(tmp_path, "dev.payments")
    assert (tmp_path / "Pulumi.dev.payments.yaml").read_text() == HOSTILE  # not used, not rewritten
    git("rm", "-q", "--cached", "Pulumi.dev.payments.yaml")  # the fix: the file is the machine's own again
    git("commit", "-q", "-m", "fix")
    data = yaml.safe_load(prepare(tmp_path, "dev.payments").read_text())
    reviewed = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    assert data["config"] == reviewed["config"]  # never the file's own config or ESC environment
    assert data.get("environment") == reviewed.get("environment")
    # An untracked file was written by `pulumi stack init` on this machine: its provider keys stay.
    assert data["secretsprovider"] == "awskms://alias/someone-elses-key?region=eu-west-1"


def test_prepare_keeps_only_the_secrets_provider_keys_and_only_as_strings(tmp_path) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text((ROOT / "Pulumi.dev.yaml").read_text())
    (tmp_path / "Pulumi.dev.search.yaml").write_text(
        "encryptionsalt: {nested: v1:salt}\nbackend: {url: file:///elsewhere}\nconfig:\n  x:y: z\n"
    )
    data = yaml.safe_load(prepare(tmp_path, "dev.search").read_text())
    assert set(data) <= {"environment", "config"}
    assert "x:y" not in data["config"]


def test_split_stack_files_are_not_committed() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "Pulumi.dev.payments.yaml"], cwd=ROOT, check=False
    ).returncode
    assert ignored == 0
    assert subprocess.run(["git", "check-ignore", "-q", "Pulumi.dev.yaml"], cwd=ROOT, check=False).returncode == 1


def test_the_partition_of_an_environment_on_two_clusters() -> None:
    # Declared clusters add Argo CD's cluster Secrets and per-cluster guards and readers: the
    # platform's; each team's objects on each cluster: the team's.
    from tests.test_clusters import placed_catalog, render

    state = render(placed_catalog())
    parts = partition(state)
    keys = [r.key for resources in parts.values() for r in resources]
    assert len(keys) == len(set(keys))
    assert sorted(keys) == sorted(r.key for r in desired_resources(state))
    platform = parts[platform_stack(state.environment)]
    assert any(r.props.get("kind") == "Secret" for r in platform)  # the clusters' Secrets
    for team in state.teams:
        held = parts[team_stack(state.environment, team.name)]
        assert [r.key for r in held if not _team_owns(r, team, state)] == []
        assert not [r for r in held if r.props.get("kind") == "Secret"]
    payments = part(state, stack_scope(team_stack(state.environment, "payments")))
    assert set(payments.placed_clusters()) == {"east", "west"}
