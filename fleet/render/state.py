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
    cluster_name: str
    namespace: str
    service_account: str


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
    application: Manifest
    role: IamRole | None
    pod_identity: PodIdentity | None  # set in pod-identity mode for apps with a role
    irsa: bool  # the ServiceAccount carries the role ARN annotation

    def manifests(self) -> list[Manifest]:
        return [self.service_account, self.application]


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

    def manifests(self) -> list[Manifest]:
        return [*self.namespace_objects, *self.namespaced_objects, self.project, *self.repo_credentials]


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

    def manifests(self) -> Iterator[Manifest]:
        yield from self.cluster_objects
        if self.argocd_rbac is not None:
            yield self.argocd_rbac
        for team in self.teams:
            yield from team.manifests()
            for app in team.apps:
                yield from app.manifests()
        yield from self.reader_objects

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
