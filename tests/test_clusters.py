"""Several clusters per environment (issue 20, item 3): the platform declares the clusters, team
namespaces and apps name the ones they are placed on. Each rendered object is checked against
the vendored Argo CD CRDs or kubernetes-validate (strict); each rule has its refused and its
passing case."""

from __future__ import annotations

import copy
import json
import shutil
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from fleet.catalog.naming import ARGOCD_APPLICATION_NAME_MAX, Names
from fleet.compiler import state_from_text
from fleet.guardrails import Settings
from fleet.guardrails.argocd import destination_problem
from fleet.render.state import FleetState
from fleet.text.problems import CatalogError
from tests.conftest import BASE
from tests.crd_schemas import argocd_schema, unknown_fields

EAST = {
    "name": "east",
    "server": "https://EAST.gr7.eu-west-1.eks.amazonaws.com",
    "region": "eu-west-1",
    "eks_cluster_name": "acme-dev-east",
    "argocd_role_arn": "arn:aws:iam::111111111111:role/argocd-deployer",
    "ca_data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t",
}
WEST = {
    "name": "west",
    "server": "https://WEST.gr7.eu-central-1.eks.amazonaws.com",
    "region": "eu-central-1",
    "eks_cluster_name": "acme-dev-west",
    "argocd_role_arn": "arn:aws:iam::111111111111:role/argocd-deployer",
}


def catalog() -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["clusters"] = [copy.deepcopy(EAST), copy.deepcopy(WEST)]
    return data


def render(data: dict[str, Any]) -> FleetState:
    return state_from_text(yaml.safe_dump(data), "catalog.yaml")[1]


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        render(data)
    return [f"{p.path}: {p.reason}" for p in caught.value.problems]


def valid_argocd(obj: dict[str, Any]) -> None:
    schema = argocd_schema(obj["kind"])
    jsonschema.validate(obj, schema)
    assert unknown_fields(obj, schema) == []


def team(state: FleetState, name: str) -> Any:
    (found,) = [t for t in state.teams if t.name == name]
    return found


# --- rendered ---------------------------------------------------------------------------------
def test_a_single_cluster_catalog_renders_as_before() -> None:
    state = render(copy.deepcopy(BASE))
    assert state.cluster_secrets == ()
    payments = team(state, "payments")
    (application,) = payments.apps[0].applications
    assert application.name == "payments-checkout"
    assert "app-of-apps.io/cluster" not in application.obj["metadata"]["labels"]
    assert payments.project.obj["spec"]["destinations"] == [
        {"server": "https://kubernetes.default.svc", "namespace": "payments"}
    ]


def test_each_declared_cluster_gets_argo_cds_cluster_secret_without_a_static_credential() -> None:
    state = render(catalog())
    east, west = state.cluster_secrets
    assert east.obj["metadata"] == {
        "name": "cluster-east",
        "namespace": "argocd",
        "labels": {
            "app.kubernetes.io/managed-by": "app-of-apps",
            "app.kubernetes.io/part-of": "acme",
            "app-of-apps.io/environment": "dev",
            "app-of-apps.io/cluster": "east",
            "argocd.argoproj.io/secret-type": "cluster",
        },
    }
    assert east.obj["stringData"]["name"] == "east"
    assert east.obj["stringData"]["server"] == EAST["server"]
    assert json.loads(east.obj["stringData"]["config"]) == {
        "awsAuthConfig": {"clusterName": "acme-dev-east", "roleARN": EAST["argocd_role_arn"]},
        "tlsClientConfig": {"insecure": False, "caData": EAST["ca_data"]},
    }
    assert json.loads(west.obj["stringData"]["config"])["tlsClientConfig"] == {"insecure": False}
    for secret in (east, west):
        config = json.loads(secret.obj["stringData"]["config"])
        assert not {"bearerToken", "password", "username", "execProviderConfig"} & set(config)
        assert not {"keyData", "certData"} & set(config["tlsClientConfig"])
        kubernetes_validate.validate(secret.obj, "1.31", strict=True)


def test_by_default_every_namespace_and_app_is_on_every_cluster() -> None:
    state = render(catalog())
    payments = team(state, "payments")
    assert [a.name for a in payments.apps[0].applications] == ["payments-checkout-east", "payments-checkout-west"]
    assert payments.project.obj["spec"]["destinations"] == [
        {"server": EAST["server"], "namespace": "payments"},
        {"server": WEST["server"], "namespace": "payments"},
    ]
    assert payments.placements == (("payments", ("east", "west")),)
    for application in payments.apps[0].applications:
        valid_argocd(application.obj)
    valid_argocd(payments.project.obj)


