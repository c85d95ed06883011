"""`fleet status` offline: the pure core on API responses recorded from a real kube-apiserver.

`tests/data/status/{dev,prod}.json` are what the reader listed from two loopback API servers
after `python -m tests.status_scenario` wrote the scenario into them (`scripts/status-recordings.sh`
records them again after a change of what the program renders, which they otherwise show as drift) (dev: every Argo CD state,
an absent Application, an undeclared one, one in the default project, an undeclared project, a
hand-edited quota, a RoleBinding added by hand; prod: everything Synced and Healthy). The live
test (`tests/e2e/test_status_live.py`) runs the same scenario end to end.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from fleet import guardrails
from fleet.apis.argocd import ARGOCD_KINDS
from fleet.apis.kubernetes import READ_KINDS
from fleet.catalog.naming import Names
from fleet.compiler import load_state
from fleet.render.resources import reader_resources
from fleet.render.state import FleetState
from fleet.reports import access
from fleet.status import formats as status_formats
from fleet.status import html as status_html
from fleet.status import report as status
from tests import status_scenario as scenario
from tests.conftest import ROOT, catalog_path, shipped
from tests.test_access_html import chromium, needs_chromium
from tests.test_markdown import _LIVE, render

SCHEMA = json.loads((ROOT / "schemas" / "status.v1.json").read_text())


def recorded(environment: str) -> status.Observed:
    data = json.loads((scenario.RECORDINGS / f"{environment}.json").read_text())
    return status.Observed(
        context=data["context"],
        server=data["server"],
        observed_at=data["observed_at"],
        objects=tuple(data["objects"]),
        applications=tuple(data["applications"]),
        projects=tuple(data["projects"]),
        clusters=tuple(
            status.ClusterObserved(
                name=c["name"], context=c["context"], server=c["server"], objects=tuple(c["objects"])
            )
            for c in data.get("clusters") or []
        ),
    )


@pytest.fixture(scope="module")
def states() -> dict[str, FleetState]:
    return {env: load_state(catalog_path(env))[1] for env in ("dev", "prod")}


@pytest.fixture(scope="module")
def dev(states: dict[str, FleetState]) -> status.EnvironmentStatus:
    return status.environment(states["dev"], recorded("dev"))


@pytest.fixture(scope="module")
def prod(states: dict[str, FleetState]) -> status.EnvironmentStatus:
    return status.environment(states["prod"], recorded("prod"))


@pytest.fixture(scope="module")
def report(dev: status.EnvironmentStatus, prod: status.EnvironmentStatus) -> status.StatusReport:
    return status.report([dev, prod])


def by_name(env: status.EnvironmentStatus) -> dict[str, status.ApplicationStatus]:
    return {a.application: a for a in env.applications}


# --- the join ---------------------------------------------------------------------------------
def test_every_declared_application_gets_argo_cds_state(dev: status.EnvironmentStatus) -> None:
    apps = by_name(dev)
    assert set(apps) == set(scenario.DEV) | {scenario.ABSENT}
    for name, (sync, health, revision, phase, conditions) in scenario.DEV.items():
        a = apps[name]
        assert (a.found, a.sync, a.health, a.revision, a.operation_phase) == (True, sync, health, revision, phase)
        assert [c.type for c in a.conditions] == [c["type"] for c in conditions]
        assert a.last_synced_at == (None if phase == "Running" else scenario.FINISHED)
    verdicts = {name: a.verdict for name, a in apps.items()}
    assert verdicts == {
        "payments-checkout": "healthy",
        "payments-ledger": "out-of-sync",
        "payments-settlement": "degraded",
        "search-indexer": "progressing",
        "search-query-api": "missing",
        "identity-charts": "healthy",
        "identity-sessions": "healthy",
        "payments-gateway": "healthy",
        "search-cache": "healthy",
    }
    # a multi-source Application declares a revision per source (chart version, values repo)
    assert apps["payments-gateway"].declared_revision == "1.8.*, main"
    absent = apps[scenario.ABSENT]
    assert (absent.found, absent.health, absent.revision) == (False, "Missing", None)
    settlement = apps["payments-settlement"].conditions[0]
    assert (settlement.severity, settlement.message) == ("error", scenario.DEGRADED_CONDITION["message"])
    assert apps["payments-checkout"].declared_revision == "main"


def test_what_should_not_be_there(dev: status.EnvironmentStatus) -> None:
    found = {(u.kind, u.namespace, u.name, u.reason) for u in dev.unexpected}
    assert found == {
        ("Application", "argocd", "payments-experiment", "undeclared-application"),
        ("Application", "argocd", "scratch", "default-project"),
        ("AppProject", "argocd", "sandbox", "undeclared-project"),
        ("RoleBinding", "payments", "debug-admin", "not-in-plan"),
    }


def test_drift_is_exactly_the_hand_edit_and_the_absent_application(dev: status.EnvironmentStatus) -> None:
    """Every other object the API server returns (with its defaults, managed fields, canonical
    quantities) compares equal to the plan: no false drift."""
    _, quota, key, value = scenario.HAND_EDITED_QUOTA
    namespace = "payments"
    assert [(d.kind, d.namespace, d.name, d.state) for d in dev.drift] == [
        ("Application", "argocd", scenario.ABSENT, "missing"),
        ("ResourceQuota", namespace, quota, "changed"),
    ]
    assert [(f.path, f.planned, f.live) for f in dev.drift[1].fields] == [(f"spec.hard.{key}", "4", value)]
    assert dev.summary.drift == 2
    assert dev.summary.unexpected == 4


def test_an_environment_as_declared_is_clean(prod: status.EnvironmentStatus, states: dict[str, FleetState]) -> None:
    assert {a.verdict for a in prod.applications} == {"healthy"}
    # prod declares two clusters: one row per app per cluster, each read from its own API server
    assert len(prod.applications) == sum(len(a.applications) for t in states["prod"].teams for a in t.apps)
    assert len(prod.applications) > sum(len(t.apps) for t in states["prod"].teams)
    assert [c.name for c in prod.clusters] == ["eu-west", "eu-central"]
    assert prod.drift == []
    assert prod.unexpected == []
    assert status.failures(status.report([prod]), status.FAIL_ON) == []


def test_the_recordings_hold_every_planned_kind(states: dict[str, FleetState]) -> None:
    """The clean verdict above means something: the recording has every object of the plan."""
    observed = recorded("prod")
    live = {
        (c.name, o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])
        for c in observed.clusters
        for o in c.objects
    }
    live |= {(None, "AppProject", "argocd", p["metadata"]["name"]) for p in observed.projects}
    live |= {(None, "Application", "argocd", a["metadata"]["name"]) for a in observed.applications}
    # Argo CD's cluster is read for Argo CD's kinds; each declared cluster for the others.
    read_on = {None: {kind.name for kind in ARGOCD_KINDS}}
    planned = {(c, m.kind, m.namespace, m.name) for c, m in states["prod"].placed()}
    readable = {k for k in planned if k[1] in read_on.get(k[0], {kind.name for kind in READ_KINDS})}
    assert readable <= live
    assert {k[0] for k in readable} == {None, "eu-west", "eu-central"}
    assert len(readable) > 120


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda o: o["metadata"]["labels"].update({"pod-security.kubernetes.io/enforce": "privileged"}), "changed"),
        (lambda o: o["metadata"]["labels"].pop("pod-security.kubernetes.io/enforce"), "changed"),
        (lambda o: o["metadata"]["labels"].update({"added-by": "someone"}), None),  # others' labels are theirs
        (lambda o: o["metadata"].setdefault("annotations", {}).update({"note": "x"}), None),
    ],
)
def test_namespace_labels(states: dict[str, FleetState], change: Any, expected: str | None) -> None:
    observed = recorded("prod")
    objects = on_cluster(observed)
    payments = next(o for o in objects if o["kind"] == "Namespace" and o["metadata"]["name"] == "payments")
    change(payments)
    env = status.environment(states["prod"], with_objects(observed, objects))
    assert [(d.state, d.cluster) for d in env.drift] == ([(expected, CHANGED_CLUSTER)] if expected else [])


def _with(observed: status.Observed, **changes: Any) -> status.Observed:
    return status.Observed(**{**observed.__dict__, **changes})


CHANGED_CLUSTER = "eu-west"  # prod's cluster the hand edits below are made on


def on_cluster(observed: status.Observed, name: str = CHANGED_CLUSTER) -> list[dict[str, Any]]:
    """A copy of what was read on one of prod's declared clusters."""
    (cluster,) = [c for c in observed.clusters if c.name == name]
    return copy.deepcopy(list(cluster.objects))


