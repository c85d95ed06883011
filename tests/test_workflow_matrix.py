"""The workflows spread stacks over machines: preview.yml previews the stacks a pull request
changes, deploy.yml deploys each environment's platform stack then its changed team stacks,
drift.yml checks every stack, each as a GitHub matrix built from the classifier's output
(fleet/pipeline/affected.py). Read from the YAML, followed through the jobs' conditions with
the classifier's real outputs, linted by actionlint, and the scripts the jobs run are run here
with a stand-in `pulumi` that records what it was asked."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.catalog.naming import platform_stack, stack_scope, team_stack
from fleet.pipeline.affected import Plan, matrix
from tests.conftest import ROOT
from tests.test_workflows import SAME_REPO, WORKFLOWS, jobs_that_run, tool

SCRIPTS = ROOT / ".github" / "scripts"
MATRIX_JOBS = {
    "preview": ("preview-catalog", "preview-code"),
    "deploy": ("teams-dev", "teams-prod"),
    "drift": ("drift",),
}
# Characters GitHub refuses in an artifact name; the matrix's `name` is part of one.
_ARTIFACT_FORBIDDEN = re.compile(r'["\:<>|*?\r\n\\/]')
_STACK_WORD = re.compile(r"[a-z0-9.-]+")


def workflow(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / ".github" / "workflows" / f"{name}.yml").read_text())


def environments() -> list[str]:
    """The environments of this repository: its stack files Pulumi.<env>.yaml."""
    out = []
    for path in sorted(ROOT.glob("Pulumi.*.yaml")):
        stack = path.name[len("Pulumi.") : -len(".yaml")]
        if stack_scope(stack).kind == "environment":
            out.append(stack)
    return out


# --- the referee: actionlint ----------------------------------------------------------------------


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("actionlint"), "-no-color", "-shellcheck=", "-pyflakes=", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_actionlint_finds_nothing() -> None:
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("replace", "expected"),
    [
        # YAML reads a bare `!cancelled()` as a tag: the condition would silently disappear
        (
            "if: ${{ !cancelled() && needs.test.result == 'success' && needs.stacks.outputs.any_dev == 'true'",
            "if: !cancelled() && needs.test.result == 'success' && needs.stacks.outputs.any_dev == 'true'",
        ),
        # a job the matrix is read from that does not exist
        ("fromJSON(needs.stacks.outputs.teams_dev)", "fromJSON(needs.stack.outputs.teams_dev)"),
        # an output the classifier's job does not declare
        ("needs.stacks.outputs.platform_dev == 'true'", "needs.stacks.outputs.platform_staging == 'true'"),
    ],
    ids=["bare !cancelled()", "unknown job in needs", "undeclared output"],
)
def test_actionlint_would_catch_a_broken_deploy_workflow(tmp_path: Path, replace: str, expected: str) -> None:
    text = (ROOT / ".github" / "workflows" / "deploy.yml").read_text()
    assert replace in text
    broken = text.replace(replace, expected, 1)
    if "cancelled" in replace:
        broken = broken.replace("'skipped') }}", "'skipped')", 1)
    bad = tmp_path / "deploy.yml"
    bad.write_text(broken)
    assert actionlint(bad).returncode != 0


# --- the matrices come from the classifier -----------------------------------------------------------


def _producer(data: dict[str, Any], expression: str) -> tuple[str, str]:
    """`${{ fromJSON(needs.JOB.outputs.KEY) }}` -> (JOB, KEY)."""
    match = re.fullmatch(r"\$\{\{ fromJSON\(needs\.([\w-]+)\.outputs\.(\w+)\) \}\}", expression)
    assert match, expression
    return match.group(1), match.group(2)


@pytest.mark.parametrize(
    ("name", "job"), [(w, j) for w, jobs in MATRIX_JOBS.items() for j in jobs], ids=lambda v: str(v)
)
def test_each_matrix_is_the_classifier_s_output_and_never_fails_fast(name: str, job: str) -> None:
    data = workflow(name)
    strategy = data["jobs"][job]["strategy"]
    assert strategy["fail-fast"] is False
    assert "max-parallel" not in strategy
    producer, key = _producer(data, strategy["matrix"])
    assert producer in data["jobs"][job]["needs"]
    # the producing job's output is a step's output, and that step runs main's fleet classifier
    value = data["jobs"][producer]["outputs"][key]
    step_id = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.(\w+) \}\}", value.split("#")[0].strip())
    assert step_id, value
    assert step_id.group(2) == key
    (step,) = [s for s in data["jobs"][producer]["steps"] if s.get("id") == step_id.group(1)]
    assert re.search(r"python -m fleet pipeline (matrix|review) ", step["run"])
    assert '--github-output "$GITHUB_OUTPUT"' in step["run"]
    # and it is a key the classifier writes
    assert key in Plan(("dev.platform",)).outputs(environments())
    # every job of the matrix hands its stacks to the script in the environment, never in the command
    runs = [s for s in data["jobs"][job]["steps"] if "scripts/" in s.get("run", "")]
    assert runs
    assert all(s["env"]["STACKS"] == "${{ matrix.stacks }}" for s in runs)


def test_the_preview_matrix_is_computed_from_main_s_code_on_the_head_s_files() -> None:
    """The review job checks out the base (main) and reads the head as git objects: the head's
    code never computes which stacks are previewed."""
    review = workflow("preview")["jobs"]["review"]
    assert review["steps"][0]["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    assert review["steps"][1]["with"]["sparse-checkout"] == "stacks"
    assert '--base "$BASE_SHA" --head "$HEAD_SHA"' in review["steps"][-2]["run"]


@pytest.mark.parametrize("job", ["summarize", "comment"])
def test_the_jobs_after_the_matrix_hold_no_token(job: str) -> None:
    permissions = workflow("preview")["jobs"][job]["permissions"]
    assert "id-token" not in permissions
    steps = workflow("preview")["jobs"][job]["steps"]
    for step in steps:
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"


# --- deploy: platform first, then the teams; per stack concurrency --------------------------------


def test_deploy_has_a_platform_and_a_team_job_for_every_environment_of_the_repository() -> None:
    jobs = workflow("deploy")["jobs"]
    envs = environments()
    assert envs  # dev and prod ship
    for env in envs:
        assert f"platform-{env}" in jobs, f"Pulumi.{env}.yaml has no deploy job: its stacks would never deploy"
        assert f"teams-{env}" in jobs
        assert f"platform-{env}" in jobs[f"teams-{env}"]["needs"]
    run = next(s["run"] for s in jobs["stacks"]["steps"] if s.get("id") == "matrix")
    assert f"--environments {','.join(envs)} " in run


def test_one_concurrency_group_a_stack_and_no_update_is_interrupted() -> None:
    jobs = workflow("deploy")["jobs"]
    for env in environments():
        platform = jobs[f"platform-{env}"]["concurrency"]
        assert platform == {"group": f"deploy-{platform_stack(env)}", "cancel-in-progress": False}
        teams = jobs[f"teams-{env}"]["concurrency"]
        assert teams == {"group": "deploy-${{ matrix.name }}", "cancel-in-progress": False}
    # and a job's name is its stack (one job a stack), so the group is the stack's
    entries = matrix([team_stack("dev", "payments"), team_stack("dev", "search")])["include"]
    assert [e["name"] for e in entries] == [e["stacks"] for e in entries] == ["dev.payments", "dev.search"]
    deploy_text = (ROOT / ".github" / "workflows" / "deploy.yml").read_text()
    assert "max-parallel" not in deploy_text


def test_no_job_holding_a_token_runs_the_tests() -> None:
    for job in workflow("deploy")["jobs"].values():
        if (job.get("permissions") or {}).get("id-token") == "write":
            for step in job["steps"]:
                assert ".ci/run" not in step.get("run", "")
                assert "make test" not in step.get("run", "")
                assert "pytest" not in step.get("run", "")


PUSH = {"ref": "refs/heads/main", "event": {}}


def _deploy_outputs(plan: Plan) -> dict[str, dict[str, str]]:
    """The stacks job's outputs as GitHub holds them: strings (JSON for lists, true/false)."""
    import json

    values = plan.outputs(environments())
    return {"stacks": {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}}


