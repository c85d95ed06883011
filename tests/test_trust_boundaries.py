"""A hostile team member's attempts, table-driven: each refused naming the field and the rule id,
and a legitimate neighbour of each accepted (issue 9: namespaces, IAM, repository URLs)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from fleet.guardrails import reserved
from fleet.load import validate
from fleet.problems import CatalogError
from tests.conftest import BASE
from tests.test_guardrails import pack_resource_violations

Mutation = Callable[[dict[str, Any]], Any]
PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"


def team(d: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return d["teams"][index]


def source(d: dict[str, Any]) -> dict[str, Any]:
    return d["teams"][0]["apps"][0]["source"]


def claim(name: str) -> Mutation:
    return lambda d: team(d).update(namespaces=[{"name": "payments"}, {"name": name}])


def ingress_from(*names: str) -> Mutation:
    return lambda d: d.update(defaults={"network": {"ingress_from_namespaces": list(names)}})


def repo(url: str) -> Mutation:
    return lambda d: source(d).update(repo=url)


def allow(*entries: str) -> Mutation:
    return lambda d: d["argocd"].update(allowed_repos=list(entries))


def both(*mutations: Mutation) -> Mutation:
    return lambda d: [m(d) for m in mutations]


def problems(mutate: Mutation) -> list[str]:
    data = copy.deepcopy(BASE)
    mutate(data)
    try:
        validate(data, "catalog.yaml")
    except CatalogError as err:
        return err.lines()
    return []


# --- 1. platform namespaces are never a team's ------------------------------------------------
ADDON_CLAIMS = [
    "ingress-nginx",
    "cert-manager",
    "external-secrets",
    "karpenter",
    "monitoring",
    "amazon-cloudwatch",
    "kyverno",
    "gatekeeper-system",
    "istio-system",
    "linkerd",
    "flux-system",
    # families: prefixes and the -system suffix
    "linkerd-viz",
    "istio-ingress",
    "calico-apiserver",
    "crossplane-system",
    "aws-observability",
    "kube-flannel",
    "argocd",
    "default",
]

# (attack, mutation, field path, rule id)
ATTACKS: list[tuple[str, Mutation, str, str]] = [
    *[(f"claims {n}", claim(n), "teams[0].namespaces[1].name", "k8s-reserved-namespace") for n in ADDON_CLAIMS],
    (
        "claims a namespace the catalog reserves",
        both(lambda d: d["cluster"].update(reserved_namespaces=["edge-proxy"]), claim("edge-proxy")),
        "teams[0].namespaces[1].name",
        "k8s-reserved-namespace",
    ),
    (
        "claims the Argo CD namespace when it is not called argocd",
        both(lambda d: d["argocd"].update(namespace="gitops"), claim("gitops")),
        "teams[0].namespaces[1].name",
        "k8s-reserved-namespace",
    ),
    (
        "trusts another team's namespace",
        ingress_from("search"),
        "defaults.network.ingress_from_namespaces[0]",
        "k8s-network-trusts-reserved",
    ),
    (
        "trusts a name nobody owns yet (a later team could claim it)",
        ingress_from("ingress-nginx", "edge"),
        "defaults.network.ingress_from_namespaces[1]",
        "k8s-network-trusts-reserved",
    ),
    (
        "a namespace's own network opens to another team",
        lambda d: team(d).update(namespaces=[{"name": "payments", "network": {"ingress_from_namespaces": ["search"]}}]),
        "teams[0].namespaces[0].network.ingress_from_namespaces[0]",
        "k8s-network-trusts-reserved",
    ),
    # --- 4. repository URLs cannot become Argo CD globs ------------------------------------------
    *[
        (f"repo with {c!r}", repo(f"https://github.com/acme/check{c}out"), "teams[0].apps[0].source.repo", rule)
        for c, rule in [(c, "argocd-repo-allow-list") for c in "*?[]{}!"]
    ],
    *[
        (f"repo with {e}", repo(f"https://github.com/acme/checkout{e}"), "teams[0].apps[0].source.repo", rule)
        for e, rule in [
            (e, "argocd-repo-allow-list") for e in ("%2A", "%2a", "%3F", "%5B", "%5D", "%7B", "%7D", "%21", "%252A")
        ]
    ],
    (
        "brace alternatives reaching another organization",
        repo("https://github.com/{acme,evil}/deploy"),
        "teams[0].apps[0].source.repo",
        "argocd-repo-allow-list",
    ),
    (
        "negated class in an ssh URL",
        repo("git@github.com:acme/[!a]x"),
        "teams[0].apps[0].source.repo",
        "argocd-repo-allow-list",
    ),
    *[
        (f"allow-list entry with {c!r}", allow(f"https://github.com/acme{c}/"), "argocd.allowed_repos[0]", rule)
        for c, rule in [(c, "argocd-repo-allow-list") for c in ("*", "?", "[a]", "{a,b}", "!", "%2A", "%257B")]
    ],
]

# Each legitimate neighbour of an attack above is accepted.
NEIGHBOURS: list[tuple[str, Mutation]] = [
    ("a team namespace that only starts like an add-on", claim("monitoring-payments")),
    ("a team namespace ending in -systems", claim("payments-systems")),
    ("a team namespace with ingress inside its name", claim("payments-ingress")),
    ("trusts the ingress controller", ingress_from("ingress-nginx")),
    ("trusts kube-system and the monitoring namespace", ingress_from("kube-system", "monitoring")),
    (
        "trusts a namespace the catalog reserves",
        both(lambda d: d["cluster"].update(reserved_namespaces=["edge-proxy"]), ingress_from("edge-proxy")),
    ),
    ("repo with a .git suffix", repo("https://github.com/acme/checkout-deploy.git")),
    (
        "exact allow-list entries",
        allow("https://github.com/acme/checkout-deploy", "https://github.com/acme/search-deploy"),
    ),
    (
        "an ssh repo inside an ssh prefix",
        both(allow("git@github.com:acme/", "https://github.com/acme/"), repo("git@github.com:acme/checkout")),
    ),
]


@pytest.mark.parametrize(("mutate", "path", "rule"), [a[1:] for a in ATTACKS], ids=[a[0] for a in ATTACKS])
def test_attack_is_refused_naming_field_and_rule(mutate: Mutation, path: str, rule: str) -> None:
    lines = problems(mutate)
    assert any(f": {path}: " in line and f"[{rule}]" in line for line in lines), lines


@pytest.mark.parametrize("mutate", [n[1] for n in NEIGHBOURS], ids=[n[0] for n in NEIGHBOURS])
def test_legitimate_neighbour_is_accepted(mutate: Mutation) -> None:
    assert problems(mutate) == []


def test_every_built_in_reserved_namespace_is_refused_and_trusted() -> None:
    """The whole default list, not a sample: each is refused as a team namespace and accepted
    as a trusted ingress namespace."""
    for name in sorted(reserved.ADDON_NAMESPACES | reserved.CLUSTER_NAMESPACES):
        assert any("[k8s-reserved-namespace]" in line for line in problems(claim(name))), name
        assert problems(ingress_from(name)) == [], name


# --- the same findings through the policy pack ------------------------------------------------
def _project(destination: str = "team", repos: tuple[str, ...] = ("https://github.com/acme/team-deploy",)) -> dict:
    return {
        "metadata": {"name": "team", "namespace": "argocd"},
        "spec": {
            "sourceRepos": list(repos),
            "destinations": [{"server": "https://kubernetes.default.svc", "namespace": destination}],
        },
    }


SETTINGS = {"allowedRepos": ["https://github.com/acme/"], "argocdNamespace": "argocd"}


@pytest.mark.parametrize(
    "namespace", ["ingress-nginx", "cert-manager", "linkerd-viz", "crossplane-system", "amazon-guardduty"]
)
def test_pack_refuses_projects_deploying_into_platform_namespaces(namespace: str) -> None:
    found = pack_resource_violations("argocd-project-destinations", PROJECT, _project(namespace), SETTINGS)
    assert any("reserved" in m for m in found), found
    assert pack_resource_violations("argocd-project-destinations", PROJECT, _project("payments"), SETTINGS) == []


def test_pack_reads_reserved_namespaces_from_config() -> None:
    config = {**SETTINGS, "reservedNamespaces": ["edge-proxy"]}
    assert pack_resource_violations("argocd-project-destinations", PROJECT, _project("edge-proxy"), config)
    assert pack_resource_violations("argocd-project-destinations", PROJECT, _project("edge-proxy"), SETTINGS) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme/{a,b}",
        "https://github.com/acme/[ab]x",
        "https://github.com/acme/x%2A",
        "https://github.com/acme/%7Ba%2Cb%7D",
        "https://github.com/acme/!x",
    ],
)
def test_pack_refuses_glob_source_repos(url: str) -> None:
    assert pack_resource_violations("argocd-project-sources", PROJECT, _project(repos=(url,)), SETTINGS)
    assert pack_resource_violations("argocd-project-sources", PROJECT, _project(), SETTINGS) == []
