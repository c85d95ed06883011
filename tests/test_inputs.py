"""A stack's inputs digest and the decision to skip an unchanged stack (fleet.orchestration.inputs,
fleet.io.inputs), and the runner's use of them against stand-ins of the Automation API and the
`pulumi` CLI (fleet.io.automation.StackRunner): no engine here. The real engine runs the same
command in tests/e2e/test_fleet_stacks.py."""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from fleet.cli import main as cli
from fleet.compiler import load_state
from fleet.io import automation
from fleet.io import inputs as io_inputs
from fleet.io.stacks import prepare, stack_file_bytes
from fleet.orchestration import Outcome, plan_run
from fleet.orchestration.inputs import (
    Latest,
    Program,
    code_digest,
    decide,
    latest_change,
    message,
    recorded,
    rendered,
    stack_digest,
    whole,
)
from tests.conftest import ROOT

DIGEST = "ab" * 32
OTHER = "cd" * 32
PROGRAM = Program(
    code="c" * 64,
    project_file=b"name: app-of-apps\n",
    versions={"pulumi": "3.272.0", "pulumi-kubernetes": "4.34.2", "pulumi-aws": "7.51.1", "pulumi-okta": "7.0.1"},
    cli="3.274.1",
)


# --- the digest -----------------------------------------------------------------------------------
def test_each_input_changes_the_digest() -> None:
    base = stack_digest("r" * 64, b"config: {}\n", PROGRAM, "p" * 64)
    variants = [
        stack_digest("s" * 64, b"config: {}\n", PROGRAM, "p" * 64),  # the rendered part or outputs
        stack_digest("r" * 64, b"config: {a: 1}\n", PROGRAM, "p" * 64),  # the stack file's bytes
        stack_digest("r" * 64, b"config: {}\n", PROGRAM, "q" * 64),  # the platform's inputs
        stack_digest("r" * 64, b"config: {}\n", PROGRAM, None),  # no platform (the platform stack)
        stack_digest("r" * 64, b"config: {}\n", replace(PROGRAM, code="d" * 64), "p" * 64),
        stack_digest("r" * 64, b"config: {}\n", replace(PROGRAM, project_file=b"name: x\n"), "p" * 64),
        stack_digest("r" * 64, b"config: {}\n", replace(PROGRAM, cli="3.275.0"), "p" * 64),
    ]
    for package in PROGRAM.versions:
        versions = {**PROGRAM.versions, package: "9.9.9"}
        variants.append(stack_digest("r" * 64, b"config: {}\n", replace(PROGRAM, versions=versions), "p" * 64))
    assert base not in variants
    assert len(set(variants)) == len(variants)
    assert stack_digest("r" * 64, b"config: {}\n", PROGRAM, "p" * 64) == base  # the same inputs, the same digest


def test_the_whole_environment_s_part_is_every_part_in_any_order() -> None:
    parts = {"dev.platform": "a" * 64, "dev.payments": "b" * 64, "dev.search": "c" * 64}
    assert whole(parts) == whole(dict(reversed(parts.items())))
    for stack in parts:
        assert whole({**parts, stack: "d" * 64}) != whole(parts), stack
    # A part moved to another stack's name is another environment.
    assert whole({"dev.platform": "b" * 64, "dev.payments": "a" * 64, "dev.search": "c" * 64}) != whole(parts)
    assert whole({k: v for k, v in parts.items() if k != "dev.search"}) != whole(parts)


