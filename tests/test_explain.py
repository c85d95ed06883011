"""`fleet explain RULE-ID` (issue 19, item 6): every rule id the tool prints in brackets has an
example in the package, refused by its rule, and a fix that passes; an unknown id is an error
that names the closest ones."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from fleet.catalog import location
from fleet.cli.main import run
from fleet.compiler import validate
from fleet.pipeline import gate, steps
from fleet.reports import explain
from fleet.reports.findings import CONTRACT_RULE, YAML_RULE
from fleet.text.problems import CatalogError
from fleet.text.yaml_io import parse
from tests.conftest import ROOT

FLEET = ROOT / "fleet"
EXAMPLES = FLEET / "guardrails" / "examples"


def _printed_rule_ids() -> set[str]:
    """The ids the code prints in brackets besides the guardrails': rule constants and literal
    `[pipeline-…]` refusals anywhere in fleet/."""
    found = {CONTRACT_RULE, YAML_RULE}
    for path in FLEET.rglob("*.py"):
        text = path.read_text()
        found |= set(re.findall(r'^RULE\w* = "([a-z0-9]+(?:-[a-z0-9]+)+)"', text, re.MULTILINE))
        found |= set(re.findall(r"\[(pipeline-[a-z0-9]+(?:-[a-z0-9]+)*)\]", text))
    return found


def test_every_rule_has_its_example_in_the_package() -> None:
    wanted = set(explain.guardrail_ids()) | _printed_rule_ids()
    shipped = {p.stem for p in EXAMPLES.glob("*.yaml")} - {"base", "settings"}
    missing = sorted(wanted - shipped)
    assert not missing, f"add an example (refused, fixed, fix) for each in fleet/guardrails/examples/: {missing}"
    assert not shipped - wanted, f"examples of no rule: {sorted(shipped - wanted)}"
    assert set(explain.rule_ids()) == wanted
    assert len(wanted) >= 60


@pytest.mark.parametrize("rule_id", explain.guardrail_ids())
def test_a_guardrails_example_is_refused_by_it_and_its_fix_passes(rule_id: str) -> None:
    found = explain.explain(rule_id)
    assert found.says, f"{rule_id}: its example is not refused by it"
    assert found.fix
    assert found.reason
    assert found.fixed.strip()
    kind, rule = explain._guardrail(rule_id)  # type: ignore[misc]
    fixed = yaml.safe_load((EXAMPLES / f"{rule_id}.yaml").read_text())["fixed"]
    assert explain.judge(kind, rule, fixed) == [], f"{rule_id}: the fix is refused too"
    if kind == "catalog":  # the fixed catalog is valid as a whole, not only for this rule
        validate(explain.merge(explain.base_catalog(), yaml.safe_load(fixed)), "catalog.yaml")


def test_the_base_catalog_of_the_examples_is_valid() -> None:
    validate(explain.base_catalog(), "catalog.yaml")


def _file_example(rule_id: str) -> dict[str, object]:
    data = yaml.safe_load((EXAMPLES / f"{rule_id}.yaml").read_text())
    assert data["kind"] == "file"
    return data


def _pipeline_reasons(call: object) -> list[str]:
    try:
        call()  # type: ignore[operator]
    except location.PipelineError as err:
        return list(err.reasons)
    return []


def _regular_file_reasons(tmp_path: Path, link: bool) -> list[str]:
    from fleet.io.git import GitTree

    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True, capture_output=True)

    (tmp_path / "stacks/prod/teams").mkdir(parents=True)
    git("init", "-q", "-b", "main")
    (tmp_path / "stacks/dev/teams").mkdir(parents=True)
    (tmp_path / "stacks/prod/teams/search.yaml").write_text("name: search\n")
    target = tmp_path / "stacks/dev/teams/search.yaml"
    if link:
        target.symlink_to("../../prod/teams/search.yaml")
    else:
        target.write_text("name: search\n")
    git("add", "-A")
    git("-c", "user.name=a", "-c", "user.email=a@acme.example", "commit", "-q", "-m", "x")
    return _pipeline_reasons(lambda: GitTree(tmp_path, "HEAD").read("stacks/dev/teams/search.yaml"))


def _generated_stack_file_reasons(tmp_path: Path, committed: bool) -> list[str]:
    """What the pipeline says of a revision that commits the example's refused file (or does not)."""
    from fleet.io.git import GitTree

    ex = _file_example("pipeline-generated-stack-file")
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True, capture_output=True)

    tmp_path.mkdir(parents=True)
    git("init", "-q", "-b", "main")
    (tmp_path / "stacks/dev").mkdir(parents=True)
    (tmp_path / "stacks/dev/platform.yaml").write_text("environment: dev\n")
    (tmp_path / "Pulumi.yaml").write_text("name: app-of-apps\n")
    (tmp_path / "Pulumi.dev.yaml").write_text(str(ex["fixed"]))
    (tmp_path / ".gitignore").write_text("Pulumi.*.*.yaml\n")
    (tmp_path / str(ex["file"])).write_text(str(ex["refused"]))
    git("add", "-A")
    if committed:
        git("add", "-f", str(ex["file"]))  # past .gitignore, as a hostile pull request would
    git("-c", "user.name=a", "-c", "user.email=a@acme.example", "commit", "-q", "-m", "x")
    return _pipeline_reasons(lambda: steps.stack_catalogs(GitTree(tmp_path, "HEAD")))


