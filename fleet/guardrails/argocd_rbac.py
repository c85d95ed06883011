"""Argo CD's global RBAC (argocd-rbac-cm): deny by default, and no team group reaching across projects.

Lines read as Argo CD reads them (quotes honoured), glob matching, no Casbin: the policy pack's environment has neither the
`casbin` package nor the vendored model. The report side (`fleet.reports.argocd_policy`) evaluates the
same policy with Casbin and Argo CD's model; a test proves the two agree on the built-in roles.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from fleet.apis.argocd import POLICY_CSV, POLICY_DEFAULT, glob_match, policy_lines
from fleet.apis.pulumi_types import any_version
from fleet.catalog.naming import ARGOCD_RBAC_CONFIGMAP
from fleet.guardrails.base import Rule, Settings, StackResource, StackRule, as_list, metadata, spec

CONFIGMAP_TYPES = (any_version("", "ConfigMap"),)
DEFAULT_DENY = "argocd-rbac-default-deny"
NO_CROSS_PROJECT = "argocd-rbac-no-cross-project"
# Resources Argo CD checks against `<project>/<object>`; a grant on them with a glob project
# reaches every team's applications (or their logs, or a shell in their pods).
PROJECT_RESOURCES = ("applications", "applicationsets", "logs", "exec")
# What Argo CD's built-in roles grant on project resources (fleet/apis/data/argocd-rbac/builtin-policy.csv;
# a test keeps this in step with the vendored file): both reach every project.
BUILTIN_PROJECT_GRANTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "role:readonly": (("applications", "get", "*/*"), ("applicationsets", "get", "*/*"), ("logs", "get", "*/*")),
    "role:admin": (
        ("applications", "*", "*/*"),
        ("applicationsets", "*", "*/*"),
        ("exec", "*", "*/*"),
        ("logs", "get", "*/*"),
    ),
}
BUILTIN_ROLE_LINKS = (("role:admin", "role:readonly"),)


def _roles_of(subject: str, links: Sequence[tuple[str, str]]) -> set[str]:
    """Every role `subject` holds through `g` lines, transitively, itself included."""
    held, todo = {subject}, [subject]
    while todo:
        current = todo.pop()
        for member, role in links:
            if member == current and role not in held:
                held.add(role)
                todo.append(role)
    return held


# Argo CD's global resources (not `<project>/<object>`): a team reaches them only through its
# AppProject, never through policy.csv.
GLOBAL_RESOURCES = ("projects", "clusters", "repositories", "write-repositories", "accounts", "certificates", "gpgkeys")


def cross_project_grants(csv: str, group: str, own_project: str | None = None) -> Iterator[str]:
    """Allow rules of `policy.csv` (and the built-in roles it assigns) that give `group` a
    project resource in every project (a glob project part), in a project other than
    `own_project` (when known), or a global resource (projects, clusters, repositories, …), as
    readable text. The policy is read as Argo CD reads it (`policy_lines`: quotes honoured)."""
    lines = policy_lines(csv)
    links = [(p[1], p[2]) for p in lines if len(p) >= 3 and p[0] == "g"] + list(BUILTIN_ROLE_LINKS)
    held = _roles_of(group, links)
    grants = [(p[1], p[2], p[3], p[4]) for p in lines if len(p) >= 5 and p[0] == "p" and (len(p) < 6 or p[5] != "deny")]
    grants += [(role, res, act, obj) for role, rules in BUILTIN_PROJECT_GRANTS.items() for res, act, obj in rules]
    for subject, resource, action, obj in grants:
        if subject not in held:
            continue
        via = "" if subject == group else f" through {subject}"
        builtin = subject in BUILTIN_PROJECT_GRANTS
        if not builtin and any(glob_match(resource, r) or glob_match(r, resource) for r in GLOBAL_RESOURCES):
            yield f"{resource} {action} on {obj}{via} (a global resource)"
            continue
        if not any(glob_match(r, resource) for r in PROJECT_RESOURCES):
            continue
        project = obj.split("/", 1)[0]
        if any(c in project for c in "*?[{") or obj == "*":
            yield f"{resource} {action} on {obj}{via}"
        elif own_project is not None and project != own_project:
            yield f"{resource} {action} on {obj}{via} (project {project!r}, not {own_project!r})"


def _is_rbac_configmap(props: Mapping[str, Any]) -> bool:
    return str(metadata(props).get("name", "")) == ARGOCD_RBAC_CONFIGMAP


def _data(props: Mapping[str, Any]) -> Mapping[str, Any]:
    data = props.get("data")
    return data if isinstance(data, Mapping) else {}


def default_problem(value: str) -> str | None:
    if value.strip():
        return (
            f"policy.default {value.strip()!r} grants every logged-in user that role in every project; "
            "leave it empty (deny) and grant through AppProject roles"
        )
    return None


def _default_deny(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    if not _is_rbac_configmap(props):
        return
    data = _data(props)
    if POLICY_DEFAULT not in data:
        return  # a patch that leaves it alone, or an install without one: deny
    if (problem := default_problem(str(data[POLICY_DEFAULT]))) is not None:
        yield problem


def _cross_project(resources: Sequence[StackResource], _: Settings) -> Iterator[tuple[StackResource, str]]:
    projects: dict[str, str] = {}  # team group -> its project
    for r in resources:
        if not r.type.endswith(":AppProject"):
            continue
        for role in as_list(spec(r.props).get("roles")):
            if isinstance(role, Mapping):
                for group in as_list(role.get("groups")):
                    projects.setdefault(str(group), str(metadata(r.props).get("name", "")))
    team_groups = sorted(projects)
    for r in resources:
        if not (r.type.startswith("kubernetes:core/") and ":ConfigMap" in r.type) or not _is_rbac_configmap(r.props):
            continue
        csv = str(_data(r.props).get(POLICY_CSV, ""))
        for group in team_groups:
            for grant in cross_project_grants(csv, group, projects[group] or None):
                yield (
                    r,
                    f"data.policy.csv gives team group {group} {grant}: every team's applications; teams get Argo CD access through their own AppProject only",
                )


RULES: tuple[Rule, ...] = (
    Rule(
        DEFAULT_DENY,
        "argocd-rbac-cm's policy.default is empty: nobody gets a role just by logging in",
        "argo-cd rbac.md (policy.default applies to every authenticated user)",
        CONFIGMAP_TYPES,
        _default_deny,
    ),
)

STACK_RULES: tuple[StackRule, ...] = (
    StackRule(
        NO_CROSS_PROJECT,
        "argocd-rbac-cm's policy.csv gives no team group a project resource in every project",
        "argo-cd rbac.md, builtin-policy.csv (role:readonly and role:admin reach */*)",
        _cross_project,
    ),
)
