"""Catalog → desired state. Pure: no Pulumi, no I/O; the same catalog renders the same bytes."""

from __future__ import annotations

import json
from typing import Any

from fleet.apis.argocd import (
    ARGOCD_KINDS,  # what the reader lists is what it may read
    POLICY_CSV,
    POLICY_DEFAULT,
    SCOPES,
    scopes_value,
)
from fleet.apis.argocd_sync import CREATE_NAMESPACE_OFF, RECIPIENT_SEPARATOR, subscribe_key
from fleet.apis.kubernetes import ADMISSION, APP_PROJECT, APPLICATION, NAMESPACE_NAME_LABEL, RBAC, READ_KINDS
from fleet.catalog import personas
from fleet.catalog.models import (
    App,
    Catalog,
    IgnoreDifference,
    Namespace,
    Source,
    Sync,
    SyncWindow,
    Target,
    TargetCluster,
    Team,
)
from fleet.catalog.naming import (
    ACCESS_LEVEL_LABEL,
    APP_LABEL,
    ARGOCD_CLUSTER_SECRET_TYPE,
    ARGOCD_RBAC_CONFIGMAP,
    ARGOCD_SECRET_TYPE_LABEL,
    CLUSTER_LABEL,
    DESCRIPTION_ANNOTATION,
    ENVIRONMENT_LABEL,
    IAM_ROLE_PATH,
    IRSA_ANNOTATION,
    K8S_MANAGED_BY,
    K8S_NAME,
    K8S_PART_OF,
    MANAGED_BY,
    OWNERS_ANNOTATION,
    PATCH_FIELD_MANAGER_ANNOTATION,
    PATCH_FORCE_ANNOTATION,
    PERSONA_LABEL,
    TAG_APP,
    TAG_ENVIRONMENT,
    TAG_MANAGED_BY,
    TAG_PERSONA,
    TAG_TEAM,
    TEAM_LABEL,
    Names,
)
from fleet.catalog.platform import PLATFORM_OWNED_KINDS
from fleet.render import boundaries, iam_policies, repo_creds
from fleet.render.state import AppState, FleetState, HumanRole, IamRole, Manifest, OktaGroup, PodIdentity, TeamState

