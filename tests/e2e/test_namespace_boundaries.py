"""The API server itself enforces the namespace boundaries the program renders (issue 9, item 3):
the ValidatingAdmissionPolicy's CEL refuses Service externalIPs, in-cluster ExternalNames and
Ingress snippet annotations in the fleet's namespaces only, and the persona Roles give no
Endpoints writes. Requests are server-side dry runs (`dryRun=All`: admission runs, nothing is
stored), made with the admin credentials, which RBAC would let through: only admission stops them.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest

from fleet.catalog.folder import catalog_data, read_catalog
from fleet.catalog.naming import ENVIRONMENT_LABEL, K8S_PART_OF, TEAM_LABEL, Names
from fleet.compiler import load_state, validate
from fleet.render import boundaries
from fleet.render.layers import render
from tests.conftest import catalog_path
from tests.e2e.kube import Kube, KubeError

ADMISSION = "/apis/admissionregistration.k8s.io/v1"


@pytest.fixture(scope="module")
def fleet(kube: Kube) -> Iterator[dict[str, str]]:
    """The rendered admission policy and binding of the dev catalog under a name of this run
    (the tier's other tests may deploy the real ones), a namespace that carries the selected
    labels and one that does not."""
    token = secrets.token_hex(3)
    # the dev catalog with platform grants of this run (issue 21): namespace jenkins-<token> is
    # payments', host shop-<token>.acme.example is search's.
    data = catalog_data(read_catalog(catalog_path("dev")))
    data["cluster"]["namespace_grants"] = {f"jenkins-{token}": "payments"}
    data["cluster"]["host_grants"] = {f"shop-{token}.acme.example": "search", f"pay-{token}.acme.example": "payments"}
    catalog = validate(data, "dev.yaml")
    state = render(catalog)
    policy, binding = (copy.deepcopy(m.obj) for m in state.cluster_objects)
    name = f"e2e-{token}{Names.ADMISSION_POLICY_SUFFIX}"
    labels = {K8S_PART_OF: f"e2e-{token}", ENVIRONMENT_LABEL: "dev"}
    policy["metadata"]["name"] = binding["metadata"]["name"] = binding["spec"]["policyName"] = name
    binding["spec"]["matchResources"]["namespaceSelector"]["matchLabels"] = labels
    # The guarded namespace is team payments' (its name carries it, as the policy demands).
    guarded, outside = f"payments-e2e-{token}", f"e2e-{token}-outside"
    kube.apply(f"{ADMISSION}/validatingadmissionpolicies/{name}", policy)
    kube.apply(f"{ADMISSION}/validatingadmissionpolicybindings/{name}", binding)
    for namespace, namespace_labels in ((guarded, {**labels, TEAM_LABEL: "payments"}), (outside, {})):
        kube.apply(
            f"/api/v1/namespaces/{namespace}",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": namespace_labels}},
        )
    try:
        yield {
            "guarded": guarded,
            "outside": outside,
            "policy": name,
            "token": token,
            "domain": str(catalog.cluster.ingress_domain),
            "external": catalog.cluster.external_names[0],
            **labels,
        }
    finally:
        kube.delete(f"{ADMISSION}/validatingadmissionpolicybindings/{name}")
        kube.delete(f"{ADMISSION}/validatingadmissionpolicies/{name}")
        for namespace in (guarded, outside):
            kube.delete(f"/api/v1/namespaces/{namespace}")


def _service(namespace: str, **spec: Any) -> tuple[str, dict[str, Any]]:
    body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": namespace}, "spec": spec}
    return f"/api/v1/namespaces/{namespace}/services", body


OWN_HOST = "web.payments.apps.dev.acme.example"  # under payments.<stacks/dev.yaml's ingress_domain>


def _ingress(namespace: str, host: str | None = OWN_HOST, **annotations: str) -> tuple[str, dict[str, Any]]:
    body = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "i", "namespace": namespace, "annotations": annotations},
        "spec": {
            "rules": [
                {
                    **({"host": host} if host is not None else {}),
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "s", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ]
        },
    }
    return f"/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses", body


def _dry_run(kube: Kube, request: tuple[str, dict[str, Any]]) -> str | None:
    """None when admitted; else the API server's message."""
    path, body = request
    try:
        kube.request("POST", path, body, query={"dryRun": "All"})
    except KubeError as err:
        return str(err)
    return None


def _refused(kube: Kube, request: tuple[str, dict[str, Any]], message: str) -> str:
    """The refusal, waiting for a freshly created policy to be loaded (the API server reads
    policies and bindings asynchronously)."""
    deadline = time.monotonic() + 30
    while True:
        answer = _dry_run(kube, request)
        if answer is not None and message in answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"not refused with {message!r}: {answer}")
        time.sleep(0.5)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"type": "ClusterIP", "ports": [{"port": 80}], "externalIPs": ["203.0.113.7"]},
            boundaries.SERVICE_EXTERNAL_IPS,
        ),
        (
            {"type": "ExternalName", "externalName": "checkout.payments.svc.cluster.local"},
            boundaries.EXTERNAL_NAME_IN_CLUSTER,
        ),
        ({"type": "ExternalName", "externalName": "checkout.payments.svc"}, boundaries.EXTERNAL_NAME_IN_CLUSTER),
        ({"type": "ExternalName", "externalName": "10.0.12.7"}, boundaries.EXTERNAL_NAME_IN_CLUSTER),
    ],
    ids=["external-ips", "external-name-fqdn", "external-name-svc", "external-name-ip"],
)
def test_services_that_reach_out_are_refused(
    kube: Kube, fleet: dict[str, str], spec: dict[str, Any], message: str
) -> None:
    answer = _refused(kube, _service(fleet["guarded"], **spec), message)
    assert fleet["policy"] in answer
    # Outside the fleet's namespaces the policy does not apply.
    assert _dry_run(kube, _service(fleet["outside"], **spec)) is None


