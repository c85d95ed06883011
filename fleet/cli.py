"""`python -m fleet validate|plan|access`: offline, no credentials, exit 0 / 1 (bad input) / 2 (usage)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from fleet import access, guardrails, plan
from fleet.load import load_state
from fleet.problems import CatalogError, UnreadableFileError
from fleet.state import FleetState

EXIT_INVALID = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fleet", description="Offline tools for the app-of-apps catalog.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    v = sub.add_parser("validate", help="check a catalog; print every problem at once")
    v.add_argument("file", type=Path)
    p = sub.add_parser("plan", help="render what `pulumi up` would create into a directory")
    p.add_argument("file", type=Path)
    p.add_argument(
        "--out",
        required=True,
        help="plan directory; '{environment}' is replaced by the catalog's environment "
        "(its kubernetes/, aws/, okta/ and reports are replaced, nothing else is touched)",
    )
    a = sub.add_parser("access", help="print who can do what, where")
    a.add_argument("file", type=Path)
    a.add_argument("--format", choices=("md", "json"), default="md")
    sub.add_parser("guardrails", help="print the guardrail table (id, what it checks, anchor)")
    return parser


def _validate(state: FleetState) -> str:
    namespaces = sum(len(t.namespaces) for t in state.teams)
    apps = sum(len(t.apps) for t in state.teams)
    roles = len(list(state.roles()))
    return f"valid: {len(state.teams)} teams, {apps} apps, {namespaces} namespaces, {roles} IAM roles"


def _md(text: str) -> str:
    return text.replace("*", "\\*").replace("<", "&lt;").replace(">", "&gt;")


def guardrail_table() -> str:
    lines = ["| rule id | checks | where | anchor |", "|---|---|---|---|"]
    for rule in guardrails.RESOURCE_RULES:
        kinds = ", ".join(sorted({t.rsplit(":", 1)[-1] for t in rule.types}))
        lines.append(f"| `{rule.id}` | {_md(rule.rationale)} | {kinds} | {_md(rule.anchor)} |")
    for stack_rule in guardrails.STACK_RULES:
        lines.append(
            f"| `{stack_rule.id}` | {_md(stack_rule.rationale)} | the whole stack | {_md(stack_rule.anchor)} |"
        )
    for rule in guardrails.CATALOG_RULES:
        lines.append(f"| `{rule.id}` | {_md(rule.rationale)} | the catalog | {_md(rule.anchor)} |")
    return "\n".join(lines) + "\n"


def run(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "guardrails":
        sys.stdout.write(guardrail_table())
        return 0
    try:
        _, state = load_state(args.file)
    except UnreadableFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except CatalogError as err:
        for line in err.lines():
            print(line, file=sys.stderr)
        print(f"{err.source}: {len(err.problems)} problem(s); nothing was written", file=sys.stderr)
        return EXIT_INVALID
    if args.command == "validate":
        print(f"{args.file}: {_validate(state)}")
    elif args.command == "plan":
        out = Path(args.out.replace("{environment}", state.environment))
        try:
            written = plan.write(state, out)
        except OSError as err:
            print(f"error: --out {out}: {err.strerror or err}", file=sys.stderr)
            return EXIT_USAGE
        print(plan.summary(state))
        print(f"wrote {len(written)} files to {out}")
    else:
        data = access.matrix(state)
        sys.stdout.write(plan.to_json(data) if args.format == "json" else access.markdown(data))
    return 0


def main() -> None:
    sys.exit(run())
