"""fleet.cli.stack_progress: the live table a person sees at a terminal while the stacks run, and the
plain lines a pipe or a CI log gets. Both are fed what the stacks' threads report; a stack's name,
a resource's URN and an error's note come from outside (a catalog, the engine) and must reach the
terminal escaped, never as control sequences or rich markup."""

from __future__ import annotations

import io
import re

import pytest

from fleet.cli import stack_progress
from fleet.orchestration import Outcome, RunPlan
from fleet.orchestration.summary import changes_from

PLAN = RunPlan("up", "dev", (("dev.platform",), ("dev.payments", "dev.search")))
HOSTILE = "\x1b]0;owned\x07[bold]x[/bold]\nforged: succeeded"
HOSTILE_SHOWN = "\\x1b]0;owned\\x07[bold]x[/bold]\\x0aforged: succeeded"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _platform_running(listener: stack_progress.Lines | stack_progress.LiveTable) -> None:
    listener.started("dev.platform")
    listener.step("dev.platform", "same", "urn:pulumi:dev::app-of-apps::x$kubernetes:v1:Namespace::payments", {})


def _payments_running(listener: stack_progress.Lines | stack_progress.LiveTable) -> None:
    """The platform stack done, the first team's running."""
    listener.finished(Outcome("dev.platform", "succeeded", changes_from({"same": 8}), 3.9))
    listener.started("dev.payments")
    listener.step(
        "dev.payments",
        "create",
        "urn:pulumi:dev::app-of-apps::x$kubernetes:rbac.authorization.k8s.io/v1:Role::payments/developer",
        {"create": 2},
    )


def _feed(listener: stack_progress.Lines | stack_progress.LiveTable) -> None:
    _platform_running(listener)
    _payments_running(listener)
    listener.finished(Outcome("dev.search", "failed", changes_from({"create": 1}), 2.5, note=HOSTILE))


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Terminal:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "160")
    return Terminal()


def test_a_terminal_gets_the_live_table_with_a_row_per_stack(terminal: Terminal) -> None:
    with stack_progress.listener(terminal, PLAN) as listener:
        assert isinstance(listener, stack_progress.LiveTable)
        _platform_running(listener)
        # a stack still running shows what it is at
        at = ANSI.sub("", _render(listener))
        assert re.search(r"dev\.platform\s*│\s*running\s*│\s*│\s*same payments\s*│", at), at
        _payments_running(listener)
    shown = ANSI.sub("", _render(listener))
    assert "up dev" in shown
    assert re.search(r"dev\.platform\s*│\s*succeeded\s*│\s*8 same\s*│\s*│\s*3\.9", shown), shown
    assert re.search(r"dev\.payments\s*│\s*running\s*│\s*2 create\s*│\s*create payments/developer", shown), shown
    assert re.search(r"dev\.search\s*│\s*waiting\s*│", shown), shown
    assert "\x1b[" in terminal.getvalue()  # coloured: it is a terminal


def test_the_live_table_escapes_what_it_is_told(terminal: Terminal) -> None:
    with stack_progress.listener(terminal, PLAN) as listener:
        _feed(listener)
    written = terminal.getvalue()
    shown = ANSI.sub("", _render(listener))
    assert "failed" in shown
    # shown as written, escapes visible, the markup as text (the table is wide enough for one line)
    assert re.search(r"dev\.search\s*│\s*failed\s*│\s*1 create\s*│ " + re.escape(HOSTILE_SHOWN), shown), shown
    assert "\x1b]" not in written  # no control sequence of the note's
    assert "\x07" not in written
    assert "\nforged" not in written


def test_a_stack_s_name_is_escaped_too(terminal: Terminal) -> None:
    name = "dev.\x1b[2Jx"
    with stack_progress.listener(terminal, RunPlan("up", "dev", ((name,),))) as listener:
        listener.started(name)
    assert "\x1b[2J" not in terminal.getvalue()
    assert "dev.\\x1b[2Jx" in ANSI.sub("", _render(listener))
    lines = io.StringIO()
    with stack_progress.listener(lines, RunPlan("up", "dev", ((name,),))) as plain:
        plain.started(name)
    assert lines.getvalue() == "dev.\\x1b[2Jx: up started\n"


def _render(table: stack_progress.LiveTable) -> str:
    out = io.StringIO()
    console = stack_progress.people.console(Terminal())
    console.file = out
    console.print(table)
    return out.getvalue()


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"TERM": "dumb"}, {}], ids=["NO_COLOR", "TERM=dumb", "a pipe"])
def test_anywhere_else_plain_lines_in_the_order_things_happen(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    stream: io.StringIO = Terminal() if env else io.StringIO()
    with stack_progress.listener(stream, PLAN) as listener:
        assert isinstance(listener, stack_progress.Lines)
        _feed(listener)
    assert stream.getvalue().splitlines() == [
        "dev.platform: up started",
        "dev.platform: succeeded in 3.9 s (8 same)",
        "dev.payments: up started",
        f"dev.search: failed in 2.5 s (1 create): {HOSTILE_SHOWN}",
    ]
