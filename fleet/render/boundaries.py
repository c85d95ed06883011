"""What a team's Services and Ingresses may not do, once: as CEL for the ValidatingAdmissionPolicy
that the API server enforces in the fleet's namespaces, and as Python for the guardrails that
judge any stack's resources at preview. Each check says why, in the words both report.

- Service `externalIPs`: any IP the Service claims is intercepted cluster-wide (CVE-2020-8554).
- Ingress snippet annotations: raw NGINX configuration in the shared ingress controller, which
  reads every namespace's Secrets (CVE-2021-25742 and its successors). Every annotation whose
  name contains "snippet" (configuration-, server-, auth-, stream-, modsecurity-snippet,
  nginx.org's *-snippets, HAProxy's config snippets), whatever its prefix: the prefix is
  configurable in ingress-nginx.
- Namespaces (issue 21): a Namespace labelled as a team's is named as the team's (`<team>`,
  `<team>-…`) or granted to it by the platform; and a namespace
  that exists without a team never gets one, nor changes team (`pulumi up` creates namespaces,
  it never adopts one: an add-on's existing namespace cannot become a team's destination).
- ExternalName Services that name an in-cluster address (`*.svc`, `*.svc.<domain>`,
  `*.cluster.local`, an IP): through the shared ingress controller they proxy into another
  team's namespace, around its NetworkPolicy (the ExternalName flavour of CVE-2021-25740).
  Since issue 21, by ownership rather than by the name's shape: an ExternalName Service names
  one of the external hosts the platform allows (`cluster.external_names`), nothing else, since
  any public name can resolve to a pod IP.
- Hosts (issue 21): an Ingress (its rules and TLS hosts) or an HTTPRoute/GRPCRoute/TLSRoute
  claims only hosts its namespace's team owns: under `<team>.<cluster.ingress_domain>`, or
  granted to it (`cluster.host_grants`); every rule names a host (a rule without one, an
  Ingress `defaultBackend` or a route without hostnames takes every host of the shared
  controller or Gateway).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleet.catalog.naming import TEAM_LABEL

SERVICE_EXTERNAL_IPS = (
    "a Service may not claim externalIPs: it would intercept that IP's traffic cluster-wide (CVE-2020-8554)"
)
INGRESS_SNIPPET = "Ingress snippet annotations are refused: they inject configuration into the shared ingress controller, which reads every namespace's Secrets (CVE-2021-25742)"
EXTERNAL_NAME_IN_CLUSTER = "an ExternalName Service may not name an in-cluster address (*.svc, *.cluster.local or an IP): the ingress controller would proxy into another namespace"

# CEL, evaluated by the API server; `object` is the Service or Ingress being written. Standard
# CEL only (`matches` with RE2, anchored with `.*` so that search and full-match semantics agree;
# `[.]` rather than a backslash escape).
_IS_SERVICE = "request.kind.group == '' && request.kind.kind == 'Service'"
_IS_INGRESS = "request.kind.group == 'networking.k8s.io' && request.kind.kind == 'Ingress'"
IN_CLUSTER_NAME = "(?i)^(.*[.]svc([.].*)?|.*[.]cluster[.]local[.]?|[0-9.]+|.*:.*)$"
SNIPPET_KEY = "(?i)^.*snippet.*$"
CEL_VALIDATIONS: tuple[tuple[str, str], ...] = (
    (
        f"!({_IS_SERVICE}) || !has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0",
        SERVICE_EXTERNAL_IPS,
    ),
    (
        f"!({_IS_INGRESS}) || !has(object.metadata.annotations) || "
        f"!object.metadata.annotations.exists(k, k.matches('{SNIPPET_KEY}'))",
        INGRESS_SNIPPET,
    ),
    (
        f"!({_IS_SERVICE}) || !has(object.spec.externalName) || !object.spec.externalName.matches('{IN_CLUSTER_NAME}')",
        EXTERNAL_NAME_IN_CLUSTER,
    ),
)
NAMESPACE_NOT_OWNED = (
    "a team's namespace carries the team's ownership: it is named <team> or <team>-…, "
    "or the platform grants it (cluster.namespace_grants)"
)
NAMESPACE_ADOPTED = (
    "an existing namespace never becomes a team's, and a namespace's team never changes: "
    "the fleet creates its namespaces, it does not adopt them"
)
_IS_NAMESPACE = "request.kind.group == '' && request.kind.kind == 'Namespace'"


EXTERNAL_NAME_NOT_ALLOWED = (
    "an ExternalName Service names only an external host the platform allows (cluster.external_names): "
    "any other name can resolve to another team's pods, which the shared ingress controller would then proxy into"
)
HOST_NOT_OWNED = (
    "an Ingress or route claims only hosts its team owns (<team>.<cluster.ingress_domain> and its subdomains, "
    "or cluster.host_grants), and every rule names one: two teams never share a host"
)
INGRESS_DEFAULT_BACKEND = (
    "an Ingress may not set spec.defaultBackend: it would take the shared controller's requests for every host"
)
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute")
GATEWAY_API = "gateway.networking.k8s.io"
_IS_ROUTE = f"request.kind.group == '{GATEWAY_API}' && request.kind.kind in {list(ROUTE_KINDS)!r}"


@dataclass(frozen=True)
class Tenancy:
    """What the admission policy needs to know of the catalog's ownership: the platform's
    namespace grants (namespace, team), the ingress domain, host grants (host, team) and the
    external hosts ExternalName Services may name. Not the team names: adding a team must not
    change a cluster-wide object (the longest-name rule is judged offline and by the pack)."""

    namespace_grants: tuple[tuple[str, str], ...] = ()
    ingress_domain: str | None = None
    host_grants: tuple[tuple[str, str], ...] = ()
    external_names: tuple[str, ...] = ()


def _cel_string(value: str) -> str:
    # Catalog names are DNS labels; refuse anything that could end the literal.
    if not re.fullmatch(r"[a-z0-9.-]*", value):
        raise ValueError(f"{value!r} cannot be written into the admission policy")
    return f"'{value}'"


def _cel_map(pairs: tuple[tuple[str, str], ...]) -> str:
    return "{" + ", ".join(f"{_cel_string(k)}: {_cel_string(v)}" for k, v in pairs) + "}"


def namespace_validations(tenancy: Tenancy) -> tuple[tuple[str, str], ...]:
    """The CEL of `fleet.catalog.tenancy.ownership_problem`, plus no adoption."""
    team = f"object.metadata.labels['{TEAM_LABEL}']"
    name = "object.metadata.name"
    labelled = f"has(object.metadata.labels) && '{TEAM_LABEL}' in object.metadata.labels"
    grants = _cel_map(tenancy.namespace_grants)
    named = f"{name} == {team} || {name}.startsWith({team} + '-')"
    owned = f"({name} in {grants} ? {grants}[{name}] == {team} : ({named}))"
    kept = (
        f"has(oldObject.metadata.labels) && '{TEAM_LABEL}' in oldObject.metadata.labels && "
        f"oldObject.metadata.labels['{TEAM_LABEL}'] == {team}"
    )
    return (
        (f"!({_IS_NAMESPACE}) || !({labelled}) || {owned}", NAMESPACE_NOT_OWNED),
        (f"!({_IS_NAMESPACE}) || request.operation != 'UPDATE' || !({labelled}) || ({kept})", NAMESPACE_ADOPTED),
    )


def _cel_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_cel_string(v) for v in values) + "]"


def _owned_host(host: str, tenancy: Tenancy) -> str:
    """CEL: the namespace's team (its team label; '' without one) owns `host` (a CEL expression)."""
    team = (
        f"(has(namespaceObject.metadata.labels) && '{TEAM_LABEL}' in namespaceObject.metadata.labels ? "
        f"namespaceObject.metadata.labels['{TEAM_LABEL}'] : '')"
    )
    exact = tuple((h, t) for h, t in tenancy.host_grants if not h.startswith("*."))
    suffix = tuple((h[1:], t) for h, t in tenancy.host_grants if h.startswith("*."))
    alternatives = []
    if tenancy.ingress_domain:
        domain = _cel_string("." + tenancy.ingress_domain)
        alternatives.append(f"{host} == {team} + {domain} || {host}.endsWith('.' + {team} + {domain})")
    if exact:
        alternatives.append(f"({host} in {_cel_map(exact)} && {_cel_map(exact)}[{host}] == {team})")
    if suffix:
        alternatives.append(f"{_cel_map(suffix)}.exists(s, {_cel_map(suffix)}[s] == {team} && {host}.endsWith(s))")
    return "(" + (" || ".join(alternatives) or "false") + ")"