def with_objects(
    observed: status.Observed, objects: list[dict[str, Any]], name: str = CHANGED_CLUSTER
) -> status.Observed:
    clusters = tuple(
        status.ClusterObserved(c.name, c.context, c.server, tuple(objects)) if c.name == name else c
        for c in observed.clusters
    )
    return _with(observed, clusters=clusters)


def test_a_deleted_namespace_and_a_hand_added_rule(states: dict[str, FleetState]) -> None:
    observed = recorded("prod")
    objects = [o for o in on_cluster(observed) if o["metadata"].get("namespace") != "payments-jobs"]
    objects = [o for o in objects if not (o["kind"] == "Namespace" and o["metadata"]["name"] == "payments-jobs")]
    viewer = next(o for o in objects if o["kind"] == "Role" and o["metadata"]["name"] == "fleet-viewer")
    viewer["rules"].append({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]})
    env = status.environment(states["prod"], with_objects(observed, objects))
    assert {d.cluster for d in env.drift} == {CHANGED_CLUSTER}  # the other cluster is as planned
    missing = {(d.kind, d.name) for d in env.drift if d.state == "missing" and d.namespace in ("payments-jobs", None)}
    planned = {
        (m.kind, m.name)
        for t in states["prod"].teams
        for m in t.manifests()
        if "payments-jobs" in (m.namespace, m.name)
    }
    planned |= {
        (a.service_account.kind, a.service_account.name)
        for t in states["prod"].teams
        for a in t.apps
        if a.namespace == "payments-jobs"
    }
    assert missing == planned
    changed = [d for d in env.drift if d.state == "changed"]
    assert [(d.kind, d.namespace, d.name) for d in changed] == [
        ("Role", viewer["metadata"]["namespace"], "fleet-viewer")
    ]
    assert changed[0].fields[0].path == "rules"  # a rule more: the list differs as a whole


