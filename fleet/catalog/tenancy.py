"""Who owns what, by rule rather than by a list of bad names: namespaces (issue 21).

A team's namespace carries the team's ownership in its name: it is the team's name, or starts
with the team's name and a `-`; or the platform grants it to the team explicitly
(`cluster.namespace_grants`). When two teams' names both prefix a namespace (`a` and `a-b` for
`a-b-c`), the longer name owns it. Nothing else is a team's, whatever its name: an add-on's
namespace (`gpu-operator`, `jenkins`) carries no team's ownership and so is nobody's to claim.

The same facts judge the catalog (`fleet validate`), the rendered and any stack's Namespaces
and Argo CD destinations (the policy pack) and, as CEL, the API server's admission of the
fleet's Namespaces (`fleet.render.boundaries`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

GRANTS_FIELD = "cluster.namespace_grants"


def carries_name(namespace: str, team: str) -> bool:
    """Whether `namespace` is named as one of `team`'s: the team's name or `<team>-…`."""
    return namespace == team or namespace.startswith(f"{team}-")


def namespace_owner(namespace: str, teams: Iterable[str], grants: Mapping[str, str]) -> str | None:
    """The team that owns `namespace`: the platform's grant, else the longest team name that
    names it; None when it carries no team's ownership."""
    if namespace in grants:
        return grants[namespace]
    named = [team for team in teams if carries_name(namespace, team)]
    return max(named, key=len) if named else None


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
    owner = namespace_owner(namespace, [team, *teams], {})
    if owner != team:
        return f"{namespace!r} is named as team {owner!r}'s ({owner!r} or {owner + '-…'!r}), not team {team!r}'s"
    return None
