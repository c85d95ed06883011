"""`fleet validate` for a person at a terminal (issue 19, item 6): the same lines, coloured; plain
text, byte for byte, for pipes, files and NO_COLOR; a catalog's values never style anything."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from fleet.cli import people
from fleet.reports import findings
from fleet.text.problems import Problem

ANSI = re.compile(r"\x1b\[[0-9;]*m")
RESULTS = [
    findings.FileResult("stacks/dev.yaml", summary="valid: 1 teams, 1 apps, 1 namespaces, 1 IAM roles"),
    findings.FileResult(
        "stacks/prod.yaml",
        problems=(
            Problem(
                "teams[0].apps[0].source.path", "'../x' leaves the repository [argocd-source-path]", line=30, column=11
            ),
            Problem(
                "teams[1].descripton", "unknown field 'descripton' (did you mean 'description'?)", line=37, column=5
            ),
            Problem("(rendered) Role r", "a rendered problem has no place [k8s-rbac-no-wildcards]"),
        ),
    ),
]


def _terminal() -> tuple[Console, io.StringIO]:
    stream = io.StringIO()
    return Console(
        file=stream,
        force_terminal=True,
        color_system="standard",
        width=60,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
    ), stream


def test_on_a_terminal_the_lines_are_the_plain_ones_coloured() -> None:
    (out, out_text), (err, err_text) = _terminal(), _terminal()
    people.validate(RESULTS, out, err)
    assert ANSI.search(err_text.getvalue())
    plain_out, plain_err = findings.text(RESULTS)
    shown_out = ANSI.sub("", out_text.getvalue())
    shown_err = ANSI.sub("", err_text.getvalue())
    # The same lines (none cut at the width: they stay clickable), the verdicts marked.
    assert shown_out == "".join(f"✓ {line}\n" for line in plain_out.splitlines())
    lines = plain_err.splitlines()
    hint = "why, and how to fix it: explain RULE-ID (e.g. explain argocd-source-path)"
    assert shown_err.splitlines() == [*lines[:3], f"✗ {lines[3]}", lines[4], hint]
    assert re.search(r"\x1b\[[0-9;]*35m \[argocd-source-path\]", err_text.getvalue())  # the rule, in magenta


def test_a_catalogs_value_cannot_style_the_terminal() -> None:
    hostile = Problem("teams[0].description", "'\x1b]0;owned\x07[bold red]x[/]' is not allowed", line=1, column=1)
    (out, _), (err, err_text) = _terminal(), _terminal()
    people.validate([findings.FileResult("a\x1b[2J.yaml", problems=(hostile,))], out, err)
    shown = err_text.getvalue()
    for raw in ("\x1b]0;", "\x07", "\x1b[2J"):
        assert raw not in shown
    assert "[bold red]x[/]" in ANSI.sub("", shown)  # shown as written, not as markup
    assert "\\x1b]0;owned\\x07" in ANSI.sub("", shown)


@pytest.mark.parametrize(
    ("tty", "environ", "expected"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),  # no-color.org: present and not empty
        (True, {"TERM": "dumb"}, False),
    ],
)
def test_who_gets_colour(monkeypatch: pytest.MonkeyPatch, tty: bool, environ: dict[str, str], expected: bool) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    for key, value in environ.items():
        monkeypatch.setenv(key, value)

    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    assert people.for_people(Stream()) is expected


def test_the_guardrail_table_fits_the_terminal() -> None:
    from fleet.cli.guardrails import rows

    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, color_system="standard", width=90, highlight=False)
    people.table(console, ("rule id", "checks", "where", "anchor"), rows(), title="Guardrails")
    shown = ANSI.sub("", stream.getvalue())
    assert max(len(line) for line in shown.splitlines()) <= 90
    for rule_id, *_ in rows():
        assert rule_id in shown  # ids are never wrapped
    assert "iam-no-wildcard-action" in shown
