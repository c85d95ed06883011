"""`fleet explain RULE-ID`: a rule's reason, an example it refuses (and what it says of it) and
the example fixed; `--list`: every rule `explain` knows."""

from __future__ import annotations

import argparse
from typing import Any

from fleet.cli import exits, output
from fleet.reports import explain
from fleet.text.problems import UsageError


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "explain",
        help="why a rule refuses, an example it refuses and its fix",
        description="Explain a rule by the id a problem names in brackets (e.g. [iam-no-wildcard-action]): its "
        "reason, what it follows, an example it refuses with what it says of it (judged by the rule now), and "
        "the example fixed. Exit 2 for an unknown id (with the closest ones).",
    )
    p.add_argument("rule", nargs="?", metavar="RULE-ID", help="a guardrail's id, validate's own or the pipeline's")
    p.add_argument("--list", action="store_true", help="every rule id explain knows, with its reason")
    output.add_format(p, ("text", "md"), "text: for people (drawn for a terminal, plain elsewhere); md: Markdown")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.list == (args.rule is not None):
        raise UsageError("give a RULE-ID, or --list")
    if args.list:
        output.report(explain.rule_list(), output.format_of(args, always_text=True))
        return exits.OK
    try:
        found = explain.explain(args.rule)
    except explain.UnknownRuleError as err:
        raise UsageError(str(err)) from None
    output.report(explain.markdown(found), output.format_of(args, always_text=True))
    return exits.OK
