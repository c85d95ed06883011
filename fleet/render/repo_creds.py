"""Argo CD's access to Git, per team, with short-lived credentials: GitHub App installation tokens.

A team with `github_app` gets, in the Argo CD namespace, one project-scoped repository
credential per repository its apps deploy from (exact URLs: a `repo-creds` template would
match by prefix, so `…/checkout` would also serve another team's `…/checkout-deploy`). Argo CD
mints an installation token from the App's private key whenever it fetches; the token expires
within the hour and reaches only the repositories the App is installed on.

Argo CD v2.12 or later is needed for the scoping to hold: from it, an Application gets the
credential of its own project for a URL (falling back only to unscoped ones); before it, the
first secret matching the URL served every project. `argocd-repo-owned` keeps two teams from
naming one repository unless the platform shares it.

The private key never passes through the catalog, the program or the Pulumi state: an
ExternalSecret (External Secrets Operator) copies it from the platform's secret store
(`argocd.repo_credentials.secret_store`) into the Secret Argo CD reads. Its key in the store is
derived from the team's name (`Names.github_app_key`), so a catalog cannot point one team's
credential at another team's key.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from fleet.apis.kubernetes import EXTERNAL_SECRET
from fleet.catalog.models import Catalog, Team
from fleet.catalog.naming import ARGOCD_SECRET_TYPE_LABEL, K8S_MANAGED_BY, MANAGED_BY, Names
from fleet.render.state import Manifest, TeamState

SECRET_TYPE_LABEL = ARGOCD_SECRET_TYPE_LABEL
SECRET_TYPE = "repository"  # noqa: S105 -- project-scoped, exact URL (see the module docstring)
KEY_FIELD = "githubAppPrivateKey"
REFRESH = "1h"  # how soon a rotated key in the store reaches Argo CD


def manifests(catalog: Catalog, team: Team, labels: dict[str, str]) -> tuple[Manifest, ...]:
    """The team's ExternalSecrets, one per repository its apps deploy from; none without a
    GitHub App or without the platform's secret store."""
    settings = catalog.argocd.repo_credentials
    if team.github_app is None or settings is None:
        return ()
    names = Names(catalog.organization, catalog.environment)
    out = []
    # Git repositories only (`type: git`): Helm repositories and OCI registries of chart sources
    # are not GitHub repositories, and a GitHub App cannot serve them.
    git_repos = {s.repo for app in team.apps for _, s in app.all_sources() if s.chart is None}
    for url in sorted(git_repos):
        name = Names.repo_credential(team.name, url)
        secret: dict[str, Any] = {
            "type": "git",
            "url": url,
            "project": Names.app_project(team.name),
            "githubAppID": str(team.github_app.app_id),
            "githubAppInstallationID": str(team.github_app.installation_id),
            # An External Secrets template: filled in the cluster from the store, never here.
            KEY_FIELD: "{{ ." + KEY_FIELD + " }}",
        }
        if settings.github_api_url is not None:
            secret["githubAppEnterpriseBaseUrl"] = settings.github_api_url
        obj = {
            "apiVersion": EXTERNAL_SECRET.api_version,
            "kind": EXTERNAL_SECRET.name,
            "metadata": {"name": name, "namespace": catalog.argocd.namespace, "labels": labels},
            "spec": {
                "refreshInterval": REFRESH,
                "secretStoreRef": {"kind": "ClusterSecretStore", "name": settings.secret_store},
                "target": {
                    "name": name,
                    "creationPolicy": "Owner",
                    "deletionPolicy": "Delete",
                    "template": {
                        "type": "Opaque",
                        "metadata": {"labels": {SECRET_TYPE_LABEL: SECRET_TYPE, K8S_MANAGED_BY: MANAGED_BY}},
                        "data": secret,
                    },
                },
                "data": [{"secretKey": KEY_FIELD, "remoteRef": {"key": names.github_app_key(team.name)}}],
            },
        }
        out.append(Manifest(obj))
    return tuple(out)


class RepoCredential(BaseModel):
    """One repository credential as the access report shows it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    team: str
    project: str  # the AppProject it serves
    repo: str
    github_app_id: int
    installation_id: int
    key: str  # "<secret store>: <key in the store>"
    secret: str  # "<namespace>/<name>" of the Secret Argo CD reads


def read_back(team: TeamState) -> list[RepoCredential]:
    """For the access report, read back from the rendered ExternalSecrets: which repository
    Argo CD reads for which project, with which GitHub App, and where the App's key lives."""
    out = []
    for manifest in team.repo_credentials:
        spec = manifest.obj["spec"]
        data = spec["target"]["template"]["data"]
        out.append(
            RepoCredential(
                team=team.name,
                project=data["project"],
                repo=data["url"],
                github_app_id=int(data["githubAppID"]),
                installation_id=int(data["githubAppInstallationID"]),
                key=f"{spec['secretStoreRef']['name']}: {spec['data'][0]['remoteRef']['key']}",
                secret=f"{manifest.namespace}/{spec['target']['name']}",
            )
        )
    return out
