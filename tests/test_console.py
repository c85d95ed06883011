"""The console command's guard: a Ctrl-C while the command's modules load, or while any command
runs, ends it with one line and exit 130, never a traceback (the stack commands' own handling,
with its summary, is tested in tests/test_orchestration.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from fleet.cli import console, exits, main
from tests.conftest import ROOT

# `python -m fleet`, with a Ctrl-C arriving while fleet.cli.main is imported (what a KeyboardInterrupt
# raised by the import machinery looks like to the code around it).
_INTERRUPTED_IMPORT = textwrap.dedent(
    """
    import builtins, runpy, sys
    real_import = builtins.__import__

    def interrupting(name, *args, **kwargs):
        if name == "fleet.cli.main":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    builtins.__import__ = interrupting
    sys.argv = ["fleet", "validate", "stacks/dev"]
    runpy.run_module("fleet", run_name="__main__", alter_sys=True)
    """
)


def test_a_ctrl_c_while_the_modules_load_exits_130_without_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _INTERRUPTED_IMPORT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == exits.INTERRUPTED, result.stderr
    assert result.stderr == "python -m fleet: interrupted\n"
    assert result.stdout == ""


def test_a_ctrl_c_while_a_command_runs_exits_130_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(prog: str) -> None:
        raise KeyboardInterrupt

    # The command itself stands in (the real one switches the process's collector off for good).
    monkeypatch.setattr(main, "main", interrupted)
    with pytest.raises(SystemExit) as stopped:
        console.main()
    assert stopped.value.code == exits.INTERRUPTED
    assert capsys.readouterr().err == "app-of-apps: interrupted\n"


def test_a_command_s_own_exit_passes_through_the_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    def failed(prog: str) -> None:
        sys.exit(exits.STACK_FAILED)

    monkeypatch.setattr(main, "main", failed)
    with pytest.raises(SystemExit) as stopped:
        console.main()
    assert stopped.value.code == exits.STACK_FAILED
