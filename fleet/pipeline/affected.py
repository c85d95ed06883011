"""Which stacks a change affects, and the CI matrix that runs them: pure, so every case is a test.

An environment is a stack file `Pulumi.<env>.yaml` and the catalog it names. A catalog folder
(`stacks/<env>/`: platform.yaml and teams/<team>.yaml) is deployed as a platform stack
`<env>.platform` and a stack per team `<env>.<team>`; a one-file catalog as one stack `<env>`.
A change affects:

- a team file `stacks/<env>/teams/<team>.yaml` (added, changed or removed): that team's stack,
  and every other stack of the environment whose render the change alters (`rendered_stacks`,
  the catalog of both revisions rendered by the caller): the platform stack when a team comes or
  goes (its `platform` output names the teams, and a team stack refuses a platform stack that
  does not declare it, so the platform runs first);
- the platform file, anything else in the folder, the stack file `Pulumi.<env>.yaml` (or
  `Pulumi.<env>.<x>.yaml`): every stack of that environment, platform first;
- a one-file catalog: its environment's stack;
- documentation only (docs/, top-level Markdown files, mkdocs.yml): no stack;
- anything else (the program, `Pulumi.yaml`, requirements, policies, workflows, a link or an
  unknown file): every stack of every environment. What is not known to leave stacks alone
  affects all of them: a pull request cannot make its matrix smaller by what it edits.

The stack files and catalogs of BOTH revisions count (a pull request that points an
environment at another catalog affects what both name), and the caller reads them with the
base branch's code (`fleet.pipeline.steps.affected`, which also renders both revisions'
catalogs for `rendered_stacks`, the platform stack standing in for a side it cannot render),
never the pull request's.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from fleet.catalog.folder import PLATFORM_FILE, team_of
from fleet.catalog.location import PROJECT_FILE, REGULAR_MODES
from fleet.catalog.models import DNS_LABEL
from fleet.catalog.naming import PLATFORM_STACK_SUFFIX, platform_stack, stack_scope, team_stack
from fleet.contract.platform_output import platform_output
from fleet.render.partition import changed_stacks
from fleet.render.state import FleetState

STACK_FILE = re.compile(r"Pulumi\.([A-Za-z0-9_-][A-Za-z0-9_.-]*)\.yaml")
# GitHub runs at most 256 jobs of one matrix; past that, stacks share a job (`shard`).
MAX_MATRIX_JOBS = 256
ABSENT_MODE = "000000"
# Files that change no stack: nothing the program, the policy pack or Pulumi reads.
DOCS_DIRS = ("docs/",)
DOCS_FILES = frozenset({"mkdocs.yml"})


@dataclass(frozen=True)
class FileChange:
    status: str
    old_mode: str
    new_mode: str
    path: str

    @property
    def regular(self) -> bool:
        """Both sides a regular file, or absent (added, removed): never a link or a submodule."""
        return {self.old_mode, self.new_mode} <= REGULAR_MODES | {ABSENT_MODE}


@dataclass(frozen=True)
class Environment:
    """One environment at one revision: the catalog its stack file names, and the teams whose
    files that catalog folder holds (valid names only; none for a one-file catalog)."""

    name: str
    catalog: str
    teams: frozenset[str] = frozenset()

    @property
    def folder(self) -> bool:
        return PurePosixPath(self.catalog).suffix != ".yaml"

    def stacks(self) -> list[str]:
        """Its stacks, the platform's first."""
        if not self.folder:
            return [self.name]
        return [platform_stack(self.name), *(team_stack(self.name, t) for t in sorted(self.teams))]


Environments = Mapping[str, Environment]


def is_team_name(name: str) -> bool:
    """A name a team file may give its stack: a DNS label other than the platform's."""
    return bool(DNS_LABEL.fullmatch(name)) and name != PLATFORM_STACK_SUFFIX and len(name) <= 63


def is_docs(path: str) -> bool:
    return path.startswith(DOCS_DIRS) or path in DOCS_FILES or ("/" not in path and path.endswith(".md"))


def _ordered(stacks: Iterable[str]) -> list[str]:
    """Environment by environment; in each, the whole-environment stack, the platform, then teams."""

    def key(stack: str) -> tuple[str, int, str]:
        scope = stack_scope(stack)
        return (scope.environment, ("environment", "platform", "team").index(scope.kind), stack)

    return sorted(set(stacks), key=key)


def _environment_stacks(name: str, sides: Sequence[Environments]) -> list[str]:
    return [s for side in sides if name in side for s in side[name].stacks()]


def _in_catalog(change: FileChange, environment: Environment) -> list[str] | None:
    """The stacks of `environment` this file affects as a file of its catalog; None when the
    file is not in that catalog."""
    catalog = PurePosixPath(environment.catalog)
    path = PurePosixPath(change.path)
    if not environment.folder:
        return [environment.name] if path == catalog else None
    if catalog not in path.parents:
        return None
    inside = path.relative_to(catalog).as_posix()
    team = team_of(inside)
    if change.regular and team is not None and is_team_name(team):
        return [team_stack(environment.name, team)]
    if change.regular and inside == PLATFORM_FILE:
        return environment.stacks()
    return environment.stacks()  # anything else in the folder: refused by the catalog, but never skipped


def rendered_stacks(before: FleetState, after: FleetState) -> list[str]:
    """The stacks of `after`'s environment whose render differs from `before`'s, whichever file
    changed: each stack whose part differs (fleet.render.partition.changed_stacks), and the
    platform stack whenever its `platform` output differs (a team added or removed: a team stack
    refuses a platform stack that does not declare it), in run order."""
    changed = changed_stacks(before, after)
    platform = platform_stack(after.environment)
    if platform not in changed and platform_output(before) != platform_output(after):
        changed.insert(0, platform)
    return changed


