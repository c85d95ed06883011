"""The reports drawn for people (issue 19, item 6; fleet/text/screen.py): the text format of
access, diff, audit, status and promote, tables that fit the width, colour only at a terminal
without NO_COLOR, nothing a report says ever styles or moves the terminal; the progress display
on standard error, at a terminal only."""

from __future__ import annotations

import argparse
import io
import re
import time

import pytest
from rich.cells import cell_len

from fleet.cli import output
from fleet.cli.main import run
from fleet.compiler import load_state
from fleet.reports import access, diff
from fleet.text import screen
from tests.conftest import catalog_path

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def colour_wanted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def _access_markdown() -> str:
    _, state = load_state(catalog_path("dev"))
    return access.markdown(access.matrix(state))


@pytest.mark.parametrize("width", [60, 100, 160])
def test_the_access_report_fits_the_width(width: int) -> None:
    shown = screen.rendered(_access_markdown(), width=width)
    assert "\x1b" not in shown  # plain: no colour asked for
    assert max(cell_len(line) for line in shown.splitlines()) <= width
    # what a reader needs is all there, without Markdown's escapes
    assert "Access: acme / dev" in shown
    assert "acme-dev-payments-developer" in shown
    assert "user.department" in shown
    assert "Kubernetes verbs per persona" in shown
    assert "\\" not in shown
    assert "|---|" not in shown
    assert "**" not in shown


def test_a_narrow_terminal_gets_one_record_per_row_a_wide_one_columns() -> None:
    markdown = "| group | namespaces | Kubernetes | Argo CD |\n|---|---|---|---|\n| team-dev | team | read 3 | get |\n"
    narrow = screen.rendered(markdown, width=40)
    assert "team-dev\n" in narrow
    assert "namespaces: team" in narrow.replace("  ", " ").replace("  ", " ")
    wide = screen.rendered(markdown, width=100)
    assert re.search(r"group\s+namespaces\s+Kubernetes\s+Argo CD", wide)
    assert re.search(r"team-dev\s+team\s+read 3\s+get", wide)


def test_colour_at_a_terminal_and_never_with_no_color(colour_wanted: None, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = Terminal()
    screen.show(screen.console(stream, width=100), _access_markdown())
    assert ANSI.search(stream.getvalue())
    assert max(cell_len(line) for line in ANSI.sub("", stream.getvalue()).splitlines()) <= 100
    monkeypatch.setenv("NO_COLOR", "1")
    plain = Terminal()
    screen.show(screen.console(plain, width=100), _access_markdown())
    assert "\x1b" not in plain.getvalue()
    assert plain.getvalue() == screen.rendered(_access_markdown(), width=100)


def test_what_a_report_says_never_styles_or_moves_the_terminal(colour_wanted: None) -> None:
    hostile = (
        "# Team \x1b]0;owned\x07 report\n\n"
        "A [link](https://evil.example/x) and ![tracking](https://evil.example/pixel.png), "
        "[bold red]markup[/], `code \x1b[2J`, <b>html</b>.\n\n"
        "| who | what |\n|---|---|\n| a\x1b[31mred | b\u202eevil |\n\n"
        "```\nfenced \x1b[1A up\n```\n"
    )
    stream = Terminal()
    screen.show(screen.console(stream, width=120), hostile)
    raw = ANSI.sub("", stream.getvalue())
    for control in ("\x1b", "\x07", "\u202e"):
        assert control not in raw
    assert "\\x1b]0;owned\\x07" in raw
    assert "\\x1b[2J" in raw
    assert "\\u202e" in raw
    assert "[bold red]markup[/]" in raw  # shown as written, never rich markup
    assert "[image: tracking]" in raw
    assert "pixel.png" not in raw
    assert "link (https://evil.example/x)" in raw  # a link shows where it goes
    assert "html" in raw
    assert "<b>" not in raw


def test_a_problem_line_in_a_code_block_is_never_cut() -> None:
    line = "catalog.yaml: teams[0].apps[0].source.path: " + "x" * 150 + " [argocd-source-path]"
    shown = screen.rendered(f"# a\n\n```text\n{line}\n```\n", width=60)
    assert f"    {line}" in shown.splitlines()


def test_the_default_format_is_text_at_a_terminal_and_markdown_elsewhere(
    colour_wanted: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = argparse.Namespace(format=None)
    monkeypatch.setattr("sys.stdout", Terminal())
    assert output.format_of(asked) == "text"
    monkeypatch.setenv("NO_COLOR", "1")  # no colour, but still drawn to fit
    assert output.format_of(asked) == "text"
    monkeypatch.setenv("TERM", "dumb")
    assert output.format_of(asked) == "md"
    monkeypatch.setattr("sys.stdout", io.StringIO())
    monkeypatch.setenv("TERM", "xterm")
    assert output.format_of(asked) == "md"
    assert output.format_of(argparse.Namespace(format="md")) == "md"
    assert output.format_of(asked, always_text=True) == "text"


def test_access_text_is_plain_at_the_width_of_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "90")
    assert run(["access", str(catalog_path("prod")), "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert max(cell_len(line) for line in out.splitlines()) <= 90
    assert "Access: acme / prod" in out
    assert run(["access", str(catalog_path("prod"))]) == 0  # not a terminal: Markdown, as before
    assert capsys.readouterr().out.startswith("# Access: acme / prod\n")


def test_diff_and_promote_text(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    dev, prod = str(catalog_path("dev")), str(catalog_path("prod"))
    assert run(["diff", prod, dev, "--format", "text"]) == 0
    out = capsys.readouterr().out
    expected = diff.markdown(diff.compute(load_state(prod), load_state(dev), prod, dev))
    assert out == screen.rendered(expected, width=80)
    assert max(cell_len(line) for line in out.splitlines()) <= 80


def test_progress_is_drawn_at_a_terminal_only_and_then_removed(colour_wanted: None) -> None:
    piped = io.StringIO()
    with screen.Progress(piped, "reading", delay=0) as shown:
        shown.update(1, 3, "dev")
        time.sleep(0.2)
    assert piped.getvalue() == ""
    assert not shown.shown

    tty = Terminal()
    with screen.Progress(tty, "reading", delay=0) as shown:
        for done in range(3):
            shown.update(done, 3, f"env-{done}\x1b[2J")
            time.sleep(0.15)
        assert shown.shown
    drawn = tty.getvalue()
    assert "reading env-" in ANSI.sub("", drawn)
    assert "\x1b[2J" not in drawn


def test_a_quick_run_shows_no_progress(colour_wanted: None) -> None:
    tty = Terminal()
    with screen.Progress(tty, "reading", delay=2.0) as shown:
        shown.update(1, 2)
    assert tty.getvalue() == ""
    assert not shown.shown


def test_plans_summary_at_a_terminal_is_the_same_lines_coloured(colour_wanted: None) -> None:
    from fleet.reports import plan

    _, state = load_state(catalog_path("dev"))
    said = f"{plan.summary(state)}\nwrote 89 files to build/plan/dev\n"
    stream = Terminal()
    screen.summary(screen.console(stream, width=60, soft_wrap=True), said)
    assert ANSI.search(stream.getvalue())
    assert ANSI.sub("", stream.getvalue()) == said  # never cut at the width, nothing added
    hostile = Terminal()
    screen.summary(screen.console(hostile, soft_wrap=True), "x\x1b[2J\n  okta  \x1b]0;t\x07\n")
    assert "\x1b[2J" not in hostile.getvalue()
    assert "\\x1b]0;t\\x07" in ANSI.sub("", hostile.getvalue())
