"""Persona templates: the project's own explicit Kubernetes Role rules and Argo CD policies.

The built-in aggregated ClusterRoles (admin, edit, view) grow whenever a CRD aggregates into
them, so a report could not say what they grant. These templates are written out in full:
what the access report shows is exactly what the Role holds.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fleet.apis.kubernetes import READ_VERBS

WRITE = ("create", "update", "patch", "delete", "deletecollection")
# Argo CD actions that change what runs: `override` syncs manifests that are not in Git.
ARGOCD_WRITE = ("create", "delete", "override", "update")

# (apiGroup, resources) a team reads and runs; secrets are deliberately absent.
WORKLOADS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("", ("configmaps", "persistentvolumeclaims", "pods", "services")),
    ("apps", ("daemonsets", "deployments", "replicasets", "statefulsets")),
    ("autoscaling", ("horizontalpodautoscalers",)),
    ("batch", ("cronjobs", "jobs")),
    ("networking.k8s.io", ("ingresses",)),
    ("policy", ("poddisruptionbudgets",)),
)
# Read-only for everybody: status and history, never changed by hand. Endpoints and
# EndpointSlices too: whoever writes them can point a Service at any pod IP of the cluster,
# another team's included (CVE-2021-25740); the control plane keeps them.
OBSERVE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("", ("endpoints", "events", "pods/log", "pods/status", "resourcequotas", "limitranges", "serviceaccounts")),
    ("apps", ("deployments/status", "statefulsets/status")),
    ("discovery.k8s.io", ("endpointslices",)),
    ("networking.k8s.io", ("networkpolicies",)),
)
SCALE: tuple[tuple[str, tuple[str, ...]], ...] = (("apps", ("deployments/scale", "statefulsets/scale")),)
SECRETS: tuple[tuple[str, tuple[str, ...]], ...] = (("", ("secrets",)),)
# Interactive access to a running pod reveals whatever the pod can read, secrets included.
INTERACTIVE: tuple[tuple[str, tuple[str, ...]], ...] = (("", ("pods/exec", "pods/attach", "pods/portforward")),)

Rule = tuple[tuple[str, tuple[str, ...]], tuple[str, ...]]


def _rules_for(level: str) -> list[Rule]:
    view: list[Rule] = [(group_resources, READ_VERBS) for group_resources in (*WORKLOADS, *OBSERVE)]
    if level == "view":
        return view
    edit = [*view, *[(gr, WRITE) for gr in WORKLOADS], *[(gr, ("get", "patch", "update")) for gr in SCALE]]
    if level == "edit":
        return edit
    if level == "admin":
        return [*edit, *[(gr, READ_VERBS + WRITE) for gr in SECRETS], *[(gr, ("create", "get")) for gr in INTERACTIVE]]
    raise ValueError(f"unknown persona level {level!r}")


@cache
def _merged(level: str) -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
    merged: dict[tuple[str, tuple[str, ...]], set[str]] = {}
    for (group, resources), verbs in _rules_for(level):
        merged.setdefault((group, tuple(sorted(verbs))), set()).update(resources)
    return tuple((group, tuple(sorted(resources)), verbs) for (group, verbs), resources in sorted(merged.items()))


def role_rules(level: str) -> list[dict[str, Any]]:
    """Kubernetes PolicyRules for a persona level, merged per (apiGroup, verbs) and sorted.
    A fresh list each call: every Role owns its rules."""
    return [
        {"apiGroups": [group], "resources": list(resources), "verbs": list(verbs)}
        for group, resources, verbs in _merged(level)
    ]


def argocd_policies(subject: str, project: str, actions: tuple[str, ...]) -> list[str]:
    """Casbin lines of an AppProject role, every one scoped to `<project>/*`."""
    lines = []
    for action in sorted(set(actions)):
        verb = "action/*" if action == "action" else action
        lines.append(f"p, {subject}, applications, {verb}, {project}/*, allow")
    if "get" in actions:
        lines.append(f"p, {subject}, logs, get, {project}/*, allow")
    return lines
