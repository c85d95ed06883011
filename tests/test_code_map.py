"""The README's "Map of the code" and the tree agree: every package and top-level module of fleet/
in the order of the import contract's layers, every top-level folder, and where a line names
files, exactly the files of its folder. Adding or removing a package fails here until the map
says so."""

from __future__ import annotations

import re
import subprocess
import tomllib
from dataclasses import dataclass

import pytest

from tests.conftest import ROOT

SECTION = "## Map of the code"
FILE_NAME = re.compile(r"[\w.-]+\.(?:py|yaml)")


@dataclass(frozen=True)
class Entry:
    path: str  # as the map writes it: "fleet/", "cli/", "compiler.py"
    parent: str | None  # "fleet/" for an indented line
    description: str


def read_map(readme: str) -> list[Entry]:
    """The entries of the first code block of the section (the section ends at the next `## `)."""
    lines = readme.split("\n")
    assert lines.count(SECTION) == 1, f"the README has no single {SECTION!r} section"
    body = lines[lines.index(SECTION) + 1 :]
    end = next((i for i, line in enumerate(body) if line.startswith("## ")), len(body))
    body = body[:end]
    fences = [i for i, line in enumerate(body) if line.startswith("```")]
    assert len(fences) >= 2, f"{SECTION}: no code block"
    entries: list[Entry] = []
    parent: str | None = None
    for line in body[fences[0] + 1 : fences[1]]:
        match = re.fullmatch(r"( *)(\S+)\s+(\S.*)", line)
        assert match, f"{SECTION}: not 'path  description': {line!r}"
        indent, path, description = match.groups()
        if indent:
            assert parent is not None, f"{SECTION}: {line!r} is indented under nothing"
            entries.append(Entry(path, parent, description))
        else:
            parent = path if path.endswith("/") else None
            entries.append(Entry(path, None, description))
    return entries


def _tracked_top_level() -> set[str]:
    """The repository's top-level folders (as Git has them: a fresh clone's tree)."""
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return {f"{path.split('/')[0]}/" for path in listed if "/" in path}


def _fleet_parts() -> list[str]:
    """fleet/'s packages ("cli/") and top-level modules ("compiler.py"), __init__ and __main__ aside."""
    fleet = ROOT / "fleet"
    packages = [f"{p.name}/" for p in fleet.iterdir() if (p / "__init__.py").is_file()]
    modules = [p.name for p in fleet.glob("*.py") if p.name not in {"__init__.py", "__main__.py"}]
    return sorted(packages + modules)


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return read_map((ROOT / "README.md").read_text())


def test_the_map_names_every_package_and_module_of_fleet_and_nothing_else(entries: list[Entry]) -> None:
    mapped = [e.path for e in entries if e.parent == "fleet/"]
    assert len(mapped) == len(set(mapped)), "a part of fleet/ is mapped twice"
    assert sorted(mapped) == _fleet_parts()


def test_the_map_lists_fleet_in_the_order_of_the_layers(entries: list[Entry]) -> None:
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contract if c["type"] == "layers"]
    rank = {name.strip(): i for i, layer in enumerate(layers) for name in layer.split("|")}
    mapped = [e.path.removesuffix("/").removesuffix(".py") for e in entries if e.parent == "fleet/"]
    assert set(mapped) == set(rank), "the map and the import contract name different parts of fleet/"
    assert [rank[name] for name in mapped] == sorted(rank[name] for name in mapped), mapped


def test_the_map_names_every_top_level_folder(entries: list[Entry]) -> None:
    top = {e.path for e in entries if e.parent is None}
    folders = _tracked_top_level()
    assert {f for f in folders if not f.startswith(".")} <= top, "a top-level folder is missing from the map"
    for path in top:
        assert (ROOT / path).exists(), f"the map names {path}, which does not exist"
    assert top <= folders | {p.name for p in ROOT.iterdir() if p.is_file()}


def test_a_line_that_names_files_names_exactly_the_files_of_its_folder(entries: list[Entry]) -> None:
    checked = 0
    for entry in entries:
        if entry.parent is not None or not entry.path.endswith("/"):
            continue
        named = set(FILE_NAME.findall(entry.description))
        if not named:
            continue
        folder = ROOT / entry.path
        present = {
            p.name for p in folder.iterdir() if p.is_file() and FILE_NAME.fullmatch(p.name) and p.name != "__init__.py"
        }
        assert named == present, f"{entry.path}: the map names {sorted(named)}, the folder has {sorted(present)}"
        checked += 1
    assert checked >= 2  # components/ and policies/


def test_the_map_is_compact(entries: list[Entry]) -> None:
    assert len(entries) <= 32
    assert all(entry.description for entry in entries)


def test_the_check_fails_for_a_package_the_map_does_not_name() -> None:
    readme = (ROOT / "README.md").read_text()
    dropped = re.sub(r"\n  text/ [^\n]*", "", readme, count=1)
    assert dropped != readme
    mapped = sorted(e.path for e in read_map(dropped) if e.parent == "fleet/")
    assert mapped != _fleet_parts()
    assert set(_fleet_parts()) - set(mapped) == {"text/"}
