"""Every guardrail fails its bad case and passes its good one, called directly and through the
policy pack the way the engine calls it; our own program's resources pass the pack."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy  # the engine hands rules these proxies

from fleet.compiler import load_state, settings_for
from fleet.guardrails import CATALOG_RULES, RESOURCE_RULES, STACK_RULES, Settings, StackResource, check_resources
from fleet.render.resources import desired_resources
from policies.guardrails import POLICIES
from tests.conftest import ROOT, STACKS, catalog_path
from tests.guardrail_cases import RESOURCE_CASES, SETTINGS, STACK_CASES, Stack
from tests.pulumi_harness import run_program

SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's marker of a secret value

RULES = {rule.id: rule for rule in RESOURCE_RULES}
STACK = {rule.id: rule for rule in STACK_RULES}
PACK = {policy.name: policy for policy in POLICIES}


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
    )


def _urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:dev::team-stack::{resource_type}::{name}"


def pack_resource_violations(
    policy_id: str, resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> list[str]:
    policy = PACK[policy_id]
    assert isinstance(policy, ResourceValidationPolicy)
    found: list[str] = []
    args = ResourceValidationArgs(
        resource_type, unknown_checking_proxy(props), _urn(resource_type, "r"), "r", _options(), None, dict(config)
    )
    policy.validate(args, lambda message, urn=None: found.append(message))
    return found


def pack_stack_violations(policy_id: str, resources: Stack, config: Mapping[str, Any]) -> list[tuple[str, str]]:
    policy = PACK[policy_id]
    assert isinstance(policy, StackValidationPolicy)
    found: list[tuple[str, str]] = []
    items = [
        PolicyResource(t, unknown_checking_proxy(props), _urn(t, name), name, _options(), None, None, [], {})
        for t, name, props in resources
    ]
    policy.validate(StackValidationArgs(items, dict(config)), lambda message, urn=None: found.append((message, urn)))
    return found


CASE_IDS = [f"{c[0]}-{i}" for i, c in enumerate(RESOURCE_CASES)]


@pytest.mark.parametrize(("rule_id", "resource_type", "bad", "good", "phrase"), RESOURCE_CASES, ids=CASE_IDS)
def test_rule_fails_bad_and_passes_good(
    rule_id: str, resource_type: str, bad: dict[str, Any], good: dict[str, Any], phrase: str
) -> None:
    rule = RULES[rule_id]
    assert rule.applies_to(resource_type)
    settings = Settings.from_config(SETTINGS)
    failures = list(rule.judge(resource_type, bad, settings))
    assert any(phrase in f for f in failures), failures
    if isinstance(good, tuple):  # the neighbour is another kind, which this rule leaves alone
        assert not rule.applies_to(good[0])
    else:
        assert list(rule.judge(resource_type, good, settings)) == []


def _neighbour(resource_type: str, good: Any) -> tuple[str, dict[str, Any]]:
    """The legitimate neighbour: of the same type, or (type, inputs) for a rule that refuses a
    whole type (an IAM user, a Helm v3 Release), where the neighbour is what to use instead."""
    if isinstance(good, tuple):
        return good
    return resource_type, good


@pytest.mark.parametrize(("rule_id", "resource_type", "bad", "good", "phrase"), RESOURCE_CASES, ids=CASE_IDS)
def test_pack_policy_fails_bad_and_passes_good(
    rule_id: str, resource_type: str, bad: dict[str, Any], good: dict[str, Any], phrase: str
) -> None:
    assert any(phrase in m for m in pack_resource_violations(rule_id, resource_type, bad, SETTINGS))
    good_type, good = _neighbour(resource_type, good)
    assert pack_resource_violations(rule_id, good_type, good, SETTINGS) == []


@pytest.mark.parametrize(
    ("rule_id", "bad", "good", "phrase"), STACK_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(STACK_CASES)]
)
def test_stack_rules_directly_and_through_the_pack(rule_id: str, bad: Stack, good: Stack, phrase: str) -> None:
    settings = Settings.from_config(SETTINGS)
    direct = [m for _, m in STACK[rule_id].check([StackResource(*r) for r in bad], settings)]
    assert any(phrase in m for m in direct), direct
    assert list(STACK[rule_id].check([StackResource(*r) for r in good], settings)) == []
    through_pack = pack_stack_violations(rule_id, bad, SETTINGS)
    assert any(phrase in m for m, _ in through_pack)
    assert all(urn and urn.startswith("urn:pulumi:") for _, urn in through_pack)
    assert pack_stack_violations(rule_id, good, SETTINGS) == []


def test_every_rule_has_cases_and_a_policy() -> None:
    covered = {c[0] for c in RESOURCE_CASES} | {c[0] for c in STACK_CASES}
    assert covered == set(RULES) | set(STACK)
    assert set(PACK) == set(RULES) | set(STACK)
    for rule in (*RESOURCE_RULES, *STACK_RULES, *CATALOG_RULES):
        assert rule.rationale
        assert rule.anchor
    ids = [r.id for r in (*RESOURCE_RULES, *STACK_RULES)]
    assert len(ids) == len(set(ids))


def test_pack_config_changes_the_verdict() -> None:
    """Policy config is read: a privileged namespace passes with a 'privileged' floor only."""
    privileged = {
        "metadata": {
            "name": "infra",
            "labels": {
                f"pod-security.kubernetes.io/{m}{s}": v
                for m in ("enforce", "audit", "warn")
                for s, v in (("", "privileged"), ("-version", "v1.31"))
            },
        }
    }
    assert pack_resource_violations("k8s-pod-security-labels", "kubernetes:core/v1:Namespace", privileged, {})
    assert (
        pack_resource_violations(
            "k8s-pod-security-labels", "kubernetes:core/v1:Namespace", privileged, {"podSecurityFloor": "privileged"}
        )
        == []
    )
    repo_project = {"metadata": {"name": "t"}, "spec": {"sourceRepos": ["https://github.com/other/x"]}}
    assert (
        pack_resource_violations(
            "argocd-project-sources", "kubernetes:argoproj.io/v1alpha1:AppProject", repo_project, {}
        )
        == []
    )
    assert pack_resource_violations(
        "argocd-project-sources", "kubernetes:argoproj.io/v1alpha1:AppProject", repo_project, SETTINGS
    )


def test_importing_the_pack_starts_no_server() -> None:
    import policies.guardrails as module

    assert module.PACK_NAME == "app-of-apps-guardrails"
    assert (ROOT / "policies" / "PulumiPolicy.yaml").read_text().count("runtime") == 1


# --- the bridge: our own program, judged by the pack -------------------------------------
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_program_registrations_pass_the_pack(stack: str) -> None:
    os.environ["MOCK_ACCOUNT"] = {"dev": "111111111111", "prod": "222222222222"}[stack]
    run = run_program(stack)
    assert run.error is None, run.error
    catalog, _ = load_state(catalog_path(stack))
    settings = settings_for(catalog)
    config = {
        "allowedRepos": list(settings.allowed_repos),
        "podSecurityFloor": settings.pod_security_floor,
        "argocdNamespace": settings.argocd_namespace,
        "accountIds": list(settings.account_ids),
        "requirePinnedRevisions": settings.require_pinned_revisions,
    }
    custom = [r for r in run.registrations if r.custom and not r.type.startswith("pulumi:providers:")]
    violations = []
    for r in custom:
        for policy_id, policy in PACK.items():
            if isinstance(policy, ResourceValidationPolicy):
                violations += [
                    (policy_id, r.type, r.name, m)
                    for m in pack_resource_violations(policy_id, r.type, r.inputs, config)
                ]
    stack_items = [(r.type, r.name, r.inputs) for r in custom]
    for policy_id, policy in PACK.items():
        if isinstance(policy, StackValidationPolicy):
            violations += [(policy_id, m) for m in pack_stack_violations(policy_id, stack_items, config)]
    assert violations == []
    judged = {r.type for r in custom}
    assert {
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        "kubernetes:core/v1:Namespace",
        "kubernetes:argoproj.io/v1alpha1:AppProject",
    } <= judged


@pytest.mark.parametrize("path", STACKS, ids=[p.stem for p in STACKS])
def test_desired_resources_equal_what_the_program_registers(path) -> None:
    """fleet validate judges `desired_resources`; it must be what the program really sends."""
    stack = path.stem
    os.environ["MOCK_ACCOUNT"] = {"dev": "111111111111", "prod": "222222222222"}[stack]
    run = run_program(stack)
    _, state = load_state(path)
    registered = {
        (r.type, r.name): r for r in run.registrations if r.custom and not r.type.startswith("pulumi:providers:")
    }
    desired = {(r.type, r.name): r for r in desired_resources(state)}
    assert set(registered) == set(desired)
    wired = {"groupAssignments"}  # an Okta group id, only known at deployment
    for key, resource in desired.items():
        inputs = registered[key].inputs
        for prop, value in resource.props.items():
            if prop not in wired:
                sent = inputs.get(prop)
                if isinstance(sent, dict) and SECRET_SIG in sent:  # the SDK sends a Secret's data as a secret
                    sent = sent["value"]
                assert sent == value, (key, prop)
        assert registered[key].protect == resource.protect, key
        assert registered[key].retain_on_delete == resource.retain_on_delete, key


def test_validate_judges_rendered_resources_too(monkeypatch) -> None:
    """A template bug that a catalog rule cannot see is still refused before deployment."""
    import fleet.catalog.personas as personas

    original = personas.role_rules
    monkeypatch.setattr(
        personas,
        "role_rules",
        lambda level: [*original(level), {"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]}],
    )
    from fleet.text.problems import CatalogError

    with pytest.raises(CatalogError) as caught:
        load_state(catalog_path("dev"))
    assert any("[k8s-rbac-no-wildcards]" in line for line in caught.value.lines())
    assert any("[k8s-view-no-secrets]" in line for line in caught.value.lines())


def test_check_resources_on_rendered_state_is_clean() -> None:
    for path in STACKS:
        catalog, state = load_state(path)
        assert check_resources(desired_resources(state), settings_for(catalog)) == []


# --- the settings: one definition, read from policy config and from a catalog ------------------
EVERY_SETTING_SET = Settings(
    allowed_repos=("https://github.com/acme/",),
    pod_security_floor="restricted",
    argocd_namespace="gitops",
    account_ids=("111111111111", "222222222222"),
    reserved_namespaces=("edge-proxy",),
    allowed_managed_policy_arns=("arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",),
    owned_resources=("arn:aws:s3:::acme-prod-checkout",),
    namespace_grants=(("legacy-billing", "payments"), ("shared-cache", "search")),
    teams=("payments", "search"),
    ingress_domain="apps.acme.example",
    host_grants=(("status.acme.example", "payments"),),
    external_names=("db.partner.example",),
    quota_ceiling=(("cpu", "16"), ("memory", "32Gi"), ("pods", "200")),
    team="payments",
    permissions_boundary_arns=("arn:aws:iam::111111111111:policy/fleet-workload-boundary",),
    secret_key_prefix="acme/prod",
    require_pinned_revisions=True,
    production=True,
)


def test_every_setting_reads_back_from_the_policy_config_it_writes() -> None:
    import jsonschema

    from fleet.guardrails.base import _configured

    defaults = Settings()
    assert [f.name for f in _configured() if getattr(EVERY_SETTING_SET, f.name) == getattr(defaults, f.name)] == []
    config = EVERY_SETTING_SET.to_config()
    jsonschema.validate(
        config, {"type": "object", "properties": Settings.config_schema(), "additionalProperties": False}
    )
    assert Settings.from_config(config) == EVERY_SETTING_SET
    assert Settings.from_config({}) == defaults


def test_the_pack_takes_the_settings_schema() -> None:
    import policies.guardrails as pack

    assert pack.CONFIG_SCHEMA.properties == Settings.config_schema()
    assert set(Settings.config_schema()) == set(EVERY_SETTING_SET.to_config())


@pytest.mark.parametrize("catalog", STACKS, ids=lambda p: p.stem)
def test_a_pack_configured_as_the_catalog_says_judges_as_the_catalog(catalog) -> None:
    parsed, _ = load_state(catalog)
    settings = settings_for(parsed)
    assert Settings.from_config(settings.to_config()) == settings
    assert settings.argocd_namespace == parsed.argocd.namespace
    assert settings.require_pinned_revisions is settings.production is parsed.deletion_protection
    assert settings.teams == tuple(t.name for t in parsed.teams)


def test_a_kubernetes_resource_is_judged_with_the_settings_of_its_kind() -> None:
    """fleet.guardrails.base._variant makes the settings of a kind once per settings object: the
    same settings as a copy made for each resource, and never another object's."""
    from dataclasses import replace

    from fleet.guardrails.base import _variant

    first, second = Settings(allowed_repos=("https://a/",)), Settings(allowed_repos=("https://b/",))
    for settings in (first, second, first):
        assert _variant(settings, "Namespace", False) == replace(settings, kind="Namespace")
        assert _variant(settings, "Namespace", True) == replace(settings, kind="Namespace", patch=True)
        assert _variant(settings, "Role", False) == replace(settings, kind="Role")
    assert _variant(first, "Namespace", False) is _variant(first, "Namespace", False)  # made once
    for n in range(300):  # settings of many runs: the table is bounded, the answers still right
        other = Settings(allowed_repos=(f"https://{n}/",))
        assert _variant(other, "Role", True) == replace(other, kind="Role", patch=True)
