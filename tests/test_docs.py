"""Docs that cannot go stale.

- Every command shown with its output is run here and its output compared: a ```console block
  (`$ python -m fleet …` lines, each followed by what it prints; a line `…` stands for lines
  trimmed there), and an output shown as rendered Markdown between
  `<!-- output: python -m fleet … -->` and `<!-- /output -->`.
- Every other `python -m fleet …` line in a code block is parsed by the real parser, so a
  renamed command or option fails here.
- The reference pages and the catalog schema are what scripts/generate_docs.py writes now.
- `mkdocs build --strict` passes: no broken link or anchor, no page outside the navigation.
- The README is a front door: at most 150 lines, pointing into the docs, nowhere outside.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts import generate_docs
from tests.conftest import ROOT, catalog_path

DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "examples" not in p.parts)
TEXTS = [ROOT / "README.md", *PAGES]
TRIMMED = "…"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
OUTPUT = re.compile(r"<!-- output: (.+?) -->\n(.*?)<!-- /output -->", re.DOTALL)
FLEET = ("python -m fleet ", "fleet ")


@dataclass(frozen=True)
class Shown:
    """A command shown in the docs with the output it prints."""

    where: str
    command: str
    expected: str


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _console_blocks(path: Path) -> list[Shown]:
    out = []
    for match in FENCE.finditer(path.read_text()):
        if match.group(1) != "console":
            continue
        line_no = path.read_text()[: match.start()].count("\n") + 1
        command, expected = None, []
        for line in match.group(2).splitlines():
            if line.startswith("$ "):
                if command is not None:
                    out.append(Shown(f"{_rel(path)}:{line_no}", command, "\n".join(expected)))
                command, expected = line[2:], []
            elif command is None:
                raise AssertionError(f"{_rel(path)}:{line_no}: a console block starts with '$ COMMAND'")
            else:
                expected.append(line)
        assert command is not None, f"{_rel(path)}:{line_no}: an empty console block"
        out.append(Shown(f"{_rel(path)}:{line_no}", command, "\n".join(expected)))
    for match in OUTPUT.finditer(path.read_text()):
        line_no = path.read_text()[: match.start()].count("\n") + 1
        out.append(Shown(f"{_rel(path)}:{line_no}", match.group(1), match.group(2).rstrip("\n")))
    return out


SHOWN = [shown for path in TEXTS for shown in _console_blocks(path)]


def run(command: str) -> str:
    """What a reader who types the command in a clone sees (stdout and stderr as written)."""
    argv = shlex.split(command)
    assert argv[:3] == ["python", "-m", "fleet"], f"only `python -m fleet …` is run from the docs: {command}"
    assert not {"|", ">", "<", "&&", ";"} & set(argv), f"no shell syntax in a shown command: {command}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1", "COLUMNS": "100", "TERM": "dumb"}
    done = subprocess.run(
        [sys.executable, *argv[1:]],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        check=False,
    )
    return done.stdout


def matches(expected: str, actual: str) -> bool:
    """Line by line (trailing spaces aside); a line `…` in `expected` stands for any lines."""
    pattern = []
    for line in expected.splitlines():
        pattern.append(r"(?:[^\n]*\n)*?" if line.strip() == TRIMMED else re.escape(line.rstrip()) + r"[ \t]*\n")
    normal = "".join(f"{line.rstrip()}\n" for line in actual.splitlines())
    return re.fullmatch("".join(pattern), normal) is not None


def test_the_docs_show_commands_and_their_output() -> None:
    assert len(SHOWN) >= 8
    assert any(TRIMMED in s.expected for s in SHOWN)
    assert any("<!-- output:" in p.read_text() for p in PAGES)


@pytest.mark.parametrize("shown", SHOWN, ids=[f"{s.where} {s.command}" for s in SHOWN])
def test_a_shown_command_prints_what_the_docs_say(shown: Shown) -> None:
    actual = run(shown.command)
    assert matches(shown.expected, actual), (
        f"{shown.where}: `{shown.command}` prints, today:\n{actual}\n(the docs show:\n{shown.expected}\n)"
    )


def test_the_matcher_can_fail() -> None:
    assert matches("a\n…\nd", "a\nb\nc\nd\n")
    assert matches("a\n…\nb", "a\nb\n")
    assert not matches("a\n…\nd", "a\nb\nc\n")
    assert not matches("a\nb", "a\nb\nc\n")
    assert not matches("a\nc", "a\nb\n")


# --- every fleet command line parses ------------------------------------------------------------
def _fleet_lines(path: Path) -> list[tuple[str, str]]:
    """(where, argv text) of every `python -m fleet …` (or `app-of-apps …`) line of a code block (continuations joined,
    comments, pipes and redirections cut)."""
    found = []
    text = path.read_text()
    for match in FENCE.finditer(text):
        if match.group(1) not in ("", "sh", "console", "bash", "shell"):
            continue
        line_no = text[: match.start()].count("\n") + 1
        body = match.group(2).replace("\\\n", " ")
        for line in body.splitlines():
            line = line.removeprefix("$ ").strip()
            for prefix in (".venv/bin/python -m fleet ", "python -m fleet ", "app-of-apps "):
                at = line.find(prefix)
                if at == -1 or (at > 0 and not line[:at].rstrip().endswith(("--", "&&", "|"))):
                    continue
                rest = re.split(r"\s(?:#|\||>|&&|;)", line[at + len(prefix) :], maxsplit=1)[0]
                found.append((f"{_rel(path)}:{line_no}", rest))
                break
    return found


FLEET_LINES = [item for path in TEXTS for item in _fleet_lines(path)]


def test_every_shown_fleet_command_parses() -> None:
    from scripts.reference import _parser

    assert len(FLEET_LINES) >= 20
    parser = _parser()
    refused = []
    for where, rest in FLEET_LINES:
        try:
            parser.parse_args(shlex.split(rest))
        except SystemExit:
            refused.append(f"{where}: python -m fleet {rest}")
    assert refused == [], "these commands in the docs are refused by the parser:\n" + "\n".join(refused)


# --- generated pages and the build --------------------------------------------------------------
def test_the_generated_files_are_current() -> None:
    assert generate_docs.stale() == [], "run .venv/bin/python scripts/generate_docs.py and commit the result"


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    """Broken links and anchors, a page missing from the navigation, a missing snippet: all fail."""
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "getting-started.html").is_file()


def test_every_page_is_in_the_navigation() -> None:
    import yaml

    def walk(items: list[object]) -> list[str]:
        out = []
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            out += walk(value) if isinstance(value, list) else [str(value)]
        return out

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    assert sorted(walk(config["nav"])) == sorted(p.relative_to(DOCS).as_posix() for p in PAGES)


# --- the README ---------------------------------------------------------------------------------
def test_the_readme_is_a_front_door() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    assert "make plan" in readme
    assert "make test" in readme
    assert "docs/access-report.png" in readme
    links = re.findall(r"\]\(([^)#]+)", readme)
    local = [link for link in links if not link.startswith(("http://", "https://"))]
    assert all(not Path(link).is_absolute() and ".." not in link for link in local), local
    assert [link for link in local if not (ROOT / link).exists()] == []
    assert any(link.startswith("docs/") and link.endswith(".md") for link in local)
    assert "DESIGN.md" not in readme
    assert not re.search(r"\bissue \d+|\bissues \d+", readme), "the README speaks to users, not of our issue numbers"


def test_the_status_example_is_what_the_code_prints_for_the_recordings() -> None:
    """`fleet status` needs clusters; the docs show its output for the recorded scenario, which
    the code renders again here."""
    from fleet.compiler import load_state
    from fleet.status import formats
    from fleet.status import report as status
    from tests.test_status import recorded

    page = (DOCS / "operator" / "status.md").read_text()
    shown = re.search(r"<!-- status-scenario -->\n````markdown\n(.*?)^````", page, re.DOTALL | re.MULTILINE)
    assert shown is not None
    envs = [status.environment(load_state(catalog_path(e))[1], recorded(e)) for e in ("dev", "prod")]
    assert matches(shown.group(1), formats.markdown(status.report(envs)))


def test_every_argument_of_every_command_says_what_it_is() -> None:
    """The command-line reference is generated from the parsers: an argument without help would
    be an empty cell there (and in --help)."""
    from scripts.reference import _parser, _subcommands

    missing = []

    def walk(name: str, parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            if not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)) and not action.help:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
        for sub_name, _help, sub in _subcommands(parser):
            walk(f"{name} {sub_name}", sub)

    walk("python -m fleet", _parser())
    assert missing == []