def affected_stacks(
    changes: Iterable[FileChange],
    base: Environments,
    head: Environments,
    rendered: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, list[str]]:
    """stack -> the changed files that affect it, for the environments of the base and of the
    head, in deploy order (per environment: the platform, then teams). `rendered`: environment ->
    the stacks whose render the change alters (`rendered_stacks` of its catalog at both
    revisions), each affected by every changed file of that environment's catalog."""
    changes = list(changes)
    sides = (base, head)
    every = [s for side in sides for e in side.values() for s in e.stacks()]
    out: dict[str, list[str]] = {}
    for change in changes:
        path = change.path
        touched: list[str]
        if is_docs(path) and change.regular:
            touched = []
        elif (match := STACK_FILE.fullmatch(path)) and change.regular:
            try:
                environment = stack_scope(match.group(1)).environment
            except ValueError:
                touched = every
            else:
                known = [e for side in sides for e in side if e == environment]
                touched = _environment_stacks(environment, sides) if known else every
        elif path == PROJECT_FILE:
            touched = every
        else:
            found = [
                hit
                for side in sides
                for environment in side.values()
                if (hit := _in_catalog(change, environment)) is not None
            ]
            if found:
                touched = [s for hit in found for s in hit]
            elif change.regular and path.startswith("stacks/") and path.endswith(".yaml"):
                touched = []  # a catalog file no stack deploys, at either revision
            else:
                touched = every
        for stack in touched:
            out.setdefault(stack, [])
            if path not in out[stack]:
                out[stack].append(path)
    for name, stacks in (rendered or {}).items():
        paths = [
            c.path for c in changes if any(_in_catalog(c, side[name]) is not None for side in sides if name in side)
        ]
        for stack in stacks:
            known = out.setdefault(stack, [])
            known += [p for p in paths if p not in known]
    return {stack: out[stack] for stack in _ordered(out)}


def every_stack(*sides: Environments) -> list[str]:
    return _ordered(s for side in sides for e in side.values() for s in e.stacks())


# --- the matrix the workflows read --------------------------------------------------------------


def matrix(stacks: Sequence[str], limit: int = MAX_MATRIX_JOBS) -> dict[str, list[dict[str, str]]]:
    """`{"include": [{"name", "environment", "stacks"}]}`: one job a stack (`name` is the stack,
    `stacks` the same one name), in the given order. Past `limit` jobs, the stacks of each
    environment are spread over shards by a stable hash of their name (the same stack lands in
    the same shard in every run of that size), `stacks` then space-separated, deploy order kept."""
    ordered = list(dict.fromkeys(stacks))
    if len(ordered) <= limit:
        return {"include": [{"name": s, "environment": stack_scope(s).environment, "stacks": s} for s in ordered]}
    by_environment: dict[str, list[str]] = {}
    for stack in ordered:
        by_environment.setdefault(stack_scope(stack).environment, []).append(stack)
    share = max(1, limit // len(by_environment))
    include = []
    for environment, members in by_environment.items():
        count = min(share, len(members))
        shards: list[list[str]] = [[] for _ in range(count)]
        for stack in members:
            shards[zlib.crc32(stack.encode()) % count].append(stack)
        include += [
            {"name": f"{environment} shard {i + 1} of {count}", "environment": environment, "stacks": " ".join(shard)}
            for i, shard in enumerate(shards)
            if shard
        ]
    return {"include": include}


@dataclass(frozen=True)
class Plan:
    """What one workflow run deploys: per environment, whether its platform stack runs, and the
    matrix of its team stacks (or of its one stack, for a one-file catalog). `removed`: affected
    stacks the head no longer has (a team file removed, an environment re-pointed or dropped);
    they do not run, their resources stay until destroyed on purpose (as `fleet up` leaves them)."""

    stacks: tuple[str, ...]
    removed: tuple[str, ...] = ()

    @classmethod
    def of(cls, affected: Iterable[str], head: Environments) -> Plan:
        """The affected stacks split into those the head has (they run) and the removed ones."""
        present = set(every_stack(head))
        listed = list(affected)
        return cls(tuple(s for s in listed if s in present), tuple(s for s in listed if s not in present))

    def environments(self) -> list[str]:
        return list(dict.fromkeys(stack_scope(s).environment for s in self.stacks))

    def platform(self, environment: str) -> bool:
        return platform_stack(environment) in self.stacks

    def rest(self, environment: str) -> list[str]:
        """The environment's stacks that run after its platform stack (teams, or the one stack)."""
        return [
            s for s in self.stacks if stack_scope(s).environment == environment and s != platform_stack(environment)
        ]

    def outputs(self, environments: Iterable[str] = ()) -> dict[str, object]:
        """GitHub outputs: `stacks` (the list), `removed`, `any` (true when a stack runs), `matrix`
        (every stack that runs), and for each environment
        E (those given and those with stacks), `platform_E` (true/false) and `teams_E` (a matrix;
        `{"include": []}` when none: test `any_E`)."""
        out: dict[str, object] = {
            "stacks": list(self.stacks),
            "removed": list(self.removed),
            "any": bool(self.stacks),
            "matrix": matrix(self.stacks),
        }
        for environment in dict.fromkeys([*environments, *self.environments()]):
            out[f"platform_{environment}"] = self.platform(environment)
            out[f"teams_{environment}"] = matrix(self.rest(environment))
            out[f"any_{environment}"] = bool(self.rest(environment))
        return out
