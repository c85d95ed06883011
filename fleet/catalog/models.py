"""The catalog contract (version 1): frozen pydantic models, defaults applied, typos refused.

Shape and single-field rules live here as validators; rules that compare fields with each other
(allow-lists, uniqueness, derived-name collisions) live in `fleet.catalog.checks` and `fleet.guardrails`.
"""

from __future__ import annotations

import ipaddress
import re
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator

from fleet.apis import argocd_sync
from fleet.catalog.naming import Names

DNS_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$")
HOST_PATTERN = re.compile(
    r"^(\*\.)?(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$"
)
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[A-Za-z]{2,}$")
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
EKS_CLUSTER = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$")
ACCOUNT = re.compile(r"^[0-9]{12}$")
PARTITION = r"aws(-cn|-us-gov)?"
OIDC_PROVIDER_ARN = re.compile(rf"^arn:{PARTITION}:iam::[0-9]{{12}}:oidc-provider/[A-Za-z0-9./_-]+$")
ROLE_ARN = re.compile(rf"^arn:{PARTITION}:iam::[0-9]{{12}}:role/([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{{1,64}}$")
BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
SAML_PROVIDER_ARN = re.compile(rf"^arn:{PARTITION}:iam::[0-9]{{12}}:saml-provider/[A-Za-z0-9._-]+$")
POLICY_ARN = re.compile(rf"^arn:{PARTITION}:iam::([0-9]{{12}}|aws):policy/([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]+$")
# A Helm repository may be served at a host root (https://charts.jetstack.io): `https://host` alone
# is a repository URL too; fleet.guardrails judges where it may be used (a chart source only).
REPO = re.compile(r"^(https://[^\s/]+(/\S*)?|ssh://\S+@[^\s/]+/\S*|git@[^\s:]+:\S*|oci://[^\s/]+/\S*)$")
HELM_CHART = re.compile(r"^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$")
SOURCE_REF = re.compile(r"^[A-Za-z0-9]([-_A-Za-z0-9]*[A-Za-z0-9])?$")  # what `$<ref>/` may name
NAME_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*)?$")
# A code host's handle as CODEOWNERS names an owner: @user, or @organization/team (GitHub:
# user and organization names of letters, digits and single hyphens, at most 39; team slugs of
# letters, digits, '-' and '_').
CODE_OWNER = re.compile(r"^@[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(?:/[A-Za-z0-9][A-Za-z0-9_-]{0,99})?$")
KUSTOMIZE_IMAGE = re.compile(r"^[^\s=]+(=[^\s=]+)?$")  # name, name=new[:tag|@digest], name:tag
HELM_RELEASE_MAX = 53  # Helm's limit: release names become label values with suffixes

PersonaLevel = Literal["admin", "edit", "view"]
ArgoAction = Literal["get", "create", "update", "delete", "sync", "override", "action"]
PodSecurity = Literal["privileged", "baseline", "restricted"]
Lifecycle = Literal["active", "decommissioning"]


def _dns_label(value: str) -> str:
    if len(value) > 63 or not DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a DNS label (lower-case letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters)"
        )
    return value


def _matching(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return AfterValidator(check)


def _quantity(value: Any) -> Any:
    # `cpu: 4` is what people type; Kubernetes quantities are strings.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _account_id(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError("must be a quoted string of 12 digits (an unquoted number loses leading zeros)")
    return value


def _groups_prefix(value: str) -> str:
    if value.startswith("system:"):
        raise ValueError(
            "must not start with 'system:': Okta groups would then impersonate Kubernetes' "
            "built-in groups such as system:masters"
        )
    if any(c.isspace() or c == "," for c in value):
        raise ValueError("must not contain spaces or commas")
    return value


def _pattern(pattern: re.Pattern[str], **extra: Any) -> Any:
    """The regex for the JSON Schema only (an editor checks it as you type); the validators
    above stay the judges, with their own messages."""
    return Field(json_schema_extra={"pattern": pattern.pattern, **extra})


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    if seen:
        raise ValueError(f"{seen[0]!r} is listed twice")
    return values


DnsLabel = Annotated[str, AfterValidator(_dns_label), _pattern(DNS_LABEL, maxLength=63)]
Email = Annotated[str, _matching(EMAIL, "an e-mail address")]
Quantity = Annotated[
    str,
    BeforeValidator(_quantity, json_schema_input_type=str | int | float),
    _matching(QUANTITY, "a Kubernetes quantity (e.g. 500m, 4, 8Gi)"),
]
PolicyArn = Annotated[
    str, _matching(POLICY_ARN, "an IAM policy ARN (arn:aws:iam::<account>|aws:policy/<name>)"), _pattern(POLICY_ARN)
]
CodeOwners = Annotated[
    tuple[
        Annotated[str, _matching(CODE_OWNER, "a code host handle (@user or @organization/team)"), _pattern(CODE_OWNER)],
        ...,
    ],
    AfterValidator(_unique),
]


class Strict(BaseModel):
    # Each field's docstring is its description: in the JSON Schema (editors show it) and in the
    # generated reference (docs/reference/catalog.md).
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, use_attribute_docstrings=True)