def test_the_pipelines_and_validates_own_answers_are_what_the_code_says(tmp_path: Path) -> None:
    """The rules that are no guardrails keep their answer in their file: it must be the code's."""
    said: dict[str, tuple[list[str], list[str]]] = {}

    ex = _file_example("pipeline-catalog-in-stacks")
    value = lambda text: yaml.safe_load(text)["config"]["app-of-apps:fleet"]  # noqa: E731
    said[ex["file"] and "pipeline-catalog-in-stacks"] = (
        location.catalog_path_reasons(value(ex["refused"])),
        location.catalog_path_reasons(value(ex["fixed"])),
    )
    ex = _file_example("pipeline-catalog-config")
    said["pipeline-catalog-config"] = (
        _pipeline_reasons(lambda: location.configured_catalog(yaml.safe_load(ex["refused"]), {}, "dev")),
        _pipeline_reasons(lambda: location.configured_catalog(yaml.safe_load(ex["fixed"]), {}, "dev")),
    )
    ex = _file_example("pipeline-stack-settings")
    said["pipeline-stack-settings"] = (
        _pipeline_reasons(lambda: location.stack_settings(yaml.safe_load(ex["refused"]), "dev.payments")),
        _pipeline_reasons(lambda: location.stack_settings(yaml.safe_load(ex["fixed"]), "dev.payments")),
    )
    ex = _file_example("pipeline-esc-environment")
    said["pipeline-esc-environment"] = (
        _pipeline_reasons(lambda: steps.preview_config(ex["refused"], "dev")),
        _pipeline_reasons(lambda: steps.preview_config(ex["fixed"], "dev")),
    )
    head = "0123456789abcdef0123456789abcdef01234567"
    refused = gate.decide(head, 2, {"head_sha": head})
    approved = gate.decide(
        head,
        2,
        {
            "head_sha": head,
            "reviews": [
                {"user": "maria", "state": "APPROVED", "commit_id": head, "submitted_at": "2026-12-01T10:00:00Z"}
            ],
            "roles": {"maria": "maintain"},
        },
    )
    said["pipeline-warnings-accepted"] = (
        [] if refused.accepted else [refused.reason],
        [] if approved.accepted else [approved.reason],
    )
    said["pipeline-regular-files"] = (
        _regular_file_reasons(tmp_path / "link", link=True),
        _regular_file_reasons(tmp_path / "file", link=False),
    )
    said["pipeline-generated-stack-file"] = (
        _generated_stack_file_reasons(tmp_path / "committed", committed=True),
        _generated_stack_file_reasons(tmp_path / "ignored", committed=False),
    )
    ex = _file_example("catalog-yaml")

    def yaml_lines(text: str) -> list[str]:
        try:
            parse(text, str(ex["file"]))
        except CatalogError as err:
            return err.lines()
        return []

    said["catalog-yaml"] = (yaml_lines(ex["refused"]), yaml_lines(ex["fixed"]))
    for rule_id, (refused_lines, fixed_lines) in said.items():
        assert list(explain.explain(rule_id).says) == refused_lines, rule_id
        assert fixed_lines == [], f"{rule_id}: the fix is refused too: {fixed_lines}"
    kinds = {explain.explain(r).kind for r in explain.rule_ids()}
    assert set(said) == {r for r in explain.rule_ids() if explain.explain(r).kind == "file"}, kinds


def test_explain_prints_the_reason_the_refusal_and_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["explain", "[iam-no-wildcard-action]"]) == 0  # as a problem line shows it
    out = capsys.readouterr().out
    assert "\x1b[" not in out  # not a terminal: plain text
    for part in (
        "iam-no-wildcard-action",
        "No '*', 'service:*' or partial wildcard actions",
        "It refuses, for example",
        "'s3:*' grants every action of the service; list the actions needed",
        "The fix",
        "Name the actions the workload calls",
        '"Action": "s3:GetObject"',
    ):
        assert part in out, part
    assert run(["explain", "argocd-source-path", "--format", "md"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# `argocd-source-path`\n")
    assert "```yaml\nteams:\n  - apps:\n      - source: {path: ../payments-config}\n```" in markdown


def test_an_unknown_rule_is_an_error_that_names_the_closest(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["explain", "iam-no-wildcard"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown rule 'iam-no-wildcard' (did you mean 'iam-no-wildcard-action'")
    assert run(["explain", "nothing-like-it-at-all"]) == 2
    err = capsys.readouterr().err
    assert "did you mean" not in err
    assert "unknown rule 'nothing-like-it-at-all'" in err
    assert run(["explain"]) == 2
    assert "give a RULE-ID, or --list" in capsys.readouterr().err


def test_explain_list_names_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["explain", "--list", "--format", "md"]) == 0
    out = capsys.readouterr().out
    for rule_id in explain.rule_ids():
        assert f"| `{rule_id}` |" in out


def test_validates_own_rules_refuse_their_example_and_pass_the_fix() -> None:
    own = [r for r in explain.rule_ids() if explain.explain(r).kind == "validate"]
    assert {"catalog-contract", "catalog-team-name-platform"} <= set(own)
    for rule_id in own:
        found = explain.explain(rule_id)
        assert found.says, rule_id
        assert found.reason, rule_id
        fixed = yaml.safe_load((EXAMPLES / f"{rule_id}.yaml").read_text())["fixed"]
        validate(explain.merge(explain.base_catalog(), yaml.safe_load(fixed)), "catalog.yaml")
