"""The command line: one sub-command per module of `fleet.cli`, each adding its own parser and
naming the function that runs it (`args.run`).

A command imports only its own module: `fleet plan` does not load what `fleet diff`, `fleet
promote` or the stack commands need (every module is imported for `--help`, a mistyped command
and the shell completion, which list them all)."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from types import ModuleType

from fleet import __version__

# Each command and the module of `fleet.cli` that adds it, in the order `--help` lists them
# (tests/test_cli_parser.py checks that each module adds exactly these).
COMMAND_MODULES: dict[str, str] = {
    "init": "init",
    "validate": "validate",
    "plan": "plan",
    "access": "access",
    "guardrails": "guardrails",
    "explain": "explain",
    "diff": "diff",
    "preview": "stacks",
    "up": "stacks",
    "refresh": "stacks",
    "destroy": "stacks",
    "status": "status",
    "audit": "audit",
    "promote": "promote",
    "split": "convert",
    "join": "convert",
    "codeowners": "codeowners",
    "pipeline": "pipeline",
    "split-stack": "split_stack",
    "completion": "completion",
}
COMMAND = "app-of-apps"  # the console command (pyproject.toml); not `fleet`, which is Rancher Fleet's


def modules(names: Sequence[str] | None = None) -> list[ModuleType]:
    """The modules of the commands `names` (all of them when None), each once, in `--help` order."""
    wanted = [m for c, m in COMMAND_MODULES.items() if names is None or c in names]
    return [importlib.import_module(f"fleet.cli.{module}") for module in dict.fromkeys(wanted)]


def build(prog: str = "python -m fleet", argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command; with `argv` whose first word is a command, of that command's
    module only (what `argv` can reach: anything else, `--help` included, gets every command)."""
    parser = argparse.ArgumentParser(prog=prog, description="Offline tools for the app-of-apps catalog.")
    parser.add_argument("--version", action="version", version=f"{COMMAND} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    only = [argv[0]] if argv and argv[0] in COMMAND_MODULES else None
    for module in modules(only):
        module.add_parser(sub)
    return parser
