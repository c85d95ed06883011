"""What a run came to, stack by stack: a table for people, one JSON object for scripts.

    {"stacks": [{"name": "dev.payments", "result": "succeeded" | "failed" | "skipped",
                 "changes": {"create": n, "update": n, "replace": n, "delete": n, "same": n},
                 "seconds": s}]}

A skipped stack's entry also says why (`"note"`: not in --teams, nothing changed since a
revision, its inputs unchanged since its last update, …); the other entries have no note.

The change counts are the engine's own (the Automation API's summary event or result), never
read from the text a command prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

Result = Literal["succeeded", "failed", "skipped"]
# The engine's operations the summary counts (its other operations, such as read, are not changes).
CHANGE_KINDS = ("create", "update", "replace", "delete", "same")


class Changes(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    create: int = 0
    update: int = 0
    replace: int = 0
    delete: int = 0
    same: int = 0


class StackSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    result: Result
    changes: Changes
    seconds: float
    note: str | None = None  # a skipped stack's reason; absent from the JSON otherwise

    @model_serializer(mode="wrap")
    def _without_empty_note(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("note") is None:
            data.pop("note", None)
        return data


class RunSummary(BaseModel):
    """The one object `--format json` prints."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    stacks: list[StackSummary]


def changes_from(op_counts: Mapping[object, int] | None) -> dict[str, int]:
    """The engine's resource changes (operation -> count; an operation may be an enum whose value
    is its name) as the five counts of the summary."""
    counts = dict.fromkeys(CHANGE_KINDS, 0)
    for op, count in (op_counts or {}).items():
        name = str(getattr(op, "value", op))
        if name in counts:
            counts[name] += int(count)
    return counts


@dataclass(frozen=True)
class Outcome:
    """One stack's part of a run."""

    name: str
    result: Result
    changes: Mapping[str, int] = field(default_factory=lambda: dict.fromkeys(CHANGE_KINDS, 0))
    seconds: float = 0.0
    note: str = ""  # why it was skipped, or the first line of its error
    log: str = ""  # where its full log is ("" when it did not run)

    def model(self) -> StackSummary:
        return StackSummary(
            name=self.name,
            result=self.result,
            changes=Changes(**{k: self.changes.get(k, 0) for k in CHANGE_KINDS}),
            seconds=round(self.seconds, 1),
            note=self.note if self.result == "skipped" else None,
        )


def run_summary(outcomes: Sequence[Outcome]) -> RunSummary:
    return RunSummary(stacks=[o.model() for o in outcomes])


def exit_failed(outcomes: Sequence[Outcome]) -> tuple[str, ...]:
    """The stacks that failed: the run's exit code and last line name them."""
    return tuple(o.name for o in outcomes if o.result == "failed")


HEADERS = ("stack", "result", *CHANGE_KINDS, "seconds", "note")


def table(outcomes: Sequence[Outcome]) -> list[list[str]]:
    """The summary's rows (under `HEADERS`)."""
    return [
        [
            o.name,
            o.result,
            *(str(o.changes.get(k, 0)) if o.result != "skipped" else "-" for k in CHANGE_KINDS),
            f"{o.seconds:.1f}" if o.result != "skipped" else "-",
            o.note,
        ]
        for o in outcomes
    ]


def plain_table(outcomes: Sequence[Outcome]) -> str:
    """The summary as aligned plain text (a pipe, a file, a CI log)."""
    rows = [list(HEADERS), *table(outcomes)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS) - 1)]
    lines = []
    for row in rows:
        cells = [
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row[:-1], widths, strict=True))
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"


def verdict(outcomes: Sequence[Outcome]) -> str:
    """The last line: how many stacks did what, and which failed."""
    counts = {r: sum(o.result == r for o in outcomes) for r in ("succeeded", "failed", "skipped")}
    failed = exit_failed(outcomes)
    text = f"{counts['succeeded']} succeeded, {counts['failed']} failed, {counts['skipped']} skipped"
    return text + (f"; failed: {', '.join(failed)}" if failed else "")
