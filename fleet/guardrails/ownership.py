"""Resource ownership: which ARNs a team may name in its apps' IAM statements.

Each team declares the ARN patterns it owns (`teams[].aws.owned_resources`): an exact ARN, which
also covers its sub-resources (`<arn>/…`, `<arn>:…`: a bucket's objects, a table's indexes), or
a name prefix ending in a single `*` (`…:table/acme-dev-ledger*`). The platform may share a
resource with named teams (`aws.shared_resources`). A statement's resource is allowed when every
ARN it can match lies inside one of those; a wildcard in it is therefore allowed only after an
owned prefix. Two teams' patterns may not overlap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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
