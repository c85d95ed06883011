"""The catalog contract (version 1): frozen pydantic models, defaults applied, typos refused.

Shape and single-field rules live here as validators; rules that compare fields with each other
(allow-lists, uniqueness, derived-name collisions) live in `fleet.catalog.checks` and `fleet.guardrails`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from fleet.catalog.naming import Names

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[A-Za-z]{2,}$")
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
EKS_CLUSTER = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$")
ACCOUNT = re.compile(r"^[0-9]{12}$")
PARTITION = r"aws(-cn|-us-gov)?"
OIDC_PROVIDER_ARN = re.compile(rf"^arn:{PARTITION}:iam::[0-9]{{12}}:oidc-provider/[A-Za-z0-9./_-]+$")
SAML_PROVIDER_ARN = re.compile(rf"^arn:{PARTITION}:iam::[0-9]{{12}}:saml-provider/[A-Za-z0-9._-]+$")
POLICY_ARN = re.compile(rf"^arn:{PARTITION}:iam::([0-9]{{12}}|aws):policy/([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]+$")
REPO = re.compile(r"^(https://[^\s/]+/\S*|ssh://\S+@[^\s/]+/\S*|git@[^\s:]+:\S*|oci://[^\s/]+/\S*)$")
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


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    if seen:
        raise ValueError(f"{seen[0]!r} is listed twice")
    return values


DnsLabel = Annotated[str, AfterValidator(_dns_label)]
Email = Annotated[str, _matching(EMAIL, "an e-mail address")]
Quantity = Annotated[str, BeforeValidator(_quantity), _matching(QUANTITY, "a Kubernetes quantity (e.g. 500m, 4, 8Gi)")]
PolicyArn = Annotated[str, _matching(POLICY_ARN, "an IAM policy ARN (arn:aws:iam::<account>|aws:policy/<name>)")]
CodeOwners = Annotated[
    tuple[Annotated[str, _matching(CODE_OWNER, "a code host handle (@user or @organization/team)")], ...],
    AfterValidator(_unique),
]


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Cluster(Strict):
    name: Annotated[str, _matching(EKS_CLUSTER, "an EKS cluster name")]
    server: Annotated[str, _matching(re.compile(r"^https://\S+$"), "an https:// URL")] = (
        "https://kubernetes.default.svc"
    )
    oidc_groups_prefix: Annotated[str, AfterValidator(_groups_prefix)] = ""
    # The kubeconfig context `fleet status` reads this environment through (None: the current
    # one). Only a name: how a machine reaches the cluster stays in its own kubeconfig.
    context: (
        Annotated[str, Field(min_length=1, max_length=253), _matching(re.compile(r"^\S+$"), "a context name")] | None
    ) = None
    # Platform namespaces besides the built-in ones (kube-*, default, Argo CD's, add-ons):
    # never a team's, and the only ones a NetworkPolicy may trust by name.
    reserved_namespaces: tuple[DnsLabel, ...] = ()


class SharedResource(Strict):
    """A resource the platform lets named teams use in their apps' IAM statements."""

    arn: str  # an exact ARN or a name prefix ending in '*' (fleet.guardrails.ownership)
    teams: Annotated[tuple[DnsLabel, ...], Field(min_length=1), AfterValidator(_unique)]


class Aws(Strict):
    account_id: Annotated[str, BeforeValidator(_account_id), _matching(ACCOUNT, "an AWS account id of 12 digits")]
    region: Annotated[str, _matching(REGION, "an AWS region (e.g. eu-west-1)")]
    workload_identity: Literal["pod-identity", "irsa"] = "pod-identity"
    oidc_provider_arn: (
        Annotated[
            str,
            _matching(OIDC_PROVIDER_ARN, "an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer>)"),
        ]
        | None
    ) = None
    permissions_boundary_arn: PolicyArn | None = None
    human_permissions_boundary_arn: PolicyArn | None = None  # for the SAML persona roles
    saml_provider_arn: (
        Annotated[
            str, _matching(SAML_PROVIDER_ARN, "an IAM SAML provider ARN (arn:aws:iam::<account>:saml-provider/<name>)")
        ]
        | None
    ) = None
    # The only managed policies an app or persona may attach (an allow-list, exact ARNs).
    allowed_managed_policy_arns: tuple[PolicyArn, ...] = ()
    shared_resources: tuple[SharedResource, ...] = ()

    @property
    def oidc_issuer(self) -> str:
        """The issuer host/path as it appears in IRSA condition keys."""
        assert self.oidc_provider_arn is not None
        return self.oidc_provider_arn.split(":oidc-provider/", 1)[1]


