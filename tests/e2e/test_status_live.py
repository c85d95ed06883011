"""`fleet status` against a real kube-apiserver, run as a subject bound only to `fleet-status`.

Two environments on one API server (each with its own namespaces and Argo CD namespace, both
derived from the dev catalog): the plan is applied, Application statuses are written as Argo CD
would (Synced/Healthy, OutOfSync, Degraded with a condition, Progressing, and one absent), and
in the first an undeclared Application, one in the default project, an undeclared AppProject,
a hand-raised quota and a hand-made RoleBinding. `fleet status` must report exactly those, in
every format, reading as `fleet-ci` in group `fleet-status` (impersonated by the admin); a
SubjectAccessReview shows that subject cannot read Secrets.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from fleet.catalog.naming import Names
from fleet.compiler import load_state
from fleet.render.state import FleetState
from tests import status_scenario as scenario
from tests.conftest import ROOT, catalog_path
from tests.e2e.kube import Kube

WITH_TROUBLE, CLEAN = "st1", "st2"
AS = ("--as", "fleet-ci", "--as-group", Names.STATUS_READER)


@pytest.fixture(scope="module")
def fleet_env(
    kubeconfig: str, kube: Kube, argocd_crds: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("status-live")
    catalogs: dict[str, Path] = {}
    states: dict[str, FleetState] = {}
    cluster = scenario.Cluster(kubeconfig)
    try:
        for env in (WITH_TROUBLE, CLEAN):
            path = folder / f"{env}.yaml"
            path.write_text(yaml.safe_dump(scenario.derive(catalog_path("dev"), env), sort_keys=False))
            catalogs[env], states[env] = path, load_state(path)[1]
            trouble = env == WITH_TROUBLE
            scenario.write(
                cluster, states[env], scenario.DEV if trouble else scenario.others(states[env]), hand_edits=trouble
            )
        yield {"catalogs": catalogs, "states": states, "kubeconfig": kubeconfig, "cluster": cluster}
    finally:
        try:
            cluster.close()
        finally:
            remove_written(kube, list(states.values()))


def remove_written(kube: Kube, states: list[FleetState]) -> None:
    """What the scenario wrote, gone: the plan's cluster-wide objects, and its namespaces and the
    Argo CD namespace of each environment with everything in them."""
    namespaces = []
    for state in states:
        namespaces.append(state.argocd_namespace)
        for _, manifest in state.placed():
            meta = manifest.obj["metadata"]
            if manifest.kind == "Namespace":
                namespaces.append(meta["name"])
            elif "namespace" not in meta:
                kube.delete(kube.path_of(manifest.obj["apiVersion"], manifest.kind, meta["name"]))
    assert kube.delete_namespaces(namespaces) == []


def fleet_status(
    env: dict[str, Any], *args: str, envs: tuple[str, ...] = (WITH_TROUBLE, CLEAN)
) -> subprocess.CompletedProcess[str]:
    catalogs = [str(env["catalogs"][e]) for e in envs]
    return subprocess.run(
        [sys.executable, "-m", "fleet", "status", *catalogs, "--kubeconfig", env["kubeconfig"], *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_it_reports_exactly_what_was_written(fleet_env: dict[str, Any]) -> None:
    result = fleet_status(fleet_env, *AS, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    trouble, clean = data["environments"]
    verdicts = {a["application"]: a["verdict"] for a in trouble["applications"]}
    assert verdicts == {
        "payments-checkout": "healthy",
        "payments-ledger": "out-of-sync",
        "payments-settlement": "degraded",
        "search-indexer": "progressing",
        "search-query-api": "missing",
        "identity-charts": "healthy",
        "identity-sessions": "healthy",
        # and every app the scenario writes Synced/Healthy (the shipped catalog may add apps)
        **{name: "healthy" for name, written in scenario.DEV.items() if written[:2] == ("Synced", "Healthy")},
    }
    assert set(verdicts) == set(scenario.DEV) | {scenario.ABSENT}
    settlement = next(a for a in trouble["applications"] if a["application"] == "payments-settlement")
    assert [(c["type"], c["severity"]) for c in settlement["conditions"]] == [("SyncError", "error")]
    argocd = fleet_env["states"][WITH_TROUBLE].argocd_namespace
    namespace = scenario.hand_edited_namespace(fleet_env["states"][WITH_TROUBLE])
    assert {(u["kind"], u["namespace"], u["name"], u["reason"]) for u in trouble["unexpected"]} == {
        ("Application", argocd, "payments-experiment", "undeclared-application"),
        ("Application", argocd, "scratch", "default-project"),
        ("AppProject", argocd, "sandbox", "undeclared-project"),
        ("RoleBinding", namespace, "debug-admin", "not-in-plan"),
    }
    assert [(d["kind"], d["name"], d["state"]) for d in trouble["drift"]] == [
        ("Application", scenario.ABSENT, "missing"),
        ("ResourceQuota", "fleet-quota", "changed"),
    ]
    assert trouble["drift"][1]["fields"] == [{"path": "spec.hard.requests.cpu", "planned": "4", "live": "64"}]
    assert {a["verdict"] for a in clean["applications"]} == {"healthy"}
    assert (clean["drift"], clean["unexpected"]) == ([], [])
    ledger = next(r for r in data["apps"] if (r["team"], r["app"]) == ("payments", "ledger"))
    assert (ledger["environments"][WITH_TROUBLE]["revision"], ledger["environments"][CLEAN]["revision"]) == (
        scenario.REV_B,
        scenario.REV_C,
    )
    assert ledger["same_revision"] is False


def test_every_format(fleet_env: dict[str, Any]) -> None:
    md = fleet_status(fleet_env, *AS)
    assert md.returncode == 0, md.stderr
    assert f"| team | app | {WITH_TROUBLE} | {CLEAN} | same revision |" in md.stdout
    assert "| search | query\\-api | **absent** |" in md.stdout  # escaped by fleet/text/markdown.py
    html = fleet_status(fleet_env, *AS, "--format", "html")
    assert html.returncode == 0, html.stderr
    assert 'class="st degraded"' in html.stdout
    apps = {(t.name, a.name) for e in (WITH_TROUBLE, CLEAN) for t in fleet_env["states"][e].teams for a in t.apps}
    assert html.stdout.count('<tr data-team="') == len(apps)
    metrics = fleet_status(fleet_env, *AS, "--format", "openmetrics")
    assert metrics.returncode == 0, metrics.stderr
    families = {f.name: f for f in text_string_to_metric_families(metrics.stdout)}
    degraded = {
        (s.labels["environment"], s.labels["app"])
        for s in families["app_of_apps_application_health"].samples
        if s.labels["status"] == "Degraded" and s.value == 1
    }
    assert degraded == {(WITH_TROUBLE, "settlement")}


@pytest.mark.parametrize(
    ("fail_on", "envs", "code"),
    [
        ("drift", (WITH_TROUBLE, CLEAN), 1),
        ("degraded", (WITH_TROUBLE,), 1),
        ("out-of-sync", (WITH_TROUBLE,), 1),
        ("drift", (CLEAN,), 0),
        ("degraded", (CLEAN,), 0),
    ],
)
def test_exit_codes(fleet_env: dict[str, Any], fail_on: str, envs: tuple[str, ...], code: int) -> None:
    result = fleet_status(fleet_env, *AS, "--fail-on", fail_on, envs=envs)
    assert result.returncode == code, result.stderr
    if code:
        assert f"[{fail_on}]" in result.stderr


def test_a_subject_without_the_binding_gets_exit_2_naming_what_is_missing(fleet_env: dict[str, Any]) -> None:
    result = fleet_status(fleet_env, "--as", "nobody", "--as-group", "not-fleet-status", envs=(CLEAN,))
    assert result.returncode == 2
    assert "403 Forbidden" in result.stderr
    assert "fleet-status" in result.stderr
    assert "Traceback" not in result.stderr


def access_review(cluster: scenario.Cluster, verb: str, resource: str, namespace: str | None, group: str = "") -> bool:
    review = client.V1SubjectAccessReview(
        spec=client.V1SubjectAccessReviewSpec(
            user="fleet-ci",
            groups=[Names.STATUS_READER],
            resource_attributes=client.V1ResourceAttributes(
                verb=verb, resource=resource, namespace=namespace, group=group
            ),
        )
    )
    return bool(client.AuthorizationV1Api(cluster.api).create_subject_access_review(review).status.allowed)


def test_the_reader_cannot_read_secrets_or_write(fleet_env: dict[str, Any]) -> None:
    cluster = fleet_env["cluster"]
    state = fleet_env["states"][CLEAN]
    namespace = state.teams[0].namespaces[0]
    assert access_review(cluster, "list", "applications", state.argocd_namespace, "argoproj.io")
    assert access_review(cluster, "list", "resourcequotas", None)
    for verb in ("get", "list", "watch"):
        assert not access_review(cluster, verb, "secrets", namespace)
        assert not access_review(cluster, verb, "secrets", None)
    assert not access_review(cluster, "list", "configmaps", namespace)
    assert not access_review(cluster, "patch", "resourcequotas", namespace)
    assert not access_review(cluster, "update", "applications", state.argocd_namespace, "argoproj.io")
    assert not access_review(cluster, "list", "applications", namespace, "argoproj.io")  # only in Argo CD's namespace
