"""Session fixtures of the end-to-end tier: a disposable cluster, the Argo CD CRDs, a Pulumi CLI.

What the tier runs against is whatever the environment gives it: `KUBECONFIG` (a kind/k3d
cluster, or the loopback API server `scripts/e2e.sh` starts from the engine kit) and the first
`pulumi` on `PATH`. Before anything is created the cluster must be proven disposable:

- its API server is on the loopback interface (the tier reaches nothing beyond 127.0.0.1), and
- the current context's name or its cluster's name says so: it starts with `kind-` or `k3d-`
  (what kind and k3d call their contexts) or contains `disposable`; or the user says so
  explicitly with `E2E_CLUSTER_IS_DISPOSABLE=1`;
- it holds nothing the program made in an earlier run (an object with its managed-by label): a run
  stopped before its clean-up leaves objects that a later test would meet instead of creating its
  own (a field manager's conflict, a namespace already there).

Anything else stops the session before the first test, with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
import yaml

from fleet.catalog.naming import K8S_MANAGED_BY, MANAGED_BY
from tests.conftest import ARGOCD_CRDS, ESO_CRDS
from tests.e2e.kube import Kube, KubeError, is_loopback, read_context

DISPOSABLE_NAME = re.compile(r"^(kind|k3d)-|disposable")
ARGOCD_NAMESPACE = "argocd"
PASSPHRASE = "e2e-test-passphrase-not-a-secret"
# Credentials and backends of real accounts never reach the tier's processes.
DROPPED_ENV = ("AWS_", "OKTA_", "PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "KUBECONFIG")
# Any HTTP(S) client that honours the proxy variables (Go's, Python's) fails fast for a host
# other than loopback: the port is closed. Loopback itself is never proxied.
NOWHERE_PROXY = "http://127.0.0.1:9"


def refuse(reason: str) -> NoReturn:
    pytest.exit(f"e2e tier refused: {reason}", returncode=3)


def disposable_reason(context_name: str, cluster_name: str) -> str | None:
    """Why the cluster counts as disposable, or None."""
    if os.environ.get("E2E_CLUSTER_IS_DISPOSABLE") == "1":
        return "E2E_CLUSTER_IS_DISPOSABLE=1"
    for what, name in (("context", context_name), ("cluster", cluster_name)):
        if DISPOSABLE_NAME.search(name):
            return f"{what} name {name!r}"
    return None


@pytest.fixture(scope="session")
def kubeconfig() -> str:
    """Path of an admin kubeconfig whose current context is a disposable cluster on loopback."""
    paths = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    if not paths:
        refuse("KUBECONFIG is not set; point it at a disposable cluster (kind, k3d) or run `make e2e`")
    path = Path(paths[0]).resolve()
    try:
        context = read_context(path)
    except (OSError, ValueError, yaml.YAMLError) as err:
        refuse(f"cannot read KUBECONFIG {path}: {err}")
    if not is_loopback(context.server):
        refuse(
            f"context {context.name!r} points at {context.server}; the e2e tier only talks to an API server "
            "on this machine's loopback interface"
        )
    if disposable_reason(context.name, context.cluster_name) is None:
        refuse(
            f"context {context.name!r} (cluster {context.cluster_name!r}) is not marked disposable: its name must "
            "start with 'kind-' or 'k3d-' or contain 'disposable', or set E2E_CLUSTER_IS_DISPOSABLE=1 "
            "(the tier creates and deletes namespaces, RBAC and CRDs)"
        )
    client = Kube(path)  # one client for both checks
    try:
        try:
            client.get("/version")
        except (OSError, KubeError) as err:
            refuse(f"the API server of context {context.name!r} ({context.server}) does not answer: {err}")
        try:
            leftovers = leftovers_of(client)
        except (OSError, KubeError) as err:
            refuse(f"cannot list the objects of context {context.name!r} (the tier needs an admin's kubeconfig): {err}")
    finally:
        client.close()
    if leftovers:
        shown = ", ".join(leftovers[:8]) + (f" and {len(leftovers) - 8} more" if len(leftovers) > 8 else "")
        refuse(
            f"the cluster of context {context.name!r} holds {len(leftovers)} objects the program made in an earlier "
            f"run that was stopped before its clean-up ({shown}); the tier's tests would meet them instead of "
            "creating their own. Give it an empty cluster: `make e2e` starts the engine kit's API server from an "
            "empty store when it starts it (a server already running is used as it is: stop it with the kit's "
            "`apiserver.sh stop` once no other run uses it); for kind, `kind delete cluster` then "
            "`kind create cluster`"
        )
    return str(path)


# The kinds the program writes, listed across namespaces: its cluster-wide objects, and what it
# writes into namespaces that outlive it (Argo CD's, which the tier keeps). Every one carries the
# managed-by label (fleet.catalog.naming). argocd-rbac-cm is Argo CD's map: what the program leaves
# there is a field manager of its patch (RBAC_CONFIGMAP below).
LEFTOVER_KINDS = (
    "/api/v1/namespaces",
    "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies",
    "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings",
    "/apis/rbac.authorization.k8s.io/v1/clusterroles",
    "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
    "/apis/rbac.authorization.k8s.io/v1/roles",
    "/apis/rbac.authorization.k8s.io/v1/rolebindings",
    "/api/v1/serviceaccounts",
    "/api/v1/secrets",
    "/apis/argoproj.io/v1alpha1/applications",
    "/apis/argoproj.io/v1alpha1/appprojects",
    "/apis/external-secrets.io/v1/externalsecrets",
)


RBAC_CONFIGMAP = f"/api/v1/namespaces/{ARGOCD_NAMESPACE}/configmaps/argocd-rbac-cm"
# The field manager the tier's Argo CD installation applies argocd-rbac-cm with (argocd_crds).
INSTALLER = "argocd-install"


def leftovers_of(kube: Kube) -> list[str]:
    """`kind/[namespace/]name` of each object an earlier run of the program left in the cluster,
    and argocd-rbac-cm when a stack's patch still holds keys of it."""
    found = []
    try:
        managers = {m.get("manager") for m in kube.get(RBAC_CONFIGMAP)["metadata"].get("managedFields") or []}
    except KubeError as err:
        if err.status != 404:
            raise
        managers = set()
    if managers - {INSTALLER}:
        found.append(
            f"configmaps/{ARGOCD_NAMESPACE}/argocd-rbac-cm (keys of {', '.join(sorted(managers - {INSTALLER}))})"
        )
    for path in LEFTOVER_KINDS:
        try:
            listed = kube.get(path, labelSelector=f"{K8S_MANAGED_BY}={MANAGED_BY}")
        except KubeError as err:
            if err.status == 404:  # Argo CD's CRDs are not installed yet
                continue
            raise
        kind = path.rsplit("/", 1)[-1]
        for item in listed.get("items") or []:
            meta = item["metadata"]
            found.append(
                f"{kind}/{meta['namespace']}/{meta['name']}" if "namespace" in meta else f"{kind}/{meta['name']}"
            )
    return found


