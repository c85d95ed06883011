"""How the commands write: human-readable text escaped for the terminal, JSON as it is, and the
reports either as Markdown (`--format md`, pull requests) or drawn for people (`--format text`,
the default at a terminal; `fleet.text.screen`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import BaseModel

from fleet.text import screen, terminal
from fleet.text.problems import CatalogError

TEXT = "text"
MARKDOWN = "md"


def out(text: str) -> None:
    """Human-readable output: whatever a catalog smuggled in is escaped, never interpreted by
    the terminal (JSON and HTML are written as they are: their own encodings apply)."""
    sys.stdout.write(terminal.escape(text, multiline=True))


def err(line: str) -> None:
    print(terminal.escape(line), file=sys.stderr)


def json(model: BaseModel) -> None:
    sys.stdout.write(model.model_dump_json(indent=2) + "\n")


def problems(error: CatalogError) -> None:
    """Every problem of a catalog, one `FILE:LINE:COLUMN: path: reason` line each."""
    for line in error.lines():
        err(line)


def add_format(parser: argparse.ArgumentParser, choices: Sequence[str], helptext: str) -> None:
    """`--format`, whose default is decided when the command runs (`format_of`)."""
    parser.add_argument("--format", choices=tuple(choices), default=None, help=helptext)


def format_of(args: argparse.Namespace, *, always_text: bool = False) -> str:
    """The format asked for; by default `text` at a terminal (TTY, TERM not dumb), else `md`, as
    before the text format existed (pipes, files, CI, the pull-request comment)."""
    if args.format is not None:
        return str(args.format)
    return TEXT if always_text or screen.is_terminal(sys.stdout) else MARKDOWN


def report(markdown: str, fmt: str) -> None:
    """A Markdown report as Markdown, or drawn for people (colour only at a terminal without
    NO_COLOR; plain text at the width of COLUMNS elsewhere)."""
    if fmt == TEXT:
        screen.show(screen.console(sys.stdout), markdown)
    else:
        out(markdown)


def lines(items: Sequence[tuple[str, str]]) -> None:
    """A few lines of a verdict: styled at a terminal, as written elsewhere."""
    if screen.for_people(sys.stdout):
        screen.lines(screen.console(sys.stdout), items)
    else:
        out("".join(f"{text}\n" for text, _ in items))
