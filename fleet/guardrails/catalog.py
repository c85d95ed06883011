"""Guardrails on the catalog itself, reported at the catalog path that caused them.

They share their findings with the resource rules (`iam.action_finding`,
`argocd.repo_allowed`, …): the catalog rule says where in the file, the resource rule
says which resource, and both say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterator

from fleet.catalog.models import Catalog, Network, Quota, Source, Statement, Team, present, team_names
from fleet.catalog.naming import Names, partition
from fleet.guardrails import argocd, argocd_rbac, iam, kubernetes, ownership, reserved
from fleet.guardrails.base import POD_SECURITY_LEVELS, Rule
from fleet.text.problems import Path, Problem

RESERVED_NAMESPACE = "k8s-reserved-namespace"
TRUSTED_NAMESPACES = "k8s-network-trusts-reserved"
REPO_ALLOW_LIST = "argocd-repo-allow-list"
SOURCE_PATH = "argocd-source-path"
CHART_VERSION = "argocd-chart-version"
HELM_VALUES_NAMESPACE = "argocd-helm-values-namespace"
POD_SECURITY = "k8s-pod-security-labels"  # the resource rule of the same id judges the labels


def _problem(path: Path, reason: str, rule: str) -> Problem:
    return Problem.at(path, f"{reason} [{rule}]")


def _statement(statement: Statement, path: Path, owned: tuple[str, ...]) -> Iterator[Problem]:
    for i, action in enumerate(statement.actions):
        if (finding := iam.action_finding(action)) is not None:
            yield _problem([*path, "actions", i], finding[1], finding[0])
    for i, resource in enumerate(statement.resources):
        finding = iam.resource_finding(resource, list(statement.actions)) or iam.ownership_finding(resource, owned)
        if finding is not None:
            yield _problem([*path, "resources", i], finding[1], finding[0])


def _usable_resources(catalog: Catalog, team: Team) -> tuple[str, ...]:
    """What a team's statements may name: what it owns, and what the platform shares with it."""
    shared = tuple(s.arn for s in catalog.aws.shared_resources if team.name in s.teams)
    return (*team.owned_resources(), *shared)


def workload_policies(catalog: Catalog) -> Iterator[Problem]:
    allowed = catalog.aws.allowed_managed_policy_arns
    bounded = catalog.aws.permissions_boundary_arn is not None
    for t, team in present(catalog.teams):
        usable = _usable_resources(catalog, team)
        for a, app in present(team.apps):
            if app.aws is None:
                continue
            base = ["teams", t, "apps", a, "aws"]
            for s, statement in enumerate(app.aws.statements):
                yield from _statement(statement, [*base, "statements", s], usable)
            for p, arn in enumerate(app.aws.managed_policy_arns):
                if (finding := iam.managed_policy_finding(arn, allowed, bounded)) is not None:
                    yield _problem([*base, "managed_policy_arns", p], finding[1], finding[0])


def persona_policies(catalog: Catalog) -> Iterator[Problem]:
    allowed = catalog.aws.allowed_managed_policy_arns
    bounded = catalog.aws.human_permissions_boundary_arn is not None
    for name, persona in catalog.personas.items():
        for p, arn in enumerate(persona.aws_managed_policy_arns):
            if (finding := iam.managed_policy_finding(arn, allowed, bounded)) is not None:
                reason = finding[1].replace("the principal", "every member of the persona's groups")
                yield _problem(["personas", name, "aws_managed_policy_arns", p], reason, finding[0])


def managed_policy_allow_list(catalog: Catalog) -> Iterator[Problem]:
    for i, arn in enumerate(catalog.aws.allowed_managed_policy_arns):
        account = arn.split(":")[4]
        if iam.admin_policy(arn):
            yield _problem(
                ["aws", "allowed_managed_policy_arns", i],
                f"{arn} makes the principal an account administrator; it cannot be allowed",
                iam.ADMIN_POLICY,
            )
        elif account not in ("aws", catalog.aws.account_id):
            yield _problem(
                ["aws", "allowed_managed_policy_arns", i],
                f"{arn} is a policy of account {account}, not aws.account_id {catalog.aws.account_id}",
                iam.MANAGED_POLICY,
            )