class Cluster(Strict):
    name: Annotated[str, _matching(EKS_CLUSTER, "an EKS cluster name"), _pattern(EKS_CLUSTER)]
    """The EKS cluster name. The program checks the kubeconfig it deploys through against this cluster's endpoint."""
    server: Annotated[str, _matching(re.compile(r"^https://\S+$"), "an https:// URL")] = (
        "https://kubernetes.default.svc"
    )
    """An `https://` URL: the Argo CD destination server of every Application (default: in-cluster)."""
    oidc_groups_prefix: Annotated[str, AfterValidator(_groups_prefix)] = ""
    """The API server's OIDC `groupsPrefix`; RBAC subjects carry it. Never `system:`, no spaces or commas."""
    # The kubeconfig context `fleet status` reads this environment through (None: the current
    # one). Only a name: how a machine reaches the cluster stays in its own kubeconfig.
    context: (
        Annotated[str, Field(min_length=1, max_length=253), _matching(re.compile(r"^\S+$"), "a context name")] | None
    ) = None
    """The kubeconfig context `fleet status` reads this environment through (no spaces); none: the kubeconfig's current context; `--context` overrides. Only a name: each machine keeps its own kubeconfig."""
    # Platform namespaces besides the built-in ones (kube-*, default, Argo CD's, add-ons):
    # never a team's, and the only ones a NetworkPolicy may trust by name.
    reserved_namespaces: tuple[DnsLabel, ...] = ()
    """DNS labels: platform namespaces besides the built-in reserved ones. Never a team's; the only namespaces a NetworkPolicy may trust by name."""
    namespace_grants: dict[DnsLabel, DnsLabel] = {}
    """Namespace -> team: namespaces the platform gives a team although they are not named as the team's (a team's own are named `<team>` or `<team>-…`). The only way for a team to any other name."""
    ingress_domain: (
        Annotated[str, _matching(DNS_NAME, "a DNS name (lower-case labels separated by dots)"), _pattern(DNS_NAME)]
        | None
    ) = None
    """The domain under which each team owns its hosts: team `payments` may claim `payments.<ingress_domain>` and its subdomains in Ingresses and HTTPRoutes. None: teams own only the hosts the platform grants."""
    host_grants: dict[
        Annotated[
            str, _matching(HOST_PATTERN, "a host name, or *.<domain> for its subdomains"), _pattern(HOST_PATTERN)
        ],
        DnsLabel,
    ] = {}
    """Host -> team: hosts the platform gives a team besides its own under `ingress_domain`: an exact host, or `*.<domain>` for every subdomain of `<domain>`. Two teams never claim one host."""
    external_names: tuple[
        Annotated[str, _matching(DNS_NAME, "a DNS name (lower-case labels separated by dots)"), _pattern(DNS_NAME)], ...
    ] = ()
    """The only hosts an ExternalName Service in a team namespace may name (exact DNS names outside the cluster, such as a database endpoint). Empty: no ExternalName Services."""


class TargetCluster(Strict):
    """One cluster of the environment, as Argo CD reaches it: an EKS cluster, through an IAM role
    Argo CD assumes (rendered as Argo CD's declarative cluster Secret; never a static token)."""

    name: DnsLabel
    """The cluster's name in the fleet (a DNS label, unique): what namespaces and apps name in `clusters`, and part of each Application's name."""
    server: Annotated[str, _matching(re.compile(r"^https://\S+$"), "an https:// URL")]
    """The cluster's API endpoint (`https://`, unique): the Argo CD destination server of its Applications."""
    region: Annotated[str, _matching(REGION, "an AWS region (e.g. eu-west-1)"), _pattern(REGION)]
    """The AWS region the EKS cluster runs in."""
    eks_cluster_name: Annotated[str, _matching(EKS_CLUSTER, "an EKS cluster name"), _pattern(EKS_CLUSTER)]
    """The EKS cluster name (Argo CD's `awsAuthConfig.clusterName`)."""
    argocd_role_arn: Annotated[
        str, _matching(ROLE_ARN, "an IAM role ARN (arn:aws:iam::<account>:role/<name>)"), _pattern(ROLE_ARN)
    ]
    """The IAM role Argo CD assumes to reach the cluster (Argo CD's `awsAuthConfig.roleARN`); its EKS access entry is the platform's."""
    ca_data: Annotated[str, _matching(BASE64, "base64 (the cluster's CA certificate, PEM, base64-encoded)")] | None = (
        None
    )
    """The cluster's CA certificate, PEM then base64 (`aws eks describe-cluster … certificateAuthority.data`); none: the system's roots. Public data, never a key."""
    oidc_provider_arn: (
        Annotated[
            str,
            _matching(OIDC_PROVIDER_ARN, "an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer>)"),
            _pattern(OIDC_PROVIDER_ARN),
        ]
        | None
    ) = None
    """The cluster's IAM OIDC provider: required when `aws.workload_identity` is irsa (each EKS cluster has its own; workload roles trust those of the clusters their app runs on)."""
    context: (
        Annotated[str, Field(min_length=1, max_length=253), _matching(re.compile(r"^\S+$"), "a context name")] | None
    ) = None
    """The kubeconfig context the program deploys to this cluster through, and `fleet status` reads it through (no spaces); none: a context named like the cluster. Only a name: each machine keeps its own kubeconfig, and the program deploys only if that context's server is `server`."""


class SharedResource(Strict):
    """A resource the platform lets named teams use in their apps' IAM statements."""

    arn: str  # an exact ARN or a name prefix ending in '*' (fleet.guardrails.ownership)
    """An exact ARN, or a name prefix ending in `*`: one resource, or resources by name prefix; never a whole resource type."""
    teams: Annotated[tuple[DnsLabel, ...], Field(min_length=1), AfterValidator(_unique)]
    """The teams it is shared with (names, non-empty, unique)."""


class Aws(Strict):
    account_id: Annotated[
        str, BeforeValidator(_account_id), _matching(ACCOUNT, "an AWS account id of 12 digits"), _pattern(ACCOUNT)
    ]
    """The AWS account of every role: a quoted string of 12 digits. The AWS provider refuses credentials of another account."""
    region: Annotated[str, _matching(REGION, "an AWS region (e.g. eu-west-1)"), _pattern(REGION)]
    """The AWS region of the provider (e.g. `eu-west-1`)."""
    workload_identity: Literal["pod-identity", "irsa"] = "pod-identity"
    """How pods assume their app's role: EKS Pod Identity, or IRSA (which needs `aws.oidc_provider_arn`)."""
    oidc_provider_arn: (
        Annotated[
            str,
            _matching(OIDC_PROVIDER_ARN, "an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer>)"),
        ]
        | None
    ) = None
    """The cluster's IAM OIDC provider ARN; required with `irsa`."""
    permissions_boundary_arn: PolicyArn | None = None
    """A policy ARN: the permissions boundary of every workload role."""
    human_permissions_boundary_arn: PolicyArn | None = None  # for the SAML persona roles
    """A policy ARN: the permissions boundary of the per-persona human roles."""
    saml_provider_arn: (
        Annotated[
            str, _matching(SAML_PROVIDER_ARN, "an IAM SAML provider ARN (arn:aws:iam::<account>:saml-provider/<name>)")
        ]
        | None
    ) = None
    """An IAM SAML provider ARN. When set, a human role per team and persona, assumed through Okta's AWS app."""
    # The only managed policies an app or persona may attach (an allow-list, exact ARNs).
    allowed_managed_policy_arns: tuple[PolicyArn, ...] = ()
    """The only managed policies apps and personas may attach (exact ARNs). Never an administrator policy; broad ones (`*FullAccess`, `*ReadOnlyAccess`, `*ReadWrite`) only on roles with a permissions boundary."""
    shared_resources: tuple[SharedResource, ...] = ()
    """Resources the platform lets named teams' apps use in their IAM statements."""
    resource_grants: dict[str, DnsLabel] = {}
    """ARN pattern -> team: resources the platform lets a team own (`teams[].aws.owned_resources`) although their names do not carry the team's prefix (`<organization>-<environment>-<team>`): an exact ARN or a name prefix ending in `*`, never another team's names. The only way for a team to own any other name (a KMS key id, a legacy bucket)."""

    @property
    def oidc_issuer(self) -> str:
        """The issuer host/path as it appears in IRSA condition keys."""
        assert self.oidc_provider_arn is not None
        return self.oidc_provider_arn.split(":oidc-provider/", 1)[1]


