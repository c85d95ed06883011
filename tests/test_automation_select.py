"""fleet.io.automation.StackRunner lists the project's stacks once and selects none of them again
(no `pulumi stack select` for a stack that exists); a stack the listing does not name is created
or selected under the workspace's lock as before. Against a stand-in `pulumi` on PATH that records
each call: the Automation API itself runs unchanged."""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

import pytest

from fleet.io import automation
from fleet.orchestration import Outcome

FAKE = r'''#!PYTHON
"""A stand-in `pulumi`: records its argv (and the environment it was given), answers from STATE."""
import json, os, sys
state_dir = os.environ["FAKE_PULUMI_STATE"]
stacks_file = os.path.join(state_dir, "stacks.json")
argv = [a for a in sys.argv[1:] if a != "--non-interactive"]
with open(os.path.join(state_dir, "calls.jsonl"), "a") as log:
    log.write(json.dumps({"argv": argv, "backend": os.environ.get("PULUMI_BACKEND_URL"),
                          "passphrase": os.environ.get("PULUMI_CONFIG_PASSPHRASE"),
                          "kubeconfig": os.environ.get("KUBECONFIG")}) + "\n")
stacks = json.load(open(stacks_file))
def value(flag):
    return argv[argv.index(flag) + 1] if flag in argv else None
if argv[:1] == ["version"]:
    print("v3.200.0")
elif argv[:2] == ["stack", "ls"]:
    if os.environ.get("FAKE_PULUMI_LS_FAILS"):
        print("error: the backend cannot be read", file=sys.stderr)
        sys.exit(255)
    print(json.dumps([{"name": s, "current": False} for s in stacks]))
elif argv[:2] == ["stack", "select"]:
    name = value("--stack")
    if name not in stacks:
        print(f"error: no stack named '{name}' found", file=sys.stderr)
        sys.exit(255)
elif argv[:2] == ["stack", "init"]:
    stacks.append(argv[2])
    json.dump(stacks, open(stacks_file, "w"))
elif argv[:2] == ["stack", "history"]:  # what the Automation API reads after destroy
    when = "2026-12-05T00:00:00.000000Z"
    print(json.dumps([{"kind": "destroy", "startTime": when, "endTime": when, "message": "", "environment": {},
                       "config": {}, "result": "succeeded", "resourceChanges": {"delete": 2}}]))
elif argv[:1] in (["preview"], ["destroy"]):
    name = value("--stack")
    if name not in stacks:
        print(f"error: no stack named '{name}' found", file=sys.stderr)
        sys.exit(255)
    with open(value("--event-log"), "a") as events:
        changes = {"same": 2}
        events.write(json.dumps({"sequence": 1, "timestamp": 0, "summaryEvent": {"resourceChanges": changes}}) + "\n")
        events.write(json.dumps({"sequence": 2, "timestamp": 0, "cancelEvent": {}}) + "\n")
    print(f"{argv[0]} of {name}")
else:
    print("unexpected: " + " ".join(argv), file=sys.stderr)
    sys.exit(1)
'''