def tenancy_validations(tenancy: Tenancy) -> tuple[tuple[str, str], ...]:
    """ExternalName targets and hosts, by what the platform allows and what the team owns."""
    return (
        (
            f"!({_IS_SERVICE}) || !has(object.spec.externalName) || "
            f"object.spec.externalName in {_cel_list(tenancy.external_names)}",
            EXTERNAL_NAME_NOT_ALLOWED,
        ),
        (
            f"!({_IS_INGRESS}) || !has(object.spec.rules) || "
            f"object.spec.rules.all(r, has(r.host) && {_owned_host('r.host', tenancy)})",
            HOST_NOT_OWNED,
        ),
        (
            f"!({_IS_INGRESS}) || !has(object.spec.tls) || "
            f"object.spec.tls.all(t, !has(t.hosts) || t.hosts.all(h, {_owned_host('h', tenancy)}))",
            HOST_NOT_OWNED,
        ),
        (f"!({_IS_INGRESS}) || !has(object.spec.defaultBackend)", INGRESS_DEFAULT_BACKEND),
        (
            f"!({_IS_ROUTE}) || (has(object.spec.hostnames) && size(object.spec.hostnames) > 0 && "
            f"object.spec.hostnames.all(h, {_owned_host('h', tenancy)}))",
            HOST_NOT_OWNED,
        ),
    )


