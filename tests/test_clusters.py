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


def test_each_object_is_one_resource_per_cluster_it_goes_to() -> None:
    """The program's resources: a namespace and its objects once per cluster (`<name>@<cluster>`,
    on that cluster), the Argo CD objects once (on Argo CD's cluster), a Pod Identity
    association per EKS cluster in its region, and the role trusting exactly those clusters."""
    from fleet.render.resources import desired_resources

    state = render(catalog())
    resources = desired_resources(state)
    namespaces = sorted((r.name, r.cluster) for r in resources if r.type == "kubernetes:core/v1:Namespace")
    assert ("payments@east", "east") in namespaces
    assert ("payments@west", "west") in namespaces
    assert all(name.endswith(f"@{cluster}") for name, cluster in namespaces)
    applications = [r for r in resources if r.props.get("kind") == "Application"]
    assert applications
    assert all(r.cluster is None and "@" not in r.name for r in applications)
    keys = [r.key for r in resources]
    assert len(keys) == len(set(keys))  # every logical name unique per type
    associations = [r for r in resources if r.type == "aws:eks/podIdentityAssociation:PodIdentityAssociation"]
    assert {(r.props["clusterName"], r.region) for r in associations if r.props["namespace"] == "payments"} == {
        ("acme-dev-east", None),
        ("acme-dev-west", "eu-central-1"),
    }
    app = team(state, "payments").apps[0]
    assert app.role is not None
    (statement,) = app.role.trust_policy["Statement"]
    assert statement["Condition"]["StringEquals"]["aws:RequestTag/eks-cluster-arn"] == [
        "arn:aws:eks:eu-central-1:111111111111:cluster/acme-dev-west",
        "arn:aws:eks:eu-west-1:111111111111:cluster/acme-dev-east",
    ]
    assert state.placed_clusters() == ("east", "west")
    assert state.aws_regions() == ("eu-central-1",)


def test_irsa_needs_each_clusters_oidc_provider_and_trusts_exactly_those() -> None:
    data = catalog()
    data["aws"]["workload_identity"] = "irsa"
    data["aws"]["oidc_provider_arn"] = "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
    assert sorted(problems(data)) == [
        f"clusters[{i}].oidc_provider_arn: required when aws.workload_identity is irsa (each EKS cluster has its own "
        "OIDC provider)"
        for i in (0, 1)
    ]
    east = "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EAST"
    west = "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/WEST"
    data["clusters"][0]["oidc_provider_arn"] = east
    data["clusters"][1]["oidc_provider_arn"] = east
    assert problems(data) == [
        f"clusters[1].oidc_provider_arn: OIDC provider {east!r} is already the OIDC provider of the cluster at "
        "clusters[0].oidc_provider_arn"
    ]
    data["clusters"][1]["oidc_provider_arn"] = west
    payments = team(render(data), "payments")
    role = payments.apps[0].role
    assert role is not None
    assert payments.apps[0].pod_identities == ()
    statements = role.trust_policy["Statement"]
    assert [(s["Sid"], s["Principal"]["Federated"]) for s in statements] == [("EksIrsa1", east), ("EksIrsa2", west)]
    assert statements[1]["Condition"]["StringEquals"] == {
        "oidc.eks.eu-central-1.amazonaws.com/id/WEST:aud": "sts.amazonaws.com",
        "oidc.eks.eu-central-1.amazonaws.com/id/WEST:sub": "system:serviceaccount:payments:checkout",
    }
    data["teams"][0]["apps"][0]["clusters"] = ["west"]  # on one cluster: that cluster's provider only
    (statement,) = team(render(data), "payments").apps[0].role.trust_policy["Statement"]
    assert (statement["Sid"], statement["Principal"]["Federated"]) == ("EksIrsa", west)


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


def _program_on_two_clusters(tmp_path: Any, kubeconfig: str) -> Any:
    """The program in a copy of the project whose dev catalog declares east and west."""
    from tests.conftest import ROOT
    from tests.pulumi_harness import run_program, write_stack_file

    shutil.copytree(ROOT / "stacks" / "dev", tmp_path / "stacks" / "dev")
    platform = tmp_path / "stacks" / "dev" / "platform.yaml"
    data = yaml.safe_load(platform.read_text())
    data["clusters"] = [EAST, WEST]
    platform.write_text(yaml.safe_dump(data))
    (tmp_path / "__main__.py").write_text((ROOT / "__main__.py").read_text())
    write_stack_file(tmp_path, "dev", fleet="stacks/dev")
    (tmp_path / "kubeconfig").write_text(kubeconfig)
    return run_program("dev", program=tmp_path / "__main__.py", kubeconfig_file=tmp_path / "kubeconfig")


