"""Security guardrails on the catalog: each rule one pure function with an id and a reason.

They run in `fleet validate`, in `fleet plan` and in the Pulumi program before anything is
registered. Every finding names the rule id, so a reader can look it up in the README table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlparse

from fleet import iam_actions
from fleet.catalog import Catalog, Persona, Statement, present
from fleet.problems import Path, Problem

# Workloads may call sts only to learn who they are; assuming other roles is lateral movement.
ESCALATION_ACTIONS = frozenset(
    {
        "iam:PassRole",
        "sts:AssumeRole",
        "sts:AssumeRoleWithSAML",
        "sts:AssumeRoleWithWebIdentity",
        "sts:GetFederationToken",
        "sts:AssumeRoot",
    }
)
# AWS-managed policies that make a role an administrator of the account.
ADMIN_MANAGED_POLICIES = frozenset(
    {"AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "AWSOrganizationsFullAccess"}
)
RESOURCE_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):[a-z0-9-]+:[a-z0-9-]*:([0-9]{12}|aws)?:\S+$")


@dataclass(frozen=True)
class Guardrail:
    id: str
    rationale: str
    check: Callable[[Catalog], Iterator[Problem]]


def _problem(path: Path, reason: str, rule: str) -> Problem:
    return Problem.at(path, f"{reason} [{rule}]")


# --- IAM ------------------------------------------------------------------------------------
def _statement_problems(statement: Statement, path: Path) -> Iterator[Problem]:
    for i, action in enumerate(statement.actions):
        where = [*path, "actions", i]
        if action == "*" or action.endswith(":*"):
            yield _problem(
                where,
                f"{action!r} grants every action of {'every service' if action == '*' else 'the service'}; list the actions the app needs",
                "iam-no-wildcard-action",
            )
            continue
        if "*" in action or "?" in action:
            yield _problem(where, f"{action!r} is a wildcard; list the actions the app needs", "iam-no-wildcard-action")
            continue
        info = iam_actions.lookup(action)
        if info is None:
            hint = iam_actions.suggest(action)
            yield _problem(
                where,
                f"{action!r} is not a known IAM action" + (f" (did you mean {hint!r}?)" if hint else ""),
                "iam-known-actions",
            )
            continue
        if info.name in ESCALATION_ACTIONS:
            yield _problem(
                where,
                f"{info.name} lets a workload act as another principal (privilege escalation)",
                "iam-no-privilege-escalation",
            )
        elif info.access_level == iam_actions.PERMISSIONS_MANAGEMENT:
            yield _problem(
                where,
                f"{info.name} is a permissions-management action (it changes who may do what)",
                "iam-no-permissions-management",
            )
    for i, resource in enumerate(statement.resources):
        where = [*path, "resources", i]
        if resource == "*":
            scoped = [a for a in statement.actions if (info := iam_actions.lookup(a)) and info.resource_level]
            if scoped:
                yield _problem(
                    where,
                    f"resource '*' with actions that support resource-level permissions ({', '.join(sorted(scoped))}); name the ARNs",
                    "iam-no-wildcard-resource",
                )
        elif not RESOURCE_ARN.match(resource):
            yield _problem(
                where,
                f"{resource!r} is not an ARN (arn:<partition>:<service>:<region>:<account>:<resource>)",
                "iam-arn-format",
            )


def _admin_policy(arn: str) -> bool:
    return arn.split(":")[4] == "aws" and arn.rsplit("/", 1)[-1] in ADMIN_MANAGED_POLICIES


def iam_workload_policies(catalog: Catalog) -> Iterator[Problem]:
    for t, team in present(catalog.teams):
        for a, app in present(team.apps):
            if app.aws is None:
                continue
            base = ["teams", t, "apps", a, "aws"]
            for s, statement in enumerate(app.aws.statements):
                yield from _statement_problems(statement, [*base, "statements", s])
            for p, arn in enumerate(app.aws.managed_policy_arns):
                if _admin_policy(arn):
                    yield _problem(
                        [*base, "managed_policy_arns", p],
                        f"{arn} makes the workload an account administrator",
                        "iam-no-admin-policy",
                    )


def iam_human_policies(catalog: Catalog) -> Iterator[Problem]:
    for name, persona in catalog.personas.items():
        yield from _persona_policies(name, persona)


def _persona_policies(name: str, persona: Persona) -> Iterator[Problem]:
    for p, arn in enumerate(persona.aws_managed_policy_arns):
        if _admin_policy(arn):
            yield _problem(
                ["personas", name, "aws_managed_policy_arns", p],
                f"{arn} makes every member of the persona's groups an account administrator",
                "iam-no-admin-policy",
            )


# --- Kubernetes ----------------------------------------------------------------------------
def reserved_namespace_reason(namespace: str, argocd_namespace: str) -> str | None:
    if namespace == argocd_namespace:
        return f"the Argo CD namespace {namespace!r} is never a team namespace: a project that deploys there can take over Argo CD"
    if namespace.startswith("kube-") or namespace == "default":
        return f"{namespace!r} is reserved for the cluster itself"
    return None


def reserved_namespaces(catalog: Catalog) -> Iterator[Problem]:
    for t, team in present(catalog.teams):
        for n, namespace in enumerate(team.namespaces):
            reason = reserved_namespace_reason(namespace.name, catalog.argocd.namespace)
            if reason:
                yield _problem(["teams", t, "namespaces", n, "name"], reason, "k8s-reserved-namespace")


# --- Argo CD -------------------------------------------------------------------------------
def _repo_problem(repo: str) -> str | None:
    if "*" in repo or "?" in repo:
        return "repository URLs must not contain wildcards"
    return None


def _repo_path(url: str) -> str:
    """The part after the host: 'acme/' of https://github.com/acme/ or git@github.com:acme/."""
    if url.startswith("git@"):
        return url.partition(":")[2].strip("/")
    return urlparse(url).path.strip("/")


