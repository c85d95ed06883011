"""`fleet validate` for a person at a terminal: colour where it helps reading (the place of a problem,
its field, its rule, the verdict), nothing else changed. Pipes, files, CI logs and `NO_COLOR`
(https://no-color.org) get the plain text, byte for byte, that scripts and the docs rely on.

Every value is escaped for the terminal first (`fleet.text.terminal`) and handed to rich as
text, never as markup: a catalog cannot style, move or hide anything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from fleet.reports.findings import FileResult, rule_of
from fleet.text.screen import console, for_people, safe, table

_RULE_SUFFIX = re.compile(r" \[[a-z0-9]+(?:-[a-z0-9]+)*\]$")


def validate(results: Sequence[FileResult], out: Console, err: Console) -> None:
    """`fleet validate` as text, coloured: the same lines (FILE:LINE:COLUMN: path: reason, which
    terminals and editors make clickable), the verdict of each catalog marked."""
    for result in results:
        if result.error is not None:
            err.print(Text.assemble(("error: ", "bold red"), safe(result.error)))
        elif result.valid:
            out.print(Text.assemble(("✓ ", "bold green"), (safe(result.file), "bold"), f": {result.summary}"))
        else:
            for problem in result.problems:
                reason = _RULE_SUFFIX.sub("", problem.reason)
                rule = problem.reason[len(reason) :]
                err.print(
                    Text.assemble(
                        (safe(problem.location(result.file)), "bold"),
                        ": ",
                        (safe(problem.path), "cyan"),
                        ": ",
                        safe(reason),
                        (safe(rule), "magenta"),
                    )
                )
            count = f": {len(result.problems)} problem(s); nothing was written"
            err.print(Text.assemble(("✗ ", "bold red"), (safe(result.file), "bold"), count))
    if len(results) > 1:
        valid = sum(r.valid for r in results)
        unreadable = sum(r.error is not None for r in results)
        counts = f"{len(results)} catalogs: {valid} valid, {len(results) - valid - unreadable} invalid"
        counts += f", {unreadable} unreadable" if unreadable else ""
        (out if valid == len(results) else err).print(Text(counts, style="bold"))
    rules = [r for result in results for p in result.problems if _RULE_SUFFIX.search(p.reason) for r in [rule_of(p)]]
    if rules:  # the way to the reason and a fix, once
        err.print(Text(f"why, and how to fix it: explain RULE-ID (e.g. explain {safe(rules[0])})", style="dim"))


__all__ = ["console", "for_people", "rule_of", "table", "validate"]
