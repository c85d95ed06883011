"""One `fleet.render.resources.Resource` → one Pulumi resource. The only place that picks a class."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as kubernetes
import pulumi_okta as okta

from components import history
from fleet.render import resources
from fleet.render.resources import Resource

_CLASSES: dict[str, Any] = {
    resources.OKTA_GROUP: okta.group.Group,
    resources.OKTA_RULE: okta.group.Rule,
    resources.IAM_ROLE: aws.iam.Role,
    resources.IAM_ROLE_POLICY: aws.iam.RolePolicy,
    resources.IAM_ATTACHMENT: aws.iam.RolePolicyAttachment,
    resources.POD_IDENTITY: aws.eks.PodIdentityAssociation,
    "kubernetes:core/v1:Namespace": kubernetes.core.v1.Namespace,
    "kubernetes:core/v1:ResourceQuota": kubernetes.core.v1.ResourceQuota,
    "kubernetes:core/v1:LimitRange": kubernetes.core.v1.LimitRange,
    "kubernetes:core/v1:ServiceAccount": kubernetes.core.v1.ServiceAccount,
    resources.CONFIGMAP_PATCH: kubernetes.core.v1.ConfigMapPatch,
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": kubernetes.networking.v1.NetworkPolicy,
    "kubernetes:rbac.authorization.k8s.io/v1:Role": kubernetes.rbac.v1.Role,
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": kubernetes.rbac.v1.RoleBinding,
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": kubernetes.rbac.v1.ClusterRole,
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": kubernetes.rbac.v1.ClusterRoleBinding,
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy": (
        kubernetes.admissionregistration.v1.ValidatingAdmissionPolicy
    ),
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding": (
        kubernetes.admissionregistration.v1.ValidatingAdmissionPolicyBinding
    ),
}


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def register(
    resource: Resource,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
    aliases: Sequence[pulumi.Alias] = (),
    **wired: Any,
) -> pulumi.CustomResource:
    """Register `resource` under `parent`; `wired` replaces inputs known only at deployment."""
    props = {**resource.props, **wired}
    opts = pulumi.ResourceOptions(
        parent=parent,
        protect=resource.protect,
        retain_on_delete=resource.retain_on_delete,
        depends_on=list(depends_on),
        aliases=list(aliases),
    )
    cls = _CLASSES.get(resource.type)
    if cls is None:
        # Argo CD's AppProject and Application: custom resources with metadata and spec only.
        return kubernetes.apiextensions.CustomResource(
            resource.name,
            api_version=props["apiVersion"],
            kind=props["kind"],
            metadata=props["metadata"],
            spec=props["spec"],
            opts=opts,
        )
    return cls(resource.name, opts=opts, **{_snake(k): v for k, v in props.items()})


def register_role(specs: Sequence[Resource], component: pulumi.Resource) -> list[pulumi.CustomResource]:
    """An IAM role, then its inline policy and attachments as siblings under `component`."""
    role_spec, *policies = specs
    role = register(role_spec, component)
    return [role, *(register(p, component, aliases=history.formerly_under(role), role=role.name) for p in policies)]
