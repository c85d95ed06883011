"""Kubernetes guardrails: RBAC, Pod Security labels, and what every team namespace carries."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from fleet.apis.kubernetes import ADMISSION, BUILT_IN_NAMESPACES, NAMESPACE_NAME_LABEL, RBAC, READ_VERBS, quantity
from fleet.apis.pulumi_types import LIMIT_RANGE, NAMESPACE, NETWORK_POLICY, RESOURCE_QUOTA, any_version
from fleet.catalog import tenancy
from fleet.catalog.naming import (
    ACCESS_LEVEL_LABEL,
    ARGOCD_CLUSTER_SECRET_TYPE,
    ARGOCD_SECRET_TYPE_LABEL,
    ENVIRONMENT_LABEL,
    K8S_PART_OF,
    LABEL_DOMAIN,
    TEAM_LABEL,
    Names,
    github_app_key,
)
from fleet.guardrails.base import (
    POD_SECURITY_LEVELS,
    Rule,
    Settings,
    StackResource,
    StackRule,
    as_list,
    metadata,
    spec,
)
from fleet.guardrails.reserved import is_reserved, reserved_reason
from fleet.render import boundaries

# Every API version of each kind, and its Patch and List resources (see `kind`).
ROLE_TYPES = (any_version(RBAC, "Role"), any_version(RBAC, "ClusterRole"))
BINDING_TYPES = (any_version(RBAC, "RoleBinding"), any_version(RBAC, "ClusterRoleBinding"))
NAMESPACE_TYPES = (any_version("", "Namespace"),)
NETWORK_POLICY_TYPES = (any_version("networking.k8s.io", "NetworkPolicy"), any_version("extensions", "NetworkPolicy"))
SERVICE_TYPES = (any_version("", "Service"),)
INGRESS_TYPES = (any_version("networking.k8s.io", "Ingress"), any_version("extensions", "Ingress"))
ESCALATING_VERBS = frozenset({"escalate", "bind", "impersonate"})
READ_ONLY = frozenset(READ_VERBS)
READING = READ_ONLY | {"*"}  # what a rule reads with: the read verbs, or every verb
# (apiGroup, resource) whose writers can point a Service at any IP of the cluster (CVE-2021-25740).
ENDPOINT_RESOURCES = (("", "endpoints"), ("discovery.k8s.io", "endpointslices"))
# Subjects that are not a team: every authenticated or anonymous caller, every ServiceAccount
# (of the cluster or of a namespace), and the other built-in system: groups and users.
SYSTEM_PREFIX = "system:"
# Ingress from an ipBlock wider than this admits whole address spaces (0.0.0.0/1 + 128.0.0.0/1).
WIDEST_INGRESS_PREFIX = {4: 8, 6: 32}
AGGREGATE_TO_VIEW = "rbac.authorization.k8s.io/aggregate-to-view"
ADMISSION_TYPES = (
    any_version(ADMISSION, "ValidatingAdmissionPolicy"),
    any_version(ADMISSION, "ValidatingAdmissionPolicyBinding"),
)
# Labels that decide which namespaces the fleet's admission policy guards.
FLEET_LABELS = (K8S_PART_OF, ENVIRONMENT_LABEL)
BUILTIN_POWER_ROLES = frozenset({"cluster-admin", "admin", "edit"})
# The built-in aggregated roles: bound cluster-wide, even view reads every namespace's objects.
BUILTIN_ROLES = BUILTIN_POWER_ROLES | {"view"}
NAMESPACE_OWNERSHIP = "k8s-namespace-ownership"
HOST_OWNERSHIP = "k8s-host-ownership"
QUOTA_CEILING = "k8s-quota-ceiling"
SERVICE_BOUNDARIES = "k8s-service-boundaries"
ROUTE_TYPES = tuple(any_version(boundaries.GATEWAY_API, kind) for kind in boundaries.ROUTE_KINDS)


def _rules(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [r for r in as_list(props.get("rules")) if isinstance(r, Mapping)]


def _rbac_wildcards(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    for i, rule in enumerate(_rules(props)):
        for field in ("verbs", "resources", "apiGroups"):
            if "*" in as_list(rule.get(field)):
                yield f"rules[{i}].{field} contains '*'"


def _rbac_escalation(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    for i, rule in enumerate(_rules(props)):
        verbs = {str(v) for v in as_list(rule.get("verbs"))}
        if verbs & ESCALATING_VERBS:
            yield f"rules[{i}] grants {', '.join(sorted(verbs & ESCALATING_VERBS))}: a way around RBAC"
        if RBAC in as_list(rule.get("apiGroups")) and verbs - READ_ONLY:
            yield f"rules[{i}] writes RBAC objects: the holder could grant itself anything"


def _endpoint_writes(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    for i, rule in enumerate(_rules(props)):
        verbs = {str(v) for v in as_list(rule.get("verbs"))}
        if not verbs - READ_ONLY:
            continue
        groups = {str(g) for g in as_list(rule.get("apiGroups"))}
        # The resource itself, a subresource of it (endpoints/restricted), or every resource.
        resources = {str(r).split("/", 1)[0] for r in as_list(rule.get("resources"))}
        for group, resource in ENDPOINT_RESOURCES:
            if (group in groups or "*" in groups) and (resource in resources or "*" in resources):
                yield (
                    f"rules[{i}] writes {resource} ({', '.join(sorted(verbs - READ_ONLY))}): a Service could then "
                    "forward to any pod of the cluster, another team's included (CVE-2021-25740)"
                )


def _is_view_role(props: Mapping[str, Any]) -> bool:
    meta = metadata(props)
    labels = meta.get("labels") if isinstance(meta.get("labels"), Mapping) else {}
    # A ClusterRole with this label adds its rules to the built-in `view` of every namespace.
    if str(labels.get(AGGREGATE_TO_VIEW, "")).lower() == "true":
        return True
    if ACCESS_LEVEL_LABEL in labels:
        return labels[ACCESS_LEVEL_LABEL] == "view"
    # Without our label, judge by whole words of the name: "team-viewer", "read-only",
    # not "thread-editor".
    words = set(re.split(r"[^a-z0-9]+", str(meta.get("name", "")).lower()))
    return bool(words & {"view", "viewer", "read", "reader", "readonly", "audit", "auditor"})


def _view_no_secrets(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    if not _is_view_role(props):
        return
    for i, rule in enumerate(_rules(props)):
        resources = {str(r) for r in as_list(rule.get("resources"))}
        if ("secrets" in resources or "*" in resources) and {str(v) for v in as_list(rule.get("verbs"))} & READING:
            yield f"rules[{i}] lets a view role read secrets"


def _no_power_bindings(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    ref = props.get("roleRef") if isinstance(props.get("roleRef"), Mapping) else {}
    if ref.get("kind") != "ClusterRole" or str(ref.get("name")) not in BUILTIN_POWER_ROLES:
        return
    groups = [
        s.get("name") for s in as_list(props.get("subjects")) if isinstance(s, Mapping) and s.get("kind") == "Group"
    ]
    if ref.get("name") == "cluster-admin":
        yield f"binds cluster-admin (subjects: {', '.join(map(str, groups)) or 'none'})"
    elif props.get("kind") != "RoleBinding" and groups:  # the rule sees only bindings; no kind: a ClusterRoleBinding
        yield f"binds the built-in ClusterRole {ref.get('name')} cluster-wide to groups {', '.join(map(str, groups))}"


def _no_builtin_cluster_bindings(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    """A ClusterRoleBinding of a built-in aggregated role (admin, edit, view) to anyone: users,
    groups and ServiceAccounts alike get it in every namespace, every team's included."""
    ref = props.get("roleRef") if isinstance(props.get("roleRef"), Mapping) else {}
    if props.get("kind") == "RoleBinding" or metadata(props).get("namespace"):
        return
    if ref.get("kind") != "ClusterRole" or str(ref.get("name")) not in BUILTIN_ROLES - {"cluster-admin"}:
        return
    for i, s in enumerate(as_list(props.get("subjects"))):
        if isinstance(s, Mapping) and s.get("kind") in ("User", "Group", "ServiceAccount"):
            yield (
                f"subjects[{i}] ({s.get('kind')} {s.get('name')}) gets the built-in ClusterRole "
                f"{ref.get('name')} (roleRef.name) in every namespace, every team's included"
            )


