"""How the commands write: human-readable text escaped for the terminal, JSON as it is."""

from __future__ import annotations

import sys

from pydantic import BaseModel

from fleet.text import terminal
from fleet.text.problems import CatalogError


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
