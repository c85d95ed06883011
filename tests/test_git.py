"""fleet.io.git: one runner and one error type for everything the tool asks Git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from fleet.io import git
from fleet.text.problems import UnreadableFileError


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Alice",
        "GIT_AUTHOR_EMAIL": "alice@acme.example",
        "GIT_COMMITTER_NAME": "Bob",
        "GIT_COMMITTER_EMAIL": "bob@acme.example",
    }
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "dev.yaml").write_text("environment: dev\n")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "add dev"]):
        subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True, capture_output=True)
    return tmp_path


def test_show_reads_a_file_at_a_revision_and_none_when_it_is_absent(repo: Path) -> None:
    assert git.show(repo, "HEAD", "stacks/dev.yaml") == b"environment: dev\n"
    assert git.show(repo, "HEAD", "stacks/prod.yaml") is None


def test_a_failing_command_is_one_error_type_with_what_git_said(repo: Path) -> None:
    with pytest.raises(git.GitError) as failed:
        git.show(repo, "no-such-rev", "stacks/dev.yaml")
    assert isinstance(failed.value, UnreadableFileError)  # exit 2 wherever it surfaces
    assert str(failed.value).startswith("git show failed: fatal: ")
    assert failed.value.returncode not in (None, 0)
    with pytest.raises(git.GitError, match="git ls-tree failed: "):
        git.GitTree(repo, "no-such-rev").entries()
    with pytest.raises(git.GitError, match="git diff failed: "):
        git.run(repo, "diff", "--raw", "no-such-rev...HEAD")


def test_a_revision_is_never_read_as_an_option(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(git.GitError):
        git.show(repo, f"--output={tmp_path / 'written'}", "x")  # git show --output=FILE writes FILE
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("written")]


def test_a_machine_without_git_gets_a_sentence_not_a_traceback(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo / "no-bin"))
    for attempt in (
        lambda: git.run(repo, "status"),
        lambda: git.show(repo, "HEAD", "stacks/dev.yaml"),
        lambda: git.locate(repo / "stacks" / "dev.yaml"),
        lambda: git.BlobReader(repo),
    ):
        with pytest.raises(git.GitError, match=r"^git is not installed") as missing:
            attempt()
        assert missing.value.returncode is None
