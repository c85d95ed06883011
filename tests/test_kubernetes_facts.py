"""fleet.apis.kubernetes, the one table of Kubernetes kinds, judged by upstream: the custom
resources by their vendored CRDs, the built-in kinds by the paths of the official Python client."""

from __future__ import annotations

import inspect

import kubernetes.client
import pytest
import yaml

from fleet.apis import kubernetes as k8s
from fleet.apis import pulumi_types
from fleet.compiler import load_state
from fleet.pipeline import steps as pipeline
from fleet.render.resources import desired_resources
from tests.conftest import ARGOCD_CRDS, ESO_CRDS, STACKS

CRDS = {
    k8s.APPLICATION: ARGOCD_CRDS / "application-crd.yaml",
    k8s.APP_PROJECT: ARGOCD_CRDS / "appproject-crd.yaml",
    k8s.EXTERNAL_SECRET: ESO_CRDS / "externalsecrets-crd.yaml",
}


@pytest.mark.parametrize("kind", CRDS, ids=lambda k: k.name)
def test_a_custom_resource_is_what_its_crd_says(kind: k8s.Kind) -> None:
    crd = yaml.safe_load(CRDS[kind].read_text())
    spec = crd["spec"]
    assert (spec["group"], spec["names"]["kind"], spec["names"]["plural"]) == (kind.group, kind.name, kind.plural)
    assert kind.version in [v["name"] for v in spec["versions"] if v.get("served")]
    assert (spec["scope"] == "Namespaced") == kind.namespaced


def _client_api(kind: k8s.Kind) -> str:
    """The source of the official client's API class for the kind's group and version."""
    words = kind.group.removesuffix(".k8s.io").split(".") if kind.group else ["core"]
    name = "".join(w.capitalize() for w in words) + f"{kind.version.capitalize()}Api"  # RbacAuthorizationV1Api
    return inspect.getsource(getattr(kubernetes.client, name))


@pytest.mark.parametrize("kind", [k for k in k8s.KINDS if k not in CRDS], ids=lambda k: k.name)
def test_a_built_in_kind_has_the_paths_of_the_official_client(kind: k8s.Kind) -> None:
    source = _client_api(kind)
    assert f"'/{kind.path()}'" in source
    namespaced = f"'/{kind.path('{namespace}')}'" in source
    assert namespaced == kind.namespaced


def test_every_kind_the_program_registers_is_in_the_table() -> None:
    for catalog in STACKS:
        for resource in desired_resources(load_state(catalog)[1]):
            found = pulumi_types.kubernetes_kind(resource.type)
            if found is not None:
                assert k8s.kind(found[0], found[1]).name == found[1]


def test_a_kind_the_table_does_not_know_is_an_error_not_a_guess() -> None:
    assert pipeline._api_resource("kubernetes:networking.k8s.io/v1:NetworkPolicy") == (
        "networking.k8s.io",
        "networkpolicies",
    )
    with pytest.raises(LookupError, match=r"Ingress of API group 'networking\.k8s\.io' is not in"):
        pipeline._api_resource("kubernetes:networking.k8s.io/v1:Ingress")  # "ingresss", by the old rule


def test_paths_of_a_kind() -> None:
    assert k8s.NAMESPACE.path() == "api/v1/namespaces"
    assert k8s.NETWORK_POLICY.path() == "apis/networking.k8s.io/v1/networkpolicies"
    assert k8s.APPLICATION.path("argocd") == "apis/argoproj.io/v1alpha1/namespaces/argocd/applications"
    assert k8s.ROLE.api_version == "rbac.authorization.k8s.io/v1"
    assert k8s.CONFIG_MAP.api_version == "v1"
