"""How bad input is reported: one `Problem` per finding, all of them at once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fleet.text import terminal

Path = Sequence[str | int]


def format_path(parts: Path) -> str:
    """('teams', 1, 'apps', 0, 'name') -> 'teams[1].apps[0].name'."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    reason: str
    # The file the path is in, when it is not the one the error is about: a catalog folder's
    # problems each name their own file (stacks/dev/teams/payments.yaml), "" for the error's own.
    source: str = ""
    # Where in that file the path is written (1-based; 0: not known, such as a rendered
    # resource): the field's key, or the list item; for a missing field, what holds it.
    line: int = 0
    column: int = 0

    @classmethod
    def at(cls, parts: Path, reason: str) -> Problem:
        return cls(format_path(parts), reason)

    def file(self, default: str) -> str:
        """The file this problem is in (`default`: the error's own)."""
        return self.source or default

    def location(self, default: str) -> str:
        """`FILE:LINE:COLUMN`, or `FILE` alone when the position is not known."""
        file = self.file(default)
        return f"{file}:{self.line}:{self.column}" if self.line else file

    def line_text(self, default: str) -> str:
        """The contract line: `FILE:LINE:COLUMN: <path>: <reason>` (`FILE: <path>: <reason>`
        when the position is not known), safe for a terminal."""
        return terminal.escape(f"{self.location(default)}: {self.path}: {self.reason}")


class CatalogError(Exception):
    """A catalog that cannot be deployed; carries every problem found, not only the first."""

    def __init__(self, source: str, problems: Iterable[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One line per problem, safe for a terminal: a hostile catalog's characters are escaped."""
        return [p.line_text(self.source) for p in self.problems]


class UnreadableFileError(Exception):
    """The file could not be read at all (missing, a directory, no permission): exit 2."""


class UsageError(Exception):
    """The command cannot run as asked (not a Git repository, a date outside the history, …): exit 2."""
