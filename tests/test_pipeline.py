"""fleet.pipeline.steps: what main's code decides about a pull request, on real git repositories built
here (a base commit, a head commit), read as git objects the way the workflow reads them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from fleet.catalog import location, naming
from fleet.io import git as gitio
from fleet.pipeline import steps as pipeline
from tests.conftest import BASE, ROOT, STACKS
from tests.test_markdown import _LIVE, render

STACK_FILE = {"config": {"pulumi:disable-default-providers": ["*"], "app-of-apps:fleet": "stacks/dev.yaml"}}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=env).stdout


def commit(repo: Path, files: dict[str, str | None], links: dict[str, str] | None = None) -> str:
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for name, target in (links or {}).items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            path.unlink()
        path.symlink_to(target)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "c")
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    """A repository like ours: a stack file, its catalog, some code; returns (path, base sha)."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    base = commit(
        root,
        {
            "Pulumi.dev.yaml": yaml.safe_dump(STACK_FILE),
            "stacks/dev.yaml": yaml.safe_dump(BASE),
            "fleet/core.py": "x = 1\n",
            ".github/workflows/ci.yml": "name: ci\n",
        },
    )
    return root, base


def shown(markdown: str) -> str:
    """What a reader sees: the comment rendered by GitHub's engine, as text."""
    return "".join(render(markdown).text).replace("\u2060", "")


def with_app(name: str = "ranker") -> str:
    data = json.loads(json.dumps(BASE))
    data["teams"][1]["apps"].append({"name": name, "source": {"repo": "https://github.com/acme/r", "path": "p"}})
    return yaml.safe_dump(data)


def test_a_catalog_only_change_is_previewed_by_the_base_code(repo: tuple[Path, str]) -> None:
    root, base = repo
    head = commit(root, {"stacks/dev.yaml": with_app()})
    result = pipeline.review(root, base, head)
    assert result.classification.catalog_only
    assert result.invalid == ()
    assert "Catalogs only" in result.markdown
    assert "CAUTION" not in result.markdown
    assert "search-ranker" in shown(result.markdown)  # the diff of the catalog that changed


@pytest.mark.parametrize(
    ("path", "category"),
    [
        ("fleet/core.py", "code"),
        (".github/workflows/ci.yml", "workflow"),
        ("policies/__main__.py", "policies"),
        ("Pulumi.dev.yaml", "stack-config"),
        ("Pulumi.yaml", "stack-config"),
        ("README.md", "code"),
        ("stacks/notes.txt", "code"),
    ],
)
def test_anything_but_a_catalog_needs_approval_and_is_called_out(
    repo: tuple[Path, str], path: str, category: str
) -> None:
    root, base = repo
    text = yaml.safe_dump(STACK_FILE) + "# changed\n" if path.startswith("Pulumi.") else "changed\n"
    head = commit(root, {"stacks/dev.yaml": with_app(), path: text})
    result = pipeline.review(root, base, head)
    assert not result.classification.catalog_only
    assert result.classification.by_category[category] == [path]
    top = result.markdown.split("### app-of-apps", 1)[0]  # the call-outs come before every diff
    assert "[!CAUTION]" in top
    assert pipeline.CALLOUTS[category] in top
    assert f"`{path}`" in top
    assert f"`{pipeline.APPROVAL_ENVIRONMENT}` GitHub environment" in top


def test_a_symbolic_link_in_stacks_is_not_a_catalog_and_is_never_followed(repo: tuple[Path, str]) -> None:
    root, base = repo
    head = commit(root, {}, links={"stacks/dev.yaml": "/etc/passwd"})
    result = pipeline.review(root, base, head)
    assert result.classification.by_category == {"code": ["stacks/dev.yaml"]}
    assert result.invalid == ("(pipeline)",)
    assert location.RULE_REGULAR_FILE in shown(result.markdown)
    assert "root:" not in result.markdown


def test_the_review_follows_the_stack_file_not_a_glob(repo: tuple[Path, str]) -> None:
    """The head points dev at another catalog: the review diffs what dev will deploy."""
    root, base = repo
    moved = {"config": {**STACK_FILE["config"], "app-of-apps:fleet": "stacks/dev-next.yaml"}}
    head = commit(root, {"Pulumi.dev.yaml": yaml.safe_dump(moved), "stacks/dev-next.yaml": with_app("moved")})
    result = pipeline.review(root, base, head)
    assert f"{head[:12]}:stacks/dev-next.yaml" in shown(result.markdown)
    assert "search-moved" in shown(result.markdown)
    assert result.classification.by_category["stack-config"] == ["Pulumi.dev.yaml"]