@pytest.mark.parametrize(
    ("stacks", "failed", "expected"),
    [
        (("dev.payments",), (), {"teams-dev"}),
        (("dev.platform", "dev.payments", "dev.search"), (), {"platform-dev", "teams-dev"}),
        (
            ("dev.platform", "dev.payments", "prod.platform", "prod.payments"),
            (),
            {"platform-dev", "teams-dev", "platform-prod", "teams-prod"},
        ),
        (("prod.payments",), (), {"teams-prod"}),
        (
            ("dev.platform", "dev.payments", "prod.platform", "prod.payments"),
            ("teams-dev",),
            {"platform-dev", "teams-dev"},
        ),
        (("dev.platform", "dev.payments"), ("platform-dev",), {"platform-dev"}),
        (("dev.platform", "dev.payments"), ("test",), set()),
        ((), (), set()),
    ],
    ids=[
        "one team",
        "dev platform",
        "both environments",
        "prod team only",
        "a dev team failed",
        "dev platform failed",
        "tests failed",
        "docs only",
    ],
)
def test_the_deploy_jobs_that_run(stacks: tuple[str, ...], failed: tuple[str, ...], expected: set[str]) -> None:
    ran = jobs_that_run(workflow("deploy"), PUSH, _deploy_outputs(Plan(stacks)), failed=frozenset(failed))
    assert ran - {"test", "stacks"} == expected