NotificationName = Annotated[
    str, _matching(re.compile(r"^[A-Za-z0-9]([-_A-Za-z0-9]*[A-Za-z0-9])?$"), "a name (letters, digits, '-', '_')")
]


class NotificationSettings(Strict):
    """What argocd-notifications-cm offers (the platform configures it): the only triggers and
    services an app may subscribe to."""

    triggers: Annotated[tuple[NotificationName, ...], AfterValidator(_unique)] = argocd_sync.CATALOG_TRIGGERS
    """Triggers an app may subscribe to; default: Argo CD's notification catalog (`on-created`, `on-deleted`, `on-deployed`, `on-health-degraded`, `on-sync-failed`, `on-sync-running`, `on-sync-status-unknown`, `on-sync-succeeded`)."""
    services: Annotated[tuple[NotificationName, ...], AfterValidator(_unique)] = ()
    """Notification services (`slack`, `email`, a webhook's name, …) an app may use; none declared: no subscriptions."""


class RepoCredentials(Strict):
    """Where the platform keeps the teams' GitHub App keys (External Secrets ClusterSecretStore)."""

    secret_store: DnsLabel
    """The External Secrets ClusterSecretStore (a DNS label) holding each team's GitHub App key under `<organization>/<environment>/argocd/github-app/<team>`."""
    github_api_url: str | None = None  # GitHub Enterprise: https://ghe.example.com/api/v3
    """GitHub Enterprise's API URL (`https://ghe.example.com/api/v3`); none for github.com."""


ARGOCD_GROUP = re.compile(r"^[^\s,\"'#]+$")  # what a policy.csv field can hold
OIDC_SCOPE = re.compile(r"^[A-Za-z0-9_:./-]+$")
BuiltinRole = Literal["role:admin", "role:readonly"]


class ArgoCD(Strict):
    namespace: DnsLabel = "argocd"
    """Argo CD's namespace (a DNS label): it holds the AppProjects and Applications, and is never a destination."""
    allowed_repos: Annotated[tuple[str, ...], Field(min_length=1)]
    """Repository URL prefixes ending in `/`, or exact URLs; a Helm repository served at a host root (`https://charts.jetstack.io`) only exactly, never a host as a prefix. Every app source must be inside one."""
    shared_repos: tuple[str, ...] = ()
    """Repositories more than one team may use (shared charts, a platform registry): exact URLs, or prefixes ending in `/`. Every other repository belongs to the one team whose apps use it (compared as the repository a URL names: case, `.git`, a trailing `/`, the scheme and user do not make another one)."""
    # argocd-rbac-cm keys the fleet owns (a server-side apply patch; other keys stay as installed):
    # `scopes`: the OIDC claims Argo CD reads group names from; the Okta groups must arrive in one.
    sso_scopes: Annotated[
        tuple[Annotated[str, _matching(OIDC_SCOPE, "an OIDC claim name")], ...], Field(min_length=1)
    ] = ("groups",)
    """`argocd-rbac-cm` `scopes`: the OIDC claims Argo CD reads group names from (the Okta groups must arrive in one)."""
    # `policy.csv`: platform groups (never team groups) given one of Argo CD's built-in roles.
    platform_roles: dict[
        Annotated[str, _matching(ARGOCD_GROUP, "a group name (no spaces, commas, quotes or '#')")], BuiltinRole
    ] = {}
    """`argocd-rbac-cm` `policy.csv`: platform groups given a built-in role (`role:admin` or `role:readonly`) in every project; never a team's Okta group (`argocd-rbac-no-cross-project`)."""
    # `policy.default`: the role of every logged-in user. Only empty passes (argocd-rbac-default-deny).
    policy_default: str = ""
    """`argocd-rbac-cm` `policy.default`: only empty passes (`argocd-rbac-default-deny`); a role here would be every logged-in user's."""
    repo_credentials: RepoCredentials | None = None
    """Where the teams' GitHub App keys are kept; needed by `teams[].github_app`."""
    notifications: NotificationSettings = NotificationSettings()
    """What `argocd-notifications-cm` offers: the only triggers and services apps may subscribe to (`argocd-notifications`)."""


class GitHubApp(Strict):
    """The team's GitHub App: Argo CD reads the team's repositories with its installation tokens."""

    app_id: Annotated[int, Field(gt=0)]
    """The GitHub App's id (a positive integer); one team's only."""
    installation_id: Annotated[int, Field(gt=0)]
    """The App's installation on the repositories the team deploys from (a positive integer); one team's only."""


class Persona(Strict):
    kubernetes: PersonaLevel
    """The explicit Role template bound in every team namespace (`fleet/catalog/personas.py`)."""
    argocd: tuple[ArgoAction, ...] = ()
    """The AppProject role's actions on the team's applications."""
    aws_managed_policy_arns: tuple[PolicyArn, ...] = ()
    """Managed policies of the persona's human role (with `aws.saml_provider_arn`): only from `aws.allowed_managed_policy_arns`."""


