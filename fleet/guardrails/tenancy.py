"""Ownership across teams, judged on the whole environment (issue 21): namespaces, repositories,
hosts.

Each finding follows from who owns what (`fleet.catalog.tenancy`), never from a list of bad
names: a namespace that carries no team's ownership is nobody's to claim, whatever it is called.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from fleet.catalog import tenancy
from fleet.catalog.models import Catalog, present, team_names
from fleet.guardrails import argocd
from fleet.guardrails.base import Rule
from fleet.guardrails.catalog import REPO_ALLOW_LIST, RESERVED_NAMESPACE
from fleet.guardrails.kubernetes import HOST_OWNERSHIP, NAMESPACE_OWNERSHIP, SERVICE_BOUNDARIES
from fleet.render import boundaries
from fleet.text.problems import Path, Problem, format_path

REPO_OWNED = "argocd-repo-owned"


def _problem(path: list[str | int], reason: str, rule: str) -> Problem:
    return Problem.at(path, f"{reason} [{rule}]")


def namespace_ownership(catalog: Catalog) -> Iterator[Problem]:
    grants = catalog.cluster.namespace_grants
    names = team_names(catalog)
    for t, team in present(catalog.teams):
        others = [name for name in names if name != team.name]
        for n, namespace in enumerate(team.namespaces):
            if argocd.destination_problem(
                namespace.name, catalog.argocd.namespace, catalog.cluster.reserved_namespaces
            ):
                continue  # k8s-reserved-namespace says why, once
            if (reason := tenancy.ownership_problem(namespace.name, team.name, grants, others)) is not None:
                yield _problem(["teams", t, "namespaces", n, "name"], reason, NAMESPACE_OWNERSHIP)
    for namespace, grantee in grants.items():
        path: list[str | int] = ["cluster", "namespace_grants", namespace]
        if grantee not in names:
            yield _problem(path, f"{grantee!r} is not a team of this catalog", NAMESPACE_OWNERSHIP)
        named = tenancy.namespace_owner(namespace, names, {})
        if named is not None and named != grantee:
            yield _problem(
                path,
                f"{namespace!r} is named as team {named!r}'s; a grant gives a team a name no other team carries",
                NAMESPACE_OWNERSHIP,
            )
        reason = argocd.destination_problem(namespace, catalog.argocd.namespace, catalog.cluster.reserved_namespaces)
        if reason is not None:
            yield _problem(path, f"never a team namespace: {reason}", RESERVED_NAMESPACE)


def repository_ownership(catalog: Catalog) -> Iterator[Problem]:
    """A repository belongs to one team: every source counts, `$ref` value sources included.
    Two teams naming one repository (in any spelling) are both told, unless the platform shares it."""
    shared = catalog.argocd.shared_repos
    uses: dict[str, list[tuple[str, str, Path]]] = defaultdict(list)  # key -> (team, url, path)
    for t, team in present(catalog.teams):
        for a, app in present(team.apps):
            for where, source in app.all_sources():
                if not tenancy.repo_shared(source.repo, shared):
                    uses[tenancy.repo_key(source.repo)].append(
                        (team.name, source.repo, ["teams", t, "apps", a, *where, "repo"])
                    )
    for items in uses.values():
        for name, url, path in items:
            others = [(o_name, o_url, o_path) for o_name, o_url, o_path in items if o_name != name]
            if others:
                o_name, o_url, o_path = others[0]
                yield _problem(
                    list(path),
                    f"{url!r} is the repository team {o_name!r} deploys from ({o_url!r} at {format_path(o_path)}): "
                    "a repository belongs to one team; only the platform shares one (argocd.shared_repos)",
                    REPO_OWNED,
                )
    for i, entry in enumerate(shared):
        path: list[str | int] = ["argocd", "shared_repos", i]
        if (problem := argocd.repo_url_problem(entry)) is not None:
            yield _problem(path, problem, REPO_ALLOW_LIST)
        elif not argocd.repo_path(entry):
            yield _problem(path, f"{entry!r} shares a whole host; name the shared repositories", REPO_OWNED)
        elif not argocd.repo_allowed(entry, catalog.argocd.allowed_repos):
            yield _problem(path, f"{entry!r} is outside argocd.allowed_repos", REPO_ALLOW_LIST)
        elif entry.endswith("/") and any(
            tenancy.repo_key(allowed) == tenancy.repo_key(entry) or tenancy.repo_shared(allowed, [entry])
            for allowed in catalog.argocd.allowed_repos
            if allowed.endswith("/")
        ):
            yield _problem(
                path,
                f"{entry!r} shares every repository of an argocd.allowed_repos prefix: no repository would belong to a team",
                REPO_OWNED,
            )


def host_ownership(catalog: Catalog) -> Iterator[Problem]:
    """The platform's host grants name existing teams, stay out of the teams' own domains, and
    never give one host to two teams; the hosts ExternalName Services may name are external."""
    cluster = catalog.cluster
    names = {team.name for _, team in present(catalog.teams)}
    grants = sorted(cluster.host_grants.items())
    for i, (host, grantee) in enumerate(grants):
        path: list[str | int] = ["cluster", "host_grants", host]
        if grantee not in names:
            yield _problem(path, f"{grantee!r} is not a team of this catalog", HOST_OWNERSHIP)
        domain = cluster.ingress_domain
        if domain and (tenancy.host_grant_overlap(host, f"*.{domain}")):
            yield _problem(
                path,
                f"{host!r} lies under cluster.ingress_domain {domain!r}, where each team owns <team>.{domain}: "
                "a grant there would give away a team's hosts (or a later team's)",
                HOST_OWNERSHIP,
            )
        for other, other_team in grants[:i]:
            if other_team != grantee and tenancy.host_grant_overlap(host, other):
                yield _problem(
                    path,
                    f"{host!r} overlaps {other!r}, granted to team {other_team!r}: two teams never claim one host",
                    HOST_OWNERSHIP,
                )
    for i, name in enumerate(cluster.external_names):
        if boundaries.in_cluster_external_name({"spec": {"externalName": name}}) is not None:
            yield _problem(["cluster", "external_names", i], boundaries.EXTERNAL_NAME_IN_CLUSTER, SERVICE_BOUNDARIES)


RULES: tuple[Rule, ...] = (
    Rule(
        REPO_OWNED,
        "a repository (compared as Argo CD and the code host see it) belongs to one team's apps, $ref sources included; "
        "only the platform shares one",
        "argo-cd util/git NormalizeGitURL; argo-cd projects.md (project-scoped repositories, v2.12 credential lookup)",
        (),
        lambda props, settings: iter(()),
    ),
)  # the resource rule k8s-namespace-ownership is in fleet.guardrails.kubernetes

CHECKS = (namespace_ownership, repository_ownership, host_ownership)


def check(catalog: Catalog) -> list[Problem]:
    return [problem for check in CHECKS for problem in check(catalog)]
