"""An IamRole of the desired state → aws.iam.Role with its inline policy and attachments."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from fleet import iam_policies
from fleet.naming import Names
from fleet.state import IamRole

INLINE_POLICY_NAME = "fleet-inline"


def register(role: IamRole, parent: pulumi.Resource, description: str) -> aws.iam.Role:
    # Policies are separate resources (Role.inline_policies/managed_policy_arns are deprecated
    # in pulumi-aws 7 and fight with standalone attachments).
    resource = aws.iam.Role(
        role.name,
        name=role.name,
        path=role.path,
        description=description,
        assume_role_policy=iam_policies.to_json(role.trust_policy),
        permissions_boundary=role.permissions_boundary_arn,
        max_session_duration=3600,
        tags=role.tags,
        opts=pulumi.ResourceOptions(parent=parent, protect=role.protect),
    )
    # Siblings, not children, of the role: a child would inherit `protect`, and then removing a
    # managed policy from a production app would be refused.
    child = pulumi.ResourceOptions(parent=parent)
    if role.inline_policy is not None:
        aws.iam.RolePolicy(
            role.name,
            name=INLINE_POLICY_NAME,
            role=resource.name,
            policy=iam_policies.to_json(role.inline_policy),
            opts=child,
        )
    for arn in role.managed_policy_arns:
        aws.iam.RolePolicyAttachment(
            Names.logical_policy_attachment(role.name, arn), role=resource.name, policy_arn=arn, opts=child
        )
    return resource
