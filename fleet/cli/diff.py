"""`fleet diff BASE HEAD`: what changes between two catalogs, per layer and per group's access."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fleet.catalog.models import Catalog
from fleet.cli import exits, output
from fleet.cli.output import err, out
from fleet.compiler import state_from_text
from fleet.io import git
from fleet.render.state import FleetState
from fleet.text.problems import UnreadableFileError
from fleet.text.yaml_io import decode, read_text


def add_parser(sub: Any) -> None:
    p = sub.add_parser("diff", help="what changes between two catalogs, per layer and per group's access")
    p.add_argument("base", help="a catalog file, or git:REV:path (a path missing at REV is an empty fleet)")
    p.add_argument("head", help="a catalog file, or git:REV:path")
    p.add_argument(
        "--format", choices=("md", "json"), default="md", help="md: the review comment; json: schemas/diff.v1.json"
    )
    p.add_argument("--fail-on", choices=("never", "warnings"), default="never", help="exit 1 when there are warnings")
    p.set_defaults(run=run)


class _MissingAtRevisionError(Exception):
    """git:REV:path names a path that does not exist at REV."""


def _read_side(spec: str) -> tuple[str, str]:
    """(text, label) of a diff side: a file, or git:REV:path read with `git show`."""
    if not spec.startswith("git:"):
        return read_text(spec), spec
    rev, sep, path = spec[4:].partition(":")
    if not sep or not rev or not path:
        raise UnreadableFileError(f"{spec}: expected git:REV:path, e.g. git:origin/main:stacks/dev.yaml")
    if rev.startswith("-"):  # `git show --output=…:x` would be an option, not a revision
        raise UnreadableFileError(f"{spec}: a revision does not start with '-'")
    try:
        shown = git.show(Path(), rev, path)
    except git.GitError as err:
        raise UnreadableFileError(f"{spec}: {err}") from None
    if shown is None:
        raise _MissingAtRevisionError(spec)
    return decode(shown, spec), f"{rev}:{path}"


def run(args: argparse.Namespace) -> int:
    sides: list[tuple[Catalog, FleetState] | None] = []
    labels: list[str] = []
    for spec in (args.base, args.head):
        try:
            text, label = _read_side(spec)
        except _MissingAtRevisionError:
            # A new catalog in this pull request; also what a mistyped path looks like.
            err(f"note: {spec} does not exist: diffing against an empty fleet")
            sides.append(None)
            labels.append(f"{spec} (absent)")
            continue
        except OSError as error:
            raise UnreadableFileError(f"{spec}: cannot read: {error.strerror or error}") from error
        sides.append(state_from_text(text, label))
        labels.append(label)
    if sides[0] is None and sides[1] is None:
        raise UnreadableFileError(f"{args.base} and {args.head}: neither side exists")
    from fleet.reports import diff  # only this command needs it

    result = diff.compute(sides[0], sides[1], labels[0], labels[1])
    if args.format == "json":
        output.json(result)
    else:
        out(diff.markdown(result))
    return exits.REFUSED if args.fail_on == "warnings" and result.warnings else exits.OK