def test_namespaces_and_apps_name_their_clusters() -> None:
    data = catalog()
    payments = data["teams"][0]
    payments["namespaces"] = [{"name": "payments", "clusters": ["east"]}, {"name": "payments-batch"}]
    payments["apps"][0]["clusters"] = ["east"]
    payments["apps"].append(
        {
            "name": "ledger",
            "namespace": "payments-batch",
            "clusters": ["west"],
            "source": {"repo": "https://github.com/acme/ledger-deploy", "path": "p"},
        }
    )
    state = render(data)
    rendered = team(state, "payments")
    assert rendered.project.obj["spec"]["destinations"] == [
        {"server": EAST["server"], "namespace": "payments"},
        {"server": EAST["server"], "namespace": "payments-batch"},
        {"server": WEST["server"], "namespace": "payments-batch"},
    ]
    checkout, ledger = rendered.apps
    (east,) = checkout.applications
    assert east.name == "payments-checkout-east"
    assert east.obj["spec"]["destination"] == {"server": EAST["server"], "namespace": "payments"}
    assert east.obj["metadata"]["labels"]["app-of-apps.io/cluster"] == "east"
    (west,) = ledger.applications
    assert west.obj["spec"]["destination"] == {"server": WEST["server"], "namespace": "payments-batch"}
    for application in (east, west):
        valid_argocd(application.obj)


def test_sync_windows_hold_the_apps_applications_on_every_cluster() -> None:
    data = catalog()
    data["teams"][0]["sync_windows"] = [
        {"kind": "deny", "schedule": "0 22 * * *", "duration": "8h", "applications": ["checkout"]}
    ]
    (window,) = team(render(data), "payments").project.obj["spec"]["syncWindows"]
    assert window["applications"] == ["payments-checkout-east", "payments-checkout-west"]


def test_per_cluster_application_names_stay_within_argo_cds_limit_and_unique() -> None:
    long_team, long_app = "t" * 30, "a" * 25
    first = Names.application(long_team, long_app, "cluster-one-in-region")
    second = Names.application(long_team, long_app, "cluster-two-in-region")
    assert len(first) == len(second) == ARGOCD_APPLICATION_NAME_MAX
    assert first != second
    assert Names.application("payments", "checkout", "east") == "payments-checkout-east"
    assert Names.application("payments", "checkout") == "payments-checkout"


# --- refused ----------------------------------------------------------------------------------
def test_an_unknown_cluster_is_refused_with_its_path() -> None:
    data = catalog()
    data["teams"][0]["namespaces"] = [{"name": "payments", "clusters": ["east", "north"]}]
    data["teams"][1]["apps"][0]["clusters"] = ["south"]
    assert problems(data) == [
        "teams[0].namespaces[0].clusters[1]: unknown cluster 'north'; the environment's clusters: east, west",
        "teams[1].apps[0].clusters[0]: unknown cluster 'south'; the environment's clusters: east, west",
    ]


def test_a_cluster_named_without_declared_clusters_is_refused() -> None:
    data = copy.deepcopy(BASE)
    data["teams"][0]["apps"][0]["clusters"] = ["east"]
    assert problems(data) == [
        "teams[0].apps[0].clusters[0]: unknown cluster 'east': the environment declares no clusters "
        "(the platform's `clusters`)"
    ]


def test_an_app_on_a_cluster_without_its_namespace_is_refused() -> None:
    data = catalog()
    data["teams"][0]["namespaces"] = [{"name": "payments", "clusters": ["east"]}]
    data["teams"][0]["apps"][0]["clusters"] = ["west"]
    assert problems(data) == [
        "teams[0].apps[0].clusters[0]: cluster 'west' does not host the app's namespace 'payments' (it is on: east)"
    ]


def test_cluster_names_are_dns_labels_and_unique() -> None:
    data = catalog()
    data["clusters"][0]["name"] = "East_1"
    assert [p.split(":")[0] for p in problems(data)] == ["clusters[0].name"]
    data = catalog()
    data["clusters"][1]["name"] = "east"
    assert problems(data) == ["clusters[1].name: cluster name 'east' is already used at clusters[0].name"]


