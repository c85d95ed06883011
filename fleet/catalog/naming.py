"""Every derived name, in one place. Nothing else formats a name; everything asks here.

Okta groups, IAM roles, Kubernetes subjects, Argo CD projects and Pulumi logical names all
come from the same (organization, environment, team, persona/app) tuple, so they cannot drift.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

MANAGED_BY = "app-of-apps"
LABEL_DOMAIN = "app-of-apps.io"
TEAM_LABEL = f"{LABEL_DOMAIN}/team"
APP_LABEL = f"{LABEL_DOMAIN}/app"
ENVIRONMENT_LABEL = f"{LABEL_DOMAIN}/environment"
PERSONA_LABEL = f"{LABEL_DOMAIN}/persona"
ACCESS_LEVEL_LABEL = f"{LABEL_DOMAIN}/access-level"  # admin | edit | view, on persona Roles
OWNERS_ANNOTATION = f"{LABEL_DOMAIN}/owners"
DESCRIPTION_ANNOTATION = f"{LABEL_DOMAIN}/description"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
K8S_MANAGED_BY = "app.kubernetes.io/managed-by"
K8S_PART_OF = "app.kubernetes.io/part-of"
K8S_NAME = "app.kubernetes.io/name"
# AWS tag keys on every role (and Pod Identity association).
TAG_ENVIRONMENT, TAG_MANAGED_BY, TAG_TEAM, TAG_APP, TAG_PERSONA = "environment", "managed-by", "team", "app", "persona"
# Argo CD reads a Secret in its namespace with this label as a cluster it may deploy to.
ARGOCD_SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"  # noqa: S105 -- a label name, not a secret
ARGOCD_CLUSTER_SECRET_TYPE = "cluster"  # noqa: S105 -- a label value, not a secret
CLUSTER_LABEL = f"{LABEL_DOMAIN}/cluster"
# Argo CD's built-in project, which allows everything: never a team's project name.
ARGOCD_DEFAULT_PROJECT = "default"
# Argo CD's global RBAC settings; the fleet owns some of its keys through a server-side apply
# patch, under its own field manager, so whoever installed Argo CD keeps the rest.
ARGOCD_RBAC_CONFIGMAP = "argocd-rbac-cm"
PATCH_FIELD_MANAGER_ANNOTATION = "pulumi.com/patchFieldManager"
PATCH_FORCE_ANNOTATION = "pulumi.com/patchForce"

IAM_ROLE_PATH = "/fleet/"
IAM_ROLE_NAME_MAX = 64
OKTA_RULE_NAME_MAX = 50
# Argo CD puts the Application name in the app.kubernetes.io/instance label of every object it
# tracks, and label values are at most 63 characters.
ARGOCD_APPLICATION_NAME_MAX = 63
ARGOCD_ROLE_PATTERN = r"^[a-zA-Z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?$"


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


@dataclass(frozen=True)
class Names:
    """Names derived for one environment of one organization."""

    organization: str
    environment: str
    oidc_groups_prefix: str = ""

    # --- identity -------------------------------------------------------------------------
    def okta_group(self, team: str, persona: str) -> str:
        return f"{self.organization}-{self.environment}-{team}-{persona}"

    def okta_rule(self, team: str, persona: str) -> str:
        """Okta caps group rule names at 50 characters: long names keep a stable hash suffix."""
        name = self.okta_group(team, persona)
        if len(name) <= OKTA_RULE_NAME_MAX:
            return name
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        return f"{name[: OKTA_RULE_NAME_MAX - 9]}-{digest}"

    def kubernetes_group(self, team: str, persona: str) -> str:
        """The group subject the API server sees: its OIDC groupsPrefix + the Okta group."""
        return f"{self.oidc_groups_prefix}{self.okta_group(team, persona)}"

    # --- AWS ------------------------------------------------------------------------------
    def resource_prefix(self, team: str) -> str:
        """How the names of a team's AWS resources start: `<organization>-<environment>-<team>`
        (then a separator); a team owns such names, others only by a platform grant."""
        return f"{self.organization}-{self.environment}-{team}"

    def workload_role(self, team: str, app: str) -> str:
        return f"{self.organization}-{self.environment}-{team}-{app}"

    def human_role(self, team: str, persona: str) -> str:
        return f"{self.organization}-{self.environment}-{team}-{persona}"

    @staticmethod
    def role_arn(account_id: str, region: str, role_name: str) -> str:
        return f"arn:{partition(region)}:iam::{account_id}:role{IAM_ROLE_PATH}{role_name}"

    @staticmethod
    def cluster_arn(account_id: str, region: str, cluster: str) -> str:
        return f"arn:{partition(region)}:eks:{region}:{account_id}:cluster/{cluster}"

    # --- Kubernetes -----------------------------------------------------------------------
    @staticmethod
    def service_account(app: str) -> str:
        return app

    SERVICE_ACCOUNT_SUBJECT_PREFIX = "system:serviceaccount:"

    @staticmethod
    def service_account_subject(namespace: str, service_account: str) -> str:
        """The `sub` of a ServiceAccount token, as IRSA trust policies match it."""
        return f"{Names.SERVICE_ACCOUNT_SUBJECT_PREFIX}{namespace}:{service_account}"

    @staticmethod
    def persona_role(persona: str) -> str:
        return f"fleet-{persona}"

    @staticmethod
    def persona_binding(persona: str) -> str:
        return f"fleet-{persona}"

    ADMISSION_POLICY_SUFFIX = "-namespace-boundaries"

    def admission_policy(self) -> str:
        """The ValidatingAdmissionPolicy (and its binding) that guards this fleet's namespaces;
        cluster-scoped, so it carries the organization and environment."""
        return f"{self.organization}-{self.environment}{self.ADMISSION_POLICY_SUFFIX}"

    # The read-only identity of `fleet status`: the group a CI identity is bound to, and the
    # ClusterRole, Role and bindings that grant it (docs/operator/status.md).
    STATUS_READER = "fleet-status"

    def status_reader_cluster_role(self) -> str:
        """Its ClusterRole and ClusterRoleBinding: cluster-scoped, so they carry the organization
        and environment (two fleets may share a cluster); the group stays `fleet-status`."""
        return f"{self.organization}-{self.environment}-{self.STATUS_READER}"

    QUOTA = "fleet-quota"
    LIMITS = "fleet-limits"
    NETWORK_POLICY = "fleet-default-deny"

    # --- Argo CD --------------------------------------------------------------------------
    @staticmethod
    def app_project(team: str) -> str:
        return team

    @staticmethod
    def application(team: str, app: str, cluster: str | None = None) -> str:
        """`<team>-<app>`, and `-<cluster>` when the environment declares its clusters (one
        Application per cluster). A per-cluster name longer than Argo CD's limit keeps a stable
        hash suffix of the whole name, so that it stays unique."""
        name = f"{team}-{app}"
        if cluster is None:
            return name
        name = f"{name}-{cluster}"
        if len(name) <= ARGOCD_APPLICATION_NAME_MAX:
            return name
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        return f"{name[: ARGOCD_APPLICATION_NAME_MAX - 9].rstrip('-')}-{digest}"

    @staticmethod
    def cluster_secret(cluster: str) -> str:
        """Argo CD's declarative cluster Secret of one of the environment's clusters."""
        return f"cluster-{cluster}"

    @staticmethod
    def repo_credential(team: str, repo_url: str) -> str:
        """The ExternalSecret and the Secret Argo CD reads for one of the team's repositories."""
        return f"repo-{team}-{hashlib.sha256(repo_url.encode()).hexdigest()[:10]}"

    @property
    def secret_prefix(self) -> str:
        """Where the platform's secret store keeps the environment's keys: a team's own are
        under `<prefix>/<team>/`."""
        return f"{self.organization}/{self.environment}"

    def github_app_key(self, team: str) -> str:
        """Where the platform's secret store keeps the private key of the team's GitHub App."""
        return github_app_key(self.secret_prefix, team)

    @staticmethod
    def argocd_role(persona: str) -> str:
        return persona

    @staticmethod
    def argocd_subject(team: str, persona: str) -> str:
        return f"proj:{team}:{persona}"

    # --- Pulumi logical names (stable slugs; renaming one is a replacement) ---------------
    @staticmethod
    def logical_kubernetes(name: str, namespace: str | None) -> str:
        # Unique per type: the type is part of the URN, so a Role and its RoleBinding may share it.
        return f"{namespace}/{name}" if namespace else name

    @staticmethod
    def logical_team(team: str) -> str:
        return team

    @staticmethod
    def logical_app(team: str, app: str) -> str:
        return f"{team}/{app}"

    @staticmethod
    def logical_role(role: str) -> str:
        return role

    @staticmethod
    def logical_group(group: str) -> str:
        return group

    @staticmethod
    def logical_policy_attachment(role: str, policy_arn: str) -> str:
        # Account and path both: aws:policy/X and 111111111111:policy/X are two attachments.
        return f"{role}/{policy_arn.split(':', 4)[4]}"

    @staticmethod
    def logical_pod_identity(namespace: str, service_account: str) -> str:
        return f"{namespace}/{service_account}"

    @staticmethod
    def logical_on_cluster(logical: str, cluster: str | None) -> str:
        """One object placed on several of the environment's clusters: one resource each,
        `<logical>@<cluster>` (`@` is in no Kubernetes name, so it cannot collide). None: the one
        cluster of `cluster`, or Argo CD's, named as before clusters could be declared."""
        return logical if cluster is None else f"{logical}@{cluster}"


