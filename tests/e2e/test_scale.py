"""A Kubernetes-only fleet of 100 apps under the real engine: `pulumi up` creates what the plan
says and a second preview finds nothing to do. The wall times are recorded (never asserted) in
build/e2e/scale.json. It takes minutes, more than the tier's 10-minute budget allows beside the
rest, so it runs only when asked: `E2E_SCALE=1 make e2e PYTEST_ARGS="-k hundred"`."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from benchmarks.generate import catalog
from fleet.compiler import state_from_text
from fleet.render.resources import desired_resources
from tests.conftest import ROOT
from tests.e2e.engine import Workspace
from tests.e2e.kube import Kube

APPS = 100
STACK = "dev"
TIMEOUT = 1800  # seconds per pulumi command; a busy 2-core machine needed more than 600 for `up`

pytestmark = pytest.mark.skipif(os.environ.get("E2E_SCALE") != "1", reason="the scale run is opt-in: E2E_SCALE=1")


def kubernetes_only(apps: int) -> dict[str, Any]:
    """The benchmark catalog without `aws` blocks: every resource but the Okta groups is a
    Kubernetes object that the API server really stores."""
    data = catalog(apps, STACK)
    for team in data["teams"]:
        for app in team["apps"]:
            app.pop("aws", None)
    return data


@pytest.fixture(scope="module")
def fleet_catalog() -> dict[str, Any]:
    return kubernetes_only(APPS)


@pytest.fixture(scope="module")
def scale(
    pulumi_env: dict[str, str],
    argocd_crds: list[str],
    kube: Kube,
    fleet_catalog: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Workspace]:
    ws = Workspace.platform(tmp_path_factory.mktemp("scale") / "app-of-apps", pulumi_env)
    ws.init(STACK, {"app-of-apps:fleet": ws.write_catalog("scale.yaml", fleet_catalog)})
    try:
        yield ws
        ws.remove(STACK)
    finally:  # namespaces are retained on delete: removed by hand
        names = [ns["name"] for t in fleet_catalog["teams"] for ns in t["namespaces"]]
        assert kube.delete_namespaces(names, timeout=300) == []


def timed(ws: Workspace, *args: str) -> float:
    start = time.monotonic()
    ws.pulumi(*args, timeout=TIMEOUT)
    return round(time.monotonic() - start, 1)


def test_a_hundred_apps_deploy_and_then_preview_without_changes(
    scale: Workspace, kube: Kube, fleet_catalog: dict[str, Any]
) -> None:
    _, state = state_from_text(yaml.safe_dump(fleet_catalog), "scale catalog")
    planned = desired_resources(state)
    assert sum(len(t.apps) for t in state.teams) == APPS
    times = {
        "preview": timed(scale, "preview", "--stack", STACK),
        "up": timed(scale, "up", "--yes", "--skip-preview", "--stack", STACK),
        "preview_no_changes": timed(scale, "preview", "--expect-no-changes", "--stack", STACK),
    }
    recorded = {(r["type"], r["urn"].split("::")[-1]) for r in scale.resources(STACK) if r.get("custom")}
    assert {r.key for r in planned} <= recorded
    applications = kube.get("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications")["items"]
    assert {a["metadata"]["name"] for a in applications} >= {
        m.name for m in state.manifests() if m.kind == "Application"
    }
    out = ROOT / "build" / "e2e"
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(
        json.dumps(
            {
                "apps": APPS,
                "resources": len(planned),
                "seconds": times,
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
            },
            indent=2,
        )
    )
    print(f"\n{APPS} apps, {len(planned)} resources: {times}")
