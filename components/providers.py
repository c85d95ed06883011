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

Each provider is registered as its SDK's Provider class registers it (the inputs it sends, those it
reads from the environment when not given, its secret outputs), without importing the SDKs: they
cost a stack about 0.25 s of start-up (components/register.py, `register_provider`;
tests/test_register.py compares the requests with the classes', environment variables included).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components import cluster as cluster_inputs
from components.cluster import ClusterInputs
from components.register import package_options, register_provider
from fleet.catalog.models import Catalog, Target
from fleet.render.resources import Resource

# What each SDK's Provider class keeps secret of its outputs.
AWS_SECRET_OUTPUTS = ("accessKey", "secretKey", "token")
OKTA_SECRET_OUTPUTS = ("accessToken", "apiToken", "privateKey")
# The inputs pulumi_kubernetes.Provider reads from the environment when it is not given them
# (`true`/`1`/... or `false`/`0`/..., as Go's strconv.ParseBool; anything else: not set).
KUBERNETES_ENV_FLAGS = {
    "deleteUnreachable": "PULUMI_K8S_DELETE_UNREACHABLE",
    "enableConfigMapMutable": "PULUMI_K8S_ENABLE_CONFIGMAP_MUTABLE",
    "enablePatchForce": "PULUMI_K8S_ENABLE_PATCH_FORCE",
    "enableSecretMutable": "PULUMI_K8S_ENABLE_SECRET_MUTABLE",
    "enableServerSideApply": "PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY",
    "skipUpdateUnreachable": "PULUMI_K8S_SKIP_UPDATE_UNREACHABLE",
    "suppressDeprecationWarnings": "PULUMI_K8S_SUPPRESS_DEPRECATION_WARNINGS",
    "suppressHelmHookWarnings": "PULUMI_K8S_SUPPRESS_HELM_HOOK_WARNINGS",
    "upsertExistingObjects": "PULUMI_K8S_UPSERT_EXISTING_OBJECTS",
}
# The inputs pulumi_aws.Provider sets when it is not given them.
AWS_DEFAULTS = {"skipCredentialsValidation": False, "skipRegionValidation": True}
_TRUE, _FALSE = ("1", "t", "T", "true", "TRUE", "True"), ("0", "f", "F", "false", "FALSE", "False")


def _env_flag(name: str) -> bool | None:
    value = os.environ.get(name)
    return True if value in _TRUE else False if value in _FALSE else None


def _as_json(value: Any) -> Any:
    """An input that is not a string, as the SDK classes send it to a provider: JSON text."""
    return None if value is None else pulumi.Output.from_input(value).apply(pulumi.runtime.to_json)


def _aws_provider(name: str, region: Any, account_id: str, assume_role: str | None) -> pulumi.ProviderResource:
    """As pulumi_aws.Provider(name, region=, allowed_account_ids=[account_id], assume_roles=[...])."""
    inputs = {
        "allowedAccountIds": _as_json([account_id]),
        "assumeRoles": _as_json([{"roleArn": assume_role, "sessionName": "app-of-apps"}] if assume_role else None),
        "region": region,
        **{key: _as_json(value) for key, value in AWS_DEFAULTS.items()},
    }
    return register_provider("aws", name, inputs, AWS_SECRET_OUTPUTS)


def _kubernetes_provider(name: str, kubeconfig: Any, context: str | None) -> pulumi.ProviderResource:
    """As pulumi_kubernetes.Provider(name, kubeconfig=, context=, upsert_existing_objects=False):
    the flags it is not given come from the environment, as the class reads them."""
    inputs: dict[str, Any] = {
        "context": context,
        "kubeconfig": os.environ.get("KUBECONFIG") if kubeconfig is None else kubeconfig,
        **{key: _as_json(_env_flag(variable)) for key, variable in KUBERNETES_ENV_FLAGS.items()},
        # Creating an object that already exists fails instead of taking it over (explicit, so
        # that PULUMI_K8S_UPSERT_EXISTING_OBJECTS cannot turn it on): a namespace an add-on
        # already uses never becomes a team's.
        "upsertExistingObjects": _as_json(False),
    }
    return register_provider("kubernetes", name, inputs)


def _gated(value: Any, gate: pulumi.Output[bool] | None) -> Any:
    if gate is None:
        return value
    return pulumi.Output.all(gate, value).apply(lambda pair: pair[1])


def _verified_kubeconfig(
    cluster: ClusterInputs, context: str | None, catalog: Catalog, aws_provider: pulumi.ProviderResource
) -> pulumi.Output[str] | None:
    """The kubeconfig, once its server is the endpoint of the catalog's EKS cluster, looked up
    through the account-pinned AWS provider: the Kubernetes provider cannot reach another cluster."""
    if cluster.kubeconfig is None:
        pulumi.log.warn(
            "no kubeconfig found (app-of-apps:kubeconfig, app-of-apps:clusterStack, $KUBECONFIG, ~/.kube/config): "
            "the Kubernetes provider will use in-cluster credentials, unchecked against cluster.name"
        )
        return None
    defaults = package_options("aws")  # as pulumi_aws.eks.get_cluster_output asks it
    endpoint = pulumi.runtime.invoke_output(
        "aws:eks/getCluster:getCluster",
        {"name": catalog.cluster.name, "region": None, "tags": None},
        opts=pulumi.InvokeOutputOptions(
            provider=aws_provider, version=defaults.version, plugin_download_url=defaults.plugin_download_url
        ),
    ).apply(lambda cluster: cluster.get("endpoint"))
    return pulumi.Output.secret(
        pulumi.Output.all(cluster.kubeconfig, endpoint).apply(
            lambda pair: cluster_inputs.check_endpoint(pair[0], context, pair[1], catalog)
        )
    )


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
    # A credential for the wrong account fails before anything is read or written (allowed accounts).
    aws_provider = _aws_provider("aws", _gated(catalog.aws.region, gate), catalog.aws.account_id, assume_role)
    context = config.get("kubeContext")
    return [
        _okta(config, gate),
        aws_provider,
        _kubernetes_provider("kubernetes", _verified_kubeconfig(cluster, context, catalog, aws_provider), context),
    ]


@dataclass(frozen=True)
class Reach:
    """The explicit providers of the environment's declared clusters and of AWS regions besides
    aws.region. A resource placed on neither goes through its parent's providers (Argo CD's
    cluster, aws.region)."""

    clusters: Mapping[str, pulumi.ProviderResource] = field(default_factory=dict)
    regions: Mapping[str, pulumi.ProviderResource] = field(default_factory=dict)

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
) -> pulumi.ProviderResource:
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
    # As on Argo CD's cluster: never take over what exists (upsertExistingObjects false).
    return _kubernetes_provider(f"kubernetes-{target.name}", _gated(checked, gate), target.context)


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
            region: _aws_provider(
                f"aws-{region}", _gated(region, cluster.verified), catalog.aws.account_id, assume_role
            )
            for region in sorted(set(regions))
            if region != catalog.aws.region
        },
    )
