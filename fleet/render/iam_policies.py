"""IAM policy documents, emitted canonically (Version 2012-10-17, sorted, de-duplicated).

A canonical document reads back from AWS the way it was written, so `pulumi preview` shows no
perpetual diff; and two renders of the same catalog are byte-for-byte equal.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fleet.apis import aws_iam as iam_actions
from fleet.catalog.models import Statement
from fleet.catalog.naming import Names

VERSION = "2012-10-17"
SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"
STS_AUDIENCE = "sts.amazonaws.com"
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"


def _document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": statements}


def _canonical_action(action: str) -> str:
    info = iam_actions.lookup(action)
    return info.name if info else action


def inline_policy(statements: tuple[Statement, ...]) -> dict[str, Any] | None:
    if not statements:
        return None
    return _document(
        [
            {
                "Sid": f"Statement{index}",
                "Effect": "Allow",
                "Action": sorted({_canonical_action(a) for a in statement.actions}),
                "Resource": sorted(set(statement.resources)),
            }
            for index, statement in enumerate(statements)
        ]
    )


def pod_identity_trust(
    account_id: str, cluster_arns: Sequence[str], namespace: str, service_account: str
) -> dict[str, Any]:
    """EKS Pod Identity: the EKS auth service, narrowed to the app's clusters (by ARN: a cluster
    of the same name in another region is another cluster; one ARN a string, several a list,
    which StringEquals matches as any of them), namespace and account."""
    cluster_arn: str | list[str] = cluster_arns[0] if len(cluster_arns) == 1 else sorted(cluster_arns)
    return _document(
        [
            {
                "Sid": "EksPodIdentity",
                "Effect": "Allow",
                "Principal": {"Service": POD_IDENTITY_PRINCIPAL},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {
                    "StringEquals": {
                        "aws:RequestTag/eks-cluster-arn": cluster_arn,
                        "aws:RequestTag/kubernetes-namespace": namespace,
                        "aws:RequestTag/kubernetes-service-account": service_account,
                        "aws:SourceAccount": account_id,
                    }
                },
            }
        ]
    )


def irsa_trust(providers: Sequence[tuple[str, str]], namespace: str, service_account: str) -> dict[str, Any]:
    """IRSA: the OIDC provider of each cluster the app runs on ((ARN, issuer) pairs; one
    statement each, Sids EksIrsa, or EksIrsa1, EksIrsa2 … for several), pinned to one
    ServiceAccount (`sub`) and STS (`aud`)."""
    return _document(
        [
            {
                "Sid": "EksIrsa" if len(providers) == 1 else f"EksIrsa{i}",
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:aud": STS_AUDIENCE,
                        f"{issuer}:sub": Names.service_account_subject(namespace, service_account),
                    }
                },
            }
            for i, (oidc_provider_arn, issuer) in enumerate(providers, start=1)
        ]
    )


def saml_trust(saml_provider_arn: str) -> dict[str, Any]:
    """Human roles: assumed through the Okta AWS app, only for the AWS console audience."""
    return _document(
        [
            {
                "Sid": "OktaSaml",
                "Effect": "Allow",
                "Principal": {"Federated": saml_provider_arn},
                "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                "Condition": {"StringEquals": {"SAML:aud": SAML_AUDIENCE}},
            }
        ]
    )


def to_json(document: dict[str, Any]) -> str:
    """The string handed to AWS: sorted keys, no whitespace."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"))
