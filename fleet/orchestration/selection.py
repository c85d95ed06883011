"""Which stacks of an environment a run touches, and in which order.

An environment deploys as a platform stack (`<env>.platform`: what is cluster-wide or shared)
and a stack per team (`<env>.<team>`), names from `fleet.catalog.naming`. Team stacks read the
platform stack, never the reverse, so:

- preview, up and refresh run the platform stack first, then the team stacks side by side;
  destroy runs the team stacks first, then the platform stack;
- up and destroy do not start the next stage after a failure (a team must not deploy against
  a platform that did not, and the platform stays while a team stack still holds resources);
  preview and refresh do, since they change nothing a later stage reads;
- within a stage nothing waits for anything else: one team's failure stops no other team.

The selection: the environment's stacks as the pull-request pipeline counts them
(`fleet.pipeline.affected`: a catalog folder deploys a platform stack and a stack per team, a
one-file catalog one stack named like the environment), narrowed by `--teams A,B` (the name
`platform` selects the platform stack; no team may be called so) and by the stacks the pipeline's
classifier says the files changed since a revision affect (the command asks it: this layer reads
no Git). The project's stacks of the environment that the catalog no longer deploys (a team file
removed) are named in the summary, skipped, with the command that destroys them on purpose: a
catalog entry that is gone never destroys anything by itself.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from fleet.catalog.models import DNS_LABEL
from fleet.catalog.naming import PLATFORM_STACK_SUFFIX, platform_stack, stack_scope, team_stack
from fleet.text.problems import UsageError

Operation = Literal["preview", "up", "refresh", "destroy"]
OPERATIONS: tuple[Operation, ...] = ("preview", "up", "refresh", "destroy")
# The operations that write a stack's state: they ask for confirmation (`--yes`), as Pulumi does.
MUTATING: frozenset[Operation] = frozenset({"up", "refresh", "destroy"})
# The operations after which a failed stage stops the next one.
_STOP_AFTER_FAILURE: frozenset[Operation] = frozenset({"up", "destroy"})


@dataclass(frozen=True)
class RunPlan:
    operation: Operation
    environment: str
    stages: tuple[tuple[str, ...], ...]  # the selected stacks, stage by stage, in run order
    skipped: tuple[tuple[str, str], ...] = ()  # (stack, why it does not run), for the summary
    # Team files changed since the revision whose team the catalog no longer declares: the
    # stack is left as it is (its resources stay until it is destroyed on purpose).
    removed: tuple[str, ...] = field(default=())

    @property
    def selected(self) -> tuple[str, ...]:
        return tuple(stack for stage in self.stages for stack in stage)

    @property
    def every(self) -> tuple[str, ...]:
        """Every stack of the environment, the platform's first, then the teams' by name."""
        return _ordered({*self.selected, *(stack for stack, _ in self.skipped)}, self.environment)


def _ordered(stacks: Iterable[str], environment: str) -> tuple[str, ...]:
    """The environment's one stack, its platform stack, then its team stacks by name."""
    kinds = ("environment", "platform", "team")
    return tuple(sorted(set(stacks), key=lambda s: (kinds.index(stack_scope(s).kind), s)))


def environment_stacks(environment: str, teams: Sequence[str], single: bool = False) -> list[str]:
    """The stacks that deploy an environment: a one-file catalog's one stack (`single`), else the
    platform stack, then a stack per team by name."""
    if single:
        return [environment]
    return [platform_stack(environment), *(team_stack(environment, t) for t in sorted(teams))]


def _chosen(environment: str, teams: Sequence[str], only: Sequence[str], operation: Operation) -> frozenset[str]:
    """The stacks `--teams` names. `destroy` may name a team the catalog no longer has: its stack
    is what is left of it."""
    unknown = sorted({name for name in only if name != PLATFORM_STACK_SUFFIX and name not in teams})
    if operation == "destroy":
        unknown = [name for name in unknown if len(name) > 63 or not re.fullmatch(DNS_LABEL, name)]
    if unknown:
        raise UsageError(
            f"--teams: {', '.join(unknown)}: no such team in environment {environment} "
            f"(its teams: {', '.join(sorted(teams)) or 'none'}; '{PLATFORM_STACK_SUFFIX}' names the platform stack)"
        )
    return frozenset(
        platform_stack(environment) if name == PLATFORM_STACK_SUFFIX else team_stack(environment, name) for name in only
    )


