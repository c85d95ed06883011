"""The preview identity against a real API server's RBAC: the ClusterRole that
`python -m fleet pipeline preview-role` prints lets the group app-of-apps:preview get, list and
watch every kind the program manages, and nothing else: no write, no Secret."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from fleet.catalog.folder import catalog_data, read_catalog
from fleet.catalog.naming import PREVIEW_IDENTITY, PREVIEW_KUBERNETES_GROUP
from fleet.compiler import load_state
from fleet.pipeline import steps as pipeline
from fleet.render.resources import desired_resources
from tests.conftest import STACKS, shipped
from tests.e2e.engine import Workspace
from tests.e2e.kube import Kube

WRITES = ("create", "update", "patch", "delete", "deletecollection")
RBAC = "/apis/rbac.authorization.k8s.io/v1"


def managed() -> set[tuple[str, str]]:
    """What the program manages and the preview group reads: every kind but Secrets (Argo CD's
    cluster Secrets, which a ClusterRole could only grant with every other Secret)."""
    types = {r.type for path in STACKS for r in desired_resources(load_state(path)[1])}
    return {found for t in types if (found := pipeline._api_resource(t)) is not None} - {pipeline.SECRETS}


@pytest.fixture(scope="module")
def preview_role(kube: Kube) -> Iterator[None]:
    types = {r.type for path in STACKS for r in desired_resources(load_state(path)[1])}
    role, binding = pipeline.preview_cluster_role(types)
    kube.apply(f"{RBAC}/clusterroles/{PREVIEW_IDENTITY}", role)
    kube.apply(f"{RBAC}/clusterrolebindings/{PREVIEW_IDENTITY}", binding)
    yield
    kube.delete(f"{RBAC}/clusterrolebindings/{PREVIEW_IDENTITY}")
    kube.delete(f"{RBAC}/clusterroles/{PREVIEW_IDENTITY}")


def allowed(kube: Kube, verb: str, group: str, resource: str, namespace: str = "payments") -> bool:
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "user": "github-actions-preview",
            "groups": [PREVIEW_KUBERNETES_GROUP, "system:authenticated"],
            "resourceAttributes": {"verb": verb, "group": group, "resource": resource, "namespace": namespace},
        },
    }
    answer = kube.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", review)
    return bool(answer["status"].get("allowed"))


@pytest.mark.usefixtures("preview_role")
def test_the_preview_group_reads_every_kind_the_program_manages(kube: Kube) -> None:
    kinds = managed()
    assert ("rbac.authorization.k8s.io", "roles") in kinds
    denied = [(v, g, r) for g, r in sorted(kinds) for v in pipeline.READ_VERBS if not allowed(kube, v, g, r)]
    assert denied == []


@pytest.mark.usefixtures("preview_role")
def test_the_preview_group_writes_nothing_and_reads_no_secret(kube: Kube) -> None:
    writes = [(v, g, r) for g, r in sorted(managed()) for v in WRITES if allowed(kube, v, g, r)]
    assert writes == []
    assert not allowed(kube, "get", "", "secrets")
    assert not allowed(kube, "list", "", "secrets", namespace="argocd")
    assert not allowed(kube, "create", "", "pods/exec")


# --- a read-only `pulumi preview --refresh` of a deployed stack, as the preview group -----------


# An exec credential, as on EKS (`aws eks get-token`): the kubeconfig in the stack's state holds no
# secret, and who reads is whoever the environment says at run time (here: $E2E_TOKEN).
_PRINT_TOKEN = (
    'printf \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",'
    '"status":{"token":"%s"}}\' "$E2E_TOKEN"'
)


def _exec_kubeconfig(admin: Path, dest: Path) -> tuple[Path, str]:
    """The admin kubeconfig with an exec credential instead of its token; and that token."""
    data = yaml.safe_load(admin.read_text())
    (user,) = data["users"]
    token = user["user"]["token"]
    user["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "sh",
            "args": ["-c", _PRINT_TOKEN],
            "interactiveMode": "Never",
        }
    }
    dest.write_text(yaml.safe_dump(data))
    return dest, token


def _service_account_token(kube: Kube, namespace: str, name: str, bound: bool) -> str:
    """A short-lived token of a ServiceAccount, bound to the preview ClusterRole or to nothing."""
    kube.apply(
        f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}",
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}},
    )
    if bound:
        kube.apply(
            f"{RBAC}/clusterrolebindings/{PREVIEW_IDENTITY}-{name}",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": f"{PREVIEW_IDENTITY}-{name}"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": PREVIEW_IDENTITY},
                "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
            },
        )
    request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 3600}}
    answer = kube.request("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token", request)
    return str(answer["status"]["token"])


@pytest.mark.usefixtures("argocd_crds", "preview_role")
def test_a_refreshing_preview_runs_with_the_read_only_identity(
    kube: Kube, kubeconfig: str, pulumi_env: dict[str, str], tmp_path: Path
) -> None:
    ws = Workspace.platform(tmp_path / "ws", pulumi_env)
    # A local backend has no ESC: the stack file keeps its config, without `environment`.
    stack_file = ws.dir / "Pulumi.dev.yaml"
    config = yaml.safe_load(stack_file.read_text())
    config.pop("environment", None)
    catalog = catalog_data(read_catalog(ws.dir / shipped("dev")))  # the folder or the one file, as one file's data
    for team in catalog["teams"]:
        team.pop("github_app", None)  # the External Secrets CRDs are not installed here
    config["config"]["app-of-apps:fleet"] = ws.write_catalog("dev-preview.yaml", catalog)
    stack_file.write_text(yaml.safe_dump(config))
    exec_config, admin_token = _exec_kubeconfig(Path(kubeconfig), tmp_path / "exec-kubeconfig")
    kube.apply(
        "/api/v1/namespaces/e2e-preview", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "e2e-preview"}}
    )
    reader = _service_account_token(kube, "e2e-preview", "reader", bound=True)
    nobody = _service_account_token(kube, "e2e-preview", "nobody", bound=False)
    # Deploying (and destroying) as the admin, through the same exec credential.
    ws.env = {**ws.env, "KUBECONFIG": str(exec_config), "E2E_TOKEN": admin_token}
    ws.pulumi("stack", "init", "dev")
    try:
        ws.pulumi("up", "--yes", "--skip-preview", "--stack", "dev", timeout=900)
        as_reader = {"KUBECONFIG": str(exec_config), "E2E_TOKEN": reader}
        result = ws.pulumi("preview", "--refresh", "--json", "--stack", "dev", env=as_reader, timeout=900)
        steps = json.loads(result.stdout).get("steps", [])
        assert len(steps) > 100
        changed = [(s["op"], s["urn"].rsplit("::", 1)[-1]) for s in steps if s["op"] not in ("same", "refresh", "read")]
        assert changed == []  # read everything back, found it as deployed, wrote nothing
        # the identity is really the one that reads: a ServiceAccount without the binding cannot
        as_nobody = {"KUBECONFIG": str(exec_config), "E2E_TOKEN": nobody}
        refused = ws.pulumi("preview", "--refresh", "--stack", "dev", env=as_nobody, check=False, timeout=900)
        assert refused.returncode != 0
        assert "forbidden" in refused.stdout + refused.stderr
    finally:
        try:
            ws.remove("dev")
            kube.delete(f"{RBAC}/clusterrolebindings/{PREVIEW_IDENTITY}-reader")
        finally:  # namespaces are retained on delete (they hold workloads): removed by hand
            state = load_state(ws.dir / shipped("dev"))[1]
            names = [ns for team in state.teams for ns in team.namespaces]
            assert kube.delete_namespaces([*names, "e2e-preview"]) == []


@pytest.mark.usefixtures("preview_role")
def test_without_the_binding_the_group_reads_nothing(kube: Kube) -> None:
    """The referee is not vacuous: the same review is refused when the role is not bound."""
    # The RBAC authorizer reads bindings from an informer cache: a change reaches it within moments.
    assert settles(lambda: allowed(kube, "list", "", "namespaces"))  # bound by the module's fixture
    kube.delete(f"{RBAC}/clusterrolebindings/{PREVIEW_IDENTITY}")
    assert settles(lambda: not allowed(kube, "list", "", "namespaces"))


def settles(condition: Callable[[], bool], timeout: float = 30) -> bool:
    """Whether `condition` holds within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True
