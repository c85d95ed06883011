"""The `platform` stack output: what a team's stack reads from its environment's platform stack.

The platform stack never reads a team's stack; each team stack reads this through a real
StackReference before any of its resources changes, and refuses to deploy against a platform
stack of another environment or organization, one that does not declare the team, or one that
deployed another platform than the team's own render of the same catalog (its platform part's
digest, fleet.render.partition.digests): the platform stack runs first.
"""

from __future__ import annotations

from typing import Any

from fleet.catalog.naming import platform_stack
from fleet.render.partition import digests, platform_part
from fleet.render.state import FleetState

VERSION = 1
OUTPUT = "platform"  # the output's name on the platform stack


def platform_output(state: FleetState) -> dict[str, Any]:
    """What the platform stack of `state`'s environment exports as `platform`."""
    platform = platform_part(state)
    return {
        "version": VERSION,
        "environment": state.environment,
        "organization": state.organization,
        "teams": sorted(t.name for t in state.teams),
        "digest": digests(state)[platform_stack(state.environment)],
        "admission_policy": [m.name for m in platform.cluster_objects],
        "argocd_namespace": state.argocd_namespace,
    }


def _shown(value: Any) -> str:
    return repr(int(value)) if isinstance(value, float) and value.is_integer() else repr(value)


def problems(data: Any, state: FleetState, team: str, source: str) -> list[str]:
    """Why the team stack of `team` may not deploy against the platform stack `source` that
    exports `data` as `platform`; empty when it may. `state` is the team stack's own render
    of the whole environment."""
    if data is None:
        return [
            f"stack {source} has no '{OUTPUT}' output: deploy the platform stack "
            f"{platform_stack(state.environment)} first (the platform stack runs before the team stacks)"
        ]
    if not isinstance(data, dict):
        return [f"stack {source}: the '{OUTPUT}' output is a {type(data).__name__}, not an object"]
    if data.get("version") != VERSION:
        return [
            f"stack {source} exports platform output version {_shown(data.get('version'))}; "
            f"this program reads version {VERSION}: deploy both stacks from the same revision"
        ]
    out = []
    for field, mine in (("environment", state.environment), ("organization", state.organization)):
        if data.get(field) != mine:
            out.append(f"stack {source} is the platform of {field} {data.get(field)!r}, not {mine!r}")
    if out:
        return out
    teams = data.get("teams") if isinstance(data.get("teams"), list) else []
    if team not in teams:
        out.append(
            f"stack {source} does not declare team {team!r} (its teams: {', '.join(map(str, teams)) or 'none'}): "
            "deploy the platform stack with this catalog first"
        )
    if data.get("digest") != platform_output(state)["digest"]:
        out.append(
            f"stack {source} deployed another platform than this catalog renders "
            "(the catalog's platform part changed since that stack ran): "
            "deploy the platform stack first"
        )
    return out