POD_SECURITY_VERSION = "v1.31"
POD_IDENTITY_AGENT_CIDR = "169.254.170.23/32"
# Argo CD deletes an Application's resources before the Application only with this finalizer.
CASCADE_FINALIZER = "resources-finalizer.argocd.argoproj.io"
# Container defaults so that pods without requests still fit the ResourceQuota.
LIMIT_DEFAULTS = {"default": {"cpu": "500m", "memory": "512Mi"}, "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}


class _Ctx:
    """What every part of a render needs to know about the catalog it renders."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.names: Names = catalog.names()

    def labels(self, team: str, app: str | None = None) -> dict[str, str]:
        labels = {
            K8S_MANAGED_BY: MANAGED_BY,
            K8S_PART_OF: self.catalog.organization,
            ENVIRONMENT_LABEL: self.catalog.environment,
            TEAM_LABEL: team,
        }
        if app is not None:
            labels[APP_LABEL] = app
        return labels

    def protect(self, decommissioning: bool) -> bool:
        return self.catalog.deletion_protection and not decommissioning

    def tags(self, team: str, app: str | None = None, persona: str | None = None) -> dict[str, str]:
        tags = {TAG_ENVIRONMENT: self.catalog.environment, TAG_MANAGED_BY: MANAGED_BY, TAG_TEAM: team}
        if app is not None:
            tags[TAG_APP] = app
        if persona is not None:
            tags[TAG_PERSONA] = persona
        return tags


def _meta(name: str, namespace: str | None, labels: dict[str, str], **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": labels, **extra}
    if namespace is not None:
        meta["namespace"] = namespace
    return meta


# --- identity ------------------------------------------------------------------------------
def okta_group_description(catalog: Catalog, team: Team, persona: str) -> str:
    return f"{team.description or team.name}: {persona} ({catalog.environment}, managed by {MANAGED_BY})"


def _groups(ctx: _Ctx, team: Team, decommissioning: bool) -> tuple[OktaGroup, ...]:
    return tuple(
        OktaGroup(
            name=ctx.names.okta_group(team.name, persona),
            description=okta_group_description(ctx.catalog, team, persona),
            team=team.name,
            persona=persona,
            rule=team.members.get(persona),
            rule_name=ctx.names.okta_rule(team.name, persona),
            protect=ctx.protect(decommissioning),
        )
        for persona in sorted(ctx.catalog.personas)
    )


def _human_roles(ctx: _Ctx, team: Team, decommissioning: bool) -> tuple[HumanRole, ...]:
    aws = ctx.catalog.aws
    if not aws.saml_provider_arn:
        return ()
    roles = []
    for persona_name in ctx.catalog.human_role_personas():
        persona = ctx.catalog.personas[persona_name]
        name = ctx.names.human_role(team.name, persona_name)
        role = IamRole(
            name=name,
            path=IAM_ROLE_PATH,
            arn=Names.role_arn(aws.account_id, aws.region, name),
            trust_policy=iam_policies.saml_trust(aws.saml_provider_arn),
            inline_policy=None,
            managed_policy_arns=tuple(sorted(set(persona.aws_managed_policy_arns))),
            # People get their own boundary, if any: the workload boundary is for pods.
            permissions_boundary_arn=aws.human_permissions_boundary_arn,
            tags=ctx.tags(team.name, persona=persona_name),
            protect=ctx.protect(decommissioning),
        )
        roles.append(
            HumanRole(okta_group=ctx.names.okta_group(team.name, persona_name), persona=persona_name, role=role)
        )
    return tuple(roles)


# --- namespaces and RBAC ---------------------------------------------------------------------
def _namespace(ctx: _Ctx, team: Team, ns: Namespace, decommissioning: bool) -> Manifest:
    level = ns.pod_security or ctx.catalog.defaults.pod_security
    labels = ctx.labels(team.name)
    labels[K8S_NAME] = ns.name
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = level
        labels[f"pod-security.kubernetes.io/{mode}-version"] = POD_SECURITY_VERSION
    annotations = {OWNERS_ANNOTATION: ",".join(team.owners)}
    if team.description:
        annotations[DESCRIPTION_ANNOTATION] = team.description
    obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(ns.name, None, labels, annotations=annotations)}
    return Manifest(obj, protect=ctx.protect(decommissioning))


def _namespaces_peer(names: list[str]) -> dict[str, Any]:
    selector = {"matchExpressions": [{"key": NAMESPACE_NAME_LABEL, "operator": "In", "values": sorted(names)}]}
    return {"namespaceSelector": selector}


def _network_policy(ctx: _Ctx, team: Team, ns: Namespace) -> dict[str, Any]:
    """Deny by default; allow the team's own namespaces, DNS, the workload identity endpoint,
    and what the catalog opens: ingress from named namespaces, HTTPS egress to named CIDRs."""
    network = ns.network or ctx.catalog.defaults.network
    siblings = [other.name for other in team.namespaces if other.name != ns.name]
    # The team's other namespaces by the labels only the platform sets, never by name: only
    # reserved namespaces are trusted by name (a name is what a later pull request could claim).
    team_peer = {
        "namespaceSelector": {"matchLabels": {**namespace_selector(ctx)["matchLabels"], TEAM_LABEL: team.name}}
    }
    ingress_peers: list[dict[str, Any]] = [{"podSelector": {}}]
    egress: list[dict[str, Any]] = [{"to": [{"podSelector": {}}]}]
    if siblings:
        ingress_peers.append(team_peer)
        egress.append({"to": [team_peer]})
    if network.ingress_from_namespaces:
        ingress_peers.append(_namespaces_peer(list(network.ingress_from_namespaces)))
    egress.append(
        {
            "to": [
                {
                    "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                }
            ],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
        }
    )
    if ctx.catalog.aws.workload_identity == "pod-identity":
        # The EKS Pod Identity agent: pods fetch their role's credentials from it.
        egress.append(
            {"to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT_CIDR}}], "ports": [{"port": 80, "protocol": "TCP"}]}
        )
    if network.egress_https_cidrs:
        egress.append(
            {
                "to": [{"ipBlock": {"cidr": cidr}} for cidr in network.egress_https_cidrs],
                "ports": [{"port": 443, "protocol": "TCP"}],
            }
        )
    return {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [{"from": ingress_peers}],
        "egress": egress,
    }


def _namespaced(ctx: _Ctx, team: Team, ns: Namespace) -> list[Manifest]:
    quota = ns.quota or ctx.catalog.defaults.quota
    labels = ctx.labels(team.name)
    out = [
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": _meta(Names.QUOTA, ns.name, labels),
            "spec": {
                "hard": {
                    "limits.cpu": quota.cpu,
                    "limits.memory": quota.memory,
                    "pods": str(quota.pods),
                    "requests.cpu": quota.cpu,
                    "requests.memory": quota.memory,
                }
            },
        },
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": _meta(Names.LIMITS, ns.name, labels),
            "spec": {"limits": [{"type": "Container", **LIMIT_DEFAULTS}]},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _meta(Names.NETWORK_POLICY, ns.name, labels),
            "spec": _network_policy(ctx, team, ns),
        },
    ]
    for persona_name, persona in sorted(ctx.catalog.personas.items()):
        persona_labels = {**labels, PERSONA_LABEL: persona_name}
        out.append(
            {
                "apiVersion": f"{RBAC}/v1",
                "kind": "Role",
                "metadata": _meta(
                    Names.persona_role(persona_name),
                    ns.name,
                    {**persona_labels, ACCESS_LEVEL_LABEL: persona.kubernetes},
                ),
                "rules": personas.role_rules(persona.kubernetes),
            }
        )
        out.append(
            {
                "apiVersion": f"{RBAC}/v1",
                "kind": "RoleBinding",
                "metadata": _meta(Names.persona_binding(persona_name), ns.name, persona_labels),
                "roleRef": {"apiGroup": RBAC, "kind": "Role", "name": Names.persona_role(persona_name)},
                "subjects": [
                    {"apiGroup": RBAC, "kind": "Group", "name": ctx.names.kubernetes_group(team.name, persona_name)}
                ],
            }
        )
    return [Manifest(obj) for obj in out]


# --- admission: what RBAC cannot express ------------------------------------------------------
def namespace_selector(ctx: _Ctx) -> dict[str, Any]:
    """The fleet's namespaces, by labels that every one of them carries and that no team can
    change (teams cannot write Namespaces; Argo CD projects cannot deploy cluster objects)."""
    return {"matchLabels": {K8S_PART_OF: ctx.catalog.organization, ENVIRONMENT_LABEL: ctx.catalog.environment}}


def tenancy(catalog: Catalog) -> boundaries.Tenancy:
    """The catalog's ownership facts, as the admission policy checks them."""
    cluster = catalog.cluster
    return boundaries.Tenancy(
        namespace_grants=tuple(sorted(cluster.namespace_grants.items())),
        ingress_domain=cluster.ingress_domain,
        host_grants=tuple(sorted(cluster.host_grants.items())),
        external_names=tuple(sorted(cluster.external_names)),
    )


def _admission(ctx: _Ctx) -> tuple[Manifest, ...]:
    """A ValidatingAdmissionPolicy bound to the fleet's namespaces: refuses Services with
    externalIPs or in-cluster ExternalNames, and Ingress snippet annotations, whoever writes
    them (a persona, Argo CD, a pod), because RBAC can allow or deny a kind but not a field;
    and fleet Namespaces that do not carry their team's ownership or adopt an existing one."""
    name = ctx.names.admission_policy()
    labels = {K8S_MANAGED_BY: MANAGED_BY, **namespace_selector(ctx)["matchLabels"]}
    api = f"{ADMISSION}/v1"
    policy = {
        "apiVersion": api,
        "kind": "ValidatingAdmissionPolicy",
        "metadata": _meta(name, None, dict(labels)),
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": [group],
                        "apiVersions": ["*"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": [resource],
                    }
                    for group, resource in boundaries.MATCHED_RESOURCES
                ]
            },
            "validations": [
                {"expression": expression, "message": message, "reason": "Forbidden"}
                for expression, message in boundaries.cel_validations(tenancy(ctx.catalog))
            ],
        },
    }
    binding = {
        "apiVersion": api,
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": _meta(name, None, dict(labels)),
        "spec": {
            "policyName": name,
            "validationActions": ["Deny"],
            "matchResources": {"namespaceSelector": namespace_selector(ctx)},
        },
    }
    return (Manifest(policy), Manifest(binding))


