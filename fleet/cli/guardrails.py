"""`fleet guardrails`: the guardrail table (id, what it checks, where, anchor), as in the README."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fleet import guardrails
from fleet.cli import exits
from fleet.text import markdown as md


def add_parser(sub: Any) -> None:
    p = sub.add_parser("guardrails", help="print the guardrail table (id, what it checks, anchor)")
    p.set_defaults(run=run)


def _md(text: str) -> str:
    return md.cell(text, escape="*")  # our own prose: its asterisks are wildcards, not emphasis


def guardrail_table() -> str:
    lines = ["| rule id | checks | where | anchor |", "|---|---|---|---|"]
    for rule in guardrails.RESOURCE_RULES:
        # A Kubernetes kind (`/*:`) covers every API version and its Patch and List resources.
        kinds = ", ".join(sorted({t.rsplit(":", 1)[-1] + ("\\*" if "/*:" in t else "") for t in rule.types}))
        lines.append(f"| `{rule.id}` | {_md(rule.rationale)} | {kinds} | {_md(rule.anchor)} |")
    for stack_rule in guardrails.STACK_RULES:
        lines.append(
            f"| `{stack_rule.id}` | {_md(stack_rule.rationale)} | the whole stack | {_md(stack_rule.anchor)} |"
        )
    for rule in guardrails.CATALOG_RULES:
        lines.append(f"| `{rule.id}` | {_md(rule.rationale)} | the catalog | {_md(rule.anchor)} |")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(guardrail_table())
    return exits.OK
