"""Trust boundaries, round 3 (issue 21): what belongs to a team follows from ownership, not from a
list of bad names. Per class: the attempt, the rule id and field path it must produce, and a
legitimate neighbour that must pass; then the same through the policy pack and the program."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from fleet.catalog import tenancy
from fleet.compiler import load_state, validate
from fleet.pipeline import gate
from fleet.render import boundaries
from fleet.render.layers import render
from fleet.text.problems import CatalogError
from tests.conftest import BASE, ROOT, catalog_path
from tests.pulumi_harness import run_program
from tests.test_guardrails import pack_resource_violations, pack_stack_violations

Mutation = Callable[[dict[str, Any]], Any]
NAMESPACE = "kubernetes:core/v1:Namespace"
PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
TEAM_LABEL = "app-of-apps.io/team"


def team(d: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return d["teams"][index]


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


def refused(lines: list[str], path: str, rule: str) -> bool:
    return any(f": {path}: " in line and f"[{rule}]" in line for line in lines)


# --- 1. team namespaces by ownership ----------------------------------------------------------
def claim(*names: str, index: int = 0) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        own = team(d, index)["name"]
        team(d, index)["namespaces"] = [{"name": own}, *({"name": n} for n in names)]

    return mutate


def grant(**grants: str) -> Mutation:
    return lambda d: d["cluster"].update(namespace_grants={k.replace("_", "-"): v for k, v in grants.items()})


def new_team(name: str) -> Mutation:
    return lambda d: d["teams"].append({"name": name, "owners": ["ops@acme.example"]})


OWNED = "k8s-namespace-ownership"
CLAIM = "teams[0].namespaces[1].name"
# Namespaces of common add-ons that no deny-list named: none carries a team's ownership.
UNLISTED_ADDONS = [
    "gpu-operator",
    "arc-runners",
    "arc-systems",
    "nginx-gateway",
    "jenkins",
    "teleport",
    "harbor",
    "sonarqube",
    "rancher-monitoring",
    "node-feature-discovery",
]

NAMESPACE_ATTACKS: list[tuple[str, Mutation, str, str]] = [
    *[(f"claims {n}", claim(n), CLAIM, OWNED) for n in UNLISTED_ADDONS],
    ("claims another team's name", claim("search"), CLAIM, OWNED),
    ("claims a namespace named as another team's", claim("search-jobs"), CLAIM, OWNED),
    ("claims a name that only starts like its own", claim("paymentsx"), CLAIM, OWNED),
    (
        "claims a namespace of a longer team name",
        both(new_team("payments-ops"), claim("payments-ops-tools")),
        CLAIM,
        OWNED,
    ),
    ("claims a namespace granted to another team", both(grant(jenkins="search"), claim("jenkins")), CLAIM, OWNED),
    ("a grant to a team that does not exist", grant(jenkins="ghost"), "cluster.namespace_grants.jenkins", OWNED),
    (
        "a grant of a name that is another team's",
        grant(search_tools="payments"),
        "cluster.namespace_grants.search-tools",
        OWNED,
    ),
    (
        "a grant of a platform namespace",
        grant(kube_system="payments"),
        "cluster.namespace_grants.kube-system",
        "k8s-reserved-namespace",
    ),
    (
        "a grant of the Argo CD namespace",
        grant(argocd="payments"),
        "cluster.namespace_grants.argocd",
        "k8s-reserved-namespace",
    ),
]

NAMESPACE_NEIGHBOURS: list[tuple[str, Mutation]] = [
    ("its own name and prefix", claim("payments-jobs", "payments-gpu-operator")),
    ("an add-on name after its own prefix", claim("payments-jenkins")),
    ("a namespace the platform grants it", both(grant(jenkins="payments"), claim("jenkins"))),
    ("a longer team beside it does not take its other names", both(new_team("payments-ops"), claim("payments-tools"))),
    ("the longer team's own namespace", both(new_team("payments-ops"), claim("payments-ops-tools", index=2))),
]


@pytest.mark.parametrize(
    ("mutate", "path", "rule"), [a[1:] for a in NAMESPACE_ATTACKS], ids=[a[0] for a in NAMESPACE_ATTACKS]
)
def test_namespace_attempt_is_refused(mutate: Mutation, path: str, rule: str) -> None:
    lines = problems(mutate)
    assert refused(lines, path, rule), lines


@pytest.mark.parametrize("mutate", [n[1] for n in NAMESPACE_NEIGHBOURS], ids=[n[0] for n in NAMESPACE_NEIGHBOURS])
def test_namespace_neighbour_is_accepted(mutate: Mutation) -> None:
    assert problems(mutate) == []


def test_ownership_is_the_longest_team_name_or_the_grant() -> None:
    teams = ["a", "a-b", "c"]
    assert tenancy.namespace_owner("a-b-c", teams, {}) == "a-b"
    assert tenancy.namespace_owner("a-bc", teams, {}) == "a"
    assert tenancy.namespace_owner("ab", teams, {}) is None
    assert tenancy.namespace_owner("jenkins", teams, {"jenkins": "c"}) == "c"
    assert tenancy.namespace_owner("a-b", teams, {"a-b": "c"}) == "c"


# The same judgement on rendered objects and any stack's, through the pack.
def _namespace(name: str, owner: str) -> dict[str, Any]:
    levels = {
        f"pod-security.kubernetes.io/{m}{s}": v
        for m in ("enforce", "audit", "warn")
        for s, v in (("", "restricted"), ("-version", "v1.31"))
    }
    return {"metadata": {"name": name, "labels": {**levels, TEAM_LABEL: owner}}}


def _project(name: str, *namespaces: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {
            "sourceRepos": [f"https://github.com/acme/{name}-deploy"],
            "destinations": [{"server": "https://kubernetes.default.svc", "namespace": n} for n in namespaces],
        },
    }


def _application(project: str, namespace: str) -> dict[str, Any]:
    return {
        "metadata": {"name": f"{project}-app", "namespace": "argocd"},
        "spec": {
            "project": project,
            "source": {"repoURL": f"https://github.com/acme/{project}-deploy", "path": "p", "targetRevision": "v1"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
        },
    }


GRANTS = {"namespaceGrants": {"jenkins": "payments"}, "teams": ["payments", "payments-ops", "search"]}
# (attempt, policy, type, props, config, what the message must say)
PACK_NAMESPACE_ATTACKS = [
    ("a namespace labelled as search's", OWNED, NAMESPACE, _namespace("gpu-operator", "search"), {}, "no ownership"),
    ("another team's name", OWNED, NAMESPACE, _namespace("payments", "search"), {}, "no ownership"),
    ("a grant is the grantee's only", OWNED, NAMESPACE, _namespace("jenkins", "search"), GRANTS, "granted to team"),
    (
        "a longer team's namespace",
        OWNED,
        NAMESPACE,
        _namespace("payments-ops-x", "payments"),
        GRANTS,
        "team 'payments-ops'",
    ),
    (
        "a project reaching another team",
        "argocd-project-destinations",
        PROJECT,
        _project("search", "search", "payments"),
        {},
        "destinations[1]",
    ),
    (
        "a project reaching an add-on",
        "argocd-project-destinations",
        PROJECT,
        _project("search", "jenkins"),
        GRANTS,
        "granted to team",
    ),
]
PACK_NAMESPACE_NEIGHBOURS = [
    ("its own namespace", OWNED, NAMESPACE, _namespace("search-jobs", "search"), {}),
    ("a granted namespace", OWNED, NAMESPACE, _namespace("jenkins", "payments"), GRANTS),
    ("a namespace of no team", OWNED, NAMESPACE, {"metadata": {"name": "jenkins"}}, {}),
    (
        "a project in its namespaces",
        "argocd-project-destinations",
        PROJECT,
        _project("search", "search", "search-x"),
        {},
    ),
    ("a project in a granted one", "argocd-project-destinations", PROJECT, _project("payments", "jenkins"), GRANTS),
]


@pytest.mark.parametrize(
    ("policy", "resource_type", "props", "config", "phrase"),
    [a[1:] for a in PACK_NAMESPACE_ATTACKS],
    ids=[a[0] for a in PACK_NAMESPACE_ATTACKS],
)
def test_pack_refuses_namespaces_without_ownership(
    policy: str, resource_type: str, props: dict[str, Any], config: dict[str, Any], phrase: str
) -> None:
    found = pack_resource_violations(policy, resource_type, props, config)
    assert any(phrase in m for m in found), found


@pytest.mark.parametrize(
    ("policy", "resource_type", "props", "config"),
    [n[1:] for n in PACK_NAMESPACE_NEIGHBOURS],
    ids=[n[0] for n in PACK_NAMESPACE_NEIGHBOURS],
)
def test_pack_admits_owned_namespaces(
    policy: str, resource_type: str, props: dict[str, Any], config: dict[str, Any]
) -> None:
    assert pack_resource_violations(policy, resource_type, props, config) == []


def test_pack_refuses_applications_outside_their_projects_namespaces() -> None:
    """An Application of a project in another stack still deploys only into that project's team's."""
    policy = "argocd-application-destinations"
    found = pack_stack_violations(policy, [(APPLICATION, "a", _application("search", "payments-jobs"))], {})
    assert any("no ownership of team 'search'" in m for m, _ in found), found
    assert pack_stack_violations(policy, [(APPLICATION, "a", _application("search", "search-jobs"))], {}) == []


# The admission policy carries the same facts (its CEL is judged by the API server in tests/e2e).
def test_admission_policy_knows_the_teams_and_grants() -> None:
    data = copy.deepcopy(BASE)
    grant(jenkins="payments")(data)
    claim("jenkins")(data)
    state = render(validate(data, "catalog.yaml"))
    policy = state.cluster_objects[0].obj
    rules = policy["spec"]["matchConstraints"]["resourceRules"]
    assert {
        "apiGroups": [""],
        "apiVersions": ["*"],
        "operations": ["CREATE", "UPDATE"],
        "resources": ["namespaces"],
    } in rules
    by_message = {v["message"]: v["expression"] for v in policy["spec"]["validations"]}
    owned = by_message[boundaries.NAMESPACE_NOT_OWNED]
    assert "{'jenkins': 'payments'}" in owned
    assert "search" not in owned  # adding a team does not change the cluster-wide policy
    assert "oldObject.metadata.labels" in by_message[boundaries.NAMESPACE_ADOPTED]
    with pytest.raises(ValueError, match="cannot be written"):
        boundaries.namespace_validations(boundaries.Tenancy(namespace_grants=(("x", "a' || true || '"),)))


# The program: a project waits for its namespaces, and creating never adopts an existing object.
def test_projects_wait_for_their_namespaces_and_nothing_is_adopted() -> None:
    run = run_program("dev")
    assert run.error is None, run.error
    _, state = load_state(catalog_path("dev"))
    namespaces = {r.inputs["metadata"]["name"]: r.urn for r in run.of_type(NAMESPACE)}
    projects = {r.inputs["metadata"]["name"]: r for r in run.of_type(PROJECT)}
    assert projects
    for team_state in state.teams:
        wanted = {namespaces[n] for n in team_state.namespaces}
        assert wanted <= set(projects[team_state.name].dependencies), team_state.name
    (provider,) = run.of_type("pulumi:providers:kubernetes")
    assert provider.inputs.get("upsertExistingObjects") in (False, "false"), provider.inputs


# --- 2. repositories belong to one team ---------------------------------------------------------
def repo(url: str, index: int = 1) -> Mutation:
    return lambda d: team(d, index)["apps"][0]["source"].update(repo=url)


def ref_source(url: str, index: int = 1) -> Mutation:
    """The team's first app becomes multi-source: its chart values from `url` as `$values/…`."""

    def mutate(d: dict[str, Any]) -> None:
        app = team(d, index)["apps"][0]
        own = app.pop("source")
        app["sources"] = [
            {**own, "helm": {"value_files": ["$values/indexer.yaml"]}},
            {"repo": url, "revision": "main", "ref": "values"},
        ]

    return mutate