# --- Argo CD ----------------------------------------------------------------------------------
def _project(ctx: _Ctx, team: Team) -> Manifest:
    catalog = ctx.catalog
    project = Names.app_project(team.name)
    roles = []
    for persona_name, persona in sorted(catalog.personas.items()):
        subject = Names.argocd_subject(team.name, persona_name)
        roles.append(
            {
                "name": Names.argocd_role(persona_name),
                "description": f"{persona_name} of {team.name} (Okta group {ctx.names.okta_group(team.name, persona_name)})",
                "groups": [ctx.names.okta_group(team.name, persona_name)],
                "policies": personas.argocd_policies(subject, project, persona.argocd),
            }
        )
    spec = {
        "description": team.description or f"Team {team.name}",
        # Git repos, Helm repos and OCI registries alike: exactly those the apps name, no wildcard.
        "sourceRepos": sorted({source.repo for app in team.apps for _, source in app.all_sources()}),
        # Exactly the team's namespaces on exactly the clusters each exists on.
        "destinations": [
            {"server": target.server, "namespace": ns.name}
            for ns in team.namespaces
            for target in catalog.namespace_targets(ns)
        ],
        "clusterResourceWhitelist": [],
        "namespaceResourceBlacklist": [{"group": group, "kind": kind} for group, kind in PLATFORM_OWNED_KINDS],
        # Warn about what nobody deploys, except the ServiceAccounts the platform creates.
        "orphanedResources": {"warn": True, "ignore": [{"group": "", "kind": "ServiceAccount"}]},
        "roles": roles,
    }
    if team.sync_windows:
        spec["syncWindows"] = [_sync_window(catalog, team, window) for window in team.sync_windows]
    obj = {
        "apiVersion": APP_PROJECT.api_version,
        "kind": APP_PROJECT.name,
        "metadata": _meta(project, catalog.argocd.namespace, ctx.labels(team.name)),
        "spec": spec,
    }
    return Manifest(obj)


