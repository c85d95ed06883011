"""Consistency rules that compare fields with each other: uniqueness, references, derived names.

Each function yields every finding with its exact path; none stops at the first.
"""

from __future__ import annotations

from collections.abc import Iterator

from fleet.catalog.models import App, Catalog, Team, present
from fleet.catalog.naming import (
    ARGOCD_APPLICATION_NAME_MAX,
    ARGOCD_DEFAULT_PROJECT,
    IAM_ROLE_NAME_MAX,
    PLATFORM_STACK_SUFFIX,
    RULE_TEAM_NAME_PLATFORM,
    partition,
    platform_stack,
    team_stack,
)
from fleet.text.problems import Path, Problem


def _duplicates(
    items: list[tuple[str, Path]], what: str, fold_case: bool = False, verb: str = "is already used"
) -> Iterator[Problem]:
    first: dict[str, Path] = {}
    for value, path in items:
        key = value.lower() if fold_case else value
        if key in first:
            yield Problem.at(path, f"{what} {value!r} {verb} at {Problem.at(first[key], '').path}")
        else:
            first[key] = path


def distinct(catalog: Catalog) -> tuple[Catalog, list[Problem]]:
    """Teams whose name an earlier team has, and apps whose name an earlier app of their team
    has: the problems, and the catalog without them (None in their place, as for a malformed
    team), for every other check to run on."""
    problems = list(_duplicates([(t.name, ["teams", i, "name"]) for i, t in present(catalog.teams)], "team"))
    seen: set[str] = set()
    teams: list[Team | None] = []
    for t, team in enumerate(catalog.teams):
        if team is None or team.name in seen:
            teams.append(None)
            continue
        seen.add(team.name)
        apps = [(a.name, ["teams", t, "apps", i, "name"]) for i, a in present(team.apps)]
        found = list(_duplicates(apps, "app"))
        problems += found
        if found:
            names: set[str] = set()
            kept: list[App | None] = []
            for app in team.apps:
                kept.append(None if app is None or app.name in names else app)
                if app is not None:
                    names.add(app.name)
            team = team.model_copy(update={"apps": tuple(kept)})
        teams.append(team)
    if not problems:
        return catalog, []
    return catalog.model_copy(update={"teams": tuple(teams)}), problems


def aws_settings(catalog: Catalog) -> Iterator[Problem]:
    aws = catalog.aws
    if aws.workload_identity == "irsa" and not aws.oidc_provider_arn:
        yield Problem.at(["aws", "oidc_provider_arn"], "required when aws.workload_identity is irsa")
    for field in (
        "oidc_provider_arn",
        "saml_provider_arn",
        "permissions_boundary_arn",
        "human_permissions_boundary_arn",
    ):
        arn = getattr(aws, field)
        if arn and arn.split(":")[1] != partition(aws.region):
            yield Problem.at(
                ["aws", field], f"is in partition {arn.split(':')[1]}, but {aws.region} is in {partition(aws.region)}"
            )
        account = arn.split(":")[4] if arn else None
        if account and account not in (aws.account_id, "aws"):
            yield Problem.at(
                ["aws", field],
                f"is in account {account}, not aws.account_id {aws.account_id}; IAM roles can only use their own account's",
            )
    if not catalog.personas:
        yield Problem.at(["personas"], "at least one persona is needed (omit the field for the defaults)")
    for name, persona in catalog.personas.items():
        if persona.aws_managed_policy_arns and not aws.saml_provider_arn:
            yield Problem.at(
                ["personas", name, "aws_managed_policy_arns"],
                "has no effect without aws.saml_provider_arn (no human role is created)",
            )


def teams_and_apps(catalog: Catalog) -> Iterator[Problem]:
    if not catalog.teams:
        yield Problem.at(["teams"], "no teams: an empty fleet would delete everything the stack created")
    for t, team in present(catalog.teams):
        if team.name == ARGOCD_DEFAULT_PROJECT:
            yield Problem.at(
                ["teams", t, "name"],
                "'default' is Argo CD's built-in project, which may deploy anything anywhere; choose another team name",
            )
        if team.name == PLATFORM_STACK_SUFFIX:
            yield Problem.at(
                ["teams", t, "name"],
                f"{PLATFORM_STACK_SUFFIX!r} names the environment's platform stack "
                f"({platform_stack(catalog.environment)}), so the team's stack "
                f"({team_stack(catalog.environment, team.name)}) would be the same; choose another team name "
                f"[{RULE_TEAM_NAME_PLATFORM}]",
            )
        for a, app in present(team.apps):
            if app.aws is not None and not app.aws.statements and not app.aws.managed_policy_arns:
                yield Problem.at(
                    ["teams", t, "apps", a, "aws"],
                    "grants nothing: add statements or managed_policy_arns, or remove the aws block (no role is created without it)",
                )
    claims: list[tuple[str, Path]] = []
    for t, team in present(catalog.teams):
        own = [(ns.name, ["teams", t, "namespaces", n, "name"]) for n, ns in enumerate(team.namespaces)]
        yield from _duplicates(own, "namespace")
        claims.extend({name: path for name, path in reversed(own)}.items())  # first of each name
        names = {ns.name for ns in team.namespaces}
        for a, app in present(team.apps):
            if app.namespace is not None and app.namespace not in names:
                yield Problem.at(
                    ["teams", t, "apps", a, "namespace"],
                    f"{app.namespace!r} is not one of the team's namespaces ({', '.join(sorted(names))})",
                )
        for persona in team.members:
            if persona not in catalog.personas:
                yield Problem.at(
                    ["teams", t, "members", persona], f"unknown persona; known: {', '.join(sorted(catalog.personas))}"
                )
    yield from _duplicates(
        sorted(claims, key=lambda claim: claim[1]), "namespace", verb="is already claimed by the team"
    )


