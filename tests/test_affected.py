"""fleet.pipeline.affected: which stacks a change affects, as data, then on real git repositories
read the way the workflows read them (the base branch's code, both revisions as git objects).
Each rule has a case that must list a stack and a case that must not; the attacks are cases too."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fleet.catalog.location import PipelineError
from fleet.catalog.naming import platform_stack, stack_scope, team_stack
from fleet.compiler import load_state
from fleet.io.git import WorkingTree as GitWorkingTree
from fleet.pipeline import affected as a
from fleet.pipeline import steps as pipeline
from fleet.pipeline.affected import Environment, FileChange, Plan
from fleet.text.problems import UsageError
from tests.conftest import ROOT, one_file_text
from tests.test_pipeline import commit, git


def git_head(root: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


DEV = Environment("dev", "stacks/dev", frozenset({"payments", "search"}))
PROD = Environment("prod", "stacks/prod.yaml")
BOTH = {"dev": DEV, "prod": PROD}
EVERY = ["dev.platform", "dev.payments", "dev.search", "prod"]


def change(path: str, status: str = "M", old: str = "100644", new: str = "100644") -> FileChange:
    if status == "A":
        old = a.ABSENT_MODE
    if status == "D":
        new = a.ABSENT_MODE
    return FileChange(status, old, new, path)


def stacks(*changes: FileChange, base: a.Environments = BOTH, head: a.Environments = BOTH) -> list[str]:
    return list(a.affected_stacks(changes, base, head))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ([change("stacks/dev/teams/payments.yaml")], ["dev.payments"]),
        ([change("stacks/dev/teams/analytics.yaml", "A")], ["dev.analytics"]),  # a new team: its new stack
        ([change("stacks/dev/teams/search.yaml", "D")], ["dev.search"]),  # a team leaves: its stack empties
        ([change("stacks/dev/platform.yaml")], ["dev.platform", "dev.payments", "dev.search"]),
        ([change("Pulumi.dev.yaml")], ["dev.platform", "dev.payments", "dev.search"]),
        ([change("Pulumi.dev.payments.yaml")], ["dev.platform", "dev.payments", "dev.search"]),
        ([change("stacks/prod.yaml")], ["prod"]),  # a one-file catalog: one stack
        ([change("fleet/compiler.py")], EVERY),
        ([change("components/team.py")], EVERY),
        ([change("__main__.py")], EVERY),
        ([change("Pulumi.yaml")], EVERY),
        ([change("requirements.txt")], EVERY),
        ([change("constraints.txt")], EVERY),
        ([change("policies/__main__.py")], EVERY),
        ([change(".github/workflows/deploy.yml")], EVERY),
        ([change("docs/operator/pipeline.md"), change("README.md"), change("mkdocs.yml")], []),
        ([change("stacks/unused.yaml", "A")], []),  # a catalog no stack deploys
        ([change("stacks/dev/teams/payments.yaml"), change("components/team.py")], EVERY),
        ([change("stacks/prod/teams/payments.yaml")], []),  # no environment deploys that folder
        ([], []),
        (
            [change("stacks/dev/teams/payments.yaml"), change("stacks/dev/teams/search.yaml")],
            ["dev.payments", "dev.search"],
        ),
    ],
    ids=[
        "team file",
        "new team",
        "removed team",
        "platform file",
        "stack file",
        "a stack's own stack file",
        "one-file catalog",
        "program code",
        "components",
        "__main__",
        "project file",
        "requirements",
        "constraints",
        "policy pack",
        "workflows",
        "docs only",
        "unused catalog",
        "team file and code",
        "another environment's folder",
        "nothing",
        "two teams",
    ],
)
def test_changed_files_map_to_stacks(changes: list[FileChange], expected: list[str]) -> None:
    assert stacks(*changes) == expected


def test_a_team_change_leaves_every_other_stack_out() -> None:
    """The failing half of the team rule: nobody else's stack, not even the platform's."""
    out = a.affected_stacks([change("stacks/dev/teams/payments.yaml")], BOTH, BOTH)
    assert set(EVERY) - set(out) == {"dev.platform", "dev.search", "prod"}
    assert out["dev.payments"] == ["stacks/dev/teams/payments.yaml"]


# --- a pull request must not shrink its own matrix ----------------------------------------------


@pytest.mark.parametrize(
    ("changes", "must_include"),
    [
        # a link where a team file was: not data the catalog reads (and refused); its whole environment
        ([change("stacks/dev/teams/payments.yaml", new="120000")], ["dev.platform", "dev.payments", "dev.search"]),
        # a link in docs/ could point anywhere: not "docs only"
        ([change("docs/x.md", new="120000")], EVERY),
        # a submodule in the folder
        ([change("stacks/dev/teams/x", "A", new="160000")], ["dev.platform", "dev.payments", "dev.search"]),
        # a team file named so that its stack name would be unsafe or the platform's
        ([change("stacks/dev/teams/platform.yaml", "A")], ["dev.platform", "dev.payments", "dev.search"]),
        ([change("stacks/dev/teams/Evil$(id).yaml", "A")], ["dev.platform", "dev.payments", "dev.search"]),
        # a stray file in the folder (the catalog refuses it; the preview still covers the environment)
        ([change("stacks/dev/teams/notes.txt", "A")], ["dev.platform", "dev.payments", "dev.search"]),
        # Markdown below the top is not documentation by name (fleet/ could read it)
        ([change("fleet/catalog/notes.md")], EVERY),
        # a stack file whose name is no stack of ours
        ([change("Pulumi.dev.a.b.yaml")], EVERY),
        # a stack file of an environment that does not exist at either revision
        ([change("Pulumi.staging.yaml", "A")], EVERY),
    ],
    ids=[
        "link for a team file",
        "link in docs",
        "submodule",
        "team named platform",
        "unsafe name",
        "stray file",
        "markdown in code",
        "odd stack file",
        "unknown environment",
    ],
)
def test_nothing_a_pull_request_writes_makes_its_matrix_skip_a_stack(
    changes: list[FileChange], must_include: list[str]
) -> None:
    assert set(must_include) <= set(stacks(*changes))


def test_a_renamed_team_file_affects_both_names() -> None:
    """git diff --no-renames: a rename is a removal and an addition, both stacks previewed."""
    assert stacks(change("stacks/dev/teams/search.yaml", "D"), change("stacks/dev/teams/ranking.yaml", "A")) == [
        "dev.ranking",
        "dev.search",
    ]


def test_pointing_an_environment_at_another_catalog_affects_the_stacks_of_both() -> None:
    """The head moves dev to stacks/dev2 with other teams: base and head stacks both run. Reading
    only the head's stack files (the failing case below) would skip the teams that disappear."""
    moved = {"dev": Environment("dev", "stacks/dev2", frozenset({"payments"})), "prod": PROD}
    changes = [change("Pulumi.dev.yaml"), change("stacks/dev2/platform.yaml", "A")]
    both = stacks(*changes, base=BOTH, head=moved)
    assert both == ["dev.platform", "dev.payments", "dev.search"]
    head_only = stacks(*changes, base=moved, head=moved)
    assert "dev.search" not in head_only  # why the base's environments count too


