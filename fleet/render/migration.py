"""Moving an environment's single stack (`dev`) into its platform and team stacks, as plain data.

The engine's own `pulumi state move` carries each resource, with its providers and secrets, into
the new stack; what it cannot do, these functions plan and finish on the stacks' exported
deployments (`pulumi stack export` / `import`):

- `plan` says which URNs go to which stack: each Team component with everything under it to
  that team's stack, every other child of the AppOfApps component to the platform stack, all of
  it named explicitly (not left to the engine's choice of children);
- `adopt` gives each new stack its own AppOfApps component and puts the moved resources back
  under it (the move re-parents a resource whose parent stays behind to the stack's root), so
  that every URN and parent is the one the program registers there: the next preview is empty;
- `emptied` leaves the old stack with nothing but its root, once only the component and the
  providers are left in it.

No function here runs anything; fleet.io.stacks does, and docs/operator/stacks.md shows how.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fleet.catalog.naming import PROJECT, platform_stack, team_stack

ROOT_TYPE = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"
COMPONENT_TYPE = "app-of-apps:index:AppOfApps"
TEAM_TYPE = "app-of-apps:index:Team"
COMPONENT_NAME = "fleet"  # the AppOfApps component's name in __main__.py


class MigrationError(ValueError):
    """The state cannot be moved as it is: every reason at once."""

    def __init__(self, reasons: Iterable[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__("\n".join(self.reasons))


def _resources(deployment: Mapping[str, Any]) -> list[dict[str, Any]]:
    inner = deployment.get("deployment", deployment)
    return list(inner.get("resources") or [])


def _name(urn: str) -> str:
    return urn.split("::")[-1]


def _type(urn: str) -> str:
    """The resource's own type: the last of the URN's type chain (`Parent$Child`)."""
    return urn.split("::")[2].split("$")[-1]


def rename(urn: str, stack: str) -> str:
    """`urn` in stack `stack` (what `pulumi state move` does to the URNs it carries)."""
    parts = urn.split("::")
    head = parts[0].split(":")
    return "::".join([":".join([*head[:2], stack]), *parts[1:]])


def component_urn(stack: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{COMPONENT_TYPE}::{COMPONENT_NAME}"


@dataclass(frozen=True)
class Plan:
    source: str
    moves: dict[str, list[str]]  # destination stack -> every URN it receives, in state order
    component: dict[str, Any]  # the AppOfApps component's state in the source stack


def plan(deployment: Mapping[str, Any], environment: str, teams: Iterable[str]) -> Plan:
    """Which URNs of the environment's single stack go to which new stack. `teams`: the teams of
    the catalog; a team in the state but not in the catalog, a pending operation, or a resource
    outside the AppOfApps component refuse the move (preview the old stack first: it must show
    no changes)."""
    inner = deployment.get("deployment", deployment)
    resources = _resources(deployment)
    declared = set(teams)
    reasons: list[str] = []
    if inner.get("pending_operations"):
        reasons.append(
            f"stack {environment} has pending operations (an interrupted update): "
            f"run `pulumi refresh -s {environment}` and resolve them first"
        )
    root = component_urn(environment)
    components = [r for r in resources if r.get("urn") == root]
    if len(components) != 1:
        reasons.append(f"stack {environment} holds no AppOfApps component {root}: nothing to move")
        raise MigrationError(reasons)
    parent_of = {r["urn"]: r.get("parent", "") for r in resources}

    def top(urn: str) -> str | None:
        """The child of the component that `urn` lies under (itself, or an ancestor)."""
        seen = urn
        while parent_of.get(seen) and parent_of[seen] != root:
            seen = parent_of[seen]
        return seen if parent_of.get(seen) == root else None

    moves: dict[str, list[str]] = {platform_stack(environment): []}
    for resource in resources:
        urn, kind = resource["urn"], resource.get("type", "")
        if urn == root or kind == ROOT_TYPE or kind.startswith(PROVIDER_PREFIX):
            continue
        if resource.get("delete"):
            reasons.append(f"{urn} is marked for deletion (an interrupted replacement): run `pulumi up` first")
            continue
        under = top(urn)
        if under is None:
            reasons.append(f"{urn} is not under the AppOfApps component; the program never registers it there")
            continue
        if _type(under) == TEAM_TYPE:
            team = _name(under)
            if team not in declared:
                reasons.append(
                    f"team {team!r} is in stack {environment} but not in its catalog: "
                    f"deploy the removal (or restore the team) before moving"
                )
                continue
            moves.setdefault(team_stack(environment, team), []).append(urn)
        else:
            moves[platform_stack(environment)].append(urn)
    if reasons:
        raise MigrationError(reasons)
    ordered = [platform_stack(environment), *(team_stack(environment, t) for t in sorted(declared))]
    return Plan(environment, {s: moves[s] for s in ordered if moves.get(s)}, copy.deepcopy(components[0]))


def _under_component(urn: str, stack: str) -> str:
    """`urn` with the AppOfApps component first in its type chain (as the program registers it)."""
    head, project, chain, name = urn.split("::", 3)
    if chain.split("$")[0] == COMPONENT_TYPE:
        return urn
    return "::".join([head, project, f"{COMPONENT_TYPE}${chain}", name])


def adopt(deployment: Mapping[str, Any], component: Mapping[str, Any], stack: str) -> dict[str, Any]:
    """The deployment of a new stack after `pulumi state move`, with its own AppOfApps component
    (a copy of the source's, without outputs) right after its root, and every moved resource
    under it again: the move re-parents a resource whose parent stays behind to the stack's root
    and (since Pulumi 3.2xx) drops that parent from the type chain of its URN and its children's;
    both come back, with every reference to them (parents, dependencies, property dependencies,
    deleted-with). Idempotent."""
    out = copy.deepcopy(dict(deployment))
    inner = out.get("deployment", out)
    resources: list[dict[str, Any]] = inner.get("resources") or []
    roots = [r for r in resources if r.get("type") == ROOT_TYPE and not r.get("parent")]
    if len(roots) != 1:
        raise MigrationError([f"stack {stack} has {len(roots)} root stack resources, not one"])
    root_urn = roots[0]["urn"]
    mine = component_urn(stack)
    if not any(r.get("urn") == mine for r in resources):
        adopted = {
            key: copy.deepcopy(value)
            for key, value in component.items()
            if key not in ("outputs", "dependencies", "propertyDependencies", "parent", "urn")
        }
        adopted.update(urn=mine, parent=root_urn)
        resources.insert(resources.index(roots[0]) + 1, adopted)
    renamed: dict[str, str] = {}
    for resource in resources:
        kind = resource.get("type", "")
        if resource["urn"] in (root_urn, mine) or kind == ROOT_TYPE or kind.startswith(PROVIDER_PREFIX):
            continue
        renamed[resource["urn"]] = _under_component(resource["urn"], stack)

    def moved(urn: str) -> str:
        return renamed.get(urn, urn)

    for resource in resources:
        resource["urn"] = moved(resource["urn"])
        parent = resource.get("parent")
        if parent == root_urn and resource["urn"] in renamed.values():
            resource["parent"] = mine  # a direct child of the component
        elif parent:
            resource["parent"] = moved(parent)
        if resource.get("dependencies"):
            resource["dependencies"] = [moved(u) for u in resource["dependencies"]]
        if resource.get("propertyDependencies"):
            resource["propertyDependencies"] = {
                key: [moved(u) for u in urns] for key, urns in resource["propertyDependencies"].items()
            }
        if resource.get("deletedWith"):
            resource["deletedWith"] = moved(resource["deletedWith"])
    inner["resources"] = resources
    return out


def providers(deployment: Mapping[str, Any]) -> list[str]:
    """The URNs of the providers a stack's state holds."""
    return [r["urn"] for r in _resources(deployment) if r.get("type", "").startswith(PROVIDER_PREFIX)]


def missing_providers(source: Mapping[str, Any], deployment: Mapping[str, Any], stack: str) -> list[str]:
    """The providers of the old stack that a new stack's state lacks, by their URN there: the
    move copies only those its resources use, but the program registers them all (the platform
    stack's AWS provider, which checks the cluster's endpoint, has no resource of its own)."""
    present = set(providers(deployment))
    return [urn for urn in (rename(u, stack) for u in providers(source)) if urn not in present]


def root_urn(deployment: Mapping[str, Any]) -> str:
    roots = [r["urn"] for r in _resources(deployment) if r.get("type") == ROOT_TYPE and not r.get("parent")]
    if len(roots) != 1:
        raise MigrationError([f"the state has {len(roots)} root stack resources, not one"])
    return roots[0]


def leftovers(deployment: Mapping[str, Any], environment: str) -> list[str]:
    """What the old stack still holds besides its root, the AppOfApps component and providers."""
    root = component_urn(environment)
    return [
        r["urn"]
        for r in _resources(deployment)
        if r.get("type") != ROOT_TYPE and r["urn"] != root and not r.get("type", "").startswith(PROVIDER_PREFIX)
    ]


def emptied(deployment: Mapping[str, Any], environment: str) -> dict[str, Any]:
    """The old stack's deployment with nothing but its root stack resource, once everything
    else has moved (MigrationError otherwise: a resource would be forgotten, not moved)."""
    left = leftovers(deployment, environment)
    if left:
        raise MigrationError([f"stack {environment} still holds {urn}; it was not moved" for urn in left])
    out = copy.deepcopy(dict(deployment))
    inner = out.get("deployment", out)
    inner["resources"] = [r for r in _resources(deployment) if r.get("type") == ROOT_TYPE and not r.get("parent")]
    return out
