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

The selection: every stack, narrowed by `--teams A,B` (the name `platform` selects the platform
stack; no team may be called so) and by the files changed since a revision, classified by the
pull-request pipeline's classifier (`fleet.pipeline.steps.categorize`). A changed team file
selects its team's stack; the platform file, any other file of the catalog, or anything outside
the catalogs (code, stack configuration, policies, workflows) selects every stack; another
environment's catalog selects none of this one's.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal

from fleet.catalog.folder import team_of
from fleet.catalog.models import DNS_LABEL
from fleet.catalog.naming import PLATFORM_STACK_SUFFIX, platform_stack, team_stack
from fleet.text.problems import UsageError

Operation = Literal["preview", "up", "refresh", "destroy"]
OPERATIONS: tuple[Operation, ...] = ("preview", "up", "refresh", "destroy")
# The operations that write a stack's state: they ask for confirmation (`--yes`), as Pulumi does.
MUTATING: frozenset[Operation] = frozenset({"up", "refresh", "destroy"})
# The operations after which a failed stage stops the next one.
_STOP_AFTER_FAILURE: frozenset[Operation] = frozenset({"up", "destroy"})
CATALOG = "catalog"  # the classifier's category of a catalog file


@dataclass(frozen=True)
class Change:
    """A changed file, '/'-separated and relative to the project, and its pipeline category."""

    path: str
    category: str


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
    platform = platform_stack(environment)
    return tuple(sorted(stacks, key=lambda s: (s != platform, s)))


def _relative(path: str, catalog: str) -> str | None:
    """The path inside the catalog: '' for a one-file catalog itself, None when outside it."""
    file, root = PurePosixPath(path), PurePosixPath(catalog)
    if file == root:
        return ""
    if root in file.parents:
        return file.relative_to(root).as_posix()
    return None


def changed_stacks(
    environment: str, teams: Sequence[str], catalog: str, changes: Iterable[Change]
) -> tuple[frozenset[str], tuple[str, ...]]:
    """(the stacks the changes may change, the removed teams' stacks). `catalog` is the
    environment's catalog, a folder or a file, relative to the project like the changes' paths."""
    every = frozenset([platform_stack(environment), *(team_stack(environment, t) for t in teams)])
    out: set[str] = set()
    removed: set[str] = set()
    for change in changes:
        if change.category != CATALOG:
            return every, ()
        inside = _relative(change.path, catalog)
        if inside is None:
            continue  # another environment's catalog
        team = team_of(inside)
        if team is None:  # the platform file, the one file, anything else of the folder
            return every, ()
        if team in teams:
            out.add(team_stack(environment, team))
        else:
            removed.add(team_stack(environment, team))
    return frozenset(out), tuple(sorted(removed))


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
) -> RunPlan:
    """The stacks to run, stage by stage, and why each other stack of the environment does not.
    `only`: the names of `--teams`; `changed`: the stacks the files changed since revision
    `since` may change (None: no such narrowing); `removed`: stacks of teams the catalog no longer has."""
    platform = platform_stack(environment)
    team_stacks = [team_stack(environment, t) for t in sorted(teams)]
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


def blocked_by(operation: Operation, failed: Sequence[str]) -> str | None:
    """Why the next stage does not start, given the stacks that failed before it; None: it starts."""
    if not failed or operation not in _STOP_AFTER_FAILURE:
        return None
    if operation == "up":
        return f"{', '.join(failed)} failed first: a team stack does not deploy against a platform that did not"
    return f"{', '.join(failed)} failed first: the platform stack stays while a team stack holds resources"