def share(*urls: str) -> Mutation:
    return lambda d: d["argocd"].update(shared_repos=list(urls))


def allow(*entries: str) -> Mutation:
    return lambda d: d["argocd"].update(allowed_repos=list(entries))


REPO_OWNED = "argocd-repo-owned"
SEARCH_REPO = "teams[1].apps[0].source.repo"
PAYMENTS = "https://github.com/acme/checkout-deploy"
# payments deploys from PAYMENTS (BASE); search tries to deploy from it in every spelling.
REPO_ATTACKS: list[tuple[str, Mutation, str, str]] = [
    *[
        (f"search deploys from payments' repository as {url}", repo(url), SEARCH_REPO, REPO_OWNED)
        for url in [
            PAYMENTS,
            PAYMENTS + ".git",
            PAYMENTS + "/",
            PAYMENTS + ".git/",
            "https://GitHub.com/Acme/Checkout-Deploy",
            "https://github.com:443/acme/checkout-deploy",
            "https://github.com/acme//checkout-deploy",
        ]
    ],
    (
        "search deploys from it over ssh",
        both(
            allow("https://github.com/acme/", "git@github.com:acme/"), repo("git@github.com:acme/checkout-deploy.git")
        ),
        SEARCH_REPO,
        REPO_OWNED,
    ),
    ("payments is told too", repo(PAYMENTS), "teams[0].apps[0].source.repo", REPO_OWNED),
    (
        "search reads $ref values from payments' repository",
        ref_source(PAYMENTS),
        "teams[1].apps[0].sources[1].repo",
        REPO_OWNED,
    ),
    (
        "a shared entry that shares a whole allowed prefix",
        share("https://github.com/acme/"),
        "argocd.shared_repos[0]",
        REPO_OWNED,
    ),
    ("a shared entry that shares a whole host", share("https://github.com/"), "argocd.shared_repos[0]", REPO_OWNED),
    (
        "a shared entry with a glob",
        share("https://github.com/acme/*"),
        "argocd.shared_repos[0]",
        "argocd-repo-allow-list",
    ),
    (
        "a shared entry outside the allow-list",
        share("https://github.com/evil/x"),
        "argocd.shared_repos[0]",
        "argocd-repo-allow-list",
    ),
]

REPO_NEIGHBOURS: list[tuple[str, Mutation]] = [
    ("a repository with a similar name", repo("https://github.com/acme/checkout-deploy-search")),
    ("its own repository in another spelling", repo("https://github.com/acme/Search-Deploy.git")),
    ("$ref values from its own repository", ref_source("https://github.com/acme/search-config")),
    ("a repository the platform shares", both(share(PAYMENTS), repo(PAYMENTS))),
    ("a shared repository in another spelling", both(share(PAYMENTS + ".git"), repo(PAYMENTS + "/"))),
    (
        "a shared prefix holding platform charts",
        both(
            share("https://github.com/acme/charts/"),
            repo("https://github.com/acme/charts/web", 0),
            repo("https://github.com/acme/charts/web"),
        ),
    ),
    (
        "two apps of one team from one repository",
        lambda d: team(d)["apps"].append({**team(d)["apps"][0], "name": "checkout-2", "aws": None}),
    ),
]


@pytest.mark.parametrize(("mutate", "path", "rule"), [a[1:] for a in REPO_ATTACKS], ids=[a[0] for a in REPO_ATTACKS])
def test_repository_attempt_is_refused(mutate: Mutation, path: str, rule: str) -> None:
    lines = problems(mutate)
    assert refused(lines, path, rule), lines


@pytest.mark.parametrize("mutate", [n[1] for n in REPO_NEIGHBOURS], ids=[n[0] for n in REPO_NEIGHBOURS])
def test_repository_neighbour_is_accepted(mutate: Mutation) -> None:
    assert problems(mutate) == []


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        # What Argo CD's NormalizeGitURL makes equal (case, one trailing .git, scp-like ssh) ...
        ("https://github.com/Acme/X", "https://github.com/acme/x", True),
        ("https://github.com/acme/x.git", "https://github.com/acme/x", True),
        ("git@github.com:acme/x.git", "ssh://git@github.com/acme/x", True),
        # ... and what the code host serves as the same repository though Argo CD keeps them apart.
        ("https://github.com/acme/x/", "https://github.com/acme/x", True),
        ("https://github.com/acme/x.git/", "https://github.com/acme/x", True),
        ("https://token@github.com/acme/x", "https://github.com/acme/x", True),
        ("git@github.com:acme/x", "https://github.com/acme/x", True),
        # Other repositories stay other.
        ("https://github.com/acme/x", "https://github.com/acme/x-deploy", False),
        ("https://github.com/acme/x", "https://gitlab.com/acme/x", False),
        ("https://github.com:8443/acme/x", "https://github.com/acme/x", False),
    ],
)
def test_repository_urls_compare_as_the_repository_they_name(left: str, right: str, same: bool) -> None:
    assert (tenancy.repo_key(left) == tenancy.repo_key(right)) is same


def test_only_the_owner_gets_a_credential_for_its_repository() -> None:
    """With GitHub Apps, each team's project-scoped credential is for its own repositories; a
    shared one gives each project its own credential (Argo CD ≥ 2.12 picks the Application's
    project's, falling back only to unscoped ones)."""

    def apps(d: dict[str, Any]) -> None:
        d["argocd"]["repo_credentials"] = {"secret_store": "platform-secrets"}
        for i, app_id in ((0, 11), (1, 22)):
            team(d, i)["github_app"] = {"app_id": app_id, "installation_id": app_id * 10}

    data = copy.deepcopy(BASE)
    apps(data)
    share(PAYMENTS)(data)
    repo(PAYMENTS)(data)
    state = render(validate(data, "catalog.yaml"))
    credentials = {
        (m.obj["spec"]["target"]["template"]["data"]["project"], m.obj["spec"]["target"]["template"]["data"]["url"])
        for t in state.teams
        for m in t.repo_credentials
    }
    assert credentials == {("payments", PAYMENTS), ("search", PAYMENTS)}
    assert refused(problems(lambda d: (apps(d), repo(PAYMENTS)(d))), SEARCH_REPO, REPO_OWNED)


def test_argocd_has_no_project_scoped_credentials_switch_yet() -> None:
    """Issue 21 asks for `permitOnlyProjectScopedCredentials` on every AppProject. Argo CD has no
    such field up to the vendored release (v3.6.0): the API server would prune it, and the
    project would claim a protection it does not have, so the program does not set it. What
    holds instead: since v2.12 Argo CD gives an Application the repository credential of its own
    project (or an unscoped one), never another project's; every credential this program renders
    is project-scoped; and no two teams share a repository unless the platform says so. When a
    vendored CRD gains the field, this fails: set it in fleet/render/layers.py and test it."""
    crd = yaml.safe_load((ROOT / "vendor" / "argocd" / "appproject-crd.yaml").read_text())
    (version,) = crd["spec"]["versions"]
    fields = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    assert "permitOnlyProjectScopedClusters" in fields  # the lookup reads the real schema
    assert "permitOnlyProjectScopedCredentials" not in fields
    _, state = load_state(catalog_path("dev"))
    for t in state.teams:
        assert set(t.project.obj["spec"]) <= set(fields), t.name


