"""The GitHub workflows, judged by referees we did not write: zizmor (offline) and the GitHub
workflow JSON schema bundled with check-jsonschema; plus the rules we hold them to."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is in requirements-dev.txt; run make test"
    return found


def test_there_are_pull_request_deploy_and_drift_workflows() -> None:
    assert {w.stem for w in WORKFLOWS} == {"pull-request", "deploy", "drift"}


def test_zizmor_finds_nothing_of_medium_or_higher_severity() -> None:
    result = subprocess.run(
        [
            tool("zizmor"),
            "--offline",
            "--format",
            "json",
            "--min-severity",
            "medium",
            str(ROOT / ".github" / "workflows"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == []


def test_zizmor_would_catch_an_unpinned_action(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        WORKFLOWS[0]
        .read_text()
        .replace("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "actions/checkout@v4", 1)
    )
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--format", "json", "--min-severity", "medium", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert {finding["ident"] for finding in json.loads(result.stdout)} >= {"unpinned-uses"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_workflow_matches_the_github_schema(workflow: Path) -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_referee_would_catch_a_typo(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(WORKFLOWS[0].read_text().replace("runs-on:", "run-on:", 1))
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_our_own_rules(workflow: Path) -> None:
    data = yaml.safe_load(workflow.read_text())
    assert data["permissions"] == {}, "no permissions at the top; each job asks for what it needs"
    for job in data["jobs"].values():
        assert "write-all" not in str(job.get("permissions"))
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
            if "run" in step:
                assert "${{" not in step["run"], f"expression in a run line: {step['run'][:60]}"
    text = workflow.read_text()
    assert "secrets." not in text or "PULUMI_ACCESS_TOKEN" not in text, "no long-lived Pulumi token"
    assert "aws-access-key-id" not in text, "no static AWS keys"


def test_prod_deploys_behind_a_protected_environment() -> None:
    deploy = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())
    (job,) = deploy["jobs"].values()
    environments = {entry["stack"]: entry["environment"] for entry in job["strategy"]["matrix"]["include"]}
    assert environments["prod"] == "production"
    assert job["strategy"]["max-parallel"] == 1


def test_drift_detection_expects_no_changes() -> None:
    drift = yaml.safe_load((ROOT / ".github" / "workflows" / "drift.yml").read_text())
    steps = drift["jobs"]["drift"]["steps"]
    preview = next(s for s in steps if s.get("id") == "preview")
    assert preview["with"]["refresh"] is True
    assert preview["with"]["expect-no-changes"] is True
    assert any("issues.create" in s.get("with", {}).get("script", "") for s in steps)
