"""`app-of-apps completion bash|zsh|fish`: the shell's completion script for every command, option
and choice, generated from the parsers themselves (by shtab), so it cannot drift from them.

Catalog and file arguments complete paths; `explain` completes the rule ids. Install (the docs'
team guide says the same):

    bash: app-of-apps completion bash > ~/.local/share/bash-completion/completions/app-of-apps
    zsh:  app-of-apps completion zsh > "${fpath[1]}/_app-of-apps"
    fish: app-of-apps completion fish > ~/.config/fish/completions/app-of-apps.fish
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

SHELLS = ("bash", "zsh", "fish")
# Arguments that name a file or folder (besides those typed as a Path).
_PATHS = frozenset({"file", "files", "base", "head", "out", "source", "target", "reviews", "kubeconfig", "into"})
_RULE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "completion",
        help="print the shell completion script (bash, zsh or fish)",
        description="Print a completion script for the `app-of-apps` command: every command, option and choice, "
        "catalog paths, and the rule ids of `explain`. bash: save it as "
        "~/.local/share/bash-completion/completions/app-of-apps; zsh: as _app-of-apps in a folder of $fpath; "
        "fish: as ~/.config/fish/completions/app-of-apps.fish.",
    )
    p.add_argument("shell", choices=SHELLS, help="the shell the script is for")
    p.set_defaults(run=run)


def _rules(rule_ids: list[str]) -> dict[str, Any]:
    """A completion of the rule ids, written into the script (no process runs as you type)."""
    ids = [r for r in rule_ids if _RULE_ID.fullmatch(r)]  # plain words: nothing for a shell to interpret
    words = " ".join(ids)
    return {
        "bash": "_app_of_apps_rule_ids",
        "zsh": f"({words})",
        "fish": f"(printf '%s\\n' {words})",
        "preamble": {"bash": f'_app_of_apps_rule_ids() {{\n  compgen -W "{words}" -- "$1"\n}}\n'},
    }


def _mark(parser: argparse.ArgumentParser, rules: dict[str, Any], file: Any) -> None:
    """Path arguments complete files; explain's RULE-ID completes rule ids."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                _mark(sub, rules, file)
                if name == "explain":
                    for sub_action in sub._actions:
                        if sub_action.dest == "rule":
                            sub_action.complete = rules  # type: ignore[attr-defined]
            continue
        if action.choices is None and (action.type is Path or action.dest in _PATHS):
            action.complete = file  # type: ignore[attr-defined]


def script(shell: str) -> str:
    import shtab

    from fleet.cli import parser as cli_parser
    from fleet.reports import explain

    parser = cli_parser.build(cli_parser.COMMAND)
    _mark(parser, _rules(explain.rule_ids()), shtab.FILE)
    return shtab.complete(parser, shell=shell)


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(script(args.shell))
    return 0
