"""fleet.orchestration (which stacks run, in which order, what the run came to) and the stage
runner of fleet.io.automation against stand-ins of the Automation API: one stack's failure
stops no other, and the exit code and summary name it. The real engine runs the same command
in tests/e2e/test_fleet_stacks.py."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pulumi.automation import events as auto_events

from fleet.cli import main as cli
from fleet.io import automation
from fleet.orchestration import (
    Outcome,
    blocked_by,
    changes_from,
    orphaned,
    plain_table,
    plan_run,
    run_summary,
    verdict,
    with_orphans,
)
from fleet.pipeline import steps
from fleet.text.problems import UsageError
from tests.conftest import ROOT

TEAMS = ["search", "payments", "identity"]
EVERY = ("dev.platform", "dev.identity", "dev.payments", "dev.search")


# --- order and selection --------------------------------------------------------------------------
def test_up_runs_the_platform_first_then_every_team_side_by_side() -> None:
    plan = plan_run("up", "dev", TEAMS)
    assert plan.stages == (("dev.platform",), ("dev.identity", "dev.payments", "dev.search"))
    assert plan.skipped == ()
    assert plan.every == EVERY


def test_destroy_runs_the_teams_first_then_the_platform() -> None:
    plan = plan_run("destroy", "dev", TEAMS)
    assert plan.stages == (("dev.identity", "dev.payments", "dev.search"), ("dev.platform",))
    assert plan.every == EVERY  # the summary's order does not change


def test_teams_selects_those_team_stacks_and_platform_names_the_platform_stack() -> None:
    plan = plan_run("preview", "dev", TEAMS, only=["payments"])
    assert plan.stages == (("dev.payments",),)
    assert dict(plan.skipped) == {s: "not in --teams" for s in ("dev.platform", "dev.identity", "dev.search")}
    assert plan_run("up", "dev", TEAMS, only=["platform", "search"]).stages == (("dev.platform",), ("dev.search",))


def test_an_unknown_team_is_a_usage_error_naming_the_teams() -> None:
    with pytest.raises(UsageError, match=r"--teams: nope: no such team in environment dev \(its teams: identity"):
        plan_run("up", "dev", TEAMS, only=["payments", "nope"])


def test_the_stacks_a_change_affects_narrow_the_run_and_the_others_say_why() -> None:
    plan = plan_run("preview", "dev", TEAMS, changed={"dev.payments", "dev.search"}, since="main")
    assert plan.selected == ("dev.payments", "dev.search")
    assert dict(plan.skipped) == {s: "nothing it deploys changed since main" for s in ("dev.platform", "dev.identity")}
    assert plan_run("up", "dev", TEAMS, changed=frozenset()).selected == ()


def test_a_one_file_catalog_deploys_one_stack_named_like_its_environment() -> None:
    plan = plan_run("up", "dev", TEAMS, single=True)
    assert plan.stages == (("dev",),)
    assert plan.every == ("dev",)
    assert plan_run("preview", "dev", TEAMS, single=True, changed={"dev"}).selected == ("dev",)
    assert plan_run("preview", "dev", TEAMS, single=True, changed=set(), since="main").skipped == (
        ("dev", "nothing it deploys changed since main"),
    )
    with pytest.raises(UsageError, match=r"--teams: environment dev's catalog is one file, deployed as one stack"):
        plan_run("up", "dev", TEAMS, single=True, only=["payments"])


def test_a_removed_team_s_stack_is_reported_not_run() -> None:
    plan = plan_run("up", "dev", TEAMS, changed=frozenset(), removed=["dev.gone"])
    assert plan.selected == ()
    assert plan.removed == ("dev.gone",)


def test_teams_and_changed_since_intersect() -> None:
    changed = {"dev.payments", "dev.search"}
    plan = plan_run("up", "dev", TEAMS, only=["search", "identity"], changed=changed, since="main")
    assert plan.selected == ("dev.search",)
    assert dict(plan.skipped)["dev.identity"].startswith("nothing it deploys changed")
    assert dict(plan.skipped)["dev.payments"] == "not in --teams"


def test_a_failed_stage_stops_the_next_only_for_up_and_destroy() -> None:
    assert blocked_by("up", []) is None
    assert "dev.platform failed first" in (blocked_by("up", ["dev.platform"]) or "")
    assert "platform stack stays" in (blocked_by("destroy", ["dev.search"]) or "")
    assert blocked_by("preview", ["dev.platform"]) is None
    assert blocked_by("refresh", ["dev.platform"]) is None


# --- the summary ----------------------------------------------------------------------------------
def test_change_counts_come_from_the_engine_s_operations() -> None:
    ops = {auto_events.OpType.CREATE: 3, "same": 5, auto_events.OpType.REPLACE: 1, "read": 2, "delete": 1}
    assert changes_from(ops) == {"create": 3, "update": 0, "replace": 1, "delete": 1, "same": 5}
    assert changes_from(None) == {"create": 0, "update": 0, "replace": 0, "delete": 0, "same": 0}


def test_the_json_summary_has_exactly_the_documented_shape() -> None:
    outcomes = [
        Outcome("dev.platform", "succeeded", changes_from({"create": 2}), 3.14159, log="x.log"),
        Outcome("dev.search", "failed", changes_from({"same": 1}), 1.0, note="boom"),
        Outcome("dev.payments", "skipped", note="not in --teams"),
    ]
    data = json.loads(run_summary(outcomes).model_dump_json())
    assert data == {
        "stacks": [
            {
                "name": "dev.platform",
                "result": "succeeded",
                "changes": {"create": 2, "update": 0, "replace": 0, "delete": 0, "same": 0},
                "seconds": 3.1,
            },
            {
                "name": "dev.search",
                "result": "failed",
                "changes": {"create": 0, "update": 0, "replace": 0, "delete": 0, "same": 1},
                "seconds": 1.0,
            },
            {
                "name": "dev.payments",
                "result": "skipped",
                "changes": {"create": 0, "update": 0, "replace": 0, "delete": 0, "same": 0},
                "seconds": 0.0,
                "note": "not in --teams",
            },
        ]
    }
    assert verdict(outcomes) == "1 succeeded, 1 failed, 1 skipped; failed: dev.search"
    lines = plain_table(outcomes).splitlines()
    assert lines[0].split() == ["stack", "result", "create", "update", "replace", "delete", "same", "seconds", "note"]
    assert lines[2].split()[:8] == ["dev.search", "failed", "0", "0", "0", "0", "1", "1.0"]
    assert lines[3].split() == ["dev.payments", "skipped", "-", "-", "-", "-", "-", "-", "not", "in", "--teams"]
    assert len({line.index("seconds") if "seconds" in line else None for line in lines[:1]}) == 1


# --- the stage runner, with stand-ins for the Automation API -------------------------------------
class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def started(self, stack: str) -> None:
        with self.lock:
            self.events.append(("started", stack))

    def step(self, stack: str, op: str, urn: str, counts: object) -> None:
        pass

    def finished(self, outcome: Outcome) -> None:
        with self.lock:
            self.events.append((outcome.result, outcome.name))


def stand_in(fail: set[str], raise_in: frozenset[str] = frozenset(), delay: float = 0.0):
    """run_one for the runner: a stack in `fail` fails as the engine would say; one in
    `raise_in` raises, as a bug of ours would; the others succeed with one created resource."""
    ran: list[str] = []
    running = [0, 0]  # now, most at once
    lock = threading.Lock()

    def run_one(stack: str) -> Outcome:
        with lock:
            ran.append(stack)
            running[0] += 1
            running[1] = max(running)
        time.sleep(delay)
        with lock:
            running[0] -= 1
        if stack in raise_in:
            raise RuntimeError(f"unexpected trouble in {stack}\nsecond line")
        if stack in fail:
            return Outcome(stack, "failed", changes_from({"create": 1}), 0.1, note="resource quota exceeded")
        return Outcome(stack, "succeeded", changes_from({"create": 1}), 0.1)

    return run_one, ran, running


def test_one_team_failing_stops_no_other_team() -> None:
    run_one, ran, _ = stand_in({"dev.payments"}, raise_in=frozenset({"dev.search"}))
    outcomes = automation.run_stages(plan_run("up", "dev", TEAMS), run_one, 4, Recorder())
    assert [(o.name, o.result) for o in outcomes] == [
        ("dev.platform", "succeeded"),
        ("dev.identity", "succeeded"),
        ("dev.payments", "failed"),
        ("dev.search", "failed"),
    ]
    assert sorted(ran) == sorted(EVERY)
    assert outcomes[3].note == "unexpected trouble in dev.search"


def test_up_does_not_deploy_teams_when_the_platform_failed_but_preview_does() -> None:
    run_one, ran, _ = stand_in({"dev.platform"})
    outcomes = automation.run_stages(plan_run("up", "dev", TEAMS), run_one, 4, Recorder())
    assert ran == ["dev.platform"]
    assert [o.result for o in outcomes] == ["failed", "skipped", "skipped", "skipped"]
    assert "dev.platform failed first" in outcomes[1].note
    run_one, ran, _ = stand_in({"dev.platform"})
    outcomes = automation.run_stages(plan_run("preview", "dev", TEAMS), run_one, 4, Recorder())
    assert [o.result for o in outcomes] == ["failed", "succeeded", "succeeded", "succeeded"]


def test_destroy_keeps_the_platform_when_a_team_failed() -> None:
    run_one, ran, _ = stand_in({"dev.identity"})
    outcomes = automation.run_stages(plan_run("destroy", "dev", TEAMS), run_one, 4, Recorder())
    assert "dev.platform" not in ran
    assert [o.result for o in outcomes] == ["skipped", "failed", "succeeded", "succeeded"]


def test_parallel_bounds_the_stacks_at_once_and_the_listener_hears_each_end() -> None:
    teams = [f"t{i}" for i in range(6)]
    run_one, _, running = stand_in(set(), delay=0.05)
    recorder = Recorder()
    automation.run_stages(plan_run("up", "dev", teams), run_one, 2, recorder)
    assert running[1] == 2
    assert sorted(name for result, name in recorder.events) == sorted(["dev.platform", *(f"dev.{t}" for t in teams)])
    run_one, _, running = stand_in(set(), delay=0.05)
    automation.run_stages(plan_run("up", "dev", teams), run_one, 8, recorder)
    assert running[1] == 6


def test_skipped_stacks_are_in_the_outcomes_with_their_reason() -> None:
    run_one, ran, _ = stand_in(set())
    outcomes = automation.run_stages(plan_run("up", "dev", TEAMS, only=["search"]), run_one, 4, Recorder())
    assert ran == ["dev.search"]
    assert [(o.name, o.result, o.note) for o in outcomes if o.result == "skipped"] == [
        ("dev.platform", "skipped", "not in --teams"),
        ("dev.identity", "skipped", "not in --teams"),
        ("dev.payments", "skipped", "not in --teams"),
    ]


# --- the engine's structured events ---------------------------------------------------------------
def _event(**data: object) -> auto_events.EngineEvent:
    return auto_events.EngineEvent.from_json({"sequence": 1, "timestamp": 0, **data})


def _step(op: str, urn: str) -> dict[str, object]:
    return {"metadata": {"op": op, "urn": urn, "type": "kubernetes:core/v1:Namespace", "provider": ""}}


def test_the_counts_are_the_summary_event_s_else_the_finished_steps() -> None:
    steps_seen: list[tuple[str, str]] = []

    class Steps(Recorder):
        def step(self, stack: str, op: str, urn: str, counts: object) -> None:
            steps_seen.append((op, urn.rsplit("::", 1)[-1]))

    events = automation._Events("dev.search", Steps())
    urn = "urn:pulumi:dev.search::app-of-apps::kubernetes:core/v1:Namespace::search"
    events(_event(resourcePreEvent=_step("create", urn)))
    events(_event(resOutputsEvent=_step("create", urn)))
    events(_event(diagnosticEvent={"message": "error: quota exceeded\n", "color": "never", "severity": "error"}))
    assert steps_seen == [("create", "search"), ("create", "search")]
    assert events.changes(None) == {"create": 1, "update": 0, "replace": 0, "delete": 0, "same": 0}
    assert events.errors == ["error: quota exceeded"]
    events(
        _event(
            summaryEvent={
                "maybeCorrupt": False,
                "durationSeconds": 1,
                "resourceChanges": {"create": 4, "same": 2},
                "PolicyPacks": {},
            }
        )
    )
    assert events.changes({"create": 99}) == {"create": 4, "update": 0, "replace": 0, "delete": 0, "same": 2}


def test_each_run_gets_a_fresh_log_folder(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)
    first = automation.new_log_dir(tmp_path, "up", now)
    second = automation.new_log_dir(tmp_path, "up", now)
    assert first == tmp_path / "build" / "runs" / "20261204T230000Z-up"
    assert second.name == "20261204T230000Z-up-2"
    log = automation._Log(first / "dev.search.log")
    log.line("hello")
    log.close()
    assert (first / "dev.search.log").read_text() == "hello\n"
    assert (first / "dev.search.log").stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        automation._Log(first / "dev.search.log")


# --- changed files, from Git ----------------------------------------------------------------------
def _git(repo: Path, *args: str) -> None:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, env={**env, "PATH": "/usr/bin:/bin"}
    )


def test_changed_since_sees_commits_edits_and_new_files_of_the_working_tree(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "stacks" / "dev", tmp_path / "stacks" / "dev")
    (tmp_path / "Pulumi.yaml").write_text("name: app-of-apps\n")
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    team = tmp_path / "stacks" / "dev" / "teams" / "payments.yaml"
    team.write_text(team.read_text() + "\n# edited\n")
    (tmp_path / "stacks" / "dev" / "teams" / "newteam.yaml").write_text("name: newteam\n")
    (tmp_path / "Pulumi.yaml").write_text("name: app-of-apps\ndescription: x\n")
    changes = {c.path: steps.categorize(c) for c in steps.changed_since(tmp_path, "HEAD")}
    assert changes == {
        "stacks/dev/teams/payments.yaml": "catalog",
        "stacks/dev/teams/newteam.yaml": "catalog",
        "Pulumi.yaml": "stack-config",
    }


# --- the command, its refusals and its output, the runner replaced ------------------------------
def test_up_without_yes_away_from_a_terminal_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(["up", str(ROOT / "stacks" / "dev")]) == 2
    assert "up changes stacks: confirm with --yes when not at a terminal" in capsys.readouterr().err


def test_a_catalog_outside_a_project_s_stacks_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ROOT / "stacks" / "dev", tmp_path / "dev")
    assert cli.run(["preview", str(tmp_path / "dev")]) == 2
    assert "a catalog in the stacks/ folder of a Pulumi project" in capsys.readouterr().err


def test_unknown_teams_are_refused_before_anything_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(["preview", str(ROOT / "stacks" / "dev"), "--teams", "nope"]) == 2
    assert "--teams: nope: no such team in environment dev" in capsys.readouterr().err


def test_an_invalid_environment_runs_no_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(ROOT / "stacks" / "dev", tmp_path / "stacks" / "dev")
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path)
    shutil.copy(ROOT / "Pulumi.dev.yaml", tmp_path)
    team = tmp_path / "stacks" / "dev" / "teams" / "payments.yaml"
    team.write_text(team.read_text().replace("name: payments", "name: payments\nnonsense: 1", 1))
    assert cli.run(["preview", str(tmp_path / "stacks" / "dev")]) == 1
    err = capsys.readouterr().err
    assert "stacks/dev/teams/payments.yaml" in err
    assert not (tmp_path / "build").exists()


def _fake_run(outcomes: list[Outcome], tmp_path: Path):
    def run(plan, root, parallel, listener, prepare=None, log_dir=None, **_: object):
        for outcome in outcomes:
            if outcome.result != "skipped":
                listener.started(outcome.name)
            listener.finished(outcome)
        return outcomes, tmp_path / "build" / "runs" / "20261204T230000Z-up"

    return run


def test_the_summary_and_the_exit_code_name_the_failed_stack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outcomes = [
        Outcome("dev.platform", "succeeded", changes_from({"create": 7}), 2.5),
        Outcome("dev.identity", "succeeded", changes_from({"create": 9}), 3.0),
        Outcome("dev.payments", "failed", changes_from({"create": 4}), 1.5, note="quota exceeded"),
        Outcome("dev.search", "succeeded", changes_from({"create": 9}), 3.0),
    ]
    monkeypatch.setattr(automation, "run", _fake_run(outcomes, tmp_path))
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.run(["up", str(ROOT / "stacks" / "dev"), "--yes"]) == 4
    out = capsys.readouterr().out
    assert "dev.payments: failed in 1.5 s (4 create): quota exceeded" in out
    assert "3 succeeded, 1 failed, 0 skipped; failed: dev.payments" in out
    assert f"logs: {tmp_path}/build/runs/20261204T230000Z-up/<stack>.log" in out
    assert cli.run(["up", str(ROOT / "stacks" / "dev"), "--yes", "--format", "json"]) == 4
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert [(s["name"], s["result"]) for s in data["stacks"]] == [(o.name, o.result) for o in outcomes]
    assert "logs:" in captured.err
    assert "dev.payments: failed" in captured.err


def test_destroy_may_name_a_team_the_catalog_no_longer_has() -> None:
    plan = plan_run("destroy", "dev", TEAMS, only=["gone"])
    assert plan.stages == (("dev.gone",),)
    assert plan.every == (EVERY[0], "dev.gone", *EVERY[1:])
    with pytest.raises(UsageError, match="--teams: gone: no such team"):
        plan_run("up", "dev", TEAMS, only=["gone"])
    with pytest.raises(UsageError, match=r"--teams: \.\./x: no such team"):
        plan_run("destroy", "dev", TEAMS, only=["../x"])


def test_every_output_the_pages_show_is_checked_by_the_e2e_tier() -> None:
    from tests.e2e import test_fleet_stacks, test_orphans_and_interrupt

    assert set(test_fleet_stacks.shown()) == set(test_fleet_stacks.DOC_COMMANDS)
    assert set(test_orphans_and_interrupt.shown()) == set(test_orphans_and_interrupt.DOC_COMMANDS)


# --- orphaned stacks: in the project's listing, no longer in the catalog ----------------------------
def test_stacks_the_catalog_no_longer_deploys_are_named_with_their_destroy_command() -> None:
    plan = plan_run("preview", "dev", TEAMS)
    listed = [
        "dev.platform",
        "dev.payments",
        "acme/app-of-apps/dev.gone",  # a team whose file was removed, as Pulumi Cloud names it
        "dev",  # the environment's one stack, beside the folder's
        "prod.gone",  # another environment's: not this run's business
        "not.a.stack.name",
    ]
    found = orphaned(plan, listed, "stacks/dev")
    assert found == {
        "dev": "the environment's one stack, which a catalog folder does not deploy: its resources stay; move them "
        "with python -m fleet split-stack dev, or destroy them on purpose with pulumi destroy --stack dev",
        "dev.gone": "not in the catalog: its resources stay; destroy them on purpose with "
        "python -m fleet destroy stacks/dev --teams gone --yes",
    }
    assert orphaned(plan, ["dev.platform", *EVERY], "stacks/dev") == {}
    single = plan_run("up", "dev", TEAMS, single=True)
    assert list(orphaned(single, ["dev", "dev.platform", "dev.payments"], "stacks/dev.yaml", single=True)) == [
        "dev.payments",
        "dev.platform",
    ]
    with_them = with_orphans(plan, found)
    assert with_them.selected == plan.selected  # never run, let alone destroyed
    assert with_them.every == ("dev", "dev.platform", "dev.gone", "dev.identity", "dev.payments", "dev.search")


class FakeWorkspace:
    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.calls = 0

    def list_stacks(self) -> list[object]:
        self.calls += 1
        return [type("StackSummary", (), {"name": name})() for name in self.names]


def _fake_runner(workspace: FakeWorkspace, ran: list[str], act=None):
    """StackRunner's stand-in: the workspace's listing when it starts, and each stack succeeding (or `act`)."""

    class Runner:
        def __init__(self, root, operation, log_dir, listener, prepare=None) -> None:
            # As StackRunner starts: the project's stacks listed once (the workspace's `listed`).
            self.workspace, self.listener, self.listing_error = workspace, listener, None
            try:
                workspace.listed = frozenset(s.name for s in workspace.list_stacks())
            except RuntimeError as err:
                workspace.listed, self.listing_error = frozenset(), str(err)

        def __call__(self, name: str) -> Outcome:
            ran.append(name)
            self.listener.started(name)
            if act is not None:
                return act(name)
            return Outcome(name, "succeeded", changes_from({"same": 3}), 0.2)

    return Runner


def test_preview_names_the_orphaned_stack_in_the_summary_and_never_runs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = FakeWorkspace(["dev.platform", "dev.gone", "dev.payments"])
    ran: list[str] = []
    monkeypatch.setattr(automation, "StackRunner", _fake_runner(workspace, ran))
    monkeypatch.setattr(automation, "new_log_dir", lambda root, op: tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    catalog = ROOT / "stacks" / "dev"
    assert cli.run(["preview", str(catalog), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert workspace.calls == 1  # one listing of the project's stacks
    assert "dev.gone" not in ran
    data = json.loads(captured.out)
    gone = [s for s in data["stacks"] if s["name"] == "dev.gone"]
    assert gone == [
        {
            "name": "dev.gone",
            "result": "skipped",
            "changes": {"create": 0, "update": 0, "replace": 0, "delete": 0, "same": 0},
            "seconds": 0.0,
            "note": f"not in the catalog: its resources stay; destroy them on purpose with "
            f"python -m fleet destroy {catalog} --teams gone --yes",
        }
    ]
    assert (
        f"warning: dev.gone: not in the catalog: its resources stay; destroy them on purpose with "
        f"python -m fleet destroy {catalog} --teams gone --yes" in captured.err
    )
    assert cli.run(["up", str(catalog), "--yes"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^dev\.gone +skipped( +-){6} +not in the catalog: its resources stay", out, re.MULTILINE)
    assert workspace.calls == 2
    assert cli.run(["refresh", str(catalog), "--yes"]) == 0  # refresh and destroy do not name them
    assert workspace.calls == 3  # one listing a run
    assert "dev.gone" not in capsys.readouterr().out
    assert "dev.gone" not in ran


def test_a_listing_that_fails_is_a_warning_and_the_stacks_still_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken(FakeWorkspace):
        def list_stacks(self) -> list[object]:
            raise RuntimeError("no backend\nmore")

    ran: list[str] = []
    monkeypatch.setattr(automation, "StackRunner", _fake_runner(Broken([]), ran))
    monkeypatch.setattr(automation, "new_log_dir", lambda root, op: tmp_path)
    assert cli.run(["preview", str(ROOT / "stacks" / "dev"), "--teams", "platform"]) == 0
    assert "warning: cannot list the project's stacks, orphaned stacks not checked: no backend" in (
        capsys.readouterr().err
    )
    assert ran == ["dev.platform"]


# --- Ctrl-C -----------------------------------------------------------------------------------------
def test_an_interrupt_starts_no_other_stack_and_marks_the_running_ones_interrupted() -> None:
    interrupt = threading.Event()
    teams = [f"t{i}" for i in range(5)]

    t1_running = threading.Event()

    def run_one(stack: str) -> Outcome:
        if stack == "dev.t0":
            assert t1_running.wait(5)
            interrupt.set()  # Ctrl-C while dev.t0 and dev.t1 run
            return Outcome(stack, "failed", changes_from({"create": 1}), 0.1, note="error: update canceled")
        if stack == "dev.t1":
            t1_running.set()
            time.sleep(0.05)
        return Outcome(stack, "succeeded", changes_from({"create": 1}), 0.1)

    recorder = Recorder()
    outcomes = automation.run_stages(plan_run("up", "dev", teams), run_one, 2, recorder, interrupt)
    results = {o.name: (o.result, o.note) for o in outcomes}
    assert results["dev.platform"] == ("succeeded", "")
    assert results["dev.t0"] == ("failed", automation.INTERRUPTED)
    assert results["dev.t1"] == ("succeeded", "")  # it finished: what it did stands
    for stack in ("dev.t2", "dev.t3", "dev.t4"):
        assert results[stack] == ("skipped", automation.NOT_STARTED)
    interrupt = threading.Event()
    interrupt.set()
    outcomes = automation.run_stages(plan_run("up", "dev", teams), run_one, 2, Recorder(), interrupt)
    assert {o.result for o in outcomes} == {"skipped"}


@pytest.fixture
def python_handles_ctrl_c() -> Iterator[None]:
    """SIGINT handled as Python does by default, whatever this test process inherited (a runner
    started with `nohup` or in a script's background ignores it); put back afterwards."""
    import signal

    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, inherited)


