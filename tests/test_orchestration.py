"""fleet.orchestration (which stacks run, in which order, what the run came to) and the stage
runner of fleet.io.automation against stand-ins of the Automation API: one stack's failure
stops no other, and the exit code and summary name it. The real engine runs the same command
in tests/e2e/test_fleet_stacks.py."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from pulumi.automation import events as auto_events

from fleet.cli import main as cli
from fleet.io import automation
from fleet.orchestration import (
    Change,
    Outcome,
    blocked_by,
    changed_stacks,
    changes_from,
    plain_table,
    plan_run,
    run_summary,
    verdict,
)
from fleet.pipeline import steps
from fleet.text.problems import UsageError
from tests.conftest import ROOT

TEAMS = ["search", "payments", "identity"]
EVERY = ("dev.platform", "dev.identity", "dev.payments", "dev.search")


def catalog_change(path: str) -> Change:
    return Change(path, "catalog")


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


@pytest.mark.parametrize(
    ("changes", "selected"),
    [
        ([catalog_change("stacks/dev/teams/payments.yaml")], ("dev.payments",)),
        (
            [catalog_change("stacks/dev/teams/payments.yaml"), catalog_change("stacks/dev/teams/search.yaml")],
            ("dev.payments", "dev.search"),
        ),
        ([catalog_change("stacks/dev/platform.yaml")], EVERY),
        ([catalog_change("stacks/dev/teams/payments.yaml"), Change("components/team.py", "code")], EVERY),
        ([Change("Pulumi.dev.yaml", "stack-config")], EVERY),
        ([Change("policies/__main__.py", "policies")], EVERY),
        ([catalog_change("stacks/prod/teams/payments.yaml")], ()),
        ([catalog_change("stacks/prod/platform.yaml")], ()),
        ([], ()),
    ],
)
def test_changed_files_select_stacks_through_the_pipeline_categories(
    changes: list[Change], selected: tuple[str, ...]
) -> None:
    changed, _ = changed_stacks("dev", TEAMS, "stacks/dev", changes)
    plan = plan_run("preview", "dev", TEAMS, changed=changed, since="main")
    assert plan.selected == tuple(s for s in EVERY if s in selected)
    assert all(why == "nothing it deploys changed since main" for _, why in plan.skipped)
    assert {s for s, _ in plan.skipped} == set(EVERY) - set(selected)


def test_a_one_file_catalog_changed_means_every_stack() -> None:
    changed, _ = changed_stacks("dev", TEAMS, "stacks/dev.yaml", [catalog_change("stacks/dev.yaml")])
    assert plan_run("up", "dev", TEAMS, changed=changed).selected == EVERY


def test_a_removed_team_file_is_reported_not_run() -> None:
    changed, removed = changed_stacks("dev", TEAMS, "stacks/dev", [catalog_change("stacks/dev/teams/gone.yaml")])
    plan = plan_run("up", "dev", TEAMS, changed=changed, removed=removed)
    assert plan.selected == ()
    assert plan.removed == ("dev.gone",)


def test_teams_and_changed_since_intersect() -> None:
    changes = [catalog_change("stacks/dev/teams/payments.yaml"), catalog_change("stacks/dev/teams/search.yaml")]
    changed, _ = changed_stacks("dev", TEAMS, "stacks/dev", changes)
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
    def run(plan, root, parallel, listener, prepare=None, log_dir=None, inputs=None, run_all=False):
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


def test_every_output_the_page_shows_is_checked_by_the_e2e_tier() -> None:
    from tests.e2e import test_fleet_stacks

    assert set(test_fleet_stacks.shown()) == set(test_fleet_stacks.DOC_COMMANDS)
