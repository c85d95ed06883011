"""Promotion: the pinned-revision guardrail, and `fleet promote` rewriting one value only."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fleet.cli import run
from fleet.guardrails.argocd import unpinned_revision
from fleet.load import load, settings_for
from tests.conftest import ROOT

PROD = ROOT / "stacks" / "prod.yaml"
DEV = ROOT / "stacks" / "dev.yaml"
SHA = "4f1c2e9b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f"


@pytest.mark.parametrize(
    "revision", [SHA, SHA.upper(), "v2.14.0", "2.14.0", "v1.0.0-rc.1+build.7", "refs/tags/release-7"]
)
def test_pinned_revisions(revision: str) -> None:
    assert unpinned_revision(revision) is None


@pytest.mark.parametrize(
    ("revision", "phrase"),
    [
        ("main", "is a branch"),
        ("HEAD", "HEAD follows"),
        ("release/2.14", "is a branch"),
        ("v2.14", "is a branch"),  # not three numbers: a branch may be called that
        ("refs/heads/main", "is a branch"),
        ("refs/tags/", "is a branch"),
        (SHA[:12], "short commit SHA"),
        (SHA + "0", "is a branch"),
    ],
)
def test_unpinned_revisions(revision: str, phrase: str) -> None:
    reason = unpinned_revision(revision)
    assert reason is not None
    assert phrase in reason


def _prod_with(tmp_path: Path, revision: str | None) -> Path:
    data = yaml.safe_load(PROD.read_text())
    source = data["teams"][0]["apps"][0]["source"]
    if revision is None:
        del source["revision"]
    else:
        source["revision"] = revision
    path = tmp_path / "prod.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize(("revision", "phrase"), [("main", "'main' is a branch"), (None, "HEAD follows")])
def test_validate_refuses_a_branch_in_an_environment_with_deletion_protection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], revision: str | None, phrase: str
) -> None:
    path = _prod_with(tmp_path, revision)
    assert run(["validate", str(path)]) == 1
    (line, summary) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{path}: teams[0].apps[0].source.revision: deletion_protection is on: ")
    assert phrase in line
    assert line.endswith("[argocd-revision-pinned]")
    assert summary.endswith("1 problem(s); nothing was written")


def test_branches_are_fine_where_nothing_is_protected(capsys: pytest.CaptureFixture[str]) -> None:
    data = yaml.safe_load(DEV.read_text())
    assert data["deletion_protection"] is False
    assert any(a["source"].get("revision") == "main" for t in data["teams"] for a in t["apps"])
    assert run(["validate", str(DEV)]) == 0


def test_the_shipped_prod_catalog_is_pinned_and_its_program_judges_applications() -> None:
    catalog = load(PROD)
    git_revisions = [s.revision for t in catalog.teams for a in t.apps for _, s in a.all_sources() if s.chart is None]
    assert all(unpinned_revision(r) is None for r in git_revisions)
    assert settings_for(catalog).require_pinned_revisions is True
    assert settings_for(load(DEV)).require_pinned_revisions is False


@pytest.mark.parametrize(
    ("resource_type", "props", "refused"),
    [
        ("ApplicationPatch", {"metadata": {"name": "a"}, "spec": {"syncPolicy": {}}}, False),  # revision untouched
        ("ApplicationPatch", {"metadata": {"name": "a"}, "spec": {"source": {"path": "p"}}}, False),
        ("ApplicationPatch", {"metadata": {"name": "a"}, "spec": {"source": {"targetRevision": "main"}}}, True),
        ("Application", {"metadata": {"name": "a"}, "spec": {"source": {"repoURL": "r", "path": "p"}}}, True),
    ],
)
def test_the_pack_judges_what_a_patch_sets(resource_type: str, props: dict, refused: bool) -> None:
    from tests.test_guardrails import pack_resource_violations

    config = {"requirePinnedRevisions": True}
    found = pack_resource_violations(
        "argocd-revision-pinned", f"kubernetes:argoproj.io/v1alpha1:{resource_type}", props, config
    )
    assert bool(found) is refused, found
    assert (
        pack_resource_violations(
            "argocd-revision-pinned", f"kubernetes:argoproj.io/v1alpha1:{resource_type}", props, {}
        )
        == []
    )
