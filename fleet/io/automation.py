"""Running an environment's stacks with Pulumi's Automation API (`pulumi.automation`).

One `LocalWorkspace` on the project directory runs each stack as the `pulumi` CLI would: the
program named by Pulumi.yaml, the stack's configuration, and the environment of this process
(the Automation API starts every `pulumi` with `os.environ`, and this module adds nothing to it
and takes nothing away), so `PULUMI_BACKEND_URL`, `PULUMI_CONFIG_PASSPHRASE`, `KUBECONFIG` and
the cloud credentials reach the engine and the program exactly as they reach `pulumi up`.

What a stack did is read from the engine's structured events (the summary event's resource
changes, the steps as they finish, the error diagnostics), never from its printed text. The
text is kept whole, stack by stack, in the run's log folder.

`run_stages` runs a `RunPlan`'s stages in order, the stacks of a stage side by side (up to
`parallel` at a time); one stack's failure, or even an exception of ours, never stops another
stack of its stage (`fleet.orchestration.selection` says when it stops the next stage).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from fleet.orchestration import CHANGE_KINDS, Operation, Outcome, RunPlan, blocked_by, changes_from, with_orphans
from fleet.orchestration import inputs as stack_inputs
from fleet.text.problems import UsageError

if TYPE_CHECKING:
    from fleet.io.inputs import StackInputs

RUNS_DIR = Path("build") / "runs"  # under the project: one folder per run, a log per stack
_LOG_MODE = 0o600  # a log may show what a stack's outputs and diagnostics say: its owner's alone


class Listener(Protocol):
    """What the display is told while stacks run (called from the stacks' threads)."""

    def started(self, stack: str) -> None: ...

    def step(self, stack: str, op: str, urn: str, counts: Mapping[str, int]) -> None: ...

    def finished(self, outcome: Outcome) -> None: ...


RunOne = Callable[[str], Outcome]
# Writes a stack's configuration before it runs (fleet.io.stacks.prepare): (project, stack) -> anything.
Prepare = Callable[[Path, str], object]


INTERRUPTED = "interrupted"  # the note of a stack that was running when the run was interrupted
NOT_STARTED = "not started: the run was interrupted"


def run_stages(
    plan: RunPlan,
    run_one: RunOne,
    parallel: int,
    listener: Listener,
    interrupt: threading.Event | None = None,
) -> list[Outcome]:
    """Every stack of the plan's environment, in the order of `plan.every`: the selected ones run
    stage by stage, the others skipped with the reason the plan gives. Once `interrupt` is set no
    stack starts (skipped, "not started"), and a running stack that then fails was interrupted."""
    interrupt = interrupt or threading.Event()
    outcomes: dict[str, Outcome] = {stack: Outcome(stack, "skipped", note=why) for stack, why in plan.skipped}
    failed: list[str] = []
    for stage in plan.stages:
        reason = NOT_STARTED if interrupt.is_set() else blocked_by(plan.operation, failed)
        if reason is not None:
            for stack in stage:
                outcomes[stack] = Outcome(stack, "skipped", note=reason)
                listener.finished(outcomes[stack])
            continue
        with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(stage)))) as pool:
            running = {pool.submit(_guarded, run_one, stack, interrupt): stack for stack in stage}
            for future in as_completed(running):
                outcome = future.result()
                if outcome.result == "failed" and interrupt.is_set():
                    outcome = replace(outcome, note=INTERRUPTED)
                outcomes[outcome.name] = outcome
                listener.finished(outcome)
        failed += [stack for stack in stage if outcomes[stack].result == "failed"]
    return [outcomes[stack] for stack in plan.every]


def _guarded(run_one: RunOne, stack: str, interrupt: threading.Event) -> Outcome:
    """run_one(stack), whatever it raises: a failure of this stack, never of the run. Not started
    once the run is interrupted."""
    if interrupt.is_set():
        return Outcome(stack, "skipped", note=NOT_STARTED)
    started = time.monotonic()
    try:
        return run_one(stack)
    except Exception as error:  # one stack's surprise must not take the others down
        return Outcome(stack, "failed", seconds=time.monotonic() - started, note=_first_line(str(error)))


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "") or "failed"