class Quiet:
    def started(self, stack: str) -> None:
        pass

    def step(self, stack: str, op: str, urn: str, counts: Mapping[str, int]) -> None:
        pass

    def finished(self, outcome: Outcome) -> None:
        pass


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder, and a `pulumi` on PATH that knows the stacks in state/stacks.json."""
    bin_dir, state = tmp_path / "bin", tmp_path / "state"
    bin_dir.mkdir()
    state.mkdir()
    (state / "stacks.json").write_text(json.dumps(["dev.platform", "dev.payments"]))
    pulumi = bin_dir / "pulumi"
    pulumi.write_text(FAKE.replace("PYTHON", sys.executable, 1))
    pulumi.chmod(pulumi.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_PULUMI_STATE", str(state))
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path}/backend")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "not-a-secret")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    monkeypatch.delenv("FAKE_PULUMI_LS_FAILS", raising=False)
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: fake\nruntime: python\n")
    return tmp_path


def _calls(fake: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (fake / "state" / "calls.jsonl").read_text().splitlines()]


def _commands(fake: Path) -> list[list[str]]:
    """Each call as [command, sub-command or stack..., the stack it names]: `stack select dev.a`."""
    out = []
    for call in _calls(fake):
        argv: list[str] = call["argv"]  # type: ignore[assignment]
        words = [a for a in argv if a != "--non-interactive"]
        named = [words[words.index("--stack") + 1]] if "--stack" in words else []
        head = words[:2] if words[0] == "stack" else words[:1]
        out.append(head + named)
    return out


def _runner(fake: Path, operation: str, prepared: list[str] | None = None) -> automation.StackRunner:
    log_dir = fake / "logs"
    log_dir.mkdir(exist_ok=True)

    def prepare(root: Path, stack: str) -> None:
        if prepared is not None:
            prepared.append(stack)

    return automation.StackRunner(fake / "project", operation, log_dir, Quiet(), prepare)  # type: ignore[arg-type]


def test_a_listed_stack_is_not_selected_and_a_new_one_is_created(fake: Path) -> None:
    prepared: list[str] = []
    runner = _runner(fake, "preview", prepared)
    outcomes = [runner(name) for name in ("dev.platform", "dev.payments", "dev.search")]
    assert [o.result for o in outcomes] == ["succeeded"] * 3, outcomes
    assert all(o.changes["same"] == 2 for o in outcomes)
    commands = _commands(fake)
    assert commands.count(["stack", "ls"]) == 1  # once for the run
    selected = [c for c in commands if c[:2] == ["stack", "select"]]
    assert selected == [["stack", "select", "dev.search"]]  # only the stack the listing did not name
    assert ["stack", "init"] in commands
    assert [c for c in commands if c[:1] == ["preview"]] == [
        ["preview", "dev.platform"],
        ["preview", "dev.payments"],
        ["preview", "dev.search"],
    ]
    # Prepared once when listed; before and after `stack init` when new.
    assert prepared == ["dev.platform", "dev.payments", "dev.search", "dev.search"]


def test_every_call_gets_this_process_s_backend_passphrase_and_kubeconfig(fake: Path) -> None:
    runner = _runner(fake, "preview")
    runner("dev.payments")
    runner("dev.search")
    for call in _calls(fake):
        assert call["backend"] == f"file://{fake}/backend", call
        assert call["passphrase"] == "not-a-secret", call
        assert call["kubeconfig"] == str(fake / "kubeconfig"), call


def test_destroy_skips_a_stack_that_does_not_exist_and_runs_a_listed_one(fake: Path) -> None:
    runner = _runner(fake, "destroy")
    gone, there = runner("dev.nowhere"), runner("dev.payments")
    assert (gone.result, gone.note) == ("skipped", "no such stack: nothing to destroy")
    assert there.result == "succeeded", there
    commands = _commands(fake)
    assert ["stack", "select", "dev.nowhere"] in commands
    assert ["stack", "select", "dev.payments"] not in commands
    assert ["stack", "init"] not in commands  # destroy never creates


def test_when_the_listing_fails_every_stack_is_selected_as_before(fake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_PULUMI_LS_FAILS", "1")
    runner = _runner(fake, "preview")
    assert runner.workspace.listed == frozenset()
    assert runner("dev.payments").result == "succeeded"
    assert ["stack", "select", "dev.payments"] in _commands(fake)


def test_stacks_side_by_side_select_nothing_and_create_one_at_a_time(fake: Path) -> None:
    runner = _runner(fake, "preview")
    names = ["dev.platform", "dev.payments", "dev.a", "dev.b", "dev.c"]
    results: dict[str, Outcome] = {}
    threads = [threading.Thread(target=lambda n=n: results.__setitem__(n, runner(n))) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {n: o.result for n, o in results.items()} == dict.fromkeys(names, "succeeded")
    commands = _commands(fake)
    assert sorted(c[2] for c in commands if c[:2] == ["stack", "select"]) == ["dev.a", "dev.b", "dev.c"]
    assert sorted(json.loads((fake / "state" / "stacks.json").read_text())) == sorted(names)
    assert commands.count(["stack", "init"]) == 3