def resource_ownership(catalog: Catalog) -> Iterator[Problem]:
    """Owned patterns are well-formed, in this account, specific, and never another team's."""
    part = partition(catalog.aws.region)
    names = Names(catalog.organization, catalog.environment)
    teams = set(team_names(catalog))
    prefixes = {name: names.resource_prefix(name) for name in teams}
    grants = catalog.aws.resource_grants
    for pattern, grantee in grants.items():
        path: Path = ["aws", "resource_grants", pattern]
        if grantee not in teams:
            yield _problem(path, f"{grantee!r} is not a team", iam.OWNERSHIP)
        elif (problem := ownership.pattern_problem(pattern, part, catalog.aws.account_id)) is not None or (
            problem := ownership.grant_problem(pattern, grantee, prefixes)
        ) is not None:
            yield _problem(path, problem, iam.OWNERSHIP)
    granted = list(grants.items())
    for first, second in sorted(ownership.overlapping_pairs([pattern for pattern, _ in granted])):
        if granted[first][1] != granted[second][1]:
            yield _problem(
                ["aws", "resource_grants", granted[second][0]],
                f"overlaps {granted[first][0]!r}, granted to team {granted[first][1]!r}; "
                "two teams are never granted the same resource",
                iam.OWNERSHIP,
            )
    claims: list[tuple[str, int, int, str]] = []  # (pattern, team index, pattern index, team name)
    for t, team in present(catalog.teams):
        for i, pattern in enumerate(team.owned_resources()):
            if (problem := ownership.pattern_problem(pattern, part, catalog.aws.account_id)) is not None:
                yield _problem(["teams", t, "aws", "owned_resources", i], problem, iam.OWNERSHIP)
                continue
            if (problem := ownership.claim_problem(pattern, team.name, prefixes, grants)) is not None:
                yield _problem(["teams", t, "aws", "owned_resources", i], problem, iam.OWNERSHIP)
            claims.append((pattern, t, i, team.name))  # and whose it already is, if anyone's
    for first, second in sorted(ownership.overlapping_pairs([claim[0] for claim in claims])):
        (pattern, t, i, name), (other, o, j, other_name) = claims[second], claims[first]
        if t != o:
            yield _problem(
                ["teams", t, "aws", "owned_resources", i],
                f"{pattern!r} overlaps {other!r}, owned by team {other_name!r} "
                f"(teams[{o}].aws.owned_resources[{j}]); two teams never own the same resource",
                iam.OWNERSHIP,
            )
    for s, shared in enumerate(catalog.aws.shared_resources):
        if (problem := ownership.pattern_problem(shared.arn, part, None)) is not None:
            yield _problem(["aws", "shared_resources", s, "arn"], problem, iam.OWNERSHIP)
        for j, name in enumerate(shared.teams):
            if name not in teams:
                yield _problem(["aws", "shared_resources", s, "teams", j], f"{name!r} is not a team", iam.OWNERSHIP)


def reserved_namespaces(catalog: Catalog) -> Iterator[Problem]:
    for t, team in present(catalog.teams):
        for n, namespace in enumerate(team.namespaces):
            reason = argocd.destination_problem(
                namespace.name, catalog.argocd.namespace, catalog.cluster.reserved_namespaces
            )
            if reason:
                yield _problem(
                    ["teams", t, "namespaces", n, "name"], f"never a team namespace: {reason}", RESERVED_NAMESPACE
                )


def trusted_namespaces(catalog: Catalog) -> Iterator[Problem]:
    """A NetworkPolicy trusts a namespace by its name label; a team that could claim that name
    (today or in a later pull request) would get a way into every namespace that trusts it."""
    networks: list[tuple[list[str | int], Network | None]] = [(["defaults", "network"], catalog.defaults.network)]
    for t, team in present(catalog.teams):
        networks += [(["teams", t, "namespaces", n, "network"], ns.network) for n, ns in enumerate(team.namespaces)]
    for path, network in networks:
        for i, name in enumerate(network.ingress_from_namespaces if network else ()):
            if not reserved.is_reserved(name, catalog.argocd.namespace, catalog.cluster.reserved_namespaces):
                yield _problem(
                    [*path, "ingress_from_namespaces", i],
                    f"{name!r} is not a reserved namespace: a NetworkPolicy may trust by name only platform "
                    "namespaces (the built-in ones and cluster.reserved_namespaces), never one a team can own",
                    TRUSTED_NAMESPACES,
                )


