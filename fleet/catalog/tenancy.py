"""Who owns what, by rule rather than by a list of bad names: namespaces, repositories (issue 21).

A team's namespace carries the team's ownership in its name: it is the team's name, or starts
with the team's name and a `-`; or the platform grants it to the team explicitly
(`cluster.namespace_grants`). When two teams' names both prefix a namespace (`a` and `a-b` for
`a-b-c`), the longer name owns it. Nothing else is a team's, whatever its name: an add-on's
namespace (`gpu-operator`, `jenkins`) carries no team's ownership and so is nobody's to claim.

A repository belongs to the one team whose apps deploy from it (or read `$ref` values from it),
unless the platform shares it (`argocd.shared_repos`); URLs are compared as the repository they
name (`repo_key`), not as text.

The same facts judge the catalog (`fleet validate`), the rendered and any stack's Namespaces
and Argo CD destinations (the policy pack) and, as CEL, the API server's admission of the
fleet's Namespaces (`fleet.render.boundaries`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from urllib.parse import unquote

GRANTS_FIELD = "cluster.namespace_grants"


def carries_name(namespace: str, team: str) -> bool:
    """Whether `namespace` is named as one of `team`'s: the team's name or `<team>-…`."""
    return namespace == team or namespace.startswith(f"{team}-")


def carried_names(namespace: str) -> list[str]:
    """Every team name `namespace` carries, longest first: itself and each part before a `-`
    (`a-b-c`: `a-b-c`, `a-b`, `a`). `carries_name(namespace, team)` holds for exactly these."""
    parts = namespace.split("-")
    return ["-".join(parts[:i]) for i in range(len(parts), 0, -1)]


@lru_cache(maxsize=64)
def _set_of(teams: tuple[str, ...]) -> frozenset[str]:
    return frozenset(teams)


def _known(teams: Iterable[str]) -> frozenset[str] | set[str]:
    """The teams as a set, once per distinct tuple (a judge's settings ask for every resource)."""
    if isinstance(teams, frozenset | set):
        return teams
    return _set_of(teams) if isinstance(teams, tuple) else frozenset(teams)


def namespace_owner(namespace: str, teams: Iterable[str], grants: Mapping[str, str]) -> str | None:
    """The team that owns `namespace`: the platform's grant, else the longest team name that
    names it; None when it carries no team's ownership."""
    if namespace in grants:
        return grants[namespace]
    known = _known(teams)
    return next((name for name in carried_names(namespace) if name in known), None)


def ownership_problem(namespace: str, team: str, grants: Mapping[str, str], teams: Iterable[str] = ()) -> str | None:
    """Why `namespace` is not `team`'s (None when it is). `teams` are the other teams known to
    the judge (the catalog's; empty in a pack without the team map): a longer team name that
    prefixes the namespace makes it that team's."""
    granted = grants.get(namespace)
    if granted is not None:
        if granted == team:
            return None
        return f"{namespace!r} is granted to team {granted!r} by the platform ({GRANTS_FIELD})"
    if not carries_name(namespace, team):
        return (
            f"{namespace!r} carries no ownership of team {team!r}: a team's namespaces are named "
            f"{team!r} or {team + '-…'!r}, or granted to it by the platform ({GRANTS_FIELD})"
        )
    known = _known(teams)
    owner = next(name for name in carried_names(namespace) if name == team or name in known)
    if owner != team:
        return f"{namespace!r} is named as team {owner!r}'s ({owner!r} or {owner + '-…'!r}), not team {team!r}'s"
    return None


# --- repositories ---------------------------------------------------------------------------
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://(.*)$")
_DEFAULT_PORTS = frozenset({"", "22", "80", "443"})


def repo_key(url: str) -> str:
    """The repository a URL names, for ownership: two URLs with the same key are one repository.

    Argo CD compares repository URLs with `git.NormalizeGitURL` (argo-cd util/git/git.go): it
    trims spaces, lower-cases the whole URL (host and path), turns `user@host:path` into
    `user@host/path`, trims one trailing `.git` and drops a leading `ssh://`; it keeps a trailing
    `/`, the user and the port. The code host serves one repository under more spellings than
    that, so the key is coarser, never finer: no scheme (https, ssh, scp-like, oci), no user, no
    default port, no trailing `/` or `.git` (repeatedly), no repeated `/`, percent-decoded.
    """
    value = url.strip().lower()
    match = _SCHEME.match(value)
    rest = match.group(2) if match is not None else value.replace(":", "/", 1)  # else scp-like: [user@]host:path
    authority, _, path = rest.partition("/")
    authority = authority.rpartition("@")[2]
    host, _, port = authority.partition(":")
    path = unquote(path)
    while True:
        trimmed = path.rstrip("/").removesuffix(".git")
        if trimmed == path:
            break
        path = trimmed
    path = re.sub(r"/{2,}", "/", path).strip("/")
    return f"{host}{'' if port in _DEFAULT_PORTS else ':' + port}/{path}"


def repo_shared(url: str, shared: Iterable[str]) -> bool:
    """Whether the platform shares `url`: an exact entry names the same repository, or a
    prefix entry (ending in '/') holds it."""
    key = repo_key(url)
    for entry in shared:
        entry_key = repo_key(entry)
        if key == entry_key or (entry.endswith("/") and key.startswith(entry_key.rstrip("/") + "/")):
            return True
    return False


# --- hosts ------------------------------------------------------------------------------------
HOST_GRANTS_FIELD = "cluster.host_grants"


def team_domain(team: str, ingress_domain: str | None) -> str | None:
    """The domain a team owns hosts under: `<team>.<ingress_domain>`."""
    return f"{team}.{ingress_domain}" if ingress_domain else None


def _under(host: str, domain: str) -> bool:
    """`host` is `domain` or one of its subdomains (`*.domain` included)."""
    return host == domain or host.endswith(f".{domain}")


def host_owned(host: str, team: str, ingress_domain: str | None, grants: Mapping[str, str]) -> bool:
    """Whether `team` may claim `host` (an Ingress host or HTTPRoute hostname, `*.` allowed):
    it lies under the team's domain, or the platform grants it (exactly, or by a `*.<domain>`
    grant of which it is a subdomain)."""
    own = team_domain(team, ingress_domain)
    if own is not None and _under(host, own):
        return True
    return any(
        grantee == team and (host == granted or (granted.startswith("*.") and host.endswith(granted[1:])))
        for granted, grantee in grants.items()
    )


def host_problem(host: str, teams: Iterable[str], ingress_domain: str | None, grants: Mapping[str, str]) -> str | None:
    """Why none of `teams` (the namespace's team, or the teams its name could carry) may claim
    `host`; None when one may."""
    candidates = sorted(set(teams))
    if any(host_owned(host, team, ingress_domain, grants) for team in candidates):
        return None
    whose = " or ".join(repr(t) for t in candidates) or "no team"
    own = ", ".join(f"*.{team_domain(t, ingress_domain)}" for t in candidates) if ingress_domain else ""
    return (
        f"host {host!r} is not {whose}'s: a team claims only hosts under its own domain"
        f"{f' ({own})' if own else ''} or hosts the platform grants it ({HOST_GRANTS_FIELD})"
    )


def host_grant_overlap(granted: str, other: str) -> bool:
    """Whether two host grants (exact hosts or `*.<domain>`) can name one host."""

    def base(value: str) -> tuple[str, bool]:
        return (value[2:], True) if value.startswith("*.") else (value, False)

    (a, a_wild), (b, b_wild) = base(granted), base(other)
    if a_wild and b_wild:
        return a == b or a.endswith(f".{b}") or b.endswith(f".{a}")
    if a_wild:
        return b.endswith(f".{a}") or (b_wild and b == a)
    if b_wild:
        return a.endswith(f".{b}")
    return a == b


def namespace_teams(namespace: str, teams: Iterable[str], grants: Mapping[str, str]) -> list[str]:
    """The team a namespace belongs to; without a team map, every team its name could carry
    (`a-b-c`: `a`, `a-b`, `a-b-c`), so that a judge without the map stays inside the name."""
    known = _known(teams)
    owner = namespace_owner(namespace, known, grants)
    if owner is not None or known:
        return [owner] if owner is not None else []
    if namespace in grants:
        return [grants[namespace]]
    parts = namespace.split("-")
    return ["-".join(parts[: i + 1]) for i in range(len(parts))]
