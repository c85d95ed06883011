"""The end-to-end tier's safety, checked offline: `make test` never collects it, it refuses any
cluster not proven disposable before the first test, and `make e2e` without a cluster or an
engine kit skips loudly with exit 0. (What the tier proves runs under `make e2e`.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import LEFTOVER_KINDS, RBAC_CONFIGMAP, disposable_reason, leftovers_of
from tests.e2e.kube import KubeError, is_loopback
from tests.pulumi_harness import kubeconfig_for

REFUSED = 3  # tests/e2e/conftest.py: pytest.exit(..., returncode=3)


def run_tier(kubeconfig: Path | None, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "E2E_CLUSTER_IS_DISPOSABLE")}
    if kubeconfig is not None:
        base["KUBECONFIG"] = str(kubeconfig)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--tb=native", "-p", "no:cacheprovider", "tests/e2e"],
        cwd=ROOT,
        env={**base, "APP_OF_APPS_E2E": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_make_test_does_not_collect_the_tier() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "tests", "--ignore-glob=tests/test_*.py"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "APP_OF_APPS_E2E"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "tests/e2e" not in listed.stdout


@pytest.mark.parametrize(
    ("server", "context", "env", "reason"),
    [
        (
            "https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com",
            "kind-e2e",
            {},
            "only talks to an API server on this machine",
        ),
        ("https://127.0.0.1:6443", "acme-prod", {}, "is not marked disposable"),
        # Past both checks the tier asks the API server; nothing listens on port 9 here.
        ("https://127.0.0.1:9", "acme", {"E2E_CLUSTER_IS_DISPOSABLE": "1"}, "does not answer"),
    ],
    ids=["remote", "not-disposable", "disposable-by-env"],
)
def test_the_tier_checks_the_cluster_before_any_test(
    tmp_path: Path, server: str, context: str, env: dict[str, str], reason: str
) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(kubeconfig_for(server, context))
    result = run_tier(path, **env)
    assert result.returncode == REFUSED, result.stdout[-2000:]
    assert reason in result.stdout + result.stderr
    assert " passed" not in result.stdout  # no test ran
    assert " failed" not in result.stdout


@pytest.mark.parametrize(
    ("name", "disposable"),
    [
        ("kind-e2e", True),
        ("k3d-fleet", True),
        ("ci-disposable-1", True),
        ("acme-prod", False),
        ("kind", False),
        ("my-kind-cluster", False),
        ("loopback", False),
    ],
)
def test_which_names_say_disposable(name: str, disposable: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("E2E_CLUSTER_IS_DISPOSABLE", raising=False)
    assert (disposable_reason(name, "c") is not None) is disposable
    assert (disposable_reason("c", name) is not None) is disposable


@pytest.mark.parametrize(
    ("server", "loopback"),
    [
        ("https://127.0.0.1:6443", True),
        ("https://127.0.0.2:1", True),
        ("https://[::1]:6443", True),
        ("https://localhost:6443", True),
        ("https://0.0.0.0:6443", True),
        ("https://10.0.0.1:6443", False),
        ("https://localhost.example.com", False),
        ("https://x.eks.amazonaws.com", False),
    ],
)
def test_which_servers_are_loopback(server: str, loopback: bool) -> None:
    assert is_loopback(server) is loopback


def test_the_tier_refuses_to_run_without_a_kubeconfig() -> None:
    result = run_tier(None)
    assert result.returncode == REFUSED
    assert "KUBECONFIG is not set" in result.stdout + result.stderr


def test_make_e2e_without_cluster_or_kit_skips_loudly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "e2e.sh")],
        cwd=ROOT,
        env={**env, "ENGINE_KIT": str(tmp_path / "no-kit"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "E2E TIER SKIPPED" in result.stderr
    assert "no engine kit" in result.stderr


class _Listing:
    """A cluster's list endpoints, as `Kube.get` answers them: items by path, 404 for a kind it
    does not serve (Argo CD's CRDs before the tier installs them)."""

    def __init__(self, items: dict[str, list[str]], served: set[str]) -> None:
        self.items, self.served, self.selectors = items, served, []

    def get(self, path: str, **query: str) -> dict[str, object]:
        if path not in self.served:
            raise KubeError(404, "GET", path, {"message": "the server could not find the requested resource"})
        self.selectors.append(query.get("labelSelector"))
        return {"items": [{"metadata": {"name": name}} for name in self.items.get(path, [])]}


def test_an_empty_cluster_has_no_leftovers_even_without_argo_cd_s_crds() -> None:
    served = {path for path in LEFTOVER_KINDS if "argoproj.io" not in path}
    listing = _Listing({}, served)
    assert leftovers_of(listing) == []
    assert listing.selectors == ["app.kubernetes.io/managed-by=app-of-apps"] * len(served)


def test_what_an_earlier_run_left_is_named_kind_and_name() -> None:
    left = {
        "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies": ["acme-dev-namespace-boundaries"],
        "/api/v1/namespaces": ["payments"],
        "/apis/argoproj.io/v1alpha1/appprojects": ["payments"],
    }
    assert leftovers_of(_Listing(left, set(LEFTOVER_KINDS))) == [
        "namespaces/payments",
        "validatingadmissionpolicies/acme-dev-namespace-boundaries",
        "appprojects/payments",
    ]


def test_namespaced_leftovers_are_named_with_their_namespace() -> None:
    class Namespaced(_Listing):
        def get(self, path: str, **query: str) -> dict[str, object]:
            if path == "/apis/external-secrets.io/v1/externalsecrets":
                return {"items": [{"metadata": {"name": "repo-payments-0bfa47481a", "namespace": "argocd"}}]}
            return super().get(path, **query)

    assert leftovers_of(Namespaced({}, set(LEFTOVER_KINDS))) == ["externalsecrets/argocd/repo-payments-0bfa47481a"]


@pytest.mark.parametrize(
    ("managers", "left"),
    [
        (["argocd-install"], []),  # the installation's own map: nothing of a run
        (
            ["argocd-install", "pulumi-kubernetes-6a786d1f"],
            ["configmaps/argocd/argocd-rbac-cm (keys of pulumi-kubernetes-6a786d1f)"],
        ),
    ],
)
def test_keys_a_stack_s_patch_left_in_argocd_rbac_cm_are_leftovers(managers: list[str], left: list[str]) -> None:
    class WithMap(_Listing):
        def get(self, path: str, **query: str) -> dict[str, object]:
            if path == RBAC_CONFIGMAP:
                return {"metadata": {"name": "argocd-rbac-cm", "managedFields": [{"manager": m} for m in managers]}}
            return super().get(path, **query)

    assert leftovers_of(WithMap({}, set(LEFTOVER_KINDS))) == left


def test_an_error_other_than_not_found_is_not_taken_for_an_empty_cluster() -> None:
    class Refusing(_Listing):
        def get(self, path: str, **query: str) -> dict[str, object]:
            raise KubeError(403, "GET", path, {"message": "forbidden"})

    with pytest.raises(KubeError):
        leftovers_of(Refusing({}, set(LEFTOVER_KINDS)))