def test_the_code_digest_sees_every_file_in_any_order() -> None:
    files = {"fleet/a.py": b"x = 1\n", "components/b.py": b"y = 2\n", "__main__.py": b"import x\n"}
    digest = code_digest(files)
    assert code_digest(dict(reversed(list(files.items())))) == digest
    assert code_digest({**files, "fleet/a.py": b"x = 2\n"}) != digest  # an edit
    assert code_digest({**files, "fleet/c.py": b""}) != digest  # a new file, even empty
    assert code_digest({k: v for k, v in files.items() if k != "components/b.py"}) != digest  # a removed one
    renamed = {("fleet/z.py" if k == "fleet/a.py" else k): v for k, v in files.items()}
    assert code_digest(renamed) != digest
    assert rendered("r", {"fleet": {"a": 1}, "platform": {"b": 2}}) == rendered(
        "r", {"platform": {"b": 2}, "fleet": {"a": 1}}
    )


def _environment(tmp_path: Path) -> Path:
    """A project with the shipped dev folder and its stack files (a stack of its own per split stack)."""
    shutil.copytree(ROOT / "stacks" / "dev", tmp_path / "stacks" / "dev")
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "components", tmp_path / "components", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _digests(root: Path) -> dict[str, str]:
    _, state = load_state(root / "stacks" / "dev")
    inputs = io_inputs.StackInputs(root, io_inputs.renders(state), stack_file_bytes)
    return {stack: inputs.digest(stack, "3.274.1") for stack in inputs.renders}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, path
    path.write_text(text.replace(old, new, 1))


def test_a_team_s_edit_changes_its_stack_s_digest_alone(tmp_path: Path) -> None:
    root = _environment(tmp_path)
    before = _digests(root)
    # The split stacks, and the stack named like the environment (a one-file catalog's), which holds all.
    assert set(before) == {"dev", "dev.platform", "dev.identity", "dev.payments", "dev.search"}
    team = root / "stacks" / "dev" / "teams" / "payments.yaml"
    description = yaml.safe_load(team.read_text())["description"]
    _edit(team, description, description + " (edited)")
    after = _digests(root)
    assert {s for s in before if before[s] != after[s]} == {"dev", "dev.payments"}


def test_a_platform_change_changes_every_stack_s_digest(tmp_path: Path) -> None:
    root = _environment(tmp_path)
    before = _digests(root)
    # A new team: the platform's `platform` output names it (and the admission policy guards its namespace).
    (root / "stacks" / "dev" / "teams" / "billing.yaml").write_text(
        "name: billing\ndescription: Billing\nowners: [fay@acme.example]\n"
    )
    added = _digests(root)
    assert all(before[s] != added[s] for s in before), "a new team changes the platform: every stack runs"
    # An edit of the platform's file that changes no stack's render (a check's setting): no stack runs.
    _edit(
        root / "stacks" / "dev" / "platform.yaml",
        "reserved_namespaces: [platform-tools]",
        "reserved_namespaces: [tools]",
    )
    assert _digests(root) == added


def test_the_stack_file_the_program_and_the_versions_change_the_digests(tmp_path: Path) -> None:
    root = _environment(tmp_path)
    before = _digests(root)
    (root / "components" / "new_module.py").write_text("")  # the program's code
    code = _digests(root)
    assert all(before[s] != code[s] for s in before)
    # One stack's own file (its secrets salt, as `stack init` writes it): that stack, and the
    # teams when it is the platform's.
    (root / "Pulumi.dev.search.yaml").write_text("encryptionsalt: v1:salt\n")
    salted = _digests(root)
    assert {s for s in code if code[s] != salted[s]} == {"dev.search"}
    (root / "Pulumi.dev.platform.yaml").write_text("encryptionsalt: v1:other\n")
    platform = _digests(root)
    assert {s for s in salted if salted[s] != platform[s]} == set(salted) - {"dev"}  # `dev` reads Pulumi.dev.yaml
    # The environment's reviewed stack file: every stack.
    _edit(root / "Pulumi.dev.yaml", "config:", "config:\n  app-of-apps:kubeContext: elsewhere")
    reviewed = _digests(root)
    assert all(platform[s] != reviewed[s] for s in platform)