@pytest.mark.usefixtures("python_handles_ctrl_c")
def test_ctrl_c_prints_the_summary_keeps_the_logs_and_exits_130_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal

    def act(name: str) -> Outcome:
        if name == "dev.platform":
            return Outcome(name, "succeeded", changes_from({"same": 3}), 0.2)
        if name == "dev.identity":
            os.kill(os.getpid(), signal.SIGINT)  # the first team stack: Ctrl-C
            time.sleep(0.2)  # the handler runs in the main thread meanwhile
            return Outcome(name, "failed", changes_from({"update": 1}), 0.3, note="error: update canceled")
        return Outcome(name, "succeeded", changes_from({"same": 3}), 0.2)

    ran: list[str] = []
    monkeypatch.setattr(automation, "StackRunner", _fake_runner(FakeWorkspace([]), ran, act))
    monkeypatch.setattr(automation, "new_log_dir", lambda root, op: tmp_path)
    previous = signal.getsignal(signal.SIGINT)
    assert cli.run(["up", str(ROOT / "stacks" / "dev"), "--yes", "--parallel", "1"]) == 130
    assert signal.getsignal(signal.SIGINT) is previous  # Ctrl-C is Python's again
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "interrupted: no other stack starts" in captured.err
    assert ran == ["dev.platform", "dev.identity"]
    assert re.search(r"^dev\.identity +failed( +\d+){5} +[\d.]+ +interrupted$", captured.out, re.MULTILINE)
    assert re.search(r"^dev\.search +skipped( +-){6} +not started: the run was interrupted$", captured.out, re.M)
    assert "logs: " in captured.out


