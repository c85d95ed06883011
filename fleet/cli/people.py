"""Output for a person at a terminal: colour where it helps reading (the place of a problem,
its field, its rule, the verdict), nothing else changed. Pipes, files, CI logs and `NO_COLOR`
(https://no-color.org) get the plain text, byte for byte, that scripts and the docs rely on.

Every value is escaped for the terminal first (`fleet.text.terminal`) and handed to rich as
text, never as markup: a catalog cannot style, move or hide anything.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fleet.reports.findings import FileResult, rule_of
from fleet.text import terminal

_RULE_SUFFIX = re.compile(r" \[[a-z0-9]+(?:-[a-z0-9]+)*\]$")


def for_people(stream: TextIO) -> bool:
    """A terminal, with colour wanted: not NO_COLOR (any value), not TERM=dumb, a TTY."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def console(stream: TextIO) -> Console:
    return Console(file=stream, highlight=False, emoji=False, markup=False, soft_wrap=True)


def _safe(text: str) -> str:
    return terminal.escape(text)


def validate(results: Sequence[FileResult], out: Console, err: Console) -> None:
    """`fleet validate` as text, coloured: the same lines (FILE:LINE:COLUMN: path: reason, which
    terminals and editors make clickable), the verdict of each catalog marked."""
    for result in results:
        if result.error is not None:
            err.print(Text.assemble(("error: ", "bold red"), _safe(result.error)))
        elif result.valid:
            out.print(Text.assemble(("✓ ", "bold green"), (_safe(result.file), "bold"), f": {result.summary}"))
        else:
            for problem in result.problems:
                reason = _RULE_SUFFIX.sub("", problem.reason)
                rule = problem.reason[len(reason) :]
                err.print(
                    Text.assemble(
                        (_safe(problem.location(result.file)), "bold"),
                        ": ",
                        (_safe(problem.path), "cyan"),
                        ": ",
                        _safe(reason),
                        (_safe(rule), "magenta"),
                    )
                )
            count = f": {len(result.problems)} problem(s); nothing was written"
            err.print(Text.assemble(("✗ ", "bold red"), (_safe(result.file), "bold"), count))
    if len(results) > 1:
        valid = sum(r.valid for r in results)
        unreadable = sum(r.error is not None for r in results)
        counts = f"{len(results)} catalogs: {valid} valid, {len(results) - valid - unreadable} invalid"
        counts += f", {unreadable} unreadable" if unreadable else ""
        (out if valid == len(results) else err).print(Text(counts, style="bold"))


def table(out: Console, headers: Sequence[str], rows: Sequence[Sequence[str]], title: str | None = None) -> None:
    """Rows as a table that fits the terminal's width: long cells wrap inside their column,
    the first column (an id) never wraps."""
    shown = Table(title=title, show_lines=False, expand=False, header_style="bold")
    for i, header in enumerate(headers):
        shown.add_column(header, style="cyan" if i == 0 else None, no_wrap=i == 0, overflow="fold")
    for row in rows:
        shown.add_row(*(Text(_safe(cell)) for cell in row))
    out.print(shown, soft_wrap=False)


__all__ = ["console", "for_people", "rule_of", "table", "validate"]