def cel_validations(tenancy: Tenancy) -> tuple[tuple[str, str], ...]:
    """Every validation of the fleet's admission policy: (CEL expression, message)."""
    return (*CEL_VALIDATIONS, *namespace_validations(tenancy), *tenancy_validations(tenancy))


# (apiGroup, resource) the policy matches; writes only (CREATE, UPDATE).
MATCHED_RESOURCES: tuple[tuple[str, str], ...] = (
    ("", "services"),
    ("networking.k8s.io", "ingresses"),
    ("", "namespaces"),
    *((GATEWAY_API, kind.lower() + "s") for kind in ROUTE_KINDS),
)


def _spec(props: Mapping[str, Any]) -> Mapping[str, Any]:
    value = props.get("spec")
    return value if isinstance(value, Mapping) else {}


def _annotations(props: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = props.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    return annotations if isinstance(annotations, Mapping) else {}


def snippet_annotations(props: Mapping[str, Any]) -> list[str]:
    return sorted(str(k) for k in _annotations(props) if re.search(SNIPPET_KEY, str(k)))


def external_ips(props: Mapping[str, Any]) -> list[str]:
    value = _spec(props).get("externalIPs")
    if value is None or value == [] or isinstance(value, Mapping):
        return []
    if isinstance(value, (str, int, float)):
        return [str(value)]
    return [str(v) for v in value]


def in_cluster_external_name(props: Mapping[str, Any]) -> str | None:
    """The ExternalName target if it is an in-cluster address, else None."""
    name = _spec(props).get("externalName")
    if not isinstance(name, str):
        return None
    target = name.strip()
    if re.search(IN_CLUSTER_NAME, target):
        return name
    try:
        ipaddress.ip_address(target.strip("[]"))
    except ValueError:
        return None
    return name


# --- Python: the same judgements for the policy pack ------------------------------------------
def external_name_problem(props: Mapping[str, Any], allowed: tuple[str, ...]) -> str | None:
    """The ExternalName target if the platform does not allow it, else None."""
    name = _spec(props).get("externalName")
    if name is None or str(name) in allowed:
        return None
    return str(name)


def claimed_hosts(props: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """(field path, host) of every host an Ingress or route claims, and what claims every host
    (a rule without a host, a defaultBackend, a route without hostnames)."""
    body = _spec(props)
    hosts: list[tuple[str, str]] = []
    everything: list[str] = []
    if "hostnames" in body or "parentRefs" in body:  # a Gateway API route
        names = _items(body.get("hostnames"))
        if not names:
            everything.append("spec.hostnames is empty: the route takes every host of its Gateway")
        hosts += [(f"spec.hostnames[{i}]", str(h)) for i, h in enumerate(names)]
        return hosts, everything
    if body.get("defaultBackend") is not None:
        everything.append(f"spec.defaultBackend: {INGRESS_DEFAULT_BACKEND}")
    for i, rule in enumerate(_items(body.get("rules"))):
        host = rule.get("host") if isinstance(rule, Mapping) else None
        if host:
            hosts.append((f"spec.rules[{i}].host", str(host)))
        else:
            everything.append(f"spec.rules[{i}] names no host: it takes every host of the shared controller")
    for i, tls in enumerate(_items(body.get("tls"))):
        for j, host in enumerate(_items(tls.get("hosts") if isinstance(tls, Mapping) else None)):
            hosts.append((f"spec.tls[{i}].hosts[{j}]", str(host)))
    return hosts, everything


def _items(value: Any) -> list[Any]:
    if value is None or isinstance(value, (str, bytes, Mapping)):
        return []
    try:
        return list(value)
    except TypeError:
        return []
