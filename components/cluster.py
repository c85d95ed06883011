"""The cluster stack as input: kubeconfig and the cluster's identity, read instead of copied.

`app-of-apps:clusterStack` names the stack that created the EKS cluster. It must export
`kubeconfig` (secret) and `clusterName`, and `oidcProviderArn` when the catalog uses IRSA. Config
values (`app-of-apps:kubeconfig`) override its kubeconfig. The catalog stays the single source
of the names the offline plan shows; the cluster stack's `clusterName` and `oidcProviderArn` are
checked against it, so a catalog pointing at the wrong cluster fails before anything changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from fleet.catalog import Catalog

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


def read(config: pulumi.Config, catalog: Catalog) -> ClusterInputs:
    override = config.get_secret("kubeconfig")
    stack = config.get("clusterStack")
    if not stack:
        return ClusterInputs(kubeconfig=override, verified=None)
    reference = pulumi.StackReference(stack)
    verified = reference.outputs.apply(lambda outputs: _check(stack, dict(outputs or {}), catalog))
    kubeconfig = override if override is not None else pulumi.Output.secret(reference.get_output("kubeconfig"))
    return ClusterInputs(kubeconfig=kubeconfig, verified=verified)