# --- the deployment pipeline (Pulumi project, ESC environments) -------------------------------
PROJECT = "app-of-apps"  # the Pulumi project name (Pulumi.yaml), also the ESC project


def github_app_key(secret_prefix: str, team: str) -> str:
    """The key of the team's GitHub App private key under the environment's `secret_prefix`."""
    return f"{secret_prefix}/argocd/github-app/{team}"


def esc_environment(stack: str) -> str:
    """The ESC environment `Pulumi.<stack>.yaml` imports: the deployer's credentials."""
    return f"{PROJECT}/{stack}"


def esc_preview_environment(stack: str) -> str:
    """The stack's read-only ESC environment, for previews and drift."""
    return f"{PROJECT}/{stack}-preview"


# --- stacks: a platform stack and a stack per team in each environment ----------------------
PLATFORM_STACK_SUFFIX = "platform"  # never a team's name: its stack would collide
STACK_SEPARATOR = "."
# The rule id of the refusal of a team named like the platform stack.
RULE_TEAM_NAME_PLATFORM = "catalog-team-name-platform"

StackKind = Literal["environment", "platform", "team"]


@dataclass(frozen=True)
class StackScope:
    """What one Pulumi stack of the project holds: the whole environment (the stack named like the
    environment, `dev`: every resource in one stack, the shape before teams had stacks), the
    environment's platform part (`dev.platform`), or one team's part (`dev.payments`)."""

    environment: str
    team: str | None
    kind: StackKind

    @property
    def stack(self) -> str:
        if self.kind == "environment":
            return self.environment
        if self.kind == "platform":
            return platform_stack(self.environment)
        assert self.team is not None
        return team_stack(self.environment, self.team)

    def holds_platform(self) -> bool:
        return self.kind in ("environment", "platform")

    def holds_team(self, team: str) -> bool:
        return self.kind == "environment" or self.team == team


