"""What a guardrail is: an id, a one-line rationale, the anchor it follows, a pure check.

Resource rules look at one resource's inputs as Pulumi passes them (camelCase; in the
policy engine as read-only Mapping/Sequence proxies, where reading a value that is unknown at
preview raises, and the engine then skips that rule for that resource), so the same function judges the rendered desired state in
`fleet validate` and any stack's resources in the CrossGuard pack. Stack rules look at all
resources of a stack at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from fleet.apis.pulumi_types import kubernetes_kind
from fleet.catalog.models import DEFAULT_QUOTA_CEILING

POD_SECURITY_LEVELS = ("privileged", "baseline", "restricted")


@dataclass(frozen=True)
class Settings:
    """What a platform team configures; the policy pack reads it from policy config."""

    allowed_repos: tuple[str, ...] = ()  # empty: only wildcards are refused
    pod_security_floor: str = "baseline"
    argocd_namespace: str = "argocd"
    account_ids: tuple[str, ...] = ()  # the AWS accounts the stack deploys into; empty: unknown
    # Set by `judge` for a pulumi-kubernetes *Patch resource: a field it does not name stays as
    # it is, so a rule refuses what a patch sets, never what it leaves out.
    patch: bool = False
    reserved_namespaces: tuple[str, ...] = ()  # besides the built-in ones (fleet.guardrails.reserved)
    allowed_managed_policy_arns: tuple[str, ...] = ()  # empty: only administrator policies are refused
    owned_resources: tuple[str, ...] = ()  # empty: ownership is judged by the catalog, not here
    # Environments with deletion protection: Applications deploy one commit, never a branch.
    require_pinned_revisions: bool = False
    # The stack is production (deletion protection): Applications never skip schema validation.
    production: bool = False
    # Namespaces the platform grants to a team (namespace, team), besides those named as the
    # team's (<team>, <team>-…); and the teams the judge knows (a longer name owns its prefix).
    namespace_grants: tuple[tuple[str, str], ...] = ()
    teams: tuple[str, ...] = ()
    # Hosts: each team's under <team>.<ingress_domain>, and the platform's grants (host, team);
    # the only external hosts an ExternalName Service may name (empty: none).
    ingress_domain: str | None = None
    host_grants: tuple[tuple[str, str], ...] = ()
    external_names: tuple[str, ...] = ()
    # The most a ResourceQuota may grant: (cpu, memory, pods); the catalog's guardrails.quota_ceiling.
    quota_ceiling: tuple[str, str, int] = (
        DEFAULT_QUOTA_CEILING.cpu,
        DEFAULT_QUOTA_CEILING.memory,
        DEFAULT_QUOTA_CEILING.pods,
    )

    @property
    def grants(self) -> dict[str, str]:
        return dict(self.namespace_grants)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        return cls(
            allowed_repos=tuple(config.get("allowedRepos") or ()),
            pod_security_floor=str(config.get("podSecurityFloor") or cls.pod_security_floor),
            argocd_namespace=str(config.get("argocdNamespace") or cls.argocd_namespace),
            account_ids=tuple(str(a) for a in config.get("accountIds") or ()),
            reserved_namespaces=tuple(str(n) for n in config.get("reservedNamespaces") or ()),
            allowed_managed_policy_arns=tuple(str(a) for a in config.get("allowedManagedPolicyArns") or ()),
            owned_resources=tuple(str(a) for a in config.get("ownedResources") or ()),
            require_pinned_revisions=config.get("requirePinnedRevisions") is True,
            production=config.get("production") is True,
            namespace_grants=_pairs(config.get("namespaceGrants")),
            teams=tuple(str(t) for t in config.get("teams") or ()),
            ingress_domain=str(config["ingressDomain"]) if config.get("ingressDomain") else None,
            host_grants=_pairs(config.get("hostGrants")),
            external_names=tuple(str(n) for n in config.get("externalNames") or ()),
            quota_ceiling=_ceiling(config.get("quotaCeiling"), cls.quota_ceiling),
        )


def _ceiling(value: Any, default: tuple[str, str, int]) -> tuple[str, str, int]:
    """Policy config `quotaCeiling` ({cpu, memory, pods}); what it leaves out keeps the default."""
    if not isinstance(value, Mapping):
        return default
    pods = value.get("pods", default[2])
    return (
        str(value.get("cpu", default[0])),
        str(value.get("memory", default[1])),
        int(pods) if isinstance(pods, (int, float, str)) and str(pods).isdigit() else default[2],
    )


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    """A config object of strings as sorted (key, value) pairs; anything else as none."""
    if not isinstance(value, Mapping):
        return ()
    return tuple(sorted((str(k), str(v)) for k, v in value.items()))


@dataclass(frozen=True)
class StackResource:
    """The part of a resource a stack rule needs (a PolicyResource or a fleet Resource)."""

    type: str
    name: str
    props: Mapping[str, Any]


ResourceCheck = Callable[[Mapping[str, Any], Settings], Iterator[str]]
StackCheck = Callable[[Sequence[StackResource], Settings], Iterator[tuple[StackResource, str]]]


def _matches(entry: str, resource_type: str) -> bool:
    if resource_type == entry:
        return True
    if "/*:" in entry:
        found = kubernetes_kind(resource_type)
        wanted = kubernetes_kind(entry)
        return found is not None and wanted is not None and found[:2] == wanted[:2]
    return entry.endswith(":") and resource_type.startswith(entry)


@dataclass(frozen=True)
class Rule:
    id: str
    rationale: str
    anchor: str
    types: tuple[str, ...]  # exact types, `any_version(group, Kind)` entries, or a prefix ending in ":"
    check: ResourceCheck

    def applies_to(self, resource_type: str) -> bool:
        return any(_matches(entry, resource_type) for entry in self.types)

    def judge(self, resource_type: str, props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
        """The rule's findings on one resource, whatever its variant: a List resource is judged
        item by item, a Patch resource for what it sets."""
        found = kubernetes_kind(resource_type)
        variant = found[2] if found is not None else ""
        if variant == "List":
            for i, item in enumerate(as_list(props.get("items"))):
                if isinstance(item, Mapping):
                    yield from (f"items[{i}]: {message}" for message in self.check(item, settings))
        elif variant == "Patch":
            yield from self.check(props, replace(settings, patch=True))
        else:
            yield from self.check(props, settings)


@dataclass(frozen=True)
class StackRule:
    id: str
    rationale: str
    anchor: str
    check: StackCheck


# --- helpers for reading inputs -----------------------------------------------------------------
def as_list(value: Any) -> list[Any]:
    """A list of what `value` holds. The policy engine hands rules read-only proxies
    (Sequence/Mapping, not list/dict): test for the abstract types only."""
    if value is None:
        return []
    return list(value) if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) else [value]


def policy_document(value: Any) -> Mapping[str, Any] | None:
    """A policy input as a mapping (read-only): JSON text or an object; None when unknown or
    unreadable. Several rules read the same policy: its text is parsed once."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str):
        return _parsed(value)
    return None


@lru_cache(maxsize=4096)
def _parsed(text: str) -> Mapping[str, Any] | None:
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]


def metadata(props: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = props.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def spec(props: Mapping[str, Any]) -> Mapping[str, Any]:
    value = props.get("spec")
    return value if isinstance(value, Mapping) else {}