def application_names(catalog: Catalog, team: Team, app_name: str) -> list[str]:
    """The Applications of one of the team's apps: one per cluster it is placed on."""
    app = next((a for a in team.apps if a.name == app_name), None)
    if app is None:
        return [Names.application(team.name, app_name)]
    return [Names.application(team.name, app.name, target.name) for target in catalog.app_targets(team, app)]


def _sync_window(catalog: Catalog, team: Team, window: SyncWindow) -> dict[str, Any]:
    """A window over exactly the team's own Applications, by name (no patterns): the apps it
    lists, or all of the team's apps. Argo CD applies a project's windows to its apps only."""
    apps = window.applications or tuple(app.name for app in team.apps)
    out: dict[str, Any] = {
        "kind": window.kind,
        "schedule": window.schedule,
        "duration": window.duration,
        "applications": [name for app in apps for name in application_names(catalog, team, app)],
        "manualSync": window.manual_sync,
    }
    if window.timezone is not None:
        out["timeZone"] = window.timezone
    if window.description:
        out["description"] = window.description
    return out


def _source(source: Source) -> dict[str, Any]:
    """One entry of an Application's `source`/`sources`, in Argo CD's field names."""
    out: dict[str, Any] = {"repoURL": source.repo}
    if source.chart is not None:
        out["chart"] = source.chart
    if source.path is not None:
        out["path"] = source.path
    out["targetRevision"] = source.revision  # a chart's version for chart sources
    if source.ref is not None:
        out["ref"] = source.ref
    if source.helm is not None:
        helm: dict[str, Any] = {}
        if source.helm.release_name is not None:
            helm["releaseName"] = source.helm.release_name
        if source.helm.value_files:
            helm["valueFiles"] = list(source.helm.value_files)
        if source.helm.values:
            helm["valuesObject"] = source.helm.values
        out["helm"] = helm
    if source.kustomize is not None:
        kustomize: dict[str, Any] = {}
        if source.kustomize.images:
            kustomize["images"] = list(source.kustomize.images)
        if source.kustomize.name_prefix is not None:
            kustomize["namePrefix"] = source.kustomize.name_prefix
        out["kustomize"] = kustomize
    return out


