"""`fleet guardrails`: the guardrail table (id, what it checks, where, anchor), as in the README."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fleet import guardrails
from fleet.cli import exits, people
from fleet.text import markdown as md


def add_parser(sub: Any) -> None:
    p = sub.add_parser("guardrails", help="print the guardrail table (id, what it checks, anchor)")
    p.set_defaults(run=run)


def _md(text: str) -> str:
    return md.cell(text, escape="*")  # our own prose: its asterisks are wildcards, not emphasis


def rows() -> list[tuple[str, str, str, str]]:
    """(rule id, what it checks, where, anchor) of every rule, in the order of the table."""
    out = []
    for rule in guardrails.RESOURCE_RULES:
        kinds = ", ".join(sorted({t.rsplit(":", 1)[-1] + ("*" if "/*:" in t else "") for t in rule.types}))
        out.append((rule.id, rule.rationale, kinds, rule.anchor))
    out += [(r.id, r.rationale, "the whole stack", r.anchor) for r in guardrails.STACK_RULES]
    out += [(r.id, r.rationale, "the catalog", r.anchor) for r in guardrails.CATALOG_RULES]
    return out


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
    if people.for_people(sys.stdout):  # a table that fits the terminal; Markdown elsewhere
        people.table(people.console(sys.stdout), ("rule id", "checks", "where", "anchor"), rows(), title="Guardrails")
    else:
        sys.stdout.write(guardrail_table())
    return exits.OK
