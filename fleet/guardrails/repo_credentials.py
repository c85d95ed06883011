"""Argo CD repository credentials: a GitHub App, and its installation, belong to one team.

Two teams naming the same App or installation would read each other's repositories with one
team's key; a team that names an App needs the platform's secret store to hold its key.
"""

from __future__ import annotations

from collections.abc import Iterator

from fleet.catalog.models import Catalog, present
from fleet.guardrails.base import Rule
from fleet.text.problems import Problem

OWNED = "argocd-repo-credentials-owned"

RULES: tuple[Rule, ...] = (
    Rule(
        OWNED,
        "a GitHub App and its installation serve one team's project; its key is read from the store under the team's own name",
        "argo-cd declarative-setup.md (GitHub App credentials, project-scoped repositories)",
        (),
        lambda props, settings: iter(()),
    ),
)


def check(catalog: Catalog) -> Iterator[Problem]:
    claimed: dict[tuple[str, int], str] = {}
    for t, team in present(catalog.teams):
        app = team.github_app
        if app is None:
            continue
        path = ["teams", t, "github_app"]
        if catalog.argocd.repo_credentials is None:
            yield Problem.at(
                path,
                f"needs argocd.repo_credentials.secret_store, the platform's store that holds the App's key [{OWNED}]",
            )
        for field, value in (("app_id", app.app_id), ("installation_id", app.installation_id)):
            owner = claimed.setdefault((field, value), team.name)
            if owner != team.name:
                yield Problem.at(
                    [*path, field],
                    f"{value} is team {owner}'s: a GitHub App and its installation serve one team [{OWNED}]",
                )