# --- 3. ExternalName targets and hosts ------------------------------------------------------------
def hosts(domain: str | None = "apps.acme.example", **grants: str) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        if domain:
            d["cluster"]["ingress_domain"] = domain
        d["cluster"]["host_grants"] = {k.replace("__", "*.").replace("_", "."): v for k, v in grants.items()}

    return mutate


def external(*names: str) -> Mutation:
    return lambda d: d["cluster"].update(external_names=list(names))


HOSTS = "k8s-host-ownership"
HOST_ATTACKS: list[tuple[str, Mutation, str, str]] = [
    (
        "a grant to a team that does not exist",
        hosts(shop_acme_example="ghost"),
        "cluster.host_grants.shop.acme.example",
        HOSTS,
    ),
    (
        "a grant of another team's host",
        hosts(checkout_payments_apps_acme_example="search"),
        "cluster.host_grants.checkout.payments.apps.acme.example",
        HOSTS,
    ),
    (
        "a grant of a later team's host",
        hosts(newteam_apps_acme_example="search"),
        "cluster.host_grants.newteam.apps.acme.example",
        HOSTS,
    ),
    (
        "a grant of every team's hosts",
        hosts(__apps_acme_example="search"),
        "cluster.host_grants.*.apps.acme.example",
        HOSTS,
    ),
    (
        "a grant that overlaps another team's",
        hosts(shop_acme_example="payments", __acme_example="search"),
        "cluster.host_grants.shop.acme.example",
        HOSTS,
    ),
    (
        "an in-cluster name allowed for ExternalName",
        external("checkout.payments.svc.cluster.local"),
        "cluster.external_names[0]",
        "k8s-service-boundaries",
    ),
]
HOST_NEIGHBOURS: list[tuple[str, Mutation]] = [
    ("a host granted to a team", hosts(shop_acme_example="payments")),
    (
        "a host and its subdomains granted to one team",
        hosts(shop_acme_example="payments", __shop_acme_example="payments"),
    ),
    ("two teams, two hosts", hosts(shop_acme_example="payments", find_acme_example="search")),
    ("the bare ingress domain granted", hosts(apps_acme_example="payments")),
    ("grants without an ingress domain", hosts(None, shop_acme_example="payments")),
    ("an external database", external("acme-dev-ledger.cluster-c1a2b3.eu-west-1.rds.amazonaws.com")),
]


@pytest.mark.parametrize(("mutate", "path", "rule"), [a[1:] for a in HOST_ATTACKS], ids=[a[0] for a in HOST_ATTACKS])
def test_host_attempt_is_refused(mutate: Mutation, path: str, rule: str) -> None:
    lines = problems(mutate)
    assert refused(lines, path, rule), lines


@pytest.mark.parametrize("mutate", [n[1] for n in HOST_NEIGHBOURS], ids=[n[0] for n in HOST_NEIGHBOURS])
def test_host_neighbour_is_accepted(mutate: Mutation) -> None:
    assert problems(mutate) == []


SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
TENANCY = {
    "teams": ["payments", "search"],
    "ingressDomain": "apps.acme.example",
    "hostGrants": {"shop.acme.example": "payments", "*.shop.acme.example": "payments"},
    "externalNames": ["acme-dev-ledger.cluster-c1a2b3.eu-west-1.rds.amazonaws.com"],
}


def _external(name: str, namespace: str = "search") -> dict[str, Any]:
    return {"metadata": {"name": "s", "namespace": namespace}, "spec": {"type": "ExternalName", "externalName": name}}


def _ingress(
    *rule_hosts: str | None, namespace: str = "search", tls: tuple[str, ...] = (), **spec: Any
) -> dict[str, Any]:
    rules = [{"host": h} if h is not None else {} for h in rule_hosts]
    body: dict[str, Any] = {"rules": rules, **spec}
    if tls:
        body["tls"] = [{"hosts": list(tls), "secretName": "t"}]
    return {"metadata": {"name": "i", "namespace": namespace}, "spec": body}


def _route(*hostnames: str, namespace: str = "search") -> dict[str, Any]:
    spec: dict[str, Any] = {"parentRefs": [{"name": "shared", "namespace": "gateway"}]}
    if hostnames:
        spec["hostnames"] = list(hostnames)
    return {"metadata": {"name": "r", "namespace": namespace}, "spec": spec}


# (attempt, policy, type, props, the message must say)
PACK_HOST_ATTACKS = [
    *[
        (
            f"ExternalName {name}",
            "k8s-service-boundaries",
            SERVICE,
            _external(name),
            "external host the platform allows",
        )
        for name in (
            "checkout.payments",  # a search domain completes it to checkout.payments.svc.cluster.local
            "10-0-0-5.payments.pod",
            "pod-ip.nip.io",  # a public name that resolves to a pod IP
            "acme-dev-ledger.cluster-c1a2b3.eu-west-1.rds.amazonaws.com.",  # not the allowed spelling
        )
    ],
    ("another team's host", HOSTS, INGRESS, _ingress("checkout.payments.apps.acme.example"), "not 'search''s"),
    ("a host granted to another team", HOSTS, INGRESS, _ingress("shop.acme.example"), "not 'search''s"),
    ("a subdomain granted to another team", HOSTS, INGRESS, _ingress("m.shop.acme.example"), "not 'search''s"),
    ("every team's hosts", HOSTS, INGRESS, _ingress("*.apps.acme.example"), "not 'search''s"),
    ("a rule without a host", HOSTS, INGRESS, _ingress(None), "names no host"),
    ("a default backend", HOSTS, INGRESS, _ingress(defaultBackend={"service": {"name": "s"}}), "defaultBackend"),
    (
        "a TLS host of another team",
        HOSTS,
        INGRESS,
        _ingress("search.apps.acme.example", tls=("checkout.payments.apps.acme.example",)),
        "spec.tls[0].hosts[0]",
    ),
    ("a route for another team's host", HOSTS, ROUTE, _route("api.payments.apps.acme.example"), "not 'search''s"),
    ("a route for every host", HOSTS, ROUTE, _route(), "every host of its Gateway"),
    (
        "a look-alike domain",
        HOSTS,
        INGRESS,
        _ingress("search.apps.acme.example.evil.example"),
        "not 'search''s",
    ),
]
PACK_HOST_NEIGHBOURS = [
    ("an allowed external database", "k8s-service-boundaries", SERVICE, _external(TENANCY["externalNames"][0])),
    (
        "a ClusterIP Service",
        "k8s-service-boundaries",
        SERVICE,
        {"metadata": {"name": "s"}, "spec": {"type": "ClusterIP"}},
    ),
    ("its own host", HOSTS, INGRESS, _ingress("search.apps.acme.example")),
    ("its own subdomains", HOSTS, INGRESS, _ingress("*.search.apps.acme.example", "a.b.search.apps.acme.example")),
    ("its own TLS host", HOSTS, INGRESS, _ingress("search.apps.acme.example", tls=("search.apps.acme.example",))),
    ("a granted host", HOSTS, INGRESS, _ingress("shop.acme.example", "*.shop.acme.example", namespace="payments-jobs")),
    ("a route for its own host", HOSTS, ROUTE, _route("api.search.apps.acme.example")),
]


@pytest.mark.parametrize(
    ("policy", "resource_type", "props", "phrase"),
    [a[1:] for a in PACK_HOST_ATTACKS],
    ids=[a[0] for a in PACK_HOST_ATTACKS],
)
def test_pack_refuses_hosts_and_external_names_not_owned(
    policy: str, resource_type: str, props: dict[str, Any], phrase: str
) -> None:
    found = pack_resource_violations(policy, resource_type, props, TENANCY)
    assert any(phrase in m for m in found), found


@pytest.mark.parametrize(
    ("policy", "resource_type", "props"),
    [n[1:] for n in PACK_HOST_NEIGHBOURS],
    ids=[n[0] for n in PACK_HOST_NEIGHBOURS],
)
def test_pack_admits_owned_hosts_and_allowed_external_names(
    policy: str, resource_type: str, props: dict[str, Any]
) -> None:
    assert pack_resource_violations(policy, resource_type, props, TENANCY) == []


def test_pack_without_config_refuses_every_external_name_and_stays_inside_the_namespace_name() -> None:
    """Fail closed: no externalNames, no ExternalName; no team map, the teams the name carries."""
    assert pack_resource_violations("k8s-service-boundaries", SERVICE, _external("db.example.com"), {})
    config = {"ingressDomain": "apps.acme.example"}
    own = _ingress("payments.apps.acme.example", namespace="payments-jobs")
    assert pack_resource_violations(HOSTS, INGRESS, own, config) == []
    jobs = _ingress("payments-jobs.apps.acme.example", namespace="payments-jobs")
    assert pack_resource_violations(HOSTS, INGRESS, jobs, config) == []
    other = _ingress("search.apps.acme.example", namespace="payments-jobs")
    assert pack_resource_violations(HOSTS, INGRESS, other, config)


