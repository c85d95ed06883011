"""The desired state: plain, frozen data that components register and reports read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fleet.catalog.naming import Names


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes object (Argo CD objects included) and whether Pulumi protects it."""

    obj: dict[str, Any]
    protect: bool = False

    @property
    def kind(self) -> str:
        return str(self.obj["kind"])

    @property
    def api_version(self) -> str:
        return str(self.obj["apiVersion"])

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    @property
    def namespace(self) -> str | None:
        return self.obj["metadata"].get("namespace")

    @property
    def logical_name(self) -> str:
        return Names.logical_kubernetes(self.name, self.namespace)


@dataclass(frozen=True)
class OktaGroup:
    name: str
    description: str
    team: str
    persona: str
    rule: str | None  # the Okta expression that puts users in the group, or None
    rule_name: str
    protect: bool = False


@dataclass(frozen=True)
class IamRole:
    name: str
    path: str
    arn: str
    trust_policy: dict[str, Any]
    inline_policy: dict[str, Any] | None
    managed_policy_arns: tuple[str, ...]
    permissions_boundary_arn: str | None
    tags: dict[str, str]
    protect: bool = False

    def document(self) -> dict[str, Any]:
        """The plan directory's view of the role (DESIGN.md, aws/roles/<role>.json)."""
        return {
            "name": self.name,
            "path": self.path,
            "trust_policy": self.trust_policy,
            "inline_policy": self.inline_policy,
            "managed_policy_arns": list(self.managed_policy_arns),
            "permissions_boundary_arn": self.permissions_boundary_arn,
            "tags": self.tags,
        }


@dataclass(frozen=True)
class PodIdentity:
    cluster_name: str  # the EKS cluster's name
    namespace: str
    service_account: str
    cluster: str | None = None  # the declared cluster (None: the one cluster of `cluster`)
    region: str | None = None  # the EKS cluster's region, when it is not aws.region


@dataclass(frozen=True)
class HumanRole:
    """A per-persona role that members of `okta_group` assume through Okta's AWS SAML app."""

    okta_group: str
    persona: str
    role: IamRole


@dataclass(frozen=True)
class AppState:
    team: str
    name: str
    namespace: str
    decommissioning: bool
    service_account: Manifest
    applications: tuple[Manifest, ...]  # one per cluster the app is placed on
    role: IamRole | None
    pod_identities: tuple[PodIdentity, ...]  # pod-identity mode, apps with a role: one per cluster it runs on
    irsa: bool  # the ServiceAccount carries the role ARN annotation
    clusters: tuple[str | None, ...] = (None,)  # where it runs (None: the environment's one cluster)

    def manifests(self) -> list[Manifest]:
        return [self.service_account, *self.applications]


@dataclass(frozen=True)
class TeamState:
    name: str
    decommissioning: bool
    namespaces: tuple[str, ...]
    groups: tuple[OktaGroup, ...]
    human_roles: tuple[HumanRole, ...]
    namespace_objects: tuple[Manifest, ...]  # Namespace objects only, registered first
    namespaced_objects: tuple[Manifest, ...]  # quota, limits, policy, Roles, RoleBindings
    project: Manifest
    apps: tuple[AppState, ...]
    repo_credentials: tuple[Manifest, ...] = ()  # ExternalSecrets in the Argo CD namespace
    # namespace -> the clusters it exists on (names; None: the environment's one cluster)
    placements: tuple[tuple[str, tuple[str | None, ...]], ...] = ()

    def manifests(self) -> list[Manifest]:
        return [*self.namespace_objects, *self.namespaced_objects, self.project, *self.repo_credentials]

    def clusters_of(self, namespace: str) -> tuple[str | None, ...]:
        """The clusters one of the team's namespaces exists on."""
        return dict(self.placements).get(namespace, (None,))


@dataclass(frozen=True)
class FleetState:
    environment: str
    organization: str
    account_id: str
    region: str
    cluster_name: str
    cluster_server: str
    argocd_namespace: str
    teams: tuple[TeamState, ...]
    # Fleet-wide cluster-scoped objects (the admission policy and its binding), registered first.
    cluster_objects: tuple[Manifest, ...] = ()
    # The read-only access of `fleet status` (fleet-status ClusterRole, Role and bindings).
    reader_objects: tuple[Manifest, ...] = ()
    # The fleet's keys of Argo CD's argocd-rbac-cm (registered as a server-side apply patch).
    argocd_rbac: Manifest | None = None
    # Argo CD's declarative cluster Secrets, one per declared cluster (none for `cluster` alone).
    cluster_secrets: tuple[Manifest, ...] = ()
    # The environment's clusters by name; (None,): the one cluster of `cluster`, as before.
    clusters: tuple[str | None, ...] = (None,)

    def manifests(self) -> Iterator[Manifest]:
        yield from self.cluster_objects
        if self.argocd_rbac is not None:
            yield self.argocd_rbac
        yield from self.cluster_secrets
        for team in self.teams:
            yield from team.manifests()
            for app in team.apps:
                yield from app.manifests()
        yield from self.reader_objects

    def placed(self) -> Iterator[tuple[str | None, Manifest]]:
        """Each object with the cluster it goes to, once per cluster: a team's namespaces and
        their objects to the clusters each namespace is on, a ServiceAccount to its app's
        clusters, the admission policy and the status reader's cluster role to every cluster.
        None is Argo CD's own cluster (the one of `cluster`): the Argo CD objects live there, and
        with `cluster` alone everything does."""
        for manifest in self.cluster_objects:
            for cluster in self.clusters:
                yield cluster, manifest
        if self.argocd_rbac is not None:
            yield None, self.argocd_rbac
        for manifest in self.cluster_secrets:
            yield None, manifest
        for team in self.teams:
            for manifest in team.namespace_objects:
                for cluster in team.clusters_of(manifest.name):
                    yield cluster, manifest
            for manifest in team.namespaced_objects:
                for cluster in team.clusters_of(manifest.namespace or ""):
                    yield cluster, manifest
            yield None, team.project
            for manifest in team.repo_credentials:
                yield None, manifest
            for app in team.apps:
                for cluster in app.clusters:
                    yield cluster, app.service_account
                for manifest in app.applications:
                    yield None, manifest
        yield from self.placed_readers()

    def placed_clusters(self) -> tuple[str, ...]:
        """The declared clusters this state places objects on (its stack's Kubernetes providers)."""
        return tuple(dict.fromkeys(cluster for cluster, _ in self.placed() if cluster is not None))

    def aws_regions(self) -> tuple[str, ...]:
        """The regions besides aws.region its Pod Identity associations are made in."""
        return tuple(
            dict.fromkeys(
                assoc.region
                for team in self.teams
                for app in team.apps
                for assoc in app.pod_identities
                if assoc.region is not None
            )
        )

    def placed_readers(self) -> Iterator[tuple[str | None, Manifest]]:
        """The status reader's objects: its read of Argo CD's objects on Argo CD's cluster, its
        cluster-wide read on every cluster of the environment."""
        for manifest in self.reader_objects:
            if manifest.namespace == self.argocd_namespace:
                yield None, manifest
            else:
                for cluster in self.clusters:
                    yield cluster, manifest

    def roles(self) -> Iterator[IamRole]:
        for team in self.teams:
            for human in team.human_roles:
                yield human.role
            for app in team.apps:
                if app.role is not None:
                    yield app.role

    def groups(self) -> Iterator[OktaGroup]:
        for team in self.teams:
            yield from team.groups