def _kubeconfig(contexts: dict[str, str]) -> str:
    """A kubeconfig with one context per name (to its server); the first is the current one."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": f"c-{name}", "cluster": {"server": server}} for name, server in contexts.items()],
        "contexts": [{"name": name, "context": {"cluster": f"c-{name}", "user": "u"}} for name in contexts],
        "current-context": next(iter(contexts)),
        "users": [{"name": "u", "user": {"token": "mock"}}],
    }
    return yaml.safe_dump(config)


def test_the_program_deploys_each_cluster_through_its_own_provider(tmp_path) -> None:
    """One Kubernetes provider per declared cluster (through the context named like it), one AWS
    provider per other region: each namespace and its objects on every cluster hosting it, the
    Argo CD objects on Argo CD's cluster, a Pod Identity association per cluster in its region."""
    import os

    from tests.pulumi_harness import eks_endpoint

    os.environ["MOCK_ACCOUNT"] = "111111111111"
    run = _program_on_two_clusters(
        tmp_path, _kubeconfig({"fleet": eks_endpoint("acme-dev"), "east": EAST["server"], "west": WEST["server"]})
    )
    assert run.error is None, run.error
    providers = {r.name: r for r in run.registrations if r.type.startswith("pulumi:providers:")}
    assert {"kubernetes", "kubernetes-east", "kubernetes-west", "aws", "aws-eu-central-1"} <= set(providers)
    assert providers["kubernetes-east"].inputs["context"] == "east"
    assert providers["aws-eu-central-1"].inputs["region"] == "eu-central-1"
    assert json.loads(providers["aws-eu-central-1"].inputs["allowedAccountIds"]) == ["111111111111"]

    def provider(registration: Any) -> str:
        return next(name for name, p in providers.items() if registration.provider.rsplit("::", 1)[0] == p.urn)

    state = run_state(tmp_path)
    namespaces = run.of_type("kubernetes:core/v1:Namespace")
    planned = sorted(f"{m.name}@{c}" for t in state.teams for m in t.namespace_objects for c in t.clusters_of(m.name))
    assert sorted(r.name for r in namespaces) == planned
    assert {r.name: provider(r) for r in namespaces if r.name.startswith("payments@")} == {
        "payments@east": "kubernetes-east",
        "payments@west": "kubernetes-west",
    }
    for kind in ("ResourceQuota", "NetworkPolicy", "RoleBinding", "ServiceAccount"):
        placed = [r for r in run.registrations if r.type.endswith(f":{kind}")]
        # Argo CD's own namespace (the status reader's RoleBinding there) is on Argo CD's cluster.
        hub = [r for r in placed if r.inputs["metadata"].get("namespace") == "argocd"]
        assert all(provider(r) == "kubernetes" and "@" not in r.name for r in hub), kind
        spokes = [r for r in placed if r not in hub]
        assert spokes, kind
        assert all(provider(r) == f"kubernetes-{r.name.rsplit('@', 1)[1]}" for r in spokes), kind
    admission = [r for r in run.registrations if "ValidatingAdmissionPolicy" in r.type]
    assert sorted(provider(r) for r in admission) == ["kubernetes-east"] * 2 + ["kubernetes-west"] * 2
    for kind in ("Application", "AppProject"):
        on_argocd = [r for r in run.registrations if r.inputs.get("kind") == kind]
        assert on_argocd, kind
        assert all(provider(r) == "kubernetes" for r in on_argocd), kind
    secrets = [r for r in run.registrations if r.type == "kubernetes:core/v1:Secret"]
    assert sorted(r.name for r in secrets) == ["argocd/cluster-east", "argocd/cluster-west"]
    associations = run.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert associations
    by_cluster = {r.inputs["clusterName"]: provider(r) for r in associations}
    assert by_cluster == {"acme-dev-east": "aws", "acme-dev-west": "aws-eu-central-1"}


def run_state(tmp_path: Any) -> FleetState:
    from fleet.compiler import load_state

    return load_state(str(tmp_path / "stacks" / "dev"))[1]


@pytest.mark.parametrize(
    ("contexts", "reason"),
    [
        ({"east": EAST["server"]}, "the kubeconfig has no context 'west'"),
        ({"east": EAST["server"], "west": EAST["server"]}, "refusing to deploy into another cluster"),
    ],
)
def test_a_cluster_whose_context_is_missing_or_elsewhere_gets_nothing(tmp_path, contexts, reason) -> None:
    import os

    from tests.pulumi_harness import eks_endpoint

    os.environ["MOCK_ACCOUNT"] = "111111111111"
    run = _program_on_two_clusters(tmp_path, _kubeconfig({"fleet": eks_endpoint("acme-dev"), **contexts}))
    assert run.error is not None
    assert reason in str(run.error)