def test_two_entries_for_one_cluster_are_refused() -> None:
    data = catalog()
    data["clusters"][1]["server"] = EAST["server"].lower() + "/"
    data["clusters"][1]["eks_cluster_name"] = EAST["eks_cluster_name"]
    data["clusters"][1]["region"] = EAST["region"]
    found = problems(data)
    assert sorted(p.split(":")[0] for p in found) == ["clusters[1].eks_cluster_name", "clusters[1].server"]


def test_a_cluster_is_reached_through_an_iam_role_and_tls_only() -> None:
    data = catalog()
    data["clusters"][0]["argocd_role_arn"] = "arn:aws:iam::111111111111:user/deployer"
    data["clusters"][1]["server"] = "http://west.example"
    data["clusters"][1]["bearer_token"] = "eyJhbGciOi"
    reasons = problems(data)
    assert sorted(r.split(":")[0] for r in reasons) == [
        "clusters[0].argocd_role_arn",
        "clusters[1].bearer_token",
        "clusters[1].server",
    ]


def test_a_namespace_listing_a_cluster_twice_is_refused() -> None:
    data = catalog()
    data["teams"][0]["namespaces"] = [{"name": "payments", "clusters": ["east", "east"]}]
    assert problems(data) == ["teams[0].namespaces[0].clusters: 'east' is listed twice"]


def test_argo_cds_namespace_is_never_a_destination_on_any_cluster() -> None:
    data = catalog()
    data["teams"][0]["namespaces"] = [{"name": "argocd", "clusters": ["west"]}]
    assert any(p.startswith("teams[0].namespaces[0].name:") for p in problems(data))
    # The project guardrail (the policy pack's too) judges every destination, whatever its server.
    assert destination_problem("argocd", Settings().argocd_namespace) is not None
    assert destination_problem("payments", Settings().argocd_namespace) is None


# --- downstream: the plan directory, the access report, fleet diff ------------------------------
def placed_catalog() -> dict[str, Any]:
    data = catalog()
    data["teams"][0]["namespaces"] = [{"name": "payments"}, {"name": "payments-batch", "clusters": ["west"]}]
    return data


def test_the_plan_directory_says_which_cluster_each_object_goes_to() -> None:
    from fleet.reports import plan

    state = render(placed_catalog())
    files = plan.files(state)
    for cluster in ("east", "west"):
        assert f"clusters/{cluster}/_cluster/namespace-payments.yaml" in files
        assert f"clusters/{cluster}/payments/rolebinding-fleet-developer.yaml" in files
        assert f"clusters/{cluster}/payments/serviceaccount-checkout.yaml" in files
        assert f"clusters/{cluster}/_cluster/validatingadmissionpolicy-acme-dev-namespace-boundaries.yaml" in files
    assert "clusters/west/_cluster/namespace-payments-batch.yaml" in files
    assert "clusters/east/_cluster/namespace-payments-batch.yaml" not in files
    # Argo CD's objects stay on Argo CD's cluster.
    assert "kubernetes/argocd/secret-cluster-east.yaml" in files
    assert "kubernetes/argocd/application-payments-checkout-west.yaml" in files
    assert "kubernetes/argocd/appproject-payments.yaml" in files
    assert not any(f.startswith("kubernetes/payments/") for f in files)
    assert plan.summary(state).splitlines()[0] == "acme/dev: 2 teams, 2 apps, 2 clusters (east, west)"
    for path, text in files.items():
        if path.startswith("clusters/"):
            kubernetes_validate.validate(yaml.safe_load(text), "1.31", strict=True)


def test_the_access_report_says_on_which_cluster() -> None:
    from fleet.reports import access

    matrix = access.matrix(render(placed_catalog()))
    developer = next(g for g in matrix.groups if g.okta_group == "acme-dev-payments-developer")
    assert sorted(developer.kubernetes) == ["east/payments", "west/payments", "west/payments-batch"]
    assert sorted(developer.indirect) == ["east/payments", "west/payments", "west/payments-batch"]
    assert developer.indirect["west/payments"].aws_roles == [
        "arn:aws:iam::111111111111:role/fleet/acme-dev-payments-checkout"
    ]
    assert developer.indirect["west/payments-batch"].aws_roles == []
    assert "east/payments, west/payments, west/payments-batch" in access.markdown(matrix)
    # Without declared clusters the report reads as before.
    single = access.matrix(render(copy.deepcopy(BASE)))
    assert sorted(next(g for g in single.groups if g.okta_group == "acme-dev-payments-developer").kubernetes) == [
        "payments"
    ]


