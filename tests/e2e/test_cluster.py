"""The fixtures every e2e test builds on: the vendored Argo CD CRDs are served, and the CLI runs
with the tier's environment (a local backend, no cloud credentials)."""

from __future__ import annotations

import subprocess

import yaml

from tests.conftest import ARGOCD_CRDS
from tests.e2e.kube import Kube


def test_the_vendored_argocd_crds_are_served(kube: Kube, argocd_crds: list[str]) -> None:
    kinds = {yaml.safe_load(p.read_text())["spec"]["names"]["kind"] for p in ARGOCD_CRDS.glob("*-crd.yaml")}
    served = {r["kind"] for r in kube.get("/apis/argoproj.io/v1alpha1")["resources"]}
    assert kinds <= served
    assert len(argocd_crds) >= len(kinds)
    assert kube.get("/api/v1/namespaces/argocd")["status"]["phase"] == "Active"


def test_the_cli_runs_with_a_local_backend_and_no_cloud_credentials(pulumi_env: dict[str, str]) -> None:
    assert pulumi_env["PULUMI_BACKEND_URL"].startswith("file://")
    assert not [k for k in pulumi_env if k.startswith(("AWS_ACCESS", "AWS_SECRET", "OKTA_API", "PULUMI_ACCESS"))]
    whoami = subprocess.run(["pulumi", "whoami", "--verbose"], env=pulumi_env, capture_output=True, text=True)
    assert whoami.returncode == 0, whoami.stderr
    assert pulumi_env["PULUMI_BACKEND_URL"] in whoami.stdout