def _namespace_problem(namespace: str, settings: Settings) -> str | None:
    """Why `namespace` is not a place for the stack's objects: never the cluster's own; with the
    stack's team known (policy config `team`), only a namespace that carries that team's ownership."""
    if namespace in BUILT_IN_NAMESPACES or namespace.startswith("kube-"):
        return f"{namespace!r}, which belongs to the cluster itself"
    if not settings.team:
        return None
    if reason := reserved_reason(namespace, settings.argocd_namespace, settings.reserved_namespaces):
        return f"team {settings.team!r}'s stack writing into {reason}"
    if problem := tenancy.ownership_problem(namespace, settings.team, settings.grants, settings.teams):
        return f"team {settings.team!r}'s stack writing outside its namespaces: {problem}"
    return None


def _binding_namespace(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    """A RoleBinding lands in the cluster's own namespaces (kube-system, kube-public,
    kube-node-lease, default) never; with the stack's team known (policy config `team`), only in
    a namespace that carries that team's ownership (the platform's stack, which binds its
    read-only reader in Argo CD's namespace, runs without `team`)."""
    namespace = metadata(props).get("namespace")
    if props.get("kind") == "ClusterRoleBinding" or not namespace:
        return
    if (problem := _namespace_problem(str(namespace), settings)) is not None:
        yield f"metadata.namespace: a RoleBinding in {problem}"


# Argo CD's own kinds live in its namespace whoever writes them; the argocd rules judge their
# project (a team's stack: only its own).
ARGOCD_KINDS = frozenset({"Application", "ApplicationSet", "AppProject"})


def _team_stack_namespace(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    """In a team's stack (policy config `team`), every namespaced object lands in a namespace
    that carries the team's ownership: not Argo CD's (its ConfigMaps, repository Secrets), not a
    platform add-on's, not another team's. Argo CD's Applications, ApplicationSets and the
    team's AppProject stay in Argo CD's namespace, judged by the argocd rules."""
    if not settings.team:
        return
    meta = metadata(props)
    namespace = meta.get("namespace") if meta.get("namespace") is not None else props.get("namespace")
    if not namespace or not isinstance(namespace, str):
        return
    if namespace == settings.argocd_namespace and settings.kind in ARGOCD_KINDS:
        return
    if (problem := _namespace_problem(namespace, settings)) is not None:
        field = "metadata.namespace" if meta.get("namespace") is not None else "namespace"
        yield f"{field}: {problem}"


# (group, resource, verbs) a Role or ClusterRole never grants: each reaches past the namespace.
DANGEROUS = (
    ("", "nodes/proxy", None, "the kubelet API of the nodes: exec in any pod on them"),
    ("", "serviceaccounts/token", ("create", "*"), "tokens of any ServiceAccount in the namespace"),
    ("certificates.k8s.io", "certificatesigningrequests/approval", ("update", "patch", "*"), "approving certificates"),
    ("certificates.k8s.io", "signers", ("approve", "sign", "*"), "approving or signing certificates"),
    *(
        (
            ADMISSION,
            resource,
            ("create", "update", "patch", "delete", "deletecollection", "*"),
            "the cluster's admission",
        )
        for resource in (
            "validatingwebhookconfigurations",
            "mutatingwebhookconfigurations",
            "validatingadmissionpolicies",
            "validatingadmissionpolicybindings",
            "mutatingadmissionpolicies",
            "mutatingadmissionpolicybindings",
        )
    ),
)
EXEC_RESOURCES = ("pods/exec", "pods/attach", "pods/portforward")


def _reaching_rules(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    cluster_wide = not metadata(props).get("namespace") and props.get("kind") != "Role"
    for i, rule in enumerate(_rules(props)):
        groups = {str(g) for g in as_list(rule.get("apiGroups"))}
        resources = {str(r) for r in as_list(rule.get("resources"))}
        verbs = {str(v) for v in as_list(rule.get("verbs"))}
        for group, resource, wanted, why in DANGEROUS:
            if group in groups and resource in resources and (wanted is None or verbs & set(wanted)):
                yield f"rules[{i}] grants {resource} ({', '.join(sorted(verbs))}): {why}"
        if cluster_wide and "" in groups and (found := sorted(resources & set(EXEC_RESOURCES))):
            yield f"rules[{i}] grants {', '.join(found)} in a ClusterRole: a shell in every namespace's pods once bound cluster-wide"


def _helm_release(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    yield (
        "a helm.sh/v3 Release renders its objects inside the provider, where no policy sees them; "
        "use kubernetes:helm.sh/v4:Chart, whose every object is registered and judged"
    )


def _key_owner(key: str, settings: Settings, teams: Sequence[str]) -> str | None:
    """Why the store key `key` is not one of `teams`' keys (None when it is). With the store's
    prefix known (config `secretKeyPrefix`, `<organization>/<environment>`), a team's keys are
    `<prefix>/<team>` and below it, and its GitHub App's key (Names.github_app_key); without it,
    the team's name must be a segment of the key and no other team's name may be."""
    segments = key.split("/")
    if any(s in ("", ".", "..") for s in segments):
        return f"{key!r} has an empty, '.' or '..' segment: name the key exactly"
    if not teams:
        return None
    if settings.secret_key_prefix:
        prefix = settings.secret_key_prefix.strip("/")
        for team in teams:
            own = f"{prefix}/{team}"
            if key == own or key.startswith(own + "/") or key == github_app_key(prefix, team):
                return None
        return (
            f"{key!r} is not under {' or '.join(repr(f'{prefix}/{t}/') for t in teams)}: "
            "a team reads only its own keys in the platform's store"
        )
    others = sorted(set(segments) & (set(settings.teams) - set(teams)))
    if not set(segments) & set(teams):
        return f"{key!r} is not under team {' or '.join(repr(t) for t in teams)}'s name in the store"
    if others:
        return f"{key!r} names another team's key ({', '.join(others)})"
    return None


def _external_secret_teams(props: Mapping[str, Any], settings: Settings) -> list[str]:
    """Whose keys an ExternalSecret may read: the stack's team (config `team`); else the team
    that owns its namespace; in Argo CD's namespace (the platform stack's repository
    credentials), the team its `app-of-apps.io/team` label names. The label never overrides a
    team's stack or a team's namespace: whoever writes the object writes the label too."""
    if settings.team:
        return [settings.team]
    meta = metadata(props)
    namespace = str(meta.get("namespace", ""))
    if namespace == settings.argocd_namespace:
        labels = meta.get("labels") if isinstance(meta.get("labels"), Mapping) else {}
        return [str(labels[TEAM_LABEL])] if labels.get(TEAM_LABEL) else []
    return tenancy.namespace_teams(namespace, settings.teams, settings.grants)


def _external_secret_body(body: Mapping[str, Any], path: str, teams: list[str], settings: Settings) -> Iterator[str]:
    for i, source in enumerate(as_list(body.get("dataFrom"))):
        if not isinstance(source, Mapping):
            continue
        if source.get("find") is not None:
            yield f"{path}.dataFrom[{i}].find searches the whole store: name each key"
        if source.get("sourceRef") is not None:
            yield f"{path}.dataFrom[{i}].sourceRef reads another store or a generator: use the platform's store"
    for i, item in enumerate(as_list(body.get("data"))):
        if isinstance(item, Mapping) and item.get("sourceRef") is not None:
            yield f"{path}.data[{i}].sourceRef reads another store or a generator: use the platform's store"
    target = body.get("target") if isinstance(body.get("target"), Mapping) else {}
    template = target.get("template") if isinstance(target.get("template"), Mapping) else {}
    template_meta = template.get("metadata") if isinstance(template.get("metadata"), Mapping) else {}
    labels = template_meta.get("labels") if isinstance(template_meta.get("labels"), Mapping) else {}
    if str(labels.get(ARGOCD_SECRET_TYPE_LABEL, "")) == "repo-creds":
        yield (
            f"{path}.target.template.metadata.labels makes a repo-creds template: it serves every "
            "repository under its URL prefix, other teams' included"
        )
    keys = [
        (f"{path}.data[{i}].remoteRef.key", d.get("remoteRef"))
        for i, d in enumerate(as_list(body.get("data")))
        if isinstance(d, Mapping)
    ]
    keys += [
        (f"{path}.dataFrom[{i}].extract.key", d.get("extract"))
        for i, d in enumerate(as_list(body.get("dataFrom")))
        if isinstance(d, Mapping)
    ]
    for field, ref in keys:
        key = str(ref.get("key", "")) if isinstance(ref, Mapping) else ""
        if key and (problem := _key_owner(key, settings, teams)) is not None:
            yield f"{field} {problem}"


def _external_secret(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    """An ExternalSecret reads only its team's keys, one by one, from the platform's store, and
    never makes a credential template that serves every repository under a prefix. A
    ClusterExternalSecret (ExternalSecrets in every namespace its selectors reach) is the
    platform's; a PushSecret writes only under its team's keys."""
    teams = _external_secret_teams(props, settings)
    body = spec(props)
    selectors = ("namespaceSelector", "namespaceSelectors", "namespaces", "externalSecretSpec")
    cluster = settings.kind == "ClusterExternalSecret" or any(k in body for k in selectors)
    if cluster and settings.team:
        yield (
            f"spec.namespaceSelectors: a ClusterExternalSecret of team {settings.team!r}'s stack writes "
            "Secrets into every namespace it selects, other teams' included"
        )
    inner = body.get("externalSecretSpec")
    if isinstance(inner, Mapping):
        yield from _external_secret_body(
            inner, "spec.externalSecretSpec", [settings.team] if settings.team else [], settings
        )
    for i, item in enumerate(as_list(body.get("data"))):  # a PushSecret's writes
        match = item.get("match") if isinstance(item, Mapping) else None
        ref = match.get("remoteRef") if isinstance(match, Mapping) else None
        key = str(ref.get("remoteKey", "")) if isinstance(ref, Mapping) else ""
        if key and (problem := _key_owner(key, settings, teams)) is not None:
            yield f"spec.data[{i}].match.remoteRef.remoteKey {problem}"
    if not cluster:
        yield from _external_secret_body(body, "spec", teams, settings)


def _system_subjects(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    for i, subject in enumerate(as_list(props.get("subjects"))):
        if not isinstance(subject, Mapping):
            continue
        subject_kind = str(subject.get("kind", "")).strip().lower()
        name = str(subject.get("name", "")).strip()
        if subject_kind == "group" and name.lower().startswith(SYSTEM_PREFIX):
            yield (
                f"subjects[{i}] is the group {name!r}: a built-in group (every authenticated or anonymous caller, "
                "every ServiceAccount, the nodes), never a team; bind the team's own group"
            )
        elif (
            subject_kind == "user"
            and name.lower().startswith(SYSTEM_PREFIX)
            and not name.lower().startswith("system:serviceaccount:")
        ):
            yield f"subjects[{i}] is the built-in user {name!r}, never a team; bind the team's own group"


def _service_boundaries(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    if ips := boundaries.external_ips(props):
        yield f"spec.externalIPs {', '.join(ips)}: {boundaries.SERVICE_EXTERNAL_IPS}"
    if (target := boundaries.in_cluster_external_name(props)) is not None:
        yield f"spec.externalName {target!r}: {boundaries.EXTERNAL_NAME_IN_CLUSTER}"
    elif (target := boundaries.external_name_problem(props, settings.external_names)) is not None:
        yield f"spec.externalName {target!r}: {boundaries.EXTERNAL_NAME_NOT_ALLOWED}"


QUOTA_KEYS = {
    "cpu": 0,
    "requests.cpu": 0,
    "limits.cpu": 0,
    "memory": 1,
    "requests.memory": 1,
    "limits.memory": 1,
    "pods": 2,
}


def quota_excess(hard: Mapping[str, Any], ceiling: tuple[str, str, int | str]) -> list[str]:
    """The entries of a quota's `hard` that grant more than the platform's ceiling (an entry
    that is not a quantity grants an unknown amount: it is named too)."""
    out = []
    for key, value in sorted(hard.items(), key=lambda item: str(item[0])):
        index = QUOTA_KEYS.get(str(key))
        if index is None:
            continue
        limit = ceiling[index]
        granted, most = quantity(str(value)), quantity(str(limit))
        if granted is None or most is None or granted > most:
            out.append(f"{key} {value} is above the platform's ceiling {limit}")
    return out


def _quota_ceiling(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    hard = spec(props).get("hard")
    for excess in quota_excess(hard if isinstance(hard, Mapping) else {}, settings.ceiling):
        yield f"spec.hard: {excess} (guardrails.quota_ceiling; policy config quotaCeiling)"


def _host_ownership(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    """Ingress and route hosts belong to the namespace's team (policy config `teams`,
    `namespaceGrants`; without the team map, any team the namespace's name could carry)."""
    namespace = str(metadata(props).get("namespace", ""))
    teams = tenancy.namespace_teams(namespace, settings.teams, settings.grants) if namespace else []
    hosts, everything = boundaries.claimed_hosts(props)
    yield from everything
    grants = dict(settings.host_grants)
    for path, host in hosts:
        if (reason := tenancy.host_problem(host, teams, settings.ingress_domain, grants)) is not None:
            yield f"{path}: {reason} (namespace {namespace or '(none)'!r})"


def _ingress_snippets(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    if found := boundaries.snippet_annotations(props):
        yield f"annotations {', '.join(found)}: {boundaries.INGRESS_SNIPPET}"


def _peer_opens_namespaces(peer: Mapping[str, Any]) -> str | None:
    """Why a NetworkPolicy peer admits every (or nearly every) namespace, else None."""
    selector = peer.get("namespaceSelector")
    if isinstance(selector, Mapping):
        labels = selector.get("matchLabels") if isinstance(selector.get("matchLabels"), Mapping) else {}
        expressions = [e for e in as_list(selector.get("matchExpressions")) if isinstance(e, Mapping)]
        if not labels and not expressions:
            return "namespaceSelector {} selects every namespace"
        if not labels and all(
            str(e.get("operator")) in ("NotIn", "DoesNotExist")
            or (str(e.get("operator")) == "Exists" and e.get("key") == NAMESPACE_NAME_LABEL)
            for e in expressions
        ):
            return (
                "a namespaceSelector that only excludes (or asks only that a name exists) selects every other namespace"
            )
    block = peer.get("ipBlock")
    if isinstance(block, Mapping) and (reason := _wide_block(str(block.get("cidr", "")))) is not None:
        return reason
    return None


def _wide_block(cidr: str) -> str | None:
    """An ipBlock so wide that it holds pod IPs of every namespace (on EKS pods have VPC IPs)."""
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return f"ipBlock {cidr!r} is not a CIDR block"
    floor = WIDEST_INGRESS_PREFIX[network.version]
    if network.prefixlen < floor:
        return f"ipBlock {cidr} admits every address of a /{network.prefixlen} (wider than /{floor}), the pods of every namespace included"
    return None


def _network_policy_open(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    body = spec(props)
    own = str(metadata(props).get("namespace", ""))
    for direction, peers_field in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(as_list(body.get(direction))):
            if not isinstance(rule, Mapping):
                continue
            peers = [p for p in as_list(rule.get(peers_field)) if isinstance(p, Mapping)]
            if not peers:
                who = "from every namespace" if direction == "ingress" else "to every namespace"
                yield f"{direction}[{i}] has no '{peers_field}': it allows traffic {who}; name the peers"
                continue
            for j, peer in enumerate(peers):
                if not peer:
                    yield f"{direction}[{i}].{peers_field}[{j}] is empty: it matches every pod of every namespace"
                elif (reason := _peer_opens_namespaces(peer)) is not None:
                    # Egress to the internet over a CIDR is the catalog's egress_https_cidrs; an
                    # ipBlock only opens namespaces on the way in.
                    if direction == "egress" and "ipBlock" in peer and "namespaceSelector" not in peer:
                        continue
                    yield f"{direction}[{i}].{peers_field}[{j}]: {reason}"
                for name in _named_namespaces(peer):
                    if name != own and not is_reserved(name, settings.argocd_namespace, settings.reserved_namespaces):
                        yield (
                            f"{direction}[{i}].{peers_field}[{j}] trusts namespace {name!r} by name: only platform "
                            "(reserved) namespaces may be trusted by name, a team could claim this one later; "
                            "select the team's own namespaces by the labels the platform sets"
                        )


def _namespace_patch(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    if not settings.patch:
        return
    labels = metadata(props).get("labels")
    for key in labels if isinstance(labels, Mapping) else ():
        if key in FLEET_LABELS or str(key).startswith(f"{LABEL_DOMAIN}/"):
            yield (
                f"a NamespacePatch may not set the label {key!r}: the fleet's admission policy and reports "
                "select namespaces by it"
            )


def _namespace_ownership(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    """A Namespace labelled as a team's carries that team's ownership in its name, or the
    platform's grant (policy config `namespaceGrants`): a label does not make a name a team's."""
    if settings.patch:
        return  # a NamespacePatch may not set the team label at all (k8s-namespace-patch)
    meta = metadata(props)
    labels = meta.get("labels") if isinstance(meta.get("labels"), Mapping) else {}
    team = labels.get(TEAM_LABEL)
    if team is None:
        return
    name = str(meta.get("name", ""))
    if (reason := tenancy.ownership_problem(name, str(team), settings.grants, settings.teams)) is not None:
        yield f"labelled {TEAM_LABEL}={team}, but {reason}"


def _admission_boundaries(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    """The fleet's admission policy (and binding) is the fleet program's: another stack may not
    patch it, and the program's own must fail closed and deny."""
    name = str(metadata(props).get("name", ""))
    if not name.endswith(Names.ADMISSION_POLICY_SUFFIX):
        return
    if settings.patch:
        yield f"{name!r} is the fleet's namespace-boundaries admission policy: only the fleet program changes it"
        return
    body = spec(props)
    if "policyName" in body or "validationActions" in body:  # the binding
        if "Deny" not in [str(a) for a in as_list(body.get("validationActions"))]:
            yield "the binding must deny (validationActions: [Deny]); Warn or Audit alone lets every write through"
        resources = body.get("matchResources") if isinstance(body.get("matchResources"), Mapping) else {}
        selector = resources.get("namespaceSelector") if isinstance(resources.get("namespaceSelector"), Mapping) else {}
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            yield "the binding selects no namespaces by label: name the fleet's namespaces"
        return
    if str(body.get("failurePolicy", "Fail")) != "Fail":
        yield "the policy must fail closed (failurePolicy: Fail): an unevaluable check would let the write through"
    if not as_list(body.get("validations")):
        yield "the policy has no validations"


def _pod_security(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    meta = metadata(props)
    name = meta.get("name")
    if str(name) in BUILT_IN_NAMESPACES:  # the cluster's own, never a team's: exempt
        return
    labels = meta.get("labels") if isinstance(meta.get("labels"), Mapping) else {}
    floor = POD_SECURITY_LEVELS.index(settings.pod_security_floor)
    for mode in ("enforce", "audit", "warn"):
        level = labels.get(f"pod-security.kubernetes.io/{mode}")
        version = labels.get(f"pod-security.kubernetes.io/{mode}-version")
        if settings.patch and level is None and version is None:
            continue  # a patch that does not name the label leaves it as it is
        if settings.patch and level is None:
            level = POD_SECURITY_LEVELS[-1]  # only the version changes: judged below
        if level not in POD_SECURITY_LEVELS:
            yield f"label pod-security.kubernetes.io/{mode} is missing or not one of {', '.join(POD_SECURITY_LEVELS)}"
            continue
        if mode == "enforce" and POD_SECURITY_LEVELS.index(level) < floor:
            yield f"enforces Pod Security {level!r}, below the floor {settings.pod_security_floor!r}"
        if settings.patch and version is None:
            continue
        if not version or version == "latest":
            yield f"label pod-security.kubernetes.io/{mode}-version must pin a version (not 'latest'): the meaning of a level changes between releases"


def _default_deny(props: Mapping[str, Any]) -> bool:
    body = spec(props)
    return body.get("podSelector") == {} and {"Ingress", "Egress"} <= {str(t) for t in as_list(body.get("policyTypes"))}


def _namespace_guards(resources: Sequence[StackResource], _: Settings) -> Iterator[tuple[StackResource, str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for r in resources:
        namespace = metadata(r.props).get("namespace")
        if r.type in (RESOURCE_QUOTA, LIMIT_RANGE) or (r.type == NETWORK_POLICY and _default_deny(r.props)):
            found[str(namespace)].add(r.type)
    for r in resources:
        if r.type != NAMESPACE:
            continue
        name = str(metadata(r.props).get("name", r.name))
        if name in BUILT_IN_NAMESPACES:  # the cluster's own, never a team's: exempt
            continue
        missing = [
            label
            for label, t in (
                ("ResourceQuota", RESOURCE_QUOTA),
                ("LimitRange", LIMIT_RANGE),
                ("default-deny NetworkPolicy", NETWORK_POLICY),
            )
            if t not in found[name]
        ]
        if missing:
            yield r, f"namespace {name!r} has no {', '.join(missing)} in this stack"


def _named_namespaces(peer: Mapping[str, Any]) -> list[str]:
    """The namespaces a NetworkPolicy peer selects by name (kubernetes.io/metadata.name)."""
    selector = peer.get("namespaceSelector")
    if not isinstance(selector, Mapping):
        return []
    labels = selector.get("matchLabels") if isinstance(selector.get("matchLabels"), Mapping) else {}
    names = [str(labels[NAMESPACE_NAME_LABEL])] if NAMESPACE_NAME_LABEL in labels else []
    for expression in as_list(selector.get("matchExpressions")):
        if (
            isinstance(expression, Mapping)
            and expression.get("key") == NAMESPACE_NAME_LABEL
            and expression.get("operator") == "In"
        ):
            names += [str(v) for v in as_list(expression.get("values"))]
    return names


# Argo CD reads a Secret labelled as a cluster as the credentials of a cluster it deploys to;
# what its config may hold (argo-cd declarative-setup.md, Clusters).
CLUSTER_SECRET_TYPES = (any_version("", "Secret"),)
STATIC_CREDENTIALS = ("bearerToken", "password", "username")
STATIC_TLS_CREDENTIALS = ("keyData", "certData")


def _cluster_config(props: Mapping[str, Any]) -> Any:
    """The `config` of an Argo CD cluster Secret, from stringData or (base64) data; None if
    neither holds one; the raw text when it is not JSON."""
    string_data = props.get("stringData")
    data = props.get("data")
    if isinstance(string_data, Mapping) and "config" in string_data:
        text = string_data["config"]
    elif isinstance(data, Mapping) and "config" in data:
        try:
            text = base64.b64decode(str(data["config"]), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return str(data["config"])
    else:
        return None
    if isinstance(text, Mapping):
        return text
    try:
        return json.loads(str(text))
    except json.JSONDecodeError:
        return str(text)


def _cluster_secret_credentials(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    labels = metadata(props).get("labels")
    if not isinstance(labels, Mapping) or labels.get(ARGOCD_SECRET_TYPE_LABEL) != ARGOCD_CLUSTER_SECRET_TYPE:
        return
    config = _cluster_config(props)
    if config is None:
        return
    if not isinstance(config, Mapping):
        yield "config is not a JSON object: Argo CD could not read it, and the guardrail cannot judge it"
        return
    for field in STATIC_CREDENTIALS:
        if config.get(field):
            yield f"config.{field}: a static credential of the cluster, readable by whoever reads Argo CD's Secrets; use awsAuthConfig (an IAM role Argo CD assumes)"
    tls = config.get("tlsClientConfig")
    tls = tls if isinstance(tls, Mapping) else {}
    for field in STATIC_TLS_CREDENTIALS:
        if tls.get(field):
            yield f"config.tlsClientConfig.{field}: a client key or certificate is a static credential; use awsAuthConfig"
    if tls.get("insecure") is True:
        yield "config.tlsClientConfig.insecure: Argo CD would send its credentials to whoever answers at the server"


RULES: tuple[Rule, ...] = (
    Rule(
        "k8s-rbac-no-wildcards",
        "no '*' verbs, resources or API groups in Roles",
        "Checkov CKV_K8S_49, Trivy KSV-0044/0045/0112",
        ROLE_TYPES,
        _rbac_wildcards,
    ),
    Rule(
        "k8s-rbac-no-escalation",
        "no escalate, bind, impersonate, no writing RBAC objects",
        "Checkov CKV_K8S_157/158, Trivy KSV-0050, CIS 5.1.8",
        ROLE_TYPES,
        _rbac_escalation,
    ),
    Rule(
        "k8s-no-endpoint-writes",
        "no writing Endpoints or EndpointSlices",
        "CVE-2021-25740 (Kubernetes 1.22 removed them from the admin and edit roles)",
        ROLE_TYPES,
        _endpoint_writes,
    ),
    Rule("k8s-view-no-secrets", "view roles never read secrets", "Trivy KSV-0041/0113", ROLE_TYPES, _view_no_secrets),
    Rule(
        "k8s-no-power-bindings",
        "no binding to cluster-admin; no ClusterRoleBinding of admin/edit to groups",
        "Trivy KSV-0111, KICS 249328b8",
        BINDING_TYPES,
        _no_power_bindings,
    ),
    Rule(
        "k8s-no-builtin-cluster-bindings",
        "no ClusterRoleBinding of the built-in admin, edit or view to anyone: users, groups, ServiceAccounts (every namespace)",
        "Kubernetes RBAC good practices (user-facing roles); Trivy KSV-0111",
        BINDING_TYPES,
        _no_builtin_cluster_bindings,
    ),
    Rule(
        "k8s-binding-namespace",
        "RoleBindings never in kube-system or the cluster's other namespaces; in a team's stack (config team), only in its namespaces",
        "Kubernetes RBAC good practices; argo-cd projects.md (destinations)",
        BINDING_TYPES,
        _binding_namespace,
    ),
    Rule(
        "k8s-rbac-node-and-token-access",
        "no nodes/proxy, serviceaccounts/token, certificate approval, admission configuration writes; no exec in ClusterRoles",
        "Kubernetes RBAC good practices (privilege escalation risks); Trivy KSV-0047/0053, kube-bench 5.1",
        ROLE_TYPES,
        _reaching_rules,
    ),
    Rule(
        "k8s-team-stack-namespace",
        "in a team's stack (config team), every namespaced object lands in the team's namespaces "
        "(Argo CD's Applications and the team's AppProject in Argo CD's)",
        "argo-cd projects.md (destinations); Kubernetes multi-tenancy (namespaces as the tenancy boundary)",
        ("kubernetes:",),
        _team_stack_namespace,
    ),
    Rule(
        "k8s-helm-release-opaque",
        "no helm.sh/v3 Release: what it renders is invisible to the pack (the v4 Chart registers every object)",
        "pulumi-kubernetes helm.sh/v3 Release and helm.sh/v4 Chart docs",
        ("kubernetes:helm.sh/v3:Release",),
        _helm_release,
    ),
    Rule(
        "k8s-external-secret-scoped",
        "ExternalSecrets read their team's keys one by one from the platform's store: no dataFrom.find, no "
        "sourceRef, no repo-creds template, no other team's key; PushSecrets write only under the team's keys; "
        "ClusterExternalSecrets are the platform's",
        "External Secrets Operator ExternalSecret, ClusterExternalSecret and PushSecret specs; argo-cd declarative-setup.md (repo-creds templates)",
        (
            any_version("external-secrets.io", "ExternalSecret"),
            any_version("external-secrets.io", "ClusterExternalSecret"),
            any_version("external-secrets.io", "PushSecret"),
        ),
        _external_secret,
    ),
    Rule(
        "k8s-no-system-group-bindings",
        "no binding to system: groups or users (system:authenticated, system:unauthenticated, system:serviceaccounts*)",
        "Kubernetes RBAC good practices; Trivy KSV-0047, kube-bench 5.1",
        BINDING_TYPES,
        _system_subjects,
    ),
    Rule(
        "k8s-pod-security-labels",
        "namespaces enforce, audit and warn a Pod Security level at or above the floor, with a pinned version",
        "Kubernetes: Enforce Pod Security Standards with namespace labels",
        NAMESPACE_TYPES,
        _pod_security,
    ),
    Rule(
        "k8s-namespace-patch",
        "NamespacePatches never set the labels that select the fleet's namespaces",
        "pulumi-kubernetes Patch resources (server-side apply)",
        NAMESPACE_TYPES,
        _namespace_patch,
    ),
    Rule(
        NAMESPACE_OWNERSHIP,
        "a team's namespace carries its ownership: named <team> or <team>-…, or granted by the platform",
        "Kubernetes multi-tenancy docs (namespace naming per tenant); argo-cd projects.md (destinations)",
        NAMESPACE_TYPES,
        _namespace_ownership,
    ),
    Rule(
        "k8s-admission-boundaries",
        "the fleet's namespace-boundaries admission policy fails closed, denies, selects namespaces; no Patch of it",
        "Kubernetes ValidatingAdmissionPolicy docs (failurePolicy, validationActions)",
        ADMISSION_TYPES,
        _admission_boundaries,
    ),
    Rule(
        "k8s-network-policy-open",
        "NetworkPolicies name their peers: no rule without peers, no selector of every namespace, no 0.0.0.0/0 ingress; by name only reserved namespaces",
        "Kubernetes NetworkPolicy docs; Checkov CKV_K8S_6 analogue, NSA/CISA Kubernetes hardening guide",
        NETWORK_POLICY_TYPES,
        _network_policy_open,
    ),
    Rule(
        SERVICE_BOUNDARIES,
        "Services claim no externalIPs; an ExternalName names only an external host the platform allows",
        "CVE-2020-8554, CVE-2021-25740",
        SERVICE_TYPES,
        _service_boundaries,
    ),
    Rule(
        QUOTA_CEILING,
        "a namespace's ResourceQuota grants no more than the platform's ceiling (cpu, memory, pods)",
        "Kubernetes ResourceQuota docs; EKS Blueprints teams (quota per team namespace)",
        (any_version("", "ResourceQuota"),),
        _quota_ceiling,
    ),
    Rule(
        HOST_OWNERSHIP,
        "Ingresses and routes claim only hosts their team owns (<team>.<ingress domain>, or granted), "
        "each rule names one; no defaultBackend",
        "Kubernetes Ingress docs (rules without host, defaultBackend); Gateway API HTTPRoute hostnames",
        (*INGRESS_TYPES, *ROUTE_TYPES),
        _host_ownership,
    ),
    Rule(
        "k8s-ingress-no-snippets",
        "Ingresses carry no snippet annotations",
        "CVE-2021-25742, ingress-nginx allow-snippet-annotations",
        INGRESS_TYPES,
        _ingress_snippets,
    ),
    Rule(
        "argocd-cluster-no-static-credentials",
        "Argo CD cluster Secrets hold no bearer token, password or client key, and verify TLS",
        "argo-cd declarative-setup.md (Clusters: awsAuthConfig); EKS: Argo CD assumes an IAM role",
        CLUSTER_SECRET_TYPES,
        _cluster_secret_credentials,
    ),
)

STACK_RULES: tuple[StackRule, ...] = (
    StackRule(
        "k8s-namespace-guards",
        "every team namespace has a ResourceQuota, a LimitRange and a default-deny NetworkPolicy",
        "Trivy KSV-0039/0040/0038, EKS Blueprints teams",
        _namespace_guards,
    ),
)
