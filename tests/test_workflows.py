"""The GitHub workflows, judged by referees we did not write: zizmor (offline, regular and pedantic
personas) and the GitHub workflow and Dependabot JSON schemas bundled with check-jsonschema; plus
the rules we hold them to, the trust rule first: no job that holds credentials checks out the
head's code before a maintainer approved. Every check is generic over all workflows (others are
added: promote.yml), and each gets an injected bad workflow it must fail."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.catalog import location
from fleet.pipeline import steps as pipeline
from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
DEPENDABOT = ROOT / ".github" / "dependabot.yml"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is in requirements-dev.txt; run make test"
    return found


def test_there_are_pull_request_preview_deploy_and_drift_workflows() -> None:
    assert {w.stem for w in WORKFLOWS} >= {"pull-request", "preview", "deploy", "drift"}


def zizmor(*paths: Path, persona: str = "regular") -> list[dict[str, Any]]:
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--format", "json", "--persona", persona, *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.mark.parametrize("persona", ["regular", "pedantic"])
def test_zizmor_finds_nothing(persona: str) -> None:
    """Every finding of every severity, workflows and dependabot.yml; the one suppression
    (dangerous-triggers on preview.yml's pull_request_target) is justified there and below."""
    assert zizmor(ROOT / ".github", persona=persona) == []


def test_the_only_zizmor_suppression_is_the_base_branch_trigger() -> None:
    ignores = [
        (w.name, line.strip()) for w in WORKFLOWS for line in w.read_text().splitlines() if "zizmor: ignore" in line
    ]
    assert [(name, line.split("zizmor: ignore")[1].split("]")[0] + "]") for name, line in ignores] in (
        [],
        [("preview.yml", "[dangerous-triggers]")],
    )


def test_zizmor_pedantic_would_catch_a_template_injection(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    text = (ROOT / ".github" / "workflows" / "pull-request.yml").read_text()
    bad.write_text(text.replace("run: make validate", "run: make validate ${{ github.event.pull_request.title }}"))
    assert bad.read_text() != text
    assert {f["ident"] for f in zizmor(bad, persona="pedantic")} >= {"template-injection"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_workflow_matches_the_github_schema(workflow: Path) -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependabot_keeps_the_action_pins_current() -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(DEPENDABOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    updates = yaml.safe_load(DEPENDABOT.read_text())["updates"]
    assert {u["package-ecosystem"] for u in updates} >= {"github-actions", "pip"}


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
    jobs = _workflow("deploy")["jobs"]
    assert jobs["platform-prod"]["environment"] == "production"
    assert jobs["teams-prod"]["environment"] == "production"
    assert jobs["platform-dev"]["environment"] == "dev"
    assert jobs["teams-dev"]["environment"] == "dev"


def test_drift_detection_expects_no_changes_with_read_only_credentials() -> None:
    drift = yaml.safe_load((ROOT / ".github" / "workflows" / "drift.yml").read_text())
    steps = drift["jobs"]["drift"]["steps"]
    assert any("--refresh --expect-no-changes" in s.get("run", "") for s in steps)
    assert any(s.get("with", {}).get("scope") == "team:app-of-apps-preview" for s in steps)
    # and Argo CD's view: an OutOfSync Application is drift too
    assert any("status.sh" in s.get("run", "") for s in steps)
    status = (ROOT / ".github" / "scripts" / "status.sh").read_text()
    assert "--fail-on drift --fail-on out-of-sync" in status
    assert "-preview" in status  # inside the read-only environment
    report = drift["jobs"]["report"]
    assert "id-token" not in report["permissions"]
    assert "id-token" not in drift["jobs"]["collect"]["permissions"]
    assert any("issues.create" in s.get("with", {}).get("script", "") for s in report["steps"])


# --- the trust rule: credentials never meet the head's code before approval -------------------

# Triggers whose default checkout is the pull request's code (its merge commit), and whose
# workflow file is the pull request's own.
_HEAD_TRIGGERS = {"pull_request", "pull_request_review", "pull_request_review_comment"}
# Triggers that run the base branch's workflow; the head's code is there only if checked out.
_BASE_TRIGGERS = {"pull_request_target", "workflow_run", "issue_comment"}
_HEAD_REFS = re.compile(r"pull_request\.head|github\.head_ref|refs/pull/|workflow_run\.head")


def triggers(data: dict[Any, Any]) -> set[str]:
    on = data.get("on", data.get(True))  # PyYAML reads the key `on` as True
    return {on} if isinstance(on, str) else set(on)


def holds_credentials(job: dict[str, Any]) -> bool:
    permissions = job.get("permissions") or {}
    return permissions == "write-all" or permissions.get("id-token") == "write" or "secrets." in json.dumps(job)


def checks_out_head_code(step: dict[str, Any], on: set[str]) -> bool:
    """A checkout of the head that writes its code (not only its stacks/) to disk."""
    if not step.get("uses", "").startswith("actions/checkout@"):
        return False
    options = step.get("with") or {}
    if options.get("sparse-checkout") == location.STACKS_DIR:
        return False  # the catalogs only: data, laid over the base's code
    if on & _HEAD_TRIGGERS:
        return not str(options.get("ref", "")).startswith("${{ github.event.pull_request.base.")
    return bool(_HEAD_REFS.search(str(options.get("ref", ""))))


def trust_violations(data: dict[str, Any]) -> list[str]:
    on = triggers(data)
    out = []
    for name, job in data["jobs"].items():
        if not holds_credentials(job):
            continue
        if on & _HEAD_TRIGGERS:
            out.append(
                f"{name}: credentials in a workflow the pull request itself defines ({sorted(on & _HEAD_TRIGGERS)})"
            )
            continue
        environment = job.get("environment")
        environment = environment.get("name") if isinstance(environment, dict) else environment
        if environment == pipeline.APPROVAL_ENVIRONMENT:
            continue  # nothing runs before a maintainer approves the run
        out += [
            f"{name}: checks out the head's code with credentials" for s in job["steps"] if checks_out_head_code(s, on)
        ]
    return out


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_no_credentials_meet_the_head_s_code_before_approval(workflow: Path) -> None:
    assert trust_violations(yaml.safe_load(workflow.read_text())) == []


def _workflow(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / ".github" / "workflows" / f"{name}.yml").read_text())


def _preview() -> dict[str, Any]:
    return _workflow("preview")


@pytest.mark.parametrize(
    "inject",
    [
        # the catalog job takes the head's whole tree, not just stacks/
        lambda d: d["jobs"]["preview-catalog"]["steps"][1]["with"].pop("sparse-checkout"),
        # the code job loses its approval environment
        lambda d: d["jobs"]["preview-code"].update(environment="preview-catalog"),
        # a job of the pull request's own workflow asks for an OIDC token
        lambda d: d.update({"on": {"pull_request": {}}, True: None}) or d.pop(True),
        # a secret handed to a job that checks out the head's whole tree
        lambda d: (
            d["jobs"]["review"]["steps"][1]["with"].pop("sparse-checkout"),
            d["jobs"]["review"]["steps"][3].update(env={"TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}"}),
        ),
    ],
    ids=["catalog job checks out all", "no approval", "credentials under pull_request", "secret with head checkout"],
)
def test_the_trust_rule_catches_an_injected_bad_workflow(inject: Any) -> None:
    data = _preview()
    inject(data)
    assert trust_violations(data) != []


# --- following the conditions: which jobs run for which pull request -------------------------


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    """GitHub's expression language, the part our workflows use: contexts, string literals,
    ==, !=, &&, ||, !, parentheses, always(), cancelled() (never, here)."""
    expression = expression.strip()
    if expression.startswith("${{"):
        expression = expression[3:-2]
    python = re.sub(r"'([^']*)'", lambda m: repr(m.group(1)), expression)
    python = python.replace("&&", " and ").replace("||", " or ")
    python = python.replace("always()", "True").replace("cancelled()", "False")
    python = re.sub(r"!(?!=)", " not ", python)
    python = re.sub(
        r"\b(needs|github)((?:\.[\w-]+)+)",
        lambda m: repr(_lookup(context, [m.group(1), *m.group(2)[1:].split(".")])),
        python,
    )
    return eval(python, {"__builtins__": {}})  # our own workflow expression, translated above


def _lookup(context: dict[str, Any], path: list[str]) -> Any:
    node: Any = context
    for part in path:
        node = node.get(part, "") if isinstance(node, dict) else ""
    return node


def jobs_that_run(
    data: dict[str, Any],
    github: dict[str, Any],
    outputs: dict[str, dict[str, str]],
    failed: frozenset[str] = frozenset(),
) -> set[str]:
    """Walk the jobs in dependency order; a job runs when its needs succeeded (or its `if:`
    calls always() or !cancelled()) and its `if:` holds; a job in `failed` fails once it runs;
    outputs of a job that did not run are empty, its result `skipped`."""
    results: dict[str, str] = {}
    pending = dict(data["jobs"])
    while pending:
        for name, job in list(pending.items()):
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else needs
            if any(n in pending for n in needs):
                continue
            del pending[name]
            results[name] = "skipped"
            condition = str(job.get("if", "success()"))
            status_check = "always()" in condition or "cancelled()" in condition
            if not all(results[n] == "success" for n in needs) and not status_check:
                continue
            context = {
                "github": github,
                "needs": {
                    n: {"outputs": outputs.get(n, {}) if results[n] != "skipped" else {}, "result": results[n]}
                    for n in needs
                },
            }
            if evaluate(condition.replace("success()", "True"), context):
                results[name] = "failure" if name in failed else "success"
    return {name for name, result in results.items() if result != "skipped"}


def event(head_repo: str, action: str = "synchronize") -> dict[str, Any]:
    return {
        "repository": "acme/app-of-apps",
        "event": {"action": action, "pull_request": {"head": {"repo": {"full_name": head_repo}}}},
    }


SAME_REPO = event("acme/app-of-apps")
FORK = event("mallory/app-of-apps")
LABELLED = event("acme/app-of-apps", "labeled")
_COMMENT = {"comment": "preview"}
_POSTED = {"summarize", "comment"}


@pytest.mark.parametrize(
    ("github", "review", "expected"),
    [
        (SAME_REPO, {"catalog_only": "true", "warnings": "0", "any": "true"}, {"review", "preview-catalog", *_POSTED}),
        (SAME_REPO, {"catalog_only": "false", "warnings": "0", "any": "true"}, {"review", "preview-code", *_POSTED}),
        (FORK, {"catalog_only": "true", "warnings": "0", "any": "true"}, {"review", "preview-code", *_POSTED}),
        (
            SAME_REPO,
            {"catalog_only": "true", "warnings": "3", "any": "true"},
            {"review", "gate", "preview-catalog", *_POSTED},
        ),
        (LABELLED, {"catalog_only": "false", "warnings": "3", "any": "true"}, {"review", "gate"}),
        (SAME_REPO, {"catalog_only": "false", "warnings": "0", "any": "false"}, {"review"}),
    ],
    ids=["catalogs only", "code change", "catalogs from a fork", "warnings", "the override label", "docs only"],
)
def test_a_pull_request_gets_the_right_jobs(github: dict[str, Any], review: dict[str, str], expected: set[str]) -> None:
    data = _preview()
    assert "pull_request_target" in triggers(data)
    outputs = {"review": review, "summarize": _COMMENT}
    assert jobs_that_run(data, github, outputs) == expected


def test_a_failed_preview_still_gets_its_comment() -> None:
    review = {"catalog_only": "true", "warnings": "0", "any": "true"}
    outputs = {"review": review, "summarize": _COMMENT}
    ran = jobs_that_run(_preview(), SAME_REPO, outputs, failed=frozenset({"preview-catalog"}))
    assert ran == {"review", "preview-catalog", *_POSTED}


def test_the_review_outputs_are_what_the_conditions_compare() -> None:
    """catalog_only is compared with 'true': fleet writes JSON, so a boolean reads as true/false."""
    lines = pipeline.github_outputs({"catalog_only": True, "warnings": 0}).splitlines()
    assert lines == ["catalog_only=true", "warnings=0"]


def test_the_code_preview_waits_in_the_approval_environment_and_the_catalog_preview_runs_main_s_code() -> None:
    jobs = _preview()["jobs"]
    assert jobs["preview-code"]["environment"] == pipeline.APPROVAL_ENVIRONMENT
    first = jobs["preview-catalog"]["steps"][0]
    assert first["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    # and the approved run previews exactly the commit the event named, not a later push
    assert jobs["preview-code"]["steps"][0]["with"]["ref"] == "${{ github.event.pull_request.head.sha }}"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_credentials_are_short_lived_team_tokens(workflow: Path) -> None:
    """No static credential anywhere; Pulumi tokens by OIDC are team tokens, never the org's."""
    data = yaml.safe_load(workflow.read_text())
    assert "secrets." not in workflow.read_text()
    for job in data["jobs"].values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("pulumi/auth-actions@"):
                assert step["with"]["requested-token-type"] == "urn:pulumi:token-type:access_token:team"
                assert step["with"]["scope"].startswith("team:app-of-apps-")
            assert "configure-aws-credentials" not in step.get("uses", ""), "AWS comes from the ESC environment"