def test_admission_policy_carries_the_hosts_and_external_names() -> None:
    data = copy.deepcopy(BASE)
    hosts(shop_acme_example="payments", __shop_acme_example="payments")(data)
    external("acme-dev-ledger.cluster-c1a2b3.eu-west-1.rds.amazonaws.com")(data)
    policy = render(validate(data, "catalog.yaml")).cluster_objects[0].obj
    matched = {(r["apiGroups"][0], r["resources"][0]) for r in policy["spec"]["matchConstraints"]["resourceRules"]}
    assert {("networking.k8s.io", "ingresses"), ("gateway.networking.k8s.io", "httproutes")} <= matched
    expressions = {v["message"]: [] for v in policy["spec"]["validations"]}
    for v in policy["spec"]["validations"]:
        expressions[v["message"]].append(v["expression"])
    external_rule = " ".join(expressions[boundaries.EXTERNAL_NAME_NOT_ALLOWED])
    assert "['acme-dev-ledger.cluster-c1a2b3.eu-west-1.rds.amazonaws.com']" in external_rule
    host_rules = " ".join(expressions[boundaries.HOST_NOT_OWNED])
    assert "'.apps.acme.example'" in host_rules
    assert "{'shop.acme.example': 'payments'}" in host_rules
    assert "{'.shop.acme.example': 'payments'}" in host_rules
    assert len(expressions[boundaries.HOST_NOT_OWNED]) == 3  # rule hosts, TLS hosts, route hostnames
    assert expressions[boundaries.INGRESS_DEFAULT_BACKEND]


# --- 4. the warnings gate, quota ceilings and raises ------------------------------------------------
HEAD, OLD = "b" * 40, "a" * 40
LABEL = gate.LABEL
ROLES = {"lead": "maintain", "owner": "admin", "author": "write"}
# The head B arrived (its first workflow run) at 10:05, after commit A's runs.
RUNS = [
    {"head_sha": OLD, "created_at": "2026-03-01T10:00:00Z"},
    {"head_sha": HEAD, "created_at": "2026-03-01T10:05:00Z"},
    {"head_sha": HEAD, "created_at": "2026-03-01T10:06:00Z"},
]


def labelled(at: str, actor: str = "lead") -> dict[str, Any]:
    return {"event": "labeled", "label": LABEL, "actor": actor, "created_at": at}


def live(**over: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "head_sha": HEAD,
        "labels": [],
        "label_events": [],
        "runs": RUNS,
        "reviews": [],
        "roles": ROLES,
    }
    return {**state, **over}


def approval(
    user: str, commit: str = HEAD, state: str = "APPROVED", at: str = "2026-03-01T10:10:00Z"
) -> dict[str, Any]:
    return {"user": user, "state": state, "commit_id": commit, "submitted_at": at}


# (attempt, live state, what the refusal must say)
GATE_ATTEMPTS = [
    (
        "a label added for the previous commit",
        live(labels=[LABEL], label_events=[labelled("2026-03-01T10:02:00Z")]),
        "earlier commit",
    ),
    (
        "an old commit pushed again after the label",
        live(
            labels=[LABEL],
            label_events=[labelled("2026-03-01T10:07:00Z")],
            runs=[
                *RUNS,
                {"head_sha": OLD, "created_at": "2026-03-01T10:08:00Z"},
                {"head_sha": HEAD, "created_at": "2026-03-01T10:09:00Z"},
            ],
        ),
        "earlier commit",
    ),
    (
        "the label in the event's snapshot, gone now",
        live(labels=[], label_events=[labelled("2026-03-01T10:07:00Z")]),
        "does not carry",
    ),
    (
        "a label the author added",
        live(labels=[LABEL], label_events=[labelled("2026-03-01T10:07:00Z", "author")]),
        "does not maintain",
    ),
    ("an approval of the previous commit", live(reviews=[approval("lead", OLD)]), "need a maintainer"),
    (
        "an approval withdrawn later",
        live(reviews=[approval("lead"), approval("lead", state="CHANGES_REQUESTED", at="2026-03-01T10:11:00Z")]),
        "need a maintainer",
    ),
    ("an approval by a writer", live(reviews=[approval("author")]), "need a maintainer"),
    (
        "a run that reviewed a commit no longer the head",
        live(head_sha="c" * 40, reviews=[approval("lead", "c" * 40)]),
        "the run of the new head decides",
    ),
    (
        "a label when the head's arrival is unknown",
        live(labels=[LABEL], label_events=[labelled("2026-03-01T10:07:00Z")], runs=[]),
        "unknown",
    ),
]
GATE_NEIGHBOURS = [
    ("no warnings", 0, live()),
    ("a maintainer's approval of the head", 2, live(reviews=[approval("lead")])),
    (
        "an admin's label after the head arrived",
        2,
        live(labels=[LABEL], label_events=[labelled("2026-03-01T10:07:00Z", "owner")]),
    ),
    (
        "the label removed by the push and added again",
        2,
        live(
            labels=[LABEL],
            label_events=[
                labelled("2026-03-01T10:02:00Z"),
                {
                    "event": "unlabeled",
                    "label": LABEL,
                    "actor": "github-actions[bot]",
                    "created_at": "2026-03-01T10:05:30Z",
                },
                labelled("2026-03-01T10:07:00Z"),
            ],
        ),
    ),
]


@pytest.mark.parametrize(("state", "phrase"), [a[1:] for a in GATE_ATTEMPTS], ids=[a[0] for a in GATE_ATTEMPTS])
def test_gate_refuses_an_acceptance_not_bound_to_the_live_head(state: dict[str, Any], phrase: str) -> None:
    decision = gate.decide(HEAD, 2, state)
    assert not decision.accepted
    assert phrase in decision.reason, decision.reason
    assert f"[{gate.RULE}]" in decision.reason


@pytest.mark.parametrize(("warnings", "state"), [n[1:] for n in GATE_NEIGHBOURS], ids=[n[0] for n in GATE_NEIGHBOURS])
def test_gate_accepts_what_a_maintainer_accepted_for_this_head(warnings: int, state: dict[str, Any]) -> None:
    assert gate.decide(HEAD, warnings, state).accepted


def test_gate_command_exits_one_when_refused(tmp_path: Any) -> None:
    import json
    import subprocess
    import sys

    state = tmp_path / "gate.json"
    for body, code in ((live(reviews=[approval("lead")]), 0), (live(), 1)):
        state.write_text(json.dumps(body))
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "fleet",
                "pipeline",
                "gate",
                "--reviewed",
                HEAD,
                "--warnings",
                "2",
                "--state",
                str(state),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == code, result.stdout + result.stderr


def test_the_workflow_gate_reads_live_state_and_asks_fleet() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "preview.yml").read_text())
    steps = workflow["jobs"]["gate"]["steps"]
    script = next(s["with"]["script"] for s in steps if "github-script" in s.get("uses", ""))
    for call in ("pulls.get", "issues.listEvents", "pulls.listReviews", "actions.listWorkflowRuns"):
        assert call in script, call
    assert "context.payload.pull_request.labels" not in script  # never the event's snapshot
    assert any("fleet pipeline gate" in s.get("run", "") for s in steps)
    assert workflow["jobs"]["gate"]["permissions"]["actions"] == "read"


def quota(path: str, **values: Any) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        if path == "defaults":
            d.setdefault("defaults", {})["quota"] = {"cpu": "4", "memory": "8Gi", "pods": 50, **values}
        else:
            team(d)["namespaces"] = [{"name": "payments", "quota": {"cpu": "4", "memory": "8Gi", "pods": 50, **values}}]

    return mutate


def ceiling(**values: Any) -> Mutation:
    return lambda d: d.setdefault("guardrails", {}).update(
        quota_ceiling={"cpu": "16", "memory": "32Gi", "pods": 200, **values}
    )


CEILING = "k8s-quota-ceiling"
QUOTA_ATTEMPTS: list[tuple[str, Mutation, str, str]] = [
    ("a namespace above the default ceiling", quota("ns", cpu="128"), "teams[0].namespaces[0].quota.cpu", CEILING),
    (
        "memory above the ceiling",
        both(ceiling(), quota("ns", memory="33Gi")),
        "teams[0].namespaces[0].quota.memory",
        CEILING,
    ),
    (
        "memory in another unit",
        both(ceiling(), quota("ns", memory="40000M")),
        "teams[0].namespaces[0].quota.memory",
        CEILING,
    ),
    ("pods above the ceiling", both(ceiling(), quota("ns", pods=201)), "teams[0].namespaces[0].quota.pods", CEILING),
    ("the defaults above the ceiling", both(ceiling(), quota("defaults", cpu="32")), "defaults.quota.cpu", CEILING),
]
QUOTA_NEIGHBOURS: list[tuple[str, Mutation]] = [
    ("at the ceiling", both(ceiling(), quota("ns", cpu="16", memory="32Gi", pods=200))),
    ("millicores under the ceiling", both(ceiling(), quota("ns", cpu="15500m"))),
]


@pytest.mark.parametrize(
    ("mutate", "path", "rule"), [a[1:] for a in QUOTA_ATTEMPTS], ids=[a[0] for a in QUOTA_ATTEMPTS]
)
def test_quota_attempt_is_refused(mutate: Mutation, path: str, rule: str) -> None:
    lines = problems(mutate)
    assert refused(lines, path, rule), lines


@pytest.mark.parametrize("mutate", [n[1] for n in QUOTA_NEIGHBOURS], ids=[n[0] for n in QUOTA_NEIGHBOURS])
def test_quota_neighbour_is_accepted(mutate: Mutation) -> None:
    assert problems(mutate) == []