def test_a_file_of_a_catalog_only_the_base_deploys_still_counts() -> None:
    gone = {"prod": PROD}
    assert stacks(change("stacks/dev/teams/search.yaml"), base=BOTH, head=gone) == ["dev.search"]


def test_a_catalog_converted_from_one_file_to_a_folder_affects_both_shapes() -> None:
    before = {"dev": Environment("dev", "stacks/dev.yaml")}
    out = stacks(change("Pulumi.dev.yaml"), change("stacks/dev.yaml", "D"), base=before, head=BOTH)
    assert out == ["dev", "dev.platform", "dev.payments", "dev.search"]


def test_order_is_per_environment_platform_first() -> None:
    assert stacks(change("fleet/x.py")) == EVERY
    for stack in EVERY:
        stack_scope(stack)  # every name is a stack name of ours


# --- the matrix ---------------------------------------------------------------------------------


def test_one_job_a_stack() -> None:
    assert a.matrix(["dev.platform", "dev.payments"]) == {
        "include": [
            {"name": "dev.platform", "environment": "dev", "stacks": "dev.platform"},
            {"name": "dev.payments", "environment": "dev", "stacks": "dev.payments"},
        ]
    }
    assert a.matrix([]) == {"include": []}


def test_past_github_s_job_limit_stacks_share_stable_shards() -> None:
    """200 teams in two environments is 402 stacks; GitHub runs 256 jobs of a matrix at most."""
    many = [platform_stack(e) for e in ("dev", "prod")] + [
        team_stack(e, f"t{i}") for e in ("dev", "prod") for i in range(200)
    ]
    out = a.matrix(many)["include"]
    assert len(out) <= a.MAX_MATRIX_JOBS
    listed = [s for job in out for s in job["stacks"].split(" ")]
    assert sorted(listed) == sorted(many)  # each stack exactly once
    assert all(stack_scope(s).environment == job["environment"] for job in out for s in job["stacks"].split(" "))
    again = a.matrix(list(reversed(many)))["include"]
    shard_of = {s: job["name"] for job in out for s in job["stacks"].split(" ")}
    assert shard_of == {s: job["name"] for job in again for s in job["stacks"].split(" ")}
    assert len(a.matrix(many[:256])["include"]) == 256  # at the limit: still one job a stack


