""".github/CODEOWNERS from the catalogs: each team's file is reviewed by the team, the rest by
the platform. Pure: the catalogs come in, the file's text (or every problem) goes out.

Git hosts give the last matching pattern precedence, so the file is written from the widest
pattern to the narrowest:

    *                                   the platform (every environment's `code_owners`): the
                                        code, the workflows, this file, anything not given below
    /stacks/<env>/                      that environment's platform: its platform file, and a
                                        team file no later line names (a new team's first pull
                                        request is reviewed by the platform)
    /stacks/<env>/teams/<team>.yaml     the team's `code_owners`
    /stacks/<env>.yaml                  a one-file catalog: the platform's (a team cannot own
                                        a section of a file)

A team that changes its `code_owners` changes this file too, which the platform owns: who may
approve a team's file is always the platform's decision.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from fleet.catalog.folder import PLATFORM_FILE, TEAM_SUFFIX, TEAMS_DIR
from fleet.catalog.models import Catalog
from fleet.text.problems import Problem

PATH = ".github/CODEOWNERS"
COMMAND = "python -m fleet codeowners"
# What a CODEOWNERS pattern can hold without escaping or meaning something else.
_SAFE_PATH = re.compile(r"^[A-Za-z0-9._/-]+$")


@dataclass(frozen=True)
class Source:
    """One environment's catalog: where it is in the repository and what it says."""

    path: str  # repository-relative: stacks/dev (a folder) or stacks/dev.yaml (one file)
    folder: bool
    catalog: Catalog

    @property
    def platform_file(self) -> str:
        return f"{self.path}/{PLATFORM_FILE}" if self.folder else self.path


def problems(sources: Sequence[Source]) -> list[Problem]:
    found = []
    for source in sources:
        if not _SAFE_PATH.match(source.path):
            found.append(
                Problem(
                    "(file)",
                    "a catalog path in CODEOWNERS holds only letters, digits, '.', '_', '-' and '/'",
                    source.path,
                )
            )
        if not source.catalog.code_owners:
            found.append(
                Problem(
                    "code_owners",
                    "required to write CODEOWNERS: the platform's code host group(s) for this environment, "
                    'e.g. code_owners: ["@acme/platform"]',
                    source.platform_file,
                )
            )
    if not sources:
        found.append(Problem("(repository)", "no catalog under stacks/ to write CODEOWNERS from", "stacks"))
    return found


def text(sources: Sequence[Source]) -> str:
    """The file; `problems(sources)` must be empty."""
    ordered = sorted(sources, key=lambda s: s.path)
    platform: dict[str, None] = {}
    for source in ordered:
        platform.update(dict.fromkeys(source.catalog.code_owners))
    lines = [
        f"# Generated from the catalogs under stacks/ by `{COMMAND}`; do not edit by hand.",
        f"# CI runs `{COMMAND} --check`, which fails when this file is stale.",
        "# The last matching pattern wins: the platform owns everything, each team its own file.",
        "",
        "# The platform (every environment's code_owners): the code, the workflows, this file.",
        f"* {' '.join(platform)}",
    ]
    for source in ordered:
        owners = " ".join(source.catalog.code_owners)
        env = source.catalog.environment
        lines.append("")
        if not source.folder:
            lines.append(f"# {env}: one file, the platform's (teams own their files once it is split)")
            lines.append(f"/{source.path} {owners}")
            continue
        lines.append(f"# {env}: the platform file, and any team file not named below, the platform's")
        lines.append(f"/{source.path}/ {owners}")
        for team in sorted(source.catalog.teams, key=lambda t: t.name):
            file = f"/{source.path}/{TEAMS_DIR}/{team.name}{TEAM_SUFFIX}"
            if team.code_owners:
                lines.append(f"{file} {' '.join(team.code_owners)}")
            else:
                lines.append(f"# {file}: no code_owners in the team's file; the platform reviews it")
    return "\n".join(lines) + "\n"