class RepoCredentials(Strict):
    """Where the platform keeps the teams' GitHub App keys (External Secrets ClusterSecretStore)."""

    secret_store: DnsLabel
    github_api_url: str | None = None  # GitHub Enterprise: https://ghe.example.com/api/v3


ARGOCD_GROUP = re.compile(r"^[^\s,\"'#]+$")  # what a policy.csv field can hold
OIDC_SCOPE = re.compile(r"^[A-Za-z0-9_:./-]+$")
BuiltinRole = Literal["role:admin", "role:readonly"]


class ArgoCD(Strict):
    namespace: DnsLabel = "argocd"
    allowed_repos: Annotated[tuple[str, ...], Field(min_length=1)]
    # argocd-rbac-cm keys the fleet owns (a server-side apply patch; other keys stay as installed):
    # `scopes`: the OIDC claims Argo CD reads group names from; the Okta groups must arrive in one.
    sso_scopes: Annotated[
        tuple[Annotated[str, _matching(OIDC_SCOPE, "an OIDC claim name")], ...], Field(min_length=1)
    ] = ("groups",)
    # `policy.csv`: platform groups (never team groups) given one of Argo CD's built-in roles.
    platform_roles: dict[
        Annotated[str, _matching(ARGOCD_GROUP, "a group name (no spaces, commas, quotes or '#')")], BuiltinRole
    ] = {}
    # `policy.default`: the role of every logged-in user. Only empty passes (argocd-rbac-default-deny).
    policy_default: str = ""
    repo_credentials: RepoCredentials | None = None


class GitHubApp(Strict):
    """The team's GitHub App: Argo CD reads the team's repositories with its installation tokens."""

    app_id: Annotated[int, Field(gt=0)]
    installation_id: Annotated[int, Field(gt=0)]


class Persona(Strict):
    kubernetes: PersonaLevel
    argocd: tuple[ArgoAction, ...] = ()
    aws_managed_policy_arns: tuple[PolicyArn, ...] = ()


DEFAULT_PERSONAS: dict[str, Persona] = {
    "admin": Persona(kubernetes="admin", argocd=("get", "sync", "update", "delete", "action")),
    "developer": Persona(kubernetes="edit", argocd=("get", "sync")),
    "viewer": Persona(kubernetes="view", argocd=("get",)),
}


class Quota(Strict):
    cpu: Quantity
    memory: Quantity
    pods: Annotated[int, Field(gt=0, le=10000)]


class Sync(Strict):
    automated: bool = True
    prune: bool = True
    self_heal: bool = True


class SyncOverride(Strict):
    automated: bool | None = None
    prune: bool | None = None
    self_heal: bool | None = None


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError as err:
        raise ValueError(f"{value!r} is not a CIDR block ({err})") from None


class Network(Strict):
    """What the default-deny NetworkPolicy opens besides the team's own namespaces and DNS."""

    ingress_from_namespaces: tuple[DnsLabel, ...] = ()  # e.g. the ingress controller's namespace
    egress_https_cidrs: tuple[Annotated[str, AfterValidator(_cidr)], ...] = ()  # HTTPS (443) only


class Defaults(Strict):
    pod_security: PodSecurity = "restricted"
    network: Network = Network()
    quota: Quota = Quota(cpu="4", memory="8Gi", pods=50)
    sync: Sync = Sync()


class Namespace(Strict):
    name: DnsLabel
    pod_security: PodSecurity | None = None
    quota: Quota | None = None
    network: Network | None = None  # replaces defaults.network for this namespace


