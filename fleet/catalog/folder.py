"""An environment's catalog as a folder: one platform file and one file per team.

    stacks/<env>/platform.yaml        everything but the teams: what the platform owns
    stacks/<env>/teams/<team>.yaml    one team, the one the file is named after

Ownership follows files (CODEOWNERS matches paths, not YAML sections), so a team file holds
its team and nothing else: a field the platform owns, another team, or a team the file is not
named after is refused, with the file and the field. The files are then put together into the
data a single-file catalog holds (teams in the order of their names) and validated as one
environment, so every check that spans teams (derived names, namespaces, shared resources,
ingress, repositories, ARNs) still sees all of them. Each problem is told in the file and at
the path where it is written: `stacks/dev/teams/payments.yaml: apps[0].source.repo: …`.

A whole environment in one file stays valid everywhere; `CatalogFiles` is either.
Pure, but for `read_catalog`, which reads the disk (regular files only; no link is followed).
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleet.catalog.models import DNS_LABEL, Aws, Catalog, Team, TeamAws
from fleet.text.problems import CatalogError, Problem, UnreadableFileError
from fleet.text.yaml_io import MAX_BYTES, parse, read_text

PLATFORM_FILE = "platform.yaml"
TEAMS_DIR = "teams"
TEAM_SUFFIX = ".yaml"
# A folder of more files than this is a mistake or an attack (a team file is one team).
MAX_FILES = 10_000
FILE_LEVEL = "(file)"

# Fields a team file may not set: everything of the catalog that is not a team's, and of
# `aws`, what is the platform's account rather than the team's own resources.
PLATFORM_FIELDS = tuple(name for name in Catalog.model_fields if name not in Team.model_fields and name != "teams")
PLATFORM_AWS_FIELDS = tuple(name for name in Aws.model_fields if name not in TeamAws.model_fields)


@dataclass(frozen=True)
class Entry:
    """One file found in a catalog folder (or the one file of a single-file catalog)."""

    path: str  # inside the folder, '/'-separated; "" for a single file
    text: str | None  # None: not a regular file (its `kind` says what)
    kind: str = "a regular file"


@dataclass(frozen=True)
class CatalogFiles:
    """A catalog as read: one file, or the files of a folder, not yet parsed."""

    label: str  # as given: stacks/dev.yaml, stacks/dev, 1a2b3c4d5e6f:stacks/dev
    entries: tuple[Entry, ...]
    folder: bool

    @classmethod
    def single(cls, label: str, text: str) -> CatalogFiles:
        return cls(label, (Entry("", text),), folder=False)

    @classmethod
    def of_folder(cls, label: str, entries: Iterable[Entry]) -> CatalogFiles:
        return cls(label.rstrip("/") or label, tuple(sorted(entries, key=lambda e: e.path)), folder=True)

    def file_label(self, path: str) -> str:
        """How a file of the catalog is named in messages: the folder's label joined with it."""
        return f"{self.label}/{path}" if self.folder and path else self.label

    def text(self, path: str = "") -> str | None:
        return next((e.text for e in self.entries if e.path == path), None)

    def team_path(self, team: str) -> str:
        return f"{TEAMS_DIR}/{team}{TEAM_SUFFIX}"

    def with_texts(self, texts: Mapping[str, str]) -> CatalogFiles:
        """The same catalog with some files' texts replaced (paths as in `entries`)."""
        return CatalogFiles(
            self.label, tuple(Entry(e.path, texts.get(e.path, e.text), e.kind) for e in self.entries), self.folder
        )


def team_of(path: str) -> str | None:
    """'teams/payments.yaml' -> 'payments' (whatever the name); None for any other path."""
    parts = path.split("/")
    if len(parts) == 2 and parts[0] == TEAMS_DIR and parts[1].endswith(TEAM_SUFFIX):
        return parts[1][: -len(TEAM_SUFFIX)]
    return None


@dataclass(frozen=True)
class Assembled:
    """A folder put together as one catalog's data, and where each part came from."""

    label: str
    data: dict[str, Any] | None  # None: the platform file could not be read
    team_files: tuple[str, ...]  # the file of teams[i]
    platform_file: str
    problems: tuple[Problem, ...] = field(default=())  # layout, YAML and ownership, each in its file


# --- reading -----------------------------------------------------------------------------------
def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "a special file (FIFO, socket or device)"


def _listed(root: Path, relative: str) -> list[tuple[str, int]]:
    """(path inside the folder, mode) of what a folder of the catalog holds; links not followed."""
    directory = root / relative if relative else root
    out = []
    try:
        names = sorted(os.listdir(directory))
    except OSError as err:
        raise UnreadableFileError(f"{directory}: cannot read: {err.strerror or err}") from err
    for name in names:
        path = f"{relative}/{name}" if relative else name
        try:
            out.append((path, os.lstat(root / path).st_mode))
        except OSError as err:
            raise UnreadableFileError(f"{root / path}: cannot read: {err.strerror or err}") from err
    return out