def _sync_policy(sync: Sync, decommissioning: bool) -> dict[str, Any]:
    """Argo CD's `syncPolicy`: the fleet's CreateNamespace=false first (namespaces are the
    platform's), then the catalog's options in the order written; retries as declared."""
    options = [CREATE_NAMESPACE_OFF, *(o for o in sync.options if o != CREATE_NAMESPACE_OFF)]
    policy: dict[str, Any] = {"syncOptions": options}
    if sync.automated and not decommissioning:
        policy["automated"] = {"prune": sync.prune, "selfHeal": sync.self_heal}
    if sync.retry is not None:
        retry: dict[str, Any] = {"limit": sync.retry.limit}
        backoff = sync.retry.backoff
        if backoff is not None:
            fields = {"duration": backoff.duration, "factor": backoff.factor, "maxDuration": backoff.max_duration}
            retry["backoff"] = {key: value for key, value in fields.items() if value is not None}
        policy["retry"] = retry
    return policy


def _ignore_difference(entry: IgnoreDifference) -> dict[str, Any]:
    out: dict[str, Any] = {"group": entry.group, "kind": entry.kind} if entry.group else {"kind": entry.kind}
    for key, value in (("name", entry.name), ("namespace", entry.namespace)):
        if value is not None:
            out[key] = value
    lists = (
        ("jsonPointers", entry.json_pointers),
        ("jqPathExpressions", entry.jq_path_expressions),
        ("managedFieldsManagers", entry.managed_fields_managers),
    )
    out.update((key, list(values)) for key, values in lists if values)
    return out


def notification_annotations(app: App) -> dict[str, str]:
    """Argo CD's subscription annotations: one per trigger and service, recipients joined by ';'."""
    recipients: dict[str, list[str]] = {}
    for n in app.notifications:
        recipients.setdefault(subscribe_key(n.trigger, n.service), []).append(n.recipient)
    return {key: RECIPIENT_SEPARATOR.join(r for r in values if r) for key, values in sorted(recipients.items())}


def _application(ctx: _Ctx, team: Team, app: App, target: Target, decommissioning: bool) -> Manifest:
    catalog = ctx.catalog
    policy = _sync_policy(catalog.sync_for(app), decommissioning)
    extra: dict[str, Any] = {}
    if app.notifications:
        extra["annotations"] = notification_annotations(app)
    if decommissioning:
        # Only an app on its way out carries the cascade finalizer: removing it then deletes its
        # workloads. Removing an active app by mistake leaves the workloads running, orphaned.
        extra["finalizers"] = [CASCADE_FINALIZER]
    settings: dict[str, Any] = {}
    if app.ignore_differences:
        settings["ignoreDifferences"] = [_ignore_difference(entry) for entry in app.ignore_differences]
    if app.revision_history_limit is not None:
        settings["revisionHistoryLimit"] = app.revision_history_limit
    if app.info:
        settings["info"] = [{"name": i.name, "value": i.value} for i in app.info]
    labels = ctx.labels(team.name, app.name)
    if target.name is not None:
        labels[CLUSTER_LABEL] = target.name
    obj = {
        "apiVersion": APPLICATION.api_version,
        "kind": APPLICATION.name,
        "metadata": _meta(
            Names.application(team.name, app.name, target.name), catalog.argocd.namespace, labels, **extra
        ),
        "spec": {
            "project": Names.app_project(team.name),
            **(
                {"source": _source(app.source)}
                if app.source is not None
                else {"sources": [_source(source) for source in app.sources]}
            ),
            "destination": {"server": target.server, "namespace": team.app_namespace(app)},
            "syncPolicy": policy,
            **settings,
        },
    }
    return Manifest(obj)


