"""A platform stack and a stack per team: the names, and which stack holds what."""

from __future__ import annotations

import pytest

from fleet.catalog.naming import (
    PLATFORM_STACK_SUFFIX,
    StackScope,
    platform_stack,
    stack_scope,
    team_stack,
)


def test_stack_names() -> None:
    assert platform_stack("dev") == "dev.platform"
    assert team_stack("dev", "payments") == "dev.payments"
    assert PLATFORM_STACK_SUFFIX == "platform"


@pytest.mark.parametrize(
    ("stack", "scope"),
    [
        ("dev", StackScope("dev", None, "environment")),
        ("dev.platform", StackScope("dev", None, "platform")),
        ("dev.payments", StackScope("dev", "payments", "team")),
        ("acme/app-of-apps/prod.search", StackScope("prod", "search", "team")),
        ("organization/app-of-apps/prod", StackScope("prod", None, "environment")),
    ],
)
def test_stack_scope_reads_the_name(stack: str, scope: StackScope) -> None:
    assert stack_scope(stack) == scope
    assert scope.stack == stack.rsplit("/", 1)[-1]


@pytest.mark.parametrize("stack", ["", ".platform", "dev.", "dev.payments.extra", "org/proj/"])
def test_stack_scope_refuses_other_names(stack: str) -> None:
    with pytest.raises(ValueError, match="neither"):
        stack_scope(stack)


def test_what_each_scope_holds() -> None:
    whole, platform, team = stack_scope("dev"), stack_scope("dev.platform"), stack_scope("dev.payments")
    held = {
        scope.kind: (scope.holds_platform(), scope.holds_team("payments"), scope.holds_team("search"))
        for scope in (whole, platform, team)
    }
    assert held == {
        "environment": (True, True, True),
        "platform": (True, False, False),
        "team": (False, True, False),
    }


def test_names_round_trip() -> None:
    for name in (platform_stack("prod"), team_stack("prod", "search"), "prod"):
        assert stack_scope(name).stack == name