DEFAULT_PERSONAS: dict[str, Persona] = {
    "admin": Persona(kubernetes="admin", argocd=("get", "sync", "update", "delete", "action")),
    "developer": Persona(kubernetes="edit", argocd=("get", "sync")),
    "viewer": Persona(kubernetes="view", argocd=("get",)),
}


class Quota(Strict):
    cpu: Quantity
    """CPU requests and limits of the namespace: a Kubernetes quantity (`500m`, `4`)."""
    memory: Quantity
    """Memory requests and limits of the namespace: a Kubernetes quantity (`8Gi`)."""
    pods: Annotated[int, Field(gt=0, le=10000)]
    """Pods in the namespace (1 to 10000)."""


def _go_duration(value: str) -> str:
    seconds = argocd_sync.duration_seconds(value)
    if seconds is None:
        raise ValueError(f"{value!r} is not a duration (a number and a unit: 30s, 5m, 1h30m; units ns us ms s m h)")
    if seconds <= 0:
        raise ValueError(f"{value!r} is no time at all; give a positive duration")
    return value


def _sync_option(value: str) -> str:
    if (problem := argocd_sync.option_problem(value)) is not None:
        raise ValueError(problem)
    return value


def _one_per_option(values: tuple[str, ...]) -> tuple[str, ...]:
    names = [argocd_sync.split_option(v)[0] for v in values]
    twice = [n for i, n in enumerate(names) if n in names[:i]]
    if twice:
        raise ValueError(f"{twice[0]} is given twice; an option has one value")
    return values


GoDuration = Annotated[str, AfterValidator(_go_duration)]
SyncOptions = Annotated[tuple[Annotated[str, AfterValidator(_sync_option)], ...], AfterValidator(_one_per_option)]


class Backoff(Strict):
    """How long Argo CD waits between sync attempts (Argo CD's defaults: 5s, factor 2, at most 3m)."""

    duration: GoDuration | None = None
    """The first wait, a Go duration (`30s`, `5m`, `1h30m`); none: Argo CD's 5s."""
    factor: Annotated[int, Field(ge=1, le=10)] | None = None
    """Each wait is the previous one times this (1 to 10); none: Argo CD's 2."""
    max_duration: GoDuration | None = None
    """The longest wait, not shorter than `duration`; none: Argo CD's 3m."""

    @model_validator(mode="after")
    def _ordered(self) -> Backoff:
        if self.duration is not None and self.max_duration is not None:
            first = argocd_sync.duration_seconds(self.duration) or 0
            if (argocd_sync.duration_seconds(self.max_duration) or 0) < first:
                raise ValueError(f"max_duration {self.max_duration} is shorter than duration {self.duration}")
        return self


class Retry(Strict):
    """Argo CD's `syncPolicy.retry`: how often a failed sync is tried again."""

    limit: int
    """Attempts after a failure; never negative (Argo CD would retry forever and the app never shows SyncFailed)."""
    backoff: Backoff | None = None
    """The wait between attempts; none: Argo CD's (5s, factor 2, at most 3m)."""

    @model_validator(mode="after")
    def _bounded(self) -> Retry:
        if self.limit < 0:
            raise ValueError(
                f"limit {self.limit}: a negative limit retries forever, so a sync that cannot succeed never "
                "ends as failed (no on-sync-failed notification, no SyncFailed for fleet status); give a number"
            )
        return self


class Sync(Strict):
    automated: bool = True
    """Argo CD syncs automatically."""
    prune: bool = True
    """Automated sync deletes what is no longer in Git."""
    self_heal: bool = True
    """Automated sync reverts changes made in the cluster."""
    options: SyncOptions = ()
    """Argo CD's `syncPolicy.syncOptions`, written as Argo CD writes them (`ServerSideApply=true`): only Application-level options and values Argo CD knows; never `CreateNamespace=true` or `Delete=false`, not `Replace=true` with `ServerSideApply=true`, no `Validate=false` with `deletion_protection` (`argocd-sync-options`). The fleet always adds `CreateNamespace=false`."""
    retry: Retry | None = None
    """Argo CD's `syncPolicy.retry`: how often and how patiently a failed sync is tried again."""


class SyncOverride(Strict):
    automated: bool | None = None
    """Overrides `defaults.sync.automated` for this app."""
    prune: bool | None = None
    """Overrides `defaults.sync.prune` for this app."""
    self_heal: bool | None = None
    """Overrides `defaults.sync.self_heal` for this app."""
    options: SyncOptions | None = None
    """Merged with `defaults.sync.options` option by option: the app's value of an option wins (`ServerSideApply=false` turns a default off)."""
    retry: Retry | None = None
    """Replaces `defaults.sync.retry` whole for this app."""


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError as err:
        raise ValueError(f"{value!r} is not a CIDR block ({err})") from None


class Network(Strict):
    """What the default-deny NetworkPolicy opens besides the team's own namespaces and DNS."""

    ingress_from_namespaces: tuple[DnsLabel, ...] = ()  # e.g. the ingress controller's namespace
    """Namespaces (reserved ones only) whose pods may connect in, e.g. the ingress controller's."""
    egress_https_cidrs: tuple[Annotated[str, AfterValidator(_cidr)], ...] = ()  # HTTPS (443) only
    """CIDR blocks reachable on port 443."""


class Defaults(Strict):
    pod_security: PodSecurity = "restricted"
    """The Pod Security level enforced, audited and warned on every namespace."""
    network: Network = Network()
    """What the default-deny NetworkPolicy of every namespace opens besides the team's own namespaces and DNS."""
    quota: Quota = Quota(cpu="4", memory="8Gi", pods=50)
    """The ResourceQuota of every namespace."""
    sync: Sync = Sync()
    """The Argo CD sync policy of every Application."""


class Namespace(Strict):
    name: DnsLabel
    """The namespace (a DNS label); never reserved (`kube-*`, `default`, Argo CD's, well-known add-ons, `cluster.reserved_namespaces`); a namespace belongs to one team."""
    pod_security: PodSecurity | None = None
    """This namespace's Pod Security level (default `defaults.pod_security`; never below the floor)."""
    quota: Quota | None = None
    """This namespace's ResourceQuota (default `defaults.quota`)."""
    network: Network | None = None  # replaces defaults.network for this namespace
    """Replaces `defaults.network` for this namespace."""
    clusters: Annotated[tuple[DnsLabel, ...], AfterValidator(_unique)] = ()
    """Names from the environment's `clusters` this namespace exists on (unique); empty: all of them."""