def test_the_pack_holds_quotas_to_the_configured_ceiling() -> None:
    quota_type = "kubernetes:core/v1:ResourceQuota"
    body = {
        "metadata": {"name": "q", "namespace": "payments"},
        "spec": {"hard": {"limits.memory": "64Gi", "pods": "300"}},
    }
    config = {"quotaCeiling": {"cpu": "16", "memory": "32Gi", "pods": 200}}
    found = pack_resource_violations(CEILING, quota_type, body, config)
    assert len(found) == 2, found
    assert pack_resource_violations(CEILING, quota_type, body, {}) == []  # the default ceiling allows it


def _production(mutate: Mutation) -> tuple[Any, Any]:
    base = copy.deepcopy(BASE)
    base["deletion_protection"] = True
    for t in base["teams"]:
        for app in t["apps"]:
            app["source"]["revision"] = "v1.0.0"
    head = copy.deepcopy(base)
    mutate(head)
    sides = []
    for data in (base, head):
        catalog = validate(data, "catalog.yaml")
        sides.append((catalog, render(catalog)))
    return sides[0], sides[1]


def test_a_quota_raise_in_production_is_a_reviewer_warning() -> None:
    from fleet.reports import diff

    base, head = _production(quota("ns", cpu="8", pods=60))
    warnings = [w for w in diff.compute(base, head, "base", "head").warnings if w.kind == "quota-raised"]
    assert [w.message for w in warnings] == ["ResourceQuota of payments/payments: cpu 4 → 8, pods 50 → 60"]
    base, head = _production(quota("ns", cpu="2"))  # a cut is no warning
    assert [w for w in diff.compute(base, head, "base", "head").warnings if w.kind == "quota-raised"] == []
    base, head = _production(ceiling(cpu="128"))
    assert any(
        "quota_ceiling" in w.message for w in diff.compute(base, head, "b", "h").warnings if w.kind == "quota-raised"
    )


# --- 5. the catalog path as Pulumi resolves config ----------------------------------------------
FLEET = "app-of-apps:fleet"
# (the way the path is set, stack file settings, project file, what the review and program read)
RESOLVED = [
    ("the stack file", {"config": {FLEET: "stacks/dev.yaml"}}, {}, "stacks/dev.yaml"),
    (
        "the stack file over the project file",
        {"config": {FLEET: "stacks/a.yaml"}},
        {"config": {FLEET: "stacks/b.yaml"}},
        "stacks/a.yaml",
    ),
    ("project config, plain", {"config": {}}, {"config": {FLEET: "stacks/b.yaml"}}, "stacks/b.yaml"),
    ("project config without the namespace", {}, {"config": {"fleet": "stacks/b.yaml"}}, "stacks/b.yaml"),
    (
        "project config, a declaration's value",
        None,
        {"config": {"fleet": {"type": "string", "value": "stacks/c.yaml"}}},
        "stacks/c.yaml",
    ),
    (
        "project config, a declaration's default",
        None,
        {"config": {FLEET: {"type": "string", "default": "stacks/d.yaml"}}},
        "stacks/d.yaml",
    ),
    ("a declaration without a value", None, {"config": {FLEET: {"type": "string"}}}, None),
    ("nowhere (the default path)", {"config": {"other:key": 1}}, {"name": "app-of-apps"}, None),
]
LOCATION_ATTEMPTS = [
    ("stackConfigDir moves the stack files", {}, {"stackConfigDir": "config/"}, "stackConfigDir"),
    ("the old config-directory form", {}, {"config": "config/"}, "moves the stack files"),
    ("a stack key without its namespace", {"config": {"fleet": "stacks/x.yaml"}}, {}, "without its namespace"),
    ("the project says it twice", {}, {"config": {FLEET: "stacks/a.yaml", "fleet": "stacks/b.yaml"}}, "both"),
]


@pytest.mark.parametrize(
    ("stack_settings", "project", "expected"), [r[1:] for r in RESOLVED], ids=[r[0] for r in RESOLVED]
)
def test_the_catalog_path_is_resolved_as_pulumi_resolves_config(
    stack_settings: Any, project: Any, expected: Any
) -> None:
    from fleet.catalog.location import configured_catalog

    assert configured_catalog(stack_settings, project, "dev") == expected


@pytest.mark.parametrize(
    ("stack_settings", "project", "phrase"), [a[1:] for a in LOCATION_ATTEMPTS], ids=[a[0] for a in LOCATION_ATTEMPTS]
)
def test_a_layout_that_hides_the_catalog_path_is_refused(stack_settings: Any, project: Any, phrase: str) -> None:
    from fleet.catalog.location import RULE_CATALOG_CONFIG, PipelineError, configured_catalog

    with pytest.raises(PipelineError) as refusal:
        configured_catalog(stack_settings, project, "dev")
    assert any(phrase in r and f"[{RULE_CATALOG_CONFIG}]" in r for r in refusal.value.reasons), refusal.value.reasons


def test_the_review_follows_project_config_in_pulumi_yaml(tmp_path: Any) -> None:
    """The attack: the stack file stops naming the catalog and Pulumi.yaml names another one;
    the review diffs what the program will deploy, and calls the project file out."""
    from fleet.io import git as gitio
    from fleet.pipeline import steps as pipeline
    from tests.conftest import BASE as CATALOG
    from tests.test_pipeline import commit, git, shown

    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    stack_settings = {"config": {"pulumi:disable-default-providers": ["*"], FLEET: "stacks/dev.yaml"}}
    project = {"name": "app-of-apps", "runtime": "python"}
    base = commit(
        root,
        {
            "Pulumi.yaml": yaml.safe_dump(project),
            "Pulumi.dev.yaml": yaml.safe_dump(stack_settings),
            "stacks/dev.yaml": yaml.safe_dump(CATALOG),
        },
    )
    other = copy.deepcopy(CATALOG)
    other["teams"][1]["apps"].append(
        {"name": "moved", "source": {"repo": "https://github.com/acme/search-deploy", "path": "moved"}}
    )
    head = commit(
        root,
        {
            "Pulumi.yaml": yaml.safe_dump({**project, "config": {"fleet": {"value": "stacks/other.yaml"}}}),
            "Pulumi.dev.yaml": yaml.safe_dump({"config": {"pulumi:disable-default-providers": ["*"]}}),
            "stacks/other.yaml": yaml.safe_dump(other),
        },
    )
    assert pipeline.stack_catalogs(gitio.GitTree(root, head)) == {"dev": "stacks/other.yaml"}
    result = pipeline.review(root, base, head)
    assert f"{head[:12]}:stacks/other.yaml" in shown(result.markdown)
    assert "search-moved" in shown(result.markdown)
    assert "Pulumi.yaml" in result.classification.by_category["stack-config"]
    moved = commit(root, {"Pulumi.yaml": yaml.safe_dump({**project, "stackConfigDir": "elsewhere"})})
    refused = pipeline.review(root, head, moved)
    assert "(pipeline)" in refused.invalid
    assert "pipeline-catalog-config" in shown(refused.markdown)


def test_the_program_refuses_a_catalog_path_set_elsewhere(tmp_path: Any) -> None:
    """An ESC environment's pulumiConfig, --config or PULUMI_CONFIG give the engine a value the
    repository's files do not: refused before anything is registered; the files' own value runs."""
    from tests.conftest import one_file_text
    from tests.pulumi_harness import write_stack_file

    (tmp_path / "stacks").mkdir()
    for name in ("dev.yaml", "other.yaml"):
        (tmp_path / "stacks" / name).write_text(one_file_text("dev"))
    (tmp_path / "__main__.py").write_text((ROOT / "__main__.py").read_text())
    write_stack_file(tmp_path, "dev", fleet="stacks/dev.yaml")
    elsewhere = run_program("dev", {"fleet": "stacks/other.yaml"}, program=tmp_path / "__main__.py")
    assert "[pipeline-catalog-config]" in str(elsewhere.error)
    assert elsewhere.registrations == []
    (tmp_path / "Pulumi.dev.yaml").unlink()
    (tmp_path / "Pulumi.yaml").write_text(
        yaml.safe_dump({"name": "app-of-apps", "config": {"fleet": "stacks/other.yaml"}})
    )
    from_project = run_program("dev", program=tmp_path / "__main__.py")
    assert from_project.error is None, from_project.error
    assert from_project.registrations


# --- 6. audit approvers come from the code host's review records --------------------------------
LEAD = "Lead <lead@acme.example>"


