"""The cluster stack as input: kubeconfig and the cluster's identity, read instead of copied.

`app-of-apps:clusterStack` names the stack that created the EKS cluster. It must export
`kubeconfig` (secret) and `clusterName`, and `oidcProviderArn` when the catalog uses IRSA. Config
values (`app-of-apps:kubeconfig`) override its kubeconfig. The catalog stays the single source
of the names the offline plan shows; the cluster stack's `clusterName` and `oidcProviderArn` are
checked against it, so a catalog pointing at the wrong cluster fails before anything changes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml

from fleet.catalog.models import Catalog

REQUIRED_OUTPUTS = ("kubeconfig", "clusterName")


@dataclass(frozen=True)
class ClusterInputs:
    kubeconfig: pulumi.Input[str] | None
    verified: pulumi.Output[bool] | None  # resolves once the cluster stack agrees with the catalog


def _check(stack: str, outputs: dict[str, Any], catalog: Catalog) -> bool:
    needed = [*REQUIRED_OUTPUTS, *(["oidcProviderArn"] if catalog.aws.workload_identity == "irsa" else [])]
    missing = [name for name in needed if outputs.get(name) in (None, "")]
    if missing:
        raise pulumi.RunError(
            f"app-of-apps:clusterStack {stack} does not export {', '.join(missing)}; "
            f"a cluster stack must export {', '.join(needed)}"
        )
    if outputs["clusterName"] != catalog.cluster.name:
        raise pulumi.RunError(
            f"app-of-apps:clusterStack {stack} exports clusterName {outputs['clusterName']!r}, "
            f"but the catalog's cluster.name is {catalog.cluster.name!r}"
        )
    if catalog.aws.workload_identity == "irsa" and outputs["oidcProviderArn"] != catalog.aws.oidc_provider_arn:
        raise pulumi.RunError(
            f"app-of-apps:clusterStack {stack} exports oidcProviderArn {outputs['oidcProviderArn']!r}, "
            f"but the catalog's aws.oidc_provider_arn is {catalog.aws.oidc_provider_arn!r}"
        )
    return True


def ambient_kubeconfig() -> str | None:
    """What the Kubernetes provider would read by itself: $KUBECONFIG (first file) or ~/.kube/config.
    Read here so that the provider gets exactly the kubeconfig that was checked."""
    paths = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p] or [
        str(Path.home() / ".kube" / "config")
    ]
    path = Path(paths[0])
    return path.read_text(encoding="utf-8") if path.is_file() else None


def as_text(kubeconfig: Any) -> str:
    """A cluster stack may export the kubeconfig as an object (pulumi-eks does): as JSON text,
    which is YAML, for the check and for the provider alike."""
    return kubeconfig if isinstance(kubeconfig, str) else json.dumps(kubeconfig)


def server_of(kubeconfig: str, context: str | None) -> str | None:
    """The API server URL the kubeconfig's chosen context points at."""
    try:
        data = yaml.safe_load(kubeconfig) or {}
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return None

    def entries(key: str, field: str) -> dict[Any, dict[str, Any]]:
        items = data.get(key) if isinstance(data.get(key), list) else []
        return {i.get("name"): i.get(field) for i in items if isinstance(i, dict) and isinstance(i.get(field), dict)}

    wanted = context or data.get("current-context")
    cluster_name = entries("contexts", "context").get(wanted, {}).get("cluster")
    server = entries("clusters", "cluster").get(cluster_name, {}).get("server")
    return server if isinstance(server, str) else None


def _same_server(a: str, b: str) -> bool:
    """API server URLs compared as the kubeconfig and the catalog may spell them."""
    return a.rstrip("/").lower() == b.rstrip("/").lower()


def check_endpoint(kubeconfig: str, context: str | None, endpoint: str, catalog: Catalog) -> str:
    """The kubeconfig, if it points at the catalog's EKS cluster; else a clear error."""
    server = server_of(kubeconfig, context)
    if server is None:
        raise pulumi.RunError(
            f"the kubeconfig has no server for context {context or '(current-context)'}; "
            f"it must point at the EKS cluster {catalog.cluster.name}"
        )
    if not _same_server(server, endpoint):
        raise pulumi.RunError(
            f"the kubeconfig points at {server}, but the catalog's cluster {catalog.cluster.name} "
            f"(account {catalog.aws.account_id}, {catalog.aws.region}) is {endpoint}: refusing to deploy "
            "into another cluster"
        )
    return kubeconfig


def read(config: pulumi.Config, catalog: Catalog) -> ClusterInputs:
    override = config.get_secret("kubeconfig")
    stack = config.get("clusterStack")
    if not stack:
        ambient = ambient_kubeconfig() if override is None else None
        return ClusterInputs(
            kubeconfig=override if override is not None else (pulumi.Output.secret(ambient) if ambient else None),
            verified=None,
        )
    reference = pulumi.StackReference(stack)
    verified = reference.outputs.apply(lambda outputs: _check(stack, dict(outputs or {}), catalog))
    exported = reference.get_output("kubeconfig").apply(lambda value: as_text(value) if value is not None else None)
    kubeconfig = override if override is not None else pulumi.Output.secret(exported)
    return ClusterInputs(kubeconfig=kubeconfig, verified=verified)


def check_declared(kubeconfig: str, name: str, context: str, server: str) -> str:
    """The kubeconfig, if its context for the declared cluster `name` points at the cluster's
    declared server; else a clear error (never another cluster)."""
    found = server_of(kubeconfig, context)
    if found is None:
        raise pulumi.RunError(
            f"clusters: {name}: the kubeconfig has no context {context!r} with a server; name the context "
            f"that reaches {server} (the cluster's `context`, default its name)"
        )
    if not _same_server(found, server):
        raise pulumi.RunError(
            f"clusters: {name}: the kubeconfig's context {context!r} points at {found}, but the catalog declares "
            f"the cluster's server {server}: refusing to deploy into another cluster"
        )
    return kubeconfig
