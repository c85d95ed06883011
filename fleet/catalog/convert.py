"""One file ↔ a folder, at the level of text: every comment, blank line and quote kept.

`split` cuts a one-file catalog into the platform file and one file per team. It works on the
lines themselves, never through a YAML emitter, so nothing is re-formatted: a team's lines move
to its file with the list indentation taken off (`  - name: payments` becomes `name: payments`,
and every line under it loses the same columns). Comments go with what they describe: a block
of comment lines written directly above a team (no blank line between) goes with that team;
one directly above the key after the teams goes with that key; every other comment stays where
it was written. The comment of the `teams:` line itself stays in the platform file, where the
line was. The editor's schema line (`# yaml-language-server: $schema=…/catalog.v1.json`) is the
one comment rewritten: the platform file names platform.v1.json and each team file gets a first
line naming team.v1.json, each path seen from where the file is.

The cut is then proven, not trusted: each part, parsed, must equal what it was in the whole
file (the platform file the catalog without `teams`, each team file its team), else the file is
refused and nothing is written. `join` is the inverse, for tools and small fleets:
`split(join(folder))` gives the folder back, byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleet.catalog import schema
from fleet.catalog.folder import PLATFORM_FILE, TEAM_SUFFIX, TEAMS_DIR
from fleet.catalog.models import DNS_LABEL
from fleet.text.problems import CatalogError, UsageError
from fleet.text.yaml_io import parse

_TEAMS_LINE = re.compile(r"^teams[ \t]*:[ \t]*(#.*)?$")
# The editor's schema line (fleet/catalog/schema.py): the platform file and each team file name
# their own schema, one and two folders deeper than the one file.
_MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)[ \t]*\r?\n?$")
_ITEM = re.compile(r"^( *)-( +|$)")


@dataclass(frozen=True)
class Split:
    platform: str  # platform.yaml
    teams: dict[str, str]  # team -> teams/<team>.yaml, in the order of the file

    def files(self) -> dict[str, str]:
        """Path inside the folder -> text."""
        return {PLATFORM_FILE: self.platform, **{f"{TEAMS_DIR}/{t}{TEAM_SUFFIX}": x for t, x in self.teams.items()}}


def _body(line: str) -> str:
    return line.rstrip("\r\n")


def _blank(line: str) -> bool:
    return not line.strip()


def _comment(line: str) -> bool:
    return line.lstrip(" ").startswith("#")


def _significant(line: str) -> bool:
    return not _blank(line) and not _comment(line)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _attached(lines: list[str], end: int, floor: int) -> int:
    """The start of the comment block directly above lines[end] (no blank line between),
    not reaching above `floor`."""
    start = end
    while start > floor and _comment(lines[start - 1]):
        start -= 1
    return start


def _trim(lines: list[str]) -> str:
    """The lines, without blank lines at the end, ending with one newline."""
    while lines and _blank(lines[-1]):
        lines = lines[:-1]
    text = "".join(lines)
    return text if not text or text.endswith("\n") else text + "\n"


def _dedent(lines: list[str], column: int) -> list[str]:
    out = []
    for line in lines:
        if _blank(line):
            out.append(line[len(_body(line)) :] or "\n")
        elif _indent(line) >= column:
            out.append(line[column:])
        else:  # a comment written left of the team's fields
            out.append(line.lstrip(" "))
    return out


def _team_text(lines: list[str]) -> str:
    """An item of the `teams` list as a file of its own: the dash and the list's indentation off."""
    first = next(i for i, line in enumerate(lines) if _significant(line))
    match = _ITEM.match(lines[first])
    assert match is not None
    rest = lines[first][match.end() :]
    if _body(rest).strip() and not _comment(rest):
        column = match.end()
        head = [rest]
    else:  # `-` alone on its line (or with a comment): the fields start on the next line
        following = next((line for line in lines[first + 1 :] if _significant(line)), None)
        column = _indent(following) if following is not None else match.end()
        head = [rest.lstrip(" ")] if _comment(rest) else []
    body = _dedent(lines[:first], column) + head + _dedent(lines[first + 1 :], column)
    return _trim(body)


def _teams_line(lines: list[str]) -> int:
    found = [i for i, line in enumerate(lines) if _TEAMS_LINE.match(_body(line))]
    if len(found) != 1:
        raise UsageError(
            "the file has no top-level `teams:` line opening a block list (teams: [...] in flow style, "
            "or anchors, cannot be split line by line); write the teams as `- name: …` items and run again"
        )
    return found[0]


def _cut(text: str) -> tuple[list[str], list[list[str]]]:
    """(the platform's lines, each team's lines)."""
    lines = text.splitlines(keepends=True)
    at = _teams_line(lines)
    first = next((i for i in range(at + 1, len(lines)) if _significant(lines[i])), None)
    item = _ITEM.match(lines[first]) if first is not None else None
    if first is None or item is None:
        raise UsageError("`teams:` is not followed by a block list of teams (`- name: …`); nothing to split")
    indent = len(item.group(1))
    starts = [first]
    end = len(lines)
    for i in range(first + 1, len(lines)):
        line = lines[i]
        if not _significant(line) or _indent(line) > indent:
            continue
        if _indent(line) == indent and _ITEM.match(line):
            starts.append(i)
        else:
            end = i
            break
    # Comments written directly above a team go with it; directly above the key after the list,
    # with that key.
    bounds = [_attached(lines, start, at + 1) for start in starts]
    tail = _attached(lines, end, starts[-1] + 1) if end < len(lines) else end
    teams = [lines[bounds[k] : (bounds[k + 1] if k + 1 < len(bounds) else tail)] for k in range(len(bounds))]
    kept = []
    comment = _TEAMS_LINE.match(_body(lines[at]))
    if comment and comment.group(1):
        kept.append(comment.group(1) + "\n")
    kept += lines[at + 1 : bounds[0]]
    while kept and _blank(kept[-1]):
        kept.pop()
    platform = lines[:at] + kept + lines[tail:]
    return platform, teams


