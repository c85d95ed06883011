"""One rendered manifest → one typed pulumi-kubernetes resource (CustomResource for Argo CD)."""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pulumi_kubernetes as kubernetes

from fleet.state import Manifest

_TYPED: dict[tuple[str, str], Any] = {
    ("v1", "Namespace"): kubernetes.core.v1.Namespace,
    ("v1", "ResourceQuota"): kubernetes.core.v1.ResourceQuota,
    ("v1", "LimitRange"): kubernetes.core.v1.LimitRange,
    ("v1", "ServiceAccount"): kubernetes.core.v1.ServiceAccount,
    ("networking.k8s.io/v1", "NetworkPolicy"): kubernetes.networking.v1.NetworkPolicy,
    ("rbac.authorization.k8s.io/v1", "Role"): kubernetes.rbac.v1.Role,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): kubernetes.rbac.v1.RoleBinding,
}


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def register(manifest: Manifest, opts: pulumi.ResourceOptions, **overrides: Any) -> pulumi.CustomResource:
    """Register `manifest`; `overrides` replace top-level fields (e.g. metadata with an Output)."""
    fields = {k: v for k, v in manifest.obj.items() if k not in ("apiVersion", "kind")}
    fields.update(overrides)
    opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=manifest.protect))
    typed = _TYPED.get((manifest.api_version, manifest.kind))
    if typed is not None:
        return typed(manifest.logical_name, opts=opts, **{_snake(k): v for k, v in fields.items()})
    return kubernetes.apiextensions.CustomResource(
        manifest.logical_name, api_version=manifest.api_version, kind=manifest.kind, opts=opts, **fields
    )
