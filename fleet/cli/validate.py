"""`fleet validate FILE`: check a catalog; print every problem at once."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fleet.cli import exits
from fleet.cli.output import out
from fleet.compiler import load_state
from fleet.render.state import FleetState


def add_parser(sub: Any) -> None:
    p = sub.add_parser("validate", help="check a catalog; print every problem at once")
    p.add_argument("file", type=Path, help="the catalog: a folder (stacks/dev) or one file (stacks/dev.yaml)")
    p.set_defaults(run=run)


def summary(state: FleetState) -> str:
    namespaces = sum(len(t.namespaces) for t in state.teams)
    apps = sum(len(t.apps) for t in state.teams)
    roles = len(list(state.roles()))
    return f"valid: {len(state.teams)} teams, {apps} apps, {namespaces} namespaces, {roles} IAM roles"


def run(args: argparse.Namespace) -> int:
    _, state = load_state(args.file)
    out(f"{args.file}: {summary(state)}\n")
    return exits.OK
