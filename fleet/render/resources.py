"""Desired state → the resources the program registers: Pulumi type, logical name, inputs.

Inputs are camelCase, exactly as the engine and a CrossGuard policy pack see them, so that the
guardrails can judge the rendered desired state offline with the same functions the policy pack
runs at preview. Components register these and nothing else; where an input is only known at
deployment (an Okta group id, a role ARN) the component wires the output in its place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fleet.apis import pulumi_types as types
from fleet.catalog.naming import Names
from fleet.render import iam_policies
from fleet.render.state import AppState, FleetState, IamRole, Manifest, OktaGroup, TeamState

OKTA_EXPRESSION = "urn:okta:expression:1.0"
INLINE_POLICY_NAME = "fleet-inline"
MAX_SESSION_SECONDS = 3600


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    props: dict[str, Any]
    protect: bool = False
    # Deleting it in the cloud would lose what cannot be recreated; kept unless decommissioning.
    retain_on_delete: bool = False
    labels: dict[str, str] = field(default_factory=dict)  # what it belongs to, for reports
    # Where it goes: the declared cluster of a Kubernetes object (None: Argo CD's cluster, the
    # one of `cluster`), the region of an AWS resource outside aws.region (None: aws.region).
    # The program picks the explicit provider of that cluster or region.
    cluster: str | None = None
    region: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.type, self.name)


def kubernetes(manifest: Manifest, retain_on_delete: bool = False, cluster: str | None = None) -> Resource:
    """One Kubernetes object on one cluster (on several: one resource each, named per cluster)."""
    return Resource(
        types.kubernetes(manifest.api_version, manifest.kind),
        Names.logical_on_cluster(manifest.logical_name, cluster),
        manifest.obj,
        protect=manifest.protect,
        retain_on_delete=retain_on_delete,
        cluster=cluster,
    )


def okta_group(group: OktaGroup, retain_on_delete: bool) -> list[Resource]:
    out = [
        Resource(
            types.OKTA_GROUP,
            Names.logical_group(group.name),
            {"name": group.name, "description": group.description},
            protect=group.protect,
            retain_on_delete=retain_on_delete,
        )
    ]
    if group.rule is not None:
        out.append(
            Resource(
                types.OKTA_RULE,
                Names.logical_group(group.name),
                {
                    "name": group.rule_name,
                    "expressionType": OKTA_EXPRESSION,
                    "expressionValue": group.rule,
                    "groupAssignments": [f"<id of {group.name}>"],
                    "status": "ACTIVE",
                },
            )
        )
    return out


def iam_role(role: IamRole, description: str, retain_on_delete: bool) -> list[Resource]:
    props: dict[str, Any] = {
        "name": role.name,
        "path": role.path,
        "description": description,
        "assumeRolePolicy": iam_policies.to_json(role.trust_policy),
        "maxSessionDuration": MAX_SESSION_SECONDS,
        "tags": role.tags,
    }
    if role.permissions_boundary_arn:
        props["permissionsBoundary"] = role.permissions_boundary_arn
    logical = Names.logical_role(role.name)
    out = [Resource(types.IAM_ROLE, logical, props, protect=role.protect, retain_on_delete=retain_on_delete)]
    if role.inline_policy is not None:
        out.append(
            Resource(
                types.IAM_ROLE_POLICY,
                logical,
                {"name": INLINE_POLICY_NAME, "role": role.name, "policy": iam_policies.to_json(role.inline_policy)},
            )
        )
    for arn in role.managed_policy_arns:
        out.append(
            Resource(
                types.IAM_ROLE_POLICY_ATTACHMENT,
                Names.logical_policy_attachment(role.name, arn),
                {"role": role.name, "policyArn": arn},
            )
        )
    return out


def pod_identities(app: AppState) -> tuple[Resource, ...]:
    """One association per EKS cluster the app runs on, made in that cluster's region."""
    if app.role is None:
        return ()
    return tuple(
        Resource(
            types.EKS_POD_IDENTITY,
            Names.logical_on_cluster(Names.logical_pod_identity(assoc.namespace, assoc.service_account), assoc.cluster),
            {
                "clusterName": assoc.cluster_name,
                "namespace": assoc.namespace,
                "serviceAccount": assoc.service_account,
                "roleArn": app.role.arn,
                "tags": app.role.tags,
            },
            region=assoc.region,
        )
        for assoc in app.pod_identities
    )


def workload_role_description(app: AppState) -> str:
    return f"Workload role of {app.team}/{app.name} ({app.namespace}/{app.service_account.name})"


def human_role_description(team: str, persona: str, okta_group: str) -> str:
    return f"{persona} of team {team}, assumed by Okta group {okta_group}"