# --- the status reader ----------------------------------------------------------------------
def _status_reader(ctx: _Ctx) -> tuple[Manifest, ...]:
    """Read-only access for `fleet status`: get/list on exactly the kinds it lists, never Secrets.

    The built-in kinds are granted cluster-wide (a ClusterRoleBinding) so that the reader needs
    one list call per kind whatever the size of the fleet, and a deleted namespace or binding
    cannot blind it; Applications and AppProjects only in the Argo CD namespace (a Role)."""
    name, cluster_name = Names.STATUS_READER, ctx.names.status_reader_cluster_role()
    labels = {
        K8S_MANAGED_BY: MANAGED_BY,
        K8S_PART_OF: ctx.catalog.organization,
        ENVIRONMENT_LABEL: ctx.catalog.environment,
        ACCESS_LEVEL_LABEL: "view",  # so that k8s-view-no-secrets judges it as a view role
    }
    by_group: dict[str, list[str]] = {}
    for kind in READ_KINDS:
        by_group.setdefault(kind.group, []).append(kind.plural)
    verbs = ["get", "list"]
    subjects = [{"apiGroup": RBAC, "kind": "Group", "name": name}]
    argocd = ctx.catalog.argocd.namespace
    objects = [
        {
            "apiVersion": f"{RBAC}/v1",
            "kind": "ClusterRole",
            "metadata": _meta(cluster_name, None, labels),
            "rules": [
                {"apiGroups": [group], "resources": sorted(resources), "verbs": verbs}
                for group, resources in sorted(by_group.items())
            ],
        },
        {
            "apiVersion": f"{RBAC}/v1",
            "kind": "ClusterRoleBinding",
            "metadata": _meta(cluster_name, None, labels),
            "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": cluster_name},
            "subjects": subjects,
        },
        {
            "apiVersion": f"{RBAC}/v1",
            "kind": "Role",
            "metadata": _meta(name, argocd, labels),
            "rules": [
                {
                    "apiGroups": sorted({kind.group for kind in ARGOCD_KINDS}),
                    "resources": sorted(kind.plural for kind in ARGOCD_KINDS),
                    "verbs": verbs,
                }
            ],
        },
        {
            "apiVersion": f"{RBAC}/v1",
            "kind": "RoleBinding",
            "metadata": _meta(name, argocd, labels),
            "roleRef": {"apiGroup": RBAC, "kind": "Role", "name": name},
            "subjects": subjects,
        },
    ]
    return tuple(Manifest(obj) for obj in objects)


# --- apps -------------------------------------------------------------------------------------
def _app(ctx: _Ctx, team: Team, app: App) -> AppState:
    aws = ctx.catalog.aws
    decommissioning = team.is_decommissioning(app)
    namespace = team.app_namespace(app)
    sa_name = Names.service_account(app.name)
    targets = ctx.catalog.app_targets(team, app)
    role: IamRole | None = None
    annotations: dict[str, str] = {}
    if app.aws is not None:
        name = ctx.names.workload_role(team.name, app.name)
        if aws.workload_identity == "irsa":
            # The OIDC provider of each EKS cluster the app runs on (the checks require them).
            providers = [(t.oidc_provider_arn, t.oidc_issuer) for t in targets if t.oidc_provider_arn is not None]
            trust = iam_policies.irsa_trust(providers, namespace, sa_name)
        else:
            # The EKS clusters the app runs on, each by ARN (its region is part of it).
            arns = [Names.cluster_arn(aws.account_id, t.region, t.eks_cluster_name) for t in targets]
            trust = iam_policies.pod_identity_trust(aws.account_id, arns, namespace, sa_name)
        role = IamRole(
            name=name,
            path=IAM_ROLE_PATH,
            arn=Names.role_arn(aws.account_id, aws.region, name),
            trust_policy=trust,
            inline_policy=iam_policies.inline_policy(app.aws.statements),
            managed_policy_arns=tuple(sorted(set(app.aws.managed_policy_arns))),
            permissions_boundary_arn=aws.permissions_boundary_arn,
            tags=ctx.tags(team.name, app.name),
            protect=ctx.protect(decommissioning),
        )
        if aws.workload_identity == "irsa":
            annotations[IRSA_ANNOTATION] = role.arn
    irsa = role is not None and aws.workload_identity == "irsa"
    extra = {"annotations": annotations} if annotations else {}
    service_account = Manifest(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta(sa_name, namespace, ctx.labels(team.name, app.name), **extra),
        }
    )
    pod_identities = (
        tuple(
            PodIdentity(t.eks_cluster_name, namespace, sa_name, t.name, t.region if t.region != aws.region else None)
            for t in targets
        )
        if role is not None and aws.workload_identity == "pod-identity"
        else ()
    )
    return AppState(
        team=team.name,
        name=app.name,
        namespace=namespace,
        decommissioning=decommissioning,
        service_account=service_account,
        applications=tuple(_application(ctx, team, app, target, decommissioning) for target in targets),
        role=role,
        pod_identities=pod_identities,
        irsa=irsa,
        clusters=tuple(target.name for target in targets),
    )


