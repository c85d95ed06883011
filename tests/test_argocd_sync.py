"""Argo CD's everyday settings (issue 20): sync options and retries with defaults per
environment, ignored differences, revision history, info, notification subscriptions, and the
teams' sync windows. For each field a rendered example (checked against the vendored CRDs) and
the case that is refused, with its reason; for each guardrail the failing and the passing side."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
import yaml

from fleet.apis import argocd_sync
from fleet.compiler import load_state, state_from_text
from fleet.guardrails import Settings
from fleet.guardrails.argocd_sync import RULES
from fleet.render.state import FleetState, Manifest
from fleet.text.problems import CatalogError
from tests.conftest import BASE, STACKS
from tests.crd_schemas import argocd_schema, unknown_fields

Mutation = Callable[[dict[str, Any]], Any]


def catalog() -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["argocd"]["notifications"] = {"services": ["slack", "email"]}
    data["teams"][0]["apps"].append(
        {"name": "ledger", "source": {"repo": "https://github.com/acme/ledger-deploy", "path": "p"}}
    )
    return data


def production(data: dict[str, Any]) -> dict[str, Any]:
    data["deletion_protection"] = True
    for team in data["teams"]:
        for app in team["apps"]:
            app["source"]["revision"] = "v1.0.0"
    return data


def render(data: dict[str, Any]) -> FleetState:
    return state_from_text(yaml.safe_dump(data), "catalog.yaml")[1]


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        render(data)
    return [f"{p.path}: {p.reason}" for p in caught.value.problems]


def application(state: FleetState, team: str, app: str) -> dict[str, Any]:
    (found,) = [a.applications[0].obj for t in state.teams if t.name == team for a in t.apps if a.name == app]
    return found


def project(state: FleetState, team: str) -> dict[str, Any]:
    (found,) = [t.project.obj for t in state.teams if t.name == team]
    return found


def valid_argocd(obj: dict[str, Any]) -> None:
    schema = argocd_schema(obj["kind"])
    jsonschema.validate(obj, schema)
    assert unknown_fields(obj, schema) == []


def checkout(d: dict[str, Any]) -> dict[str, Any]:
    return d["teams"][0]["apps"][0]


# --- rendered examples --------------------------------------------------------------------------
def test_sync_options_and_retry_come_from_the_defaults_and_merge_option_by_option() -> None:
    data = catalog()
    data["defaults"] = {
        "sync": {
            "prune": False,
            "options": ["ServerSideApply=true", "PruneLast=true"],
            "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "max_duration": "3m"}},
        }
    }
    checkout(data)["sync"] = {
        "options": ["ServerSideApply=false", "RespectIgnoreDifferences=true"],
        "retry": {"limit": 2},
    }
    state = render(data)
    mine = application(state, "payments", "checkout")["spec"]["syncPolicy"]
    assert mine["syncOptions"] == [
        "CreateNamespace=false",
        "ServerSideApply=false",  # the app's value of a default option wins, in the default's place
        "PruneLast=true",
        "RespectIgnoreDifferences=true",
    ]
    assert mine["retry"] == {"limit": 2}  # an app's retry replaces the default's whole
    assert mine["automated"] == {"prune": False, "selfHeal": True}
    default = application(state, "payments", "ledger")["spec"]["syncPolicy"]
    assert default["syncOptions"] == ["CreateNamespace=false", "ServerSideApply=true", "PruneLast=true"]
    assert default["retry"] == {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}}
    for name in ("checkout", "ledger"):
        valid_argocd(application(state, "payments", name))


def test_without_new_settings_the_application_is_rendered_as_before() -> None:
    spec = application(render(catalog()), "payments", "ledger")["spec"]
    assert spec["syncPolicy"] == {
        "syncOptions": ["CreateNamespace=false"],
        "automated": {"prune": True, "selfHeal": True},
    }
    assert not {"ignoreDifferences", "info", "revisionHistoryLimit"} & set(spec)


def test_ignore_differences_history_and_info_are_rendered_in_argocd_field_names() -> None:
    data = catalog()
    checkout(data).update(
        ignore_differences=[
            {"group": "apps", "kind": "Deployment", "name": "checkout", "json_pointers": ["/spec/replicas"]},
            {
                "kind": "ConfigMap",
                "namespace": "payments",
                "jq_path_expressions": ['.data["generated.json"]'],
                "managed_fields_managers": ["kube-controller-manager"],
            },
        ],
        revision_history_limit=3,
        info=[
            {"name": "Runbook", "value": "https://runbooks.acme.example/checkout"},
            {"name": "Owner", "value": "Payments"},
        ],
    )
    obj = application(render(data), "payments", "checkout")
    assert obj["spec"]["ignoreDifferences"] == [
        {"group": "apps", "kind": "Deployment", "name": "checkout", "jsonPointers": ["/spec/replicas"]},
        {
            "kind": "ConfigMap",
            "namespace": "payments",
            "jqPathExpressions": ['.data["generated.json"]'],
            "managedFieldsManagers": ["kube-controller-manager"],
        },
    ]
    assert obj["spec"]["revisionHistoryLimit"] == 3
    assert obj["spec"]["info"] == [
        {"name": "Runbook", "value": "https://runbooks.acme.example/checkout"},
        {"name": "Owner", "value": "Payments"},
    ]
    valid_argocd(obj)


def test_notifications_are_subscription_annotations_with_recipients_joined() -> None:
    data = catalog()
    checkout(data)["notifications"] = [
        {"trigger": "on-sync-failed", "service": "slack", "recipient": "payments-alerts"},
        {"trigger": "on-sync-failed", "service": "slack", "recipient": "payments-oncall"},
        {"trigger": "on-deployed", "service": "email", "recipient": "payments@acme.example"},
    ]
    obj = application(render(data), "payments", "checkout")
    assert obj["metadata"]["annotations"] == {
        "notifications.argoproj.io/subscribe.on-deployed.email": "payments@acme.example",
        "notifications.argoproj.io/subscribe.on-sync-failed.slack": "payments-alerts;payments-oncall",
    }
    assert "annotations" not in application(render(catalog()), "payments", "checkout")["metadata"]
    valid_argocd(obj)


def test_sync_windows_are_rendered_over_the_teams_own_applications_by_name() -> None:
    data = catalog()
    data["teams"][0]["sync_windows"] = [
        {
            "kind": "deny",
            "schedule": "0 18 * * fri",
            "duration": "62h",
            "timezone": "Europe/Amsterdam",
            "manual_sync": True,
            "description": "Weekend freeze",
        },
        {"kind": "allow", "schedule": "*/30 8-17 * * 1-5", "duration": "20m", "applications": ["ledger"]},
    ]
    state = render(data)
    windows = project(state, "payments")["spec"]["syncWindows"]
    assert windows == [
        {
            "kind": "deny",
            "schedule": "0 18 * * fri",
            "duration": "62h",
            "applications": ["payments-checkout", "payments-ledger"],  # empty: all of the team's, by name
            "manualSync": True,
            "timeZone": "Europe/Amsterdam",
            "description": "Weekend freeze",
        },
        {
            "kind": "allow",
            "schedule": "*/30 8-17 * * 1-5",
            "duration": "20m",
            "applications": ["payments-ledger"],
            "manualSync": False,
        },
    ]
    assert "syncWindows" not in project(state, "search")["spec"]
    valid_argocd(project(state, "payments"))


@pytest.mark.parametrize("path", STACKS, ids=[p.stem for p in STACKS])
def test_the_shipped_catalogs_use_the_settings(path: Any) -> None:
    """Realistic uses in stacks/: server-side apply for a chart with large CRDs, the replica count
    an HPA owns, retries by default, subscriptions, info, and (prod) a weekend freeze."""
    state = load_state(path)[1]
    gateway = application(state, "payments", "gateway")["spec"]["syncPolicy"]
    assert "ServerSideApply=true" in gateway["syncOptions"]
    query_api = application(state, "search", "query-api")["spec"]
    assert {
        "group": "apps",
        "kind": "Deployment",
        "name": "query-api",
        "jsonPointers": ["/spec/replicas"],
    } in query_api["ignoreDifferences"]
    assert "RespectIgnoreDifferences=true" in query_api["syncPolicy"]["syncOptions"]
    assert query_api["syncPolicy"]["retry"]["limit"] == 5
    checkout_app = application(state, "payments", "checkout")
    assert "notifications.argoproj.io/subscribe.on-sync-failed.slack" in checkout_app["metadata"]["annotations"]
    assert checkout_app["spec"]["info"][0]["name"] == "Runbook"
    assert project(state, "payments")["spec"]["syncWindows"]


# --- refused, with the field path and the reason --------------------------------------------------
REFUSED: list[tuple[str, Mutation, str, str]] = [
    # sync.options: only Argo CD's options and values
    (
        "misspelt option",
        lambda d: checkout(d).update(sync={"options": ["ServerSideAply=true"]}),
        "teams[0].apps[0].sync.options[0]",
        "'ServerSideAply' is not an Argo CD sync option (did you mean 'ServerSideApply'?)",
    ),
    (
        "value Argo CD does not match",
        lambda d: checkout(d).update(sync={"options": ["ServerSideApply=True"]}),
        "teams[0].apps[0].sync.options[0]",
        "ServerSideApply takes true or false, not 'True'",
    ),
    (
        "an option nothing like Argo CD's",
        lambda d: checkout(d).update(sync={"options": ["Wait=true"]}),
        "teams[0].apps[0].sync.options[0]",
        "'Wait' is not an Argo CD sync option (known: ApplyOutOfSyncOnly,",
    ),
    (
        "no value",
        lambda d: d.update(defaults={"sync": {"options": ["PruneLast"]}}),
        "defaults.sync.options[0]",
        "Name=value",
    ),
    (
        "option given twice",
        lambda d: checkout(d).update(sync={"options": ["PruneLast=true", "PruneLast=false"]}),
        "teams[0].apps[0].sync.options",
        "PruneLast is given twice",
    ),
    (
        "a resource annotation",
        lambda d: checkout(d).update(sync={"options": ["Force=true"]}),
        "teams[0].apps[0].sync.options[0]",
        "resource annotation",
    ),
    (
        "CreateNamespace=true",
        lambda d: checkout(d).update(sync={"options": ["CreateNamespace=true"]}),
        "teams[0].apps[0].sync.options[0]",
        "namespaces are the platform's; Argo CD would create one without quota|[argocd-sync-options]",
    ),
    (
        "Delete=false in the defaults",
        lambda d: d.update(defaults={"sync": {"options": ["Delete=false"]}}),
        "defaults.sync.options[0]",
        "would leave its workloads running, unmanaged",
    ),
    (
        "Replace with ServerSideApply, through the defaults",
        lambda d: (
            d.update(defaults={"sync": {"options": ["ServerSideApply=true"]}}),
            checkout(d).update(sync={"options": ["Replace=true"]}),
        ),
        "teams[0].apps[0].sync.options",
        "Argo CD lets Replace win, so server-side apply would silently not happen; choose one (with defaults.sync.options)",
    ),
    # sync.retry
    (
        "retries forever",
        lambda d: checkout(d).update(sync={"retry": {"limit": -1}}),
        "teams[0].apps[0].sync.retry",
        "a negative limit retries forever",
    ),
    (
        "backoff shorter at most than at first",
        lambda d: d.update(
            defaults={"sync": {"retry": {"limit": 3, "backoff": {"duration": "5m", "max_duration": "30s"}}}}
        ),
        "defaults.sync.retry.backoff",
        "max_duration 30s is shorter than duration 5m",
    ),
    (
        "not a duration",
        lambda d: checkout(d).update(sync={"retry": {"limit": 3, "backoff": {"duration": "5 minutes"}}}),
        "teams[0].apps[0].sync.retry.backoff.duration",
        "is not a duration",
    ),
    (
        "zero factor",
        lambda d: checkout(d).update(sync={"retry": {"limit": 3, "backoff": {"factor": 0}}}),
        "teams[0].apps[0].sync.retry.backoff.factor",
        "greater than or equal to 1",
    ),
    # ignore_differences
    (
        "ignores nothing",
        lambda d: checkout(d).update(ignore_differences=[{"kind": "Deployment"}]),
        "teams[0].apps[0].ignore_differences[0]",
        "ignores nothing",
    ),
    (
        "a pattern for a kind",
        lambda d: checkout(d).update(ignore_differences=[{"kind": "*", "json_pointers": ["/spec/replicas"]}]),
        "teams[0].apps[0].ignore_differences[0].kind",
        "is not a Kubernetes kind",
    ),
    (
        "a pointer not from the root",
        lambda d: checkout(d).update(ignore_differences=[{"kind": "Deployment", "json_pointers": ["spec/replicas"]}]),
        "teams[0].apps[0].ignore_differences[0].json_pointers[0]",
        "is not a JSON pointer from the object's root",
    ),
    (
        "a whole part by pointer",
        lambda d: checkout(d).update(ignore_differences=[{"kind": "Deployment", "json_pointers": ["/spec"]}]),
        "teams[0].apps[0].ignore_differences[0].json_pointers[0]",
        "ignores all of spec: Argo CD and fleet status would never see a change there|[argocd-ignore-differences]",
    ),
    (
        "the whole object by jq",
        lambda d: checkout(d).update(ignore_differences=[{"kind": "Secret", "jq_path_expressions": ["."]}]),
        "teams[0].apps[0].ignore_differences[0].jq_path_expressions[0]",
        "ignores a whole object or part|[argocd-ignore-differences]",
    ),
    (
        "kubectl's hand edits trusted",
        lambda d: checkout(d).update(
            ignore_differences=[{"kind": "Deployment", "managed_fields_managers": ["kubectl-edit"]}]
        ),
        "teams[0].apps[0].ignore_differences[0].managed_fields_managers[0]",
        "people's hand edits: trusting it would let a hand edit win over Git unseen",
    ),
    (
        "another team's namespace",
        lambda d: checkout(d).update(
            ignore_differences=[{"kind": "Deployment", "namespace": "search", "json_pointers": ["/spec/replicas"]}]
        ),
        "teams[0].apps[0].ignore_differences[0].namespace",
        "'search' is not a namespace of team payments",
    ),
    # revision_history_limit
    (
        "too much history",
        lambda d: checkout(d).update(revision_history_limit=1000),
        "teams[0].apps[0]",
        "revision_history_limit 1000: at most 100",
    ),
    (
        "negative history",
        lambda d: checkout(d).update(revision_history_limit=-1),
        "teams[0].apps[0].revision_history_limit",
        "greater than or equal to 0",
    ),
    # info
    (
        "a script link",
        lambda d: checkout(d).update(info=[{"name": "Docs", "value": "javascript:alert(1)"}]),
        "teams[0].apps[0].info[0].value",
        "only https:// links",
    ),
    (
        "a plain-http link",
        lambda d: checkout(d).update(info=[{"name": "Docs", "value": "http://docs.acme.example"}]),
        "teams[0].apps[0].info[0].value",
        "a link in the Argo CD UI is https://",
    ),
    (
        "info name twice",
        lambda d: checkout(d).update(info=[{"name": "Docs", "value": "a"}, {"name": "Docs", "value": "b"}]),
        "teams[0].apps[0]",
        "info names 'Docs' twice",
    ),
    # notifications
    (
        "a trigger the platform does not offer",
        lambda d: checkout(d).update(
            notifications=[{"trigger": "on-sync-faild", "service": "slack", "recipient": "x"}]
        ),
        "teams[0].apps[0].notifications[0].trigger",
        "'on-sync-faild' is not one of argocd.notifications.triggers",
    ),
    (
        "a service the platform did not configure",
        lambda d: checkout(d).update(notifications=[{"trigger": "on-deployed", "service": "teams", "recipient": "x"}]),
        "teams[0].apps[0].notifications[0].service",
        "only services the platform configured in argocd-notifications-cm deliver [argocd-notifications]",
    ),
    (
        "two recipients in one",
        lambda d: checkout(d).update(
            notifications=[{"trigger": "on-deployed", "service": "slack", "recipient": "a;b"}]
        ),
        "teams[0].apps[0].notifications[0].recipient",
        "give one entry per recipient",
    ),
    (
        "an annotation name Kubernetes refuses",
        lambda d: checkout(d).update(notifications=[{"trigger": "on-deployed", "service": "s" * 50, "recipient": "x"}]),
        "teams[0].apps[0].notifications[0]",
        "Kubernetes allows 63",
    ),
    # sync_windows
    (
        "six cron fields",
        lambda d: d["teams"][0].update(sync_windows=[{"kind": "deny", "schedule": "0 0 18 * * 5", "duration": "1h"}]),
        "teams[0].sync_windows[0].schedule",
        "has 6 field(s); a schedule has five",
    ),
    (
        "an hour out of range",
        lambda d: d["teams"][0].update(sync_windows=[{"kind": "deny", "schedule": "0 24 * * *", "duration": "1h"}]),
        "teams[0].sync_windows[0].schedule",
        "hour '24' is outside 0-23",
    ),
    (
        "a descriptor",
        lambda d: d["teams"][0].update(sync_windows=[{"kind": "deny", "schedule": "@daily", "duration": "1h"}]),
        "teams[0].sync_windows[0].schedule",
        "no @descriptors",
    ),
    (
        "no duration",
        lambda d: d["teams"][0].update(sync_windows=[{"kind": "deny", "schedule": "0 22 * * *", "duration": "0s"}]),
        "teams[0].sync_windows[0].duration",
        "is no time at all",
    ),
    (
        "an unknown time zone",
        lambda d: d["teams"][0].update(
            sync_windows=[{"kind": "deny", "schedule": "0 22 * * *", "duration": "1h", "timezone": "Europe/Amsterdm"}]
        ),
        "teams[0].sync_windows[0].timezone",
        "Argo CD would silently use UTC",
    ),
    (
        "another team's app",
        lambda d: d["teams"][0].update(
            sync_windows=[{"kind": "deny", "schedule": "0 22 * * *", "duration": "1h", "applications": ["indexer"]}]
        ),
        "teams[0].sync_windows[0].applications[0]",
        "'indexer' is an app of team search: a team's windows hold only its own apps|[argocd-sync-windows]",
    ),
    (
        "a pattern",
        lambda d: d["teams"][0].update(
            sync_windows=[{"kind": "deny", "schedule": "0 22 * * *", "duration": "1h", "applications": ["*"]}]
        ),
        "teams[0].sync_windows[0].applications[0]",
        "'*' is a pattern",
    ),
    (
        "an Application name instead of the app's",
        lambda d: d["teams"][0].update(
            sync_windows=[
                {"kind": "deny", "schedule": "0 22 * * *", "duration": "1h", "applications": ["payments-ledger"]}
            ]
        ),
        "teams[0].sync_windows[0].applications[0]",
        "write the app's name, 'ledger'",
    ),
    (
        "the platform's app",
        lambda d: d["teams"][0].update(
            sync_windows=[{"kind": "deny", "schedule": "0 22 * * *", "duration": "1h", "applications": ["root"]}]
        ),
        "teams[0].sync_windows[0].applications[0]",
        "'root' is not an app of team payments (its apps: checkout, ledger)",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "reason"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_refused_with_the_field_path_and_the_reason(mutate: Mutation, path: str, reason: str) -> None:
    data = catalog()
    mutate(data)
    found = problems(data)
    # Fragments separated by '|' must all be in the one message (the reason, then the rule id).
    assert any(p.startswith(f"{path}: ") and all(f in p for f in reason.split("|")) for p in found), found


def test_skipping_validation_is_refused_in_production_and_allowed_elsewhere() -> None:
    data = catalog()
    checkout(data)["sync"] = {"options": ["Validate=false"]}
    assert application(render(data), "payments", "checkout")["spec"]["syncPolicy"]["syncOptions"][1] == "Validate=false"
    found = problems(production(data))
    assert any(
        p.startswith("teams[0].apps[0].sync.options[0]: Validate=false in production") and "[argocd-sync-options]" in p
        for p in found
    ), found


# The passing side of each guardrail above: the same field, used the safe way.
ALLOWED: list[tuple[str, Mutation]] = [
    (
        "CreateNamespace=false is the fleet's own",
        lambda d: checkout(d).update(sync={"options": ["CreateNamespace=false"]}),
    ),
    ("Delete=confirm", lambda d: d.update(defaults={"sync": {"options": ["Delete=confirm"]}})),
    (
        "Replace alone, ServerSideApply turned off for the app",
        lambda d: (
            d.update(defaults={"sync": {"options": ["ServerSideApply=true"]}}),
            checkout(d).update(sync={"options": ["Replace=true", "ServerSideApply=false"]}),
        ),
    ),
    ("zero retries", lambda d: checkout(d).update(sync={"retry": {"limit": 0}})),
    (
        "fields, not parts",
        lambda d: checkout(d).update(
            ignore_differences=[
                {
                    "group": "apps",
                    "kind": "Deployment",
                    "json_pointers": ["/spec/replicas", "/metadata/annotations/deployment.kubernetes.io~1revision"],
                    "jq_path_expressions": [".spec.template.spec.containers[].image"],
                    "managed_fields_managers": ["kube-controller-manager", "argocd-image-updater"],
                }
            ]
        ),
    ),
    ("the team's other namespace", lambda d: _second_namespace_ignore(d)),
    (
        "an https link and plain text",
        lambda d: checkout(d).update(
            info=[{"name": "Docs", "value": "https://docs"}, {"name": "Slack", "value": "#payments"}]
        ),
    ),
    (
        "a webhook without recipient",
        lambda d: (
            d["argocd"]["notifications"]["services"].append("deploy-hook"),
            checkout(d).update(notifications=[{"trigger": "on-deployed", "service": "deploy-hook"}]),
        ),
    ),
    (
        "a custom trigger the platform declared",
        lambda d: (
            d["argocd"]["notifications"].update(triggers=["on-rollout-aborted"]),
            checkout(d).update(notifications=[{"trigger": "on-rollout-aborted", "service": "slack", "recipient": "x"}]),
        ),
    ),
    (
        "the team's own apps, names and ranges",
        lambda d: d["teams"][0].update(
            sync_windows=[
                {
                    "kind": "deny",
                    "schedule": "0 22 * jan-dec sun,sat",
                    "duration": "1h30m",
                    "applications": ["ledger", "checkout"],
                },
                {"kind": "allow", "schedule": "5/15 * ? * *", "duration": "10m", "timezone": "UTC"},
            ]
        ),
    ),
]


def _second_namespace_ignore(d: dict[str, Any]) -> None:
    d["teams"][0]["namespaces"] = [{"name": "payments"}, {"name": "payments-jobs"}]
    checkout(d)["ignore_differences"] = [
        {"kind": "Deployment", "namespace": "payments-jobs", "json_pointers": ["/spec/replicas"]}
    ]


@pytest.mark.parametrize("mutate", [a[1] for a in ALLOWED], ids=[a[0] for a in ALLOWED])
def test_the_safe_neighbour_is_rendered_and_valid(mutate: Mutation) -> None:
    data = production(catalog())
    mutate(data)
    state = render(data)
    for team in state.teams:
        valid_argocd(team.project.obj)
        for app in team.apps:
            valid_argocd(app.applications[0].obj)


# --- the resource rule: any stack's Application ---------------------------------------------------
def _app(options: list[str]) -> dict[str, Any]:
    return {"spec": {"project": "team", "syncPolicy": {"syncOptions": options}}}


def test_the_resource_rule_refuses_validate_false_only_in_production() -> None:
    (rule,) = RULES
    kind = "kubernetes:argoproj.io/v1alpha1:Application"
    assert list(rule.judge(kind, _app(["Validate=false"]), Settings())) == []
    assert any("in production" in m for m in rule.judge(kind, _app(["Validate=false"]), Settings(production=True)))
    # A patch that sets no sync policy leaves it as it is.
    assert list(rule.judge(f"{kind}Patch", {"spec": {"project": "team"}}, Settings(production=True))) == []


def test_every_option_argocd_takes_is_known_with_its_values() -> None:
    for name, values in argocd_sync.SYNC_OPTIONS.items():
        for value in values:
            assert argocd_sync.option_problem(f"{name}={value}") is None
    assert argocd_sync.option_problem("PrunePropagationPolicy=delete") is not None


def test_the_catalog_and_the_rendered_objects_agree() -> None:
    """What the catalog rule refuses, the resource rule refuses too (a template bug cannot ship it)."""
    (rule,) = RULES
    kind = "kubernetes:argoproj.io/v1alpha1:Application"
    for option in ("CreateNamespace=true", "Delete=false", "Force=true", "Validate=Off"):
        assert list(rule.judge(kind, _app([option]), Settings(production=True))), option


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("1h30m", 5400), ("1.5h", 5400), ("250ms", 0.25), ("3m0s", 180)]
)
def test_go_durations(text: str, seconds: float) -> None:
    assert argocd_sync.duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "1d", "-5m", "1h 30m", "m"])
def test_not_go_durations(text: str) -> None:
    assert argocd_sync.duration_seconds(text) is None


def test_rendered_objects_of_the_cases_reach_the_crd_referee() -> None:
    """The referee is real: a misspelt Argo CD field of the new ones is caught."""
    data = catalog()
    checkout(data)["sync"] = {"retry": {"limit": 1, "backoff": {"max_duration": "1m"}}}
    obj: Manifest = next(a.applications[0] for t in render(data).teams for a in t.apps if a.name == "checkout")
    typo = copy.deepcopy(obj.obj)
    typo["spec"]["syncPolicy"]["retry"]["backoff"]["maxDurations"] = "1m"
    assert unknown_fields(typo, argocd_schema("Application")) == [".spec.syncPolicy.retry.backoff.maxDurations"]
    wrong = copy.deepcopy(obj.obj)
    wrong["spec"]["syncPolicy"]["retry"]["limit"] = "one"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, argocd_schema("Application"))
