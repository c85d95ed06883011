"""`python -m fleet split FILE` and `python -m fleet join FOLDER`: one file ↔ a catalog folder.

`split` is the one-shot move of an environment to the folder form (a platform file and a file
per team, every comment kept); `join` goes back (small fleets, tools that want one file). Both
prove their result before writing it: it validates, and it renders the same plan directory as
the input, byte for byte. With `--replace`, `split` also removes the file and points every
Pulumi.<stack>.yaml that deployed it at the folder.

Exit (`fleet.cli.exits`) 0 written; 1 the input is invalid, or the result would not render the
same plan (nothing written); 2 usage error (the output exists, the file cannot be cut line by line, …).
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from fleet.catalog.convert import join, split
from fleet.catalog.folder import PLATFORM_FILE, TEAMS_DIR, CatalogFiles, Entry, read_folder
from fleet.catalog.location import CATALOG_KEY
from fleet.cli import exits
from fleet.cli.output import err, out
from fleet.compiler import state_from_files
from fleet.io import files as out_files
from fleet.render.state import FleetState
from fleet.reports import plan
from fleet.text.problems import UsageError
from fleet.text.yaml_io import read_text

_STACK_FILE = re.compile(r"Pulumi\.[A-Za-z0-9_-][A-Za-z0-9_.-]*\.yaml")


def add_parser(sub: Any) -> None:
    s = sub.add_parser(
        "split",
        help="move a one-file catalog to a folder: platform.yaml and teams/<team>.yaml, every comment kept",
        description="Exit 0 written, 1 refused (nothing written), 2 usage error.",
    )
    s.add_argument("file", type=Path, help="a one-file catalog, e.g. stacks/dev.yaml")
    s.add_argument("--out", type=Path, help="the new folder (default: the file's path without .yaml, stacks/dev)")
    s.add_argument(
        "--replace",
        action="store_true",
        help=f"then remove the file and point {CATALOG_KEY} of every Pulumi.<stack>.yaml here that names it at the folder",
    )
    s.set_defaults(run=run)
    j = sub.add_parser(
        "join",
        help="write a catalog folder as one file (the inverse of split)",
        description="Exit 0 written, 1 refused (nothing written), 2 usage error.",
    )
    j.add_argument("folder", type=Path, help="a catalog folder, e.g. stacks/dev")
    j.add_argument("--out", type=Path, help="the new file (default: the folder's path with .yaml, stacks/dev.yaml)")
    j.set_defaults(run=run)


def _same_plan(before: FleetState, after: FleetState) -> str | None:
    """None when both render the same plan directory byte for byte, else the first file that differs."""
    old, new = plan.files(before), plan.files(after)
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            return name
    return None


def _stack_files(catalog: Path) -> dict[Path, str]:
    """Pulumi.<stack>.yaml files of the current directory whose catalog is this file."""
    wanted = PurePosixPath(catalog.as_posix())
    found = {}
    for path in sorted(Path().glob("Pulumi.*.yaml")):
        if not _STACK_FILE.fullmatch(path.name):
            continue
        text = path.read_text(encoding="utf-8")
        config = (yaml.safe_load(text) or {}).get("config") or {}
        value = config.get(CATALOG_KEY) if isinstance(config, dict) else None
        if isinstance(value, str) and PurePosixPath(value) == wanted:
            found[path] = text
    return found


def _point_at(text: str, old: str, new: str, label: str) -> str:
    """The stack file with its catalog value changed from `old` to `new`, nothing else."""
    line = re.compile(rf"^(\s*{re.escape(CATALOG_KEY)}\s*:\s*)(['\"]?){re.escape(old)}\2(\s*(#.*)?)$", re.MULTILINE)
    changed, count = line.subn(lambda m: f"{m.group(1)}{m.group(2)}{new}{m.group(2)}{m.group(3)}", text)
    expected = yaml.safe_load(text)
    expected["config"][CATALOG_KEY] = new
    if count != 1 or yaml.safe_load(changed) != expected:
        raise UsageError(f"{label}: cannot change {CATALOG_KEY} from {old} to {new} in place; edit it by hand")
    return changed


def _split(args: argparse.Namespace) -> int:
    source: Path = args.file
    if source.is_dir():
        raise UsageError(f"{source}: is a folder already")
    folder: Path = args.out or source.with_suffix("")
    if folder == source:
        raise UsageError(f"{source}: give --out, the folder to write")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(f"{folder}: exists; split writes a new folder")
    text = read_text(source)
    _, before = state_from_files(CatalogFiles.single(str(source), text))  # only a valid catalog is moved
    parts = split(text, str(source))
    written = parts.files()
    _, after = state_from_files(CatalogFiles.of_folder(str(folder), [Entry(p, body) for p, body in written.items()]))
    differs = _same_plan(before, after)
    if differs is not None:
        err(f"{folder}: would render {differs} differently from {source}; nothing was written")
        return exits.REFUSED
    stack_files = {}
    if args.replace:
        for path, body in _stack_files(source).items():
            stack_files[path] = _point_at(body, source.as_posix(), folder.as_posix(), str(path))
    out_files.write_tree(folder, written)
    for path, body in stack_files.items():
        out_files.replace_text(path, body)
    if args.replace:
        os.remove(source)
    out(
        f"wrote {folder}/{PLATFORM_FILE} and {len(parts.teams)} team file(s) in {folder}/{TEAMS_DIR}/; every comment "
        f"kept; the folder renders the same plan as {source}, byte for byte ({len(plan.files(after))} files)\n"
    )
    if args.replace:
        pointed = ", ".join(str(p) for p in stack_files) or "no Pulumi.<stack>.yaml named it"
        out(f"removed {source}; {CATALOG_KEY} now names {folder} in: {pointed}\n")
    else:
        out(
            f"next: remove {source} and set {CATALOG_KEY}: {folder.as_posix()} in the stack files that named it "
            "(or run again with --replace)\n"
        )
    return exits.OK


def _join(args: argparse.Namespace) -> int:
    source: Path = args.folder
    if not source.is_dir():
        raise UsageError(f"{source}: not a folder")
    target: Path = args.out or source.with_name(source.name + ".yaml")
    if target.exists():
        raise UsageError(f"{target}: exists; join writes a new file")
    folder = read_folder(source)
    _, before = state_from_files(folder)
    platform = folder.text(PLATFORM_FILE)
    assert platform is not None
    teams = {}
    for entry in folder.entries:
        if entry.path.startswith(f"{TEAMS_DIR}/") and entry.text is not None:
            teams[entry.path.removeprefix(f"{TEAMS_DIR}/").removesuffix(".yaml")] = entry.text
    text = join(platform, teams)
    _, after = state_from_files(CatalogFiles.single(str(target), text))
    differs = _same_plan(before, after)
    if differs is not None:
        err(f"{target}: would render {differs} differently from {source}; nothing was written")
        return exits.REFUSED
    out_files.write_new(target, text)
    out(f"wrote {target}: {len(teams)} team(s); it renders the same plan as {source}, byte for byte\n")
    return exits.OK


def run(args: argparse.Namespace) -> int:
    return _split(args) if args.command == "split" else _join(args)
