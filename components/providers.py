"""Explicit providers, built once and handed to the parent component.

Every stack disables default providers, so nothing can fall back to ambient credentials for an
unexpected account or cluster. Credentials come from stack config secrets when set, otherwise
from each provider's own environment (OKTA_API_TOKEN, AWS_*, KUBECONFIG).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as kubernetes
import pulumi_okta as okta

from fleet.catalog import Catalog


def build(config: pulumi.Config, catalog: Catalog) -> list[pulumi.ProviderResource]:
    return [
        okta.Provider(
            "okta",
            org_name=config.get("oktaOrgName"),
            base_url=config.get("oktaBaseUrl"),
            api_token=config.get_secret("oktaApiToken"),
        ),
        aws.Provider(
            "aws",
            region=catalog.aws.region,
            # A credential for the wrong account fails before anything is read or written.
            allowed_account_ids=[catalog.aws.account_id],
            assume_roles=(
                [aws.ProviderAssumeRoleArgs(role_arn=role, session_name="app-of-apps")]
                if (role := config.get("awsAssumeRoleArn"))
                else None
            ),
        ),
        kubernetes.Provider(
            "kubernetes",
            kubeconfig=config.get_secret("kubeconfig"),
            context=config.get("kubeContext"),
        ),
    ]