@pytest.mark.usefixtures("python_handles_ctrl_c")
@pytest.mark.parametrize("by_terminal", [False, True], ids=["sent to this process alone", "sent by the terminal"])
def test_each_pulumi_child_gets_the_interrupt_once_and_a_second_one_on_a_second_ctrl_c(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_terminal: bool
) -> None:
    import os
    import signal
    import subprocess

    fake = tmp_path / "pulumi"  # the process name the forwarder looks for, as the CLI's
    fake.write_text("#!/bin/bash\ntrap 'echo INT >> \"$1\"' INT\nwhile :; do sleep 0.05; done\n")
    fake.chmod(0o755)
    monkeypatch.setattr(automation, "_terminal_sent_it", lambda: by_terminal)
    said: list[str] = []

    def got(record: Path, count: int) -> bool:
        """Whether the fake pulumi writing `record` got exactly `count` interrupts (waiting for them)."""

        def seen() -> int:
            return record.read_text().count("INT") if record.exists() else 0

        deadline = time.monotonic() + 5
        while seen() < count and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # and no more than that
        return seen() == count

    children = []
    try:
        with automation.interruptible(threading.Event(), said.append) as interrupt:
            running = subprocess.Popen([str(fake), str(tmp_path / "running")])
            children.append(running)
            time.sleep(0.3)
            os.kill(os.getpid(), signal.SIGINT)  # no KeyboardInterrupt: the run goes on
            time.sleep(0.1)
            assert interrupt.is_set()
            later = subprocess.Popen([str(fake), str(tmp_path / "later")])  # a stack's pulumi started after it
            children.append(later)
            assert got(tmp_path / "later", 1)
            assert got(tmp_path / "running", 0 if by_terminal else 1)
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C again
            time.sleep(0.5)
            assert got(tmp_path / "running", 0 if by_terminal else 2)
            assert got(tmp_path / "later", 1 if by_terminal else 2)
    finally:
        for child in children:
            child.kill()
            child.wait()
    assert said[0].startswith("interrupted: no other stack starts")
    assert said[1].startswith("interrupted again")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Python's again