def test_a_declared_cluster_without_any_kubeconfig_is_refused(tmp_path) -> None:
    from tests.conftest import ROOT
    from tests.pulumi_harness import run_program, write_stack_file

    shutil.copytree(ROOT / "stacks" / "dev", tmp_path / "stacks" / "dev")
    platform = tmp_path / "stacks" / "dev" / "platform.yaml"
    data = yaml.safe_load(platform.read_text())
    data["clusters"] = [EAST, WEST]
    platform.write_text(yaml.safe_dump(data))
    (tmp_path / "__main__.py").write_text((ROOT / "__main__.py").read_text())
    write_stack_file(tmp_path, "dev", fleet="stacks/dev")
    run = run_program("dev", program=tmp_path / "__main__.py", kubeconfig_file=tmp_path / "no-such-kubeconfig")
    assert run.error is not None
    assert "clusters: east: no kubeconfig found" in str(run.error)
    assert not [r for r in run.registrations if r.type.startswith("kubernetes:") and "@" in r.name]


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


# --- fleet status reads each cluster ------------------------------------------------------------
def _observed_on_two_clusters(state: FleetState) -> Any:
    """What the reader would list: each declared cluster's planned objects (as the API server
    serves them), the Applications (Synced/Healthy) and AppProjects on Argo CD's cluster."""
    from fleet.apis.kubernetes import READ_KINDS
    from fleet.status import report as status
    from tests.status_scenario import application_status

    kinds = {kind.name for kind in READ_KINDS}
    objects: dict[str, list[dict[str, Any]]] = {"east": [], "west": []}
    applications, projects = [], []
    for cluster, manifest in state.placed():
        if cluster is not None and manifest.kind in kinds:
            objects[cluster].append(copy.deepcopy(manifest.obj))
        elif manifest.kind == "Application":
            live = copy.deepcopy(manifest.obj)
            live["status"] = application_status("Synced", "Healthy", "a" * 40, "Succeeded", [])
            applications.append(live)
        elif manifest.kind == "AppProject":
            projects.append(copy.deepcopy(manifest.obj))
    return status.Observed(
        context="argocd",
        server="https://argocd.example",
        observed_at="2026-12-04T23:00:00Z",
        objects=(),
        applications=tuple(applications),
        projects=tuple(projects),
        clusters=tuple(
            status.ClusterObserved(
                name=name,
                context=name,
                server=EAST["server"] if name == "east" else WEST["server"],
                objects=tuple(objs),
            )
            for name, objs in objects.items()
        ),
    )


def test_status_reads_each_cluster_one_row_per_app_per_cluster() -> None:
    from fleet.status import formats
    from fleet.status import report as status

    state = render(catalog())
    observed = _observed_on_two_clusters(state)
    env = status.environment(state, observed)
    assert env.drift == []
    assert env.unexpected == []
    assert [c.name for c in env.clusters] == ["east", "west"]
    rows = [(a.team, a.app, a.cluster, a.verdict) for a in env.applications if a.team == "payments"]
    assert ("payments", "checkout", "east", "healthy") in rows
    assert ("payments", "checkout", "west", "healthy") in rows
    text = formats.markdown(status.report([env]))
    assert "| payments/checkout | east | Synced | Healthy |" in text.replace("\\", "")
    assert "| payments/checkout | west | Synced | Healthy |" in text.replace("\\", "")
    assert 'cluster="west"' in formats.openmetrics(status.report([env]))


def test_status_names_the_cluster_of_a_missing_or_unexpected_object() -> None:
    from fleet.status import report as status

    state = render(catalog())
    observed = _observed_on_two_clusters(state)
    west = next(c for c in observed.clusters if c.name == "west")
    east = next(c for c in observed.clusters if c.name == "east")
    kept = tuple(
        o for o in west.objects if not (o["kind"] == "ResourceQuota" and o["metadata"]["namespace"] == "payments")
    )
    assert len(kept) == len(west.objects) - 1
    stray = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "by-hand", "namespace": "payments"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
        "subjects": [],
    }
    clusters = (
        status.ClusterObserved(east.name, east.context, east.server, (*east.objects, stray)),
        status.ClusterObserved(west.name, west.context, west.server, kept),
    )
    env = status.environment(state, status.Observed(**{**observed.__dict__, "clusters": clusters}))
    assert [(d.kind, d.namespace, d.cluster, d.state) for d in env.drift] == [
        ("ResourceQuota", "payments", "west", "missing")
    ]
    assert [(u.kind, u.name, u.cluster, u.reason) for u in env.unexpected] == [
        ("RoleBinding", "by-hand", "east", "not-in-plan")
    ]
    assert "on cluster east" in env.unexpected[0].message