def test_a_plan_runs_only_the_stacks_the_head_has() -> None:
    head = {"dev": Environment("dev", "stacks/dev", frozenset({"payments"}))}
    plan = Plan.of(["dev.platform", "dev.payments", "dev.search", "prod"], head)
    assert plan.stacks == ("dev.platform", "dev.payments")
    assert plan.removed == ("dev.search", "prod")


def test_the_plan_s_outputs_split_platform_and_teams_per_environment() -> None:
    plan = Plan(("dev.platform", "dev.payments", "prod"))
    out = plan.outputs(["dev", "prod", "staging"])
    assert out["stacks"] == ["dev.platform", "dev.payments", "prod"]
    assert out["any"] is True
    assert Plan(()).outputs()["any"] is False
    assert out["platform_dev"] is True
    assert out["any_dev"] is True
    assert [j["stacks"] for j in out["teams_dev"]["include"]] == ["dev.payments"]  # type: ignore[index]
    assert out["platform_prod"] is False
    assert [j["stacks"] for j in out["teams_prod"]["include"]] == ["prod"]  # type: ignore[index]
    assert out["platform_staging"] is False
    assert out["any_staging"] is False
    assert out["teams_staging"] == {"include": []}
    lines = pipeline.github_outputs(out).splitlines()
    assert all(line.count("=") >= 1 and "\n" not in line for line in lines)
    assert json.loads(lines[0].split("=", 1)[1]) == ["dev.platform", "dev.payments", "prod"]


# --- on real repositories, through the command the workflows run -------------------------------


def fleet(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fleet", *args], capture_output=True, text=True, check=False, cwd=cwd or ROOT
    )