def test_the_stack_file_bytes_are_those_prepare_writes(tmp_path: Path) -> None:
    root = _environment(tmp_path)
    (root / "Pulumi.dev.search.yaml").write_text("encryptionsalt: v1:salt\n")
    expected = stack_file_bytes(root, "dev.search")
    assert prepare(root, "dev.search").read_bytes() == expected
    assert stack_file_bytes(root, "dev") == (root / "Pulumi.dev.yaml").read_bytes()  # the reviewed file as it is


def test_the_program_s_files_are_the_project_s_and_its_versions_the_virtualenv_s(tmp_path: Path) -> None:
    root = _environment(tmp_path)
    (root / "components" / "__pycache__").mkdir(exist_ok=True)
    (root / "components" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    files = io_inputs.program_files(root)
    assert "__main__.py" in files
    assert "components/providers.py" in files
    assert not any("__pycache__" in path or path.endswith(".pyc") for path in files)
    assert "fleet/orchestration/inputs.py" in files  # not in the copy: where this interpreter finds it
    site = root / ".venv" / "lib" / "python3.11" / "site-packages"
    (site / "pulumi_aws-1.2.3.dist-info").mkdir(parents=True)
    (site / "pulumi_aws-1.2.3.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pulumi-aws\nVersion: 1.2.3\n"
    )
    found = io_inputs.versions(root, (root / "Pulumi.yaml").read_bytes())
    assert found["pulumi-aws"] == "1.2.3"  # the virtualenv Pulumi.yaml names, not this interpreter's
    assert found["pulumi"]  # not in that virtualenv: this interpreter's
    assert io_inputs.versions(root, b"name: x\n")["pulumi-aws"] != "1.2.3"


# --- the decision ---------------------------------------------------------------------------------
def _update(**fields: Any) -> Latest:
    base: dict[str, Any] = {
        "kind": "update",
        "result": "succeeded",
        "message": message(DIGEST),
        "end_time": "2026-12-05T02:13:03.000Z",
    }
    return Latest(**{**base, **fields})


@pytest.mark.parametrize(
    ("latest", "unreadable", "runs", "why"),
    [
        (_update(), "", False, "unchanged since its update of 2026-12-05T02:13:03.000Z, inputs sha256:abababababab"),
        (None, "", True, "no update in its history"),
        (None, "error: no stack named 'dev.x' found", True, "its history could not be read"),
        (_update(), "error: backend unreachable", True, "its history could not be read"),
        (_update(kind="refresh"), "", True, "its last operation is a refresh"),
        (_update(kind="destroy"), "", True, "its last operation is a destroy"),
        (_update(kind="import"), "", True, "its last operation is a import"),
        (_update(kind="resource-import"), "", True, "its last operation is a resource-import"),
        (_update(result="failed"), "", True, "its last update failed"),
        (_update(result="in-progress"), "", True, "its last update in-progress"),
        (_update(result="cancelled"), "", True, "its last update cancelled"),
        (_update(message=""), "", True, "records no inputs digest"),  # `pulumi up` by hand
        (_update(message="fix the quota"), "", True, "records no inputs digest"),
        (_update(message=message(DIGEST)[:-1]), "", True, "records no inputs digest"),  # a cut digest
        (_update(message=message(OTHER)), "", True, "its inputs changed since its last update"),
    ],
)
def test_the_decision_table(latest: Latest | None, unreadable: str, runs: bool, why: str) -> None:
    decision = decide(DIGEST, latest, unreadable=unreadable)
    assert decision.run is runs
    assert why in decision.reason


def test_the_message_records_exactly_one_digest() -> None:
    assert message(DIGEST) == f"app-of-apps inputs sha256:{DIGEST}"
    assert recorded(message(DIGEST)) == DIGEST
    assert recorded(None) is None
    assert recorded("app-of-apps inputs sha256:" + "g" * 64) is None
    assert recorded("app-of-apps inputs sha256:" + DIGEST.upper()) is None


def test_previews_in_the_history_are_passed_over() -> None:
    up, preview = _update(), Latest("preview", "succeeded")
    assert latest_change([preview, preview, up]) is up
    assert latest_change([up, preview]) is up
    assert latest_change([preview]) is preview
    assert decide(DIGEST, latest_change([preview])).run is True
    assert latest_change([]) is None


# --- the runner, with stand-ins for the workspace and the stacks ----------------------------------
class FakeCommand:
    """`pulumi` as the workspace runs it: the history answered from a table."""

    def __init__(self, history: dict[str, list[dict[str, Any]] | Exception]) -> None:
        self.history = history
        self.calls: list[list[str]] = []
        self.lock = threading.Lock()

    def run(self, args: list[str], cwd: str, env: dict[str, str], *rest: Any) -> SimpleNamespace:
        with self.lock:
            self.calls.append(list(args))
        if args[:2] == ["stack", "history"]:
            answer = self.history.get(args[args.index("--stack") + 1], [])
            if isinstance(answer, Exception):
                raise answer
            return SimpleNamespace(stdout=json.dumps(answer[: int(args[args.index("--page-size") + 1])]))
        raise AssertionError(args)


class FakeStack:
    def __init__(self, name: str, ran: list[tuple[str, str, dict[str, Any]]]) -> None:
        self.name, self.ran = name, ran

    def _run(self, operation: str, **kwargs: Any) -> SimpleNamespace:
        self.ran.append((self.name, operation, {k: v for k, v in kwargs.items() if k == "message"}))
        return SimpleNamespace(change_summary={"same": 3}, summary=SimpleNamespace(resource_changes={"same": 3}))

    def preview(self, **kwargs: Any) -> SimpleNamespace:
        return self._run("preview", **kwargs)

    def up(self, **kwargs: Any) -> SimpleNamespace:
        return self._run("up", **kwargs)

    def refresh(self, **kwargs: Any) -> SimpleNamespace:
        return self._run("refresh", **kwargs)


class Listener:
    def __init__(self) -> None:
        self.began: list[str] = []

    def started(self, stack: str) -> None:
        self.began.append(stack)

    def step(self, *args: Any) -> None:
        pass

    def finished(self, outcome: Outcome) -> None:
        pass


class FixedInputs:
    """StackInputs' interface: each stack's digest from a table."""

    def __init__(self, digests: dict[str, str]) -> None:
        self.digests = digests

    def digest(self, stack: str, cli_version: str) -> str:
        assert cli_version == "3.274.1"
        return self.digests[stack]


def _entry(kind: str, result: str, msg: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "result": result,
        "message": msg,
        "startTime": "2026-12-05T02:13:02.000Z",
        "endTime": "2026-12-05T02:13:03.000Z",
        "resourceChanges": {"same": 3},
    }


def _runner(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    operation: str,
    command: FakeCommand,
    inputs: FixedInputs | None,
    listed: tuple[str, ...] = (),
) -> tuple[automation.StackRunner, list[tuple[str, str, dict[str, Any]]], Listener]:
    class Workspace:
        def __init__(self, **kwargs: Any) -> None:
            self.work_dir = str(tmp_path)
            self.env_vars: dict[str, str] = {}
            self.pulumi_home = None
            self.pulumi_command = command
            self.pulumi_version = "3.274.1"

        def list_stacks(self) -> list[Any]:
            return [SimpleNamespace(name=name) for name in listed]

    monkeypatch.setattr(automation, "_listing_workspace", lambda auto: Workspace)
    listener = Listener()
    runner = automation.StackRunner(tmp_path, operation, tmp_path, listener)  # type: ignore[arg-type]
    runner.inputs = inputs  # type: ignore[assignment]
    ran: list[tuple[str, str, dict[str, Any]]] = []
    runner._stack = lambda name: FakeStack(name, ran)  # type: ignore[method-assign]
    return runner, ran, listener


def test_up_skips_an_unchanged_stack_and_records_the_digest_of_those_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    digests = {"dev.platform": "1" * 64, "dev.identity": "2" * 64, "dev.payments": "3" * 64, "dev.search": "4" * 64}
    history: dict[str, list[dict[str, Any]] | Exception] = {
        "dev.platform": [_entry("update", "succeeded", message("1" * 64))],  # unchanged: skipped
        "dev.identity": [_entry("update", "succeeded", message("0" * 64))],  # its inputs changed
        "dev.payments": [_entry("update", "succeeded", "")],  # an update by hand
        "dev.search": RuntimeError("error: no stack named 'dev.search' found"),  # a new stack
    }
    command = FakeCommand(history)
    runner, ran, listener = _runner(tmp_path, monkeypatch, "up", command, FixedInputs(digests))
    outcomes = automation.run_stages(plan_run("up", "dev", ["identity", "payments", "search"]), runner, 2, listener)
    by_name = {o.name: o for o in outcomes}
    assert by_name["dev.platform"].result == "skipped"
    assert by_name["dev.platform"].note == (
        "unchanged since its update of 2026-12-05T02:13:03.000Z, inputs sha256:111111111111"
    )
    assert sorted(ran) == [
        (s, "up", {"message": message(digests[s])}) for s in ("dev.identity", "dev.payments", "dev.search")
    ]
    assert sorted(listener.began) == ["dev.identity", "dev.payments", "dev.search"]  # a skipped stack never starts
    assert "skipped: unchanged since" in (tmp_path / "dev.platform.log").read_text()
    assert "its history could not be read" in (tmp_path / "dev.search.log").read_text()
    # One page of one history entry per stack; nothing else.
    pages = [call for call in command.calls if call[:2] == ["stack", "history"]]
    assert len(pages) == len(command.calls) == 4
    assert all(call[call.index("--page-size") + 1] == "1" for call in pages)
    # Listed stacks (StackRunner lists the project's stacks once): an unlisted one is new, its
    # history not read.
    command.calls.clear()
    (tmp_path / "listed").mkdir()
    runner, ran, listener = _runner(
        tmp_path / "listed",
        monkeypatch,
        "up",
        command,
        FixedInputs(digests),
        ("dev.platform", "dev.identity", "dev.payments"),
    )
    outcomes = automation.run_stages(plan_run("up", "dev", ["identity", "payments", "search"]), runner, 2, listener)
    assert [o.result for o in outcomes] == ["skipped", "succeeded", "succeeded", "succeeded"]
    assert sorted(c[c.index("--stack") + 1] for c in command.calls) == ["dev.identity", "dev.payments", "dev.platform"]
    assert "runs: no update in its history" in (tmp_path / "listed" / "dev.search.log").read_text()


def test_preview_skips_too_but_records_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    digests = {"dev.platform": "1" * 64, "dev.search": "4" * 64}
    history: dict[str, list[dict[str, Any]] | Exception] = {
        # A backend that lists previews: passed over, with a second page.
        "dev.platform": [_entry("preview", "succeeded", ""), _entry("update", "succeeded", message("1" * 64))],
        "dev.search": [_entry("update", "cancelled", message("4" * 64))],
    }
    command = FakeCommand(history)
    runner, ran, listener = _runner(tmp_path, monkeypatch, "preview", command, FixedInputs(digests))
    outcomes = automation.run_stages(plan_run("preview", "dev", ["search"]), runner, 2, listener)
    assert [(o.name, o.result) for o in outcomes] == [("dev.platform", "skipped"), ("dev.search", "succeeded")]
    assert "runs: its last update cancelled" in (tmp_path / "dev.search.log").read_text()
    assert ran == [("dev.search", "preview", {})]  # no message: a preview records nothing
    sizes = [c[c.index("--page-size") + 1] for c in command.calls if "dev.platform" in c]
    assert sizes == ["1", "50"]


def test_without_inputs_and_for_refresh_every_stack_runs_and_no_history_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history: dict[str, list[dict[str, Any]] | Exception] = {
        "dev.platform": [_entry("update", "succeeded", message("1" * 64))]
    }
    command = FakeCommand(history)
    runner, ran, listener = _runner(tmp_path, monkeypatch, "up", command, None)
    automation.run_stages(plan_run("up", "dev", []), runner, 1, listener)
    assert ran == [("dev.platform", "up", {})]
    # --all: the unchanged stack runs, and its update still records its inputs.
    (tmp_path / "a").mkdir()
    runner, ran, listener = _runner(tmp_path / "a", monkeypatch, "up", command, FixedInputs({"dev.platform": "1" * 64}))
    runner.run_all = True
    automation.run_stages(plan_run("up", "dev", []), runner, 1, listener)
    assert ran == [("dev.platform", "up", {"message": message("1" * 64)})]
    runner, ran, listener = _runner(
        tmp_path / "r", monkeypatch, "refresh", command, FixedInputs({"dev.platform": "1" * 64})
    )
    (tmp_path / "r").mkdir()
    automation.run_stages(plan_run("refresh", "dev", []), runner, 1, listener)
    assert ran == [("dev.platform", "refresh", {})]
    assert command.calls == []


# --- the command: --all, and the inputs it hands to the runner ------------------------------------
def _capture(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Any]:
    seen: list[Any] = []

    def run(plan, root, parallel, listener, prepare=None, log_dir=None, inputs=None, run_all=False, **_: object):
        seen.append((type(inputs).__name__, run_all))
        outcomes = [Outcome(stack, "skipped", note="x") for stack in plan.every]
        return outcomes, tmp_path / "build" / "runs" / "x"

    monkeypatch.setattr(automation, "run", run)
    return seen


def test_preview_and_up_hand_the_digests_to_the_runner_and_all_runs_every_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen = _capture(monkeypatch, tmp_path)
    catalog = str(ROOT / "stacks" / "dev")
    assert cli.run(["preview", catalog, "--format", "json"]) == 0
    assert cli.run(["up", catalog, "--yes", "--format", "json"]) == 0
    assert cli.run(["preview", catalog, "--all", "--format", "json"]) == 0
    assert cli.run(["up", catalog, "--yes", "--all", "--format", "json"]) == 0
    assert cli.run(["refresh", catalog, "--yes", "--format", "json"]) == 0
    assert seen == [
        ("StackInputs", False),
        ("StackInputs", False),
        ("NoneType", True),  # preview --all: nothing to decide, nothing to record
        ("StackInputs", True),  # up --all: every stack runs, and records its inputs
        ("NoneType", False),  # refresh: always runs
    ]
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        cli.run(["refresh", catalog, "--yes", "--all"])
    assert exit_info.value.code == 2  # refresh and destroy never skip: no --all to give
    assert "unrecognized arguments: --all" in capsys.readouterr().err


def test_a_skipped_stack_s_json_entry_says_why_with_zero_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    note = "unchanged since its update of 2026-12-05T02:13:03.000Z, inputs sha256:111111111111"

    def run(plan, root, parallel, listener, prepare=None, log_dir=None, inputs=None, run_all=False, **_: object):
        return [Outcome(stack, "skipped", seconds=0.4, note=note) for stack in plan.every], tmp_path

    monkeypatch.setattr(automation, "run", run)
    assert cli.run(["preview", str(ROOT / "stacks" / "dev"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for entry in data["stacks"]:
        assert entry["result"] == "skipped"
        assert entry["changes"] == {"create": 0, "update": 0, "replace": 0, "delete": 0, "same": 0}
        assert entry["note"] == note
    assert cli.run(["preview", str(ROOT / "stacks" / "dev")]) == 0
    out = capsys.readouterr().out
    assert "dev.platform  skipped" in out
    assert note in out
    assert "0 succeeded, 0 failed, 4 skipped" in out
