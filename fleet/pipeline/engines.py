"""The same shape on other engines: Pulumi Deployments and the Pulumi Kubernetes Operator.

The GitHub workflows spread the stacks over machines with a matrix (fleet.pipeline.affected).
An organisation that runs its stacks on Pulumi Deployments or on the Pulumi Kubernetes Operator
gets the same shape from here, generated from the catalog so that a new team gets its settings
by the same pull request that adds it:

- Pulumi Deployments: deployment settings per stack (`deployment_settings`), triggered per stack
  by path filters that say, in globs, what the classifier says (`path_filters`); pull-request
  previews stay off (they would run a pull request's code with the stack's credentials; the
  preview workflow keeps that gate).
- The Pulumi Kubernetes Operator: one `Stack` object per team stack, and one for the platform
  stack that every team's names as its prerequisite (`operator_stacks`).

Pure: the callers read the stack files; the facts about both engines' fields are in
docs/operator/engines.md with their sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fleet.catalog.folder import TEAM_SUFFIX, TEAMS_DIR
from fleet.catalog.location import stack_file
from fleet.catalog.naming import (
    ENVIRONMENT_LABEL,
    MANAGED_BY,
    PLATFORM_STACK_SUFFIX,
    PROJECT,
    TEAM_LABEL,
    stack_scope,
)
from fleet.pipeline.affected import DOCS_DIRS, DOCS_FILES, Environment, Environments

OPERATOR_API_VERSION = "pulumi.com/v1"
OPERATOR_KIND = "Stack"
# Where the Operator's workspace finds the Pulumi access token (a Kubernetes Secret).
TOKEN_ENV = "PULUMI_ACCESS_TOKEN"  # noqa: S105 (the variable's name, not a secret)


def _catalog_glob(environment: Environment) -> str:
    return environment.catalog if not environment.folder else f"{environment.catalog}/**"


def path_filters(stack: str, environments: Environments) -> list[str]:
    """Path filters (globs matched against the whole path of each changed file; `!` excludes) under
    which a push triggers `stack`: everything but documentation, other environments' stack files
    and catalogs, and the files of the environment's other teams (a team stack) or of all its teams
    (the platform stack), by name. What the classifier counts and globs cannot tell (a link, a
    submodule, an unused catalog file, a team added since) triggers more, never less."""
    scope = stack_scope(stack)
    own = environments[scope.environment]
    out = ["**", *(f"!{d}**" for d in DOCS_DIRS), "!*.md", *(f"!{f}" for f in sorted(DOCS_FILES))]
    for name, other in sorted(environments.items()):
        if name == scope.environment:
            continue
        out += [f"!{stack_file(name)}", f"!Pulumi.{name}.*.yaml"]
        if other.catalog != own.catalog:
            out.append(f"!{_catalog_glob(other)}")
    if own.folder and scope.kind in ("platform", "team"):
        # each team's file by name (a file named like no team changes the environment's stacks)
        out += [f"!{own.catalog}/{TEAMS_DIR}/{t}{TEAM_SUFFIX}" for t in sorted(own.teams) if t != scope.team]
    return out


def deployment_settings(stack: str, environments: Environments, repository: str, branch: str) -> dict[str, Any]:
    """The body of a stack's deployment settings (Pulumi Cloud REST API, DeploymentSettings):
    deploy the branch's commits through the GitHub integration when `path_filters` match, never
    preview pull requests. A platform or team stack's own stack file is not in the repository
    (fleet.io.stacks writes it from the environment's): a pre-run command copies it."""
    scope = stack_scope(stack)
    settings: dict[str, Any] = {
        "sourceContext": {"git": {"branch": branch}},
        "gitHub": {
            "repository": repository,
            "deployCommits": True,
            "previewPullRequests": False,
            "pullRequestTemplate": False,
            "paths": path_filters(stack, environments),
        },
        "operationContext": {"options": {"skipIntermediateDeployments": True}},
    }
    if scope.kind != "environment":
        settings["operationContext"]["preRunCommands"] = [f"cp {stack_file(scope.environment)} {stack_file(stack)}"]
    return settings


def operator_stacks(
    environment: Environment,
    stack_settings: Mapping[str, Any],
    *,
    organization: str,
    repo_url: str,
    branch: str,
    namespace: str,
    service_account: str,
    token_secret: str,
) -> list[dict[str, Any]]:
    """The environment's `Stack` objects for the Pulumi Kubernetes Operator (pulumi.com/v1), the
    platform's first: one per team stack, named after the team (the platform's `platform`, a name
    no team may take) in the environment's namespace. Each carries the reviewed stack file's ESC
    environments and config (`stack_settings`: Pulumi.<env>.yaml); a team's waits for the
    platform's (`prerequisites`); deleting an object never destroys a team's resources."""
    config = stack_settings.get("config") or {}
    esc = list(stack_settings.get("environment") or [])
    out = []
    for stack in environment.stacks():
        scope = stack_scope(stack)
        name = scope.team if scope.kind == "team" else PLATFORM_STACK_SUFFIX if scope.kind == "platform" else stack
        labels = {"app.kubernetes.io/managed-by": MANAGED_BY, ENVIRONMENT_LABEL: environment.name}
        if scope.team:
            labels[TEAM_LABEL] = scope.team
        spec: dict[str, Any] = {
            "stack": f"{organization}/{PROJECT}/{stack}",
            "projectRepo": repo_url,
            "branch": branch,
            "serviceAccountName": service_account,
            "environment": esc,
            "config": dict(config),
            "envRefs": {TOKEN_ENV: {"type": "Secret", "secret": {"name": token_secret, "key": "accessToken"}}},
            "destroyOnFinalize": False,
        }
        if scope.kind == "team":
            spec["prerequisites"] = [{"name": PLATFORM_STACK_SUFFIX}]
        out.append(
            {
                "apiVersion": OPERATOR_API_VERSION,
                "kind": OPERATOR_KIND,
                "metadata": {"name": name, "namespace": namespace, "labels": labels},
                "spec": spec,
            }
        )
    return out