@pytest.fixture
def shipped_repo(tmp_path: Path) -> tuple[Path, str]:
    """A repository holding the shipped dev folder and its stack file, and some code."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    shutil.copytree(ROOT / "stacks" / "dev", root / "stacks" / "dev")
    shutil.copy(ROOT / "Pulumi.dev.yaml", root / "Pulumi.dev.yaml")
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    base = commit(root, {"fleet/core.py": "x = 1\n", "docs/index.md": "# docs\n"})
    return root, base


def _teams() -> list[str]:
    return sorted(p.stem for p in (ROOT / "stacks" / "dev" / "teams").glob("*.yaml"))


def test_the_matrix_command_lists_the_changed_team_s_stack_only(shipped_repo: tuple[Path, str]) -> None:
    root, base = shipped_repo
    team = _teams()[0]
    path = f"stacks/dev/teams/{team}.yaml"
    head = commit(root, {path: (root / path).read_text() + "# a comment\n"})
    out = root.parent / "github_output"
    result = fleet(
        "pipeline",
        "matrix",
        "--repo",
        str(root),
        "--base",
        base,
        "--head",
        head,
        "--environments",
        "dev,prod",
        "--github-output",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["stacks"] == [f"dev.{team}"]
    assert printed["platform_dev"] is False
    assert printed["any_prod"] is False
    written = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert json.loads(written["teams_dev"]) == {
        "include": [{"name": f"dev.{team}", "environment": "dev", "stacks": f"dev.{team}"}]
    }


def test_the_matrix_command_without_a_base_lists_every_stack(shipped_repo: tuple[Path, str]) -> None:
    root, base = shipped_repo
    printed = json.loads(fleet("pipeline", "matrix", "--repo", str(root), "--head", base).stdout)
    assert printed["stacks"] == ["dev.platform", *(f"dev.{t}" for t in _teams())]


@pytest.mark.parametrize("base", ["0" * 40, "rewritten"], ids=["first push", "history rewritten"])
def test_a_base_that_is_not_an_ancestor_runs_every_stack(shipped_repo: tuple[Path, str], base: str) -> None:
    root, first = shipped_repo
    head = commit(root, {"docs/index.md": "# more docs\n"})
    if base == "rewritten":
        git(root, "checkout", "-q", "--orphan", "other")
        base = commit(root, {"docs/other.md": "x\n"})
        git(root, "checkout", "-q", "main")
    printed = json.loads(fleet("pipeline", "matrix", "--repo", str(root), "--base", base, "--head", head).stdout)
    assert printed["stacks"] == ["dev.platform", *(f"dev.{t}" for t in _teams())]
    # and with the true base, a docs-only push runs nothing
    printed = json.loads(fleet("pipeline", "matrix", "--repo", str(root), "--base", first, "--head", head).stdout)
    assert printed["stacks"] == []


def test_the_review_writes_the_matrix_of_the_stacks_the_pull_request_changes(
    shipped_repo: tuple[Path, str], tmp_path: Path
) -> None:
    root, base = shipped_repo
    head = commit(root, {"stacks/dev/platform.yaml": (root / "stacks/dev/platform.yaml").read_text() + "# c\n"})
    out = tmp_path / "out"
    result = fleet(
        "pipeline",
        "review",
        "--repo",
        str(root),
        "--base",
        base,
        "--head",
        head,
        "--out",
        str(tmp_path / "review.md"),
        "--github-output",
        str(out),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    written = {k: json.loads(v) for k, v in (line.split("=", 1) for line in out.read_text().splitlines())}
    expected = ["dev.platform", *(f"dev.{t}" for t in _teams())]
    assert written["stacks"] == expected
    assert [job["stacks"] for job in written["matrix"]["include"]] == expected
    assert written["catalog_only"] is True


def test_the_review_reads_team_files_at_both_revisions(shipped_repo: tuple[Path, str], tmp_path: Path) -> None:
    """A pull request removing a team previews the stack that loses it (the base's team list)."""
    root, base = shipped_repo
    team = _teams()[-1]
    head = commit(root, {f"stacks/dev/teams/{team}.yaml": None})
    environments = pipeline.environments(pipeline.GitTree(root, base))
    assert team in environments["dev"].teams
    assert team not in pipeline.environments(pipeline.GitTree(root, head))["dev"].teams
    plan = pipeline.run_plan(root, head, base)
    # The removed stack is not run: it is left as it is, as `fleet up` leaves it. The platform file
    # still names the team, so the head's catalog is refused and cannot be rendered: the platform
    # stack is selected (its run refuses the catalog before any stack changes).
    assert plan.stacks == ("dev.platform",)
    assert plan.removed == (f"dev.{team}",)
    review = pipeline.review(root, base, head)
    assert review.plan == plan
    assert f"`dev.{team}` (no longer at the head" in review.markdown


def test_the_shipped_repository_s_every_stack() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    catalogs = pipeline.stack_catalogs(pipeline.GitTree(ROOT, "HEAD"))
    environments = pipeline.environments(pipeline.GitTree(ROOT, "HEAD"), catalogs)
    every = a.every_stack(environments)
    for name, environment in environments.items():
        data = yaml.safe_load((ROOT / f"Pulumi.{name}.yaml").read_text())
        assert data["config"]["app-of-apps:fleet"] == environment.catalog
        assert platform_stack(name) in every if environment.folder else name in every


# --- what a team file changes beyond its own stack (the render of both revisions) ----------------
NEW_TEAM = "name: {name}\ndescription: A new team\nowners: [fay@acme.example]\ncode_owners: ['@acme/{name}']\n"


def _folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(ROOT / "stacks" / "dev", folder)
    return folder


def _rendered(before: Path, after: Path) -> list[str]:
    return a.rendered_stacks(load_state(before)[1], load_state(after)[1])


def test_a_team_file_s_render_changes_its_own_stack_alone(tmp_path: Path) -> None:
    base = _folder(tmp_path, "base")
    assert _rendered(base, base) == []
    head = _folder(tmp_path, "head")
    team = head / "teams" / "identity.yaml"
    text = team.read_text()
    team.write_text(text.replace("Customer identity and sessions", "Customer identity"))
    assert _rendered(base, head) == ["dev.identity"]
    # A new namespace: the admission policy judges ownership by label, the platform is unchanged.
    team.write_text(
        text.replace("namespaces:\n", "namespaces:\n  - name: identity-batch\n    pod_security: restricted\n")
    )
    assert _rendered(base, head) == ["dev.identity"]


def test_a_team_that_comes_or_goes_changes_the_platform_stack(tmp_path: Path) -> None:
    base = _folder(tmp_path, "base")
    head = _folder(tmp_path, "head")
    (head / "teams" / "billing.yaml").write_text(NEW_TEAM.format(name="billing"))
    # The team stack refuses a platform stack whose `platform` output does not name it.
    assert _rendered(base, head) == ["dev.platform", "dev.billing"]
    assert _rendered(head, base) == ["dev.platform"]  # billing's stack is removed, never run


def test_the_render_adds_its_stacks_to_the_files_own(tmp_path: Path) -> None:
    added = change("stacks/dev/teams/analytics.yaml", "A")
    out = a.affected_stacks([added, change("docs/x.md")], BOTH, BOTH, {"dev": ["dev.platform", "dev.analytics"]})
    assert out == {"dev.platform": [added.path], "dev.analytics": [added.path]}
    # the render of one environment names no file of another
    other = change("stacks/prod.yaml")
    out = a.affected_stacks([added, other], BOTH, BOTH, {"dev": ["dev.platform"]})
    assert out == {"dev.platform": [added.path], "dev.analytics": [added.path], "prod": [other.path]}


def test_a_new_team_s_pull_request_runs_the_platform_stack_first(shipped_repo: tuple[Path, str]) -> None:
    root, base = shipped_repo
    head = commit(root, {"stacks/dev/teams/billing.yaml": NEW_TEAM.format(name="billing")})
    plan = pipeline.run_plan(root, head, base)
    assert plan.stacks == ("dev.platform", "dev.billing")
    assert plan.outputs()["platform_dev"] is True
    review = pipeline.review(root, base, head)
    assert review.plan == plan
    # and the pull request that removes it again: the platform stack, the team's stack left alone
    gone = commit(root, {"stacks/dev/teams/billing.yaml": None})
    assert pipeline.run_plan(root, gone, head) == Plan(("dev.platform",), ("dev.billing",))
    # a comment in a team file renders the same: its own stack only
    path = f"stacks/dev/teams/{_teams()[0]}.yaml"
    edited = commit(root, {path: (root / path).read_text() + "# a comment\n"})
    assert pipeline.run_plan(root, edited, gone).stacks == (f"dev.{_teams()[0]}",)


def test_a_side_that_cannot_be_rendered_runs_the_platform_stack_too(shipped_repo: tuple[Path, str]) -> None:
    root, base = shipped_repo
    team = _teams()[0]
    path = f"stacks/dev/teams/{team}.yaml"
    shipped = (root / path).read_text()
    broken = commit(root, {path: "name: [\n"})  # not YAML
    assert pipeline.run_plan(root, broken, base).stacks == ("dev.platform", f"dev.{team}")
    fixed = commit(root, {path: shipped})  # the base cannot be rendered: the platform runs as well
    assert pipeline.run_plan(root, fixed, broken).stacks == ("dev.platform", f"dev.{team}")
    (root / path).write_bytes(b"name: \xff\xfe\n")  # not UTF-8
    git(root, "commit", "-qam", "not utf-8")
    unreadable = git_head(root)
    assert pipeline.run_plan(root, unreadable, fixed).stacks == ("dev.platform", f"dev.{team}")
    assert pipeline.run_plan(root, commit(root, {path: shipped}), unreadable).stacks == ("dev.platform", f"dev.{team}")


def test_a_stack_file_naming_another_environment_s_folder_runs_its_platform_stack(
    shipped_repo: tuple[Path, str],
) -> None:
    root, _ = shipped_repo
    base = commit(root, {"Pulumi.staging.yaml": (root / "Pulumi.dev.yaml").read_text()})  # names stacks/dev
    team = _teams()[0]
    path = f"stacks/dev/teams/{team}.yaml"
    head = commit(root, {path: (root / path).read_text().replace("description: ", "description: Edited. ", 1)})
    # dev's render is the catalog's own: its team's stack; staging's is refused at deploy (the
    # catalog says dev): its platform stack is selected too, whose run says why.
    assert pipeline.run_plan(root, head, base).stacks == (f"dev.{team}", "staging.platform", f"staging.{team}")


def test_a_one_file_base_turned_into_a_folder_runs_every_stack_of_both(shipped_repo: tuple[Path, str]) -> None:
    root, base = shipped_repo
    one_file = one_file_text("dev")
    stack_file = (root / "Pulumi.dev.yaml").read_text()
    joined = commit(
        root, {"stacks/dev.yaml": one_file, "Pulumi.dev.yaml": stack_file.replace("stacks/dev", "stacks/dev.yaml")}
    )
    assert pipeline.run_plan(root, joined, base).stacks == ("dev",)
    back = commit(root, {"Pulumi.dev.yaml": stack_file, "stacks/dev.yaml": None})
    assert pipeline.run_plan(root, back, joined) == Plan(("dev.platform", *(f"dev.{t}" for t in _teams())), ("dev",))


# --- the working tree: what `python -m fleet up CATALOG --changed-since REV` runs ---------------
def test_the_working_tree_is_classified_by_the_same_rules(shipped_repo: tuple[Path, str]) -> None:
    root, base = shipped_repo
    first, second = _teams()[:2]
    assert pipeline.working_tree_plan(root, base) == Plan(())
    (root / "docs" / "index.md").write_text("# docs, edited\n")  # documentation alone: no stack
    assert pipeline.working_tree_plan(root, base) == Plan(())
    team = root / "stacks" / "dev" / "teams" / f"{first}.yaml"
    team.write_text(team.read_text() + "# edited, not committed\n")
    assert pipeline.working_tree_plan(root, base) == Plan((f"dev.{first}",))
    (root / "stacks" / "dev" / "teams" / f"{second}.yaml").unlink()  # a team leaves: its stack is not run
    # (the platform file still names it: a catalog that cannot be rendered selects the platform too)
    assert pipeline.working_tree_plan(root, base) == Plan(("dev.platform", f"dev.{first}"), (f"dev.{second}",))
    (root / "fleet" / "core.py").write_text("x = 2\n")  # code: every stack, the removed one still named
    every = [f"dev.{t}" for t in _teams() if t != second]
    assert pipeline.working_tree_plan(root, base) == Plan(("dev.platform", *every), (f"dev.{second}",))


def test_a_new_untracked_team_file_selects_its_new_stack_and_ignored_files_none(
    shipped_repo: tuple[Path, str],
) -> None:
    root, _ = shipped_repo
    base = commit(root, {".gitignore": "build/\n"})
    source = root / "stacks" / "dev" / "teams" / f"{_teams()[0]}.yaml"
    (root / "build").mkdir()
    (root / "build" / "x.py").write_text("ignored\n")
    (root / "stacks" / "dev" / "teams" / "newteam.yaml").write_text(NEW_TEAM.format(name="newteam"))
    # The platform's `platform` output names the teams: a new team's stack runs after it.
    assert pipeline.working_tree_plan(root, base) == Plan(("dev.platform", "dev.newteam"))
    # A new file the catalog refuses (it declares another team) cannot be rendered: the platform too.
    (root / "stacks" / "dev" / "teams" / "newteam.yaml").write_text(source.read_text())
    assert pipeline.working_tree_plan(root, base) == Plan(("dev.platform", "dev.newteam"))


def test_a_project_in_a_folder_of_its_repository_reads_its_own_paths(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    project = root / "infra"
    project.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    shutil.copytree(ROOT / "stacks" / "dev", project / "stacks" / "dev")
    shutil.copy(ROOT / "Pulumi.dev.yaml", project / "Pulumi.dev.yaml")
    shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    base = commit(root, {"README.md": "# repo\n"})
    team = project / "stacks" / "dev" / "teams" / f"{_teams()[0]}.yaml"
    team.write_text(team.read_text() + "# edited\n")
    assert pipeline.working_tree_plan(project, base) == Plan((f"dev.{_teams()[0]}",))
    with pytest.raises(UsageError, match="--changed-since nope: not a revision of the repository"):
        pipeline.working_tree_plan(project, "nope")


def test_a_link_in_the_working_tree_is_listed_never_followed(shipped_repo: tuple[Path, str]) -> None:
    root, base = shipped_repo
    tree = GitWorkingTree(root)
    (root / "stacks" / "dev" / "teams" / "linked.yaml").symlink_to("/etc/hostname")
    tree = GitWorkingTree(root)
    assert [e.mode for e in tree.entries("stacks/dev/teams/linked.yaml")] == ["120000"]
    with pytest.raises(PipelineError, match="is not a regular file"):
        tree.read("stacks/dev/teams/linked.yaml")
    assert [e.path for e in tree.entries("stacks/")] == ["stacks/dev"]
    assert tree.entries("stacks/dev")[0].mode == "040000"
    # a linked team file is not a team the pipeline counts (the catalog refuses it), and it is a change
    assert pipeline.working_tree_plan(root, base).stacks == tuple(pipeline.every_stack(pipeline.environments(tree)))


# --- pipeline-generated-stack-file: a platform or team stack's file is never in Git --------------
def test_a_committed_team_stack_file_is_refused_by_the_review_and_the_matrix(shipped_repo: tuple[Path, str]) -> None:
    root, base = shipped_repo
    team = _teams()[0]
    name = f"Pulumi.dev.{team}.yaml"
    head = commit(root, {name: "secretsprovider: awskms://alias/someone-elses-key\nconfig: {}\n"})
    review = pipeline.review(root, base, head)
    assert "(pipeline)" in review.invalid
    from fleet.catalog.location import generated_stack_file_reason
    from fleet.text import markdown as md

    assert md.text(f"{head[:12]}: {generated_stack_file_reason(name)}") in review.markdown
    with pytest.raises(PipelineError, match=r"\[pipeline-generated-stack-file\]"):
        pipeline.run_plan(root, head, base)
    # without it, the same revision is fine: the reviewed file alone configures every stack of dev
    fixed = commit(root, {name: None})
    assert pipeline.run_plan(root, fixed, base).stacks == ()
    assert pipeline.stack_file_of(f"dev.{team}") == "Pulumi.dev.yaml"
    assert pipeline.stack_file_of("dev.platform") == "Pulumi.dev.yaml"
    assert pipeline.stack_file_of("dev") == "Pulumi.dev.yaml"