def test_a_hand_edited_application_spec_is_drift(states: dict[str, FleetState]) -> None:
    observed = recorded("prod")
    applications = copy.deepcopy(list(observed.applications))
    name = f"payments-checkout-{CHANGED_CLUSTER}"  # its Application on one of prod's clusters
    checkout = next(a for a in applications if a["metadata"]["name"] == name)
    checkout["spec"]["source"]["targetRevision"] = "hotfix"
    checkout["operation"] = {"sync": {"revision": "hotfix"}}  # Argo CD's own field: never drift
    env = status.environment(states["prod"], _with(observed, applications=tuple(applications)))
    app = by_name(env)[name]
    assert [(f.path, f.live) for f in app.drift] == [("spec.source.targetRevision", "hotfix")]
    assert [(d.kind, d.name) for d in env.drift] == [("Application", name)]


@pytest.mark.parametrize(
    ("planned", "live", "same"),
    [
        ("0.5", "500m", True),
        ("1", "1000m", True),
        ("8Gi", "8589934592", True),
        ("1k", "1000", True),
        ("4", "64", False),
        ("8Gi", "8G", False),
        ("v1.31", "v1.32", False),
    ],
)
def test_quantities_compare_by_value(planned: str, live: str, same: bool) -> None:
    fields = status.compare({"spec": {"hard": {"cpu": planned}}}, {"spec": {"hard": {"cpu": live}}})
    assert (fields == []) is same


