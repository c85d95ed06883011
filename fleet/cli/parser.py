"""The command line: one sub-command per module of `fleet.cli`, each adding its own parser and
naming the function that runs it (`args.run`)."""

from __future__ import annotations

import argparse

from fleet import __version__
from fleet.cli import (
    access,
    audit,
    codeowners,
    completion,
    convert,
    diff,
    explain,
    guardrails,
    init,
    pipeline,
    plan,
    promote,
    split_stack,
    stacks,
    status,
    validate,
)

# In the order `--help` lists them.
COMMANDS = (
    init,
    validate,
    plan,
    access,
    guardrails,
    explain,
    diff,
    stacks,
    status,
    audit,
    promote,
    convert,
    codeowners,
    pipeline,
    split_stack,
    completion,
)
COMMAND = "app-of-apps"  # the console command (pyproject.toml); not `fleet`, which is Rancher Fleet's


def build(prog: str = "python -m fleet") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Offline tools for the app-of-apps catalog.")
    parser.add_argument("--version", action="version", version=f"{COMMAND} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser
