"""`fleet validate` for tools (issue 19, item 5): many files at once, and the problems as
JSON, as a SARIF 2.1.0 log (valid against the OASIS schema, vendored) and as GitHub workflow
annotations (escaped, so that a catalog's values cannot write a command of their own); the
pre-commit hook that calls it."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from fleet.cli.main import run
from fleet.reports import findings
from fleet.text.problems import Problem
from tests.conftest import ROOT

SARIF_SCHEMA = ROOT / "vendor" / "sarif" / "sarif-schema-2.1.0.json"
VALIDATE_SCHEMA = json.loads((ROOT / "schemas" / "validate.v1.json").read_text())
MISTAKES = ROOT / "docs" / "examples" / "getting-started" / "mistakes.yaml"
GOOD = ROOT / "docs" / "examples" / "getting-started" / "dev.yaml"
# The three problems of MISTAKES, where they are written: (line, column, path, rule).
EXPECTED = [
    (30, 11, "teams[0].apps[0].source.path", "argocd-source-path"),
    (33, 25, "teams[0].apps[0].aws.statements[0].actions[0]", "iam-no-wildcard-action"),
    (37, 5, "teams[1].descripton", "catalog-contract"),
]


def _copy(tmp_path: Path, source: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copyfile(source, target)
    return target


def _validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(["validate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


# --- many files ---------------------------------------------------------------------------------
def test_many_files_each_judged_and_counted_line_by_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _copy(tmp_path, GOOD, "good.yaml")
    bad = _copy(tmp_path, MISTAKES, "bad.yaml")
    code, _, err = _validate(capsys, str(good), str(bad))
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 5, lines
    for line, (row, column, path, _) in zip(lines, EXPECTED, strict=False):
        assert line.startswith(f"{bad}:{row}:{column}: {path}: "), line
    assert lines[3] == f"{bad}: 3 problem(s); nothing was written"
    assert lines[4] == "2 catalogs: 1 valid, 1 invalid"


def test_all_valid_files_exit_0_with_a_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = _copy(tmp_path, GOOD, "a.yaml"), _copy(tmp_path, GOOD, "b.yaml")
    code, out, err = _validate(capsys, str(first), str(second), str(first))  # a file given twice: once
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "2 catalogs: 2 valid, 0 invalid"
    assert len(out.splitlines()) == 3


def test_an_unreadable_file_is_exit_2_and_the_others_are_still_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _copy(tmp_path, MISTAKES, "bad.yaml")
    code, _, err = _validate(capsys, str(tmp_path / "missing.yaml"), str(bad))
    assert code == 2
    assert f"error: {tmp_path / 'missing.yaml'}: cannot read" in err
    assert f"{bad}: 3 problem(s); nothing was written" in err


def test_no_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        run(["validate"])
    assert caught.value.code == 2


def test_a_file_of_a_catalog_folder_is_judged_with_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a pre-commit hook passes for a commit that changes two files of one folder: the
    folder is judged once (a team file alone is no catalog)."""
    data = yaml.safe_load(GOOD.read_text())
    folder = tmp_path / "stacks" / "dev"
    (folder / "teams").mkdir(parents=True)
    (folder / "platform.yaml").write_text(yaml.safe_dump({k: v for k, v in data.items() if k != "teams"}))
    for team in data["teams"]:
        (folder / "teams" / f"{team['name']}.yaml").write_text(yaml.safe_dump(team))
    code, out, err = _validate(capsys, str(folder / "teams" / "web.yaml"), str(folder / "platform.yaml"))
    assert (code, err) == (0, "")
    assert out == f"{folder}: valid: 1 teams, 1 apps, 1 namespaces, 1 IAM roles\n"
    (folder / "teams" / "web.yaml").write_text(yaml.safe_dump({**data["teams"][0], "descripton": "x"}))
    code, _, err = _validate(capsys, str(folder / "teams" / "web.yaml"))
    assert code == 1
    assert re.match(rf"{re.escape(str(folder / 'teams' / 'web.yaml'))}:[0-9]+:1: descripton: unknown field", err)


# --- JSON ---------------------------------------------------------------------------------------
def test_json_names_file_line_column_path_reason_and_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _copy(tmp_path, GOOD, "good.yaml")
    bad = _copy(tmp_path, MISTAKES, "bad.yaml")
    code, out, err = _validate(capsys, "--format", "json", str(good), str(bad))
    assert (code, err) == (1, "")
    data = json.loads(out)
    assert data["version"] == 1
    assert data["valid"] is False
    assert [(f["file"], f["valid"]) for f in data["files"]] == [(str(good), True), (str(bad), False)]
    assert data["files"][0]["summary"].startswith("valid: 1 teams")
    jsonschema.validate(data, VALIDATE_SCHEMA)
    found = [(p["line"], p["column"], p["path"], p["rule"]) for p in data["files"][1]["problems"]]
    assert found == EXPECTED
    assert all(p["file"] == str(bad) for p in data["files"][1]["problems"])


def test_the_committed_json_schema_is_the_model() -> None:
    assert findings.json_schema() == VALIDATE_SCHEMA


# --- SARIF --------------------------------------------------------------------------------------
def test_the_vendored_schema_is_the_oasis_one() -> None:
    schema = json.loads(SARIF_SCHEMA.read_text())
    assert schema["id"] == findings.SARIF_SCHEMA
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    source = (ROOT / "vendor" / "sarif" / "SOURCE.md").read_text()
    digest = hashlib.sha256(SARIF_SCHEMA.read_bytes()).hexdigest()
    assert f"{digest}  sarif-schema-2.1.0.json" in source