@pytest.mark.parametrize(
    "value",
    ["../secrets.yaml", "/etc/passwd", "fleet/catalog.yaml", "stacks/../fleet/x.yaml", "stacks", "stacks/dev.yml"],
)
def test_a_catalog_outside_stacks_is_refused_by_the_review(repo: tuple[Path, str], value: str) -> None:
    root, base = repo
    moved = {"config": {**STACK_FILE["config"], "app-of-apps:fleet": value}}
    head = commit(root, {"Pulumi.dev.yaml": yaml.safe_dump(moved)})
    result = pipeline.review(root, base, head)
    assert result.invalid == ("(pipeline)",)
    assert location.RULE_CATALOG_PATH in shown(result.markdown)


def test_an_invalid_head_catalog_is_shown_and_fails(repo: tuple[Path, str]) -> None:
    root, base = repo
    head = commit(root, {"stacks/dev.yaml": yaml.safe_dump({**BASE, "organisation": "typo"})})
    result = pipeline.review(root, base, head)
    assert result.invalid == ("dev",)
    assert "unknown field 'organisation'" in shown(result.markdown)


def test_hostile_file_names_and_catalogs_keep_the_comment_structure(repo: tuple[Path, str]) -> None:
    root, base = repo
    hostile = "x</details>\n\n# LGTM @alice ![i](https://evil.example/i.png) <!--"
    data = json.loads(json.dumps(BASE))
    data["teams"][0]["members"]["viewer"] = hostile
    head = commit(root, {"stacks/dev.yaml": yaml.safe_dump(data), f"docs/{hostile}.md": "x\n"})
    harmless_head = commit(
        root,
        {
            f"docs/{hostile}.md": None,
            "docs/x.md": "x\n",
            "stacks/dev.yaml": yaml.safe_dump(
                {
                    **data,
                    "teams": [
                        {**data["teams"][0], "members": {**data["teams"][0]["members"], "viewer": "x"}},
                        data["teams"][1],
                    ],
                }
            ),
        },
    )
    hostile_shape = render(pipeline.review(root, base, head).markdown)
    harmless_shape = render(pipeline.review(root, base, harmless_head).markdown)
    assert hostile_shape.tags == harmless_shape.tags
    assert hostile_shape.comments == [pipeline.REVIEW_MARKER[4:-3]]
    assert not [t for t in hostile_shape.live_text if _LIVE.search(t)]