def test_omitted_empty_fields_are_not_drift() -> None:
    planned = {"spec": {"ingress": [], "podSelector": {}, "policyTypes": ["Ingress"]}}
    assert status.compare(planned, {"spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}) == []
    assert status.compare(planned, {"spec": {"podSelector": {}, "policyTypes": ["Ingress"], "egress": [{}]}}) != []


# --- across environments, the gate, the promote question ---------------------------------------
def test_one_row_per_app_with_every_environment_side_by_side(report: status.StatusReport) -> None:
    rows = {(r.team, r.app): r for r in report.apps}
    checkout, ledger = rows[("payments", "checkout")], rows[("payments", "ledger")]
    assert set(checkout.environments) == {"dev", "prod"}
    assert checkout.environments["dev"].revision == checkout.environments["prod"].revision == scenario.REV_A
    assert checkout.same_revision is True
    assert (ledger.environments["dev"].revision, ledger.environments["prod"].revision) == (
        scenario.REV_B,
        scenario.REV_C,
    )
    assert ledger.same_revision is False
    only_prod = [r for r in report.apps if set(r.environments) == {"prod"}]
    assert only_prod
    assert all(r.same_revision is None for r in only_prod)


@pytest.mark.parametrize(
    ("fail_on", "reasons"),
    [
        (["degraded"], {"payments-settlement", "search-query-api"}),
        (["out-of-sync"], {"payments-ledger", "search-query-api"}),
        (["drift"], {"fleet-quota", "search-query-api", "payments-experiment", "scratch", "sandbox", "debug-admin"}),
        ([], set()),
    ],
)
def test_fail_on(report: status.StatusReport, fail_on: list[status.FailOn], reasons: set[str]) -> None:
    lines = status.failures(report, fail_on)
    assert all(line.startswith("dev: ") for line in lines)  # prod is clean
    assert {name for name in reasons if any(name in line for line in lines)} == reasons
    assert len(lines) == len(reasons)


def test_ready_answers_synced_healthy_on_a_revision(dev: status.EnvironmentStatus) -> None:
    assert status.ready(dev, "payments", "checkout").ok
    assert status.ready(dev, "payments", "checkout", scenario.REV_A).ok
    assert status.ready(dev, "payments", "checkout", scenario.REV_A[:7]).ok
    assert not status.ready(dev, "payments", "checkout", scenario.REV_A[:6]).ok  # too short to mean a commit
    wrong = status.ready(dev, "payments", "checkout", scenario.REV_B)
    assert not wrong.ok
    assert scenario.REV_A in wrong.reason
    assert "OutOfSync/Healthy" in status.ready(dev, "payments", "ledger").reason
    assert "absent" in status.ready(dev, "search", "query-api").reason
    assert "not in the catalog" in status.ready(dev, "payments", "nope").reason


# --- the formats ------------------------------------------------------------------------------
def test_committed_schema_is_the_model() -> None:
    assert status.json_schema() == SCHEMA


def test_json_output_validates_against_the_schema(report: status.StatusReport) -> None:
    data = json.loads(report.model_dump_json())
    jsonschema.validate(data, SCHEMA)
    assert data["version"] == 1
    broken = copy.deepcopy(data)
    next(r for r in broken["apps"] if "dev" in r["environments"])["environments"]["dev"]["verdict"] = "fine"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def seen(markdown: str) -> str:
    """What a reader sees: the Markdown rendered by GitHub's engine (cmark-gfm), as text."""
    return "".join(render(markdown).text).replace("\u2060", "")


def test_markdown_shows_each_environment_side_by_side(report: status.StatusReport) -> None:
    text = status_formats.markdown(report)
    shape = render(text)
    # the cross-environment table, dev's troubled apps, prod's apps per cluster
    assert shape.tags.count("table") == 3
    assert "| payments/checkout | eu\\-central | Synced | Healthy |" in text
    headers = re.findall(r"<th>([^<]*)</th>", _html(text))[:5]
    assert headers == ["team", "app", "dev", "prod", "same revision"]
    shown = seen(text)
    assert f"OutOfSync / Healthy {scenario.REV_B[:7]}" in shown
    assert f"Synced / Healthy {scenario.REV_C[:7]}" in shown
    assert "ImagePullBackOff" in shown
    assert "spec.hard.requests.cpu: plan 4, live 64" in shown
    assert "default-project Application scratch is in Argo CD's default project" in shown
    ledger = next(line for line in text.splitlines() if line.startswith("| payments | ledger |"))
    assert ledger.endswith("| **no** |")
    assert "| search | query\\-api | **absent** |" in text


def _html(markdown: str) -> str:
    import cmarkgfm

    return cmarkgfm.github_flavored_markdown_to_html(markdown)


@pytest.mark.parametrize(
    "hostile", ["a | b <script>x</script>\n| c", "@alice see #12 https://evil.example ```", "<!-- hide"]
)
def test_markdown_keeps_its_structure_whatever_the_cluster_says(report: status.StatusReport, hostile: str) -> None:
    """Condition messages and names come from the cluster: they must not change the page."""

    def with_message(message: str) -> str:
        env = report.environments[0]
        apps = [
            a.model_copy(update={"conditions": [c.model_copy(update={"message": message}) for c in a.conditions]})
            for a in env.applications
        ]
        changed = report.model_copy(
            update={"environments": [env.model_copy(update={"applications": apps}), *report.environments[1:]]}
        )
        return status_formats.markdown(changed)

    bad, good = render(with_message(hostile)), render(with_message("x"))
    assert bad.tags == good.tags
    assert bad.comments == []
    assert not [t for t in bad.live_text if _LIVE.search(t)]
    assert hostile.replace("\n", "␤") in seen(with_message(hostile))


def test_openmetrics_parses_and_says_what_the_report_says(report: status.StatusReport) -> None:
    text = status_formats.openmetrics(report)
    families = {f.name: f for f in text_string_to_metric_families(text)}  # the reference parser
    health = {
        (s.labels["environment"], s.labels["team"], s.labels["app"], s.labels.get("cluster")): s.labels["status"]
        for s in families["app_of_apps_application_health"].samples
        if s.value == 1
    }
    assert health[("dev", "payments", "settlement", None)] == "Degraded"
    assert health[("dev", "search", "query-api", None)] == "Missing"
    assert health[("prod", "payments", "checkout", "eu-west")] == "Healthy"
    assert health[("prod", "payments", "checkout", "eu-central")] == "Healthy"
    assert len(health) == sum(len(e.applications) for e in report.environments)  # exactly one status each
    sync = {
        (s.labels["environment"], s.labels["app"]): s.labels["status"]
        for s in families["app_of_apps_application_sync"].samples
        if s.value == 1
    }
    assert sync[("dev", "ledger")] == "OutOfSync"
    info = {
        s.labels["app"]: s.labels
        for s in families["app_of_apps_application"].samples
        if s.labels["environment"] == "dev"
    }
    assert info["checkout"]["revision"] == scenario.REV_A
    assert info["checkout"]["declared_revision"] == "main"
    drifted = {
        (s.labels["environment"], s.labels["state"]): s.value for s in families["app_of_apps_drifted_objects"].samples
    }
    assert drifted == {("dev", "missing"): 1, ("dev", "changed"): 1, ("prod", "missing"): 0, ("prod", "changed"): 0}
    unexpected = {
        s.labels["reason"]: s.value
        for s in families["app_of_apps_unexpected_objects"].samples
        if s.labels["environment"] == "dev"
    }
    assert unexpected == {"undeclared-application": 1, "default-project": 1, "undeclared-project": 1, "not-in-plan": 1}
    assert text.endswith("# EOF\n")


# --- the HTML page ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def page(report: status.StatusReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("status") / "status.html"
    path.write_text(status_html.page(report), encoding="utf-8")
    return path


def test_page_is_self_contained(page: Path) -> None:
    text = page.read_text()
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", text)
    assert "url(" not in text
    assert "@import" not in text
    assert "default-src 'none'" in text


def test_what_the_clusters_say_stays_text(report: status.StatusReport) -> None:
    """Condition messages, object names and live values come from the clusters: never markup."""
    hostile = "</code></li><script>alert(1)</script>"
    data = report.model_dump(mode="json")
    for env in data["environments"]:
        env["context"] += hostile
        for app in env["applications"]:
            app["last_synced_at"] = hostile
            for condition in app["conditions"]:
                condition["message"] += hostile
        for unexpected in env["unexpected"]:
            unexpected["message"] += hostile
        for drift in env["drift"]:
            drift["name"] += hostile
            for field in drift["fields"]:
                field["live"] = {"value": hostile}
    for row in data["apps"]:
        for cell in row["environments"].values():
            cell["declared_revision"] += hostile
    text = status_html.page(status.StatusReport.model_validate(data))
    assert text.count("<script>") == 1  # the page's own filter script
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") > 20
    assert "{&#x27;value&#x27;: &#x27;&lt;/code&gt;&lt;/li&gt;&lt;script&gt;" in text


@needs_chromium
def test_chromium_renders_and_filters_by_team_and_environment(page: Path, tmp_path: Path) -> None:
    result = chromium(tmp_path, "--dump-dom", f"{page.as_uri()}#team=payments&env=prod")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    rows = re.findall(r'<tr data-team="([^"]+)"( class="hidden")?', dom)
    assert {team for team, hidden in rows if not hidden} == {"payments"}
    assert len(rows) > len([r for r in rows if not r[1]])
    hidden_dev = re.findall(
        r'data-env="dev"[^>]*class="[^"]*hidden-env|class="[^"]*hidden-env"[^>]*data-env="dev"', dom
    )
    shown_prod = re.findall(r'<t[dh] class="st [^"]*" data-env="prod"', dom)
    assert hidden_dev
    assert shown_prod
    assert 'class="st degraded' in dom  # coloured by health


@needs_chromium
def test_chromium_takes_a_screenshot(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "status.png"
    result = chromium(tmp_path, "--window-size=1400,1100", f"--screenshot={shot}", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert shot.stat().st_size > 50_000


# --- the reader's access ------------------------------------------------------------------------
def test_the_reader_may_only_get_and_list_what_it_lists(states: dict[str, FleetState]) -> None:
    state = states["dev"]
    objects = {(m.kind, m.namespace): m.obj for m in state.reader_objects}
    assert set(objects) == {
        ("ClusterRole", None),
        ("ClusterRoleBinding", None),
        ("Role", "argocd"),
        ("RoleBinding", "argocd"),
    }
    granted = {
        (group, resource)
        for kind in ("ClusterRole", "Role")
        for rule in objects[(kind, None if kind == "ClusterRole" else "argocd")]["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        if rule["verbs"] == ["get", "list"]
    }
    listed = {(kind.group, kind.plural) for kind in (*READ_KINDS, *ARGOCD_KINDS)}
    assert granted == listed
    assert not any(resource in ("secrets", "configmaps", "*") for _, resource in granted)
    for binding in ("ClusterRoleBinding", "RoleBinding"):
        assert objects[(binding, None if binding == "ClusterRoleBinding" else "argocd")]["subjects"] == [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": Names.STATUS_READER}
        ]


def test_the_guardrails_accept_the_reader_and_would_refuse_it_reading_secrets(states: dict[str, FleetState]) -> None:
    resources = reader_resources(states["prod"])
    for resource in resources:
        for rule in guardrails.RESOURCE_RULES:
            if rule.applies_to(resource.type):
                assert list(rule.check(resource.props, guardrails.Settings())) == [], (rule.id, resource.name)
    cluster_role = next(r for r in resources if r.type.endswith(":ClusterRole"))
    greedy = copy.deepcopy(cluster_role.props)
    greedy["rules"][0]["resources"].append("secrets")
    view_rule = next(r for r in guardrails.RESOURCE_RULES if r.id == "k8s-view-no-secrets")
    assert list(view_rule.check(greedy, guardrails.Settings()))
    # It binds a plain group; the same binding to a built-in system: group would be refused.
    binding = next(r for r in resources if r.type.endswith(":ClusterRoleBinding"))
    system_rule = next(r for r in guardrails.RESOURCE_RULES if r.id == "k8s-no-system-group-bindings")
    assert list(system_rule.check(binding.props, guardrails.Settings())) == []
    everyone = copy.deepcopy(binding.props)
    everyone["subjects"][0]["name"] = "system:authenticated"
    assert list(system_rule.check(everyone, guardrails.Settings()))


def test_the_access_report_shows_the_reader(states: dict[str, FleetState]) -> None:
    data = access.matrix(states["dev"])
    assert [r.kubernetes_group for r in data.readers] == [Names.STATUS_READER]
    scopes = data.readers[0].kubernetes
    assert set(scopes) == {"(cluster-wide)", "argocd"}
    assert scopes["argocd"] == {"argoproj.io/applications": ["get", "list"], "argoproj.io/appprojects": ["get", "list"]}
    assert "secrets" not in scopes["(cluster-wide)"]
    assert "| fleet-status |" in access.markdown(data)


# --- the command line ---------------------------------------------------------------------------
def fleet(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fleet", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )


def kubeconfig(tmp_path: Path, server: str, context: str = "acme-dev") -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
                "users": [{"name": "u", "user": {"token": "not-a-token"}}],
                "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}}],
                "current-context": context,
            }
        )
    )
    return path


def test_an_unreachable_api_server_exits_2_naming_context_and_server(tmp_path: Path) -> None:
    config = kubeconfig(tmp_path, "https://127.0.0.1:9")  # nothing listens on the discard port
    result = fleet("status", shipped("dev"), "--kubeconfig", str(config))
    assert result.returncode == 2, result.stderr
    assert "environment dev (context acme-dev, https://127.0.0.1:9)" in result.stderr
    assert "cannot reach the API server" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--context", "nope"], "has no context 'nope'; it has: acme-dev"),
        (["--context", "prod=acme-dev"], "no catalog for environment 'prod'"),
        (["--kubeconfig", "/nonexistent/kubeconfig"], "kubeconfig /nonexistent/kubeconfig does not exist"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    config = kubeconfig(tmp_path, "https://127.0.0.1:9")
    result = fleet("status", shipped("dev"), "--kubeconfig", str(config), *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_two_catalogs_of_one_environment_are_refused(tmp_path: Path) -> None:
    result = fleet(
        "status", shipped("dev"), shipped("dev"), "--kubeconfig", str(kubeconfig(tmp_path, "https://127.0.0.1:9"))
    )
    assert result.returncode == 2
    assert "environment dev is given by more than one catalog" in result.stderr


def test_the_catalog_names_the_context(write_catalog: Any, base: dict[str, Any]) -> None:
    base["cluster"]["context"] = "arn:aws:eks:eu-west-1:111111111111:cluster/acme-dev"
    assert fleet("validate", str(write_catalog(base))).returncode == 0
    base["cluster"]["context"] = "two words"
    result = fleet("validate", str(write_catalog(base)))
    assert result.returncode == 1
    assert "cluster.context: 'two words' is not a context name" in result.stderr


# --- several clusters: one row per app per cluster, ready only when every cluster is ------------
def _on_clusters(
    env: status.EnvironmentStatus, app: str, *rows: tuple[str, str, str | None]
) -> status.EnvironmentStatus:
    """`env` with `app`'s one row replaced by one per (cluster, verdict, revision)."""
    (row,) = [a for a in env.applications if a.app == app]
    placed = [
        row.model_copy(update={"application": f"{row.application}-{c}", "cluster": c, "verdict": v, "revision": r})
        for c, v, r in rows
    ]
    others = [a for a in env.applications if a.app != app]
    return env.model_copy(update={"applications": [*others, *placed]})


def test_a_planned_application_carries_its_cluster(dev: status.EnvironmentStatus) -> None:
    assert {a.cluster for a in dev.applications} == {None}  # the shipped catalogs declare no clusters


def test_ready_asks_every_cluster(dev: status.EnvironmentStatus) -> None:
    both = _on_clusters(dev, "checkout", ("east", "healthy", scenario.REV_A), ("west", "healthy", scenario.REV_A))
    assert status.ready(both, "payments", "checkout", scenario.REV_A).ok
    one_down = _on_clusters(dev, "checkout", ("east", "healthy", scenario.REV_A), ("west", "degraded", scenario.REV_A))
    verdict = status.ready(one_down, "payments", "checkout", scenario.REV_A)
    assert not verdict.ok
    assert "payments-checkout-west" in verdict.reason
    behind = _on_clusters(dev, "checkout", ("east", "healthy", scenario.REV_A), ("west", "healthy", scenario.REV_B))
    assert not status.ready(behind, "payments", "checkout", scenario.REV_A).ok
    split = status.ready(behind, "payments", "checkout")
    assert not split.ok
    assert "on its clusters, not one revision" in split.reason


def test_the_report_shows_an_app_on_several_clusters_as_one_cell_per_environment(
    dev: status.EnvironmentStatus, prod: status.EnvironmentStatus
) -> None:
    both = _on_clusters(dev, "checkout", ("east", "healthy", scenario.REV_A), ("west", "degraded", scenario.REV_B))
    (row,) = [r for r in status.report([both, prod]).apps if r.app == "checkout"]
    assert row.environments["dev"].verdict == "degraded"
    assert row.environments["dev"].revision is None  # the clusters disagree