@pytest.fixture(scope="module")
def grant_history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A team member's own squash-merged commit widens their access and names the platform lead
    as its reviewer in a trailer (pull request #21); a legitimate one follows (#22)."""
    from tests.test_audit import Repo, with_put

    repo = Repo(tmp_path_factory.mktemp("grants"))
    repo.write("stacks/dev.yaml", BASE)
    repo.commit("Add the dev catalog", "2026-01-05T09:00:00+00:00")
    repo.write("stacks/dev.yaml", with_put(BASE))
    hostile = repo.commit(
        f"checkout writes its bucket (#21)\n\nReviewed-by: {LEAD}", "2026-01-06T09:00:00+00:00", who="Mallory"
    )
    repo.write("stacks/dev.yaml", BASE)
    honest = repo.commit("checkout reads only (#22)", "2026-01-07T09:00:00+00:00", who="Dave")
    # Squashed #23, whose body (its commits' messages) claims to be #22, the approved one.
    repo.write("stacks/dev.yaml", with_put(BASE))
    borrowed = repo.commit(
        "checkout writes again (#23)\n\n* widen\n\nPR: #22", "2026-01-08T09:00:00+00:00", who="Mallory"
    )
    return {"repo": repo.root, "hostile": hostile, "honest": honest, "borrowed": borrowed}


def review(user: str, state: str, at: str, commit: str = "c" * 40) -> dict[str, Any]:
    """One item as GitHub's reviews API returns it (with the fields the audit does not read)."""
    return {
        "id": 1,
        "user": {"login": user, "type": "User"},
        "state": state,
        "submitted_at": at,
        "commit_id": commit,
        "body": "",
    }


def audited(history: dict[str, Any], capsys: Any, monkeypatch: Any, records: Any, tmp: Any) -> dict[str, Any]:
    import json

    from tests.test_audit import audit_cli

    path = tmp / "reviews.json"
    path.write_text(json.dumps(records))
    out = audit_cli(
        history["repo"],
        "stacks/dev.yaml",
        "--format",
        "json",
        "--reviews",
        str(path),
        capsys=capsys,
        monkeypatch=monkeypatch,
    )
    return {e["commit"]: e for e in json.loads(out)["entries"]}


# (attempt, pull request #21's review records, who the audit may name as approvers)
APPROVAL_ATTEMPTS = [
    ("a trailer naming the lead, no review at all", {"21": []}, []),
    ("a trailer and only a comment by the lead", {"21": [review("lead", "COMMENTED", "2026-01-06T08:00:00Z")]}, []),
    (
        "an approval the lead withdrew",
        {
            "21": [
                review("lead", "APPROVED", "2026-01-06T08:00:00Z"),
                review("lead", "CHANGES_REQUESTED", "2026-01-06T08:30:00Z"),
            ]
        },
        [],
    ),
    ("an approval that was dismissed", {"21": [review("lead", "DISMISSED", "2026-01-06T08:00:00Z")]}, []),
    ("the records of another pull request", {"22": [review("lead", "APPROVED", "2026-01-06T08:00:00Z")]}, []),
    (
        "a colleague approved, not the lead",
        {"21": [review("mallory-friend", "APPROVED", "2026-01-06T08:00:00Z")]},
        ["mallory-friend"],
    ),
]


@pytest.mark.parametrize(
    ("records", "expected"), [a[1:] for a in APPROVAL_ATTEMPTS], ids=[a[0] for a in APPROVAL_ATTEMPTS]
)
def test_a_trailer_is_a_claim_and_only_the_review_records_approve(
    grant_history: dict[str, Any], capsys: Any, monkeypatch: Any, tmp_path: Any, records: Any, expected: list[str]
) -> None:
    entry = audited(grant_history, capsys, monkeypatch, records, tmp_path)[grant_history["hostile"]]
    assert entry["pull_request"] == 21
    assert entry["approvers"] == expected
    assert entry["claimed_approvers"] == [LEAD]
    assert entry["review_records"] == ("read" if "21" in records else "not-read")


def test_a_recorded_approval_is_the_approver(
    grant_history: dict[str, Any], capsys: Any, monkeypatch: Any, tmp_path: Any
) -> None:
    records = {
        "22": [
            review("lead", "COMMENTED", "2026-01-07T07:00:00Z"),
            review("lead", "APPROVED", "2026-01-07T08:00:00Z", "d" * 40),
        ]
    }
    entry = audited(grant_history, capsys, monkeypatch, records, tmp_path)[grant_history["honest"]]
    assert entry["approvers"] == ["lead"]
    assert entry["approvals"] == [{"user": "lead", "submitted_at": "2026-01-07T08:00:00Z", "commit": "d" * 40}]
    assert entry["claimed_approvers"] == []


def test_the_markdown_shows_trailers_as_claims(
    grant_history: dict[str, Any], capsys: Any, monkeypatch: Any, tmp_path: Any
) -> None:
    import json

    from tests.test_audit import audit_cli

    path = tmp_path / "reviews.json"
    path.write_text(json.dumps({"21": []}))
    text = audit_cli(
        grant_history["repo"], "stacks/dev.yaml", "--reviews", str(path), capsys=capsys, monkeypatch=monkeypatch
    )
    assert "claimed in the commit's trailers, not approvers" in text
    assert "not read (give the pull request's reviews" in text  # #22: no records given


@pytest.mark.parametrize(
    ("records", "path"),
    [
        ({"twenty-one": []}, "twenty-one"),
        ({"21": {"state": "APPROVED"}}, "21"),
        ({"21": [{"state": "APPROVED"}]}, "21[0]"),
        ([{"pull_request": 21, "reviews": [{"user": {"login": "lead"}}]}], "[0][0]"),
    ],
)
def test_a_malformed_reviews_file_is_refused_naming_the_place(
    grant_history: dict[str, Any], capsys: Any, monkeypatch: Any, tmp_path: Any, records: Any, path: str
) -> None:
    import json

    from fleet.cli.main import run

    file = tmp_path / "reviews.json"
    file.write_text(json.dumps(records))
    monkeypatch.chdir(grant_history["repo"])
    capsys.readouterr()
    assert run(["audit", "stacks/dev.yaml", "--reviews", str(file)]) == 1
    err = capsys.readouterr().err
    assert f"{file}: {path}: " in err, err


def test_the_reviews_are_read_through_the_api_page_by_page(
    grant_history: dict[str, Any], capsys: Any, monkeypatch: Any
) -> None:
    """The same records through GitHub's REST API (a local server answering as it does)."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs, urlparse

    from tests.test_audit import audit_cli

    pages = {
        ("21", "1"): [review(f"bot-{i}", "COMMENTED", "2026-01-06T07:00:00Z") for i in range(100)],
        ("21", "2"): [review("lead", "APPROVED", "2026-01-06T08:00:00Z")],
    }
    asked: list[tuple[str, str | None]] = []

    class GitHub(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            number = url.path.split("/")[-2]
            page = parse_qs(url.query).get("page", ["1"])[0]
            asked.append((self.path, self.headers.get("Authorization")))
            body = json.dumps(pages.get((number, page), [])).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), GitHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{server.server_port}")
        monkeypatch.setenv("GITHUB_TOKEN", "read-only-token")
        out = audit_cli(
            grant_history["repo"],
            "stacks/dev.yaml",
            "--format",
            "json",
            "--github",
            "acme/fleet",
            capsys=capsys,
            monkeypatch=monkeypatch,
        )
    finally:
        server.shutdown()
    entries = {e["commit"]: e for e in json.loads(out)["entries"]}
    assert entries[grant_history["hostile"]]["approvers"] == ["lead"]
    assert entries[grant_history["honest"]]["review_records"] == "read"
    assert ("/repos/acme/fleet/pulls/21/reviews?per_page=100&page=2", "Bearer read-only-token") in asked


def test_a_trailer_cannot_borrow_another_pull_requests_approvals(
    grant_history: dict[str, Any], capsys: Any, monkeypatch: Any, tmp_path: Any
) -> None:
    records = {"22": [review("lead", "APPROVED", "2026-01-07T08:00:00Z")], "23": []}
    entry = audited(grant_history, capsys, monkeypatch, records, tmp_path)[grant_history["borrowed"]]
    assert entry["pull_request"] == 23  # GitHub's number in the squash subject, not the body's trailer
    assert entry["approvers"] == []


# --- 7. the pack judges every kind, with the team map as its config ------------------------------
RBAC_API = "rbac.authorization.k8s.io"
K = "kubernetes:rbac.authorization.k8s.io/v1:"
# Search's own stack: the policy group of a team stack names its team; the platform's settings.
TEAM_STACK = {
    "team": "search",
    "teams": ["payments", "search"],
    "argocdNamespace": "argocd",
    "secretKeyPrefix": "acme/dev",
}
PLATFORM_STACK = {k: v for k, v in TEAM_STACK.items() if k != "team"}


def _crb(role: str, kind: str, name: str = "mallory") -> dict[str, Any]:
    subject: dict[str, Any] = {"kind": kind, "name": name}
    subject.update({"namespace": "search"} if kind == "ServiceAccount" else {"apiGroup": RBAC_API})
    return {
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "b"},
        "roleRef": {"apiGroup": RBAC_API, "kind": "ClusterRole", "name": role},
        "subjects": [subject],
    }


def _rb(namespace: str) -> dict[str, Any]:
    return {
        "kind": "RoleBinding",
        "metadata": {"name": "b", "namespace": namespace},
        "roleRef": {"apiGroup": RBAC_API, "kind": "Role", "name": "reader"},
        "subjects": [{"apiGroup": RBAC_API, "kind": "Group", "name": "oidc:acme-dev-search-developer"}],
    }


def _rules(kind: str, *rules: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "r", **({"namespace": namespace} if namespace else {})}
    return {"kind": kind, "metadata": meta, "rules": list(rules)}


def _rule(group: str, resource: str, *verbs: str) -> dict[str, Any]:
    return {"apiGroups": [group], "resources": [resource], "verbs": list(verbs)}


def _secret(namespace: str, key: str, labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    body = {
        "secretStoreRef": {"kind": "ClusterSecretStore", "name": "platform-secrets"},
        "data": [{"secretKey": "k", "remoteRef": {"key": key}}],
        **spec,
    }
    return {"metadata": {"name": "e", "namespace": namespace, "labels": labels or {}}, "spec": body}


def _push(namespace: str, key: str) -> dict[str, Any]:
    return {
        "metadata": {"name": "p", "namespace": namespace},
        "spec": {
            "secretStoreRefs": [{"kind": "ClusterSecretStore", "name": "platform-secrets"}],
            "selector": {"secret": {"name": "s"}},
            "data": [{"match": {"secretKey": "k", "remoteRef": {"remoteKey": key}}}],
        },
    }


def _cluster_secret(key: str) -> dict[str, Any]:
    return {
        "metadata": {"name": "c"},
        "spec": {
            "namespaceSelectors": [{"matchLabels": {TEAM_LABEL: "search"}}],
            "externalSecretSpec": _secret("search", key)["spec"],
        },
    }


def _repo_credential(team: str, project: str, secret_type: str = "repository") -> dict[str, Any]:
    """What the program renders in Argo CD's namespace (fleet.render.repo_creds), for `team`."""
    template = {"metadata": {"labels": {"argocd.argoproj.io/secret-type": secret_type}}, "data": {"project": project}}
    return {
        **_secret("argocd", f"acme/dev/argocd/github-app/{team}", target={"template": template}),
        "metadata": {"name": "e", "namespace": "argocd", "labels": {TEAM_LABEL: team}},
    }


def _config_map(namespace: str, name: str = "argocd-rbac-cm") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace}, "data": {"policy.csv": "g, x, role:admin"}}