class Helm(Strict):
    """Helm parameters of a source (Argo CD's `source.helm`)."""

    release_name: DnsLabel | None = None  # default: the Application name
    """The Helm release name (a DNS label of at most 53 characters); default: the Application name."""
    value_files: tuple[Annotated[str, Field(min_length=1)], ...] = ()  # in the repo, or `$<ref>/…`
    """Relative to the source and inside its repository, or `$<ref>/…` inside a ref source of the same app; no `..`, no URLs."""
    values: dict[str, Any] = {}  # inline values, rendered as `valuesObject`
    """Inline values (rendered as `valuesObject`); `namespaceOverride` and `global.namespace` only equal to the app's namespace."""

    @model_validator(mode="after")
    def _release_length(self) -> Helm:
        if self.release_name is not None and len(self.release_name) > HELM_RELEASE_MAX:
            raise ValueError(f"release_name is longer than Helm's {HELM_RELEASE_MAX} characters")
        return self


class Kustomize(Strict):
    """Kustomize parameters of a source (Argo CD's `source.kustomize`)."""

    images: tuple[
        Annotated[str, _matching(KUSTOMIZE_IMAGE, "a Kustomize image override (name=new:tag, name:tag, name@digest)")],
        ...,
    ] = ()
    """Image overrides: `name=new:tag`, `name:tag`, `name@digest`."""
    name_prefix: (
        Annotated[str, _matching(NAME_PREFIX, "a Kubernetes name prefix (lower-case letters, digits, '-')")] | None
    ) = None
    """Prefix of every object's name (lower-case letters, digits, `-`)."""


class Source(Strict):
    """One source of an Application: a Git path (plain, Kustomize or Helm chart directory), a
    chart of a Helm repository or OCI registry, or, in `sources`, a `ref` to a repo whose files
    other sources name as `$<ref>/…`."""

    repo: Annotated[
        str,
        _matching(
            REPO,
            "a Git repository URL (https://…, ssh://…, git@host:…), a Helm repository (https://…) or an OCI registry (oci://…)",
        ),
    ]
    """A Git URL (`https://`, `ssh://`, `git@host:`), a Helm repository (`https://`) or an OCI registry (`oci://`), inside `argocd.allowed_repos`."""
    path: str | None = None
    """A directory of the repository: relative, without `..`. Exactly one of `path` and `chart` (a `ref` source may have neither)."""
    chart: (
        Annotated[str, _matching(HELM_CHART, "a Helm chart name (lower-case letters, digits, '-', '_', '.')")] | None
    ) = None
    """A chart of the Helm repository or OCI registry in `repo`."""
    revision: Annotated[str, Field(min_length=1)] = "HEAD"  # a Git revision, or the chart version
    """A branch, tag or commit; for a chart its version (required; exact with `deletion_protection`, a range such as `1.8.*` only outside production). With `deletion_protection`, a Git revision is a full commit SHA or a tag."""
    helm: Helm | None = None
    """Helm parameters (a chart source, or a chart directory at `path`)."""
    kustomize: Kustomize | None = None
    """Kustomize parameters; needs `path`."""
    ref: Annotated[str, _matching(SOURCE_REF, "a ref name (letters, digits, '-', '_')")] | None = None
    """Only in `sources`: the name other sources' value files use as `$<ref>/…`. A source with only `ref` renders nothing."""

    @model_validator(mode="after")
    def _one_kind(self) -> Source:
        if self.path is not None and self.chart is not None:
            raise ValueError("has both path and chart: a source is a Git directory or a Helm chart, not both")
        if self.path is None and self.chart is None and self.ref is None:
            raise ValueError("needs path (a directory of a Git repository) or chart (a Helm chart)")
        if self.kustomize is not None and self.path is None:
            raise ValueError("kustomize needs path: Kustomize builds a directory of a Git repository")
        if self.kustomize is not None and self.helm is not None:
            raise ValueError("has both helm and kustomize: Argo CD renders a source with one tool")
        if self.helm is not None and self.path is None and self.chart is None:
            raise ValueError("helm needs chart or path: a ref-only source renders nothing")
        return self


class Statement(Strict):
    actions: Annotated[tuple[str, ...], Field(min_length=1)]
    """IAM actions (non-empty): known actions only; no wildcards, no privilege escalation or permissions management, no control-plane or identity actions."""
    resources: Annotated[tuple[str, ...], Field(min_length=1)]
    """ARNs (non-empty) inside the team's `aws.owned_resources` or an `aws.shared_resources` entry naming the team; `*` only for actions that cannot be scoped to a resource."""


class AppAws(Strict):
    statements: tuple[Statement, ...] = ()
    """The role's inline policy: Allow statements."""
    managed_policy_arns: tuple[PolicyArn, ...] = ()
    """Managed policies attached to the role: only from `aws.allowed_managed_policy_arns`, never an administrator policy."""


API_GROUP = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
KIND = re.compile(r"^[A-Z][A-Za-z0-9]{0,62}$")
OBJECT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
JSON_POINTER = re.compile(r"^(/([^~/]|~[01])*)+$")  # RFC 6901, from the root: /spec/replicas
FIELD_MANAGER = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_.:/]{0,127}$")
NOTIFICATION_NAME = re.compile(r"^[A-Za-z0-9]([-_A-Za-z0-9]*[A-Za-z0-9])?$")
# Recipients of one subscription share an annotation value, separated by ';'.
RECIPIENT = re.compile(r"^[^;,\s]*$")
# The Argo CD UI links a URL in an Application's info: only web links, never a script.
URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
SCRIPT_SCHEMES = ("javascript", "data", "vbscript", "file")
ANNOTATION_NAME_MAX = 63  # the part after '/' of an annotation key (apimachinery)
REVISION_HISTORY_MAX = 100


def _single_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("must be one line")
    return value