def test_sarif_is_valid_and_places_each_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _copy(tmp_path, GOOD, "good.yaml")
    bad = _copy(tmp_path, MISTAKES, "bad.yaml")
    code, out, _ = _validate(capsys, "--format", "sarif", str(good), str(bad))
    assert code == 1
    log = json.loads(out)
    errors = sorted(_sarif_validator().iter_errors(log), key=str)
    assert not errors, [e.message for e in errors]
    (sarif_run,) = log["runs"]
    results = sarif_run["results"]
    placed = [
        (
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"],
            r["message"]["text"].split(": ")[0],
            r["ruleId"],
        )
        for r in results
    ]
    assert placed == EXPECTED
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {bad.as_uri()}
    rules = sarif_run["tool"]["driver"]["rules"]
    assert [rules[r["ruleIndex"]]["id"] for r in results] == [r["ruleId"] for r in results]
    wildcard = next(rule for rule in rules if rule["id"] == "iam-no-wildcard-action")
    assert wildcard["shortDescription"]["text"]
    assert sarif_run["columnKind"] == "unicodeCodePoints"
    assert sarif_run["invocations"][0]["executionSuccessful"] is True


def test_sarif_of_valid_catalogs_has_no_results(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _validate(capsys, "--format", "sarif", str(GOOD.relative_to(ROOT)))
    assert code == 0
    log = json.loads(out)
    assert not list(_sarif_validator().iter_errors(log))
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["artifacts"] == [{"location": {"uri": "docs/examples/getting-started/dev.yaml"}}]


def test_sarif_uris_are_uri_references_and_unreadable_files_are_notifications(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = _copy(tmp_path, MISTAKES, "a file #1, [draft].yaml")
    code, out, _ = _validate(capsys, "--format", "sarif", str(odd), str(tmp_path / "missing.yaml"))
    assert code == 2
    log = json.loads(out)
    assert not list(_sarif_validator().iter_errors(log))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {odd.as_uri()}
    assert urlsplit(odd.as_uri()).fragment == ""  # '#' is encoded, not a fragment
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "cannot read" in invocation["toolExecutionNotifications"][0]["message"]["text"]
    assert findings.artifact_uri("stacks/dev team.yaml") == "stacks/dev%20team.yaml"


# --- GitHub annotations -------------------------------------------------------------------------
def test_github_annotations_carry_file_line_column_and_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _copy(tmp_path, MISTAKES, "bad.yaml")
    code, out, _ = _validate(capsys, "--format", "github", str(bad))
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 3
    for line, (row, column, path, rule) in zip(lines, EXPECTED, strict=True):
        assert line.startswith(f"::error file={bad},line={row},col={column},title={rule}::{path}: "), line


def test_github_annotations_are_escaped() -> None:
    """A value holding a line break, '%', ':' or ',' cannot end the command early or start
    another: the runner decodes %0A, %25, %3A and %2C back into the characters."""
    problem = Problem(
        "teams[0].description",
        "'x\n::add-mask::secret' 50% off, see: %0A",
        line=3,
        column=5,
    )
    result = findings.FileResult("stacks/a,b:c.yaml", problems=(problem,))
    (line,) = findings.github([result]).splitlines()
    head, message = line.split("::", 2)[1:]
    assert head == "error file=stacks/a%2Cb%3Ac.yaml,line=3,col=5,title=catalog-contract"
    assert "\n" not in message
    assert message == "teams[0].description: 'x\\x0a::add-mask::secret' 50%25 off, see: %250A"


def test_the_message_decodes_back_to_the_escaped_line() -> None:
    reason = "bad value 'a%b\rc' [iam-no-wildcard-action]"
    problem = Problem("p", reason, line=1, column=1)
    (line,) = findings.github([findings.FileResult("f.yaml", problems=(problem,))]).splitlines()
    message = line.split("::", 2)[2]
    decoded = message.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
    assert decoded == "p: bad value 'a%b\\x0dc' [iam-no-wildcard-action]"
    assert ",title=iam-no-wildcard-action::" in line


# --- pre-commit -----------------------------------------------------------------------------------
def test_the_pre_commit_hook_calls_validate_on_catalogs() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "fleet-validate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True
    command, *args = hook["entry"].split()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(rf'^{re.escape(command)} = "fleet\.cli\.console:main"$', pyproject, re.MULTILINE)
    assert args == ["validate"]
    files = re.compile(hook["files"])
    assert files.search("stacks/dev.yaml")
    assert files.search("stacks/dev/teams/payments.yaml")
    assert not files.search("docs/examples/getting-started/dev.yaml")
    assert not files.search("Pulumi.dev.yaml")


def test_the_hook_as_pre_commit_runs_it(capsys: pytest.CaptureFixture[str]) -> None:
    """What pre-commit runs for a commit that changes every file of both shipped catalogs (a
    catalog folder's files are judged with their folder, each folder once)."""
    hook = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())[0]
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "stacks").rglob("*.yaml"))
    catalogs = {f.split("/")[1] for f in files}
    assert all(re.search(hook["files"], f) for f in files)
    assert len(files) > len(catalogs)
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        code, out, err = _validate(capsys, *files)
    finally:
        os.chdir(here)
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == f"{len(catalogs)} catalogs: {len(catalogs)} valid, 0 invalid"
