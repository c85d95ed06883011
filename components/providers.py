"""Explicit providers, built once and handed to the parent component.

Every stack disables default providers, so nothing can fall back to ambient credentials for an
unexpected account or cluster. Credentials come from stack config secrets when set, otherwise
from each provider's own environment (OKTA_API_TOKEN, AWS_*, KUBECONFIG), or for Kubernetes
from the cluster stack. With a cluster stack, every provider waits for its outputs to agree with
the catalog, so a mismatch fails before any resource is created or changed.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as kubernetes
import pulumi_okta as okta

from components.cluster import ClusterInputs
from fleet.catalog import Catalog


def _gated(value: Any, gate: pulumi.Output[bool] | None) -> Any:
    if gate is None:
        return value
    return pulumi.Output.all(gate, value).apply(lambda pair: pair[1])


def build(config: pulumi.Config, catalog: Catalog, cluster: ClusterInputs) -> list[pulumi.ProviderResource]:
    gate = cluster.verified
    assume_role = config.get("awsAssumeRoleArn")
    return [
        okta.Provider(
            "okta",
            org_name=_gated(config.get("oktaOrgName"), gate),
            base_url=config.get("oktaBaseUrl"),
            api_token=config.get_secret("oktaApiToken"),
        ),
        aws.Provider(
            "aws",
            region=_gated(catalog.aws.region, gate),
            # A credential for the wrong account fails before anything is read or written.
            allowed_account_ids=[catalog.aws.account_id],
            assume_roles=(
                [aws.ProviderAssumeRoleArgs(role_arn=assume_role, session_name="app-of-apps")] if assume_role else None
            ),
        ),
        kubernetes.Provider(
            "kubernetes",
            kubeconfig=_gated(cluster.kubeconfig, gate) if cluster.kubeconfig is not None else None,
            context=config.get("kubeContext"),
        ),
    ]
