"""Who (an Okta group) may do what, where: read back from the rendered objects themselves.

The matrix is derived from the Roles, RoleBindings, AppProject roles and SAML roles that the
program registers, not from the catalog's intent, so the report cannot promise more or less
than what is deployed.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fleet.apis.argocd import POLICY_CSV, POLICY_DEFAULT, SCOPES, policy_lines
from fleet.catalog import personas
from fleet.catalog.naming import PERSONA_LABEL
from fleet.render import repo_creds
from fleet.render.repo_creds import RepoCredential
from fleet.render.state import FleetState, Manifest, TeamState
from fleet.reports import argocd_policy as argocd_rbac
from fleet.text import markdown as md

ACCESS_SCHEMA_VERSION = 1

# --- the matrix as data: what access.json holds -------------------------------------------------
# Field order is the order of access.json's keys in `fleet audit --as-of --format json` (which
# prints models in field order); access.json itself is written with sorted keys.
Resources = dict[str, list[str]]  # resource ("apps/deployments", "pods") -> its verbs, sorted


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", serialize_by_alias=True, validate_by_name=True)


class ThroughPods(_Model):
    """One namespace where a group runs pods: what that gives beyond the Role's own verbs."""

    through: list[str]  # the workload resources it may create or change (POD_RUNNERS)
    secrets: str
    aws_roles: list[str]  # the namespace's workload roles (ARNs), which its pods may act as


class ArgoCDGrants(_Model):
    """What one subject may do in Argo CD: per project, and outside projects."""

    projects: dict[str, list[str]]  # project -> ['applications get', …]
    global_: list[str] = Field(alias="global")  # ['clusters get', …]


class GroupArgoCD(_Model):
    project: str  # the team's own AppProject
    permissions: list[str]  # effective in that project: its AppProject roles + the global policy
    projects: dict[str, list[str]]  # every project (its own included), as Argo CD decides
    global_: list[str] = Field(alias="global")  # outside projects


class GroupAccess(_Model):
    """One Okta group: who its members are and what they gain, where."""

    okta_group: str
    team: str
    persona: str
    membership_rule: str | None  # None: members are managed by hand
    kubernetes_group: str  # the subject of the team's RoleBindings ("" if none binds it)
    kubernetes: dict[str, Resources]  # namespace (`<cluster>/<namespace>` with declared clusters) -> resource -> verbs
    indirect: dict[str, ThroughPods]  # namespace -> what running pods there gives
    argocd: GroupArgoCD
    aws_roles: list[str]  # roles its members assume through SAML (ARNs)


class WorkloadRole(_Model):
    team: str
    app: str
    namespace: str
    service_account: str
    role_arn: str
    mechanism: Literal["irsa", "pod-identity"]


class Reader(_Model):
    """A group bound by the platform's own cluster-level objects (the `fleet status` reader)."""

    kubernetes_group: str
    purpose: str
    kubernetes: dict[str, Resources]  # "(cluster-wide)" or a namespace -> resource -> verbs


class ArgoCDGlobal(_Model):
    """What argocd-rbac-cm grants beyond the AppProject roles."""

    policy_default: str
    scopes: str
    every_user: ArgoCDGrants  # every logged-in user
    platform_groups: dict[str, ArgoCDGrants]  # groups named in policy.csv that are no team's


class AccessMatrix(_Model):
    """Who (an Okta group) may do what, where, in one environment."""

    version: Literal[1] = ACCESS_SCHEMA_VERSION
    environment: str
    organization: str
    groups: list[GroupAccess]
    workloads: list[WorkloadRole]
    readers: list[Reader]
    repo_credentials: list[RepoCredential]
    argocd_global: ArgoCDGlobal


def _resource_key(api_group: str, resource: str) -> str:
    return f"{api_group}/{resource}" if api_group else resource