def new_log_dir(root: Path, operation: Operation, now: datetime | None = None) -> Path:
    """build/runs/<UTC time>-<operation>/ under the project, created empty (never reused)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    base = root / RUNS_DIR
    base.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        folder = base / (f"{stamp}-{operation}" if n == 1 else f"{stamp}-{operation}-{n}")
        try:
            folder.mkdir(mode=0o700)
            return folder
        except FileExistsError:
            continue
    raise FileExistsError(f"{base}: no free run folder for {stamp}")


class _Log:
    """One stack's log: every line the CLI writes (stdout and stderr, as they come), then the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), _LOG_MODE)
        self._file: IO[str] = os.fdopen(fd, "w", encoding="utf-8", errors="replace")
        self._lock = threading.Lock()

    def line(self, text: str) -> None:
        with self._lock:
            self._file.write(text + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


class _Events:
    """The engine's events of one stack: counts of the finished steps, the error diagnostics, and
    the summary event's resource changes (the engine's own total, when it gets to send it)."""

    def __init__(self, stack: str, listener: Listener) -> None:
        self.stack = stack
        self.listener = listener
        self.done: dict[str, int] = dict.fromkeys(CHANGE_KINDS, 0)
        self.errors: list[str] = []
        self.summary: Mapping[Any, int] | None = None

    def __call__(self, event: Any) -> None:
        if event.summary_event is not None:
            self.summary = event.summary_event.resource_changes
        diagnostic = event.diagnostic_event
        if diagnostic is not None and diagnostic.severity == "error" and diagnostic.message.strip():
            self.errors.append(diagnostic.message.strip())
        step = event.res_outputs_event or event.resource_pre_event
        if step is not None and step.metadata is not None:
            op = str(getattr(step.metadata.op, "value", step.metadata.op))
            if event.res_outputs_event is not None and op in self.done:
                self.done[op] += 1
            self.listener.step(self.stack, op, step.metadata.urn, dict(self.done))

    def changes(self, result_counts: Mapping[Any, int] | None) -> dict[str, int]:
        counts = self.summary if self.summary is not None else result_counts
        return changes_from(counts) if counts is not None else dict(self.done)


def _result_counts(result: Any) -> Mapping[Any, int] | None:
    """The resource changes an Automation API result carries: a preview's change summary, or
    the update's summary of up, refresh and destroy."""
    if hasattr(result, "change_summary"):
        return result.change_summary
    summary = getattr(result, "summary", None)
    return getattr(summary, "resource_changes", None)


class StackRunner:
    """Runs one operation on stacks of one project, each with its own log in `log_dir`."""

    def __init__(
        self,
        root: Path,
        operation: Operation,
        log_dir: Path,
        listener: Listener,
        prepare: Prepare | None = None,
    ) -> None:
        try:
            from pulumi import automation
        except ImportError as err:
            raise UsageError(
                f"the stack commands need the Pulumi SDK (pip install 'app-of-apps[pulumi]'): {err}"
            ) from err
        self.auto = automation
        self.root = root
        self.operation = operation
        self.log_dir = log_dir
        self.listener = listener
        self.prepare = prepare
        # The one workspace of the project: every `pulumi` it starts inherits os.environ whole.
        try:
            self.workspace = _listing_workspace(automation)(work_dir=str(root))
        except (OSError, automation.CommandError, automation.InvalidVersionError) as err:
            raise UsageError(f"the stack commands need the pulumi CLI on PATH: {err}") from err
        # The project's stacks, listed once (`pulumi stack ls`, about 0.3 s for 200 stacks): one
        # of them is not selected again (`pulumi stack select`, 0.12-0.16 s each, one at a
        # time), since every operation names its stack (--stack). A stack the listing does
        # not name (or every stack, if the listing failed) is selected or created as before.
        self.listing_error: str | None = None  # why the listing failed (the orphaned stacks go unchecked)
        try:
            self.workspace.listed = frozenset(summary.name for summary in self.workspace.list_stacks())
        except automation.CommandError as err:
            self.workspace.listed = frozenset()
            self.listing_error = _first_line(str(err).split("stderr:", 1)[-1])
        # `pulumi stack select` (and init) record the current stack in one file of the
        # workspace: one at a time. Every operation then names its stack (--stack) and runs
        # side by side with the others.
        self._select = threading.Lock()

    def _stack(self, name: str) -> Any:
        if name in self.workspace.listed:
            # It exists: its file written (a file of its own: no lock), then named by its
            # operation; Stack.select asks the workspace, which selects no listed stack.
            if self.prepare is not None:
                self.prepare(self.root, name)
            return self.auto.Stack.select(name, self.workspace)
        with self._select:
            if self.prepare is not None:
                self.prepare(self.root, name)
            if self.operation in ("preview", "up"):
                stack = self.auto.Stack.create_or_select(name, self.workspace)
            else:
                stack = self.auto.Stack.select(name, self.workspace)
            if self.prepare is not None:  # again: `stack init` may have written the stack's secrets salt
                self.prepare(self.root, name)
            return stack

    # The run's inputs digests (fleet.io.inputs.StackInputs): set, `preview` and `up` skip a stack
    # whose last successful update ran with exactly its current inputs (fleet.orchestration.inputs).
    inputs: StackInputs | None = None
    run_all = False  # `--all`: no stack is skipped, and `up` still records each stack's inputs

    def _cli_version(self) -> str:
        """The pulumi CLI's version, as the workspace read it ("" when it could not: then a later
        run that knows it runs every stack once)."""
        try:
            return str(self.workspace.pulumi_version)
        except Exception:
            return ""

    def _pulumi_json(self, *args: str) -> Any:
        """`pulumi ARGS` through the workspace's CLI (its environment, its folder), its JSON output."""
        env = dict(self.workspace.env_vars)
        if self.workspace.pulumi_home is not None:
            env.setdefault("PULUMI_HOME", self.workspace.pulumi_home)
        result = self.workspace.pulumi_command.run([*args, "--non-interactive"], self.workspace.work_dir, env)
        return json.loads(result.stdout)

    def _history(self, name: str, size: int) -> list[stack_inputs.Latest]:
        """The stack's newest `size` history entries (`pulumi stack history`, one page)."""
        entries = self._pulumi_json(
            "stack", "history", "--json", "--page-size", str(size), "--page", "1", "--stack", name
        )
        out = []
        for entry in entries or []:
            out.append(
                stack_inputs.Latest(
                    kind=str(entry.get("kind", "")),
                    result=str(entry.get("result", "")),
                    message=str(entry.get("message") or ""),
                    end_time=str(entry.get("endTime") or ""),
                )
            )
        return out

    def _latest(self, name: str) -> stack_inputs.Latest | None:
        """The stack's latest history entry that is not a preview (one page of one entry; a backend
        that lists previews in the history gets a second, longer page)."""
        entries = self._history(name, 1)
        if entries and entries[0].kind == stack_inputs.PREVIEW:
            entries = self._history(name, stack_inputs.PREVIEWS_PASSED)
        return stack_inputs.latest_change(entries)

    def _decide(self, name: str, log: _Log) -> stack_inputs.Decision | None:
        """Whether `name` runs (None: no inputs given, or an operation that always runs)."""
        if self.inputs is None or self.run_all or self.operation not in stack_inputs.SKIPPABLE:
            return None
        digest = self.inputs.digest(name, self._cli_version())
        listed = getattr(self.workspace, "listed", None)  # the project's stacks, when they could be listed
        try:
            # A stack the listing does not name has no history to read: it is new.
            latest, unreadable = (self._latest(name) if not listed or name in listed else None), ""
        except Exception as error:  # a new stack has no history; an unreadable one runs
            latest, unreadable = None, _first_line(str(error).split("stderr:", 1)[-1])
        decision = stack_inputs.decide(digest, latest, unreadable=unreadable)
        log.line(f"# inputs sha256:{digest}: {'runs' if decision.run else 'skipped'}: {decision.reason}")
        return decision

    def __call__(self, name: str) -> Outcome:
        log = _Log(self.log_dir / f"{name}.log")
        events = _Events(name, self.listener)
        started = time.monotonic()
        log.line(
            f"# {self.operation} of stack {name} in {self.root}, {datetime.now(UTC).isoformat(timespec='seconds')}"
        )
        try:
            decision = self._decide(name, log)
            if decision is not None and not decision.run:
                seconds = time.monotonic() - started
                return Outcome(name, "skipped", seconds=seconds, note=decision.reason, log=str(log.path))
            self.listener.started(name)
            try:
                stack = self._stack(name)
            except self.auto.StackNotFoundError:
                if self.operation == "destroy":
                    log.line(f"# no stack {name}: nothing to destroy")
                    return Outcome(name, "skipped", note="no such stack: nothing to destroy", log=str(log.path))
                raise
            extra: dict[str, Any] = {}
            if self.inputs is not None and self.operation == "up":
                # Recorded in the backend's history: the next run skips the stack while its inputs stay so.
                # (After _stack: its file as written, the secrets salt of a new stack included.)
                extra["message"] = stack_inputs.message(self.inputs.digest(name, self._cli_version()))
            command = getattr(stack, self.operation)
            result = command(on_output=log.line, on_error=log.line, on_event=events, color="never", **extra)
            seconds = time.monotonic() - started
            log.line(f"# succeeded in {seconds:.1f} s")
            return Outcome(name, "succeeded", events.changes(_result_counts(result)), seconds, log=str(log.path))
        except Exception as error:
            seconds = time.monotonic() - started
            if isinstance(error, self.auto.CommandError):
                log.line(f"# failed in {seconds:.1f} s (what pulumi wrote is above)")
            else:
                log.line("# failed:\n" + "".join(traceback.format_exception(error)))
            note = events.errors[0] if events.errors else _first_line(str(error).split("stderr:", 1)[-1])
            return Outcome(name, "failed", events.changes(None), seconds, note=_first_line(note), log=str(log.path))
        finally:
            log.close()


def _pulumi_children() -> list[int]:
    """This process's `pulumi` children (those the Automation API started), from /proc (Linux;
    elsewhere none are found)."""
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            name = (entry / "comm").read_text().strip()  # the program's (or script's) file name
        except (OSError, ValueError, IndexError):
            continue
        if parent == me and name == "pulumi":
            found.append(int(entry.name))
    return found


def _terminal_sent_it() -> bool:
    """Whether this process is in the foreground process group of its terminal: then a Ctrl-C
    reached every process of the group, the `pulumi` children too (the Automation API starts them
    in this process's group)."""
    for stream in (sys.stdin, sys.stderr, sys.stdout):
        try:
            if stream is not None and stream.isatty():
                return os.tcgetpgrp(stream.fileno()) == os.getpgrp()
        except (OSError, ValueError):
            continue
    return False


@contextlib.contextmanager
def interruptible(interrupt: threading.Event, say: Callable[[str], None]) -> Iterator[threading.Event]:
    """While the stacks run, SIGINT (Ctrl-C) sets `interrupt` instead of raising: no stack starts
    after it, and every `pulumi` process of the run gets the interrupt once: from the terminal,
    which sends it to the whole foreground process group, or from here when it was sent to this
    process alone outside a terminal's foreground (a CI runner, `kill -INT` of a background run;
    in the foreground it is taken as the terminal's), and from here for a `pulumi` started after it (a
    stack that was between its selection and its operation). `pulumi` stops at its first
    interrupt gracefully (the operations under way finish, the state is written); a second
    Ctrl-C is passed on too, and stops them at once. A process started with SIGINT ignored
    (`nohup`, a background job of a script) keeps ignoring it, as its `pulumi` children do."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        yield interrupt
        return
    received: list[bool] = []  # one entry a SIGINT: whether the terminal sent it to the group
    wake = threading.Event()
    done = threading.Event()

    def handle(_signum: int, _frame: object) -> None:  # as little as can be: the watcher does the rest
        received.append(_terminal_sent_it())
        interrupt.set()
        wake.set()

    def watch() -> None:
        signalled: set[int] = set()
        seen = 0
        while not done.is_set():
            wake.wait(0.2)
            wake.clear()
            if not received:
                continue
            children = set(_pulumi_children())
            while seen < len(received):
                by_terminal = received[seen]
                seen += 1
                say(
                    "interrupted: no other stack starts; the running ones stop once their operations under way "
                    "finish (Ctrl-C again stops them at once, which may leave operations pending in their state)"
                    if seen == 1
                    else "interrupted again: the running stacks stop at once; a stack left with pending operations "
                    "needs them checked and `pulumi refresh --stack <stack>` (its log names them)"
                )
                targets = set() if by_terminal else children
                if seen == 1:
                    signalled |= children  # each has it now, from the terminal or from here
                for pid in targets:
                    _interrupt(pid)
            for pid in children - signalled:  # started since: it must not run to its end
                _interrupt(pid)
                signalled.add(pid)

    watcher = threading.Thread(target=watch, name="fleet-interrupt", daemon=True)
    previous = signal.signal(signal.SIGINT, handle)
    watcher.start()
    try:
        yield interrupt
    finally:
        done.set()
        wake.set()
        watcher.join()
        signal.signal(signal.SIGINT, previous)


def _interrupt(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGINT)


def stack_listing(runner: Any) -> list[str]:
    """The names of the project's stacks in the backend, as the runner listed them when it started
    (one `pulumi stack ls`); the error the listing met, if it failed."""
    if runner.listing_error is not None:
        raise RuntimeError(runner.listing_error)
    return sorted(runner.workspace.listed)


@cache
def _listing_workspace(automation: Any) -> Any:
    """The Automation API's LocalWorkspace, told which stacks exist (`listed`): selecting one of
    them does nothing. The Stack constructor always selects its stack (`pulumi stack select`,
    which only records the workspace's current stack and checks that it exists), and the
    Automation API has no way to skip it; every operation here names its stack (--stack), and
    the listing has just said that it exists. Any other stack is selected by the CLI as before
    (tests/test_automation_select.py)."""

    class ListingWorkspace(automation.LocalWorkspace):  # type: ignore[misc,name-defined]
        listed: frozenset[str] = frozenset()

        def select_stack(self, stack_name: str) -> None:
            if stack_name not in self.listed:
                super().select_stack(stack_name)

    return ListingWorkspace


def run(
    plan: RunPlan,
    root: Path,
    parallel: int,
    listener: Listener,
    prepare: Prepare | None = None,
    log_dir: Path | None = None,
    orphans: Callable[[list[str] | None], Mapping[str, str]] | None = None,
    interrupt: threading.Event | None = None,
    say: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
    inputs: StackInputs | None = None,
    run_all: bool = False,
) -> tuple[list[Outcome], Path]:
    """Run the plan on the project at `root` through the Automation API; the outcomes and the
    folder of the logs. `orphans`: given the project's stack listing (None when the backend could
    not list it), the stacks to name as skipped, with why; `interrupt` is set by a Ctrl-C. With
    `inputs`, `preview` and `up` skip the stacks whose inputs are those of their last successful
    update (fleet.orchestration.inputs), but with `run_all`, and `up` records each stack's inputs
    as its update's message."""
    folder = log_dir or new_log_dir(root, plan.operation)
    runner = StackRunner(root, plan.operation, folder, listener, prepare)
    runner.inputs = inputs
    runner.run_all = run_all
    with interruptible(interrupt or threading.Event(), say) as flag:
        if orphans is not None:
            try:
                listed: list[str] | None = stack_listing(runner)
            except Exception as error:  # the run goes on; the command says the listing failed
                say(
                    f"warning: cannot list the project's stacks, orphaned stacks not checked: {_first_line(str(error))}"
                )
                listed = None
            plan = with_orphans(plan, orphans(listed))
        return run_stages(plan, runner, parallel, listener, flag), folder


__all__: Sequence[str] = [
    "INTERRUPTED",
    "NOT_STARTED",
    "RUNS_DIR",
    "Listener",
    "StackRunner",
    "interruptible",
    "new_log_dir",
    "run",
    "run_stages",
    "stack_listing",
]
