"""Resource ownership: which ARNs a team may name in its apps' IAM statements.

Each team declares the ARN patterns it owns (`teams[].aws.owned_resources`): an exact ARN, which
also covers its sub-resources (`<arn>/…`, `<arn>:…`: a bucket's objects, a table's indexes), or
a name prefix ending in a single `*` (`…:table/acme-dev-ledger*`). The platform may share a
resource with named teams (`aws.shared_resources`). A statement's resource is allowed when every
ARN it can match lies inside one of those; a wildcard in it is therefore allowed only after an
owned prefix. Two teams' patterns may not overlap.

A team file is approved by the team alone (CODEOWNERS), so a claim must follow from ownership,
not from nobody else having claimed it first: a team owns the names that carry its prefix
(`<organization>-<environment>-<team>`, then `-`, `/`, `.` or `_`; the longest team name that
prefixes a name owns it), and anything else only when the platform grants it
(`aws.resource_grants`, in the platform's file). A KMS key id, a platform bucket or another
team's secret can then never be claimed by a team on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from fleet.apis import aws_iam as iam_actions
from fleet.guardrails.iam_sources import UNOWNABLE_SERVICES

ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):([a-z0-9-]+):([a-z0-9-]*):([0-9]{12}|aws)?:(\S+)$")
# Where an ARN stops being literal: IAM wildcards and policy variables (${aws:username}).
_NOT_LITERAL = re.compile(r"[*?]|\$\{")

# A family of ARNs: ("=", arn) exactly that one, ("^", prefix) every ARN starting so.
Family = tuple[str, str]


def _literal(arn: str) -> tuple[str, bool]:
    """(the literal start of `arn`, whether that is all of it)."""
    match = _NOT_LITERAL.search(arn)
    return (arn, True) if match is None else (arn[: match.start()], False)


def families(pattern: str) -> list[Family]:
    """What an owned or shared pattern covers."""
    if pattern.endswith("*"):
        return [("^", pattern[:-1])]
    return [("=", pattern), ("^", pattern + "/"), ("^", pattern + ":")]


def _resource_families(resource: str) -> list[Family]:
    """What a statement's resource can match (a superset when it has wildcards)."""
    literal, whole = _literal(resource)
    return [("=", literal)] if whole else [("^", literal)]


def _inside(inner: Family, outer: Family) -> bool:
    (kind, value), (outer_kind, outer_value) = inner, outer
    if outer_kind == "=":
        return kind == "=" and value == outer_value
    return value.startswith(outer_value)


def covered(resource: str, patterns: Iterable[str]) -> bool:
    """Every ARN `resource` can match lies inside one of `patterns`."""
    inner = _resource_families(resource)
    outers = [f for p in patterns for f in families(p)]
    return all(any(_inside(i, o) for o in outers) for i in inner)


def overlapping_pairs(patterns: list[str]) -> set[tuple[int, int]]:
    """Index pairs (i < j) of patterns that some ARN lies in both of, compared ignoring case
    (as some services do). Sorted once, so a fleet of thousands of claims is judged at once."""
    entries = sorted(
        (value, 0 if kind == "^" else 1, index)  # a prefix sorts before an equal exact ARN
        for index, pattern in enumerate(patterns)
        for kind, value in families(pattern.lower())
    )
    pairs: set[tuple[int, int]] = set()
    for position, (value, kind, index) in enumerate(entries):
        for other_value, other_kind, other in entries[position + 1 :]:
            inside = other_value.startswith(value) if kind == 0 else (other_kind == 1 and other_value == value)
            if not inside:
                break
            if other != index:
                pairs.add((min(index, other), max(index, other)))
    return pairs


def overlap(a: str, b: str) -> bool:
    return bool(overlapping_pairs([a, b]))


def pattern_problem(pattern: str, partition: str, account: str | None) -> str | None:
    """Why `pattern` cannot be owned by a team (`account`: the catalog's), or shared by the
    platform (`account` None: any account, and platform services such as the cluster may be
    shared for their reads; their control-plane actions stay refused)."""
    match = ARN.match(pattern)
    if match is None:
        return f"{pattern!r} is not an ARN (arn:<partition>:<service>:<region>:<account>:<resource>)"
    found_partition, service, _region, found_account, _rest = match.groups()
    if found_partition != partition:
        return f"{pattern!r} is in partition {found_partition}, not {partition}"
    if account is not None and found_account not in (None, account):
        return f"{pattern!r} is in account {found_account}, not aws.account_id {account}"
    body = pattern[:-1] if pattern.endswith("*") else pattern
    if _NOT_LITERAL.search(body):
        return f"{pattern!r}: an owned or shared pattern is an exact ARN or a name prefix ending in one '*'"
    if account is not None and service in UNOWNABLE_SERVICES:
        return f"{pattern!r}: {service} resources belong to the platform, never to a team"
    starts = iam_actions.resource_starts(service)
    if starts is None:
        return f"{pattern!r}: {service!r} is not a known AWS service"
    literal = body.split(":", 5)[5]
    matching = [s for s in starts if literal.startswith(s)]
    if not matching:
        return f"{pattern!r} names no resource type of {service} (they start {', '.join(repr(s) for s in starts)})"
    if len(literal) <= max(map(len, matching)) or any(s != literal and s.startswith(literal) for s in starts):
        return f"{pattern!r} covers a whole resource type of {service}; name the resource or a prefix of its name"
    return None


