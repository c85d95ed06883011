"""One `fleet.render.resources.Resource` → one Pulumi resource. The only place that registers one.

Every resource is registered as a plain `pulumi.CustomResource` with its type token and the
inputs the renderer produced, named as the engine names them: what the SDK classes send, without
their per-resource cost (typed input and output translation walks every nested value: 44 -> 36 s
of CPU at 1,000 apps under the mock engine; benchmarks/RESULTS.md). What the classes add to the
request is added here too: each package's version and plugin download URL, and the outputs the
program reads (an IAM role's `arn`; `id` and the inputs are always there), and a Secret's data sent
and kept as secrets. The classes' other
addition, aliases to the `v1alpha1`/`v1beta1` tokens of RBAC, NetworkPolicy and admission types,
is left out: it only finds state written under those tokens, which this program never wrote.
`tests/test_register.py` compares the requests with the SDK classes' for every token.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from functools import cache
from typing import Any

import pulumi

from components import history
from components.providers import Reach
from fleet.apis import pulumi_types
from fleet.render.resources import Resource

# Outputs the program reads besides `id` and the inputs, declared so the resource has them.
OUTPUTS: dict[str, tuple[str, ...]] = {pulumi_types.IAM_ROLE: ("arn",)}
# Inputs the SDK classes send as secrets, and mark as secret outputs (a Secret's data).
SECRETS: dict[str, tuple[str, ...]] = {pulumi_types.SECRET: ("data", "stringData")}
# The SDK whose plugin serves each package of type tokens.
_SDKS = {"aws": "pulumi_aws", "kubernetes": "pulumi_kubernetes", "okta": "pulumi_okta"}


@cache
def package_options(package: str) -> pulumi.ResourceOptions:
    """The version and plugin download URL the package's SDK classes put on every resource."""
    return importlib.import_module(f"{_SDKS[package]}._utilities").get_resource_opts_defaults()


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
    defaults = package_options(resource.type.split(":", 1)[0])
    opts = pulumi.ResourceOptions(
        parent=parent,
        provider=reach.provider_of(resource) if reach is not None else None,
        protect=resource.protect,
        retain_on_delete=resource.retain_on_delete,
        depends_on=list(depends_on),
        aliases=list(aliases),
        version=defaults.version,
        plugin_download_url=defaults.plugin_download_url,
        additional_secret_outputs=list(SECRETS.get(resource.type, ())) or None,
    )
    props = {**resource.props, **wired, **dict.fromkeys(OUTPUTS.get(resource.type, ()))}
    for key in SECRETS.get(resource.type, ()):
        if props.get(key) is not None:
            props[key] = pulumi.Output.secret(props[key])
    return pulumi.CustomResource(resource.type, resource.name, props, opts)


def register_role(specs: Sequence[Resource], component: pulumi.Resource) -> list[pulumi.CustomResource]:
    """An IAM role, then its inline policy and attachments as siblings under `component`."""
    role_spec, *policies = specs
    role = register(role_spec, component)
    return [role, *(register(p, component, aliases=history.formerly_under(role), role=role.name) for p in policies)]
