"""What a change of the catalog does: per layer, per Okta group's access, and what needs a human.

Both sides are rendered offline (no credentials, so it runs for pull requests from forks), then
compared as the resources the program registers. `pulumi preview` adds the provider's view.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from fleet.apis.kubernetes import quantity
from fleet.apis.pulumi_types import CONFIGMAP_PATCH
from fleet.catalog.models import Catalog, Network, Quota, SyncWindow, Team
from fleet.render.resources import Resource, desired_resources
from fleet.render.state import FleetState
from fleet.reports import access
from fleet.text import markdown as md

VERSION = 1
LAYERS = ("okta", "aws", "kubernetes", "argocd")
Layer = Literal["okta", "aws", "kubernetes", "argocd"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Change(_Model):
    type: str
    name: str
    fields: list[str] = []  # dotted paths that differ; empty for added/removed
    versions: list[str] = []  # Helm chart version changes of an Application, "chart (repo): old → new"


class LayerDiff(_Model):
    added: list[Change]
    changed: list[Change]
    removed: list[Change]


class AccessChange(_Model):
    principal: str  # an Okta group, or a workload's IAM role
    kind: Literal["okta-group", "iam-role"]
    gained: list[str]
    lost: list[str]


WarningKind = Literal[
    "protected-removal",
    "retained-removal",
    "access-widened-in-production",
    "replacement",
    # In production (deletion_protection: true), what a reviewer must not miss, old → new:
    "decommissioning",
    "removal",
    "deletion-protection-off",
    "permissions-boundary-changed",
    "network-opened",
    "managed-policy-added",
    "persona-widened",
    "member-rule-changed",
    "ownership-changed",
    "automated-prune-on",
    "self-heal-on",
    "replace-sync-option",
    "sync-window-removed",
    "quota-raised",
]


class Warning(_Model):
    kind: WarningKind
    message: str


class Diff(_Model):
    version: Literal[1] = VERSION
    environment: str
    base: str
    head: str
    layers: dict[Layer, LayerDiff]
    access: list[AccessChange]
    warnings: list[Warning]

    @property
    def empty(self) -> bool:
        return not self.access and all(not (d.added or d.changed or d.removed) for d in self.layers.values())


def layer_of(resource_type: str) -> Layer:
    if resource_type.startswith("okta:"):
        return "okta"
    if resource_type.startswith("aws:"):
        return "aws"
    if resource_type.startswith("kubernetes:argoproj.io/") or resource_type == CONFIGMAP_PATCH:
        return "argocd"  # the ConfigMapPatch the fleet registers is Argo CD's argocd-rbac-cm
    return "kubernetes"


def _changed_fields(old: Any, new: Any, path: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            out += _changed_fields(old.get(key), new.get(key), f"{path}.{key}" if path else str(key))
        return out
    return [] if old == new else [path or "(value)"]


def _charts(props: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(repoURL, chart) -> version of every chart source of an Application."""
    body = props.get("spec") if isinstance(props.get("spec"), dict) else {}
    sources = [body.get("source"), *(body.get("sources") or [])]
    return {
        (s["repoURL"], s["chart"]): str(s.get("targetRevision", ""))
        for s in sources
        if isinstance(s, dict) and s.get("chart")
    }