def _application_set(project: str) -> dict[str, Any]:
    template = _application(project, f"{project}-jobs")
    return {
        "metadata": {"name": "s", "namespace": "argocd"},
        "spec": {"generators": [{"list": {"elements": [{"env": "dev"}]}}], "template": template},
    }


SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
PUSH = "kubernetes:external-secrets.io/v1alpha1:PushSecret"
CLUSTER_SECRET = "kubernetes:external-secrets.io/v1:ClusterExternalSecret"
CONFIG_MAP_PATCH = "kubernetes:core/v1:ConfigMapPatch"
APPSET = "kubernetes:argoproj.io/v1alpha1:ApplicationSet"
# (probe, type, inputs, config, rule id it must produce, the field path its message names)
PROBES = [
    *[
        (f"ClusterRoleBinding of {r} to a {k}", K + "ClusterRoleBinding", _crb(r, k), {}, rule, path)
        for r, k, rule, path in [
            ("view", "User", "k8s-no-builtin-cluster-bindings", "subjects[0] (User mallory)"),
            ("edit", "ServiceAccount", "k8s-no-builtin-cluster-bindings", "subjects[0] (ServiceAccount mallory)"),
            ("admin", "User", "k8s-no-builtin-cluster-bindings", "subjects[0] (User mallory)"),
            ("view", "Group", "k8s-no-builtin-cluster-bindings", "subjects[0] (Group mallory)"),
            ("edit", "Group", "k8s-no-power-bindings", "edit cluster-wide to groups mallory"),
        ]
    ],
    (
        "RoleBinding into kube-system",
        K + "RoleBinding",
        _rb("kube-system"),
        {},
        "k8s-binding-namespace",
        "metadata.namespace",
    ),
    (
        "RoleBinding into another team's namespace",
        K + "RoleBinding",
        _rb("payments-jobs"),
        TEAM_STACK,
        "k8s-binding-namespace",
        "metadata.namespace",
    ),
    (
        "RoleBinding into Argo CD's namespace from a team's stack",
        K + "RoleBinding",
        _rb("argocd"),
        TEAM_STACK,
        "k8s-binding-namespace",
        "metadata.namespace",
    ),
    (
        "nodes/proxy",
        K + "ClusterRole",
        _rules("ClusterRole", _rule("", "nodes/proxy", "get")),
        {},
        "k8s-rbac-node-and-token-access",
        "rules[0] grants nodes/proxy",
    ),
    (
        "serviceaccounts/token",
        K + "Role",
        _rules("Role", _rule("", "serviceaccounts/token", "create"), namespace="search"),
        {},
        "k8s-rbac-node-and-token-access",
        "rules[0] grants serviceaccounts/token",
    ),
    (
        "CSR approval",
        K + "ClusterRole",
        _rules("ClusterRole", _rule("certificates.k8s.io", "certificatesigningrequests/approval", "update")),
        {},
        "k8s-rbac-node-and-token-access",
        "rules[0] grants certificatesigningrequests/approval",
    ),
    (
        "signer approval",
        K + "ClusterRole",
        _rules("ClusterRole", _rule("certificates.k8s.io", "signers", "approve")),
        {},
        "k8s-rbac-node-and-token-access",
        "rules[0] grants signers",
    ),
    (
        "webhook configurations",
        K + "ClusterRole",
        _rules("ClusterRole", _rule("admissionregistration.k8s.io", "mutatingwebhookconfigurations", "create")),
        {},
        "k8s-rbac-node-and-token-access",
        "rules[0] grants mutatingwebhookconfigurations",
    ),
    (
        "cluster-wide pods/exec",
        K + "ClusterRole",
        _rules("ClusterRole", _rule("", "pods/exec", "create")),
        {},
        "k8s-rbac-node-and-token-access",
        "rules[0] grants pods/exec in a ClusterRole",
    ),
    (
        "a helm.sh/v3 Release",
        "kubernetes:helm.sh/v3:Release",
        {"chart": "anything", "namespace": "kube-system"},
        {},
        "k8s-helm-release-opaque",
        "helm.sh/v3 Release",  # the whole resource: its type
    ),
    (
        "an IAM role without the boundary",
        "aws:iam/role:Role",
        {"name": "r", "assumeRolePolicy": "{}"},
        {"permissionsBoundaryArns": ["arn:aws:iam::111111111111:policy/b"]},
        "iam-permissions-boundary",
        "permissionsBoundary",
    ),
    ("an IAM user", "aws:iam/user:User", {"name": "ci"}, {}, "iam-no-users", "IAM users"),
    (
        "an IAM access key",
        "aws:iam/accessKey:AccessKey",
        {"user": "ci"},
        {},
        "iam-no-users",
        "IAM users and their keys",
    ),
    (
        "an AppProject reaching another team's namespace",
        PROJECT,
        _project("search", "payments"),
        {},
        "argocd-project-destinations",
        "destinations[0]",
    ),
    (
        "another team's AppProject in a team's stack",
        PROJECT,
        _project("payments", "payments"),
        TEAM_STACK,
        "argocd-project-destinations",
        "metadata.name",
    ),
    (
        "the default AppProject in a team's stack",
        PROJECT,
        {"metadata": {"name": "default", "namespace": "argocd"}, "spec": {}},
        TEAM_STACK,
        "argocd-project-destinations",
        "metadata.name",
    ),
    (
        "an Application in another stack's project",
        APPLICATION,
        _application("payments", "search"),
        TEAM_STACK,
        "argocd-application-project",
        "spec.project",
    ),
    (
        "an ApplicationSet generating into another stack's project",
        APPSET,
        _application_set("payments"),
        TEAM_STACK,
        "argocd-applicationset-project",
        "spec.template.spec.project",
    ),
    (
        "an ExternalSecret reading another team's key",
        SECRET,
        _secret("search", "acme/dev/payments/db"),
        TEAM_STACK,
        "k8s-external-secret-scoped",
        "spec.data[0].remoteRef.key",
    ),
    (
        "an ExternalSecret reading another team's key from under a folder named after its own team",
        SECRET,
        _secret("search", "acme/dev/payments/search"),
        TEAM_STACK,
        "k8s-external-secret-scoped",
        "spec.data[0].remoteRef.key",
    ),
    (
        "an ExternalSecret reading another team's GitHub App key",
        SECRET,
        _secret("search", "acme/dev/argocd/github-app/payments"),
        TEAM_STACK,
        "k8s-external-secret-scoped",
        "spec.data[0].remoteRef.key",
    ),
    (
        "an ExternalSecret labelled as another team's, in its own namespace",
        SECRET,
        _secret("search", "acme/dev/payments/db", labels={TEAM_LABEL: "payments"}),
        PLATFORM_STACK,
        "k8s-external-secret-scoped",
        "spec.data[0].remoteRef.key",
    ),
    (
        "an ExternalSecret labelled as another team's, in a team's stack",
        SECRET,
        _secret("search", "acme/dev/payments/db", labels={TEAM_LABEL: "payments"}),
        TEAM_STACK,
        "k8s-external-secret-scoped",
        "spec.data[0].remoteRef.key",
    ),
    (
        "an ExternalSecret climbing out of its folder",
        SECRET,
        _secret("search", "acme/dev/search/../payments/db"),
        TEAM_STACK,
        "k8s-external-secret-scoped",
        "spec.data[0].remoteRef.key",
    ),
    (
        "an ExternalSecret searching the whole store",
        SECRET,
        _secret("search", "acme/dev/search/db", dataFrom=[{"find": {"path": "acme"}}]),
        TEAM_STACK,
        "k8s-external-secret-scoped",
        "spec.dataFrom[0].find",
    ),
    (
        "an ExternalSecret extracting another team's key",
        SECRET,
        _secret("search", "acme/dev/search/db", dataFrom=[{"extract": {"key": "acme/dev/payments/db"}}]),
        TEAM_STACK,
        "k8s-external-secret-scoped",
        "spec.dataFrom[0].extract.key",
    ),
    (
        "an ExternalSecret reading through another store",
        SECRET,
        _secret(
            "search",
            "acme/dev/search/db",
            dataFrom=[
                {"sourceRef": {"storeRef": {"kind": "ClusterSecretStore", "name": "legacy"}}, "extract": {"key": "db"}}
            ],
        ),
        TEAM_STACK,
        "k8s-external-secret-scoped",
        "spec.dataFrom[0].sourceRef",
    ),
    (
        "an ExternalSecret making a repo-creds template",
        SECRET,
        _secret(
            "search",
            "acme/dev/search/github",
            target={"template": {"metadata": {"labels": {"argocd.argoproj.io/secret-type": "repo-creds"}}}},
        ),
        TEAM_STACK,
        "k8s-external-secret-scoped",
        "spec.target.template.metadata.labels",
    ),
    (
        "the platform's repo-creds template",
        SECRET,
        _repo_credential("search", "search", "repo-creds"),
        PLATFORM_STACK,
        "k8s-external-secret-scoped",
        "spec.target.template.metadata.labels",
    ),
    (
        "a repository credential in Argo CD's namespace from a team's stack",
        SECRET,
        _repo_credential("search", "payments"),
        TEAM_STACK,
        "k8s-team-stack-namespace",
        "metadata.namespace",
    ),
    (
        "a ClusterExternalSecret from a team's stack",
        CLUSTER_SECRET,
        _cluster_secret("acme/dev/search/db"),
        TEAM_STACK,
        "k8s-external-secret-scoped",
        "spec.namespaceSelectors",
    ),
    (
        "a ClusterExternalSecret reading another team's key",
        CLUSTER_SECRET,
        _cluster_secret("acme/dev/payments/db"),
        TEAM_STACK,
        "k8s-external-secret-scoped",
        "spec.externalSecretSpec.data[0].remoteRef.key",
    ),
    (
        "a PushSecret overwriting another team's GitHub App key",
        PUSH,
        _push("search", "acme/dev/argocd/github-app/payments"),
        TEAM_STACK,
        "k8s-external-secret-scoped",
        "spec.data[0].match.remoteRef.remoteKey",
    ),
    (
        "argocd-rbac-cm patched from a team's stack",
        CONFIG_MAP_PATCH,
        _config_map("argocd"),
        TEAM_STACK,
        "k8s-team-stack-namespace",
        "metadata.namespace",
    ),
    (
        "a ConfigMap in another team's namespace from a team's stack",
        "kubernetes:core/v1:ConfigMap",
        _config_map("payments", "settings"),
        TEAM_STACK,
        "k8s-team-stack-namespace",
        "metadata.namespace",
    ),
    (
        "a Helm chart into kube-system from a team's stack",
        "kubernetes:helm.sh/v4:Chart",
        {"chart": "redis", "namespace": "kube-system"},
        TEAM_STACK,
        "k8s-team-stack-namespace",
        "namespace",
    ),
]
PROBE_NEIGHBOURS = [
    (
        "a ClusterRoleBinding of the fleet's reader",
        K + "ClusterRoleBinding",
        _crb("acme-dev-fleet-status", "Group"),
        {},
    ),
    ("a RoleBinding of view in its namespace", K + "RoleBinding", _rb("search-jobs"), TEAM_STACK),
    (
        "exec in its own namespace's Role",
        K + "Role",
        _rules("Role", _rule("", "pods/exec", "create"), namespace="search"),
        TEAM_STACK,
    ),
    ("reading nodes", K + "ClusterRole", _rules("ClusterRole", _rule("", "nodes", "get", "list")), {}),
    (
        "a bounded role",
        "aws:iam/role:Role",
        {"name": "r", "assumeRolePolicy": "{}", "permissionsBoundary": "arn:aws:iam::111111111111:policy/b"},
        {"permissionsBoundaryArns": ["arn:aws:iam::111111111111:policy/b"]},
    ),
    ("a Helm v4 Chart", "kubernetes:helm.sh/v4:Chart", {"chart": "redis", "namespace": "search"}, TEAM_STACK),
    ("its own Application", APPLICATION, _application("search", "search-jobs"), TEAM_STACK),
    ("its own ApplicationSet", APPSET, _application_set("search"), TEAM_STACK),
    ("its own ExternalSecret", SECRET, _secret("search", "acme/dev/search/db"), TEAM_STACK),
    (
        "its own key with another team's name below it",
        SECRET,
        _secret("search-jobs", "acme/dev/search/payments-api-token"),
        TEAM_STACK,
    ),
    (
        "its own ExternalSecret, judged by its namespace",
        SECRET,
        _secret("search", "acme/dev/search/db"),
        PLATFORM_STACK,
    ),
    (
        "its own GitHub App key, extracted",
        SECRET,
        _secret("search", "acme/dev/search/db", dataFrom=[{"extract": {"key": "acme/dev/argocd/github-app/search"}}]),
        TEAM_STACK,
    ),
    ("the program's repository credential", SECRET, _repo_credential("search", "search"), PLATFORM_STACK),
    ("the platform's ClusterExternalSecret", CLUSTER_SECRET, _cluster_secret("acme/dev/platform/ca"), PLATFORM_STACK),
    ("a PushSecret to its own key", PUSH, _push("search", "acme/dev/search/exported"), TEAM_STACK),
    ("a ConfigMap in its namespace", "kubernetes:core/v1:ConfigMap", _config_map("search", "settings"), TEAM_STACK),
    ("argocd-rbac-cm from the platform's stack", CONFIG_MAP_PATCH, _config_map("argocd"), PLATFORM_STACK),
]


