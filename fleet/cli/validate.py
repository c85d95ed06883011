"""`fleet validate FILE…`: check catalogs; print every problem of every one at once, as text
for people, or as JSON, SARIF or GitHub annotations for tools."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fleet.catalog.folder import PLATFORM_FILE, TEAMS_DIR, team_of
from fleet.cli import exits, people
from fleet.compiler import load_state
from fleet.render.state import FleetState
from fleet.reports import findings
from fleet.text.problems import CatalogError, UnreadableFileError


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "validate",
        help="check catalogs; print every problem at once",
        description="Check each catalog (its YAML, its fields, every guardrail) and print every problem of every "
        "catalog at once: FILE:LINE:COLUMN: path: reason. Several catalogs may be given (a pre-commit hook "
        "passes the files it changed). Exit 0: all valid; 1: a problem; 2: a file could not be read.",
    )
    p.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="catalogs: folders (stacks/dev) or files (stacks/dev.yaml, stacks/*.yaml)",
    )
    p.add_argument(
        "--format",
        choices=findings.FORMATS,
        default="text",
        help="text: one line per problem (standard error) and per valid catalog (standard output); json: one "
        "document; sarif: a SARIF 2.1.0 log for code scanning; github: workflow commands that annotate the "
        "pull request's lines",
    )
    p.set_defaults(run=run)


def summary(state: FleetState) -> str:
    namespaces = sum(len(t.namespaces) for t in state.teams)
    apps = sum(len(t.apps) for t in state.teams)
    roles = len(list(state.roles()))
    return f"valid: {len(state.teams)} teams, {apps} apps, {namespaces} namespaces, {roles} IAM roles"


def catalog_of(path: Path) -> Path:
    """The catalog a path belongs to: a catalog folder's platform file or team file is judged
    with its folder (a pre-commit hook passes the files a commit changed, and a team file
    alone is no catalog); anything else is a catalog itself."""
    if not path.is_file():
        return path
    parent = path.parent
    if path.name == PLATFORM_FILE and (parent / TEAMS_DIR).is_dir():
        return parent
    if parent.name == TEAMS_DIR and team_of(f"{TEAMS_DIR}/{path.name}") and (parent.parent / PLATFORM_FILE).is_file():
        return parent.parent
    return path


def judge(path: Path) -> findings.FileResult:
    """One catalog: valid, its problems, or why it could not be read."""
    try:
        _, state = load_state(path)
    except CatalogError as err:
        return findings.FileResult(str(path), problems=err.problems)
    except UnreadableFileError as err:
        return findings.FileResult(str(path), error=str(err))
    return findings.FileResult(str(path), summary=summary(state))


def run(args: argparse.Namespace) -> int:
    results = [judge(path) for path in dict.fromkeys(catalog_of(path) for path in args.files)]
    if args.format == "text" and (people.for_people(sys.stdout) or people.for_people(sys.stderr)):
        people.validate(results, people.console(sys.stdout, soft_wrap=True), people.console(sys.stderr, soft_wrap=True))
    elif args.format == "text":
        out, err = findings.text(results)
        sys.stdout.write(out)
        sys.stderr.write(err)
    else:
        writer = {"json": findings.to_json, "sarif": findings.to_sarif, "github": findings.github}[args.format]
        sys.stdout.write(writer(results))
    if any(r.error is not None for r in results):
        return exits.USAGE
    return exits.OK if all(r.valid for r in results) else exits.REFUSED