def _chart_versions(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    before, after = _charts(old), _charts(new)
    return [
        f"chart {chart} ({repo}): {before[(repo, chart)]} → {after[(repo, chart)]}"
        for repo, chart in sorted(set(before) & set(after))
        if before[(repo, chart)] != after[(repo, chart)]
    ]


def _index(resources: Iterable[Resource]) -> dict[tuple[str, str], Resource]:
    return {r.key: r for r in resources}


def _layers(base: dict[tuple[str, str], Resource], head: dict[tuple[str, str], Resource]) -> dict[Layer, LayerDiff]:
    buckets: dict[Layer, dict[str, list[Change]]] = {
        layer: {"added": [], "changed": [], "removed": []} for layer in LAYERS
    }
    for key in sorted(set(base) | set(head)):
        typ, name = key
        layer = layer_of(typ)
        if key not in base:
            buckets[layer]["added"].append(Change(type=typ, name=name))
        elif key not in head:
            buckets[layer]["removed"].append(Change(type=typ, name=name))
        else:
            old, new = base[key], head[key]
            fields = _changed_fields(old.props, new.props)
            if old.protect != new.protect:
                fields.append("(protect)")
            if old.retain_on_delete != new.retain_on_delete:
                fields.append("(retainOnDelete)")
            if fields:
                versions = _chart_versions(old.props, new.props) if typ.endswith(":Application") else []
                buckets[layer]["changed"].append(Change(type=typ, name=name, fields=fields, versions=versions))
    return {layer: LayerDiff(**bucket) for layer, bucket in buckets.items()}


def _grants(group: access.GroupAccess) -> set[str]:
    """Everything a group may do, one string per grant, so that two sides subtract cleanly."""
    grants = {
        f"kubernetes {ns} {res}: {verb}"
        for ns, res_verbs in group.kubernetes.items()
        for res, verbs in res_verbs.items()
        for verb in verbs
    }
    # Every project the effective Argo CD policy reaches (the own one included), and beyond.
    projects = group.argocd.projects or {group.argocd.project: group.argocd.permissions}
    grants |= {f"argocd {project}: {p}" for project, perms in projects.items() for p in perms}
    grants |= {f"argocd (global): {p}" for p in group.argocd.global_}
    grants |= {f"aws assume {arn} (SAML)" for arn in group.aws_roles}
    grants |= {
        f"aws act as {arn} (through pods in {ns})" for ns, entry in group.indirect.items() for arn in entry.aws_roles
    }
    grants |= {f"kubernetes {ns} secrets: mount (through pods)" for ns in group.indirect}
    if group.membership_rule:
        grants.add(f"members: everyone matching {group.membership_rule}")
    return grants


def _role_grants(state: FleetState) -> dict[str, set[str]]:
    """Workload and human roles: each action on each resource, and each managed policy."""
    out: dict[str, set[str]] = {}
    for role in state.roles():
        grants = {f"managed policy {arn}" for arn in role.managed_policy_arns}
        for statement in (role.inline_policy or {}).get("Statement", []):
            grants |= {
                f"{action} on {resource}" for action in statement["Action"] for resource in statement["Resource"]
            }
        out[role.name] = grants
    return out


Principal = tuple[Literal["okta-group", "iam-role"], str]


def access_grants(state: FleetState) -> dict[Principal, frozenset[str]]:
    """Every principal's grants, one string each: what two catalogs' access is compared by
    (here between two sides, in `fleet audit` between consecutive commits)."""
    out: dict[Principal, frozenset[str]] = {
        ("okta-group", g.okta_group): frozenset(_grants(g)) for g in access.matrix(state).groups
    }
    out.update((("iam-role", name), frozenset(grants)) for name, grants in _role_grants(state).items())
    return out


def access_changes(old: dict[Principal, frozenset[str]], new: dict[Principal, frozenset[str]]) -> list[AccessChange]:
    """Per principal, what `new` grants that `old` did not, and the reverse; Okta groups first."""
    out = []
    for kind, principal in sorted(set(old) | set(new), key=lambda p: (p[0] != "okta-group", p[1])):
        before, after = old.get((kind, principal), frozenset()), new.get((kind, principal), frozenset())
        if before is after:  # the same object: unchanged (the audit reuses each team's grants)
            continue
        gained, lost = sorted(after - before), sorted(before - after)
        if gained or lost:
            out.append(AccessChange(principal=principal, kind=kind, gained=gained, lost=lost))
    return out


def grant_area(kind: str, grant: str) -> Literal["kubernetes", "argocd", "aws", "membership"]:
    """Which system a grant string of `access_grants` is about (the audit's CSV column)."""
    if kind == "iam-role" or grant.startswith("aws "):
        return "aws"
    if grant.startswith("members: "):
        return "membership"
    return "argocd" if grant.startswith("argocd ") else "kubernetes"


def _access(base: FleetState | None, head: FleetState | None) -> list[AccessChange]:
    return access_changes(access_grants(base) if base else {}, access_grants(head) if head else {})


def _renames(base: Catalog | None, head: Catalog | None) -> list[Warning]:
    """Teams or apps that went and came in one change: most likely renames, which replace
    every derived resource (a new IAM role has a new principal id)."""
    if base is None or head is None:
        return []
    out: list[Warning] = []
    old_teams = {t.name: t for t in base.teams}
    new_teams = {t.name: t for t in head.teams}
    gone, came = sorted(set(old_teams) - set(new_teams)), sorted(set(new_teams) - set(old_teams))
    for name in gone:
        match = (
            difflib.get_close_matches(name, came, n=1, cutoff=0.5)
            or [c for c in came if set(new_teams[c].owners) == set(old_teams[name].owners)][:1]
        )
        if match:
            out.append(
                Warning(
                    kind="replacement",
                    message=f"team {name} → {match[0]} looks like a rename: its Okta groups, IAM roles, namespaces, AppProject and Applications are all replaced; retire {name} with lifecycle: decommissioning instead",
                )
            )
    for team_name in sorted(set(old_teams) & set(new_teams)):
        old_apps = {a.name: a for a in old_teams[team_name].apps}
        new_apps = {a.name: a for a in new_teams[team_name].apps}
        came_apps = sorted(set(new_apps) - set(old_apps))
        for name in sorted(set(old_apps) - set(new_apps)):
            old_repos = {s.repo for _, s in old_apps[name].all_sources()}
            same_source = [c for c in came_apps if old_repos & {s.repo for _, s in new_apps[c].all_sources()}]
            match = same_source[:1] or difflib.get_close_matches(name, came_apps, n=1, cutoff=0.5)
            if match:
                role = "IAM role (new principal id), " if old_apps[name].aws is not None else ""
                out.append(
                    Warning(
                        kind="replacement",
                        message=f"app {team_name}/{name} → {team_name}/{match[0]} looks like a rename: its {role}ServiceAccount and Application are replaced",
                    )
                )
    return out


def _warnings(
    base_resources: dict[tuple[str, str], Resource],
    head_resources: dict[tuple[str, str], Resource],
    access_changes: list[AccessChange],
    production: bool,
    renames: list[Warning],
) -> list[Warning]:
    out: list[Warning] = []
    for key in sorted(set(base_resources) - set(head_resources)):
        old = base_resources[key]
        if old.protect:
            out.append(
                Warning(
                    kind="protected-removal",
                    message=f"{key[0]} {key[1]} is protected: `pulumi up` will refuse to delete it; mark its team or app lifecycle: decommissioning in one change, remove it in the next",
                )
            )
        elif old.retain_on_delete:
            out.append(
                Warning(
                    kind="retained-removal",
                    message=f"{key[0]} {key[1]} is removed without decommissioning: it stays in the cloud, no longer managed (retainOnDelete)",
                )
            )
    if production:
        for change in access_changes:
            if change.gained:
                what = "Okta group" if change.kind == "okta-group" else "IAM role"
                shown = "; ".join(change.gained[:3]) + (" …" if len(change.gained) > 3 else "")
                out.append(
                    Warning(
                        kind="access-widened-in-production",
                        message=f"{what} {change.principal} gains {len(change.gained)} grant(s) in production: {shown}",
                    )
                )
    return [*out, *renames]


# --- what a reviewer of a production change must not miss ----------------------------------------
_LEVELS = ("view", "edit", "admin")


def _listed(values: Iterable[str]) -> str:
    shown = sorted(values)
    return ", ".join(shown) if shown else "none"


def _lifecycles(base: Catalog, head: Catalog) -> Iterator[Warning]:
    new_teams = {t.name: t for t in head.teams}
    for old_team in base.teams:
        team = new_teams.get(old_team.name)
        if team is None:
            if old_team.lifecycle == "active":  # the second step of a retirement is expected
                yield Warning(
                    kind="removal",
                    message=f"team {old_team.name} is removed (lifecycle was active, not decommissioning): its Okta "
                    f"groups, IAM roles, namespaces, AppProject and {len(old_team.apps)} app(s) go",
                )
            continue
        if old_team.lifecycle != "decommissioning" and team.lifecycle == "decommissioning":
            yield Warning(
                kind="decommissioning",
                message=f"team {team.name}: lifecycle {old_team.lifecycle} → decommissioning: its groups, roles and "
                "namespaces lose deletion protection and its Applications get the cascade finalizer "
                "(removing the team next deletes all of it, workloads included)",
            )
        new_apps = {a.name: a for a in team.apps}
        for old_app in old_team.apps:
            app = new_apps.get(old_app.name)
            if app is None:
                if not old_team.is_decommissioning(old_app):
                    yield Warning(
                        kind="removal",
                        message=f"app {team.name}/{old_app.name} is removed (lifecycle was active, not decommissioning)",
                    )
            elif old_app.lifecycle != "decommissioning" and app.lifecycle == "decommissioning":
                yield Warning(
                    kind="decommissioning",
                    message=f"app {team.name}/{app.name}: lifecycle {old_app.lifecycle} → decommissioning: its IAM "
                    "role loses deletion protection and its Application gets the cascade finalizer",
                )


def _platform(base: Catalog, head: Catalog) -> Iterator[Warning]:
    if base.deletion_protection and not head.deletion_protection:
        yield Warning(
            kind="deletion-protection-off",
            message="deletion_protection true → false: no Okta group, IAM role or namespace of this "
            "environment is protected from deletion any more",
        )
    for field in ("permissions_boundary_arn", "human_permissions_boundary_arn"):
        old, new = getattr(base.aws, field), getattr(head.aws, field)
        if old is not None and old != new:
            yield Warning(
                kind="permissions-boundary-changed",
                message=f"aws.{field}: {old} → {new or 'none'}"
                + (": every role loses its boundary" if new is None else ""),
            )
    for name, persona in sorted(head.personas.items()):
        old_persona = base.personas.get(name)
        old_level = old_persona.kubernetes if old_persona else "none"
        if old_persona is None or _LEVELS.index(persona.kubernetes) > _LEVELS.index(old_persona.kubernetes):
            yield Warning(
                kind="persona-widened",
                message=f"persona {name}: Kubernetes level {old_level} → {persona.kubernetes}"
                + (" (a new persona: a group per team)" if old_persona is None else ""),
            )
        old_actions = set(old_persona.argocd) if old_persona else set()
        if set(persona.argocd) - old_actions:
            yield Warning(
                kind="persona-widened",
                message=f"persona {name}: Argo CD actions {_listed(old_actions)} → {_listed(persona.argocd)}",
            )


def _effective_networks(catalog: Catalog) -> dict[str, tuple[str, set[str]]]:
    """namespace → (team, what its NetworkPolicy opens beyond the team's own namespaces and DNS)."""
    out = {}
    for team in catalog.teams:
        for ns in team.namespaces:
            out[ns.name] = (team.name, _opened(ns.network or catalog.defaults.network))
    return out


def _opened(network: Network) -> set[str]:
    opened = {f"ingress from namespace {n}" for n in network.ingress_from_namespaces}
    return opened | {f"egress to {cidr} (HTTPS)" for cidr in network.egress_https_cidrs}


def _networks(base: Catalog, head: Catalog) -> Iterator[Warning]:
    old = _effective_networks(base)
    base_defaults = _opened(base.defaults.network)  # what a namespace new in this change had had
    grouped: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
    for namespace, (team, opened) in sorted(_effective_networks(head).items()):
        before = old[namespace][1] if namespace in old else base_defaults
        added = opened - before
        if added:
            grouped.setdefault((tuple(sorted(added)), tuple(sorted(before))), []).append(f"{team}/{namespace}")
    for (added, before), where in grouped.items():
        yield Warning(
            kind="network-opened",
            message=f"NetworkPolicy of {', '.join(where)} opens: {'; '.join(added)} (before: {'; '.join(before) or 'only the team and DNS'})",
        )


def _managed_policies(base: FleetState, head: FleetState) -> Iterator[Warning]:
    old = {role.name: set(role.managed_policy_arns) for role in base.roles()}
    for role in head.roles():
        added = set(role.managed_policy_arns) - old.get(role.name, set())
        if added:
            before = _listed(old[role.name]) if role.name in old else "a new role"
            yield Warning(
                kind="managed-policy-added",
                message=f"IAM role {role.name}: managed policy added: {_listed(added)} (before: {before})",
            )


def _members(base: Catalog, head: Catalog) -> Iterator[Warning]:
    old_teams = {t.name: t for t in base.teams}
    for team in head.teams:
        if team.name not in old_teams:
            continue
        old_members = old_teams[team.name].members
        for persona, rule in sorted(team.members.items()):
            if old_members.get(persona) != rule:
                before = f"`{old_members[persona]}`" if persona in old_members else "by hand only"
                yield Warning(
                    kind="member-rule-changed",
                    message=f"team {team.name}: members.{persona}: {before} → `{rule}`: who matches decides who "
                    "gets the persona's access",
                )


def _ownership(base: Catalog, head: Catalog) -> Iterator[Warning]:
    """Who owns which resources decides what every app of a team may name in its statements."""
    old_teams = {t.name: t for t in base.teams}
    for team in head.teams:
        old = set(old_teams[team.name].owned_resources()) if team.name in old_teams else set()
        new = set(team.owned_resources())
        if new != old:
            yield Warning(
                kind="ownership-changed",
                message=f"team {team.name}: aws.owned_resources: {_listed(old)} → {_listed(new)}",
            )
    for team_name in sorted(set(old_teams) - {t.name for t in head.teams}):
        if old_teams[team_name].owned_resources():
            yield Warning(
                kind="ownership-changed",
                message=f"team {team_name}: aws.owned_resources: {_listed(old_teams[team_name].owned_resources())} → "
                "none (the team is removed: another team may claim them next)",
            )
    old_shared = {r.arn: set(r.teams) for r in base.aws.shared_resources}
    new_shared = {r.arn: set(r.teams) for r in head.aws.shared_resources}
    for arn in sorted(set(old_shared) | set(new_shared)):
        before, after = old_shared.get(arn, set()), new_shared.get(arn, set())
        if before != after:
            yield Warning(
                kind="ownership-changed",
                message=f"aws.shared_resources {arn}: shared with {_listed(before)} → {_listed(after)}",
            )
    old_grants, new_grants = base.aws.resource_grants, head.aws.resource_grants
    for arn in sorted(set(old_grants) | set(new_grants)):
        if old_grants.get(arn) != new_grants.get(arn):
            yield Warning(
                kind="ownership-changed",
                message=f"aws.resource_grants {arn}: granted to {old_grants.get(arn) or 'no team'} → "
                f"{new_grants.get(arn) or 'no team'}",
            )
    added = set(head.aws.allowed_managed_policy_arns) - set(base.aws.allowed_managed_policy_arns)
    if added:
        yield Warning(
            kind="managed-policy-added",
            message=f"aws.allowed_managed_policy_arns: {_listed(base.aws.allowed_managed_policy_arns)} → "
            f"{_listed(head.aws.allowed_managed_policy_arns)}: every team may now attach {_listed(added)}",
        )


# Turned on for an app that exists on both sides (a new app's settings are reviewed as new).
_SYNC_TURNED_ON: tuple[tuple[WarningKind, str, str], ...] = (
    (
        "automated-prune-on",
        "automated prune",
        "Argo CD deletes a live object as soon as it leaves Git, with no one approving that sync",
    ),
    (
        "self-heal-on",
        "self-heal",
        "Argo CD reverts every change made in the cluster within seconds, an on-call engineer's emergency fix included",
    ),
    (
        "replace-sync-option",
        "Replace=true",
        "Argo CD replaces objects (kubectl replace/create) instead of applying them, which can delete and recreate "
        "a resource: an outage (argo-cd sync-options.md)",
    ),
)


def _sync_settings(policy: Any) -> set[WarningKind]:
    """Which of the settings above a rendered syncPolicy has on."""
    policy = policy if isinstance(policy, dict) else {}
    automated = policy.get("automated") if isinstance(policy.get("automated"), dict) else {}
    on: set[WarningKind] = set()
    if automated.get("prune") is True:
        on.add("automated-prune-on")
    if automated.get("selfHeal") is True:
        on.add("self-heal-on")
    if "Replace=true" in (policy.get("syncOptions") or []):
        on.add("replace-sync-option")
    return on


def _sync_policies(base: FleetState, head: FleetState) -> Iterator[Warning]:
    # Per Application, so per cluster: a setting turned on for one cluster's Application counts.
    old = {m.name: m.obj["spec"].get("syncPolicy") for t in base.teams for a in t.apps for m in a.applications}
    turned: dict[WarningKind, list[str]] = {}
    for team in head.teams:
        for app in team.apps:
            for application in app.applications:
                if application.name not in old:
                    continue
                before = _sync_settings(old[application.name])
                for kind in sorted(_sync_settings(application.obj["spec"].get("syncPolicy")) - before):
                    where = f"{team.name}/{app.name}"
                    if where not in turned.get(kind, []):
                        turned.setdefault(kind, []).append(where)
    for kind, what, reason in _SYNC_TURNED_ON:
        if kind in turned:
            yield Warning(kind=kind, message=f"{what} turned on for {', '.join(turned[kind])}: {reason}")


def _window_label(window: SyncWindow) -> str:
    manual = ", manual syncs allowed" if window.manual_sync else ""
    return f"{window.kind} `{window.schedule}` for {window.duration} ({window.timezone or 'UTC'}{manual})"


def _covered(team: Team, window: SyncWindow) -> set[str]:
    return set(window.applications) or {app.name for app in team.apps}


def _windows(base: Catalog, head: Catalog) -> Iterator[Warning]:
    """A sync window removed or changed, or no longer covering an app it covered: its apps may
    sync when it kept them from it. A window is the same one by kind, schedule, duration, zone."""
    new_teams = {t.name: t for t in head.teams}
    for old_team in base.teams:
        team = new_teams.get(old_team.name)
        if team is None:
            continue  # the team's removal is its own warning
        apps = {app.name for app in team.apps}
        for window in old_team.sync_windows:
            key = (window.kind, window.schedule, window.duration, window.timezone or "UTC")
            same = [w for w in team.sync_windows if (w.kind, w.schedule, w.duration, w.timezone or "UTC") == key]
            held = _covered(old_team, window) & apps  # apps that stay, which the window held
            if not held:
                continue
            lost = held - set().union(*(_covered(team, w) for w in same))
            when = "during it" if window.kind == "deny" else "outside it"
            where = ", ".join(f"{team.name}/{name}" for name in sorted(lost))
            if not same:
                yield Warning(
                    kind="sync-window-removed",
                    message=f"team {team.name}: sync window {_window_label(window)} removed or changed: {where} "
                    f"may now sync {when}",
                )
            elif lost:
                yield Warning(
                    kind="sync-window-removed",
                    message=f"team {team.name}: sync window {_window_label(window)} no longer covers {where}: "
                    f"they may now sync {when}",
                )
            elif window.kind == "deny" and not window.manual_sync and any(w.manual_sync for w in same):
                yield Warning(
                    kind="sync-window-removed",
                    message=f"team {team.name}: sync window {_window_label(window)} now allows manual syncs "
                    f"of {', '.join(f'{team.name}/{name}' for name in sorted(held))} during it",
                )


def _quota_text(quota: Quota) -> dict[str, str]:
    return {"cpu": quota.cpu, "memory": quota.memory, "pods": str(quota.pods)}


def _raised(old: Quota, new: Quota) -> list[str]:
    out = []
    for field, before in _quota_text(old).items():
        after = _quota_text(new)[field]
        was, now = quantity(before), quantity(after)
        if was is None or now is None or now > was:
            out.append(f"{field} {before} → {after}")
    return out


def _quotas(base: Catalog, head: Catalog) -> Iterator[Warning]:
    """A namespace that exists on both sides and may now use more; a higher ceiling."""
    old = {ns.name: ns.quota or base.defaults.quota for team in base.teams for ns in team.namespaces}
    for team in head.teams:
        for ns in team.namespaces:
            if ns.name in old and (raised := _raised(old[ns.name], ns.quota or head.defaults.quota)):
                yield Warning(
                    kind="quota-raised", message=f"ResourceQuota of {team.name}/{ns.name}: {', '.join(raised)}"
                )
    if raised := _raised(base.guardrails.quota_ceiling, head.guardrails.quota_ceiling):
        yield Warning(
            kind="quota-raised", message=f"guardrails.quota_ceiling (every namespace's limit): {', '.join(raised)}"
        )


def _reviewer_warnings(base: tuple[Catalog, FleetState], head: tuple[Catalog, FleetState]) -> list[Warning]:
    """The changes a production reviewer must see stated, each with its old and new value."""
    return [
        *_platform(base[0], head[0]),
        *_lifecycles(base[0], head[0]),
        *_members(base[0], head[0]),
        *_ownership(base[0], head[0]),
        *_networks(base[0], head[0]),
        *_managed_policies(base[1], head[1]),
        *_sync_policies(base[1], head[1]),
        *_windows(base[0], head[0]),
        *_quotas(base[0], head[0]),
    ]


def compute(
    base: tuple[Catalog, FleetState] | None,
    head: tuple[Catalog, FleetState] | None,
    base_label: str,
    head_label: str,
) -> Diff:
    """The diff of two rendered catalogs; either side may be None (a new or deleted file)."""
    base_resources = _index(desired_resources(base[1])) if base else {}
    head_resources = _index(desired_resources(head[1])) if head else {}
    changes = _access(base[1] if base else None, head[1] if head else None)
    either = head or base
    assert either is not None, "at least one side"
    production = bool((head and head[0].deletion_protection) or (base and base[0].deletion_protection))
    renames = _renames(base[0] if base else None, head[0] if head else None)
    reviewer = _reviewer_warnings(base, head) if production and base and head else []
    return Diff(
        environment=either[0].environment,
        base=base_label,
        head=head_label,
        layers=_layers(base_resources, head_resources),
        access=changes,
        warnings=[*reviewer, *_warnings(base_resources, head_resources, changes, production, renames)],
    )


# --- the pull-request comment ----------------------------------------------------------------
_TITLES = {"okta": "Okta", "aws": "AWS", "kubernetes": "Kubernetes", "argocd": "Argo CD"}
_DETAILS_AFTER = 10  # longer lists fold into <details>
_KINDS = {"okta-group": "Okta group", "iam-role": "IAM role"}


def _fold(title: str, items: list[str], subject: str | None = None) -> list[str]:
    """A bold heading and bullets; a long list folds into <details>. `title` is our own text;
    `subject` (a principal's name) comes from the catalog and is escaped for each context."""
    bullets = [f"- {item}" for item in items]
    if len(items) <= _DETAILS_AFTER:
        lead = md.text(subject) if subject is not None else ""
        return [f"**{lead}{title}**", "", *bullets, ""]
    lead = md.html(subject) if subject is not None else ""
    return ["<details>", f"<summary>{lead}{title}</summary>", "", *bullets, "", "</details>", ""]


def markdown(diff: Diff) -> str:
    """The review comment. Every value that a catalog or a file name controls goes through
    fleet.text.markdown, so that no catalog string can change the comment's structure."""
    lines = [f"### app-of-apps {md.code(diff.environment)}: {md.code(diff.base)} → {md.code(diff.head)}", ""]
    if diff.empty and not diff.warnings:  # ownership or sharing alone changes no resource, yet warns
        return "\n".join([*lines, "No changes to Okta, AWS, Kubernetes or Argo CD, and no change of access.", ""])
    if diff.warnings:
        lines += [
            f"**{len(diff.warnings)} warning(s) need a human:**",
            "",
            *[f"- **{w.kind}**: {md.text(w.message)}" for w in diff.warnings],
            "",
        ]
    lines += ["| layer | added | changed | removed |", "|---|---:|---:|---:|"]
    for layer in LAYERS:
        d = diff.layers[layer]
        lines.append(f"| {_TITLES[layer]} | {len(d.added)} | {len(d.changed)} | {len(d.removed)} |")
    lines.append("")
    if diff.access:
        lines += ["#### Who gains or loses access", "", "| principal | gained | lost |", "|---|---:|---:|"]
        lines += [f"| {_KINDS[c.kind]} {md.text(c.principal)} | {len(c.gained)} | {len(c.lost)} |" for c in diff.access]
        lines.append("")
        for c in diff.access:
            lines += _fold(
                f": +{len(c.gained)} / -{len(c.lost)}",
                [f"\\+ {md.text(g)}" for g in c.gained] + [f"\\- {md.text(lost)}" for lost in c.lost],
                subject=c.principal,
            )
    for layer in LAYERS:
        d = diff.layers[layer]
        if d.added:
            lines += _fold(
                f"{_TITLES[layer]}: {len(d.added)} added", [f"{md.code(c.type)} {md.text(c.name)}" for c in d.added]
            )
        if d.changed:
            lines += _fold(
                f"{_TITLES[layer]}: {len(d.changed)} changed",
                [
                    f"{md.code(c.type)} {md.text(c.name)}: {md.text(', '.join([*c.versions, *c.fields]))}"
                    for c in d.changed
                ],
            )
        if d.removed:
            lines += _fold(
                f"{_TITLES[layer]}: {len(d.removed)} removed",
                [f"{md.code(c.type)} {md.text(c.name)}" for c in d.removed],
            )
    lines.append(
        "Rendered offline by `python -m fleet diff`; the `pulumi preview` comment below adds the providers' view."
    )
    return "\n".join(lines) + "\n"


def json_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://app-of-apps.io/schemas/diff.v1.json",
        **Diff.model_json_schema(),
    }