class IgnoreDifference(Strict):
    """Argo CD's `ignoreDifferences` entry: fields of one kind that Argo CD does not compare."""

    group: Annotated[
        str, _matching(API_GROUP, "an API group (apps, autoscaling, ...; leave it out for the core group)")
    ] = ""
    """The kind's API group (`apps`, `autoscaling`, …); empty: the core group."""
    kind: Annotated[str, _matching(KIND, "a Kubernetes kind (Deployment, HorizontalPodAutoscaler, ...)")]
    """The kind, exact (no patterns)."""
    name: Annotated[str, _matching(OBJECT_NAME, "an object name (exact: no patterns)")] | None = None
    """One object of the kind; none: every object of the kind."""
    namespace: DnsLabel | None = None
    """One of the team's namespaces; none: any."""
    json_pointers: tuple[
        Annotated[str, _matching(JSON_POINTER, "a JSON pointer from the object's root (/spec/replicas)")], ...
    ] = ()
    """Fields as JSON pointers from the object's root (`/spec/replicas`); never a whole part (`/spec`, `/metadata`)."""
    jq_path_expressions: tuple[
        Annotated[str, Field(min_length=1, max_length=1024), AfterValidator(_single_line)], ...
    ] = ()
    """Fields chosen by jq (`.spec.template.spec.containers[].image`); never `.` or a whole part (`.spec`)."""
    managed_fields_managers: tuple[Annotated[str, _matching(FIELD_MANAGER, "a field manager name")], ...] = ()
    """Fields these managers last wrote win over Git (e.g. `kube-controller-manager`); never kubectl's (hand edits). At least one of the three lists."""

    @model_validator(mode="after")
    def _something(self) -> IgnoreDifference:
        if not (self.json_pointers or self.jq_path_expressions or self.managed_fields_managers):
            raise ValueError("ignores nothing: give json_pointers, jq_path_expressions or managed_fields_managers")
        return self


def _info_value(value: str) -> str:
    scheme = URL_SCHEME.match(value)
    if scheme and scheme.group(1).lower() in SCRIPT_SCHEMES:
        raise ValueError(f"a {scheme.group(1)}: value would be a link in the Argo CD UI; only https:// links")
    if "://" in value and not value.startswith("https://"):
        raise ValueError("a link in the Argo CD UI is https://, nothing else")
    return value


class Info(Strict):
    """A line of the Application's `info`, shown in the Argo CD UI (links, e-mail, plain text)."""

    name: Annotated[str, Field(min_length=1, max_length=63), AfterValidator(_single_line)]
    """One line, unique in the app."""
    value: Annotated[
        str, Field(min_length=1, max_length=1024), AfterValidator(_single_line), AfterValidator(_info_value)
    ]
    """One line; a link only `https://`."""


class Notification(Strict):
    """One subscription: Argo CD notifies `recipient` through `service` when `trigger` fires."""

    trigger: Annotated[str, _matching(NOTIFICATION_NAME, "a trigger name (letters, digits, '-', '_')")]
    """One of `argocd.notifications.triggers`."""
    service: Annotated[str, _matching(NOTIFICATION_NAME, "a service name (letters, digits, '-', '_')")]
    """One of `argocd.notifications.services`."""
    # A Slack channel, an e-mail address, ...; empty for a webhook (its URL is configured).
    recipient: Annotated[
        str,
        Field(max_length=253),
        _matching(RECIPIENT, "one recipient (no ';', ',' or spaces: give one entry per recipient)"),
    ] = ""
    """A channel, an address; empty for a webhook (its URL is configured). One recipient: no `;`, `,` or spaces."""

    @model_validator(mode="after")
    def _key_length(self) -> Notification:
        key = argocd_sync.subscribe_key(self.trigger, self.service).split("/", 1)[1]
        if len(key) > ANNOTATION_NAME_MAX:
            raise ValueError(
                f"the annotation name {key!r} is {len(key)} characters; Kubernetes allows {ANNOTATION_NAME_MAX}"
            )
        return self


class App(Strict):
    name: DnsLabel
    """The app (a DNS label): its ServiceAccount, Application and workload role are named after it; unique within the team."""
    namespace: DnsLabel | None = None
    """One of the team's namespaces; default: the team's first."""
    source: Source | None = None
    """What Argo CD deploys: a Git directory, a Helm chart, or a Kustomize overlay. Required unless `sources`."""
    sources: tuple[Source, ...] = ()  # a multi-source Application instead of `source`
    """A multi-source Application, instead of `source`: refs unique, at least one source with `path` or `chart`."""
    aws: AppAws | None = None
    """When present, the app gets a workload role (EKS Pod Identity or IRSA); absent: no role."""
    sync: SyncOverride | None = None
    """Overrides of `defaults.sync` for this app."""
    ignore_differences: tuple[IgnoreDifference, ...] = ()
    """Argo CD's `ignoreDifferences`: fields Argo CD does not compare (and, with `RespectIgnoreDifferences=true`, does not sync), e.g. the replica count an HPA owns."""
    revision_history_limit: Annotated[int, Field(ge=0)] | None = None
    """How many past syncs the Application keeps (rollback targets), 0 to 100; none: Argo CD's 10."""
    info: tuple[Info, ...] = ()
    """Argo CD's `info`: lines shown on the app's page (runbook, dashboard, owner); names unique."""
    notifications: tuple[Notification, ...] = ()
    """Subscriptions, rendered as Argo CD's `notifications.argoproj.io/subscribe.<trigger>.<service>: <recipient>;…` annotations."""
    clusters: Annotated[tuple[DnsLabel, ...], AfterValidator(_unique)] = ()
    """Names from the environment's `clusters` the app is deployed to, each hosting its namespace (unique); empty: every cluster its namespace is on."""
    lifecycle: Lifecycle = "active"
    """`decommissioning` retires the app: automated sync off, the cascade finalizer on, protection off; remove it in a second change."""

    @model_validator(mode="after")
    def _argocd_settings(self) -> App:
        if self.revision_history_limit is not None and self.revision_history_limit > REVISION_HISTORY_MAX:
            raise ValueError(
                f"revision_history_limit {self.revision_history_limit}: at most {REVISION_HISTORY_MAX}; the history "
                "lives in the Application's status, which etcd stores whole (Argo CD keeps 10)"
            )
        names = [i.name for i in self.info]
        if len(names) != len(set(names)):
            raise ValueError(f"info names {sorted({n for n in names if names.count(n) > 1})[0]!r} twice")
        subscriptions = [(n.trigger, n.service, n.recipient) for n in self.notifications]
        if len(subscriptions) != len(set(subscriptions)):
            raise ValueError("notifications lists the same trigger, service and recipient twice")
        return self

    @model_validator(mode="after")
    def _source_or_sources(self) -> App:
        if (self.source is None) == (not self.sources):
            raise ValueError("needs exactly one of source (one repository) or sources (a list, for multi-source apps)")
        if self.source is not None and self.source.ref is not None:
            raise ValueError("source.ref is only meaningful in sources: another source names its files as $<ref>/…")
        refs = [s.ref for s in self.sources if s.ref is not None]
        if len(refs) != len(set(refs)):
            raise ValueError("sources name the same ref twice")
        if self.sources and all(s.path is None and s.chart is None for s in self.sources):
            raise ValueError("sources only hold refs: at least one source needs path or chart")
        return self

    def all_sources(self) -> tuple[tuple[tuple[str | int, ...], Source], ...]:
        """Each source with its path below the app: ('source',) or ('sources', i)."""
        if self.source is not None:
            return ((("source",), self.source),)
        return tuple((("sources", i), s) for i, s in enumerate(self.sources))


