"""The progress of `fleet preview|up|refresh|destroy` while its stacks run.

At a terminal (a TTY, no NO_COLOR, TERM not dumb): a live table, a row per stack, redrawn a few
times a second: its state, the steps finished so far by kind, the resource it is at, the time.
Anywhere else (a pipe, a file, a CI log): plain lines, one when a stack starts and one when it
ends, in the order it happens. Every value is escaped for the terminal and given to rich as text,
never as markup.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from rich.live import Live
from rich.table import Table
from rich.text import Text

from fleet.cli import people
from fleet.orchestration import CHANGE_KINDS, Outcome, RunPlan
from fleet.text import terminal

_STYLE = {"succeeded": "green", "failed": "bold red", "skipped": "dim", "running": "yellow", "waiting": "dim"}


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{counts[k]} {k}" for k in CHANGE_KINDS if counts.get(k))


def _resource(urn: str) -> str:
    """The resource's own name: the last part of its URN."""
    return urn.rsplit("::", 1)[-1]


class Lines:
    """Plain lines: `<stack>: <operation> started`, `<stack>: succeeded in 3.1 s (2 create)`."""

    def __init__(self, stream: TextIO, operation: str) -> None:
        self.stream = stream
        self.operation = operation
        self._lock = threading.Lock()

    def _write(self, line: str) -> None:
        with self._lock:
            self.stream.write(terminal.escape(line) + "\n")
            self.stream.flush()

    def started(self, stack: str) -> None:
        self._write(f"{stack}: {self.operation} started")

    def step(self, stack: str, op: str, urn: str, counts: Mapping[str, int]) -> None:
        """Steps are for the live display; the full log has every one."""

    def finished(self, outcome: Outcome) -> None:
        if outcome.result == "skipped":
            self._write(f"{outcome.name}: skipped: {outcome.note}")
            return
        counts = _counts(outcome.changes) or "no resources"
        note = f": {outcome.note}" if outcome.note else ""
        self._write(f"{outcome.name}: {outcome.result} in {outcome.seconds:.1f} s ({counts}){note}")


@dataclass
class _Row:
    state: str = "waiting"
    counts: Mapping[str, int] = field(default_factory=dict)
    at: str = ""
    started: float | None = None
    seconds: float | None = None
    note: str = ""


class LiveTable:
    """A row per selected stack, redrawn by rich's own thread from what the stacks' threads report."""

    def __init__(self, plan: RunPlan) -> None:
        self.plan = plan
        self.rows = {stack: _Row() for stack in plan.selected}
        self._lock = threading.Lock()

    def started(self, stack: str) -> None:
        with self._lock:
            self.rows[stack] = _Row("running", started=time.monotonic())

    def step(self, stack: str, op: str, urn: str, counts: Mapping[str, int]) -> None:
        with self._lock:
            row = self.rows[stack]
            row.counts, row.at = counts, f"{op} {_resource(urn)}"

    def finished(self, outcome: Outcome) -> None:
        with self._lock:
            self.rows[outcome.name] = _Row(
                outcome.result,
                outcome.changes,
                "",
                None,
                outcome.seconds,
                outcome.note if outcome.result != "succeeded" else "",
            )

    def __rich__(self) -> Table:
        shown = Table(title=f"{self.plan.operation} {self.plan.environment}", header_style="bold", expand=False)
        for header in ("stack", "state", "changes", "at", "seconds"):
            shown.add_column(header, no_wrap=header == "stack", overflow="fold")
        now = time.monotonic()
        with self._lock:
            for stack, row in self.rows.items():
                seconds = row.seconds if row.seconds is not None else (now - row.started if row.started else None)
                shown.add_row(
                    Text(terminal.escape(stack), style="cyan"),
                    Text(row.state, style=_STYLE.get(row.state, "")),
                    Text(terminal.escape(_counts(row.counts))),
                    Text(terminal.escape(row.note or row.at)),
                    Text(f"{seconds:.1f}" if seconds is not None else ""),
                )
        return shown


@contextlib.contextmanager
def listener(stream: TextIO, plan: RunPlan) -> Iterator[Lines | LiveTable]:
    """The live table at a terminal, plain lines anywhere else."""
    if not people.for_people(stream):
        yield Lines(stream, plan.operation)
        return
    table = LiveTable(plan)
    with Live(table, console=people.console(stream), refresh_per_second=4, transient=False):
        yield table