class Helm(Strict):
    """Helm parameters of a source (Argo CD's `source.helm`)."""

    release_name: DnsLabel | None = None  # default: the Application name
    value_files: tuple[Annotated[str, Field(min_length=1)], ...] = ()  # in the repo, or `$<ref>/…`
    values: dict[str, Any] = {}  # inline values, rendered as `valuesObject`

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
    name_prefix: (
        Annotated[str, _matching(NAME_PREFIX, "a Kubernetes name prefix (lower-case letters, digits, '-')")] | None
    ) = None


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
    path: str | None = None
    chart: (
        Annotated[str, _matching(HELM_CHART, "a Helm chart name (lower-case letters, digits, '-', '_', '.')")] | None
    ) = None
    revision: Annotated[str, Field(min_length=1)] = "HEAD"  # a Git revision, or the chart version
    helm: Helm | None = None
    kustomize: Kustomize | None = None
    ref: Annotated[str, _matching(SOURCE_REF, "a ref name (letters, digits, '-', '_')")] | None = None

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
    resources: Annotated[tuple[str, ...], Field(min_length=1)]


class AppAws(Strict):
    statements: tuple[Statement, ...] = ()
    managed_policy_arns: tuple[PolicyArn, ...] = ()


class App(Strict):
    name: DnsLabel
    namespace: DnsLabel | None = None
    source: Source | None = None
    sources: tuple[Source, ...] = ()  # a multi-source Application instead of `source`
    aws: AppAws | None = None
    sync: SyncOverride | None = None
    lifecycle: Lifecycle = "active"

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


class TeamAws(Strict):
    # ARN patterns the team owns: its apps' statements may name only these (and what the
    # platform shares with it). Exact ARNs or name prefixes ending in '*'; never another team's.
    owned_resources: tuple[str, ...] = ()


class Team(Strict):
    name: DnsLabel
    description: str = ""
    owners: Annotated[tuple[Email, ...], Field(min_length=1), AfterValidator(_unique)]
    members: dict[DnsLabel, Annotated[str, Field(min_length=1, max_length=1024)]] = {}
    namespaces: tuple[Namespace, ...] = ()
    lifecycle: Lifecycle = "active"
    aws: TeamAws | None = None
    apps: tuple[App, ...] = ()
    github_app: GitHubApp | None = None
    # Who reviews the team's file (.github/CODEOWNERS, generated by `fleet codeowners`).
    code_owners: CodeOwners = ()

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


class Guardrails(Strict):
    # A catalog may raise the floor, never lower it below baseline: the policy pack's default.
    pod_security_floor: Literal["baseline", "restricted"] = "baseline"


class Catalog(Strict):
    environment: DnsLabel
    organization: DnsLabel
    deletion_protection: bool = False
    cluster: Cluster
    aws: Aws
    argocd: ArgoCD
    personas: dict[DnsLabel, Persona] = Field(default_factory=lambda: dict(DEFAULT_PERSONAS))
    defaults: Defaults = Defaults()
    guardrails: Guardrails = Guardrails()
    # Who reviews the platform's files and the code (.github/CODEOWNERS, `fleet codeowners`).
    code_owners: CodeOwners = ()
    teams: tuple[Team, ...]

    def human_role_personas(self) -> list[str]:
        """Personas that get a SAML role per team: those with AWS policies, when SAML is set up.
        A role without permissions would only clutter the Okta AWS app's role picker."""
        if not self.aws.saml_provider_arn:
            return []
        return sorted(name for name, persona in self.personas.items() if persona.aws_managed_policy_arns)

    def names(self) -> Names:
        return Names(self.organization, self.environment, self.cluster.oidc_groups_prefix)

    def sync_for(self, app: App) -> Sync:
        override = app.sync.model_dump(exclude_none=True) if app.sync else {}
        return self.defaults.sync.model_copy(update=override)


T = TypeVar("T")


def present(items: tuple[T | None, ...]) -> Iterator[tuple[int, T]]:
    """(index, item) for each item, skipping the malformed ones a partial validation left out.

    Consistency checks and guardrails iterate teams and apps through this, so that they also
    run on the well-formed parts of a catalog whose other parts failed validation.
    """
    for index, item in enumerate(items):
        if item is not None:
            yield index, item