def read_folder(path: str | Path) -> CatalogFiles:
    """The catalog files of a folder: platform.yaml and teams/*.yaml are read (regular files
    only); anything else is listed unread (the folder's rules refuse it), links and special
    files are never followed or opened. At most MAX_FILES files and MAX_BYTES in all (the size
    of a one-file catalog). A folder holding neither platform.yaml nor teams/ is no catalog."""
    root = Path(path)
    top = _listed(root, "")
    if not any(name in (PLATFORM_FILE, TEAMS_DIR) for name, _ in top):
        raise UnreadableFileError(
            f"{path}: cannot read: a directory, not a catalog folder ({PLATFORM_FILE} and {TEAMS_DIR}/<team>{TEAM_SUFFIX})"
        )
    listed = [entry for entry in top if not (entry[0] == TEAMS_DIR and stat.S_ISDIR(entry[1]))]
    if any(name == TEAMS_DIR and stat.S_ISDIR(mode) for name, mode in top):
        listed += _listed(root, TEAMS_DIR)
    if len(listed) > MAX_FILES:
        raise UnreadableFileError(f"{path}: cannot read: more than {MAX_FILES:,} files in a catalog folder")
    entries: list[Entry] = []
    total = 0
    for relative, mode in listed:
        if not stat.S_ISREG(mode):
            entries.append(Entry(relative, None, _kind(mode)))
        elif relative != PLATFORM_FILE and team_of(relative) is None:
            entries.append(Entry(relative, ""))  # refused by its path; never read
        else:
            text = read_text(root / relative)
            total += len(text.encode("utf-8"))
            if total > MAX_BYTES:
                raise UnreadableFileError(
                    f"{path}: cannot read: more than {MAX_BYTES:,} bytes in the folder; a catalog is at most {MAX_BYTES:,}"
                )
            entries.append(Entry(relative, text))
    return CatalogFiles.of_folder(str(path), entries)


def read_catalog(path: str | Path) -> CatalogFiles:
    """A catalog file, or a catalog folder (a directory holding platform.yaml and teams/)."""
    if Path(path).is_dir():
        return read_folder(path)
    return CatalogFiles.single(str(path), read_text(path))


# --- putting a folder together ------------------------------------------------------------------
def _layout(files: CatalogFiles) -> tuple[Entry | None, list[tuple[str, Entry]], list[Problem]]:
    """(the platform file, [(team, its file)] by name, what does not belong)."""
    platform: Entry | None = None
    teams: list[tuple[str, Entry]] = []
    problems: list[Problem] = []
    for entry in files.entries:
        where = files.file_label(entry.path)
        team = team_of(entry.path)
        if entry.text is None and entry.kind != "a directory":
            problems.append(
                Problem(
                    FILE_LEVEL,
                    f"is {entry.kind}: catalog files are regular files (review and CODEOWNERS follow "
                    "paths, not what a link points to)",
                    where,
                )
            )
        elif entry.text is None or (entry.path != PLATFORM_FILE and team is None):
            problems.append(
                Problem(
                    FILE_LEVEL,
                    f"is not part of a catalog: a catalog folder holds {PLATFORM_FILE} and "
                    f"{TEAMS_DIR}/<team>{TEAM_SUFFIX}, nothing else (move or remove it)",
                    where,
                )
            )
        elif team is None:
            platform = entry
        elif len(team) > 63 or not DNS_LABEL.match(team):
            problems.append(
                Problem(
                    FILE_LEVEL,
                    f"{team!r} is not a team name (a DNS label: lower-case letters, digits and '-'): "
                    f"a team file is {TEAMS_DIR}/<team>{TEAM_SUFFIX}, named after the team it declares",
                    where,
                )
            )
        else:
            teams.append((team, entry))
    if platform is None and not any(e.path == PLATFORM_FILE for e in files.entries):
        problems.append(
            Problem(
                PLATFORM_FILE,
                f"required: the platform file (environment, organization, cluster, aws, argocd, …) beside {TEAMS_DIR}/",
                files.label,
            )
        )
    return platform, sorted(teams, key=lambda t: t[0]), problems


Parse = Callable[[str, str], Any]


def _parsed(text: str, where: str, parse_yaml: Parse) -> tuple[Any, list[Problem]]:
    try:
        return parse_yaml(text, where), []
    except CatalogError as err:
        return None, [dataclasses.replace(p, source=where) for p in err.problems]  # lines and columns kept


def platform_problems(data: dict[str, Any], where: str) -> list[Problem]:
    if "teams" in data:
        return [
            Problem(
                "teams",
                f"teams are not declared in the platform file: each team has its own file, {TEAMS_DIR}/<team>{TEAM_SUFFIX}",
                where,
            )
        ]
    return []


