"""One rule set, three places: `fleet validate`, the Pulumi program, the CrossGuard pack.

Every rule has an id, a one-line rationale and the anchor it follows (a scanner rule id or
the document it comes from); docs/reference/guardrails.md lists them all, with an example each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from fleet.catalog.models import Catalog
from fleet.guardrails import argocd, argocd_rbac, argocd_sync, iam, kubernetes, limits, repo_credentials, tenancy
from fleet.guardrails import catalog as catalog_rules
from fleet.guardrails.base import Rule, Settings, StackResource, StackRule
from fleet.text.problems import Problem

RESOURCE_RULES: tuple[Rule, ...] = (
    *iam.RULES,
    *kubernetes.RULES,
    *argocd.RULES,
    *argocd_sync.RULES,
    *argocd_rbac.RULES,
)
STACK_RULES: tuple[StackRule, ...] = (*kubernetes.STACK_RULES, *argocd.STACK_RULES, *argocd_rbac.STACK_RULES)
CATALOG_RULES: tuple[Rule, ...] = (
    *catalog_rules.RULES,
    *argocd_sync.CATALOG_RULES,
    *limits.RULES,
    *repo_credentials.RULES,
    *tenancy.RULES,
)


@dataclass(frozen=True, order=True)
class Violation:
    rule: str
    resource_type: str
    resource_name: str
    message: str


@cache
def rules_for(resource_type: str) -> tuple[Rule, ...]:
    return tuple(rule for rule in RESOURCE_RULES if rule.applies_to(resource_type))


def check_resources(resources: Iterable[StackResource], settings: Settings) -> list[Violation]:
    """Every resource rule on every resource, then every stack rule on all of them."""
    items: Sequence[StackResource] = list(resources)
    found = [
        Violation(rule.id, r.type, r.name, message)
        for r in items
        for rule in rules_for(r.type)
        for message in rule.judge(r.type, r.props, settings)
    ]
    for stack_rule in STACK_RULES:
        for resource, message in stack_rule.check(items, settings):
            found.append(Violation(stack_rule.id, resource.type, resource.name, message))
    return found


def check_catalog(catalog: Catalog) -> list[Problem]:
    return [
        *catalog_rules.check(catalog),
        *argocd_sync.check(catalog),
        *limits.check(catalog),
        *repo_credentials.check(catalog),
        *tenancy.check(catalog),
    ]


__all__ = [
    "CATALOG_RULES",
    "RESOURCE_RULES",
    "STACK_RULES",
    "Settings",
    "StackResource",
    "Violation",
    "check_catalog",
    "check_resources",
]
