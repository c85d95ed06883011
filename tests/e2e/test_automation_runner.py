"""fleet.io.automation under the real engine, on a project of three small stacks: the runner runs
the platform stack, then the team stacks side by side, through the Automation API with nothing
but this process's environment (the backend, the passphrase and KUBECONFIG reach the engine and
the program as they reach `pulumi up`); a stack the API server refuses fails alone; the counts
are the engine's; every stack's output is in its log.

The app-of-apps program itself runs the same way in test_fleet_stacks.py."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path

import pytest

from fleet.io import automation
from fleet.orchestration import Outcome, plan_run
from tests.conftest import ROOT
from tests.e2e.kube import Kube

NAMESPACE = "default"
MISSING = "e2e-runner-no-such-namespace"  # the failing stack's ConfigMap goes here: refused
PROGRAM = f'''
import pulumi
import pulumi_kubernetes as k8s

stack = pulumi.get_stack()
provider = k8s.Provider("cluster")  # KUBECONFIG, from the environment the runner passed through
namespace = "{MISSING}" if stack.endswith(".broken") else "{NAMESPACE}"
k8s.core.v1.ConfigMap(
    "marker",
    metadata={{"name": f"e2e-runner-{{stack}}", "namespace": namespace}},
    data={{"stack": stack}},
    opts=pulumi.ResourceOptions(provider=provider),
)
'''


class Listener:
    """What the display would hear, from the stacks' threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started_stacks: list[str] = []
        self.steps: dict[str, set[str]] = {}
        self.finished_stacks: list[str] = []

    def started(self, stack: str) -> None:
        with self.lock:
            self.started_stacks.append(stack)

    def step(self, stack: str, op: str, urn: str, counts: Mapping[str, int]) -> None:
        with self.lock:
            self.steps.setdefault(stack, set()).add(urn.rsplit("::", 1)[-1])

    def finished(self, outcome: Outcome) -> None:
        with self.lock:
            self.finished_stacks.append(outcome.name)


@pytest.fixture(scope="module")
def project(pulumi_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runner") / "runner"
    root.mkdir()
    (root / "Pulumi.yaml").write_text(
        "name: e2e-runner\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: .venv\n"
    )
    (root / "__main__.py").write_text(PROGRAM)
    (root / ".venv").symlink_to(ROOT / ".venv")
    return root


@pytest.fixture
def environment(pulumi_env: dict[str, str], project: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This process's environment becomes the `pulumi` CLI's: the runner adds nothing."""
    state = project.parent / "state"
    state.mkdir(exist_ok=True)
    env = {**pulumi_env, "PULUMI_BACKEND_URL": f"file://{state}"}
    for key in list(os.environ):
        if key.startswith(("PULUMI_", "KUBECONFIG", "HTTP", "http", "NO_PROXY", "no_proxy")):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def test_the_runner_deploys_side_by_side_and_a_refused_stack_fails_alone(
    environment: dict[str, str], project: Path, kube: Kube
) -> None:
    plan = plan_run("up", "dev", ["good", "broken", "fine"])
    listener = Listener()
    try:
        outcomes, logs = automation.run(plan, project, 2, listener)
        by_name = {o.name: o for o in outcomes}
        assert [o.name for o in outcomes] == ["dev.platform", "dev.broken", "dev.fine", "dev.good"]
        assert {n: o.result for n, o in by_name.items()} == {
            "dev.platform": "succeeded",
            "dev.broken": "failed",
            "dev.fine": "succeeded",
            "dev.good": "succeeded",
        }
        assert listener.started_stacks[0] == "dev.platform"
        assert sorted(listener.finished_stacks) == sorted(by_name)
        for name in ("dev.platform", "dev.fine", "dev.good"):
            # the stack, its provider, the ConfigMap: the engine's summary, not our count
            assert by_name[name].changes["create"] == 3, by_name[name]
            live = kube.get(f"/api/v1/namespaces/{NAMESPACE}/configmaps/e2e-runner-{name}")
            assert live["data"] == {"stack": name}
            assert "marker" in listener.steps[name]
        assert MISSING in by_name["dev.broken"].note
        assert by_name["dev.broken"].seconds > 0
        assert sorted(p.name for p in logs.iterdir()) == sorted(f"{n}.log" for n in by_name)
        assert MISSING in (logs / "dev.broken.log").read_text()
        assert "e2e-runner-dev.good" in (logs / "dev.good.log").read_text()

        again, _ = automation.run(plan_run("preview", "dev", ["good", "fine"]), project, 2, Listener())
        for outcome in again:
            assert outcome.result == "succeeded", outcome
            assert outcome.changes == {"create": 0, "update": 0, "replace": 0, "delete": 0, "same": 3}, outcome
    finally:
        destroyed, _ = automation.run(plan_run("destroy", "dev", ["good", "broken", "fine"]), project, 4, Listener())
        assert [o.result for o in destroyed] == ["succeeded"] * 4, destroyed
    for name in ("dev.platform", "dev.fine", "dev.good"):
        assert not kube.exists(f"/api/v1/namespaces/{NAMESPACE}/configmaps/e2e-runner-{name}")


def test_refresh_of_a_stack_that_does_not_exist_fails_and_destroy_skips_it(
    environment: dict[str, str], project: Path
) -> None:
    refreshed, _ = automation.run(plan_run("refresh", "nowhere", []), project, 1, Listener())
    assert [(o.name, o.result) for o in refreshed] == [("nowhere.platform", "failed")]
    destroyed, _ = automation.run(plan_run("destroy", "nowhere", []), project, 1, Listener())
    assert [(o.name, o.result, o.note) for o in destroyed] == [
        ("nowhere.platform", "skipped", "no such stack: nothing to destroy")
    ]
