"""Ownership across teams, judged on the whole environment (issue 21): namespaces.

Each finding follows from who owns what (`fleet.catalog.tenancy`), never from a list of bad
names: a namespace that carries no team's ownership is nobody's to claim, whatever it is called.
"""

from __future__ import annotations

from collections.abc import Iterator

from fleet.catalog import tenancy
from fleet.catalog.models import Catalog, present, team_names
from fleet.guardrails import argocd
from fleet.guardrails.base import Rule
from fleet.guardrails.catalog import RESERVED_NAMESPACE
from fleet.guardrails.kubernetes import NAMESPACE_OWNERSHIP
from fleet.text.problems import Problem


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


RULES: tuple[Rule, ...] = ()  # the resource rule of the same id is in fleet.guardrails.kubernetes

CHECKS = (namespace_ownership,)


def check(catalog: Catalog) -> list[Problem]:
    return [problem for check in CHECKS for problem in check(catalog)]
