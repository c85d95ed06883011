"""One `fleet.render.resources.Resource` → one Pulumi resource. The only place that picks a class."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as kubernetes

from components import history
from components.providers import Reach
from fleet.io.pulumi_sdk import python_name, sdk_classes
from fleet.render.resources import Resource

# Token -> SDK class: one table for the program and the benchmark's floor (fleet.apis.pulumi_types).
_CLASSES: dict[str, Any] = sdk_classes()


def register(
    resource: Resource,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
    aliases: Sequence[pulumi.Alias] = (),
    reach: Reach | None = None,
    **wired: Any,
) -> pulumi.CustomResource:
    """Register `resource` under `parent`; `wired` replaces inputs known only at deployment.
    With `reach`, a resource placed on a declared cluster or in another region goes through that
    cluster's or region's explicit provider (else the parent's, for Argo CD's cluster and aws.region)."""
    props = {**resource.props, **wired}
    opts = pulumi.ResourceOptions(
        parent=parent,
        provider=reach.provider_of(resource) if reach is not None else None,
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
    return cls(resource.name, opts=opts, **{python_name(k): v for k, v in props.items()})


def register_role(specs: Sequence[Resource], component: pulumi.Resource) -> list[pulumi.CustomResource]:
    """An IAM role, then its inline policy and attachments as siblings under `component`."""
    role_spec, *policies = specs
    role = register(role_spec, component)
    return [role, *(register(p, component, aliases=history.formerly_under(role), role=role.name) for p in policies)]
