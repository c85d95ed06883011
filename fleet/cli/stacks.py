"""`fleet preview|up|refresh|destroy CATALOG`: an environment's stacks, run through Pulumi's
Automation API: the platform stack, then the team stacks side by side (destroy: the reverse).

    python -m fleet up stacks/dev --changed-since origin/main~1 --yes
    python -m fleet preview stacks/dev --teams payments --format json

The whole environment's catalog is validated first (every check that spans teams); nothing runs
when it is invalid (exit 1). A stack's failure stops no other stack of its stage; the summary and
the exit code (4) name the failed ones. Each stack's full log is kept in
build/runs/<time>-<operation>/<stack>.log, under the project. `preview` and `up` skip a stack
whose inputs digest is the one its last successful update recorded (fleet.orchestration.inputs);
`--all` runs it anyway.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from fleet.catalog.location import PROJECT_FILE, STACKS_DIR, catalog_path, configured_catalog, stack_file
from fleet.cli import exits, output, people, stack_progress
from fleet.compiler import load
from fleet.orchestration import (
    HEADERS,
    MUTATING,
    OPERATIONS,
    Operation,
    RunPlan,
    exit_failed,
    orphaned,
    plain_table,
    plan_run,
    run_summary,
    table,
    verdict,
)
from fleet.orchestration.inputs import SKIPPABLE
from fleet.text.problems import UsageError

HELP: dict[Operation, str] = {
    "preview": "preview an environment's stacks (the platform's, then the teams' side by side); "
    "a stack unchanged since its last update is skipped",
    "up": "deploy an environment's stacks: the platform's first, then the teams' side by side; "
    "a stack unchanged since its last update is skipped",
    "refresh": "refresh an environment's stacks' state from the cloud and the cluster",
    "destroy": "destroy an environment's stacks: the teams' first, then the platform's",
}
# More stacks at once than one: a stack's engine also waits (on its plugins, on the API servers it
# calls). Past the machine's cores more buy little: on 2 cores 4 was within 16% of the best of 1, 2,
# 4 and 8 (benchmarks/RESULTS.md, "--parallel 1, 2, 4 and 8 in one run"); with more cores, raise it.
DEFAULT_PARALLEL = 4
# The operations that name the stacks of the project the catalog no longer deploys (one `pulumi stack ls`).
LISTS_ORPHANS: frozenset[Operation] = frozenset({"preview", "up"})


def _teams(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"{value!r}: team names separated by commas, e.g. payments,search")
    return names


def _parallel(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: a number of stacks, at least 1")
    return int(value)


def add_parser(sub: Any) -> None:
    for operation in OPERATIONS:
        p = sub.add_parser(operation, help=HELP[operation])
        p.add_argument("catalog", type=Path, help="the environment's catalog in the project's stacks/ (stacks/dev)")
        p.add_argument(
            "--teams",
            type=_teams,
            metavar="A,B",
            help="only these teams' stacks (comma-separated; 'platform' names the platform stack)",
        )
        p.add_argument(
            "--changed-since",
            metavar="REV",
            help="only the stacks the files changed from Git revision REV to the working tree affect, as the "
            "pull-request pipeline decides (a team file: its team's stack; the platform file, code or stack "
            "configuration: every stack; documentation alone: none)",
        )
        p.add_argument(
            "--parallel",
            type=_parallel,
            default=DEFAULT_PARALLEL,
            metavar="N",
            help=f"team stacks run at once (default {DEFAULT_PARALLEL})",
        )
        if operation in SKIPPABLE:
            p.add_argument(
                "--all",
                action="store_true",
                help="run every selected stack, even one whose inputs (its rendered part, stack file, the "
                "program's code, the SDKs' and CLI's versions; for a team, the platform's) are exactly those of "
                "its last successful update, which is otherwise skipped: after a change the inputs do not cover "
                "(credentials, an ESC environment's values, a cluster stack's outputs, PULUMI_K8S_* variables) or "
                "a `pulumi state` command or `pulumi stack import`",
            )
        p.add_argument(
            "--yes",
            action="store_true",
            help="do not ask (up, refresh and destroy ask at a terminal, and need it anywhere else)",
        )
        p.add_argument(
            "--format",
            choices=("text", "json"),
            default="text",
            help="text: progress and a summary table; json: one object {stacks: [...]} on stdout, progress on stderr",
        )
        p.set_defaults(run=run, operation=operation)


def project_of(catalog: Path) -> tuple[Path, str]:
    """(the Pulumi project's directory, the catalog's path in it): a catalog lives in the
    project's stacks/ folder, beside Pulumi.yaml."""
    absolute = catalog.absolute()
    root = next((p for p in absolute.parents if p.name == STACKS_DIR), None)
    if root is None or not (root.parent / PROJECT_FILE).is_file():
        raise UsageError(f"{catalog}: a catalog in the stacks/ folder of a Pulumi project (beside {PROJECT_FILE})")
    return root.parent, absolute.relative_to(root.parent).as_posix()