def platform_stack(environment: str) -> str:
    """The stack of the environment's cluster-wide and shared objects."""
    return f"{environment}{STACK_SEPARATOR}{PLATFORM_STACK_SUFFIX}"


def team_stack(environment: str, team: str) -> str:
    """The stack of one team's objects in one environment."""
    return f"{environment}{STACK_SEPARATOR}{team}"


def stack_scope(stack: str) -> StackScope:
    """What a stack name holds. Environments and teams are DNS labels (no dots), so the first dot
    separates them; ValueError for a name that is neither `<env>`, `<env>.platform` nor
    `<env>.<team>`. A fully qualified name (`org/project/dev.payments`) is read by its last part."""
    name = stack.rsplit("/", 1)[-1]
    environment, dot, rest = name.partition(STACK_SEPARATOR)
    if not environment or (dot and (not rest or STACK_SEPARATOR in rest)):
        raise ValueError(
            f"stack {stack!r} is neither <environment>, <environment>.{PLATFORM_STACK_SUFFIX} nor <environment>.<team>"
        )
    if not dot:
        return StackScope(environment, None, "environment")
    if rest == PLATFORM_STACK_SUFFIX:
        return StackScope(environment, None, "platform")
    return StackScope(environment, rest, "team")


# The read-only Kubernetes identity of previews: the AWS role app-of-apps-preview maps to this
# group through an EKS access entry; the group is bound to this ClusterRole (get/list/watch).
PREVIEW_IDENTITY = f"{PROJECT}-preview"  # the AWS role, the ClusterRole and its binding
PREVIEW_KUBERNETES_GROUP = f"{PROJECT}:preview"