def pod_security_floor(catalog: Catalog) -> Iterator[Problem]:
    levels = POD_SECURITY_LEVELS
    floor = catalog.guardrails.pod_security_floor
    if levels.index(catalog.defaults.pod_security) < levels.index(floor):
        yield _problem(
            ["defaults", "pod_security"],
            f"{catalog.defaults.pod_security!r} is below guardrails.pod_security_floor {floor!r}",
            POD_SECURITY,
        )
    for t, team in present(catalog.teams):
        for n, namespace in enumerate(team.namespaces):
            level = namespace.pod_security
            if level is not None and levels.index(level) < levels.index(floor):
                yield _problem(
                    ["teams", t, "namespaces", n, "pod_security"],
                    f"{level!r} is below guardrails.pod_security_floor {floor!r}",
                    POD_SECURITY,
                )


def quota_ceiling(catalog: Catalog) -> Iterator[Problem]:
    """Every quota the catalog sets stays under the platform's ceiling (guardrails.quota_ceiling)."""
    ceiling = catalog.guardrails.quota_ceiling
    limits = (ceiling.cpu, ceiling.memory, ceiling.pods)
    quotas: list[tuple[Path, Quota | None]] = [(["defaults", "quota"], catalog.defaults.quota)]
    for t, team in present(catalog.teams):
        quotas += [(["teams", t, "namespaces", n, "quota"], ns.quota) for n, ns in enumerate(team.namespaces)]
    for path, quota in quotas:
        if quota is None:
            continue
        for field in ("cpu", "memory", "pods"):
            for excess in kubernetes.quota_excess({field: getattr(quota, field)}, limits):
                yield _problem([*path, field], f"{excess} (guardrails.quota_ceiling)", kubernetes.QUOTA_CEILING)


def allow_list(catalog: Catalog) -> Iterator[Problem]:
    for r, entry in enumerate(catalog.argocd.allowed_repos):
        if (problem := argocd.repo_url_problem(entry)) is not None:
            yield _problem(["argocd", "allowed_repos", r], problem, REPO_ALLOW_LIST)
        elif not argocd.repo_path(entry) and not argocd.helm_host_root(entry):
            yield _problem(
                ["argocd", "allowed_repos", r],
                f"{entry!r} allows a whole host; name an organization prefix such as https://github.com/acme/ "
                "(a Helm repository served at a host root is named exactly, without a trailing '/': "
                "https://charts.example.com)",
                REPO_ALLOW_LIST,
            )


def app_sources(catalog: Catalog) -> Iterator[Problem]:
    """Every source of every app: Git paths, Helm charts, Kustomize overlays, refs."""
    for t, team in present(catalog.teams):
        for a, app in present(team.apps):
            refs = [s.ref for _, s in app.all_sources() if s.ref is not None]
            for where, source in app.all_sources():
                base = ["teams", t, "apps", a, *where]
                yield from _source(catalog, source, base, refs, team.app_namespace(app))


def _source(catalog: Catalog, source: Source, base: Path, refs: list[str], namespace: str) -> Iterator[Problem]:
    if (problem := argocd.repo_url_problem(source.repo)) is not None:
        yield _problem([*base, "repo"], problem, REPO_ALLOW_LIST)
    elif not argocd.repo_allowed(source.repo, catalog.argocd.allowed_repos):
        yield _problem([*base, "repo"], f"{source.repo!r} is outside argocd.allowed_repos", REPO_ALLOW_LIST)
    elif argocd.helm_host_root(source.repo) and source.chart is None:
        yield _problem(
            [*base, "repo"],
            f"{source.repo!r} is a host root: only a Helm repository is served there (name its chart); "
            "a Git repository has a path",
            REPO_ALLOW_LIST,
        )
    if source.path is not None and (problem := argocd.path_problem(source.path)) is not None:
        yield _problem([*base, "path"], problem, SOURCE_PATH)
    if any(c.isspace() for c in source.revision):
        yield _problem([*base, "revision"], "a revision has no spaces", SOURCE_PATH)
    if source.chart is not None:
        problem = argocd.chart_version_problem(source.revision, pinned=catalog.deletion_protection)
        if problem is not None:
            yield _problem([*base, "revision"], problem, CHART_VERSION)
    if source.helm is not None:
        for v, value_file in enumerate(source.helm.value_files):
            if (problem := argocd.value_file_problem(value_file, refs)) is not None:
                yield _problem([*base, "helm", "value_files", v], problem, SOURCE_PATH)
        for problem in argocd.values_namespace_problems(source.helm.values, namespace):
            yield _problem([*base, "helm", "values"], problem, HELM_VALUES_NAMESPACE)