def derived_names(catalog: Catalog) -> Iterator[Problem]:
    names = catalog.names()
    groups: list[tuple[str, Path]] = []
    roles: list[tuple[str, Path]] = []
    applications: list[tuple[str, Path]] = []
    human = catalog.human_role_personas()
    for t, team in present(catalog.teams):
        for persona in catalog.personas:
            groups.append((names.okta_group(team.name, persona), ["teams", t, "name"]))
        for persona in human:
            roles.append((names.human_role(team.name, persona), ["teams", t, "name"]))
        for a, app in present(team.apps):
            # Once per distinct cluster name (a cluster declared twice is reported on its own).
            for cluster in dict.fromkeys(target.name for target in catalog.app_targets(team, app)):
                applications.append((names.application(team.name, app.name, cluster), ["teams", t, "apps", a, "name"]))
            if app.aws is not None:
                roles.append((names.workload_role(team.name, app.name), ["teams", t, "apps", a, "name"]))
    for role, path in roles:
        if len(role) > IAM_ROLE_NAME_MAX:
            yield Problem.at(
                path, f"the IAM role name {role!r} is {len(role)} characters; IAM allows {IAM_ROLE_NAME_MAX}"
            )
    for app, path in applications:
        if len(app) > ARGOCD_APPLICATION_NAME_MAX:
            yield Problem.at(
                path,
                f"the Argo CD Application name {app!r} is {len(app)} characters; its tracking label allows {ARGOCD_APPLICATION_NAME_MAX}",
            )
    yield from _duplicates(roles, "derived IAM role name (IAM ignores case)", fold_case=True)
    yield from _duplicates(groups, "derived Okta group name")
    yield from _duplicates(applications, "derived Argo CD Application name")


def _unknown_clusters(names: tuple[str, ...], known: list[str], path: Path, where: str) -> Iterator[Problem]:
    for i, name in enumerate(names):
        if name in known:
            continue
        if not known:
            yield Problem.at(
                [*path, i],
                f"unknown cluster {name!r}: the environment declares no clusters (the platform's `clusters`)",
            )
        else:
            yield Problem.at([*path, i], f"unknown cluster {name!r}; {where}: {', '.join(known)}")


def clusters(catalog: Catalog) -> Iterator[Problem]:
    """The environment's clusters are unique by name, server and EKS cluster; a namespace or app
    names only clusters the environment declares, and an app only clusters hosting its namespace."""
    declared = list(enumerate(catalog.clusters))
    yield from _duplicates([(c.name, ["clusters", i, "name"]) for i, c in declared], "cluster name")
    yield from _duplicates(
        [(c.server.rstrip("/"), ["clusters", i, "server"]) for i, c in declared],
        "cluster server",
        fold_case=True,
        verb="is already the server of the cluster",
    )
    yield from _duplicates(
        [(f"{c.region}/{c.eks_cluster_name}", ["clusters", i, "eks_cluster_name"]) for i, c in declared],
        "EKS cluster",
        verb="is already declared",
    )
    if catalog.aws.workload_identity == "irsa":
        # Each EKS cluster has its own OIDC provider: the roles trust those of their app's clusters.
        for i, c in declared:
            if c.oidc_provider_arn is None:
                yield Problem.at(
                    ["clusters", i, "oidc_provider_arn"],
                    "required when aws.workload_identity is irsa (each EKS cluster has its own OIDC provider)",
                )
        yield from _duplicates(
            [(c.oidc_provider_arn, ["clusters", i, "oidc_provider_arn"]) for i, c in declared if c.oidc_provider_arn],
            "OIDC provider",
            verb="is already the OIDC provider of the cluster",
        )
    known = [c.name for c in catalog.clusters]
    for t, team in present(catalog.teams):
        for n, ns in enumerate(team.namespaces):
            path = ["teams", t, "namespaces", n, "clusters"]
            yield from _unknown_clusters(ns.clusters, known, path, "the environment's clusters")
        for a, app in present(team.apps):
            path = ["teams", t, "apps", a, "clusters"]
            unknown = [name for name in app.clusters if name not in known]
            yield from _unknown_clusters(app.clusters, known, path, "the environment's clusters")
            namespace = next((ns for ns in team.namespaces if ns.name == team.app_namespace(app)), None)
            if namespace is None:
                continue
            hosts = [target.name for target in catalog.namespace_targets(namespace)]
            for i, name in enumerate(app.clusters):
                if name not in unknown and name not in hosts:
                    yield Problem.at(
                        [*path, i],
                        f"cluster {name!r} does not host the app's namespace {namespace.name!r} "
                        f"(it is on: {', '.join(str(h) for h in hosts)})",
                    )


def check(catalog: Catalog) -> list[Problem]:
    return [*aws_settings(catalog), *teams_and_apps(catalog), *clusters(catalog), *derived_names(catalog)]
