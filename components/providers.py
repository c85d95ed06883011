"""Explicit providers, built once and handed to the parent component.

Every stack disables default providers, so nothing can fall back to ambient credentials for an
unexpected account or cluster. Credentials come from the stack's Pulumi ESC environment (its
`pulumiConfig`, esc/<stack>.yaml), otherwise from each provider's own environment (OKTA_*, AWS_*,
KUBECONFIG), or for Kubernetes
from the cluster stack. With a cluster stack, every provider waits for its outputs to agree with
the catalog, so a mismatch fails before any resource is created or changed.

An environment that declares its clusters gets one more Kubernetes provider per cluster it uses
(`kubernetes-<cluster>`, through the kubeconfig context the catalog names, checked to point at the
cluster's declared server) and one more AWS provider per other region its EKS clusters run in
(`aws-<region>`, pinned to the same account): `Reach`.

The Okta provider is registered as `pulumi_okta.Provider` registers it, without importing that
SDK (components/register.py, `register_provider`; tests/test_register.py compares the requests).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as kubernetes

from components import cluster as cluster_inputs
from components.cluster import ClusterInputs
from components.register import register_provider
from fleet.catalog.models import Catalog, Target
from fleet.render.resources import Resource


def _gated(value: Any, gate: pulumi.Output[bool] | None) -> Any:
    if gate is None:
        return value
    return pulumi.Output.all(gate, value).apply(lambda pair: pair[1])


def _verified_kubeconfig(
    cluster: ClusterInputs, context: str | None, catalog: Catalog, aws_provider: aws.Provider
) -> pulumi.Output[str] | None:
    """The kubeconfig, once its server is the endpoint of the catalog's EKS cluster, looked up
    through the account-pinned AWS provider: the Kubernetes provider cannot reach another cluster."""
    if cluster.kubeconfig is None:
        pulumi.log.warn(
            "no kubeconfig found (app-of-apps:kubeconfig, app-of-apps:clusterStack, $KUBECONFIG, ~/.kube/config): "
            "the Kubernetes provider will use in-cluster credentials, unchecked against cluster.name"
        )
        return None
    endpoint = aws.eks.get_cluster_output(
        name=catalog.cluster.name, opts=pulumi.InvokeOutputOptions(provider=aws_provider)
    ).endpoint
    return pulumi.Output.secret(
        pulumi.Output.all(cluster.kubeconfig, endpoint).apply(
            lambda pair: cluster_inputs.check_endpoint(pair[0], context, pair[1], catalog)
        )
    )


# What pulumi_okta.Provider keeps secret of its outputs.
OKTA_SECRET_OUTPUTS = ("accessToken", "apiToken", "privateKey")


def _okta(config: pulumi.Config, gate: pulumi.Output[bool] | None) -> pulumi.ProviderResource:
    """Okta through an OAuth 2.0 service app (private_key_jwt): the provider signs a short-lived
    assertion with the private key and gets access tokens limited to `oktaScopes`
    (okta.groups.manage to deploy, okta.groups.read to preview). The key comes from the stack's
    ESC environment (esc/<stack>.yaml, read from AWS Secrets Manager); there is no API-token path."""
    if os.environ.get("OKTA_API_TOKEN"):
        # The provider would prefer a static SSWS token it finds in the environment.
        raise pulumi.RunError(
            "OKTA_API_TOKEN is set: Okta API tokens are long-lived and carry their creator's rights; "
            "unset it and use the stack's OAuth service app (docs/operator/okta.md) [okta-oauth-only]"
        )
    private_key = config.get_secret("oktaPrivateKey")
    scopes = config.get_object("oktaScopes")
    inputs = {
        "orgName": _gated(config.get("oktaOrgName"), gate),
        "baseUrl": config.get("oktaBaseUrl"),
        "clientId": config.get("oktaClientId"),
        "privateKey": None if private_key is None else pulumi.Output.secret(private_key),
        "privateKeyId": config.get("oktaPrivateKeyId"),
        # A list as JSON text, as the class sends every input that is not a string.
        "scopes": None if scopes is None else pulumi.Output.from_input(scopes).apply(pulumi.runtime.to_json),
    }
    return register_provider("okta", "okta", inputs, OKTA_SECRET_OUTPUTS)


def build(config: pulumi.Config, catalog: Catalog, cluster: ClusterInputs) -> list[pulumi.ProviderResource]:
    gate = cluster.verified
    assume_role = config.get("awsAssumeRoleArn")
    aws_provider = aws.Provider(
        "aws",
        region=_gated(catalog.aws.region, gate),
        # A credential for the wrong account fails before anything is read or written.
        allowed_account_ids=[catalog.aws.account_id],
        assume_roles=(
            [aws.ProviderAssumeRoleArgs(role_arn=assume_role, session_name="app-of-apps")] if assume_role else None
        ),
    )
    context = config.get("kubeContext")
    return [
        _okta(config, gate),
        aws_provider,
        kubernetes.Provider(
            "kubernetes",
            kubeconfig=_verified_kubeconfig(cluster, context, catalog, aws_provider),
            context=context,
            # Creating an object that already exists fails instead of taking it over (explicit,
            # so that PULUMI_K8S_UPSERT_EXISTING_OBJECTS cannot turn it on): a namespace an
            # add-on already uses never becomes a team's.
            upsert_existing_objects=False,
        ),
    ]


@dataclass(frozen=True)
class Reach:
    """The explicit providers of the environment's declared clusters and of AWS regions besides
    aws.region. A resource placed on neither goes through its parent's providers (Argo CD's
    cluster, aws.region)."""

    clusters: Mapping[str, kubernetes.Provider] = field(default_factory=dict)
    regions: Mapping[str, aws.Provider] = field(default_factory=dict)

    def provider_of(self, resource: Resource) -> pulumi.ProviderResource | None:
        if resource.cluster is not None:
            if resource.cluster not in self.clusters:
                raise pulumi.RunError(f"{resource.name}: no Kubernetes provider for the cluster {resource.cluster!r}")
            return self.clusters[resource.cluster]
        if resource.region is not None:
            if resource.region not in self.regions:
                raise pulumi.RunError(f"{resource.name}: no AWS provider for the region {resource.region!r}")
            return self.regions[resource.region]
        return None


def _cluster_provider(
    target: Target, kubeconfig: pulumi.Input[str] | None, gate: pulumi.Output[bool] | None
) -> kubernetes.Provider:
    """The provider of one declared cluster: the kubeconfig's context for it, once that context
    points at the cluster's declared server (the catalog's, reviewed: Argo CD deploys there too)."""
    assert target.name is not None
    assert target.context is not None
    if kubeconfig is None:
        raise pulumi.RunError(
            f"clusters: {target.name}: no kubeconfig found (app-of-apps:kubeconfig, app-of-apps:clusterStack, "
            f"$KUBECONFIG, ~/.kube/config); each declared cluster is reached through its context ({target.context})"
        )
    checked = pulumi.Output.secret(
        pulumi.Output.from_input(kubeconfig).apply(
            lambda text: cluster_inputs.check_declared(text, target.name or "", target.context or "", target.server)
        )
    )
    return kubernetes.Provider(
        f"kubernetes-{target.name}",
        kubeconfig=_gated(checked, gate),
        context=target.context,
        upsert_existing_objects=False,  # as on Argo CD's cluster: never take over what exists
    )


def reach(
    config: pulumi.Config,
    catalog: Catalog,
    cluster: ClusterInputs,
    clusters: Iterable[str] = (),
    regions: Iterable[str] = (),
) -> Reach:
    """The providers of the declared `clusters` and the AWS `regions` a stack uses (a team stack:
    the clusters its namespaces are on, the regions of its apps' EKS clusters)."""
    wanted = set(clusters)
    targets = [t for t in catalog.targets() if t.name is not None and t.name in wanted]
    unknown = wanted - {t.name for t in targets}
    if unknown:
        raise pulumi.RunError(f"clusters: {', '.join(sorted(unknown))}: not declared by the catalog")
    assume_role = config.get("awsAssumeRoleArn")
    return Reach(
        clusters={t.name: _cluster_provider(t, cluster.kubeconfig, cluster.verified) for t in targets if t.name},
        regions={
            region: aws.Provider(
                f"aws-{region}",
                region=_gated(region, cluster.verified),
                allowed_account_ids=[catalog.aws.account_id],
                assume_roles=(
                    [aws.ProviderAssumeRoleArgs(role_arn=assume_role, session_name="app-of-apps")]
                    if assume_role
                    else None
                ),
            )
            for region in sorted(set(regions))
            if region != catalog.aws.region
        },
    )