def test_drift_checks_every_stack_and_reports_after_every_job() -> None:
    data = workflow("drift")
    outputs = {"stacks": {"any": "true"}, "collect": {"issues": '{"dev.payments": "body"}'}}
    assert jobs_that_run(data, SAME_REPO, outputs, failed=frozenset({"drift"})) == {
        "stacks",
        "drift",
        "collect",
        "report",
    }
    run = next(s["run"] for s in data["jobs"]["stacks"]["steps"] if s.get("id") == "matrix")
    assert "--base" not in run  # every stack, not the changed ones


def test_every_matrix_name_is_a_valid_artifact_name_and_every_stack_a_script_word() -> None:
    many = [platform_stack("dev")] + [team_stack("dev", f"team-{i}") for i in range(300)]
    for entries in (matrix(many)["include"], matrix(many[:3])["include"]):
        for entry in entries:
            assert not _ARTIFACT_FORBIDDEN.search(f"preview-{entry['name']}")
            assert all(_STACK_WORD.fullmatch(word) for word in entry["stacks"].split(" "))


# --- the scripts the jobs run ------------------------------------------------------------------


@pytest.fixture
def fake_pulumi(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A `pulumi` that records its arguments, one call a line, and fails for dev.search."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    script = bin_dir / "pulumi"
    script.write_text(
        "#!/usr/bin/env bash\n"
        f'echo "$*" >> {calls}\n'
        # the project's stacks: dev.identity is new (not created yet)
        'if [ "$1 $2" = "stack ls" ]; then\n'
        '  echo \'[{"name": "acme/app-of-apps/dev.platform"}, {"name": "dev.payments"}, {"name": "dev.search"}]\'\n'
        "  exit 0\n"
        "fi\n"
        'if [ "$1 $2" = "stack select" ]; then exit 0; fi\n'
        'case "$*" in *app-of-apps/dev.search*) echo "error: boom"; exit 255 ;; esac\n'
        'echo "Resources: 5 unchanged"\n'
    )
    script.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PULUMI_ORG": "acme"}
    return env, calls


def _bash(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPTS / script), *args], capture_output=True, text=True, check=False, cwd=ROOT, env=env
    )


