"""Kubernetes guardrails: RBAC, Pod Security labels, and what every team namespace carries."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from fleet.guardrails.base import (
    POD_SECURITY_LEVELS,
    Rule,
    Settings,
    StackResource,
    StackRule,
    as_list,
    metadata,
    spec,
)
from fleet.naming import ACCESS_LEVEL_LABEL

ROLE_TYPES = ("kubernetes:rbac.authorization.k8s.io/v1:Role", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
NAMESPACE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMITS = "kubernetes:core/v1:LimitRange"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ESCALATING_VERBS = frozenset({"escalate", "bind", "impersonate"})
READ_VERBS = frozenset({"get", "list", "watch", "*"})
BUILTIN_POWER_ROLES = frozenset({"cluster-admin", "admin", "edit"})
# Namespaces of the cluster itself, never a team's; exempt from the team-namespace rules.
SYSTEM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


def _rules(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [r for r in as_list(props.get("rules")) if isinstance(r, Mapping)]


def _rbac_wildcards(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    for i, rule in enumerate(_rules(props)):
        for field in ("verbs", "resources", "apiGroups"):
            if "*" in as_list(rule.get(field)):
                yield f"rules[{i}].{field} contains '*'"


def _rbac_escalation(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    for i, rule in enumerate(_rules(props)):
        verbs = set(as_list(rule.get("verbs")))
        if verbs & ESCALATING_VERBS:
            yield f"rules[{i}] grants {', '.join(sorted(verbs & ESCALATING_VERBS))}: a way around RBAC"
        if "rbac.authorization.k8s.io" in as_list(rule.get("apiGroups")) and verbs - {"get", "list", "watch"}:
            yield f"rules[{i}] writes RBAC objects: the holder could grant itself anything"


def _is_view_role(props: Mapping[str, Any]) -> bool:
    meta = metadata(props)
    labels = meta.get("labels") if isinstance(meta.get("labels"), Mapping) else {}
    if ACCESS_LEVEL_LABEL in labels:
        return labels[ACCESS_LEVEL_LABEL] == "view"
    # Without our label, judge by whole words of the name: "team-viewer", "read-only",
    # not "thread-editor".
    words = set(re.split(r"[^a-z0-9]+", str(meta.get("name", "")).lower()))
    return bool(words & {"view", "viewer", "read", "reader", "readonly", "audit", "auditor"})


def _view_no_secrets(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    if not _is_view_role(props):
        return
    for i, rule in enumerate(_rules(props)):
        resources = set(as_list(rule.get("resources")))
        if ("secrets" in resources or "*" in resources) and set(as_list(rule.get("verbs"))) & READ_VERBS:
            yield f"rules[{i}] lets a view role read secrets"


def _no_power_bindings(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    ref = props.get("roleRef") if isinstance(props.get("roleRef"), Mapping) else {}
    if ref.get("kind") != "ClusterRole" or ref.get("name") not in BUILTIN_POWER_ROLES:
        return
    groups = [
        s.get("name") for s in as_list(props.get("subjects")) if isinstance(s, Mapping) and s.get("kind") == "Group"
    ]
    if ref.get("name") == "cluster-admin":
        yield f"binds cluster-admin (subjects: {', '.join(map(str, groups)) or 'none'})"
    elif props.get("kind") != "RoleBinding" and groups:  # the rule sees only bindings; no kind: a ClusterRoleBinding
        yield f"binds the built-in ClusterRole {ref.get('name')} cluster-wide to groups {', '.join(map(str, groups))}"


def _pod_security(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    meta = metadata(props)
    name = meta.get("name")
    if name in SYSTEM_NAMESPACES:
        return
    labels = meta.get("labels") if isinstance(meta.get("labels"), Mapping) else {}
    floor = POD_SECURITY_LEVELS.index(settings.pod_security_floor)
    for mode in ("enforce", "audit", "warn"):
        level = labels.get(f"pod-security.kubernetes.io/{mode}")
        version = labels.get(f"pod-security.kubernetes.io/{mode}-version")
        if level not in POD_SECURITY_LEVELS:
            yield f"label pod-security.kubernetes.io/{mode} is missing or not one of {', '.join(POD_SECURITY_LEVELS)}"
            continue
        if mode == "enforce" and POD_SECURITY_LEVELS.index(level) < floor:
            yield f"enforces Pod Security {level!r}, below the floor {settings.pod_security_floor!r}"
        if not version or version == "latest":
            yield f"label pod-security.kubernetes.io/{mode}-version must pin a version (not 'latest'): the meaning of a level changes between releases"


def _default_deny(props: Mapping[str, Any]) -> bool:
    body = spec(props)
    return body.get("podSelector") == {} and {"Ingress", "Egress"} <= set(as_list(body.get("policyTypes")))


def _namespace_guards(resources: Sequence[StackResource], _: Settings) -> Iterator[tuple[StackResource, str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for r in resources:
        namespace = metadata(r.props).get("namespace")
        if r.type in (QUOTA, LIMITS) or (r.type == NETWORK_POLICY and _default_deny(r.props)):
            found[str(namespace)].add(r.type)
    for r in resources:
        if r.type != NAMESPACE:
            continue
        name = str(metadata(r.props).get("name", r.name))
        if name in SYSTEM_NAMESPACES:
            continue
        missing = [
            label
            for label, t in (
                ("ResourceQuota", QUOTA),
                ("LimitRange", LIMITS),
                ("default-deny NetworkPolicy", NETWORK_POLICY),
            )
            if t not in found[name]
        ]
        if missing:
            yield r, f"namespace {name!r} has no {', '.join(missing)} in this stack"


RULES: tuple[Rule, ...] = (
    Rule(
        "k8s-rbac-no-wildcards",
        "no '*' verbs, resources or API groups in Roles",
        "Checkov CKV_K8S_49, Trivy KSV-0044/0045/0112",
        ROLE_TYPES,
        _rbac_wildcards,
    ),
    Rule(
        "k8s-rbac-no-escalation",
        "no escalate, bind, impersonate, no writing RBAC objects",
        "Checkov CKV_K8S_157/158, Trivy KSV-0050, CIS 5.1.8",
        ROLE_TYPES,
        _rbac_escalation,
    ),
    Rule("k8s-view-no-secrets", "view roles never read secrets", "Trivy KSV-0041/0113", ROLE_TYPES, _view_no_secrets),
    Rule(
        "k8s-no-power-bindings",
        "no binding to cluster-admin; no ClusterRoleBinding of admin/edit to groups",
        "Trivy KSV-0111, KICS 249328b8",
        (ROLE_BINDING, CLUSTER_ROLE_BINDING),
        _no_power_bindings,
    ),
    Rule(
        "k8s-pod-security-labels",
        "namespaces enforce, audit and warn a Pod Security level at or above the floor, with a pinned version",
        "Kubernetes: Enforce Pod Security Standards with namespace labels",
        (NAMESPACE,),
        _pod_security,
    ),
)

STACK_RULES: tuple[StackRule, ...] = (
    StackRule(
        "k8s-namespace-guards",
        "every team namespace has a ResourceQuota, a LimitRange and a default-deny NetworkPolicy",
        "Trivy KSV-0039/0040/0038, EKS Blueprints teams",
        _namespace_guards,
    ),
)