def _schedule(value: str) -> str:
    problems = argocd_sync.cron_problems(value)
    if problems:
        raise ValueError("; ".join(problems))
    return value


def _time_zone(value: str) -> str:
    # Argo CD replaces a time zone it does not know by UTC, silently: the window would move.
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{value!r} is not a time zone of the tz database (e.g. Europe/Amsterdam, UTC); "
            "Argo CD would silently use UTC"
        ) from None
    return value


class SyncWindow(Strict):
    """A window of the team's AppProject (Argo CD `syncWindows`): when its apps may (allow) or
    may not (deny) sync. `applications` names the team's own apps; empty: all of them."""

    kind: Literal["allow", "deny"]
    """`allow`: the apps sync only while an allow window is open; `deny`: never while a deny window is open (deny wins)."""
    schedule: Annotated[str, AfterValidator(_schedule)]  # cron: minute hour day-of-month month day-of-week
    """When the window opens, cron as Argo CD parses it: minute hour day-of-month month day-of-week (`0 22 * * 1-5`; no seconds, no `@daily`)."""
    duration: GoDuration
    """How long it stays open, a Go duration (`8h`, `1h30m`)."""
    applications: Annotated[tuple[str, ...], AfterValidator(_unique)] = ()
    """The team's apps it holds, rendered as their Applications' exact names; empty: all of the team's apps. Never a pattern, never another team's or the platform's app (`argocd-sync-windows`)."""
    manual_sync: bool = False  # manual syncs allowed while the window blocks
    """Manual syncs are allowed while the window blocks."""
    timezone: Annotated[str, AfterValidator(_time_zone)] | None = None  # Argo CD's default: UTC
    """The schedule's time zone, a tz database name (`Europe/Amsterdam`); none: UTC. An unknown one is refused (Argo CD would silently use UTC)."""
    description: Annotated[str, Field(max_length=256), AfterValidator(_single_line)] = ""
    """One line, shown with the window in Argo CD."""


class TeamAws(Strict):
    # ARN patterns the team owns: its apps' statements may name only these (and what the
    # platform shares with it). Exact ARNs or name prefixes ending in '*'; never another team's.
    owned_resources: tuple[str, ...] = ()
    """ARN patterns the team owns: exact ARNs (covering their sub-resources) or name prefixes ending in `*`, in this account, never overlapping another team's. Each names a resource that carries the team's prefix (`<organization>-<environment>-<team>`, then `-`, `/`, `.` or `_`) or lies inside a platform grant to the team (`aws.resource_grants`). Its apps' statements may name only these and what is shared with the team."""


class Team(Strict):
    name: DnsLabel
    """The team (a DNS label): part of every derived name; unique."""
    description: str = ""
    """In the Okta group descriptions, the namespaces' annotation and the AppProject."""
    owners: Annotated[tuple[Email, ...], Field(min_length=1), AfterValidator(_unique)]
    """E-mail addresses of who answers for the team (non-empty, unique)."""
    members: dict[DnsLabel, Annotated[str, Field(min_length=1, max_length=1024)]] = {}
    """Persona to an Okta expression: a group rule that fills the persona's group (without one, members are added by hand)."""
    namespaces: tuple[Namespace, ...] = ()
    """The team's namespaces; default: one named after the team."""
    lifecycle: Lifecycle = "active"
    """`decommissioning` retires the team with all of its apps; remove it in a second change."""
    aws: TeamAws | None = None
    """What the team owns in AWS."""
    apps: tuple[App, ...] = ()
    """The team's child applications; names unique within the team."""
    github_app: GitHubApp | None = None
    """The team's GitHub App: Argo CD reads each repository of the team's apps with its installation tokens (one hour), through a project-scoped credential per repository."""
    sync_windows: tuple[SyncWindow, ...] = ()
    """Argo CD sync windows in the team's AppProject: when the team's apps may (`allow`) or may not (`deny`) sync; over the team's own apps only."""
    code_owners: CodeOwners = ()
    """Code host handles (`@user`, `@organization/team`) who review the team's file: its line in `.github/CODEOWNERS` (`python -m fleet codeowners`); none: the platform reviews it."""

    @model_validator(mode="after")
    def _default_namespace(self) -> Team:
        if self.namespaces:
            return self
        return self.model_copy(update={"namespaces": (Namespace(name=self.name),)})

    def owned_resources(self) -> tuple[str, ...]:
        return self.aws.owned_resources if self.aws else ()

    def app_namespace(self, app: App) -> str:
        return app.namespace or self.namespaces[0].name

    def is_decommissioning(self, app: App | None = None) -> bool:
        """A decommissioning team takes all of its apps with it."""
        return self.lifecycle == "decommissioning" or (app is not None and app.lifecycle == "decommissioning")


DEFAULT_QUOTA_CEILING = Quota(cpu="64", memory="256Gi", pods=1000)