@pytest.mark.parametrize(
    ("resource_type", "props", "config", "rule", "path"), [p[1:] for p in PROBES], ids=[p[0] for p in PROBES]
)
def test_the_pack_refuses_every_probe(
    resource_type: str, props: dict[str, Any], config: dict[str, Any], rule: str, path: str
) -> None:
    found = pack_resource_violations(rule, resource_type, props, config)
    assert any(path in m for m in found), (rule, path, found)


@pytest.mark.parametrize(
    ("resource_type", "props", "config"), [n[1:] for n in PROBE_NEIGHBOURS], ids=[n[0] for n in PROBE_NEIGHBOURS]
)
def test_the_probes_neighbours_pass_the_whole_pack(
    resource_type: str, props: dict[str, Any], config: dict[str, Any]
) -> None:
    from pulumi_policy import ResourceValidationPolicy

    from tests.test_guardrails import PACK

    found = {
        policy: messages
        for policy, check in PACK.items()
        if isinstance(check, ResourceValidationPolicy)
        and (messages := pack_resource_violations(policy, resource_type, props, config))
    }
    assert found == {}


def test_a_team_stacks_own_project_passes_the_project_rules() -> None:
    # (a whole AppProject of the program is judged by the whole pack in test_guardrails)
    own = _project("search", "search", "search-jobs")
    for rule in ("argocd-project-destinations", "argocd-default-project", "k8s-team-stack-namespace"):
        assert pack_resource_violations(rule, PROJECT, own, TEAM_STACK) == [], rule


def _rbac(csv: str) -> list[tuple[str, str, dict[str, Any]]]:
    project = {
        "metadata": {"name": "search", "namespace": "argocd"},
        "spec": {"roles": [{"name": "developer", "groups": ["acme-dev-search-developer"], "policies": []}]},
    }
    configmap = {"metadata": {"name": "argocd-rbac-cm", "namespace": "argocd"}, "data": {"policy.csv": csv}}
    return [
        (PROJECT, "argocd/search", project),
        ("kubernetes:core/v1:ConfigMapPatch", "argocd/argocd-rbac-cm", configmap),
    ]


RBAC_PROBES = [
    ("quoted fields", 'p, "acme-dev-search-developer", "applications", get, "*/*", allow'),
    ("a quoted group in a g line", 'g, "acme-dev-search-developer", role:readonly'),
    ("a named other project", "p, acme-dev-search-developer, applications, sync, payments/*, allow"),
    ("projects", "p, acme-dev-search-developer, projects, update, search, allow"),
    ("clusters", "p, acme-dev-search-developer, clusters, get, *, allow"),
    ("repositories", "p, acme-dev-search-developer, repositories, create, *, allow"),
    ("a glob resource reaching repositories", "p, acme-dev-search-developer, repo*, get, *, allow"),
]
RBAC_NEIGHBOURS = [
    ("its own project", "p, acme-dev-search-developer, applications, get, search/*, allow"),
    ("a deny", "p, acme-dev-search-developer, applications, get, */*, deny"),
    ("a platform group", "g, acme-platform-admins, role:admin"),
    ("a comment", "# p, acme-dev-search-developer, applications, get, */*, allow"),
]


@pytest.mark.parametrize("csv", [p[1] for p in RBAC_PROBES], ids=[p[0] for p in RBAC_PROBES])
def test_argocd_rbac_lines_are_read_as_argo_cd_reads_them(csv: str) -> None:
    found = pack_stack_violations("argocd-rbac-no-cross-project", _rbac(csv), {})
    assert any("acme-dev-search-developer" in m for m, _ in found), found


@pytest.mark.parametrize("csv", [n[1] for n in RBAC_NEIGHBOURS], ids=[n[0] for n in RBAC_NEIGHBOURS])
def test_argocd_rbac_neighbours_pass(csv: str) -> None:
    assert pack_stack_violations("argocd-rbac-no-cross-project", _rbac(csv), {}) == []


def test_policy_lines_follow_argo_cds_reader() -> None:
    from fleet.apis.argocd import policy_lines

    assert policy_lines('p, "a,b", x \r\n  # c\n\ng, q , r ') == [["p", "a,b", "x"], ["g", "q ", "r"]]
    # A stray character after a closing quote: Argo CD's reader refuses the line (and the policy);
    # here it stays one field, which names no subject.
    assert policy_lines('g, "q" x, r') == [['g, "q" x, r']]
    assert policy_lines("p, a\u2028b, c") == [["p", "a\u2028b", "c"]]  # only "\n" ends a line