@pytest.mark.parametrize(
    "annotation",
    [
        "nginx.ingress.kubernetes.io/configuration-snippet",
        "nginx.ingress.kubernetes.io/server-snippet",
        "nginx.ingress.kubernetes.io/auth-snippet",
        "Nginx.Ingress.Kubernetes.io/Configuration-Snippet",
        "nginx.org/location-snippets",
    ],
)
def test_ingress_snippets_are_refused(kube: Kube, fleet: dict[str, str], annotation: str) -> None:
    _refused(kube, _ingress(fleet["guarded"], **{annotation: "return 200;"}), boundaries.INGRESS_SNIPPET)
    assert _dry_run(kube, _ingress(fleet["outside"], **{annotation: "return 200;"})) is None


def test_legitimate_services_and_ingresses_are_admitted(kube: Kube, fleet: dict[str, str]) -> None:
    # The policy is live (it refuses the first request) before the neighbours are tried.
    _refused(kube, _service(fleet["guarded"], externalIPs=["203.0.113.7"], ports=[{"port": 80}]), "externalIPs")
    for request in (
        _service(fleet["guarded"], type="ClusterIP", ports=[{"port": 80}], selector={"app": "x"}),
        _service(fleet["guarded"], type="ExternalName", externalName=fleet["external"]),
        _service(fleet["guarded"], type="LoadBalancer", ports=[{"port": 443}]),
        _ingress(fleet["guarded"], **{"nginx.ingress.kubernetes.io/ssl-redirect": "true"}),
        _ingress(fleet["guarded"]),
    ):
        assert _dry_run(kube, request) is None, request


