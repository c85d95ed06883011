"""Which stack holds what: one environment's desired state split into its platform part and one
part per team, as plain data.

The platform stack (`<env>.platform`) holds what belongs to no single team: the admission policy
and its binding on each cluster (they guard every team's namespaces), the fleet's keys of
`argocd-rbac-cm`, Argo CD's cluster Secrets of the declared clusters, and the read-only access of
`fleet status`. Each team's stack (`<env>.<team>`) holds everything
rendered for that team: Okta groups and rules, IAM roles, namespaces with their quota, limits,
network policy and RBAC, the AppProject, repository credentials and every app's identity and
Application. The stack named like the environment (`<env>`) holds the whole state, as before
teams had stacks. A part is a `FleetState` of the same shape, so the components register it
unchanged and the logical names (and so the URNs, but for the stack's name) stay the same:
moving a resource from `<env>` to its new stack changes no object.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

from fleet.catalog.naming import StackScope, platform_stack, team_stack
from fleet.render.resources import Resource, desired_resources
from fleet.render.state import FleetState


class UnknownTeamError(ValueError):
    """A team stack of a team the catalog does not declare."""


def platform_part(state: FleetState) -> FleetState:
    """The environment's platform stack: the shared objects, no team."""
    return replace(state, teams=())


def team_part(state: FleetState, team: str) -> FleetState:
    """One team's stack: its team, nothing shared."""
    teams = tuple(t for t in state.teams if t.name == team)
    if not teams:
        known = ", ".join(t.name for t in state.teams) or "none"
        raise UnknownTeamError(
            f"team {team!r} is not in the {state.environment} catalog (its teams: {known}); "
            f"a removed team's stack {team_stack(state.environment, team)} is destroyed, not updated"
        )
    return replace(state, teams=teams, cluster_objects=(), reader_objects=(), argocd_rbac=None, cluster_secrets=())


def part(state: FleetState, scope: StackScope) -> FleetState:
    """What the stack `scope` registers of the environment's `state`."""
    if scope.environment != state.environment:
        raise ValueError(f"stack {scope.stack} is of environment {scope.environment!r}, not {state.environment!r}")
    if scope.kind == "environment":
        return state
    if scope.kind == "platform":
        return platform_part(state)
    assert scope.team is not None
    return team_part(state, scope.team)


def stacks(state: FleetState) -> list[str]:
    """The environment's stacks in the order they run: the platform first, then the teams."""
    return [platform_stack(state.environment), *(team_stack(state.environment, t.name) for t in state.teams)]


def partition(state: FleetState) -> dict[str, list[Resource]]:
    """Every resource of `state` by the stack that registers it (platform, then each team)."""
    out = {platform_stack(state.environment): desired_resources(platform_part(state))}
    for team in state.teams:
        out[team_stack(state.environment, team.name)] = desired_resources(team_part(state, team.name))
    return out


def _canonical(resources: list[Resource]) -> bytes:
    return json.dumps(
        [[r.type, r.name, r.props, r.protect, r.retain_on_delete] for r in resources],
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def digests(state: FleetState) -> dict[str, str]:
    """Each stack's part as a digest (sha256 of its resources, canonical JSON): two renders of
    the environment need the same stacks run where the digests differ. A team stack compares
    the platform's digest with its own render of the platform part, to know that the platform
    stack deployed the same platform (docs/operator/stacks.md)."""
    return {stack: hashlib.sha256(_canonical(resources)).hexdigest() for stack, resources in partition(state).items()}


def changed_stacks(before: FleetState | None, after: FleetState) -> list[str]:
    """The stacks of `after`'s environment whose part differs from `before`'s (every stack when
    there is no before), in run order; a team that `after` no longer declares is not listed
    (its stack is destroyed, not run)."""
    old = digests(before) if before is not None else {}
    new = digests(after)
    return [stack for stack in stacks(after) if old.get(stack) != new[stack]]
