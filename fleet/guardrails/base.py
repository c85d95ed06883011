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
from dataclasses import Field, dataclass, field, fields, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from fleet.apis.pulumi_types import kubernetes_kind
from fleet.catalog.models import DEFAULT_QUOTA_CEILING
from fleet.catalog.naming import Names

if TYPE_CHECKING:
    from fleet.catalog.models import Catalog

POD_SECURITY_LEVELS = ("privileged", "baseline", "restricted")


_STRINGS = {"type": "array", "items": {"type": "string"}}


def _setting(
    default: Any, key: str, schema: Mapping[str, Any], description: str, catalog: Callable[[Catalog], Any] | None
) -> Any:
    """One setting, said once: its default, its key and JSON schema in policy config (the pack's
    CONFIG_SCHEMA), what it means, and where a catalog says it (None: a catalog does not)."""
    return field(
        default=default, metadata={"key": key, "schema": schema, "description": description, "catalog": catalog}
    )


@dataclass(frozen=True)
class Settings:
    """What a platform team configures. The policy pack reads it from policy config
    (`from_config`, its schema `config_schema`), `fleet validate` and the program from the
    catalog (`from_catalog`): every setting names both below, nowhere else."""

    allowed_repos: tuple[str, ...] = _setting(
        (),  # empty: only wildcards are refused
        "allowedRepos",
        _STRINGS,
        "Repository URL prefixes (ending in '/') or exact URLs that AppProjects may deploy from",
        lambda catalog: catalog.argocd.allowed_repos,
    )
    pod_security_floor: str = _setting(
        "baseline",
        "podSecurityFloor",
        {"type": "string", "enum": list(POD_SECURITY_LEVELS)},
        "The lowest Pod Security level a namespace may enforce",
        lambda catalog: catalog.guardrails.pod_security_floor,
    )
    argocd_namespace: str = _setting(
        "argocd",
        "argocdNamespace",
        {"type": "string"},
        "Where Argo CD runs; never a deployment destination",
        lambda catalog: catalog.argocd.namespace,
    )
    account_ids: tuple[str, ...] = _setting(
        (),  # empty: unknown
        "accountIds",
        {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{12}$"}},
        "The AWS accounts the stacks deploy into; trust policies and EKS access entries naming any other account are refused",
        lambda catalog: (catalog.aws.account_id,),
    )
    # Set by `judge` for a pulumi-kubernetes *Patch resource: a field it does not name stays as
    # it is, so a rule refuses what a patch sets, never what it leaves out.
    patch: bool = False
    # Set by `judge` for a pulumi-kubernetes resource: the kind its type token names (what the
    # engine registers, whatever the inputs' own `kind` says).
    kind: str = ""
    reserved_namespaces: tuple[str, ...] = _setting(
        (),  # besides the built-in ones (fleet.guardrails.reserved)
        "reservedNamespaces",
        _STRINGS,
        "Platform namespaces besides kube-*, default, Argo CD's and the well-known add-on ones",
        lambda catalog: catalog.cluster.reserved_namespaces,
    )
    allowed_managed_policy_arns: tuple[str, ...] = _setting(
        (),
        "allowedManagedPolicyArns",
        _STRINGS,
        "The only managed policies a role may attach (empty: only administrator policies are refused)",
        lambda catalog: catalog.aws.allowed_managed_policy_arns,
    )
    owned_resources: tuple[str, ...] = _setting(
        (),
        "ownedResources",
        _STRINGS,
        "ARN patterns (exact, or a prefix ending in '*') the stack's statements may name",
        None,  # from a catalog: ownership is judged by the catalog rules, team by team
    )
    namespace_grants: tuple[tuple[str, str], ...] = _setting(
        (),  # (namespace, team) pairs, sorted
        "namespaceGrants",
        {"type": "object", "additionalProperties": {"type": "string"}},
        "Namespaces the platform grants to a team (namespace -> team) besides those named <team> or <team>-…",
        lambda catalog: tuple(sorted(catalog.cluster.namespace_grants.items())),
    )
    teams: tuple[str, ...] = _setting(
        (),  # the teams the judge knows: a longer name owns its prefix
        "teams",
        _STRINGS,
        "The environment's team names: a namespace named after a longer team name is that team's",
        lambda catalog: tuple(team.name for team in catalog.teams),
    )
    ingress_domain: str | None = _setting(
        None,
        "ingressDomain",
        {"type": "string"},
        "Team <t> owns the hosts under <t>.<ingressDomain> in Ingresses and routes",
        lambda catalog: catalog.cluster.ingress_domain,
    )
    host_grants: tuple[tuple[str, str], ...] = _setting(
        (),  # (host, team) pairs, sorted
        "hostGrants",
        {"type": "object", "additionalProperties": {"type": "string"}},
        "Hosts (exact, or *.<domain>) the platform grants to a team (host -> team)",
        lambda catalog: tuple(sorted(catalog.cluster.host_grants.items())),
    )
    external_names: tuple[str, ...] = _setting(
        (),
        "externalNames",
        _STRINGS,
        "The only external hosts an ExternalName Service may name (empty: none)",
        lambda catalog: catalog.cluster.external_names,
    )
    quota_ceiling: tuple[tuple[str, str], ...] = _setting(
        (),  # (resource, quantity) pairs, sorted; what it leaves out is the catalog's default ceiling
        "quotaCeiling",
        {
            "type": "object",
            "properties": {
                "cpu": {"type": "string"},
                "memory": {"type": "string"},
                "pods": {"type": ["string", "integer"]},
            },
        },
        "The most a ResourceQuota may grant ({cpu, memory, pods}); unset: the catalog's default guardrails.quota_ceiling",
        lambda catalog: tuple(sorted((k, str(v)) for k, v in catalog.guardrails.quota_ceiling.model_dump().items())),
    )
    require_pinned_revisions: bool = _setting(
        False,
        "requirePinnedRevisions",
        {"type": "boolean"},
        "Applications must deploy a full commit SHA or a tag (set it for stacks with deletion protection)",
        lambda catalog: catalog.deletion_protection,
    )
    production: bool = _setting(
        False,
        "production",
        {"type": "boolean"},
        "The stacks are production (deletion protection): Applications never skip schema validation (Validate=false)",
        lambda catalog: catalog.deletion_protection,
    )
    team: str | None = _setting(
        None,
        "team",
        {"type": "string"},
        "The team whose stack this is (a policy group per team stack): its RoleBindings, AppProject and "
        "Applications stay inside that team's namespaces and project",
        None,  # a catalog holds every team: the platform stack's resources are judged by the catalog rules
    )
    secret_key_prefix: str | None = _setting(
        None,
        "secretKeyPrefix",
        {"type": "string"},
        "Where the platform's secret store keeps the fleet's keys (`<organization>/<environment>`): a team's "
        "ExternalSecrets read only `<prefix>/<team>/…` and its GitHub App's key",
        lambda catalog: Names(catalog.organization, catalog.environment).secret_prefix,
    )
    permissions_boundary_arns: tuple[str, ...] = _setting(
        (),
        "permissionsBoundaryArns",
        _STRINGS,
        "Every IAM role carries one of these permissions boundaries (empty: not judged)",
        None,  # from a catalog: the workload and human boundaries are applied by the program itself
    )

    @property
    def grants(self) -> dict[str, str]:
        return dict(self.namespace_grants)

    @property
    def ceiling(self) -> tuple[str, str, int | str]:
        """(cpu, memory, pods) the most a ResourceQuota may grant: the setting, else the
        catalog's default ceiling."""
        given = dict(self.quota_ceiling)
        return (
            given.get("cpu", DEFAULT_QUOTA_CEILING.cpu),
            given.get("memory", DEFAULT_QUOTA_CEILING.memory),
            given.get("pods", DEFAULT_QUOTA_CEILING.pods),
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """The settings a policy config gives; a key it lacks keeps its default."""
        return cls(**{f.name: _from_config(f, config.get(f.metadata["key"])) for f in _configured()})

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> Settings:
        """The settings a catalog gives (what it does not say keeps its default)."""
        return cls(**{f.name: f.metadata["catalog"](catalog) for f in _configured() if f.metadata["catalog"]})

    @classmethod
    def config_schema(cls) -> dict[str, dict[str, Any]]:
        """Policy config key -> its JSON schema (with the default of a single value, and what it means)."""
        out = {}
        for f in _configured():
            schema: dict[str, Any] = dict(f.metadata["schema"])
            if schema["type"] not in ("array", "object") and f.default is not None:
                schema["default"] = f.default
            out[f.metadata["key"]] = {**schema, "description": f.metadata["description"]}
        return out

    def to_config(self) -> dict[str, Any]:
        """The policy config that gives these settings (what `from_config` reads back)."""
        out: dict[str, Any] = {}
        for f in _configured():
            value, kind = getattr(self, f.name), f.metadata["schema"]["type"]
            out[f.metadata["key"]] = list(value) if kind == "array" else dict(value) if kind == "object" else value
        return out


def _configured() -> list[Field[Any]]:
    return [f for f in fields(Settings) if "key" in f.metadata]


def _from_config(setting: Field[Any], value: Any) -> Any:
    kind = setting.metadata["schema"]["type"]
    if kind == "array":
        return tuple(str(v) for v in value or ())
    if kind == "object":  # a config object of strings as sorted (key, value) pairs; anything else as none
        return tuple(sorted((str(k), str(v)) for k, v in value.items())) if isinstance(value, Mapping) else ()
    if kind == "boolean":
        return value is True
    return str(value) if value else setting.default


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
        if found is not None:
            settings = _variant(settings, found[1], variant == "Patch")
        if variant == "List":
            for i, item in enumerate(as_list(props.get("items"))):
                if isinstance(item, Mapping):
                    yield from (f"items[{i}]: {message}" for message in self.check(item, settings))
        else:
            yield from self.check(props, settings)


# The settings of one kind (and patch or not) of a pulumi-kubernetes resource, made once per
# judged settings object rather than once per rule and resource (24,000 copies a stack at 1,000
# apps): (id of the settings, kind, patch) -> (those settings, kept alive so the id stays theirs;
# the variant).
_VARIANTS: dict[tuple[int, str, bool], tuple[Settings, Settings]] = {}


def _variant(settings: Settings, kind: str, patch: bool) -> Settings:
    """`settings` with `kind` set, and `patch` when the resource is a Patch resource."""
    key = (id(settings), kind, patch)
    made = _VARIANTS.get(key)
    if made is None or made[0] is not settings:
        if len(_VARIANTS) >= 256:  # settings of another run: drop them
            _VARIANTS.clear()
        made = (settings, replace(settings, kind=kind, patch=True) if patch else replace(settings, kind=kind))
        _VARIANTS[key] = made
    return made[1]


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
    if type(value) is list or type(value) is tuple:  # most values: no abstract-type check (200,000 a stack)
        return list(value)
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