def test_personas_cannot_write_endpoints(kube: Kube, fleet: dict[str, str]) -> None:
    """The rendered persona Roles, bound in a guarded namespace, judged by the API server's RBAC."""
    _, state = load_state(catalog_path("dev"))
    namespace = fleet["guarded"]
    roles = {m.name: m.obj for m in state.manifests() if m.kind == "Role" and m.namespace == "payments"}
    groups = {}
    for name, role in roles.items():
        role = copy.deepcopy(role)
        role["metadata"]["namespace"] = namespace
        group = f"e2e-{namespace}-{name}"
        binding = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}],
        }
        kube.apply(f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles/{name}", role)
        kube.apply(f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings/{name}", binding)
        groups[name] = group

    def allowed(group: str, verb: str, resource: str, api_group: str = "") -> bool:
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": "e2e-member",
                "groups": [group],
                "resourceAttributes": {"namespace": namespace, "verb": verb, "group": api_group, "resource": resource},
            },
        }
        return bool(
            kube.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", review)["status"].get("allowed")
        )

    assert groups
    for group in groups.values():
        for verb in ("create", "update", "patch", "delete"):
            assert not allowed(group, verb, "endpoints"), (group, verb)
            assert not allowed(group, verb, "endpointslices", "discovery.k8s.io"), (group, verb)
        assert allowed(group, "list", "endpoints")
    # The neighbour: the edit and admin personas still write Services (RBAC answers, the check is real).
    assert any(allowed(group, "create", "services") for group in groups.values())


# --- issue 21: the fleet's Namespaces carry their team's ownership, and none is adopted ----------
def _namespace(fleet: dict[str, str], name: str, team: str | None) -> tuple[str, dict[str, Any]]:
    labels = {K8S_PART_OF: fleet[K8S_PART_OF], ENVIRONMENT_LABEL: fleet[ENVIRONMENT_LABEL]}
    if team is not None:
        labels[TEAM_LABEL] = team
    return "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


NAMESPACE_ATTEMPTS = [
    ("an add-on's name", "gpu-operator-{t}", "payments"),
    ("another team's name", "search-{t}", "payments"),
    ("a name that only starts like the team's", "paymentsx-{t}", "payments"),
    ("a name granted to another team", "jenkins-{t}", "search"),
]
NAMESPACE_NEIGHBOURS = [
    ("the team's own prefix", "payments-{t}", "payments"),
    ("a name the platform grants it", "jenkins-{t}", "payments"),
    ("an add-on's namespace of no team", "gpu-operator-{t}", None),
]


@pytest.mark.parametrize(("name", "team"), [a[1:] for a in NAMESPACE_ATTEMPTS], ids=[a[0] for a in NAMESPACE_ATTEMPTS])
def test_namespaces_without_their_teams_ownership_are_refused(
    kube: Kube, fleet: dict[str, str], name: str, team: str
) -> None:
    answer = _refused(kube, _namespace(fleet, name.format(t=fleet["token"]), team), boundaries.NAMESPACE_NOT_OWNED)
    assert fleet["policy"] in answer


def test_owned_namespaces_are_admitted(kube: Kube, fleet: dict[str, str]) -> None:
    # The policy is live (it refuses the first request) before the neighbours are tried.
    _refused(kube, _namespace(fleet, f"search-{fleet['token']}", "payments"), boundaries.NAMESPACE_NOT_OWNED)
    for _, name, team in NAMESPACE_NEIGHBOURS:
        request = _namespace(fleet, name.format(t=fleet["token"]), team)
        assert _dry_run(kube, request) is None, request