def test_a_run_started_with_interrupts_ignored_keeps_ignoring_them(monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    monkeypatch.setattr(signal, "getsignal", lambda signum: signal.SIG_IGN if signum == signal.SIGINT else None)
    installed: list[object] = []
    monkeypatch.setattr(signal, "signal", lambda signum, handler: installed.append(handler))
    with automation.interruptible(threading.Event(), print) as interrupt:
        assert not interrupt.is_set()
    assert installed == []  # nohup's choice stands: no handler of ours, none to restore


def test_a_one_file_catalog_runs_its_one_stack_through_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", project)
    stack_file = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    stack_file["config"]["app-of-apps:fleet"] = "stacks/dev.yaml"
    (project / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack_file))
    joined = subprocess.run(
        [
            sys.executable,
            "-m",
            "fleet",
            "join",
            str(ROOT / "stacks" / "dev"),
            "--out",
            str(project / "stacks/dev.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert joined.returncode == 0, joined.stderr
    workspace = FakeWorkspace(["dev", "dev.platform", "dev.payments"])  # a folder's stacks, from before
    ran: list[str] = []
    monkeypatch.setattr(automation, "StackRunner", _fake_runner(workspace, ran))
    monkeypatch.setattr(automation, "new_log_dir", lambda root, op: tmp_path)
    assert cli.run(["up", str(project / "stacks" / "dev.yaml"), "--yes", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert ran == ["dev"]
    assert [(s["name"], s["result"]) for s in json.loads(captured.out)["stacks"]] == [
        ("dev", "succeeded"),
        ("dev.platform", "skipped"),
        ("dev.payments", "skipped"),
    ]
    assert "warning: dev.payments: a one-file catalog deploys one stack, dev: its resources stay" in captured.err
    assert cli.run(["up", str(project / "stacks" / "dev.yaml"), "--yes", "--teams", "payments"]) == 2
    assert "catalog is one file, deployed as one stack (dev)" in capsys.readouterr().err


def test_ctrl_c_before_any_stack_started_is_exit_130_without_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fleet.cli import stacks as command

    def interrupted(_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "load", interrupted)  # Ctrl-C while the catalog loads
    assert cli.run(["up", str(ROOT / "stacks" / "dev"), "--yes"]) == 130
    captured = capsys.readouterr()
    assert captured.err == "up: interrupted; no stack ran\n"
    assert captured.out == ""


def test_a_team_file_removed_since_the_revision_is_warned_about_once_and_never_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "stacks" / "dev", project / "stacks" / "dev")
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(ROOT / name, project)
    (project / "stacks" / "dev" / "teams" / "gone.yaml").write_text(
        "name: gone\ndescription: A team that leaves\nowners: [fay@acme.example]\ncode_owners: ['@acme/gone']\n"
    )
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "base")
    (project / "stacks" / "dev" / "teams" / "gone.yaml").unlink()
    (project / "docs").mkdir()
    (project / "docs" / "x.md").write_text("documentation alone selects no stack\n")
    workspace = FakeWorkspace(["dev.platform", "dev.gone", "dev.search"])
    ran: list[str] = []
    monkeypatch.setattr(automation, "StackRunner", _fake_runner(workspace, ran))
    monkeypatch.setattr(automation, "new_log_dir", lambda root, op: tmp_path)
    catalog = str(project / "stacks" / "dev")
    assert cli.run(["up", catalog, "--changed-since", "HEAD", "--yes", "--format", "json"]) == 0
    captured = capsys.readouterr()
    # The removed team's stack is not run, and a docs change runs nothing; the platform stack runs:
    # its `platform` output names the environment's teams.
    assert ran == ["dev.platform"]
    assert captured.err.count("warning: dev.gone: not in the catalog") == 1
    assert f"python -m fleet destroy {catalog} --teams gone --yes" in captured.err
    results = {s["name"]: s["result"] for s in json.loads(captured.out)["stacks"]}
    assert results["dev.gone"] == "skipped"
    assert results["dev.platform"] == "succeeded"
    assert {r for name, r in results.items() if name != "dev.platform"} == {"skipped"}