class Guardrails(Strict):
    # A catalog may raise the floor, never lower it below baseline: the policy pack's default.
    pod_security_floor: Literal["baseline", "restricted"] = "baseline"
    """The lowest Pod Security level a namespace may have (never below `baseline`)."""
    quota_ceiling: Quota = DEFAULT_QUOTA_CEILING
    """The most any team namespace's quota (and `defaults.quota`) may grant: cpu, memory, pods. A team raises its quota up to it; the platform decides the ceiling (raising it in production is a reviewer warning)."""


class Catalog(Strict):
    environment: DnsLabel
    """The environment (a DNS label); equals the Pulumi stack name when deployed."""
    organization: DnsLabel
    """A DNS label: the prefix of every Okta group and IAM role name."""
    deletion_protection: bool = False
    """`true`: Okta groups, IAM roles and namespaces are `protect`ed (except while decommissioning), and revisions must be pinned."""
    cluster: Cluster
    """The EKS cluster the fleet lives in (alone, without `clusters`), and the settings every cluster of the environment shares."""
    clusters: tuple[TargetCluster, ...] = ()
    """The environment's clusters (platform-owned): names and servers unique. None: the one cluster of `cluster`, reached in-cluster or as Argo CD already knows it."""
    aws: Aws
    """The AWS account of the workload and human roles."""
    argocd: ArgoCD
    """Where Argo CD runs and what it may deploy from."""
    personas: dict[DnsLabel, Persona] = Field(default_factory=lambda: dict(DEFAULT_PERSONAS))
    """What each Okta group of a team may do (default: `admin`, `developer`, `viewer`)."""
    defaults: Defaults = Defaults()
    """What every namespace and app gets unless it overrides it."""
    guardrails: Guardrails = Guardrails()
    """What the catalog may tighten in the guardrails."""
    code_owners: CodeOwners = ()
    """Code host handles (`@user`, `@organization/team`) who review the platform's files and the code: `.github/CODEOWNERS` gives them `*` and the environment's folder (`python -m fleet codeowners`, which requires it)."""
    teams: tuple[Team, ...]
    """The teams; names unique."""
    # A partial catalog (fleet.compiler: some teams failed validation and are None): the names
    # of those teams, so that a reference to one of them is not reported as a second mistake.
    _unchecked_team_names: frozenset[str] = PrivateAttr(default=frozenset())

    def human_role_personas(self) -> list[str]:
        """Personas that get a SAML role per team: those with AWS policies, when SAML is set up.
        A role without permissions would only clutter the Okta AWS app's role picker."""
        if not self.aws.saml_provider_arn:
            return []
        return sorted(name for name, persona in self.personas.items() if persona.aws_managed_policy_arns)

    def names(self) -> Names:
        return Names(self.organization, self.environment, self.cluster.oidc_groups_prefix)

    def targets(self) -> tuple[Target, ...]:
        """The clusters of the environment: those of `clusters`, or the one of `cluster`."""
        if not self.clusters:
            return (
                Target(
                    None,
                    self.cluster.server,
                    self.cluster.name,
                    self.aws.region,
                    self.cluster.context,
                    self.aws.oidc_provider_arn,
                ),
            )
        return tuple(
            Target(c.name, c.server, c.eks_cluster_name, c.region, c.context or c.name, c.oidc_provider_arn)
            for c in self.clusters
        )

    def namespace_targets(self, namespace: Namespace) -> tuple[Target, ...]:
        """The clusters a namespace exists on (unknown names left out: the checks report them)."""
        targets = self.targets()
        if not namespace.clusters:
            return targets
        return tuple(t for t in targets if t.name in namespace.clusters)

    def app_targets(self, team: Team, app: App) -> tuple[Target, ...]:
        """The clusters an app is deployed to: its own list, within its namespace's clusters."""
        namespace = next((ns for ns in team.namespaces if ns.name == team.app_namespace(app)), None)
        hosts = self.namespace_targets(namespace) if namespace is not None else self.targets()
        if not app.clusters:
            return hosts
        return tuple(t for t in hosts if t.name in app.clusters)

    def sync_for(self, app: App) -> Sync:
        """The app's sync settings: its overrides over defaults.sync; options merged by name
        (the app's value of an option wins), retry replaced whole."""
        base = self.defaults.sync
        if app.sync is None:
            return base
        fields = ("automated", "prune", "self_heal", "retry")
        update: dict[str, Any] = {f: getattr(app.sync, f) for f in fields if getattr(app.sync, f) is not None}
        update["options"] = argocd_sync.merge_options(base.options, app.sync.options or ())
        return base.model_copy(update=update)


@dataclass(frozen=True)
class Target:
    """A cluster objects are placed on: `name` None for the one cluster of `cluster` alone
    (derived names then carry no cluster, as before clusters could be declared)."""

    name: str | None
    server: str
    eks_cluster_name: str
    region: str  # the EKS cluster's region (aws.region for the one cluster of `cluster`)
    context: str | None = None  # the kubeconfig context that reaches it (None: the current one)
    oidc_provider_arn: str | None = None  # its IAM OIDC provider (IRSA)

    @property
    def oidc_issuer(self) -> str:
        """The issuer host/path as it appears in IRSA condition keys."""
        assert self.oidc_provider_arn is not None
        return self.oidc_provider_arn.split(":oidc-provider/", 1)[1]


T = TypeVar("T")


def team_names(catalog: Catalog) -> list[str]:
    """Every team's name, also of a team that failed validation (its own problem is reported;
    a reference to it is not another), each once."""
    names = [team.name for _, team in present(catalog.teams)]
    return list(dict.fromkeys([*names, *sorted(catalog._unchecked_team_names)]))


def with_unchecked_teams(catalog: Catalog, names: Iterable[str]) -> Catalog:
    """The catalog, knowing the names of teams it holds as None (see `team_names`)."""
    copy = catalog.model_copy()
    copy._unchecked_team_names = catalog._unchecked_team_names | frozenset(names)
    return copy


def present(items: tuple[T | None, ...]) -> Iterator[tuple[int, T]]:
    """(index, item) for each item, skipping the malformed ones a partial validation left out.

    Consistency checks and guardrails iterate teams and apps through this, so that they also
    run on the well-formed parts of a catalog whose other parts failed validation.
    """
    for index, item in enumerate(items):
        if item is not None:
            yield index, item
