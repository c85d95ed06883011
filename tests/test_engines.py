"""fleet.pipeline.engines: the same stacks on Pulumi Deployments and the Pulumi Kubernetes Operator.
The Operator's `Stack` objects, generated and shown in the docs, are validated against an extract
of its CRD schema (vendor/pulumi-kubernetes-operator); the Deployments path filters are checked
against the classifier file by file."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from fleet.catalog.naming import stack_scope
from fleet.pipeline import affected as a
from fleet.pipeline import engines
from fleet.pipeline import steps as pipeline
from fleet.pipeline.affected import Environment, FileChange
from tests.conftest import ROOT

SCHEMA = json.loads((ROOT / "vendor" / "pulumi-kubernetes-operator" / "stack-v1.schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA)
DOC = ROOT / "docs" / "operator" / "engines.md"
OPTIONS = dict(
    organization="acme",
    repo_url="https://github.com/acme/app-of-apps",
    branch="main",
    namespace="app-of-apps-dev",
    service_account="app-of-apps-deployer",
    token_secret="pulumi-deployer-token",
)


def shipped() -> dict[str, Environment]:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    return pipeline.environments(pipeline.GitTree(ROOT, "HEAD"))


def problems(obj: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(obj)]


def operator_objects(name: str) -> list[dict[str, Any]]:
    environments = shipped()
    settings = yaml.safe_load((ROOT / f"Pulumi.{name}.yaml").read_text())
    return engines.operator_stacks(environments[name], settings, **OPTIONS)


# --- the Operator ---------------------------------------------------------------------------------


def test_the_schema_extract_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["spec"]["required"] == ["stack"]
    assert SCHEMA["properties"]["spec"]["additionalProperties"] is False


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_one_stack_object_per_team_and_one_for_the_platform(environment: str) -> None:
    environments = shipped()
    if environment not in environments:
        pytest.skip(f"no {environment}")
    objects = operator_objects(environment)
    assert [problems(o) for o in objects] == [[] for _ in objects]
    stacks = environments[environment].stacks()
    assert [o["spec"]["stack"] for o in objects] == [f"acme/app-of-apps/{s}" for s in stacks]
    names = [o["metadata"]["name"] for o in objects]
    assert len(set(names)) == len(names)
    reviewed = yaml.safe_load((ROOT / f"Pulumi.{environment}.yaml").read_text())
    for obj, stack in zip(objects, stacks, strict=True):
        spec = obj["spec"]
        assert spec["config"] == reviewed["config"]
        assert spec["environment"] == reviewed["environment"]
        assert spec["destroyOnFinalize"] is False
        assert "secrets" not in spec  # no secret inline; the token comes from a Secret
        if stack_scope(stack).kind == "team":
            assert spec["prerequisites"] == [{"name": "platform"}]
            assert obj["metadata"]["name"] == stack_scope(stack).team
        else:
            assert "prerequisites" not in spec


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda o: o["spec"].update(serviceAccount="x"), "Additional properties"),
        (lambda o: o["spec"].update(branch=1), "is not of type 'string'"),
        (lambda o: o["spec"].pop("stack"), "'stack' is a required property"),
        (lambda o: o.update(apiVersion="pulumi.com/v1alpha1"), "was expected"),
        (lambda o: o["spec"]["envRefs"]["PULUMI_ACCESS_TOKEN"]["secret"].pop("key"), "'key' is a required property"),
        (lambda o: o["spec"]["prerequisites"].append({"stack": "platform"}), "'name' is a required property"),
        (lambda o: o["metadata"].update(name="Dev_Payments"), "does not match"),
    ],
    ids=["unknown field", "wrong type", "no stack", "old version", "secret without key", "prerequisite", "bad name"],
)
def test_the_schema_would_refuse_a_broken_stack_object(break_it: Any, expected: str) -> None:
    obj = copy.deepcopy(operator_objects("dev")[1])
    break_it(obj)
    assert any(expected in p for p in problems(obj)), problems(obj)


def _shown_documents() -> list[dict[str, Any]]:
    """The Stack objects docs/operator/engines.md shows as the operator command's output (the
    `…` lines, which stand for the objects left out, dropped)."""
    text = DOC.read_text()
    match = re.search(r"```console\n\$ python -m fleet pipeline engine operator [^\n]*\n(.*?)^```", text, re.S | re.M)
    assert match, "the page shows the operator command"
    parts = [
        "\n".join(line for line in part.splitlines() if line.strip() != "…") for part in match.group(1).split("\n---\n")
    ]
    return [yaml.safe_load(part) for part in parts if part.strip()]


def test_the_stack_objects_the_docs_show_are_valid() -> None:
    shown = _shown_documents()
    assert [d["metadata"]["name"] for d in shown] == ["platform", "payments"]
    assert [problems(d) for d in shown] == [[], []]


# --- Deployments ---------------------------------------------------------------------------------


def glob(pattern: str) -> re.Pattern[str]:
    """A path filter as Pulumi documents it: matched against the whole path, `**` across folders,
    `*` within one."""
    out = re.escape(pattern).replace(r"\*\*", "\0").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
    return re.compile(out.replace("\0", ".*"))


def triggers(filters: list[str], path: str) -> bool:
    includes = [glob(f) for f in filters if not f.startswith("!")]
    excludes = [glob(f[1:]) for f in filters if f.startswith("!")]
    included = not includes or any(p.fullmatch(path) for p in includes)
    return included and not any(p.fullmatch(path) for p in excludes)


def _paths(environments: dict[str, Environment]) -> list[str]:
    tracked = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True
    ).stdout.split()
    extra = [f"{e.catalog}/teams/{t}.yaml" for e in environments.values() if e.folder for t in ("newteam", "Bad_Name")]
    return sorted({*tracked, *extra, "docs/new-page.md", "CHANGELOG.md", "fleet/notes.md", "stacks/unused.yaml"})


def test_the_path_filters_trigger_each_stack_when_the_classifier_says_it_is_affected() -> None:
    """File by file, over every file of the repository and some that are not there yet: a filter
    that triggers less than the classifier would skip a stack; more is allowed only where globs
    cannot follow it (a new team's file, a file under stacks/ that no stack deploys, a team file
    whose name no team may have)."""
    environments = shipped()
    allowed_more = re.compile(r"stacks/unused\.yaml|.*/teams/(newteam|Bad_Name)\.yaml")
    for stack in a.every_stack(environments):
        filters = engines.path_filters(stack, environments)
        for path in _paths(environments):
            affected = stack in a.affected_stacks(
                [FileChange("M", "100644", "100644", path)], environments, environments
            )
            fired = triggers(filters, path)
            assert fired or not affected, f"{stack}: a push of {path} affects it, but its filters do not trigger it"
            if fired and not affected:
                assert allowed_more.fullmatch(path), f"{stack}: {path} triggers it, but does not affect it"


def test_the_path_filter_matcher_can_fail() -> None:
    assert triggers(["**", "!docs/**"], "fleet/x.py")
    assert not triggers(["**", "!docs/**"], "docs/a/b.md")
    assert not triggers(["**", "!*.md"], "README.md")
    assert triggers(["**", "!*.md"], "fleet/README.md")
    assert not triggers(["stacks/**"], "fleet/x.py")


def test_deployments_never_preview_pull_requests_and_copy_the_environment_s_stack_file() -> None:
    environments = shipped()
    for stack in a.every_stack(environments):
        settings = engines.deployment_settings(stack, environments, "acme/app-of-apps", "main")
        assert settings["gitHub"]["previewPullRequests"] is False
        assert settings["gitHub"]["deployCommits"] is True
        assert settings["sourceContext"]["git"]["branch"] == "main"
        commands = settings["operationContext"].get("preRunCommands", [])
        scope = stack_scope(stack)
        if scope.kind == "environment":
            assert commands == []
        else:
            assert commands == [f"cp {pipeline.stack_file_of(stack)} Pulumi.{stack}.yaml"]
        assert "secret" not in json.dumps(settings).lower()


def test_the_engine_command_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    def fleet(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fleet", "pipeline", "engine", *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )

    missing = fleet("operator", "dev", "--organization", "acme")
    assert missing.returncode == 2
    assert "--repo-url, --namespace, --service-account, --token-secret" in missing.stderr
    unknown = fleet("deployments", "staging", "--repository", "acme/app-of-apps")
    assert unknown.returncode == 1
    assert "no environment 'staging'" in unknown.stderr
