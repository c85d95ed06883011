"""A team stack reads its environment's platform stack through a real StackReference.

The platform stack never reads a team stack. A team stack checks what the platform exports as
`platform` (fleet.contract.platform_output) before any of its resources changes: every provider
waits for the check, so a team stack of another environment, a platform that does not declare
the team, or a platform deployed from another catalog fails the update before anything is
touched. A preview only warns: a pull request's preview runs before its platform is deployed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pulumi

from components.cluster import ClusterInputs
from fleet.catalog.naming import StackScope, platform_stack
from fleet.contract import platform_output
from fleet.render.state import FleetState


def reference_name(environment: str) -> str:
    """The platform stack's fully qualified name, in this stack's organization and project (its
    short name when the engine names no organization: then the backend resolves it in this one)."""
    organization = pulumi.get_organization()
    name = platform_stack(environment)
    return f"{organization}/{pulumi.get_project()}/{name}" if organization else name


def _verdict(data: Any, state: FleetState, team: str, source: str) -> bool:
    found = platform_output.problems(data, state, team, source)
    if not found:
        return True
    if pulumi.runtime.is_dry_run():
        for problem in found:
            pulumi.log.warn(f"{problem} (a preview goes on; an update stops here)")
        return True
    raise pulumi.RunError("; ".join(found))


def read(scope: StackScope, state: FleetState) -> pulumi.Output[bool] | None:
    """For a team stack, an Output that resolves once its platform stack agrees; None otherwise."""
    if scope.kind != "team" or scope.team is None:
        return None
    team, name = scope.team, reference_name(scope.environment)
    reference = pulumi.StackReference(name)
    return reference.get_output(platform_output.OUTPUT).apply(lambda data: _verdict(data, state, team, name))


def gated(inputs: ClusterInputs, scope: StackScope, state: FleetState) -> ClusterInputs:
    """The cluster inputs whose `verified` gate (which every provider waits for) also waits for a
    team stack's check of its platform stack."""
    check = read(scope, state)
    if check is None:
        return inputs
    if inputs.verified is None:
        return replace(inputs, verified=check)
    both = pulumi.Output.all(inputs.verified, check).apply(lambda pair: all(pair))
    return replace(inputs, verified=both)
