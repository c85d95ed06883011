"""fleet.cli.parser builds one command's module only, and that parser is the full parser's."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from fleet.cli import parser
from tests.conftest import ROOT


def _commands(module: object) -> list[str]:
    sub = argparse.ArgumentParser().add_subparsers()
    module.add_parser(sub)  # type: ignore[attr-defined]
    return list(sub.choices)


def _sub(built: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    action = next(a for a in built._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[command]


def test_each_module_adds_the_commands_the_table_gives_it() -> None:
    for module in parser.modules():
        name = module.__name__.rsplit(".", 1)[1]
        assert _commands(module) == [c for c, m in parser.COMMAND_MODULES.items() if m == name], name
    listed = [c for m in parser.modules() for c in _commands(m)]
    assert listed == list(parser.COMMAND_MODULES)  # --help lists them in the table's order


@pytest.mark.parametrize("command", list(parser.COMMAND_MODULES))
def test_a_command_alone_parses_as_in_the_full_parser(command: str) -> None:
    alone, full = parser.build("app-of-apps", [command]), parser.build("app-of-apps")
    assert _sub(alone, command).format_help() == _sub(full, command).format_help()
    assert _sub(alone, command).prog == _sub(full, command).prog


@pytest.mark.parametrize("argv", [[], ["--help"], ["--version"], ["nonsense"], ["-h", "plan"]])
def test_anything_but_a_command_gets_every_command(argv: list[str]) -> None:
    built = parser.build("app-of-apps", argv)
    action = next(a for a in built._actions if isinstance(a, argparse._SubParsersAction))
    assert list(action.choices) == list(parser.COMMAND_MODULES)


def test_plan_imports_no_other_command() -> None:
    code = (
        "import sys\nfrom fleet.cli import parser\nparser.build('app-of-apps', ['plan', 'stacks/dev'])\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('fleet.cli.'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    commands = set(parser.COMMAND_MODULES.values())
    assert {m.removeprefix("fleet.cli.") for m in loaded.stdout.split()} & commands == {"plan"}


def test_a_mistyped_command_is_told_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser.build("app-of-apps", ["pla"]).parse_args(["pla"])
    said = capsys.readouterr().err
    assert "invalid choice: 'pla'" in said
    assert all(repr(command) in said for command in parser.COMMAND_MODULES)
