"""Helm charts, Kustomize overlays and multi-source apps: every new catalog field and every
refusal, each with a failing and a passing case; what they render; the CRD referee's verdict."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from fleet.compiler import validate
from fleet.render.layers import render
from fleet.reports import diff
from fleet.text import markdown as md
from fleet.text.problems import CatalogError
from tests.conftest import BASE
from tests.crd_schemas import argocd_schema as crd_schema
from tests.crd_schemas import unknown_fields

HELM_REPO = "https://charts.acme.example/stable"
OCI = "oci://registry.acme.example/charts/"
CONFIG_REPO = "https://github.com/acme/payments-config"
Mutation = Callable[[dict[str, Any]], None]


def base() -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["argocd"]["allowed_repos"] += [HELM_REPO, OCI]
    return data


def chart_source(**extra: Any) -> dict[str, Any]:
    return {"repo": HELM_REPO, "chart": "redis", "revision": "19.6.4", **extra}


def multi(**helm: Any) -> list[dict[str, Any]]:
    return [
        {
            "repo": f"{OCI}edge",
            "chart": "ingress-gateway",
            "revision": "1.8.2",
            "helm": {"value_files": ["$config/gateway/values.yaml"], **helm},
        },
        {"repo": CONFIG_REPO, "revision": "v2.3.0", "ref": "config"},
    ]


def set_source(source: dict[str, Any]) -> Mutation:
    return lambda d: d["teams"][0]["apps"][0].update(source=source)


def set_sources(sources: list[dict[str, Any]]) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        app = d["teams"][0]["apps"][0]
        app.pop("source")
        app["sources"] = sources

    return mutate


def production(mutate: Mutation) -> Mutation:
    """deletion_protection on, every Git revision of the base pinned (argocd-revision-pinned)."""

    def both(d: dict[str, Any]) -> None:
        d["deletion_protection"] = True
        for team in d["teams"]:
            for app in team["apps"]:
                app["source"]["revision"] = "v1.0.0"
        mutate(d)

    return both


def problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        validate(data, "catalog.yaml")
    except CatalogError as err:
        return [(p.path, p.reason) for p in err.problems]
    return []


APP = "teams[0].apps[0]"
# (case, failing mutation, the path it names, a phrase of the reason, a passing mutation)
CASES: list[tuple[str, Mutation, str, str, Mutation]] = [
    (
        "helm chart: chart and path at once",
        set_source(chart_source(path="charts/redis")),
        f"{APP}.source",
        "not both",
        set_source(chart_source()),
    ),
    (
        "neither path nor chart",
        set_source({"repo": HELM_REPO, "revision": "1.0.0"}),
        f"{APP}.source",
        "needs path",
        set_source({"repo": "https://github.com/acme/x", "path": "deploy"}),
    ),
    (
        "chart name",
        set_source(chart_source(chart="Redis/../x")),
        f"{APP}.source.chart",
        "Helm chart name",
        set_source(chart_source(chart="redis-cluster")),
    ),
    (
        "chart repo outside the allow-list",
        set_source(chart_source(repo="https://charts.bitnami.com/bitnami")),
        f"{APP}.source.repo",
        "outside argocd.allowed_repos [argocd-repo-allow-list]",
        set_source(chart_source(repo=HELM_REPO)),
    ),
    (
        "OCI registry outside the allow-list",
        set_source(chart_source(repo="oci://registry-1.docker.io/bitnamicharts")),
        f"{APP}.source.repo",
        "outside argocd.allowed_repos [argocd-repo-allow-list]",
        set_source(chart_source(repo=f"{OCI}edge")),
    ),
    (
        "OCI registry with a wildcard",
        set_source(chart_source(repo=f"{OCI}*")),
        f"{APP}.source.repo",
        "[argocd-repo-allow-list]",
        set_source(chart_source(repo=f"{OCI}cache")),
    ),
    (
        "chart without a version",
        set_source({"repo": HELM_REPO, "chart": "redis"}),
        f"{APP}.source.revision",
        "a chart needs revision",
        set_source(chart_source()),
    ),
    (
        "chart version range in production",
        production(set_source(chart_source(revision="^19.6.0"))),
        f"{APP}.source.revision",
        "production pins an exact version (e.g. 1.4.2) [argocd-chart-version]",
        production(set_source(chart_source(revision="19.6.4"))),
    ),
    (
        "chart version wildcard in production",
        production(set_source(chart_source(revision="*"))),
        f"{APP}.source.revision",
        "[argocd-chart-version]",
        set_source(chart_source(revision="19.*")),  # outside production a range is allowed
    ),
    (
        "ref source on a branch in production",
        production(set_sources([multi()[0], {"repo": CONFIG_REPO, "revision": "main", "ref": "config"}])),
        f"{APP}.sources[1].revision",
        "[argocd-revision-pinned]",
        production(set_sources(multi())),  # the chart's 1.8.2 is a version, the ref's v2.3.0 a tag
    ),
    (
        "helm.release_name",
        set_source(chart_source(helm={"release_name": "Cache_1"})),
        f"{APP}.source.helm.release_name",
        "DNS label",
        set_source(chart_source(helm={"release_name": "cache"})),
    ),
    (
        "helm.release_name too long",
        set_source(chart_source(helm={"release_name": "r" * 54})),
        f"{APP}.source.helm",
        "53",
        set_source(chart_source(helm={"release_name": "r" * 53})),
    ),
    (
        "helm.value_files absolute",
        set_source(chart_source(helm={"value_files": ["/etc/values.yaml"]})),
        f"{APP}.source.helm.value_files[0]",
        "relative path inside the repository, without '..' [argocd-source-path]",
        set_source(chart_source(helm={"value_files": ["values/prod.yaml"]})),
    ),
    (
        "helm.value_files escaping with ..",
        set_source(chart_source(helm={"value_files": ["../../secrets.yaml"]})),
        f"{APP}.source.helm.value_files[0]",
        "without '..' [argocd-source-path]",
        set_source(chart_source(helm={"value_files": ["values.yaml"]})),
    ),
    (
        "helm.value_files a URL",
        set_source(chart_source(helm={"value_files": ["https://evil.example/values.yaml"]})),
        f"{APP}.source.helm.value_files[0]",
        "[argocd-source-path]",
        set_source(chart_source(helm={"value_files": ["values.yaml"]})),
    ),
    (
        "helm.value_files naming an unknown ref",
        set_sources(multi(value_files=["$other/values.yaml"])),
        f"{APP}.sources[0].helm.value_files[0]",
        "not a ref of this app's sources",
        set_sources(multi(value_files=["$config/values.yaml"])),
    ),
    (
        "helm.value_files escaping a ref",
        set_sources(multi(value_files=["$config/../../values.yaml"])),
        f"{APP}.sources[0].helm.value_files[0]",
        "without '..' [argocd-source-path]",
        set_sources(multi(value_files=["$config/gateway/values.yaml"])),
    ),
    (
        "helm.values namespaceOverride",
        set_source(chart_source(helm={"values": {"namespaceOverride": "kube-system"}})),
        f"{APP}.source.helm.values",
        "namespaceOverride='kube-system' moves objects out",
        set_source(chart_source(helm={"values": {"namespaceOverride": "payments"}})),
    ),
    (
        "helm.values global.namespace",
        set_source(chart_source(helm={"values": {"global": {"namespace": "search"}}})),
        f"{APP}.source.helm.values",
        "global.namespace='search' moves objects out",
        set_source(chart_source(helm={"values": {"global": {"namespace": "payments", "imageTag": "1"}}})),
    ),
    (
        "kustomize on a chart",
        set_source(chart_source(kustomize={"name_prefix": "dev-"})),
        f"{APP}.source",
        "kustomize needs path",
        set_source({"repo": "https://github.com/acme/x", "path": "overlays/dev", "kustomize": {"name_prefix": "dev-"}}),
    ),
    (
        "kustomize.images",
        set_source({"repo": "https://github.com/acme/x", "path": "o", "kustomize": {"images": ["ledger = x:1"]}}),
        f"{APP}.source.kustomize.images[0]",
        "Kustomize image override",
        set_source(
            {"repo": "https://github.com/acme/x", "path": "o", "kustomize": {"images": ["ledger=r.example/l:1.4"]}}
        ),
    ),
    (
        "kustomize.name_prefix",
        set_source({"repo": "https://github.com/acme/x", "path": "o", "kustomize": {"name_prefix": "Dev_"}}),
        f"{APP}.source.kustomize.name_prefix",
        "name prefix",
        set_source({"repo": "https://github.com/acme/x", "path": "o", "kustomize": {"name_prefix": "dev-"}}),
    ),
    (
        "helm and kustomize at once",
        set_source({"repo": "https://github.com/acme/x", "path": "o", "helm": {}, "kustomize": {}}),
        f"{APP}.source",
        "one tool",
        set_source({"repo": "https://github.com/acme/x", "path": "o", "helm": {"value_files": ["v.yaml"]}}),
    ),
    (
        "source and sources at once",
        lambda d: d["teams"][0]["apps"][0].update(sources=multi()),
        APP,
        "exactly one of source",
        set_sources(multi()),
    ),
    (
        "ref in a single source",
        set_source({"repo": CONFIG_REPO, "path": "x", "ref": "config"}),
        APP,
        "only meaningful in sources",
        set_source({"repo": CONFIG_REPO, "path": "x"}),
    ),
    (
        "the same ref twice",
        set_sources([*multi(), {"repo": CONFIG_REPO, "revision": "main", "ref": "config"}]),
        APP,
        "same ref twice",
        set_sources([*multi(), {"repo": CONFIG_REPO, "revision": "main", "ref": "config2"}]),
    ),
    (
        "only refs",
        set_sources([{"repo": CONFIG_REPO, "ref": "config"}]),
        APP,
        "only hold refs",
        set_sources(multi()),
    ),
    (
        "ref source outside the allow-list",
        set_sources([multi()[0], {"repo": "https://github.com/evil/config", "ref": "config"}]),
        f"{APP}.sources[1].repo",
        "outside argocd.allowed_repos",
        set_sources(multi()),
    ),
    (
        "ref name",
        set_sources([multi()[0], {"repo": CONFIG_REPO, "ref": "con fig"}]),
        f"{APP}.sources[1].ref",
        "ref name",
        set_sources(multi()),
    ),
]


@pytest.mark.parametrize(("mutate", "path", "phrase", "passing"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_field_and_refusal_fails_and_passes(mutate: Mutation, path: str, phrase: str, passing: Mutation) -> None:
    bad = base()
    mutate(bad)
    found = problems(bad)
    assert any(p == path and phrase in r for p, r in found), found
    good = base()
    passing(good)
    assert problems(good) == []


# --- what they render -----------------------------------------------------------------------
def rendered(mutate: Mutation) -> tuple[dict[str, Any], dict[str, Any]]:
    data = base()
    mutate(data)
    state = render(validate(data, "catalog.yaml"))
    team = state.teams[0]
    return team.apps[0].applications[0].obj, team.project.obj


def test_helm_chart_renders_argo_cd_fields() -> None:
    helm = {"release_name": "cache", "value_files": ["values-prod.yaml"], "values": {"auth": {"enabled": True}}}
    app, project = rendered(set_source(chart_source(helm=helm)))
    assert app["spec"]["source"] == {
        "repoURL": HELM_REPO,
        "chart": "redis",
        "targetRevision": "19.6.4",
        "helm": {
            "releaseName": "cache",
            "valueFiles": ["values-prod.yaml"],
            "valuesObject": {"auth": {"enabled": True}},
        },
    }
    assert "path" not in app["spec"]["source"]
    assert HELM_REPO in project["spec"]["sourceRepos"]


def test_kustomize_renders_images_and_name_prefix() -> None:
    kustomize = {"images": ["ledger=r.example/ledger:1.4"], "name_prefix": "dev-"}
    app, _ = rendered(set_source({"repo": "https://github.com/acme/x", "path": "o", "kustomize": kustomize}))
    assert app["spec"]["source"]["kustomize"] == {"images": ["ledger=r.example/ledger:1.4"], "namePrefix": "dev-"}


def test_multi_source_renders_sources_with_ref_and_every_repo_in_the_project() -> None:
    app, project = rendered(set_sources(multi()))
    assert "source" not in app["spec"]
    chart, ref = app["spec"]["sources"]
    assert chart["chart"] == "ingress-gateway"
    assert chart["helm"]["valueFiles"] == ["$config/gateway/values.yaml"]
    assert ref == {"repoURL": CONFIG_REPO, "targetRevision": "v2.3.0", "ref": "config"}
    repos = project["spec"]["sourceRepos"]
    assert f"{OCI}edge" in repos
    assert CONFIG_REPO in repos
    assert not any("*" in r for r in repos)


def test_shipped_catalogs_have_a_helm_app_and_a_multi_source_app() -> None:
    from fleet.compiler import load
    from tests.conftest import STACKS

    for path in STACKS:
        apps = [a.applications[0].obj["spec"] for t in render(load(path)).teams for a in t.apps]
        assert any(s.get("source", {}).get("chart") for s in apps), path
        assert any(any(x.get("ref") for x in s.get("sources", [])) for s in apps), path


# --- the referee: Argo CD's own CRD ---------------------------------------------------------
@pytest.mark.parametrize(
    "mutate",
    [
        set_source(chart_source(helm={"release_name": "c", "value_files": ["v.yaml"], "values": {"a": {"b": 1}}})),
        set_source(
            {"repo": "https://github.com/acme/x", "path": "o", "kustomize": {"images": ["a=b:1"], "name_prefix": "p-"}}
        ),
        set_sources(multi(values={"replicaCount": 2})),
    ],
    ids=["helm", "kustomize", "multi-source"],
)
def test_rendered_applications_pass_the_crd(mutate: Mutation) -> None:
    app, project = rendered(mutate)
    for obj in (app, project):
        schema = crd_schema(obj["kind"])
        jsonschema.validate(obj, schema)
        assert unknown_fields(obj, schema) == []


def test_the_crd_referee_catches_misspelt_source_fields() -> None:
    app, _ = rendered(set_sources(multi()))
    schema = crd_schema("Application")
    typo = copy.deepcopy(app)
    typo["spec"]["sources"][0]["helm"]["valueFile"] = ["x.yaml"]
    assert unknown_fields(typo, schema) == [".spec.sources[0].helm.valueFile"]
    wrong = copy.deepcopy(app)
    wrong["spec"]["sources"][0]["helm"]["valueFiles"] = "x.yaml"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, schema)


# --- fleet diff: chart versions as old -> new -------------------------------------------------
def test_diff_shows_chart_version_old_to_new() -> None:
    before, after = base(), base()
    set_sources(multi())(before)
    newer = multi()
    newer[0]["revision"] = "1.9.0"
    set_sources(newer)(after)
    result = diff.compute(
        (validate(before, "a"), render(validate(before, "a"))),
        (validate(after, "b"), render(validate(after, "b"))),
        "base",
        "head",
    )
    (change,) = result.layers["argocd"].changed
    assert change.versions == [f"chart ingress-gateway ({OCI}edge): 1.8.2 → 1.9.0"]
    # the comment escapes Markdown; what a reader sees is the same text
    assert md.text(f"chart ingress-gateway ({OCI}edge): 1.8.2 → 1.9.0") in diff.markdown(result)


def test_diff_names_no_chart_version_when_only_a_git_revision_moves() -> None:
    before, after = base(), base()
    set_sources(multi())(before)
    newer = multi()
    newer[1]["revision"] = "v2.4.0"
    set_sources(newer)(after)
    result = diff.compute(
        (validate(before, "a"), render(validate(before, "a"))),
        (validate(after, "b"), render(validate(after, "b"))),
        "base",
        "head",
    )
    (change,) = result.layers["argocd"].changed
    assert change.versions == []
    assert change.fields == ["spec.sources"]


# --- Helm repositories served at a host root --------------------------------------------------
JETSTACK = "https://charts.jetstack.io"


def with_allowed(*entries: str) -> Mutation:
    return lambda d: d["argocd"].update(allowed_repos=[*d["argocd"]["allowed_repos"], *entries])


def both(*mutations: Mutation) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        for m in mutations:
            m(d)

    return mutate


def test_a_host_root_helm_repository_named_exactly_is_accepted_and_rendered() -> None:
    mutate = both(with_allowed(JETSTACK), set_source({"repo": JETSTACK, "chart": "cert-manager", "revision": "1.16.2"}))
    data = base()
    mutate(data)
    assert problems(data) == []
    app, project = rendered(mutate)
    assert app["spec"]["source"]["repoURL"] == JETSTACK
    assert JETSTACK in project["spec"]["sourceRepos"]
    for obj in (app, project):
        jsonschema.validate(obj, crd_schema(obj["kind"]))
    # the policy pack, configured with the same allow-list, accepts the project
    from tests.test_guardrails import pack_resource_violations

    config = {"argocd-project-sources": {"allowedRepos": [*BASE["argocd"]["allowed_repos"], JETSTACK]}}
    assert pack_resource_violations("argocd-project-sources", PROJECT_TYPE, project, config) == []


PROJECT_TYPE = "kubernetes:argoproj.io/v1alpha1:AppProject"


@pytest.mark.parametrize(
    ("mutate", "path", "phrase"),
    [
        # the same host as a prefix: every repository on it, Git ones included
        (with_allowed(f"{JETSTACK}/"), "argocd.allowed_repos[3]", "allows a whole host"),
        (with_allowed("https://github.com"), None, None),  # exact: allows only that URL, which no source uses
        (with_allowed("git@github.com:"), "argocd.allowed_repos[3]", "allows a whole host"),
        # allowed exactly, but a Git source there: a Git repository is never a host root
        (
            both(with_allowed(JETSTACK), set_source({"repo": JETSTACK, "path": "deploy"})),
            f"{APP}.source.repo",
            "only a Helm repository",
        ),
        # the exact entry is no prefix: a Git repository on the same host is outside the allow-list
        (
            both(with_allowed(JETSTACK), set_source({"repo": f"{JETSTACK}/acme/deploy", "path": "o"})),
            f"{APP}.source.repo",
            "outside argocd.allowed_repos",
        ),
        # not allow-listed at all
        (
            set_source({"repo": JETSTACK, "chart": "cert-manager", "revision": "1.16.2"}),
            f"{APP}.source.repo",
            "outside argocd.allowed_repos",
        ),
        # with a trailing '/', the source names the host as a prefix would: not the exact entry
        (
            both(
                with_allowed(JETSTACK), set_source({"repo": f"{JETSTACK}/", "chart": "cert-manager", "revision": "1"})
            ),
            f"{APP}.source.repo",
            "outside argocd.allowed_repos",
        ),
    ],
    ids=[
        "host-prefix",
        "exact-host-is-harmless",
        "ssh-host",
        "git-source-at-root",
        "git-under-root",
        "unlisted",
        "slash",
    ],
)
def test_a_host_is_never_a_prefix_and_a_host_root_serves_only_charts(
    mutate: Mutation, path: str | None, phrase: str | None
) -> None:
    data = base()
    mutate(data)
    found = problems(data)
    if path is None:
        assert found == []
        return
    assert len(found) == 1, found
    assert found[0][0] == path
    assert phrase in found[0][1]
    assert "[argocd-repo-allow-list]" in found[0][1]
