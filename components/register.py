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

The explicit providers are registered here too (`register_provider`), as their SDKs' Provider
classes register them (components/providers.py says what each class sends), and the packages'
versions are read from their installed distributions, as the SDKs read them: a stack imports no
SDK, which took about a third of a team stack's start-up (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pulumi

from components import history
from fleet.apis import pulumi_types
from fleet.render.resources import Resource

if TYPE_CHECKING:  # components.providers registers its providers here
    from components.providers import Reach

# Outputs the program reads besides `id` and the inputs, declared so the resource has them.
OUTPUTS: dict[str, tuple[str, ...]] = {pulumi_types.IAM_ROLE: ("arn",)}
# Inputs the SDK classes send as secrets, and mark as secret outputs (a Secret's data).
SECRETS: dict[str, tuple[str, ...]] = {pulumi_types.SECRET: ("data", "stringData")}
# The SDK whose plugin serves each package of type tokens.
_SDKS = {"aws": "pulumi_aws", "kubernetes": "pulumi_kubernetes", "okta": "pulumi_okta"}
# A PEP 440 version as the SDKs publish them: release, then a pre-release, a dev build or a local label.
_PEP440 = re.compile(
    r"(?P<release>\d+\.\d+\.\d+)(?:(?P<pre_tag>a|b|rc)(?P<pre>\d+))?(?:\.dev(?P<dev>\d+))?(?:\+(?P<local>[\w.]+))?"
)
_PRERELEASE = {"a": "alpha", "b": "beta", "rc": "rc"}


def semver(pep440: str) -> str:
    """The semver string an SDK sends for its PEP 440 version (the SDKs' `_utilities`: `1.2.3a4`
    is `1.2.3-alpha.4`, `1.2.3.dev5` `1.2.3-dev.5`, `1.2.3+abc` `1.2.3-abc`)."""
    found = _PEP440.fullmatch(pep440)
    if found is None:
        raise ValueError(f"{pep440!r}: not a version an SDK publishes")
    if found["pre_tag"]:
        prerelease = f"{_PRERELEASE[found['pre_tag']]}.{found['pre']}"
    elif found["dev"]:
        prerelease = f"dev.{found['dev']}"
    else:
        prerelease = found["local"]
    return found["release"] + (f"-{prerelease}" if prerelease else "")


@cache
def package_options(package: str) -> pulumi.ResourceOptions:
    """The version and plugin download URL the package's SDK classes put on every resource (the
    SDKs publish no download URL: the engine finds the plugin by its version)."""
    return pulumi.ResourceOptions(version=semver(metadata.version(_SDKS[package])), plugin_download_url=None)


def register_provider(
    package: str, name: str, inputs: Mapping[str, Any], secret_outputs: Sequence[str] = ()
) -> pulumi.ProviderResource:
    """An explicit provider of `package` as its SDK's Provider class registers it: `inputs` named
    and encoded as the class sends them (camelCase; a list or number as JSON text; a secret as a
    secret), its version, and the outputs it keeps secret."""
    defaults = package_options(package)
    opts = pulumi.ResourceOptions(
        version=defaults.version,
        plugin_download_url=defaults.plugin_download_url,
        additional_secret_outputs=list(secret_outputs),
    )
    return pulumi.ProviderResource(package, name, dict(inputs), opts)


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