def repo_allowed(repo: str, allowed: tuple[str, ...]) -> bool:
    return any(repo == entry or (entry.endswith("/") and repo.startswith(entry)) for entry in allowed)


def allowed_repos(catalog: Catalog) -> Iterator[Problem]:
    for r, entry in enumerate(catalog.argocd.allowed_repos):
        reason = _repo_problem(entry)
        if reason:
            yield _problem(["argocd", "allowed_repos", r], reason, "argocd-repo-allow-list")
        elif not _repo_path(entry):
            yield _problem(
                ["argocd", "allowed_repos", r],
                f"{entry!r} allows a whole host; name an organization prefix such as https://github.com/acme/",
                "argocd-repo-allow-list",
            )


def app_sources(catalog: Catalog) -> Iterator[Problem]:
    for t, team in present(catalog.teams):
        for a, app in present(team.apps):
            base = ["teams", t, "apps", a, "source"]
            reason = _repo_problem(app.source.repo)
            if reason:
                yield _problem([*base, "repo"], reason, "argocd-repo-allow-list")
            elif not repo_allowed(app.source.repo, catalog.argocd.allowed_repos):
                yield _problem(
                    [*base, "repo"], f"{app.source.repo!r} is outside argocd.allowed_repos", "argocd-repo-allow-list"
                )
            path = app.source.path
            if not path or path.startswith("/") or ".." in path.split("/") or "\\" in path:
                yield _problem(
                    [*base, "path"],
                    f"{path!r} must be a relative path inside the repository, without '..'",
                    "argocd-source-path",
                )
            if any(c.isspace() for c in app.source.revision):
                yield _problem([*base, "revision"], "a revision has no spaces", "argocd-source-path")


GUARDRAILS: tuple[Guardrail, ...] = (
    Guardrail(
        "iam-workload",
        "workload roles hold only known, scoped actions and never manage permissions",
        iam_workload_policies,
    ),
    Guardrail("iam-human", "persona roles are never account administrators", iam_human_policies),
    Guardrail("k8s-reserved-namespace", "teams never own the cluster's or Argo CD's namespaces", reserved_namespaces),
    Guardrail("argocd-repo-allow-list", "allow-list entries are narrow prefixes without wildcards", allowed_repos),
    Guardrail("argocd-sources", "apps deploy only from allowed repositories and relative paths", app_sources),
)


def check(catalog: Catalog) -> list[Problem]:
    return [problem for rule in GUARDRAILS for problem in rule.check(catalog)]