def plan_run(
    operation: Operation,
    environment: str,
    teams: Sequence[str],
    *,
    only: Sequence[str] | None = None,
    changed: Collection[str] | None = None,
    removed: Sequence[str] = (),
    since: str = "",
    single: bool = False,
) -> RunPlan:
    """The stacks to run, stage by stage, and why each other stack of the environment does not.
    `only`: the names of `--teams`; `changed`: the stacks the files changed since revision
    `since` affect (None: no such narrowing); `removed`: stacks of teams the catalog no longer
    has; `single`: the catalog is one file, deployed as one stack named like the environment."""
    if single and only is not None:
        raise UsageError(
            f"--teams: environment {environment}'s catalog is one file, deployed as one stack ({environment}); "
            "a catalog folder deploys a stack per team (python -m fleet split)"
        )
    platform = environment if single else platform_stack(environment)
    team_stacks = [] if single else [team_stack(environment, t) for t in sorted(teams)]
    skipped: dict[str, str] = {}
    if only is not None:
        chosen = _chosen(environment, teams, only, operation)
        team_stacks = sorted({*team_stacks, *(s for s in chosen if s != platform)})
        skipped |= {s: "not in --teams" for s in [platform, *team_stacks] if s not in chosen}
    if changed is not None:
        skipped |= {
            s: f"nothing it deploys changed since {since}"
            for s in [platform, *team_stacks]
            if s not in changed and s not in skipped
        }
    first = tuple(s for s in [platform] if s not in skipped)
    second = tuple(s for s in team_stacks if s not in skipped)
    stages = (second, first) if operation == "destroy" else (first, second)
    return RunPlan(
        operation,
        environment,
        tuple(stage for stage in stages if stage),
        tuple((s, skipped[s]) for s in _ordered(skipped, environment)),
        tuple(sorted(removed)),
    )


def orphaned(plan: RunPlan, listed: Iterable[str], catalog: str, single: bool = False) -> dict[str, str]:
    """stack -> why it does not run and how to remove it, for each stack of the project's listing
    (`pulumi stack ls`, names short or `org/project/stack`) of the plan's environment that the
    catalog does not deploy: a team the catalog no longer has, or stacks of the other shape (the
    environment's one stack beside a folder's, or a folder's beside a one-file catalog's). Nothing
    is ever destroyed for it: its resources stay until someone destroys it on purpose."""
    deployed = set(plan.every)
    out: dict[str, str] = {}
    for name in listed:
        try:
            scope = stack_scope(name)
        except ValueError:
            continue
        stack = scope.stack
        if scope.environment != plan.environment or stack in deployed:
            continue
        if scope.kind == "team" and not single:
            out[stack] = (
                f"not in the catalog: its resources stay; destroy them on purpose with "
                f"python -m fleet destroy {catalog} --teams {scope.team} --yes"
            )
        elif scope.kind == "environment":
            out[stack] = (
                f"the environment's one stack, which a catalog folder does not deploy: its resources stay; "
                f"move them with python -m fleet split-stack {stack}, or destroy them on purpose "
                f"with pulumi destroy --stack {stack}"
            )
        else:
            out[stack] = (
                f"a one-file catalog deploys one stack, {plan.environment}: its resources stay; destroy them "
                f"on purpose with pulumi destroy --stack {stack}"
            )
    return dict(sorted(out.items()))


def with_orphans(plan: RunPlan, orphans: Mapping[str, str]) -> RunPlan:
    """The plan with the orphaned stacks among its skipped ones (they never run)."""
    skipped = {**dict(plan.skipped), **orphans}
    return replace(plan, skipped=tuple((s, skipped[s]) for s in _ordered(skipped, plan.environment)))


def blocked_by(operation: Operation, failed: Sequence[str]) -> str | None:
    """Why the next stage does not start, given the stacks that failed before it; None: it starts."""
    if not failed or operation not in _STOP_AFTER_FAILURE:
        return None
    if operation == "up":
        return f"{', '.join(failed)} failed first: a team stack does not deploy against a platform that did not"
    return f"{', '.join(failed)} failed first: the platform stack stays while a team stack holds resources"