def test_an_existing_namespace_is_never_adopted(kube: Kube, fleet: dict[str, str]) -> None:
    """What `pulumi up` would do to a namespace that already exists, were it to upsert: add the
    fleet's and the team's labels. Refused even under the team's own name; a fleet namespace
    that already is the team's takes an update."""
    existing, owned = f"payments-{fleet['token']}-old", f"payments-{fleet['token']}-fleet"
    path = "/api/v1/namespaces"
    kube.apply(f"{path}/{existing}", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": existing}})
    kube.apply(f"{path}/{owned}", _namespace(fleet, owned, "payments")[1])
    try:

        def relabel(name: str, extra: dict[str, str]) -> str | None:
            body = _namespace(fleet, name, "payments")[1]
            body["metadata"]["labels"].update(extra)
            try:
                kube.request(
                    "PATCH",
                    f"{path}/{name}",
                    json.dumps(body).encode(),
                    query={"fieldManager": "app-of-apps-e2e", "force": "true", "dryRun": "All"},
                    content_type="application/apply-patch+yaml",
                )
            except KubeError as err:
                return str(err)
            return None

        deadline = time.monotonic() + 30
        while (answer := relabel(existing, {})) is None or boundaries.NAMESPACE_ADOPTED not in answer:
            assert time.monotonic() < deadline, answer
            time.sleep(0.5)
        assert relabel(owned, {"example.com/note": "kept"}) is None
    finally:
        kube.delete(f"{path}/{existing}")
        kube.delete(f"{path}/{owned}")


# --- issue 21: ExternalName targets the platform allows, hosts the team owns ---------------------
@pytest.mark.parametrize(
    "target",
    ["checkout.payments", "10-0-0-5.payments.pod", "pod-ip.nip.io", "db.example.com"],
)
def test_external_names_the_platform_does_not_allow_are_refused(kube: Kube, fleet: dict[str, str], target: str) -> None:
    request = _service(fleet["guarded"], type="ExternalName", externalName=target)
    assert fleet["policy"] in _refused(kube, request, boundaries.EXTERNAL_NAME_NOT_ALLOWED)
    assert _dry_run(kube, _service(fleet["outside"], type="ExternalName", externalName=target)) is None


def test_external_names_are_compared_exactly(kube: Kube, fleet: dict[str, str]) -> None:
    """The allowed name, and only it: with a trailing dot (which the API server's validation
    accepts) or as a subdomain it is another name, which may resolve anywhere."""
    allowed = fleet["external"]
    for target in (f"{allowed}.", f"x.{allowed}"):
        request = _service(fleet["guarded"], type="ExternalName", externalName=target)
        assert fleet["policy"] in _refused(kube, request, boundaries.EXTERNAL_NAME_NOT_ALLOWED), target
    assert _dry_run(kube, _service(fleet["guarded"], type="ExternalName", externalName=allowed)) is None


def _with(request: tuple[str, dict[str, Any]], **spec: Any) -> tuple[str, dict[str, Any]]:
    path, body = request
    body = copy.deepcopy(body)
    body["spec"].update(spec)
    return path, body


def test_hosts_the_team_does_not_own_are_refused(kube: Kube, fleet: dict[str, str]) -> None:
    guarded, token, domain = fleet["guarded"], fleet["token"], fleet["domain"]
    attempts = [
        (_ingress(guarded, f"checkout.search.{domain}"), boundaries.HOST_NOT_OWNED),
        (_ingress(guarded, f"shop-{token}.acme.example"), boundaries.HOST_NOT_OWNED),  # granted to search
        (_ingress(guarded, f"*.{domain}"), boundaries.HOST_NOT_OWNED),
        (_ingress(guarded, f"payments.{domain}.evil.example"), boundaries.HOST_NOT_OWNED),
        (_ingress(guarded, None), boundaries.HOST_NOT_OWNED),  # a rule for every host
        (_with(_ingress(guarded), tls=[{"hosts": [f"search.{domain}"]}]), boundaries.HOST_NOT_OWNED),
        (
            _with(_ingress(guarded), defaultBackend={"service": {"name": "s", "port": {"number": 80}}}),
            boundaries.INGRESS_DEFAULT_BACKEND,
        ),
    ]
    for request, message in attempts:
        assert fleet["policy"] in _refused(kube, request, message), request
        assert (
            _dry_run(kube, (request[0].replace(guarded, fleet["outside"]), _moved(request[1], fleet["outside"])))
            is None
        )


def _moved(body: dict[str, Any], namespace: str) -> dict[str, Any]:
    body = copy.deepcopy(body)
    body["metadata"]["namespace"] = namespace
    return body


def test_hosts_the_team_owns_are_admitted(kube: Kube, fleet: dict[str, str]) -> None:
    guarded, domain = fleet["guarded"], fleet["domain"]
    _refused(kube, _ingress(guarded, f"search.{domain}"), boundaries.HOST_NOT_OWNED)  # the policy is live
    for request in (
        _ingress(guarded, f"payments.{domain}"),
        _ingress(guarded, f"*.payments.{domain}"),
        _with(_ingress(guarded), tls=[{"hosts": [OWN_HOST], "secretName": "t"}]),
        _ingress(guarded, f"pay-{fleet['token']}.acme.example"),  # granted to payments by the platform
    ):
        assert _dry_run(kube, request) is None, request
