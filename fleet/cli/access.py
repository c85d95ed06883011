"""`fleet access FILE`: who can do what, where (Markdown, JSON or one HTML page)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fleet.cli import exits, output
from fleet.compiler import load_state
from fleet.reports import access, plan


def add_parser(sub: Any) -> None:
    p = sub.add_parser("access", help="print who can do what, where")
    p.add_argument("file", type=Path, help="the catalog: a folder (stacks/prod) or one file (stacks/prod.yaml)")
    output.add_format(
        p,
        ("text", "md", "json", "html"),
        "text: for people (drawn to fit the terminal, the default there); md: Markdown (the default elsewhere); json; html: one self-contained page",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    _, state = load_state(args.file)
    data = access.matrix(state)
    fmt = output.format_of(args)
    if fmt == "html":
        from fleet.reports import access_html, graph

        sys.stdout.write(access_html.page(state, data, graph.mermaid(state)))
    elif fmt == "json":
        sys.stdout.write(plan.to_json(data))
    else:
        output.report(access.markdown(data), fmt)
    return exits.OK
