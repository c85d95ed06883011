"""The owner of a namespace is found from the names it carries, not by asking every team."""

from __future__ import annotations

import itertools

from fleet.catalog import tenancy


def by_definition(namespace: str, teams: list[str]) -> str | None:
    named = [team for team in teams if tenancy.carries_name(namespace, team)]
    return max(named, key=len) if named else None


def test_the_owner_is_the_longest_team_name_the_namespace_carries() -> None:
    words = ["", "a", "b", "ab", "a-", "-a", "a-b", "a--b", "a-b-c", "b-a"]
    namespaces = ["-".join(p) for n in range(1, 4) for p in itertools.product(["a", "b", "", "ab"], repeat=n)]
    checked = 0
    for size in range(4):
        for teams in itertools.combinations(words, size):
            for namespace in namespaces:
                expected = by_definition(namespace, list(teams))
                assert tenancy.namespace_owner(namespace, list(teams), {}) == expected, (namespace, teams)
                assert tenancy.namespace_owner(namespace, tuple(teams), {}) == expected, (namespace, teams)
                checked += expected is not None
    assert checked > 1000
    assert tenancy.carried_names("a-b-c") == ["a-b-c", "a-b", "a"]
    assert tenancy.namespace_owner("a-b", ["a"], {"a-b": "x"}) == "x"  # the platform's grant first


def test_ownership_problem_names_the_longer_team() -> None:
    assert tenancy.ownership_problem("pay-ments-x", "pay", {}, ("pay-ments", "other")) is not None
    assert tenancy.ownership_problem("pay-x", "pay", {}, ("pay-ments", "other")) is None
    assert tenancy.ownership_problem("pay", "pay", {}, ()) is None
