"""`fleet access FILE`: who can do what, where (Markdown, JSON or one HTML page)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fleet.cli import exits
from fleet.cli.output import out
from fleet.compiler import load_state
from fleet.reports import access, plan


def add_parser(sub: Any) -> None:
    p = sub.add_parser("access", help="print who can do what, where")
    p.add_argument("file", type=Path, help="the catalog: a folder (stacks/prod) or one file (stacks/prod.yaml)")
    p.add_argument("--format", choices=("md", "json", "html"), default="md", help="html: one self-contained page")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    _, state = load_state(args.file)
    data = access.matrix(state)
    if args.format == "html":
        from fleet.reports import access_html, graph

        sys.stdout.write(access_html.page(state, data, graph.mermaid(state)))
    elif args.format == "json":
        sys.stdout.write(plan.to_json(data))
    else:
        out(access.markdown(data))
    return exits.OK