def _name(team: Any, index: int) -> str:
    name = team.get("name") if isinstance(team, dict) else None
    if not isinstance(name, str) or len(name) > 63 or not DNS_LABEL.match(name):
        raise UsageError(f"teams[{index}]: has no valid name to name its file; fix the catalog first")
    return name


def _schema_line(target: str, name: str, deeper: int) -> str:
    """The schema line of a file `deeper` folders below (negative: above) the one whose line
    names `target`, naming the schema file `name` beside it."""
    head, sep, _ = target.rpartition("/")
    prefix = head + sep  # "../schemas/", or "" for a schema beside the file
    if "://" not in target:
        prefix = "../" * deeper + prefix if deeper >= 0 else prefix.removeprefix("../" * -deeper)
    return f"# yaml-language-server: $schema={prefix}{name}\n"


def _schema_target(text: str, name: str) -> str | None:
    """What the text's first line names, when it is the schema line of schema file `name`."""
    match = _MODELINE.match(text.split("\n", 1)[0] + "\n")
    return match.group(1) if match and match.group(1).rpartition("/")[2] == name else None


def split(text: str, source: str) -> Split:
    """The platform file and a file per team, or a UsageError saying why the file cannot be
    split safely (nothing is written then)."""
    data = parse(text, source)
    if not isinstance(data, dict) or not isinstance(data.get("teams"), list):
        raise UsageError(f"{source}: not a one-file catalog (a mapping with a `teams` list)")
    platform_lines, team_lines = _cut(text)
    if len(team_lines) != len(data["teams"]):
        raise UsageError(f"{source}: found {len(team_lines)} team items, the file holds {len(data['teams'])}")
    names = [_name(team, i) for i, team in enumerate(data["teams"])]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UsageError(f"{source}: team {', '.join(twice)} is declared twice; fix the catalog first")
    platform = _trim(platform_lines)
    teams = {name: _team_text(lines) for name, lines in zip(names, team_lines, strict=True)}
    target = _schema_target(platform, schema.FILE_NAME)
    if target is not None:  # each file names its own schema, from where it is
        platform = _schema_line(target, schema.PLATFORM_FILE_NAME, 1) + platform.split("\n", 1)[1]
        teams = {name: _schema_line(target, schema.TEAM_FILE_NAME, 2) + body for name, body in teams.items()}
    _prove(source, data, platform, teams)
    return Split(platform, teams)


def _prove(source: str, data: dict[str, Any], platform: str, teams: Mapping[str, str]) -> None:
    """Each part, parsed, is what it was in the whole file."""
    expected = {k: v for k, v in data.items() if k != "teams"}
    wrong = []
    try:
        if parse(platform, PLATFORM_FILE) != expected:
            wrong.append(PLATFORM_FILE)
    except CatalogError:
        wrong.append(PLATFORM_FILE)
    for (name, team_text), team in zip(teams.items(), data["teams"], strict=True):
        try:
            if parse(team_text, name) != team:
                wrong.append(f"{TEAMS_DIR}/{name}{TEAM_SUFFIX}")
        except CatalogError:
            wrong.append(f"{TEAMS_DIR}/{name}{TEAM_SUFFIX}")
    if wrong:
        raise UsageError(
            f"{source}: cutting the file line by line would change {', '.join(wrong)} (a multi-line value "
            "indented left of its team?); nothing was written: re-indent the teams list and run again"
        )


def join(platform: str, teams: Mapping[str, str]) -> str:
    """One file from a platform file and team files: the teams, by name, as a block list at
    the end. `split(join(…))` gives the same texts back."""
    target = _schema_target(platform, schema.PLATFORM_FILE_NAME)
    if target is not None:
        platform = _schema_line(target, schema.FILE_NAME, -1) + platform.split("\n", 1)[1]
    out = [platform.rstrip("\n") + "\n", "\nteams:\n"]
    for i, name in enumerate(sorted(teams)):
        body = teams[name]
        if _schema_target(body, schema.TEAM_FILE_NAME) is not None:
            body = body.split("\n", 1)[1] if "\n" in body else ""
        lines = body.splitlines(keepends=True)
        first = next((k for k, line in enumerate(lines) if _significant(line)), None)
        if first is None:
            raise UsageError(f"{TEAMS_DIR}/{name}{TEAM_SUFFIX}: declares nothing")
        if i:
            out.append("\n")
        for k, line in enumerate(lines):
            if k == first:
                out.append("  - " + line)
            elif _blank(line):
                out.append(line.lstrip(" \t"))
            else:
                out.append("    " + line)
        if not out[-1].endswith("\n"):
            out.append("\n")
    return "".join(out)
