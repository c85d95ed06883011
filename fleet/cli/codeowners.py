"""`python -m fleet codeowners [--check]`: .github/CODEOWNERS from the catalogs under stacks/.

Exit (`fleet.cli.exits`) 0 written (or, with --check, up to date); 1 stale (--check: what would change is printed),
or a catalog is invalid or lacks what CODEOWNERS needs; 2 usage error.
"""

from __future__ import annotations

import argparse
import difflib
from pathlib import Path
from typing import Any

from fleet.cli import exits
from fleet.cli.output import err, out
from fleet.compiler import load
from fleet.io import files
from fleet.reports import codeowners
from fleet.text.problems import CatalogError, Problem, UsageError


def add_parser(sub: Any) -> None:
    c = sub.add_parser(
        "codeowners",
        help="write .github/CODEOWNERS from the catalogs: each team's file to the team, the rest to the platform",
        description="Exit 0 written or up to date, 1 stale (--check) or a catalog problem, 2 usage error.",
    )
    c.add_argument("--root", type=Path, default=Path(), help="the repository's top folder (default: here)")
    c.add_argument("--check", action="store_true", help="write nothing; exit 1, saying what is stale, when it differs")
    c.set_defaults(run=run)


def sources(root: Path) -> list[codeowners.Source]:
    """Every catalog under stacks/: its one-file catalogs and its catalog folders, validated."""
    stacks = root / "stacks"
    if not stacks.is_dir():
        raise UsageError(f"{stacks}: no such folder (give --root, the repository's top folder)")
    found, problems = [], []
    for entry in sorted(stacks.iterdir()):
        relative = f"stacks/{entry.name}"
        if entry.is_symlink() or not (entry.is_dir() or entry.suffix == ".yaml"):
            continue  # not a catalog (the pipeline refuses a link where a catalog is expected)
        try:
            found.append(codeowners.Source(relative, entry.is_dir(), load(entry)))
        except CatalogError as err:
            problems += [Problem(p.path, p.reason, p.source or err.source) for p in err.problems]
    if problems:
        raise CatalogError(str(stacks), problems)
    return found


def run(args: argparse.Namespace) -> int:
    found = sources(args.root)
    missing = codeowners.problems(found)
    if missing:
        raise CatalogError("stacks", missing)
    text = codeowners.text(found)
    target = args.root / codeowners.PATH
    current = target.read_text(encoding="utf-8") if target.is_file() else None
    if args.check:
        if current == text:
            out(f"{codeowners.PATH} is up to date ({len(found)} catalog(s))\n")
            return exits.OK
        if current is None:
            err(f"{codeowners.PATH} is missing: run `{codeowners.COMMAND}`")
            return exits.REFUSED
        err(f"{codeowners.PATH} is stale: `{codeowners.COMMAND}` would change it so:")
        for line in difflib.unified_diff(
            current.splitlines(), text.splitlines(), codeowners.PATH, "(from the catalogs)", lineterm=""
        ):
            err(line)
        return exits.REFUSED
    if current == text:
        out(f"{codeowners.PATH} is up to date ({len(found)} catalog(s))\n")
        return exits.OK
    if current is None:
        target.parent.mkdir(parents=True, exist_ok=True)
        files.write_new(target, text)
    else:
        files.replace_text(target, text)
    out(f"wrote {codeowners.PATH} from {len(found)} catalog(s)\n")
    return exits.OK