NAME_SEPARATORS = ("-", "/", ".", "_")


def resource_name(pattern: str) -> tuple[str, bool] | None:
    """(the resource's name in `pattern`, after its resource type, without a final `*`;
    whether the pattern is a name prefix). None when it is no ARN of a known service
    (`pattern_problem` says why)."""
    match = ARN.match(pattern)
    starts = iam_actions.resource_starts(match.group(2)) if match is not None else None
    if match is None or starts is None:
        return None
    literal = pattern.split(":", 5)[5]
    is_prefix = literal.endswith("*")
    literal = literal.removesuffix("*")
    start = max((s for s in starts if literal.startswith(s)), key=len, default="")
    return literal[len(start) :], is_prefix


def _carries(name: str, prefix: str) -> bool:
    return name == prefix or any(name.startswith(prefix + sep) for sep in NAME_SEPARATORS)


def name_owner(name: str, prefixes: Mapping[str, str]) -> str | None:
    """The team (of `prefixes`: team -> its naming prefix) whose prefix `name` carries; the
    longest prefix wins (`acme-dev-payments-ops-x` is team payments-ops', not payments')."""
    owners = [(len(prefix), team) for team, prefix in prefixes.items() if _carries(name, prefix)]
    return max(owners)[1] if owners else None


def _reaches_other_names(name: str, team: str, prefixes: Mapping[str, str]) -> str | None:
    """Why the prefix claim `name*` reaches names that are not `team`'s (None when it does not)."""
    own = prefixes[team]
    if name == own:
        return f"{own + '*'!r} also covers names that only start like the team's ({own + 'x'!r}); write {own + '-*'!r}"
    longer = sorted(t for t, p in prefixes.items() if t != team and p.startswith(name))
    if longer:
        return f"it also covers the names of team {longer[0]!r} ({prefixes[longer[0]] + '-…'!r})"
    return None


def claim_problem(pattern: str, team: str, prefixes: Mapping[str, str], grants: Mapping[str, str]) -> str | None:
    """Why `team` cannot claim `pattern` in its own file (None when it can): the name does not
    carry the team's prefix and no platform grant to the team covers it. `prefixes`: every
    team's naming prefix (team -> prefix); `grants`: the platform's (pattern -> team)."""
    if covered(pattern, [granted for granted, grantee in grants.items() if grantee == team]):
        return None
    parsed = resource_name(pattern)
    if parsed is None:
        return None
    name, is_prefix = parsed
    own = prefixes[team]
    owner = name_owner(name, prefixes)
    if owner is None:
        return (
            f"{pattern!r} carries no ownership of team {team!r}: a team owns resources named "
            f"{own!r} or {own + '-…'!r}, or granted to it by the platform (aws.resource_grants)"
        )
    if owner != team:
        return f"{pattern!r} is named as team {owner!r}'s ({prefixes[owner] + '-…'!r}), not team {team!r}'s"
    if is_prefix and (reason := _reaches_other_names(name, team, prefixes)) is not None:
        return f"{pattern!r}: {reason}"
    return None


def grant_problem(pattern: str, team: str, prefixes: Mapping[str, str]) -> str | None:
    """Why the platform cannot grant `pattern` to `team` (None when it can): it names or covers
    another team's names."""
    parsed = resource_name(pattern)
    if parsed is None:
        return None
    name, is_prefix = parsed
    owner = name_owner(name, prefixes)
    if owner is not None and owner != team:
        return f"{pattern!r} is named as team {owner!r}'s ({prefixes[owner] + '-…'!r}): grant only names no other team carries"
    if is_prefix:
        covering = sorted(t for t, p in prefixes.items() if t != team and p.startswith(name))
        if covering:
            return f"{pattern!r} covers the names of team {covering[0]!r} ({prefixes[covering[0]] + '-…'!r})"
    return None