def _kubernetes(team: TeamState) -> dict[str, dict[str, dict[str, list[str]]]]:
    """subject group -> namespace -> resource -> sorted verbs."""
    roles: dict[tuple[str, str], Manifest] = {}
    bindings: list[Manifest] = []
    for manifest in team.namespaced_objects:
        if manifest.kind == "Role":
            roles[(manifest.namespace or "", manifest.name)] = manifest
        elif manifest.kind == "RoleBinding":
            bindings.append(manifest)
    out: dict[str, dict[str, dict[str, set[str]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(set)))
    for binding in bindings:
        namespace = binding.namespace or ""
        role = roles[(namespace, binding.obj["roleRef"]["name"])]
        for subject in binding.obj["subjects"]:
            for rule in role.obj["rules"]:
                for group in rule["apiGroups"]:
                    for resource in rule["resources"]:
                        out[subject["name"]][namespace][_resource_key(group, resource)].update(rule["verbs"])
    return {
        subject: {
            ns: {res: sorted(verbs) for res, verbs in sorted(resources.items())}
            for ns, resources in sorted(by_ns.items())
        }
        for subject, by_ns in out.items()
    }


def _rbac_data(state: FleetState) -> dict[str, Any]:
    return dict(state.argocd_rbac.obj.get("data", {})) if state.argocd_rbac is not None else {}


def _argocd(state: FleetState) -> tuple[dict[str, argocd_rbac.Grants], ArgoCDGlobal]:
    """The effective Argo CD policy (project roles + argocd-rbac-cm, Argo CD's Casbin model):
    grants per Okta group, and the global part (every logged-in user, platform groups)."""
    data = _rbac_data(state)
    team_groups = [g.name for g in state.groups()]
    platform = sorted(
        {p[1] for p in policy_lines(str(data.get(POLICY_CSV, ""))) if len(p) >= 3 and p[0] == "g"} - set(team_groups)
    )
    projects = argocd_rbac.projects_of(team.project.obj for team in state.teams)
    grants = argocd_rbac.evaluate(data, projects, [*team_groups, *platform])

    def shown(g: argocd_rbac.Grants) -> ArgoCDGrants:
        return ArgoCDGrants(projects={p: sorted(v) for p, v in sorted(g.projects.items())}, global_=sorted(g.global_))

    summary = ArgoCDGlobal(
        policy_default=str(data.get(POLICY_DEFAULT, "")),
        scopes=str(data.get(SCOPES, "")),
        every_user=shown(grants["*"]),
        platform_groups={group: shown(grants[group]) for group in platform},
    )
    return grants, summary


# Whoever may create or change these runs pods with any ServiceAccount of the namespace, and a
# pod can mount any Secret there: that is access to the secrets and to the workload roles.
POD_RUNNERS = (
    "pods",
    "apps/deployments",
    "apps/statefulsets",
    "apps/daemonsets",
    "apps/replicasets",
    "batch/jobs",
    "batch/cronjobs",
)
POD_WRITES = {"create", "update", "patch"}
# Verbs that change what they name; the one set the Markdown and the HTML report count by.
WRITE_VERBS = frozenset(personas.WRITE)
ARGOCD_WRITES = frozenset(f"applications {action}" for action in personas.ARGOCD_WRITE)


def argocd_writes(permissions: list[str]) -> list[str]:
    """The Argo CD permissions that change what runs (counted as writes in both reports)."""
    return [p for p in permissions if p in ARGOCD_WRITES]


def _indirect(kubernetes: dict[str, Resources], roles_by_namespace: dict[str, list[str]]) -> dict[str, ThroughPods]:
    """Per namespace: what running pods gives beyond the Role's own verbs."""
    out: dict[str, ThroughPods] = {}
    for namespace, resources in kubernetes.items():
        runners = sorted(r for r in POD_RUNNERS if POD_WRITES & set(resources.get(r, [])))
        if runners:
            out[namespace] = ThroughPods(
                through=runners,
                secrets="mount any Secret of the namespace",
                aws_roles=roles_by_namespace.get(namespace, []),
            )
    return out


def readers(state: FleetState) -> list[Reader]:
    """Groups bound by the platform's own cluster-level objects (the `fleet status` reader), read
    back from its ClusterRole, Role and bindings: what they may read, cluster-wide or where."""
    roles = {(m.kind, m.namespace or "", m.name): m for m in state.reader_objects if m.kind in ("Role", "ClusterRole")}
    out: dict[str, dict[str, dict[str, set[str]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(set)))
    for binding in state.reader_objects:
        if binding.kind not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        ref = binding.obj["roleRef"]
        role = roles[(ref["kind"], binding.namespace or "" if ref["kind"] == "Role" else "", ref["name"])]
        scope = binding.namespace or "(cluster-wide)"
        for subject in binding.obj["subjects"]:
            for rule in role.obj["rules"]:
                for group in rule["apiGroups"]:
                    for resource in rule["resources"]:
                        out[subject["name"]][scope][_resource_key(group, resource)].update(rule["verbs"])
    return [
        Reader(
            kubernetes_group=subject,
            purpose="fleet status: get/list only, never Secrets",
            kubernetes={
                scope: {res: sorted(verbs) for res, verbs in sorted(resources.items())}
                for scope, resources in sorted(by_scope.items())
            },
        )
        for subject, by_scope in sorted(out.items())
    ]


def where(cluster: str | None, namespace: str) -> str:
    """A namespace as the report names it: `<cluster>/<namespace>` when the environment declares
    its clusters (the same namespace on two clusters is two places), else the namespace."""
    return namespace if cluster is None else f"{cluster}/{namespace}"


def places_of(team: TeamState, namespace: str) -> list[str]:
    """One of the team's namespaces as the report names it on each cluster it is placed on."""
    return [where(cluster, namespace) for cluster in team.clusters_of(namespace)]


def matrix(state: FleetState) -> AccessMatrix:
    """The access matrix (what access.json holds)."""
    groups: list[GroupAccess] = []
    workloads: list[WorkloadRole] = []
    argocd, argocd_global = _argocd(state)
    for team in state.teams:
        k8s = _kubernetes(team)
        subjects = {
            binding.obj["metadata"]["labels"].get(PERSONA_LABEL): binding.obj["subjects"][0]["name"]
            for binding in team.namespaced_objects
            if binding.kind == "RoleBinding"
        }
        human = {h.okta_group: h.role.arn for h in team.human_roles}
        roles_by_namespace: dict[str, list[str]] = defaultdict(list)
        for app in team.apps:
            if app.role is not None:
                for cluster in app.clusters:  # its pods run as the role on each of its clusters
                    roles_by_namespace[where(cluster, app.namespace)].append(app.role.arn)
        for group in team.groups:
            subject = subjects.get(group.persona, "")
            kubernetes = {
                place: resources for ns, resources in k8s.get(subject, {}).items() for place in places_of(team, ns)
            }
            groups.append(
                GroupAccess(
                    okta_group=group.name,
                    team=team.name,
                    persona=group.persona,
                    membership_rule=group.rule,
                    kubernetes_group=subject,
                    kubernetes=kubernetes,
                    indirect=_indirect(kubernetes, {ns: sorted(arns) for ns, arns in roles_by_namespace.items()}),
                    argocd=GroupArgoCD(
                        project=team.project.name,
                        permissions=sorted(argocd[group.name].projects.get(team.project.name, [])),
                        projects={p: sorted(v) for p, v in sorted(argocd[group.name].projects.items())},
                        global_=sorted(argocd[group.name].global_),
                    ),
                    aws_roles=[human[group.name]] if group.name in human else [],
                )
            )
        for app in team.apps:
            if app.role is not None:
                workloads.append(
                    WorkloadRole(
                        team=team.name,
                        app=app.name,
                        namespace=app.namespace,
                        service_account=app.service_account.name,
                        role_arn=app.role.arn,
                        mechanism="irsa" if app.irsa else "pod-identity",
                    )
                )
    return AccessMatrix(
        environment=state.environment,
        organization=state.organization,
        groups=groups,
        workloads=workloads,
        readers=readers(state),
        repo_credentials=[entry for team in state.teams for entry in repo_creds.read_back(team)],
        argocd_global=argocd_global,
    )


def _cell(text: str) -> str:
    return md.cell(text)


def _summary(resources: dict[str, list[str]], runs_pods: bool) -> str:
    """One cell: how many resources are readable/writable, and the sensitive ones by name."""
    readable = [r for r, verbs in resources.items() if "get" in verbs]
    writable = [r for r, verbs in resources.items() if WRITE_VERBS & set(verbs)]
    parts = [f"read {len(readable)}", f"write {len(writable)}"]
    secrets = resources.get("secrets", [])
    if secrets:
        parts.append("**secrets: " + ", ".join(secrets) + "**")
    elif runs_pods:
        parts.append("**secrets: through the pods it runs**")
    else:
        parts.append("no secrets")
    if "create" in resources.get("pods/exec", []):
        parts.append("**exec**")
    return "; ".join(parts)


def _aws_cell(group: GroupAccess) -> str:
    direct = [f"{arn} (SAML)" for arn in group.aws_roles]
    through_pods = sorted({arn for entry in group.indirect.values() for arn in entry.aws_roles})
    return ", ".join([*direct, *(f"{arn} (through pods)" for arn in through_pods)]) or "none"


def _verbs_table(resources: dict[str, list[str]]) -> list[str]:
    by_verbs: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for resource, verbs in resources.items():
        by_verbs[tuple(verbs)].append(resource)
    lines = ["| verbs | resources |", "|---|---|"]
    for verbs, names in sorted(by_verbs.items()):
        lines.append(f"| {', '.join(verbs)} | {', '.join(sorted(names))} |")
    return lines


def _argocd_global_section(summary: ArgoCDGlobal) -> list[str]:
    """What argocd-rbac-cm grants beyond the AppProject roles: to everyone, to platform groups."""
    lines = ["## Argo CD global policy (argocd-rbac-cm)", ""]
    default = summary.policy_default or "(empty: deny)"
    lines += [
        f"`policy.default` {default}; `scopes` {summary.scopes}. Evaluated with Argo CD's own Casbin model.",
        "",
        "| who | projects | outside projects |",
        "|---|---|---|",
    ]
    rows = [("every logged-in user", summary.every_user)]
    rows += [(f"group {group}", grants) for group, grants in summary.platform_groups.items()]
    for who, grants in rows:
        projects = "; ".join(f"{p}: {', '.join(v)}" for p, v in grants.projects.items()) or "none"
        lines.append(f"| {who} | {_cell(projects)} | {', '.join(grants.global_) or 'none'} |")
    return lines


def verbs_summary(resources: dict[str, list[str]]) -> str:
    """'get, list: a, b; get: c': resources grouped by the verbs granted on them."""
    by_verbs: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for resource, verbs in resources.items():
        by_verbs[tuple(verbs)].append(resource)
    return "; ".join(f"{', '.join(verbs)}: {', '.join(sorted(names))}" for verbs, names in sorted(by_verbs.items()))


def markdown(data: AccessMatrix) -> str:
    lines = [
        f"# Access: {data.organization} / {data.environment}",
        "",
        "Who gains what, read back from the rendered Roles, RoleBindings, AppProject roles and IAM",
        "trust policies. Membership of each Okta group comes from its rule (or is managed by hand).",
        "Whoever may create pods or workloads in a namespace can mount its Secrets and run as its",
        'ServiceAccounts, so gains their AWS roles: the table says so ("through pods").',
        "",
        "| Okta group | members (Okta rule) | Kubernetes group | namespaces | Kubernetes | Argo CD | AWS roles |",
        "|---|---|---|---|---|---|---|",
    ]
    levels: dict[str, Resources] = {}
    for group in data.groups:
        namespaces = sorted(group.kubernetes)
        first = group.kubernetes[namespaces[0]] if namespaces else {}
        levels.setdefault(group.persona, first)
        argocd = group.argocd
        argo = (
            f"{argocd.project}: write {len(argocd_writes(argocd.permissions))}; " + ", ".join(argocd.permissions)
            if argocd.permissions
            else "none"
        )
        elsewhere = {p: v for p, v in argocd.projects.items() if p != argocd.project}
        if elsewhere or argocd.global_:
            # Reach beyond the team's own project comes from the global policy: say so loudly.
            beyond = [f"{p}: {', '.join(v)}" for p, v in elsewhere.items()]
            beyond += [f"global: {', '.join(argocd.global_)}"] if argocd.global_ else []
            argo += " **+ " + "; ".join(beyond) + "**"
        rule = md.code(group.membership_rule, table=True) if group.membership_rule else "(by hand)"
        lines.append(
            f"| {group.okta_group} | {rule} | {group.kubernetes_group} | {', '.join(namespaces) or 'none'} "
            f"| {_summary(first, bool(group.indirect))} | {argo} | {_aws_cell(group)} |"
        )
    lines += ["", "## Workload roles", ""]
    if data.workloads:
        lines += ["| team | app | ServiceAccount | AWS role | via |", "|---|---|---|---|---|"]
        for w in data.workloads:
            lines.append(f"| {w.team} | {w.app} | {w.namespace}/{w.service_account} | {w.role_arn} | {w.mechanism} |")
    else:
        lines.append("No app has an AWS role.")
    lines += ["", "## Read-only groups", ""]
    lines += ["| Kubernetes group | for | where | verbs: resources |", "|---|---|---|---|"]
    for reader in data.readers:
        for scope, resources in reader.kubernetes.items():
            lines.append(f"| {reader.kubernetes_group} | {reader.purpose} | {scope} | {verbs_summary(resources)} |")
    lines += ["", *_argocd_global_section(data.argocd_global)]
    lines += ["", "## Argo CD repository credentials", ""]
    if data.repo_credentials:
        lines += [
            "GitHub App installation tokens (valid one hour), minted by Argo CD from the App's key, which the",
            "External Secrets Operator copies from the store; each credential serves only its project.",
            "",
            "| project | repository | GitHub App | installation | key (store: path) | Secret |",
            "|---|---|---|---|---|---|",
        ]
        for c in data.repo_credentials:
            lines.append(
                f"| {c.project} | {_cell(c.repo)} | {c.github_app_id} | {c.installation_id} "
                f"| {_cell(c.key)} | {c.secret} |"
            )
    else:
        lines.append("None: Argo CD reads the teams' repositories with whatever credentials it has been given by hand.")
    lines += ["", "## Kubernetes verbs per persona", "", "The same Role in every namespace of a team."]
    for persona, resources in sorted(levels.items()):
        lines += ["", f"### {persona}", "", *_verbs_table(resources)]
    return "\n".join(lines) + "\n"