def test_up_deploys_each_stack_with_its_environment_s_stack_file_and_goes_on_after_a_failure(
    fake_pulumi: tuple[dict[str, str], Path],
) -> None:
    env, calls = fake_pulumi
    result = _bash("up.sh", env={**env, "STACKS": "dev.platform dev.search dev.payments"})
    assert result.returncode == 1, result.stdout + result.stderr
    every = calls.read_text().splitlines()
    lines = [line for line in every if line.startswith("up ")]
    assert [line.split("--stack ")[1].split(" ")[0] for line in lines] == [
        "acme/app-of-apps/dev.platform",
        "acme/app-of-apps/dev.search",
        "acme/app-of-apps/dev.payments",  # after dev.search failed
    ]
    # each stack is selected, created when it is new (a new team's first deploy), before its update
    selects = [line for line in every if line.startswith("stack select")]
    assert selects == [
        f"stack select --create --stack acme/app-of-apps/{s} --non-interactive"
        for s in ("dev.platform", "dev.search", "dev.payments")
    ]
    for line in lines:
        assert "--config-file Pulumi.dev.yaml" in line
        assert "--policy-pack policies" in line
        assert "--yes --non-interactive" in line


def test_preview_keeps_a_log_and_an_outcome_per_stack_with_the_read_only_config(
    fake_pulumi: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, calls = fake_pulumi
    logs = tmp_path / "logs"
    result = _bash("preview.sh", str(logs), "--refresh", env={**env, "STACKS": "dev.payments dev.search"})
    assert result.returncode == 1
    assert (logs / "dev.payments.outcome").read_text().strip() == "no error"
    assert (logs / "dev.search.outcome").read_text().strip().startswith("failed")
    assert "error: boom" in (logs / "dev.search.log").read_text()
    previews = [line for line in calls.read_text().splitlines() if line.startswith("preview ")]
    assert len(previews) == 2
    for line in previews:
        config = line.split("--config-file ")[1].split(" ")[0]
        assert config.endswith(".preview.yaml")
        assert line.endswith("--refresh")
        assert yaml.safe_load((ROOT / config).read_text())["environment"] == ["app-of-apps/dev-preview"]


def test_preview_says_a_new_stack_is_new_instead_of_failing(
    fake_pulumi: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    """A pull request adding a team: its stack does not exist before the first deploy, and a
    read-only token cannot create it."""
    env, calls = fake_pulumi
    logs = tmp_path / "logs"
    result = _bash("preview.sh", str(logs), env={**env, "STACKS": "dev.identity dev.payments"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert (logs / "dev.identity.outcome").read_text().startswith("new stack")
    assert (logs / "dev.payments.outcome").read_text().strip() == "no error"
    assert not [line for line in calls.read_text().splitlines() if "dev.identity" in line]


@pytest.mark.parametrize("script", ["up.sh", "preview.sh", "status.sh"])
@pytest.mark.parametrize("stacks", ["dev.payments;id", "dev.*", "$(id)"])
def test_the_scripts_refuse_what_is_not_a_stack_name(
    fake_pulumi: tuple[dict[str, str], Path], tmp_path: Path, script: str, stacks: str
) -> None:
    env, calls = fake_pulumi
    args = [] if script == "up.sh" else [str(tmp_path / "logs")]
    result = _bash(script, *args, env={**env, "STACKS": stacks})
    assert result.returncode == 2
    assert "is not a stack name" in result.stderr
    assert not calls.exists()


def test_status_runs_once_an_environment_in_its_platform_stack_s_job(
    fake_pulumi: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, calls = fake_pulumi
    logs = tmp_path / "logs"
    _bash("status.sh", str(logs), env={**env, "STACKS": "dev.payments dev.platform"})
    lines = calls.read_text().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("env run acme/app-of-apps/dev-preview -- .venv/bin/python -m fleet status stacks/dev ")
    assert (logs / "dev.platform.log").exists()
    assert not (logs / "dev.payments.log").exists()
