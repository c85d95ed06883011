"""Shell completion (issue 19, item 6): `app-of-apps completion bash|zsh|fish` prints a script
generated from the parsers, that completes commands, options, choices, paths and rule ids.
Each script is loaded by its shell where the shell is installed (bash always is)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fleet.cli import completion, parser
from fleet.cli.main import run
from fleet.reports import explain

BASH_COMPLETE = """
source "$1"
comp() {
  COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
  COMPREPLY=(); _shtab_app_of_apps; printf '%s\\n' "${COMPREPLY[*]}"
}
comp app-of-apps exp
comp app-of-apps explain iam-no-w
comp app-of-apps access --format ''
comp app-of-apps validate "$2"
comp app-of-apps st
"""


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("completion")
    written = {}
    for shell in completion.SHELLS:
        path = folder / f"app-of-apps.{shell}"
        path.write_text(completion.script(shell))
        written[shell] = path
    return written


def test_the_command_prints_the_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["completion", "bash"]) == 0
    out = capsys.readouterr().out
    assert "complete -o bashdefault -F _shtab_app_of_apps app-of-apps" in out
    with pytest.raises(SystemExit) as exited:  # argparse: not one of the choices
        run(["completion", "tcsh"])
    assert exited.value.code == 2
    assert "invalid choice: 'tcsh'" in capsys.readouterr().err


@pytest.mark.parametrize("shell", completion.SHELLS)
def test_every_command_option_and_rule_is_in_every_script(shell: str, scripts: dict[str, Path]) -> None:
    text = scripts[shell].read_text()
    built = parser.build(parser.COMMAND)
    for name, sub in built._subparsers._group_actions[0].choices.items():  # type: ignore[union-attr]
        assert name in text
        for action in sub._actions:
            for option in action.option_strings:
                assert option.lstrip("-") in text, f"{shell}: {name} {option}"
    for rule_id in explain.rule_ids():
        assert rule_id in text


def test_bash_completes_commands_choices_paths_and_rule_ids(scripts: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "stacks-dev.yaml").write_text("environment: dev\n")
    done = subprocess.run(
        ["bash", "-c", BASH_COMPLETE, "bash", str(scripts["bash"]), str(tmp_path / "stacks-d")],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "explain"
    assert lines[1].split() == ["iam-no-wildcard-action", "iam-no-wildcard-resource"]
    assert lines[2].split() == ["text", "md", "json", "html"]
    assert lines[3] == str(tmp_path / "stacks-dev.yaml")
    assert lines[4].split() == ["status"]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed here")
def test_fish_loads_the_script_and_completes(scripts: dict[str, Path]) -> None:
    fish = f"source {scripts['fish']}; complete -C 'app-of-apps exp'; complete -C 'app-of-apps explain iam-no-w'"
    done = subprocess.run(["fish", "--no-config", "-c", fish], capture_output=True, text=True, check=True)
    shown = [line.split("\t")[0] for line in done.stdout.splitlines()]
    assert shown == ["explain", "iam-no-wildcard-action", "iam-no-wildcard-resource"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed here")
def test_zsh_reads_the_script(scripts: dict[str, Path]) -> None:
    subprocess.run(["zsh", "-n", str(scripts["zsh"])], check=True)
    done = subprocess.run(
        [
            "zsh",
            "-f",
            "-c",
            f"autoload -U compinit; compinit -u -D; source {scripts['zsh']} 2>/dev/null; whence -w _shtab_app_of_apps",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "_shtab_app_of_apps: function"
    assert scripts["zsh"].read_text().startswith("#compdef app-of-apps")


def test_rule_ids_written_into_a_script_are_plain_words() -> None:
    found = completion._rules(["iam-no-users", "$(touch x)", "a b", "argocd-repo-owned"])
    assert found["zsh"] == "(iam-no-users argocd-repo-owned)"
    assert "touch" not in found["preamble"]["bash"]
