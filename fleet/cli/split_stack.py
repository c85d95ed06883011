"""`python -m fleet split-stack ENV`: move a deployed environment's single stack (`dev`) into its
platform stack (`dev.platform`) and a stack per team (`dev.<team>`) without touching an object.

Runs `pulumi` (on PATH, in --root, with this process's PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE
and credentials): a no-change preview of the old stack, then per new stack `pulumi stack init`
where missing, its stack file from Pulumi.ENV.yaml, `pulumi state move` and the adoption of its
component; the old stack is left with nothing but its root (`pulumi stack rm ENV` removes it).
docs/operator/stacks.md. Exit 0 moved; 1 refused (what `pulumi` or the state said); 2 usage error.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fleet.catalog.location import PROJECT_FILE, PipelineError, configured_catalog, resolve_catalog, stack_file
from fleet.catalog.naming import stack_scope
from fleet.cli import exits
from fleet.cli.output import err, out
from fleet.compiler import load
from fleet.io import stacks
from fleet.render.migration import MigrationError
from fleet.text.problems import UsageError


def add_parser(sub: Any) -> None:
    c = sub.add_parser(
        "split-stack",
        help="move an environment's single stack into its platform stack and a stack per team (state only)",
        description="Exit 0 moved, 1 refused (nothing further moved), 2 usage error.",
    )
    c.add_argument("environment", help="the single stack to move, named like its environment (dev)")
    c.add_argument("--root", type=Path, default=Path(), help="the Pulumi project's folder (default: here)")
    c.add_argument(
        "--no-preview-check",
        dest="check_preview",
        action="store_false",
        help="skip the first `pulumi preview --expect-no-changes` of the old stack (not recommended)",
    )
    c.set_defaults(run=run)


def teams_of(root: Path, environment: str) -> list[str]:
    """The teams of the catalog the environment's reviewed stack file names."""
    reviewed = stacks._read_yaml(root / stack_file(environment))
    project = stacks._read_yaml(root / PROJECT_FILE)
    catalog = resolve_catalog(configured_catalog(reviewed, project, environment), environment, root)
    return [team.name for team in load(catalog).teams]


def run(args: argparse.Namespace) -> int:
    scope = stack_scope(args.environment) if "." not in args.environment else None
    if scope is None or scope.kind != "environment":
        raise UsageError(f"{args.environment!r}: give the single stack's name, the environment (dev)")
    try:
        teams = teams_of(args.root, args.environment)
        moved = stacks.split(
            stacks.Cli(args.root, log=lambda line: out(line + "\n")), args.environment, teams, args.check_preview
        )
    except (PipelineError, MigrationError) as refusal:
        for reason in refusal.reasons:
            err(f"{args.environment}: {reason}")
        return exits.REFUSED
    except stacks.PulumiCommandError as failure:
        err(f"{args.environment}: {failure}")
        return exits.REFUSED
    for stack, count in moved.items():
        out(f"{stack}: {count} resources\n")
    out(
        f"{args.environment}: empty. Preview every new stack (`pulumi preview -s {args.environment}.platform`, …: "
        f"no changes), then `pulumi stack rm {args.environment}`"
    )
    return exits.OK