@pytest.fixture(scope="session", autouse=True)
def _disposable_cluster_first(kubeconfig: str) -> Iterator[None]:
    """Nothing in the tier runs, not even a test without fixtures, before the check; and the tier
    leaves the cluster as it found it, so that the next run's first check passes."""
    yield
    client = Kube(Path(kubeconfig))
    try:
        left = leftovers_of(client)
    finally:
        client.close()
    assert left == [], f"the tier's tests left objects of the program in the cluster: {left}"


@pytest.fixture(scope="session")
def kube(kubeconfig: str) -> Iterator[Kube]:
    """A JSON client of the disposable cluster, as its admin."""
    client = Kube(Path(kubeconfig))
    yield client
    client.close()


@pytest.fixture(scope="session")
def argocd_crds(kube: Kube) -> list[str]:
    """The project's vendored CRDs (Argo CD's; External Secrets' ExternalSecret) and the `argocd`
    namespace, installed (idempotent). Neither operator runs: their objects are validated against
    the real schemas and stored, never reconciled."""
    crds = [
        yaml.safe_load(p.read_text()) for folder in (ARGOCD_CRDS, ESO_CRDS) for p in sorted(folder.glob("*-crd.yaml"))
    ]
    names = []
    for crd in crds:
        name = crd["metadata"]["name"]
        kube.apply(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}", crd)
        names.append(name)
    deadline = time.monotonic() + 60
    for name in names:
        while True:
            status = kube.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}").get("status") or {}
            if any(c["type"] == "Established" and c["status"] == "True" for c in status.get("conditions") or []):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"CRD {name} did not become Established within 60 s: {status}")
            time.sleep(0.5)
    kube.apply(
        f"/api/v1/namespaces/{ARGOCD_NAMESPACE}",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ARGOCD_NAMESPACE}},
    )
    # The ConfigMap an Argo CD installation creates, whose keys the program patches (issue 14):
    # a patch needs its object to exist. Only its label is applied here, so the keys are left alone.
    kube.apply(
        f"/api/v1/namespaces/{ARGOCD_NAMESPACE}/configmaps/argocd-rbac-cm",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "argocd-rbac-cm",
                "namespace": ARGOCD_NAMESPACE,
                "labels": {"app.kubernetes.io/part-of": "argocd"},
            },
        },
        manager=INSTALLER,
    )
    return names


@pytest.fixture(scope="session")
def pulumi_env(kubeconfig: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for the `pulumi` CLI: a local file backend in a temporary folder, a test
    passphrase, no update checks or plugin downloads, the disposable cluster as KUBECONFIG."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        refuse("no `pulumi` on PATH; install the Pulumi CLI or run `make e2e`")
    state = tmp_path_factory.mktemp("pulumi-state")
    env = {k: v for k, v in os.environ.items() if not k.startswith(DROPPED_ENV)}
    server = read_context(Path(kubeconfig)).server
    env.update(
        PULUMI_BACKEND_URL=f"file://{state}",
        PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        PULUMI_SKIP_CONFIRMATIONS="true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK="true",
        KUBECONFIG=kubeconfig,
        # The program checks the kubeconfig against the EKS endpoint of cluster.name; the
        # engine kit's stand-in AWS provider answers that lookup with this.
        STUB_EKS_ENDPOINT=server,
        HTTPS_PROXY=NOWHERE_PROXY,
        HTTP_PROXY=NOWHERE_PROXY,
        https_proxy=NOWHERE_PROXY,
        http_proxy=NOWHERE_PROXY,
        NO_PROXY="127.0.0.1,localhost,::1",
        no_proxy="127.0.0.1,localhost,::1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    version = subprocess.run([pulumi, "version"], env=env, capture_output=True, text=True, timeout=60)
    if version.returncode != 0:
        refuse(f"`{pulumi} version` failed: {version.stderr.strip()}")
    return env