def test_overlay_takes_only_regular_catalogs_from_the_head(repo: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = repo
    head = commit(
        root, {"stacks/dev.yaml": with_app(), "stacks/new.yaml": "environment: new\n", "fleet/core.py": "evil\n"}
    )
    into = tmp_path / "base"
    (into / "stacks").mkdir(parents=True)
    (into / "stacks" / "gone.yaml").write_text("old\n")
    written = pipeline.overlay(root, head, into)
    assert sorted(written) == ["stacks/dev.yaml", "stacks/new.yaml"]
    assert sorted(p.name for p in (into / "stacks").iterdir()) == ["dev.yaml", "new.yaml"]
    assert not (into / "fleet").exists()
    linked = commit(root, {}, links={"stacks/dev.yaml": "../fleet/core.py"})
    with pytest.raises(location.PipelineError, match=location.RULE_REGULAR_FILE):
        pipeline.overlay(root, linked, into)


def test_the_program_resolves_links_before_it_trusts_a_path(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "secret.yaml").write_text("x\n")
    (tmp_path / "stacks" / "dev.yaml").write_text("x\n")
    (tmp_path / "stacks" / "link.yaml").symlink_to(tmp_path / "secret.yaml")
    assert location.resolve_catalog(None, "dev", tmp_path) == (tmp_path / "stacks" / "dev.yaml").resolve()
    with pytest.raises(location.PipelineError, match="outside the repository's stacks/ folder"):
        location.resolve_catalog("stacks/link.yaml", "dev", tmp_path)
    with pytest.raises(location.PipelineError, match=location.RULE_CATALOG_PATH):
        location.resolve_catalog("../secret.yaml", "dev", tmp_path)


def test_the_committed_stack_files_import_their_esc_environment_and_name_a_catalog_in_stacks() -> None:
    stacks = pipeline.stack_catalogs(gitio.GitTree(ROOT, "HEAD")) if (ROOT / ".git").exists() else {}
    for path in sorted(ROOT.glob("Pulumi.*.yaml")):
        stack = pipeline.STACK_FILE.fullmatch(path.name).group(1)  # type: ignore[union-attr]
        data = yaml.safe_load(path.read_text())
        assert data["environment"] == [naming.esc_environment(stack)]
        assert location.catalog_path(data["config"].get(location.CATALOG_KEY), stack).startswith("stacks/")
        preview = yaml.safe_load(pipeline.preview_config(path.read_text(), stack))
        assert preview["environment"] == [naming.esc_preview_environment(stack)]
        assert preview["config"] == data["config"]
        if stacks:
            assert stack in stacks


def test_a_stack_file_importing_anything_else_gets_no_preview_config() -> None:
    text = yaml.safe_dump({"environment": ["app-of-apps/prod"], "config": {}})
    with pytest.raises(location.PipelineError, match="pipeline-esc-environment"):
        pipeline.preview_config(text, "dev")


def test_a_github_output_value_cannot_add_a_line() -> None:
    out = pipeline.github_outputs({"comment": "x\ncatalog_only=true\n", "warnings": 2})
    assert out.splitlines() == ['comment="x\\ncatalog_only=true\\n"', "warnings=2"]


def test_the_preview_comment_and_drift_issue_fence_hostile_logs() -> None:
    log = "+ description: ```\n</details>\n@alice <!-- hidden\n" * 3
    for body in (
        pipeline.preview_comment({"dev": ("failed", log), "prod": ("no error", "ok")}, "catalog", "https://x/run"),
        pipeline.drift_issue("dev", log, "https://x/run"),
    ):
        hostile, harmless = render(body), render(body.replace(log, "x\n"))
        assert hostile.tags == harmless.tags
        assert not [t for t in hostile.live_text if _LIVE.search(t)]
    assert "the base branch's code" in pipeline.preview_comment({}, "catalog", "u")
    assert "after approval" in pipeline.preview_comment({}, "code", "u")


def test_the_preview_identity_reads_exactly_what_the_program_manages_and_nothing_else() -> None:
    import kubernetes_validate

    from fleet import guardrails
    from fleet.compiler import load_state, settings_for
    from fleet.guardrails.base import StackResource
    from fleet.render.resources import desired_resources

    for catalog in STACKS:
        parsed, state = load_state(catalog)
        resources = desired_resources(state)
        role, binding = pipeline.preview_cluster_role(r.type for r in resources)
        readable = {(g, res) for rule in role["rules"] for g in rule["apiGroups"] for res in rule["resources"]}  # type: ignore[index]
        managed = {pipeline._api_resource(r.type) for r in resources} - {None}
        assert readable == managed - {("", "secrets")}  # Argo CD's cluster Secrets: managed, never read
        assert {v for rule in role["rules"] for v in rule["verbs"]} == set(pipeline.READ_VERBS)  # type: ignore[index]
        assert ("", "secrets") not in readable
        for manifest in (role, binding):
            kubernetes_validate.validate(manifest, "1.31", strict=True)
        kinds = {"ClusterRole": "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"}
        kinds["ClusterRoleBinding"] = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
        judged = [StackResource(kinds[m["kind"]], m["metadata"]["name"], m) for m in (role, binding)]  # type: ignore[index]
        assert guardrails.check_resources(judged, settings_for(parsed)) == []
    assert binding["subjects"] == [  # type: ignore[index]
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": naming.PREVIEW_KUBERNETES_GROUP}
    ]


def test_plural_names_of_the_kinds() -> None:
    assert pipeline._api_resource("kubernetes:networking.k8s.io/v1:NetworkPolicy") == (
        "networking.k8s.io",
        "networkpolicies",
    )
    assert pipeline._api_resource("kubernetes:core/v1:Namespace") == ("", "namespaces")
    # a Patch or List resource is read as its kind: a preview reads the object it patches
    assert pipeline._api_resource("kubernetes:core/v1:ConfigMapPatch") == ("", "configmaps")
    assert pipeline._api_resource("kubernetes:rbac.authorization.k8s.io/v1:RoleBindingList") == (
        "rbac.authorization.k8s.io",
        "rolebindings",
    )
    assert pipeline._api_resource("aws:iam/role:Role") is None


def test_a_stack_whose_catalog_is_deleted_fails_the_review(repo: tuple[Path, str]) -> None:
    root, base = repo
    head = commit(root, {"stacks/dev.yaml": None})
    result = pipeline.review(root, base, head)
    assert result.classification.catalog_only
    assert "dev" in result.invalid
    assert "names stacks/dev.yaml, which does not exist" in shown(result.markdown)