@dataclass(frozen=True)
class TeamResources:
    groups: tuple[tuple[Resource, Resource | None], ...]  # (group, its rule)
    human_roles: tuple[tuple[Resource, ...], ...]  # (role, attachments...)
    namespaces: tuple[Resource, ...]  # each namespace once per cluster it is on
    namespaced: tuple[Resource, ...]  # each once per cluster its namespace is on
    project: Resource
    repo_credentials: tuple[Resource, ...] = ()


@dataclass(frozen=True)
class AppResources:
    role: tuple[Resource, ...]  # empty, or (role, inline policy?, attachments...)
    service_accounts: tuple[Resource, ...]  # one per cluster the app is placed on
    pod_identities: tuple[Resource, ...]  # one per cluster, in pod-identity mode with a role
    applications: tuple[Resource, ...]  # one per cluster the app is placed on (on Argo CD's cluster)


def _pairs(resources: list[Resource]) -> tuple[Resource, Resource | None]:
    return resources[0], (resources[1] if len(resources) > 1 else None)


def team_resources(team: TeamState) -> TeamResources:
    # Two-step deletion everywhere: what holds state or identity survives a removal from the
    # catalog unless it was first marked decommissioning.
    keep = not team.decommissioning
    return TeamResources(
        groups=tuple(_pairs(okta_group(group, retain_on_delete=keep)) for group in team.groups),
        human_roles=tuple(
            tuple(iam_role(h.role, human_role_description(team.name, h.persona, h.okta_group), keep))
            for h in team.human_roles
        ),
        namespaces=tuple(
            kubernetes(m, retain_on_delete=keep, cluster=cluster)
            for m in team.namespace_objects
            for cluster in team.clusters_of(m.name)
        ),
        # The quota, limits, network policy and RBAC stay with a retained namespace: orphaned
        # workloads keep their guards rather than running with open networking.
        namespaced=tuple(
            kubernetes(m, retain_on_delete=keep, cluster=cluster)
            for m in team.namespaced_objects
            for cluster in team.clusters_of(m.namespace or "")
        ),
        project=kubernetes(team.project),
        repo_credentials=tuple(kubernetes(m) for m in team.repo_credentials),
    )


def app_resources(app: AppState) -> AppResources:
    role = (
        tuple(iam_role(app.role, workload_role_description(app), retain_on_delete=not app.decommissioning))
        if app.role is not None
        else ()
    )
    return AppResources(
        role=role,
        service_accounts=tuple(kubernetes(app.service_account, cluster=cluster) for cluster in app.clusters),
        pod_identities=pod_identities(app),
        applications=tuple(kubernetes(m) for m in app.applications),
    )


def cluster_resources(state: FleetState) -> tuple[Resource, ...]:
    """The fleet-wide admission policy and its binding, on every cluster of the environment."""
    return tuple(kubernetes(m, cluster=cluster) for cluster in state.clusters for m in state.cluster_objects)


def argocd_rbac(state: FleetState) -> Resource | None:
    """The fleet's keys of argocd-rbac-cm: a patch (server-side apply) of Argo CD's ConfigMap,
    which the Argo CD installation owns; deleting the patch gives the keys back, not the map."""
    if state.argocd_rbac is None:
        return None
    manifest = state.argocd_rbac
    return Resource(types.CONFIGMAP_PATCH, manifest.logical_name, manifest.obj)


def cluster_secrets(state: FleetState) -> list[Resource]:
    """Argo CD's declarative cluster Secrets (one per declared cluster), in Argo CD's namespace."""
    return [kubernetes(m) for m in state.cluster_secrets]


def reader_resources(state: FleetState) -> list[Resource]:
    """The read-only access of `fleet status`, registered by the AppOfApps component: its
    cluster-wide read on every cluster, its read of Argo CD's objects on Argo CD's cluster."""
    return [kubernetes(m, cluster=cluster) for cluster, m in state.placed_readers()]


def desired_resources(state: FleetState) -> list[Resource]:
    """Every custom resource the program registers for `state`."""
    out: list[Resource] = [*cluster_resources(state), *reader_resources(state)]
    if (rbac := argocd_rbac(state)) is not None:
        out.append(rbac)
    out += cluster_secrets(state)
    for team in state.teams:
        t = team_resources(team)
        for group, rule in t.groups:
            out += [group] if rule is None else [group, rule]
        for human in t.human_roles:
            out += human
        out += [*t.namespaces, *t.namespaced, t.project, *t.repo_credentials]
        for app in team.apps:
            a = app_resources(app)
            out += [*a.role, *a.service_accounts, *a.pod_identities, *a.applications]
    return out
