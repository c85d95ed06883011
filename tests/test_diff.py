"""`fleet diff`: each layer, access widening and narrowing, renames, removals with and without
deletion protection, the JSON schema, git:REV:path and the CI gate."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from fleet.compiler import state_from_text
from fleet.reports import diff
from tests.conftest import BASE, ROOT, shipped

SCHEMA = json.loads((ROOT / "schemas" / "diff.v1.json").read_text())


def side(data: dict[str, Any]) -> tuple[Any, Any]:
    return state_from_text(yaml.safe_dump(data), "test.yaml")


def compare(base: dict[str, Any], head: dict[str, Any]) -> diff.Diff:
    result = diff.compute(side(base), side(head), "base", "head")
    jsonschema.validate(json.loads(result.model_dump_json()), SCHEMA)
    return result


def names(result: diff.Diff, layer: str, bucket: str) -> set[tuple[str, str]]:
    return {(c.type, c.name) for c in getattr(result.layers[layer], bucket)}


def test_committed_schema_is_the_model() -> None:
    assert diff.json_schema() == SCHEMA


def test_no_change() -> None:
    result = compare(copy.deepcopy(BASE), copy.deepcopy(BASE))
    assert result.empty
    assert result.warnings == []
    assert "No changes" in diff.markdown(result)


def test_a_new_app_adds_to_every_layer_and_grants_access() -> None:
    base = copy.deepcopy(BASE)
    base["teams"][1]["aws"] = {"owned_resources": ["arn:aws:sqs:eu-west-1:111111111111:acme-dev-search-q"]}  # search's
    head = copy.deepcopy(base)
    head["teams"][1]["apps"].append(
        {
            "name": "ranker",
            "source": {"repo": "https://github.com/acme/ranker", "path": "p"},
            "aws": {
                "statements": [
                    {
                        "actions": ["sqs:SendMessage"],
                        "resources": ["arn:aws:sqs:eu-west-1:111111111111:acme-dev-search-q"],
                    }
                ]
            },
        }
    )
    result = compare(base, head)
    assert ("aws:iam/role:Role", "acme-dev-search-ranker") in names(result, "aws", "added")
    assert ("kubernetes:core/v1:ServiceAccount", "search/ranker") in names(result, "kubernetes", "added")
    assert ("kubernetes:argoproj.io/v1alpha1:Application", "argocd/search-ranker") in names(result, "argocd", "added")
    assert ("kubernetes:argoproj.io/v1alpha1:AppProject", "argocd/search") in names(result, "argocd", "changed")
    (project,) = result.layers["argocd"].changed
    assert project.fields == ["spec.sourceRepos"]
    role = next(c for c in result.access if c.principal == "acme-dev-search-ranker")
    assert role.kind == "iam-role"
    assert role.gained == ["sqs:SendMessage on arn:aws:sqs:eu-west-1:111111111111:acme-dev-search-q"]
    developer = next(c for c in result.access if c.principal == "acme-dev-search-developer")
    assert (
        "aws act as arn:aws:iam::111111111111:role/fleet/acme-dev-search-ranker (through pods in search)"
        in developer.gained
    )
    assert result.warnings == []  # dev: no deletion protection, widening is not flagged


def test_okta_layer_and_membership() -> None:
    head = copy.deepcopy(BASE)
    head["teams"][1]["members"] = {"viewer": 'user.department == "Support"'}
    result = compare(copy.deepcopy(BASE), head)
    assert names(result, "okta", "added") == {("okta:group/rule:Rule", "acme-dev-search-viewer")}
    viewer = next(c for c in result.access if c.principal == "acme-dev-search-viewer")
    assert viewer.gained == ['members: everyone matching user.department == "Support"']


def test_narrowing_access() -> None:
    head = copy.deepcopy(BASE)
    head["personas"] = {
        "admin": {"kubernetes": "edit", "argocd": ["get"]},
        "developer": {"kubernetes": "view", "argocd": ["get"]},
        "viewer": {"kubernetes": "view", "argocd": ["get"]},
    }
    result = compare(copy.deepcopy(BASE), head)
    developer = next(c for c in result.access if c.principal == "acme-dev-payments-developer")
    assert "kubernetes payments pods: create" in developer.lost
    assert "argocd payments: applications sync" in developer.lost
    assert developer.gained == []
    admin = next(c for c in result.access if c.principal == "acme-dev-payments-admin")
    assert "kubernetes payments secrets: get" in admin.lost
    changed = names(result, "kubernetes", "changed")
    assert ("kubernetes:rbac.authorization.k8s.io/v1:Role", "payments/fleet-developer") in changed


def production(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    data["deletion_protection"] = True
    for team in data["teams"]:
        for app in team["apps"]:
            app["source"]["revision"] = "v1.0.0"  # production deploys pinned revisions
    return data


def test_widening_in_production_warns() -> None:
    head = production(BASE)
    head["teams"][0]["apps"][0]["aws"]["statements"][0]["actions"].append("s3:PutObject")
    result = compare(production(BASE), head)
    assert [w.kind for w in result.warnings] == ["access-widened-in-production"]
    assert (
        "IAM role acme-dev-payments-checkout gains 1 grant(s) in production: s3:PutObject on"
        in result.warnings[0].message
    )


def test_removal_with_deletion_protection_warns() -> None:
    head = production(BASE)
    del head["teams"][0]["apps"][0]
    result = compare(production(BASE), head)
    kinds = {w.kind for w in result.warnings}
    assert "protected-removal" in kinds
    assert any("aws:iam/role:Role acme-dev-payments-checkout is protected" in w.message for w in result.warnings)
    assert ("aws:iam/role:Role", "acme-dev-payments-checkout") in names(result, "aws", "removed")


def test_two_step_removal_is_quiet_in_its_second_step() -> None:
    retiring = production(BASE)
    retiring["teams"][0]["apps"][0]["lifecycle"] = "decommissioning"
    first = compare(production(BASE), retiring)
    changed = {c.name: c.fields for c in first.layers["aws"].changed}
    assert "(protect)" in changed["acme-dev-payments-checkout"]
    app = next(c for c in first.layers["argocd"].changed if c.name == "argocd/payments-checkout")
    assert "metadata.finalizers" in app.fields
    assert "spec.syncPolicy.automated" in app.fields
    head = copy.deepcopy(retiring)
    del head["teams"][0]["apps"][0]
    second = compare(retiring, head)
    assert second.warnings == []
    assert ("aws:iam/role:Role", "acme-dev-payments-checkout") in names(second, "aws", "removed")


def test_removal_without_protection_is_retained_and_says_so() -> None:
    head = copy.deepcopy(BASE)
    del head["teams"][1]
    result = compare(copy.deepcopy(BASE), head)
    assert {w.kind for w in result.warnings} == {"retained-removal"}
    assert any(
        "kubernetes:core/v1:Namespace search is removed without decommissioning" in w.message for w in result.warnings
    )


def test_renames_are_replacements() -> None:
    head = copy.deepcopy(BASE)
    head["teams"][0]["apps"][0]["name"] = "checkout-v2"
    head["teams"][1]["name"] = "searching"
    head["teams"][1]["namespaces"] = [{"name": "search"}]
    head["cluster"]["namespace_grants"] = {"search": "searching"}  # a renamed team keeps its namespace
    result = compare(copy.deepcopy(BASE), head)
    messages = [w.message for w in result.warnings if w.kind == "replacement"]
    assert any(
        m.startswith("app payments/checkout → payments/checkout-v2 looks like a rename: its IAM role") for m in messages
    )
    assert any(m.startswith("team search → searching looks like a rename") for m in messages)
    assert ("aws:iam/role:Role", "acme-dev-payments-checkout") in names(result, "aws", "removed")
    assert ("aws:iam/role:Role", "acme-dev-payments-checkout-v2") in names(result, "aws", "added")


def test_markdown_folds_long_lists() -> None:
    head = copy.deepcopy(BASE)
    head["teams"].append(
        {
            "name": "data",
            "owners": ["d@acme.example"],
            "apps": [
                {"name": f"a{i}", "source": {"repo": "https://github.com/acme/d", "path": f"p{i}"}} for i in range(12)
            ],
        }
    )
    text = diff.markdown(compare(copy.deepcopy(BASE), head))
    assert "<details>" in text
    assert "<summary>Argo CD: 13 added</summary>" in text


# --- the command -------------------------------------------------------------------------------
def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fleet", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


def test_git_revisions_and_the_gate(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "stacks").mkdir(parents=True)

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True, capture_output=True
        )

    git("init", "-q")
    (repo / "stacks" / "prod.yaml").write_text(yaml.safe_dump(production(BASE)))
    git("add", ".")
    git("commit", "-qm", "base")
    head = production(BASE)
    del head["teams"][1]
    (repo / "stacks" / "prod.yaml").write_text(yaml.safe_dump(head))

    result = _cli("diff", "git:HEAD:stacks/prod.yaml", "stacks/prod.yaml", "--format", "json", cwd=repo)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    jsonschema.validate(data, SCHEMA)
    assert data["base"] == "HEAD:stacks/prod.yaml"
    assert any(w["kind"] == "protected-removal" for w in data["warnings"])

    gated = _cli("diff", "git:HEAD:stacks/prod.yaml", "stacks/prod.yaml", "--fail-on", "warnings", cwd=repo)
    assert gated.returncode == 1
    assert "warning(s) need a human" in gated.stdout

    new_file = _cli("diff", "git:HEAD:stacks/dev.yaml", "stacks/prod.yaml", cwd=repo)
    assert new_file.returncode == 0
    assert "(absent)" in new_file.stdout

    bad_rev = _cli("diff", "git:no-such-rev:stacks/prod.yaml", "stacks/prod.yaml", cwd=repo)
    assert bad_rev.returncode == 2
    assert "cannot read at that revision" in bad_rev.stderr
    assert "Traceback" not in bad_rev.stderr


def test_invalid_side_is_bad_input(tmp_path: Path) -> None:
    bad = copy.deepcopy(BASE)
    bad["teams"][0]["name"] = "Bad Name"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    result = _cli("diff", shipped("dev"), str(path))
    assert result.returncode == 1
    assert "teams[0].name" in result.stderr


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_diff_of_the_real_stacks_runs(fmt: str) -> None:
    result = _cli("diff", shipped("dev"), shipped("dev"), "--format", fmt)
    assert result.returncode == 0, result.stderr
