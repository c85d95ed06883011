"""The argocd-rbac-cm patch under the real engine and API server: server-side apply under the
field manager `app-of-apps`, the keys another manager wrote left as they were, and a second
`pulumi up` that changes nothing.

The program is a small Pulumi project in a temporary folder that renders the dev catalog with
the project's own `fleet` and registers the patch through `components.register`, exactly as
AppOfApps does, into a namespace of this run (standing in for Argo CD's), so that it cannot
collide with the tier's other tests.
"""

from __future__ import annotations

import re
import secrets
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fleet.apis.argocd import policy_lines
from fleet.catalog.naming import ARGOCD_RBAC_CONFIGMAP, MANAGED_BY
from tests.conftest import ROOT
from tests.e2e.engine import Workspace
from tests.e2e.kube import Kube

INSTALLER = "argocd-install"  # the field manager of whoever installed Argo CD
PROGRAM = textwrap.dedent(
    """
    import os
    import sys

    sys.path.insert(0, os.environ["APP_OF_APPS_ROOT"])

    import pulumi
    import pulumi_kubernetes as kubernetes

    from components.register import register
    from fleet.catalog.folder import catalog_data, read_catalog
    from fleet.render import resources
    from fleet.compiler import validate
    from fleet.render.layers import render

    root = os.environ["APP_OF_APPS_ROOT"]
    catalog = os.path.join(root, "stacks", "dev")  # the folder, or the one file beside it
    catalog = catalog if os.path.isdir(catalog) else catalog + ".yaml"
    data = catalog_data(read_catalog(catalog))
    data["argocd"]["namespace"] = pulumi.Config().require("namespace")
    state = render(validate(data, catalog))
    with open(os.environ["KUBECONFIG"], encoding="utf-8") as f:
        provider = kubernetes.Provider("cluster", kubeconfig=f.read())
    parent = pulumi.ComponentResource(
        "app-of-apps:test:Rbac", "rbac", None, pulumi.ResourceOptions(providers=[provider])
    )
    register(resources.argocd_rbac(state), parent)
    """
)


@pytest.fixture(scope="module")
def namespace(kube: Kube) -> Iterator[str]:
    """A namespace of this run with an argocd-rbac-cm as an Argo CD installation leaves it:
    keys the fleet does not own, and a permissive policy.default that it does."""
    name = f"e2e-{secrets.token_hex(3)}-argocd"
    kube.apply(f"/api/v1/namespaces/{name}", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    kube.apply(
        f"/api/v1/namespaces/{name}/configmaps/{ARGOCD_RBAC_CONFIGMAP}",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": ARGOCD_RBAC_CONFIGMAP,
                "namespace": name,
                "labels": {"app.kubernetes.io/part-of": "argocd"},
            },
            "data": {"policy.matchMode": "glob", "policy.default": "role:readonly"},
        },
        manager=INSTALLER,
    )
    try:
        yield name
    finally:
        kube.delete(f"/api/v1/namespaces/{name}")


def _owned(configmap: dict[str, Any], manager: str) -> set[str]:
    """The data keys `manager` owns, from the object's managedFields."""
    keys: set[str] = set()
    for entry in configmap["metadata"].get("managedFields", []):
        if entry["manager"] == manager and entry.get("operation") == "Apply":
            keys |= {k[2:] for k in entry.get("fieldsV1", {}).get("f:data", {})}
    return keys


def test_the_patch_owns_its_keys_leaves_the_rest_and_a_second_up_changes_nothing(
    kube: Kube, argocd_crds: list[str], pulumi_env: dict[str, str], namespace: str, tmp_path: Path
) -> None:
    source = tmp_path / "program"
    source.mkdir()
    (source / "Pulumi.yaml").write_text(
        "name: rbac-e2e\nruntime:\n  name: python\n  options:\n    virtualenv: .venv\n", encoding="utf-8"
    )
    (source / "__main__.py").write_text(PROGRAM, encoding="utf-8")
    ws = Workspace.of(source, tmp_path / "ws", pulumi_env)
    env = {"APP_OF_APPS_ROOT": str(ROOT)}
    path = f"/api/v1/namespaces/{namespace}/configmaps/{ARGOCD_RBAC_CONFIGMAP}"
    ws.init("e2e", {"rbac-e2e:namespace": namespace})
    try:
        ws.pulumi("up", "--yes", "--skip-preview", "--stack", "e2e", env=env)
        configmap = kube.get(path)
        data = configmap["data"]
        # the installer's key: untouched, still its own
        assert data["policy.matchMode"] == "glob"
        assert "policy.matchMode" in _owned(configmap, INSTALLER)
        # the fleet's keys: its values, owned by the field manager app-of-apps (forced over the installer's)
        assert data["policy.default"] == ""
        assert data["scopes"] == "[groups]"
        assert ["g", "acme-platform-admins", "role:admin"] in policy_lines(data["policy.csv"])
        assert _owned(configmap, MANAGED_BY) == {"policy.default", "policy.csv", "scopes"}
        assert "policy.default" not in _owned(configmap, INSTALLER)
        assert configmap["metadata"]["labels"] == {"app.kubernetes.io/part-of": "argocd"}

        # A second `pulumi up` changes nothing: the engine says so, and the object is the same.
        # (`--expect-no-changes` makes the CLI fail on any change.)
        again = ws.pulumi("up", "--yes", "--expect-no-changes", "--stack", "e2e", env=env)
        resources = again.stdout.split("Resources:", 1)[1]
        assert re.search(r"\b\d+ unchanged\b", resources), again.stdout
        assert not re.search(r"\b(created|updated|deleted|replaced)\b", resources), again.stdout
        assert kube.get(path)["data"] == data
        assert kube.get(path)["metadata"]["resourceVersion"] == configmap["metadata"]["resourceVersion"]

        # Removing the patch gives the fleet's keys up; the installer's stay.
        ws.pulumi("destroy", "--yes", "--skip-preview", "--stack", "e2e", env=env)
        left = kube.get(path)["data"]
        assert left.get("policy.matchMode") == "glob"
        assert "scopes" not in left
    finally:
        ws.remove("e2e")
