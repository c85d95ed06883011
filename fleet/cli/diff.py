"""`fleet diff BASE HEAD`: what changes between two catalogs, per layer and per group's access."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fleet.catalog.folder import CatalogFiles, read_catalog
from fleet.catalog.location import PipelineError
from fleet.catalog.models import Catalog
from fleet.cli import exits, output
from fleet.cli.output import err
from fleet.compiler import state_from_files
from fleet.io import git
from fleet.render.state import FleetState
from fleet.text.problems import UnreadableFileError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("diff", help="what changes between two catalogs, per layer and per group's access")
    p.add_argument(
        "base", help="a catalog file or folder, or git:REV:path (a file or a folder; missing at REV: an empty fleet)"
    )
    p.add_argument("head", help="a catalog file or folder, or git:REV:path")
    output.add_format(
        p,
        ("text", "md", "json"),
        "text: for people (drawn to fit the terminal, the default there); md: the review comment (the default "
        "elsewhere); json: schemas/diff.v1.json",
    )
    p.add_argument("--fail-on", choices=("never", "warnings"), default="never", help="exit 1 when there are warnings")
    p.set_defaults(run=run)


class _MissingAtRevisionError(Exception):
    """git:REV:path names a path that does not exist at REV."""


def _read_side(spec: str) -> CatalogFiles:
    """A diff side: a catalog file or folder, or git:REV:path (a file or a folder at REV)."""
    if not spec.startswith("git:"):
        return read_catalog(spec)
    rev, sep, path = spec[4:].partition(":")
    if not sep or not rev or not path:
        raise UnreadableFileError(f"{spec}: expected git:REV:path, e.g. git:origin/main:stacks/dev")
    if rev.startswith("-"):  # `git ls-tree --output=…` would be an option, not a revision
        raise UnreadableFileError(f"{spec}: a revision does not start with '-'")
    try:
        found = git.GitTree(Path(), rev).catalog(path, f"{rev}:{path}")
    except UnreadableFileError as error:  # git.GitError among them: an unknown revision
        raise UnreadableFileError(f"{spec}: cannot read at that revision: {error}") from None
    except PipelineError as error:
        raise UnreadableFileError(f"{spec}: {'; '.join(error.reasons)}") from None
    if found is None:
        raise _MissingAtRevisionError(spec)
    return found


def run(args: argparse.Namespace) -> int:
    sides: list[tuple[Catalog, FleetState] | None] = []
    labels: list[str] = []
    for spec in (args.base, args.head):
        try:
            files = _read_side(spec)
        except _MissingAtRevisionError:
            # A new catalog in this pull request; also what a mistyped path looks like.
            err(f"note: {spec} does not exist: diffing against an empty fleet")
            sides.append(None)
            labels.append(f"{spec} (absent)")
            continue
        except OSError as error:
            raise UnreadableFileError(f"{spec}: cannot read: {error.strerror or error}") from error
        sides.append(state_from_files(files))
        labels.append(files.label)
    if sides[0] is None and sides[1] is None:
        raise UnreadableFileError(f"{args.base} and {args.head}: neither side exists")
    from fleet.reports import diff  # only this command needs it

    result = diff.compute(sides[0], sides[1], labels[0], labels[1])
    fmt = output.format_of(args)
    if fmt == "json":
        output.json(result)
    else:
        output.report(diff.markdown(result), fmt)
    return exits.REFUSED if args.fail_on == "warnings" and result.warnings else exits.OK
