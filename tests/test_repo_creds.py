"""Argo CD's per-team Git credentials: GitHub App installation tokens, project-scoped, exact
repositories, the key only in the platform's secret store. Rendered, validated (the ExternalSecret
against schemas/external-secret.v1.schema.json, the Secret it produces with kubernetes-validate),
judged by the guardrails and shown in the access report."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from fleet.catalog.naming import Names
from fleet.compiler import load_state, state_from_text
from fleet.render import repo_creds
from fleet.reports import access
from fleet.text.problems import CatalogError
from tests.conftest import BASE, ROOT

SCHEMA = json.loads((ROOT / "schemas" / "external-secret.v1.schema.json").read_text())
ARGOCD_REPOSITORY_FIELDS = {  # Argo CD's repository secret (declarative-setup.md)
    "type",
    "url",
    "project",
    "githubAppID",
    "githubAppInstallationID",
    "githubAppPrivateKey",
    "githubAppEnterpriseBaseUrl",
}


def catalog(**team_extra: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["argocd"]["repo_credentials"] = {"secret_store": "platform-secrets"}
    data["teams"][0]["github_app"] = {"app_id": 111, "installation_id": 222}
    data["teams"][0]["apps"].append(
        {"name": "ledger", "source": {"repo": "https://github.com/acme/ledger-deploy", "path": "p"}}
    )
    data["teams"][0].update(team_extra)
    return data


def render(data: dict[str, Any]) -> Any:
    return state_from_text(yaml.safe_dump(data), "catalog.yaml")


def test_one_project_scoped_credential_per_repository_of_the_team() -> None:
    parsed, state = render(catalog())
    payments, search = state.teams
    assert search.repo_credentials == ()  # no github_app: nothing
    repos = sorted({app.source.repo for app in parsed.teams[0].apps})
    assert [m.obj["spec"]["target"]["template"]["data"]["url"] for m in payments.repo_credentials] == repos
    project = payments.project.obj["spec"]["sourceRepos"]
    for manifest in payments.repo_credentials:
        data = manifest.obj["spec"]["target"]["template"]["data"]
        assert data["project"] == payments.project.name
        assert data["url"] in project  # only the team's own repositories
        assert (data["githubAppID"], data["githubAppInstallationID"]) == ("111", "222")
        assert manifest.namespace == "argocd"
        key = manifest.obj["spec"]["data"][0]["remoteRef"]["key"]
        assert key == Names("acme", "dev").github_app_key("payments")
        assert data[repo_creds.KEY_FIELD] == "{{ .githubAppPrivateKey }}"  # filled in the cluster, never here


def test_the_external_secret_and_the_secret_it_makes_are_valid() -> None:
    _, state = render(catalog())
    for manifest in state.teams[0].repo_credentials:
        jsonschema.validate(manifest.obj, SCHEMA)
        target = manifest.obj["spec"]["target"]
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": target["name"], "namespace": manifest.namespace, **target["template"]["metadata"]},
            "type": target["template"]["type"],
            "stringData": {**target["template"]["data"], repo_creds.KEY_FIELD: "-----BEGIN RSA PRIVATE KEY-----"},
        }
        kubernetes_validate.validate(secret, "1.31", strict=True)
        assert set(target["template"]["data"]) <= ARGOCD_REPOSITORY_FIELDS
        assert target["template"]["metadata"]["labels"][repo_creds.SECRET_TYPE_LABEL] == "repository"


def test_the_schema_referee_catches_a_misspelt_field() -> None:
    _, state = render(catalog())
    bad = copy.deepcopy(state.teams[0].repo_credentials[0].obj)
    bad["spec"]["secretStoreRef"]["kindd"] = "ClusterSecretStore"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)


def test_no_key_material_anywhere_in_the_plan() -> None:
    _, state = render(catalog())
    text = json.dumps([m.obj for m in state.manifests()])
    assert "PRIVATE KEY" not in text


@pytest.mark.parametrize(
    ("change", "path", "reason"),
    [
        (lambda d: d["argocd"].pop("repo_credentials"), "teams[0].github_app", "needs argocd.repo_credentials"),
        (
            lambda d: d["teams"][1].update(github_app={"app_id": 111, "installation_id": 333}),
            "teams[1].github_app.app_id",
            "team payments's",
        ),
        (
            lambda d: d["teams"][1].update(github_app={"app_id": 444, "installation_id": 222}),
            "teams[1].github_app.installation_id",
            "team payments's",
        ),
    ],
    ids=["no secret store", "another team's App", "another team's installation"],
)
def test_a_github_app_serves_one_team(change: Any, path: str, reason: str) -> None:
    data = catalog()
    change(data)
    with pytest.raises(CatalogError) as caught:
        render(data)
    assert any(
        p.path == path and reason in p.reason and "[argocd-repo-credentials-owned]" in p.reason
        for p in caught.value.problems
    )


@pytest.mark.parametrize(
    "url", ["https://github.com/acme/x{{ .githubAppPrivateKey }}", "https://github.com/acme/x{{.k}}"]
)
def test_a_template_in_a_repo_url_never_reaches_the_external_secret(url: str) -> None:
    """The ExternalSecret's data is a Go template: a catalog URL with {{ }} could read other
    keys of the store. The catalog refuses such a URL before anything is rendered."""
    data = catalog()
    data["teams"][0]["apps"][0]["source"]["repo"] = url
    with pytest.raises(CatalogError, match=r"teams\[0\]\.apps\[0\]\.source\.repo"):
        render(data)


def test_the_access_report_shows_them() -> None:
    _, state = render(catalog())
    data = access.matrix(state)
    assert [(c.project, c.repo) for c in data.repo_credentials] == [
        ("payments", "https://github.com/acme/checkout-deploy"),
        ("payments", "https://github.com/acme/ledger-deploy"),
    ]
    text = access.markdown(data)
    assert "## Argo CD repository credentials" in text
    assert "platform-secrets: acme/dev/argocd/github-app/payments" in text
    from fleet.reports import access_html, graph

    html = access_html.page(state, data, graph.mermaid(state))
    assert "<h2>Argo CD repository credentials</h2>" in html
    assert "https://github.com/acme/ledger-deploy" in html


def test_the_example_catalogs_use_them() -> None:
    for path in sorted((ROOT / "stacks").glob("*.yaml")):
        _, state = load_state(path)
        assert any(team.repo_credentials for team in state.teams), path.name
