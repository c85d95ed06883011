"""The fixtures every e2e test builds on: the vendored Argo CD and External Secrets CRDs are
served (with their real schemas), and the CLI runs with the tier's environment (a local
backend, no cloud credentials)."""

from __future__ import annotations

import copy
import subprocess
from typing import Any

import pytest
import yaml

from fleet.compiler import load_state
from tests.conftest import ARGOCD_CRDS, catalog_path
from tests.e2e.kube import Kube, KubeError

# Create nothing, and refuse a field the schema does not know (instead of dropping it).
DRY_RUN_STRICT = {"dryRun": "All", "fieldValidation": "Strict"}


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


def test_the_api_server_judges_external_secrets_by_the_vendored_schema(kube: Kube, argocd_crds: list[str]) -> None:
    """The real schema, not a stand-in: the rendered ExternalSecret is accepted field for field,
    a wrong enum value and a misspelt field are refused by the API server itself."""
    assert "ExternalSecret" in {r["kind"] for r in kube.get("/apis/external-secrets.io/v1")["resources"]}
    _, state = load_state(catalog_path("dev"))
    rendered = next(m.obj for team in state.teams for m in team.repo_credentials)
    path = kube.path_of(rendered["apiVersion"], rendered["kind"], namespace=rendered["metadata"]["namespace"])
    accepted = kube.request("POST", path, rendered, query=DRY_RUN_STRICT)
    assert accepted["spec"]["target"]["template"]["data"] == rendered["spec"]["target"]["template"]["data"]

    def refused(change: Any) -> KubeError:
        bad = copy.deepcopy(rendered)
        change(bad["spec"])
        with pytest.raises(KubeError) as caught:
            kube.request("POST", path, bad, query=DRY_RUN_STRICT)
        return caught.value

    wrong = refused(lambda spec: spec["target"].update(creationPolicy="Always"))
    assert wrong.status == 422
    assert "creationPolicy" in str(wrong)
    typo = refused(lambda spec: spec.update(refreshIntervall="1h"))
    assert typo.status in (400, 422)
    assert "refreshIntervall" in str(typo)