def _check_stack_file(root: Path, environment: str, relative: str) -> None:
    """The environment's stack file must deploy this catalog: the stacks run what it names."""
    try:
        settings = yaml.safe_load((root / stack_file(environment)).read_text(encoding="utf-8")) or {}
        project = yaml.safe_load((root / PROJECT_FILE).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise UsageError(f"{stack_file(environment)}: cannot read the environment's stack file: {err}") from err
    named = catalog_path(configured_catalog(settings, project, environment), environment, lambda p: (root / p).is_dir())
    if named != relative:
        raise UsageError(f"{relative}: {stack_file(environment)} deploys {named}, not this catalog")


def _changed_since(root: Path, rev: str, environment: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """(the environment's stacks that the files changed from `rev` to the working tree affect,
    the affected ones it no longer has): the pull-request pipeline's classifier decides, with the
    environments of both sides (`rev`'s read from Git, the working tree's from the disk)."""
    from fleet.catalog.location import PipelineError
    from fleet.catalog.naming import stack_scope
    from fleet.pipeline import steps

    try:
        plan = steps.working_tree_plan(root, rev)
    except PipelineError as err:
        raise UsageError(f"--changed-since {rev}: " + "; ".join(err.reasons)) from None

    def mine(stacks: tuple[str, ...]) -> list[str]:
        return [s for s in stacks if stack_scope(s).environment == environment]

    return frozenset(mine(plan.stacks)), tuple(mine(plan.removed))


def _confirm(plan: RunPlan, yes: bool) -> None:
    if yes or plan.operation not in MUTATING:
        return
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(f"{plan.operation} changes stacks: confirm with --yes when not at a terminal")
    answer = input(f"{plan.operation} {len(plan.selected)} stack(s): {', '.join(plan.selected)}? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise UsageError(f"{plan.operation}: not confirmed; nothing ran")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except KeyboardInterrupt:  # before any stack started (while the stacks run, Ctrl-C is handled there)
        output.err(f"{args.operation}: interrupted; no stack ran")
        return exits.INTERRUPTED


def _run(args: argparse.Namespace) -> int:
    from fleet.io import automation

    root, relative = project_of(args.catalog)
    catalog = load(args.catalog)  # the whole environment, every check that spans teams, first
    _check_stack_file(root, catalog.environment, relative)
    environment = catalog.environment
    single = relative.endswith(".yaml")  # a one-file catalog: one stack, named like the environment
    teams = [team.name for team in catalog.teams]
    changed, removed = None, ()
    if args.changed_since:
        changed, removed = _changed_since(root, args.changed_since, environment)
    plan = plan_run(
        args.operation,
        environment,
        teams,
        only=args.teams,
        changed=changed,
        removed=removed,
        since=args.changed_since or "",
        single=single,
    )
    _confirm(plan, args.yes)
    json_out = args.format == "json"
    stream = sys.stderr if json_out else sys.stdout
    warned: set[str] = set()

    def warn(stacks: Sequence[str]) -> dict[str, str]:
        """Each stack of the environment the catalog no longer deploys, with how to destroy it on purpose."""
        found = orphaned(plan, stacks, str(args.catalog), single)
        for stack, why in found.items():
            if stack not in warned:
                output.err(f"warning: {stack}: {why}")
                warned.add(stack)
        return found

    warn(plan.removed)  # a team file gone since --changed-since's revision: its stack is left as it is

    def orphans(listed: list[str] | None) -> dict[str, str]:
        return warn(listed or ())

    interrupt = threading.Event()
    with stack_progress.listener(stream, plan) as listener:
        outcomes, logs = automation.run(
            plan,
            root,
            args.parallel,
            listener,
            _prepare(),
            orphans=orphans if args.operation in LISTS_ORPHANS else None,
            interrupt=interrupt,
            say=output.err,
            inputs=_inputs(root, catalog, args),
            run_all=getattr(args, "all", False),
        )
    failed = exit_failed(outcomes)
    if json_out:
        output.json(run_summary(outcomes))
    else:
        if people.for_people(sys.stdout):
            people.table(people.console(sys.stdout), HEADERS, table(outcomes), title=f"{plan.operation} {relative}")
        else:
            output.out(plain_table(outcomes))
        output.out(f"{verdict(outcomes)}\n")
    here = Path.cwd()
    shown = logs.relative_to(here) if logs.is_relative_to(here) else logs
    (output.err if json_out else lambda line: output.out(line + "\n"))(f"logs: {shown}/<stack>.log")
    if interrupt.is_set():
        return exits.INTERRUPTED
    return exits.STACK_FAILED if failed else exits.OK


def _prepare() -> Any:
    """Each platform and team stack's configuration, written from the environment's reviewed stack file."""
    from fleet.io.stacks import prepare

    return prepare


def _inputs(root: Path, catalog: Any, args: argparse.Namespace) -> Any:
    """The run's inputs digests for `preview` and `up` (which skip unchanged stacks, but with
    --all; `up` records them, with --all too); None for refresh and destroy, which always run.
    `preview --all` needs none."""
    if args.operation not in SKIPPABLE or (args.operation == "preview" and getattr(args, "all", False)):
        return None
    from fleet.io.inputs import StackInputs, renders
    from fleet.io.stacks import stack_file_bytes
    from fleet.render.layers import render

    return StackInputs(root, renders(render(catalog)), stack_file_bytes)