def team_problems(data: dict[str, Any], team: str, where: str, platform_file: str) -> list[Problem]:
    """What a team file may not say: a platform field, other teams, another team's name."""
    problems: list[Problem] = []
    owned = f"is owned by the platform ({platform_file}): a team file declares only its own team"
    for key in data:
        if key in PLATFORM_FIELDS:
            problems.append(Problem(str(key), owned, where))
        elif key == "teams":
            problems.append(
                Problem(
                    "teams",
                    f"a team file declares one team, {team!r}, at its top level: other teams have "
                    f"their own files ({TEAMS_DIR}/<team>{TEAM_SUFFIX})",
                    where,
                )
            )
    aws = data.get("aws")
    if isinstance(aws, dict):
        problems += [Problem(f"aws.{key}", owned, where) for key in aws if key in PLATFORM_AWS_FIELDS]
    name = data.get("name")
    if "name" not in data:
        problems.append(Problem("name", f"required field is missing: the team this file declares, {team!r}", where))
    elif name != team:
        problems.append(
            Problem(
                "name",
                f"{name!r} is not {team!r}, the team this file is named after: a team file declares "
                f"only its own team ({TEAMS_DIR}/{name}{TEAM_SUFFIX} would declare {name!r})",
                where,
            )
        )
    return problems


def _team_data(data: dict[str, Any], team: str) -> dict[str, Any]:
    """The team file without what was refused above (reported once, not again as unknown fields)."""
    kept = {k: v for k, v in data.items() if k not in PLATFORM_FIELDS and k != "teams"}
    if isinstance(kept.get("aws"), dict):
        kept["aws"] = {k: v for k, v in kept["aws"].items() if k not in PLATFORM_AWS_FIELDS}
    kept["name"] = team
    return kept


def assemble(files: CatalogFiles, parse_yaml: Parse = parse) -> Assembled:
    """The folder as one catalog's data (teams by name). Every layout, YAML and ownership
    problem of every file is collected, not only the first. `parse_yaml` may cache (the
    audit reads a folder at every commit); what it returns is not changed here."""
    platform_entry, teams, problems = _layout(files)
    platform_file = files.file_label(PLATFORM_FILE)
    data: dict[str, Any] | None = None
    if platform_entry is not None:
        assert platform_entry.text is not None
        parsed, found = _parsed(platform_entry.text, platform_file, parse_yaml)
        problems += found
        if parsed is not None and not isinstance(parsed, dict):
            problems.append(
                Problem(
                    "(top level)", f"a platform file is a mapping of fields, not {type(parsed).__name__}", platform_file
                )
            )
        elif isinstance(parsed, dict):
            problems += platform_problems(parsed, platform_file)
            data = {k: v for k, v in parsed.items() if k != "teams"}
    team_values: list[dict[str, Any]] = []
    team_files: list[str] = []
    for team, entry in teams:
        where = files.file_label(entry.path)
        assert entry.text is not None
        parsed, found = _parsed(entry.text, where, parse_yaml)
        problems += found
        if parsed is None:
            continue
        if not isinstance(parsed, dict):
            problems.append(
                Problem(
                    "(top level)", f"a team file is a mapping of the team's fields, not {type(parsed).__name__}", where
                )
            )
            continue
        problems += team_problems(parsed, team, where, platform_file)
        team_values.append(_team_data(parsed, team))
        team_files.append(where)
    if data is not None:
        data["teams"] = team_values
    return Assembled(files.label, data, tuple(team_files), platform_file, tuple(problems))


def catalog_data(files: CatalogFiles) -> Any:
    """The catalog's data as one file holds it (a folder put together); CatalogError when it
    cannot be (YAML, layout or ownership problems). Not validated: `fleet.compiler` does that."""
    if not files.folder:
        text = files.text()
        assert text is not None
        return parse(text, files.label)
    assembled = assemble(files)
    if assembled.problems or assembled.data is None:
        raise CatalogError(files.label, assembled.problems)
    return assembled.data


# --- telling each problem in its own file ------------------------------------------------------
_TEAM_PATH = re.compile(r"^teams\[([0-9]+)\](.*)$", re.DOTALL)
_TEAM_REFERENCE = re.compile(r"\bteams\[([0-9]+)\]((?:\.[A-Za-z_][A-Za-z0-9_-]*|\[[0-9]+\])*)")


def _rest(path: str) -> str:
    return path.removeprefix(".") or "(top level)"


def relocate(problems: Sequence[Problem], assembled: Assembled) -> list[Problem]:
    """Problems of the assembled catalog (paths such as `teams[2].apps[0].name`) told in the
    file they are written in: the team's file and the path inside it, or the platform file.
    References to other teams in a reason (`already used at teams[0].name`) are told alike."""
    files = assembled.team_files

    def reference(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index >= len(files):
            return match.group(0)
        return f"{files[index]}: {_rest(match.group(2))}"

    out = []
    for problem in problems:
        reason = _TEAM_REFERENCE.sub(reference, problem.reason)
        if problem.source:
            out.append(dataclasses.replace(problem, reason=reason))
            continue
        match = _TEAM_PATH.match(problem.path)
        if match and int(match.group(1)) < len(files):
            out.append(Problem(_rest(match.group(2)), reason, files[int(match.group(1))]))
        elif problem.path == "teams":
            out.append(Problem(f"{TEAMS_DIR}/", reason, assembled.label))
        elif problem.path.startswith("(rendered)"):
            out.append(Problem(problem.path, reason, assembled.label))
        else:
            out.append(Problem(problem.path, reason, assembled.platform_file))
    return out
