"""What anyone's Git, code host or catalog wrote never acts in our output: the audit's Markdown
opens no image or link from a commit subject or a name, the access report's cells are escaped as
every other Markdown cell, the pipeline's refusals reach the terminal escaped; scripts run."""

from __future__ import annotations

import copy
import os

import pytest

from fleet.cli import pipeline as pipeline_cli
from fleet.cli.main import run
from fleet.pipeline.steps import PipelineError
from fleet.reports import access
from tests.conftest import BASE, ROOT
from tests.test_audit import Repo, audit_cli


def test_a_commit_subject_opens_no_image_or_link_in_the_audit(
    tmp_path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = Repo(tmp_path)
    repo.write("stacks/dev.yaml", copy.deepcopy(BASE))
    repo.commit("![pixel](https://evil.example/p.png) [click](https://evil.example) *hidden*", "2026-01-05T09:00:00Z")
    repo.write("stacks/dev.yaml", {**copy.deepcopy(BASE), "organization": "acme2"})
    repo.commit("Merge [x](https://evil.example) ![me](https://evil.example/who.png)", "2026-01-06T09:00:00Z")
    shown = audit_cli(repo.root, "stacks/dev.yaml", "--format", "md", capsys=capsys, monkeypatch=monkeypatch)
    assert "](https://evil.example" in shown  # the text is all there, as written ...
    assert "![pixel]" not in shown  # ... but no construct opens: no image, no link, no emphasis
    assert "![me]" not in shown
    assert "[click](" not in shown
    assert "\\!\\[pixel\\](https://evil.example/p.png) \\[click\\](https://evil.example) \\*hidden\\*" in shown


def test_the_access_reports_cells_are_escaped_as_every_markdown_cell() -> None:
    assert access._cell("a|b<img src=x>\nc") == "a\\|b&lt;img src=x&gt;␤c"


def test_the_pipelines_refusals_reach_the_terminal_escaped(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(_args: object) -> int:
        raise PipelineError(["stacks/dev\x1b]0;owned\x07.yaml: is not a regular file [pipeline-regular-files]"])

    monkeypatch.setattr(pipeline_cli, "_run", refuse)
    assert run(["pipeline", "stacks"]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "\x07" not in err
    assert err == "refused: stacks/dev\\x1b]0;owned\\x07.yaml: is not a regular file [pipeline-regular-files]\n"


@pytest.mark.parametrize("script", sorted((ROOT / "scripts").glob("*.sh")), ids=lambda p: p.name)
def test_every_shell_script_is_executable(script) -> None:
    assert os.access(script, os.X_OK), f"chmod +x {script.relative_to(ROOT)}"
