"""Argo CD's own RBAC: the fleet's keys of argocd-rbac-cm, the guardrails on them, and the
effective policy (project roles + global policy) evaluated with Argo CD's Casbin model."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import casbin
import pytest

from fleet.apis.pulumi_types import CONFIGMAP_PATCH
from fleet.compiler import load, validate
from fleet.guardrails import argocd_rbac as rules
from fleet.render.layers import render
from fleet.render.resources import desired_resources
from fleet.render.state import FleetState, Manifest
from fleet.reports import access, diff
from fleet.reports import argocd_policy as argocd_rbac
from fleet.text.problems import CatalogError
from tests.conftest import BASE, catalog_path

Mutation = Callable[[dict[str, Any]], None]
DEV = catalog_path("dev")


def problems(mutate: Mutation) -> list[tuple[str, str]]:
    data = copy.deepcopy(BASE)
    mutate(data)
    try:
        validate(data, "catalog.yaml")
    except CatalogError as err:
        return [(p.path, p.reason) for p in err.problems]
    return []


def argocd(**fields: Any) -> Mutation:
    return lambda d: d["argocd"].update(fields)


# (case, failing mutation, path, phrase, passing mutation)
CASES: list[tuple[str, Mutation, str, str, Mutation]] = [
    (
        "policy_default permissive",
        argocd(policy_default="role:readonly"),
        "argocd.policy_default",
        "leave it empty (deny) and grant through AppProject roles [argocd-rbac-default-deny]",
        argocd(policy_default=""),
    ),
    (
        "sso_scopes empty",
        argocd(sso_scopes=[]),
        "argocd.sso_scopes",
        "must not be empty",
        argocd(sso_scopes=["groups", "email"]),
    ),
    (
        "sso_scopes not a claim name",
        argocd(sso_scopes=["groups, email"]),
        "argocd.sso_scopes[0]",
        "OIDC claim name",
        argocd(sso_scopes=["cognito:groups"]),
    ),
    (
        "platform_roles unknown role",
        argocd(platform_roles={"acme-platform-admins": "role:owner"}),
        "argocd.platform_roles.acme-platform-admins",
        "role:admin",
        argocd(platform_roles={"acme-platform-admins": "role:admin"}),
    ),
    (
        "platform_roles group with a comma",
        argocd(platform_roles={"admins, role:admin": "role:readonly"}),
        "argocd.platform_roles.admins, role:admin",
        "no spaces, commas",
        argocd(platform_roles={"acme-auditors": "role:readonly"}),
    ),
    (
        "a team group made admin",
        argocd(platform_roles={"acme-dev-payments-admin": "role:admin"}),
        "argocd.platform_roles.acme-dev-payments-admin",
        "applications * on */* through role:admin: every team's applications",
        argocd(platform_roles={"acme-platform-admins": "role:admin"}),
    ),
    (
        "a team group made readonly",
        argocd(platform_roles={"acme-dev-search-viewer": "role:readonly"}),
        "argocd.platform_roles.acme-dev-search-viewer",
        "applications get on */* through role:readonly",
        argocd(platform_roles={"acme-platform-auditors": "role:readonly"}),
    ),
]


@pytest.mark.parametrize(("mutate", "path", "phrase", "passing"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_field_and_refusal_fails_and_passes(mutate: Mutation, path: str, phrase: str, passing: Mutation) -> None:
    found = problems(mutate)
    assert any(p == path and phrase in r for p, r in found), found
    assert problems(passing) == []


# --- what is rendered and registered ---------------------------------------------------------
def test_the_patch_holds_only_the_fleets_keys_under_its_field_manager() -> None:
    data = copy.deepcopy(BASE)
    data["argocd"].update(sso_scopes=["groups", "email"], platform_roles={"acme-platform-admins": "role:admin"})
    state = render(validate(data, "c.yaml"))
    assert state.argocd_rbac is not None
    obj = state.argocd_rbac.obj
    assert obj["metadata"]["name"] == "argocd-rbac-cm"
    assert obj["metadata"]["namespace"] == "argocd"
    assert obj["metadata"]["annotations"] == {
        "pulumi.com/patchFieldManager": "app-of-apps",
        "pulumi.com/patchForce": "true",
    }
    assert set(obj["data"]) == {"policy.default", "policy.csv", "scopes"}
    assert obj["data"]["policy.default"] == ""
    assert obj["data"]["scopes"] == "[groups, email]"
    assert rules.policy_lines(obj["data"]["policy.csv"]) == [["g", "acme-platform-admins", "role:admin"]]
    (patch,) = [r for r in desired_resources(state) if r.type == CONFIGMAP_PATCH]
    assert patch.props is obj
    assert "labels" not in obj["metadata"]  # labels would be fields of another manager's map


def test_default_scopes_are_groups() -> None:
    state = render(validate(copy.deepcopy(BASE), "c.yaml"))
    assert state.argocd_rbac is not None
    assert state.argocd_rbac.obj["data"]["scopes"] == "[groups]"


# --- the effective policy, by Argo CD's model ------------------------------------------------
def with_rbac(state: FleetState, **data: str) -> FleetState:
    assert state.argocd_rbac is not None
    obj = copy.deepcopy(state.argocd_rbac.obj)
    obj["data"].update(data)
    return dataclasses.replace(state, argocd_rbac=Manifest(obj))


def test_a_permissive_policy_default_is_access_for_every_group() -> None:
    state = render(load(DEV))
    projects = sorted(t.project.name for t in state.teams)
    before = access.matrix(state)
    after = access.matrix(with_rbac(state, **{"policy.default": "role:readonly"}))
    for old, new in zip(before.groups, after.groups, strict=True):
        own = new.argocd.project
        assert sorted(new.argocd.projects) == projects, new.okta_group
        for project in projects:
            assert {"applications get", "logs get"} <= set(new.argocd.projects[project])
        assert "clusters get" in new.argocd.global_
        assert "repositories get" in new.argocd.global_
        # before: only the team's own project, through its AppProject role; nothing global
        assert set(old.argocd.projects) <= {own}
        assert old.argocd.global_ == []
    assert after.argocd_global.every_user.projects.keys() == set(projects)
    assert before.argocd_global.every_user.model_dump() == {"projects": {}, "global": []}
    md = access.markdown(after)
    assert "`policy.default` role:readonly" in md
    assert "**+ " in md  # the rows say the team groups reach beyond their project


def test_project_roles_alone_give_what_the_persona_templates_say() -> None:
    state = render(load(DEV))
    data = access.matrix(state)
    viewer = next(g for g in data.groups if g.okta_group == "acme-dev-payments-viewer")
    assert viewer.argocd.projects == {"payments": ["applications get", "logs get"]}
    assert viewer.argocd.permissions == ["applications get", "logs get"]
    auditors = data.argocd_global.platform_groups["acme-platform-auditors"]
    assert set(auditors.projects) == {"identity", "payments", "search"}
    assert "applications sync" not in auditors.projects["payments"]


def test_a_deny_line_wins_as_in_argo_cds_model() -> None:
    """The model's effect is allow-and-not-deny: a deny in policy.csv removes a project role's grant."""
    state = render(load(DEV))
    csv = "p, role:freeze, applications, sync, payments/*, deny\ng, acme-dev-payments-developer, role:freeze\n"
    data = access.matrix(with_rbac(state, **{"policy.csv": csv}))
    developer = next(g for g in data.groups if g.okta_group == "acme-dev-payments-developer")
    assert "applications sync" not in developer.argocd.permissions
    assert "applications get" in developer.argocd.permissions


def test_globs_match_as_argo_cd_matches_them() -> None:
    assert rules.glob_match("payments/checkout", "*/*")
    assert rules.glob_match("action/apps/Deployment/x", "action/*")
    assert rules.glob_match("search/x", "{payments,search}/*")
    assert not rules.glob_match("identity/x", "{payments,search}/*")
    assert rules.glob_match("team1/x", "team?/x")
    assert not rules.glob_match("team12/x", "team?/x")
    assert rules.glob_match("b/x", "[a-c]/x")
    assert not rules.glob_match("b/x", "[!a-c]/x")


def test_the_guardrails_builtin_facts_agree_with_the_vendored_policy() -> None:
    """The pack cannot read the vendored file; its constants must say what the file grants."""
    enforcer = argocd_rbac._enforcer(argocd_rbac.builtin_lines())
    for role, grants in rules.BUILTIN_PROJECT_GRANTS.items():
        declared = {resource for resource, _, _ in grants}
        actions = ("get", "create", "update", "delete", "sync", "override", "action/x", "debug")
        reached = {
            resource
            for resource in rules.PROJECT_RESOURCES
            for action in actions
            if enforcer.enforce(role, resource, action, "any-project/any-app")
        }
        assert reached == declared, role
    assert isinstance(enforcer, casbin.Enforcer)


def test_fleet_diff_shows_what_a_permissive_default_hands_out() -> None:
    catalog = load(DEV)
    state = render(catalog)
    result = diff.compute(
        (catalog, state), (catalog, with_rbac(state, **{"policy.default": "role:readonly"})), "a", "b"
    )
    viewer = next(c for c in result.access if c.principal == "acme-dev-payments-viewer")
    assert "argocd search: applications get" in viewer.gained
    assert "argocd (global): clusters get" in viewer.gained
    assert viewer.lost == []
    (change,) = result.layers["argocd"].changed
    assert change.type == CONFIGMAP_PATCH
    assert change.fields == ["data.policy.default"]


def test_asking_each_subject_of_the_lines_it_can_reach_answers_as_one_enforcer_over_all_lines() -> None:
    """`_Judge` hands Casbin only the policy lines a subject's roles reach: on chains of roles,
    cycles, deny lines, globs and a default role, every answer is what one enforcer holding
    every line gives."""
    lines: list[tuple[str, ...]] = [
        *argocd_rbac.builtin_lines(),
        ("p", "role:ops", "applications", "sync", "*/*", "allow"),
        ("p", "role:freeze", "applications", "sync", "payments/*", "deny"),
        ("p", "role:deep", "exec", "create", "pay*/*", "allow"),
        ("p", "proj:payments:developer", "applications", "get", "payments/*", "allow"),
        ("p", "proj:payments:developer", "applications", "action/*", "payments/*", "allow"),
        ("p", "proj:payments:viewer", "logs", "get", "payments/*", "allow"),
        ("p", "unbound-group", "clusters", "get", "*", "allow"),
        ("g", "platform-admins", "role:admin"),
        ("g", "auditors", "role:readonly"),
        ("g", "payments-dev", "proj:payments:developer"),
        ("g", "payments-dev", "role:freeze"),
        ("g", "payments-viewer", "proj:payments:viewer"),
        ("g", "ops", "role:ops"),
        ("g", "role:ops", "role:level1"),
        *(("g", f"role:level{i}", f"role:level{i + 1}") for i in range(1, 6)),
        ("g", "role:level6", "role:deep"),
        ("g", "role:level6", "role:level1"),  # a cycle
    ]
    judge = argocd_rbac._Judge(lines)
    whole = argocd_rbac._enforcer(lines)
    subjects = ["platform-admins", "auditors", "payments-dev", "payments-viewer", "ops", "unbound-group", "nobody"]
    subjects += ["role:readonly", "role:level3"]
    requests = [*argocd_rbac.PROJECT_REQUESTS, *argocd_rbac.GLOBAL_REQUESTS, ("exec", "create")]
    answers = set()
    for subject in subjects:
        for obj in ("payments/*", "search/*", "*"):
            for res, act in requests:
                expected = bool(whole.enforce(subject, res, act, obj))
                assert judge.enforce(subject, res, act, obj) == expected, (subject, res, act, obj)
                answers.add(expected)
    assert answers == {True, False}
    # The judge asked smaller enforcers than the whole: a team group's holds its project's lines.
    assert len(judge._enforcers) > 1
    assert min(len(e.get_policy()) for e in judge._enforcers.values()) < len(whole.get_policy())


def test_the_enforcer_that_parses_its_matcher_once_answers_as_casbins_own() -> None:
    """argocd_policy._Enforcer keeps one evaluator of the matcher: every answer is a plain
    casbin.Enforcer's, also after role links change between requests, and Casbin still asks
    for its evaluator through the method it overrides (else the speed-up is silently gone)."""
    from casbin.model import Model

    lines = [
        *argocd_rbac.builtin_lines(),
        ("p", "proj:payments:developer", "applications", "get", "payments/*", "allow"),
        ("p", "role:freeze", "applications", "sync", "payments/*", "deny"),
        ("g", "payments-dev", "proj:payments:developer"),
        ("g", "payments-dev", "role:freeze"),
        ("g", "ops", "role:admin"),
    ]
    ours = argocd_rbac._enforcer(lines)
    model = Model()
    model.load_model_from_text(argocd_rbac.model_text())
    plain = casbin.Enforcer(model)
    plain.add_function("globOrRegexMatch", argocd_rbac.glob_match)
    plain.add_policies([list(p[1:6]) for p in lines if p[0] == "p"])
    plain.add_grouping_policies([list(p[1:3]) for p in lines if p[0] == "g"])
    assert type(plain)._get_expression is casbin.Enforcer._get_expression

    def same_answers() -> set[bool]:
        answers = set()
        for subject in ("payments-dev", "ops", "auditors", "role:readonly", "nobody"):
            for obj in ("payments/*", "search/*", "*"):
                for res, act in [*argocd_rbac.PROJECT_REQUESTS, *argocd_rbac.GLOBAL_REQUESTS]:
                    expected = bool(plain.enforce(subject, res, act, obj))
                    assert bool(ours.enforce(subject, res, act, obj)) == expected, (subject, res, act, obj)
                    answers.add(expected)
        return answers

    assert same_answers() == {True, False}
    kept = dict(ours._expressions)
    assert len(kept) == 1  # one matcher, one evaluator, made on the first request
    for enforcer in (ours, plain):  # the role links change: g() must see the new ones
        enforcer.add_grouping_policies([["auditors", "role:admin"]])
        enforcer.remove_grouping_policy("ops", "role:admin")
    assert same_answers() == {True, False}
    assert bool(ours.enforce("auditors", "clusters", "delete", "*"))
    assert not bool(ours.enforce("ops", "clusters", "delete", "*"))
    assert {k: id(v) for k, v in ours._expressions.items()} == {k: id(v) for k, v in kept.items()}