def test_fleet_diff_shows_a_placement_change() -> None:
    from fleet.reports import diff

    def side(data: dict[str, Any]) -> Any:
        return state_from_text(yaml.safe_dump(data), "catalog.yaml")

    base = catalog()
    head = catalog()
    head["teams"][0]["apps"][0]["clusters"] = ["west"]
    result = diff.compute(side(base), side(head), "base", "head")
    argocd = result.layers["argocd"]
    assert [(c.type, c.name) for c in argocd.removed] == [
        ("kubernetes:argoproj.io/v1alpha1:Application", "argocd/payments-checkout-east")
    ]
    assert argocd.added == []
    assert argocd.changed == []
    # The namespace leaves a cluster: the project's destinations change, and so does the access.
    head["teams"][0]["namespaces"] = [{"name": "payments", "clusters": ["west"]}]
    result = diff.compute(side(base), side(head), "base", "head")
    project = next(c for c in result.layers["argocd"].changed if c.name == "argocd/payments")
    assert any(field.startswith("spec.destinations") for field in project.fields)
    developer = next(c for c in result.access if c.principal == "acme-dev-payments-developer")
    assert developer.gained == []
    assert developer.lost
    assert all("east/payments" in grant for grant in developer.lost)
    assert not any("west/" in grant for grant in developer.lost)
    assert "payments-checkout-east" in diff.markdown(result).replace("\\-", "-")


def test_the_program_refuses_declared_clusters_it_cannot_reach_yet(tmp_path) -> None:
    """Until the program has a Kubernetes provider per cluster, a catalog declaring clusters is
    refused before any registration rather than half-deployed to one cluster."""
    from tests.conftest import ROOT
    from tests.pulumi_harness import run_program, write_stack_file

    shutil.copytree(ROOT / "stacks" / "dev", tmp_path / "stacks" / "dev")
    platform = tmp_path / "stacks" / "dev" / "platform.yaml"
    data = yaml.safe_load(platform.read_text())
    data["clusters"] = [EAST, WEST]
    platform.write_text(yaml.safe_dump(data))
    (tmp_path / "__main__.py").write_text((ROOT / "__main__.py").read_text())
    write_stack_file(tmp_path, "dev", fleet="stacks/dev")
    run = run_program("dev", program=tmp_path / "__main__.py")
    assert run.error is not None
    assert "clusters: the program deploys to one cluster" in str(run.error)
    assert run.registrations == []


# --- the policy pack: cluster Secrets hold no static credential ---------------------------------
def _judge(props: dict[str, Any]) -> list[str]:
    from fleet.guardrails.kubernetes import _cluster_secret_credentials

    return list(_cluster_secret_credentials(props, Settings()))


def _secret(config: Any, encoded: bool = False) -> dict[str, Any]:
    import base64

    text = json.dumps(config)
    body = (
        {"data": {"config": base64.b64encode(text.encode()).decode()}} if encoded else {"stringData": {"config": text}}
    )
    return {"metadata": {"name": "c", "labels": {"argocd.argoproj.io/secret-type": "cluster"}}, **body}


def test_the_rendered_cluster_secrets_pass_the_pack() -> None:
    for secret in render(catalog()).cluster_secrets:
        assert _judge(secret.obj) == []


@pytest.mark.parametrize(
    ("config", "encoded", "phrase"),
    [
        ({"bearerToken": "t"}, False, "config.bearerToken"),
        ({"username": "u", "password": "p"}, True, "config.password"),
        ({"tlsClientConfig": {"keyData": "k", "certData": "c"}}, False, "config.tlsClientConfig.keyData"),
        ({"awsAuthConfig": {"clusterName": "c"}, "tlsClientConfig": {"insecure": True}}, True, "insecure"),
    ],
)
def test_a_cluster_secret_with_a_static_credential_is_refused(config: Any, encoded: bool, phrase: str) -> None:
    reasons = _judge(_secret(config, encoded))
    assert any(phrase in reason for reason in reasons), reasons


def test_secrets_that_are_no_cluster_are_not_judged_and_unreadable_config_is_refused() -> None:
    other = _secret({"bearerToken": "t"})
    other["metadata"]["labels"] = {"argocd.argoproj.io/secret-type": "repository"}
    assert _judge(other) == []
    unreadable = _secret({})
    unreadable["stringData"]["config"] = "bearerToken: t"
    assert _judge(unreadable) == [
        "config is not a JSON object: Argo CD could not read it, and the guardrail cannot judge it"
    ]