def _team(ctx: _Ctx, team: Team) -> TeamState:
    decommissioning = team.is_decommissioning()
    return TeamState(
        name=team.name,
        decommissioning=decommissioning,
        namespaces=tuple(ns.name for ns in team.namespaces),
        groups=_groups(ctx, team, decommissioning),
        human_roles=_human_roles(ctx, team, decommissioning),
        namespace_objects=tuple(_namespace(ctx, team, ns, decommissioning) for ns in team.namespaces),
        namespaced_objects=tuple(m for ns in team.namespaces for m in _namespaced(ctx, team, ns)),
        project=_project(ctx, team),
        apps=tuple(_app(ctx, team, app) for app in team.apps),
        repo_credentials=repo_creds.manifests(ctx.catalog, team, ctx.labels(team.name)),
        placements=tuple(
            (ns.name, tuple(target.name for target in ctx.catalog.namespace_targets(ns))) for ns in team.namespaces
        ),
    )


def cluster_config(cluster: TargetCluster) -> dict[str, Any]:
    """The `config` of Argo CD's cluster Secret: Argo CD assumes the IAM role and asks EKS for a
    token itself (awsAuthConfig), so the Secret holds no credential; TLS is always verified."""
    tls: dict[str, Any] = {"insecure": False}
    if cluster.ca_data is not None:
        tls["caData"] = cluster.ca_data
    return {
        "awsAuthConfig": {"clusterName": cluster.eks_cluster_name, "roleARN": cluster.argocd_role_arn},
        "tlsClientConfig": tls,
    }


def _cluster_secret(ctx: _Ctx, cluster: TargetCluster) -> Manifest:
    """Argo CD's declarative cluster Secret: a Secret in Argo CD's namespace labelled as a
    cluster, with the cluster's name, server and config as string data."""
    labels = {
        K8S_MANAGED_BY: MANAGED_BY,
        K8S_PART_OF: ctx.catalog.organization,
        ENVIRONMENT_LABEL: ctx.catalog.environment,
        CLUSTER_LABEL: cluster.name,
        ARGOCD_SECRET_TYPE_LABEL: ARGOCD_CLUSTER_SECRET_TYPE,
    }
    obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(Names.cluster_secret(cluster.name), ctx.catalog.argocd.namespace, labels),
        "type": "Opaque",
        "stringData": {
            "name": cluster.name,
            "server": cluster.server,
            "config": json.dumps(cluster_config(cluster), sort_keys=True),
        },
    }
    return Manifest(obj)


def _argocd_rbac(ctx: _Ctx) -> Manifest:
    """The keys of argocd-rbac-cm the fleet owns. Applied server-side under the field manager
    `app-of-apps`, forcing only these keys: another value there is the drift being corrected."""
    argocd = ctx.catalog.argocd
    lines = ["# app-of-apps: argocd.platform_roles (group -> built-in role)"]
    lines += [f"g, {group}, {role}" for group, role in sorted(argocd.platform_roles.items())]
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": ARGOCD_RBAC_CONFIGMAP,
            "namespace": argocd.namespace,
            "annotations": {PATCH_FIELD_MANAGER_ANNOTATION: MANAGED_BY, PATCH_FORCE_ANNOTATION: "true"},
        },
        "data": {
            POLICY_CSV: "\n".join(lines) + "\n",
            POLICY_DEFAULT: argocd.policy_default,
            SCOPES: scopes_value(argocd.sso_scopes),
        },
    }
    return Manifest(obj)


def render(catalog: Catalog) -> FleetState:
    ctx = _Ctx(catalog)
    return FleetState(
        environment=catalog.environment,
        organization=catalog.organization,
        account_id=catalog.aws.account_id,
        region=catalog.aws.region,
        cluster_name=catalog.cluster.name,
        cluster_server=catalog.cluster.server,
        argocd_namespace=catalog.argocd.namespace,
        teams=tuple(_team(ctx, team) for team in catalog.teams),
        cluster_objects=_admission(ctx),
        reader_objects=_status_reader(ctx),
        argocd_rbac=_argocd_rbac(ctx),
        cluster_secrets=tuple(_cluster_secret(ctx, cluster) for cluster in catalog.clusters),
        clusters=tuple(target.name for target in catalog.targets()),
    )