def pinned_revisions(catalog: Catalog) -> Iterator[Problem]:
    if not catalog.deletion_protection:
        return
    for t, team in present(catalog.teams):
        for a, app in present(team.apps):
            for where, source in app.all_sources():
                if source.chart is not None:
                    continue  # a chart's revision is its version: argocd-chart-version judges it
                if (reason := argocd.unpinned_revision(source.revision)) is not None:
                    yield _problem(
                        ["teams", t, "apps", a, *where, "revision"],
                        f"deletion_protection is on: {reason}",
                        argocd.PINNED_REVISION,
                    )


def argocd_rbac_settings(catalog: Catalog) -> Iterator[Problem]:
    """The catalog's argocd-rbac-cm keys, at their catalog paths (the rendered patch is judged
    again by the resource and stack rules of the same ids)."""
    if (problem := argocd_rbac.default_problem(catalog.argocd.policy_default)) is not None:
        yield _problem(["argocd", "policy_default"], problem, argocd_rbac.DEFAULT_DENY)
    names = catalog.names()
    team_groups = {
        names.okta_group(team.name, persona) for _, team in present(catalog.teams) for persona in catalog.personas
    }
    for group, role in catalog.argocd.platform_roles.items():
        if group in team_groups:
            for grant in argocd_rbac.cross_project_grants(f"g, {group}, {role}", group):
                yield _problem(
                    ["argocd", "platform_roles", group],
                    f"team group {group} would get {grant}: every team's applications; "
                    "teams get Argo CD access through their own AppProject only",
                    argocd_rbac.NO_CROSS_PROJECT,
                )


def _catalog_rule(rule_id: str, rationale: str, anchor: str) -> Rule:
    # Catalog rules are listed with the resource rules (the guardrails reference, policy docs) but judge
    # the catalog, so they apply to no resource type.
    return Rule(rule_id, rationale, anchor, (), lambda props, settings: iter(()))


RULES: tuple[Rule, ...] = (
    _catalog_rule(
        RESERVED_NAMESPACE,
        "teams never own kube-*, default, the Argo CD namespace, well-known add-on namespaces or cluster.reserved_namespaces",
        "argo-cd declarative-setup.md; the add-on charts' default namespaces",
    ),
    _catalog_rule(
        TRUSTED_NAMESPACES,
        "NetworkPolicies trust by name only reserved (platform) namespaces",
        "Kubernetes NetworkPolicy namespaceSelector on kubernetes.io/metadata.name",
    ),
    _catalog_rule(
        REPO_ALLOW_LIST,
        "allow-list entries are organization prefixes or exact URLs (a Helm repository at a host root only exactly); "
        "apps deploy only from inside them",
        "argo-cd security.md",
    ),
    _catalog_rule(
        SOURCE_PATH,
        "source paths and Helm value files are relative, inside their repo (or a ref's), without '..'",
        "CVE-2022-24348 (Argo CD path traversal)",
    ),
    _catalog_rule(
        CHART_VERSION,
        "Helm charts name a version; with deletion_protection an exact one, never a range or '*'",
        "helm.sh chart_best_practices (versions); argo-cd helm.md",
    ),
    _catalog_rule(
        HELM_VALUES_NAMESPACE,
        "Helm values never move a chart's objects out of the app's namespace (namespaceOverride, global.namespace)",
        "argo-cd projects.md (destinations)",
    ),
)

CHECKS = (
    workload_policies,
    persona_policies,
    managed_policy_allow_list,
    resource_ownership,
    reserved_namespaces,
    trusted_namespaces,
    pod_security_floor,
    quota_ceiling,
    allow_list,
    app_sources,
    pinned_revisions,
    argocd_rbac_settings,
)


def check(catalog: Catalog) -> list[Problem]:
    return [problem for check in CHECKS for problem in check(catalog)]
