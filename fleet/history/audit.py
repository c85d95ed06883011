"""Who gained or lost which access, when, through which commit and whose review.

Pure: it reads a catalog's history as data (`fleet.io.git` fetches it) and compares each commit's
access with the previous one's through the diff engine (`diff.access_grants`,
`diff.access_changes`), the same comparison `fleet diff` shows in a pull request.

Each commit's catalog is read as it was written: its shape must be valid, because nothing
else can be rendered, but today's consistency rules and guardrails are not applied to the past
(they change; the record does not). A catalog that cannot be read or rendered is listed with
its problems and changes no access; the next readable one is compared with the last readable one.

Speed on a long history: a catalog is split into its settings and one text per team, and
each team's grants are computed once per distinct (settings, team text); a commit that
changes one team re-renders that team only. When the split cannot be trusted (flow style,
anchors, a YAML error in a part) the whole file is parsed instead.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from fleet.catalog import checks
from fleet.catalog.folder import TEAM_SUFFIX, TEAMS_DIR, CatalogFiles, assemble, catalog_data, team_of
from fleet.catalog.folder import Entry as FolderEntry
from fleet.catalog.location import LINK_MODE, REGULAR_MODES
from fleet.catalog.models import Catalog
from fleet.compiler import shape_problems
from fleet.history import reviews
from fleet.history.commits import Change, Commit, FolderChange, Person
from fleet.render.layers import render
from fleet.reports import access, diff
from fleet.text import markdown as md
from fleet.text import terminal
from fleet.text.problems import CatalogError, Problem, UnreadableFileError, UsageError
from fleet.text.yaml_io import decode, parse

VERSION = 1
Grants = dict[diff.Principal, frozenset[str]]
_PROBLEMS_SHOWN = 5
_FOLD_AFTER = 10


# --- reading one catalog's access, cached per team ---------------------------------------------
_TEAMS_LINE = re.compile(r"^teams[ \t]*:[ \t]*(?:#[^\n]*)?\r?$", re.MULTILINE)
_SIGNIFICANT = re.compile(r"^( *)(?=[^ \r\n#])", re.MULTILINE)  # a line that is not blank or a comment


def _is_item(text: str, at: int) -> bool:
    return text.startswith(("- ", "-\n", "-\r"), at) or (at == len(text) - 1 and text[at] == "-")


def split_catalog(text: str) -> tuple[str, list[str]] | None:
    """(the catalog without `teams`, one text per team) for a block-style catalog whose top-level
    `teams:` is a block sequence; None for any other layout. Parsing the parts gives what parsing
    the whole gives, or an error (a part cut inside a quoted or flow value does not parse).

    Only lines indented no deeper than the sequence's dashes are looked at: the teams' starts,
    and the first line after the sequence."""
    teams = _TEAMS_LINE.search(text)
    if teams is None:
        return None
    first = _SIGNIFICANT.search(text, teams.end())
    if first is None or not _is_item(text, first.end()):
        return None
    indent = len(first.group(1))
    shallow = re.compile(rf"^ {{0,{indent}}}(?=[^ \r\n#])", re.MULTILINE)
    starts = [first.start()]
    end = len(text)
    for line in shallow.finditer(text, first.end() + 1):
        if line.end() - line.start() == indent and _is_item(text, line.end()):
            starts.append(line.start())
        else:
            end = line.start()
            break
    bounds = [*starts, end]
    parts = [text[bounds[i] : bounds[i + 1]] for i in range(len(starts))]
    return text[: teams.start()] + text[end:], parts


@dataclass(frozen=True)
class Snapshot:
    """One commit's catalog as access: grants per principal, or why it could not be read."""

    grants: Grants | None
    problems: tuple[str, ...] = ()
    organization: str | None = None
    environment: str | None = None
    by_team: Mapping[str, Grants] = field(default_factory=dict)  # each team's own grants
    team_texts: Mapping[str, str] = field(default_factory=dict)  # each team's text (or value), to see it change

    @property
    def readable(self) -> bool:
        return self.grants is not None


@dataclass(frozen=True)
class _Team:
    grants: Grants | None
    problems: tuple[Problem, ...]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class AccessReader:
    """Catalog text → Snapshot, with caches that make a long history cheap."""

    def __init__(self) -> None:
        self._headers: dict[str, Any] = {}  # settings text -> parsed, or CatalogError
        self._team_values: dict[str, Any] = {}  # team text -> parsed, or CatalogError
        self._settings: dict[str, tuple[Problem, ...]] = {}  # canonical settings -> shape problems
        self._teams: dict[tuple[str, str], _Team] = {}  # (canonical settings, team key) -> grants

    def _parsed(self, cache: dict[str, Any], text: str) -> Any:
        if text not in cache:
            try:
                cache[text] = parse(text, "(part)")
            except CatalogError as err:
                cache[text] = err
        return cache[text]

    def _parts(self, text: str, source: str) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
        """(settings, [(team key, team value)]); CatalogError when the file is no catalog."""
        split = split_catalog(text)
        if split is not None:
            header = self._parsed(self._headers, split[0])
            values = [self._parsed(self._team_values, part) for part in split[1]]
            parts_ok = isinstance(header, dict) and "teams" not in header
            parts_ok = parts_ok and all(isinstance(v, list) and len(v) == 1 for v in values)
            if parts_ok:
                return header, [("text:" + part, value[0]) for part, value in zip(split[1], values, strict=True)]
        data = parse(text, source)
        if not isinstance(data, dict) or not isinstance(data.get("teams"), list):
            try:
                Catalog.model_validate(data)
            except ValidationError as err:
                raise CatalogError(source, shape_problems(err)) from None
            raise CatalogError(source, [Problem("teams", "must be a list")])
        header = {key: value for key, value in data.items() if key != "teams"}
        return header, [("value:" + _canonical(team), team) for team in data["teams"]]

    def _team(self, settings_key: str, header: dict[str, Any], key: str, value: Any) -> _Team:
        cached = self._teams.get((settings_key, key))
        if cached is not None:
            return cached
        try:
            catalog = Catalog.model_validate({**header, "teams": [value]})
        except ValidationError as err:
            result = _Team(None, tuple(shape_problems(err)))
        else:
            try:
                state = render(catalog)
            except Exception:  # an inconsistent catalog; the checks say why, else it is our bug
                found = tuple(checks.check(catalog))
                if not found:
                    raise
                result = _Team(None, found)
            else:
                result = _Team(diff.access_grants(state), ())
        self._teams[(settings_key, key)] = result
        return result

    def _cached_parse(self, text: str, where: str) -> Any:
        """`parse`, through the cache of team texts (a folder is read again at every commit)."""
        value = self._parsed(self._team_values, text)
        if isinstance(value, CatalogError):
            raise CatalogError(where, value.problems)
        return value

    def snapshot(self, text: str, source: str) -> Snapshot:
        try:
            header, teams = self._parts(text, source)
        except CatalogError as err:
            return Snapshot(None, tuple(f"{p.path}: {p.reason}" for p in err.problems))
        return self._combine(header, teams, [f"teams[{i}]" for i in range(len(teams))])

    def folder_snapshot(self, files: CatalogFiles) -> Snapshot:
        """A catalog folder at one commit, read as `fleet validate` puts it together (its
        layout and ownership rules are the folder form's own: a folder breaking them never
        deployed, so it changes no access)."""
        assembled = assemble(files, self._cached_parse)
        if assembled.problems or assembled.data is None:
            return Snapshot(None, tuple(f"{p.source or files.label}: {p.path}: {p.reason}" for p in assembled.problems))
        texts = [e.text or "" for e in files.entries if team_of(e.path) is not None]
        header = {k: v for k, v in assembled.data.items() if k != "teams"}
        teams = [("file:" + text, value) for text, value in zip(texts, assembled.data["teams"], strict=True)]
        return self._combine(header, teams, [f"{file}:" for file in assembled.team_files])

    def _combine(self, header: dict[str, Any], teams: list[tuple[str, Any]], where: list[str]) -> Snapshot:
        """The grants of the settings `header` with each team (key, value); `where` names each
        team's place in a problem ('teams[2]', or its file)."""
        settings_key = _canonical(header)
        if settings_key not in self._settings:
            try:
                Catalog.model_validate({**header, "teams": []})
                self._settings[settings_key] = ()
            except ValidationError as err:
                self._settings[settings_key] = tuple(shape_problems(err))
        org, env = header.get("organization"), header.get("environment")
        named = {"organization": str(org) if org else None, "environment": str(env) if env else None}
        problems = [f"{p.path}: {p.reason}" for p in self._settings[settings_key]]
        if problems:
            return Snapshot(None, tuple(problems), **named)
        grants: Grants = {}
        by_team: dict[str, Grants] = {}
        texts: dict[str, str] = {}
        for index, (key, value) in enumerate(teams):
            team = self._team(settings_key, header, key, value)
            if team.grants is None:
                problems += [f"{_placed(p.path, where[index])}: {p.reason}" for p in team.problems]
                continue
            name = str(value.get("name")) if isinstance(value, dict) else f"teams[{index}]"
            by_team[name], texts[name] = team.grants, key
            for principal, granted in team.grants.items():
                grants[principal] = grants[principal] | granted if principal in grants else granted
        if problems:
            return Snapshot(None, tuple(problems), **named)
        return Snapshot(grants, (), **named, by_team=by_team, team_texts=texts)


def _placed(path: str, where: str) -> str:
    """A team's problem path ('teams[0].apps[1]') at the team's place: 'teams[3].apps[1]', or
    in its own file: 'stacks/dev/teams/search.yaml: apps[1]'."""
    rest = path.removeprefix("teams[0]")
    if where.endswith(":"):
        return f"{where} {rest.removeprefix('.') or '(top level)'}"
    return where + rest


# --- the report as data (JSON schema: schemas/audit.v1.json) ------------------------------------
class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MergedCommit(_Model):
    commit: str
    author: Person
    subject: str


class Approval(_Model):
    """An approval the code host recorded for the pull request (its reviews API)."""

    user: str
    submitted_at: str
    commit: str  # the commit the reviewer approved


class CatalogFile(_Model):
    """A file of the catalog a commit changed: the one file, or a platform or team file of a folder."""

    path: str
    change: Literal["added", "modified", "renamed", "deleted"]


class Entry(_Model):
    """One first-parent commit that changed the catalog file."""

    commit: str
    subject: str
    author: Person
    authored_at: str  # ISO 8601 with the author's offset
    committer: Person
    committed_at: str  # ISO 8601, when it reached the audited branch
    pull_request: int | None
    # Who approved: only what the code host recorded for the pull request (its reviews, read
    # from an exported file or its API). `review_records` says whether they were read.
    approvers: list[str]
    approvals: list[Approval]
    review_records: Literal["read", "not-read", "no-pull-request"]
    # Reviewed-by / Approved-by trailers of the commit or the commits it merged: written by the
    # commit's author, so claims, never approvers.
    claimed_approvers: list[str]
    merged_commits: list[MergedCommit]  # for a merge: its own commits that touched the catalog
    path: str
    change: Literal["added", "modified", "renamed", "deleted"]
    previous_path: str | None
    files: list[CatalogFile]  # what the commit changed (for a catalog folder: which team's file)
    readable: bool  # False: the catalog could not be read; it changed no access
    problems: list[str]
    access: list[diff.AccessChange]


class AuditLog(_Model):
    kind: Literal["audit-log"] = "audit-log"
    version: Literal[1] = VERSION
    catalog: str
    team: str | None = None  # a team file's audit: only that team's access
    ref: str
    since: str | None
    until: str | None
    entries: list[Entry]


class AsOf(_Model):
    kind: Literal["access-as-of"] = "access-as-of"
    version: Literal[1] = VERSION
    catalog: str
    team: str | None = None  # a team file's audit: only that team's access
    ref: str
    as_of: str
    commit: str
    committed_at: str
    subject: str
    pull_request: int | None
    path: str
    skipped: list[str]  # later commits before the date whose catalog could not be read
    access: access.AccessMatrix  # what `fleet access --format json` prints for that commit's catalog


Report = AuditLog | AsOf
_STATUS: dict[str, Literal["added", "modified", "renamed", "deleted"]] = {
    "A": "added",
    "M": "modified",
    "R": "renamed",
    "D": "deleted",
}


def _claimed(change: Change) -> list[str]:
    seen: dict[str, None] = {}
    for commit in (change.commit, *change.merged):
        seen.update(dict.fromkeys(commit.approvers))
    return list(seen)


def _approvals(
    number: int | None, records: reviews.Records | None
) -> tuple[list[Approval], Literal["read", "not-read", "no-pull-request"]]:
    if number is None:
        return [], "no-pull-request"
    if records is None or number not in records:
        return [], "not-read"
    found = reviews.approvers(records[number])
    return [Approval(user=r.user, submitted_at=r.submitted_at, commit=r.commit) for r in found], "read"


def pull_request_of(change: Change) -> int | None:
    """The pull request a change came through: its own, or that of a commit it merged."""
    return _pull_request(change)


def _pull_request(change: Change) -> int | None:
    for commit in (change.commit, *change.merged):
        if (number := commit.pull_request()) is not None:
            return number
    return None


def _files(change: Change) -> list[CatalogFile]:
    if isinstance(change, FolderChange):
        return [CatalogFile(path=path, change=_STATUS.get(status, "modified")) for status, path in change.changed]
    return [CatalogFile(path=change.path, change=_STATUS.get(change.status, "modified"))]


def _entry(
    change: Change, snapshot: Snapshot, access_changes: list[diff.AccessChange], records: reviews.Records | None
) -> Entry:
    commit: Commit = change.commit
    number = _pull_request(change)
    approvals, read = _approvals(number, records)
    return Entry(
        commit=commit.sha,
        subject=commit.subject,
        author=commit.author,
        authored_at=commit.authored_at.isoformat(),
        committer=commit.committer,
        committed_at=commit.committed_at.isoformat(),
        pull_request=number,
        approvers=[a.user for a in approvals],
        approvals=approvals,
        review_records=read,
        claimed_approvers=_claimed(change),
        merged_commits=[MergedCommit(commit=m.sha, author=m.author, subject=m.subject) for m in change.merged],
        path=change.path,
        change=_STATUS.get(change.status, "modified"),
        previous_path=change.previous_path,
        files=_files(change),
        readable=snapshot.readable,
        problems=list(snapshot.problems[:_PROBLEMS_SHOWN])
        + (
            [f"… and {len(snapshot.problems) - _PROBLEMS_SHOWN} more"]
            if len(snapshot.problems) > _PROBLEMS_SHOWN
            else []
        ),
        access=access_changes,
    )


BlobRead = Callable[[str], bytes]


class _History:
    """Snapshots of a catalog's versions, read once each: blobs through `read`, with caches."""

    def __init__(self, read: BlobRead) -> None:
        self.read = read
        self.reader = AccessReader()
        self._snapshots: dict[Any, Snapshot] = {}
        self._texts: dict[str, str | UnreadableFileError] = {}

    def _text(self, blob: str, source: str) -> str:
        if blob not in self._texts:
            try:
                self._texts[blob] = decode(self.read(blob), source)  # at most yaml_io.MAX_BYTES, UTF-8
            except UnreadableFileError as err:
                self._texts[blob] = err
            if len(self._texts) > 4096:
                del self._texts[next(iter(self._texts))]
        text = self._texts[blob]
        if isinstance(text, UnreadableFileError):
            raise text
        return text

    def files(self, change: FolderChange) -> CatalogFiles:
        label = f"{change.commit.sha[:12]}:{change.path}"
        entries = [
            FolderEntry(path, self._text(blob, f"{label}/{path}"))
            if mode in REGULAR_MODES
            else FolderEntry(path, None, "a symbolic link" if mode == LINK_MODE else f"an entry of git mode {mode}")
            for path, mode, blob in change.files
        ]
        return CatalogFiles.of_folder(label, entries)

    def snapshot(self, change: Change) -> Snapshot:
        if change.blob is None and not (isinstance(change, FolderChange) and change.files):
            return Snapshot({}, ())  # deleted: the catalog declares nothing any more
        key: Any = change.files if isinstance(change, FolderChange) else change.blob
        if key not in self._snapshots:
            try:
                if isinstance(change, FolderChange):
                    self._snapshots[key] = self.reader.folder_snapshot(self.files(change))
                else:
                    assert change.blob is not None
                    source = f"{change.commit.sha[:12]}:{change.path}"
                    self._snapshots[key] = self.reader.snapshot(self._text(change.blob, source), source)
            except UnreadableFileError as err:
                self._snapshots[key] = Snapshot(None, (str(err),))
            if len(self._snapshots) > 32:  # a revert reuses a recent version; old ones are not needed again
                del self._snapshots[next(iter(self._snapshots))]
        return self._snapshots[key]


def team_file(change: Change, team: str) -> str | None:
    """The team's own file in a folder version (None for a one-file version)."""
    return f"{change.path}/{TEAMS_DIR}/{team}{TEAM_SUFFIX}" if isinstance(change, FolderChange) else None


def _grants(snapshot: Snapshot, team: str | None) -> Grants | None:
    if snapshot.grants is None or team is None:
        return snapshot.grants
    return snapshot.by_team.get(team, {})


def _touches(change: Change, team: str, before: Snapshot | None, after: Snapshot) -> bool:
    """Whether a version changed the team's declaration: its file in a folder, its part of a one file."""
    if isinstance(change, FolderChange):
        return any(path == team_file(change, team) for _, path in change.changed)
    if before is None or not before.readable or not after.readable:
        return True
    return before.team_texts.get(team) != after.team_texts.get(team)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def build_log(
    changes: Sequence[Change],
    read: BlobRead,
    catalog: str,
    ref: str,
    since: datetime | None = None,
    until: datetime | None = None,
    team: str | None = None,
    records: reviews.Records | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AuditLog:
    """Every change of the catalog committed in [since, until], each with the access it changed.
    With `team` (the audit of a team's file): the commits that changed that team's declaration
    or its access (a platform change of a persona changes every team's), and only its access.
    `progress(done, total)` is told of each commit read (the shell draws it)."""
    if not changes:
        raise UsageError(f"{catalog}: never tracked on {ref}")
    first = utc(changes[0].commit.committed_at)
    if until is not None and utc(until) < first:
        raise UsageError(
            f"--until {until.isoformat()} is before the catalog's first commit "
            f"({changes[0].commit.sha[:12]}, {first.isoformat()})"
        )
    inside = [
        i
        for i, c in enumerate(changes)
        if (since is None or utc(c.commit.committed_at) >= utc(since))
        and (until is None or utc(c.commit.committed_at) <= utc(until))
    ]
    versions = _History(read)
    entries: list[Entry] = []
    if inside:
        # The access in effect before the range: the last readable catalog before it.
        previous: Grants = {}
        last: Snapshot | None = None
        for change in reversed(changes[: inside[0]]):
            snapshot = versions.snapshot(change)
            if snapshot.grants is not None:
                previous, last = _grants(snapshot, team) or {}, snapshot
                break
        for done, i in enumerate(inside):
            if progress is not None:
                progress(done, len(inside))
            snapshot = versions.snapshot(changes[i])
            found: list[diff.AccessChange] = []
            granted = _grants(snapshot, team)
            if granted is not None:
                found = diff.access_changes(previous, granted)
                previous = granted
            if team is None or found or _touches(changes[i], team, last, snapshot):
                entries.append(_entry(changes[i], snapshot, found, records))
            if snapshot.readable:
                last = snapshot
    return AuditLog(
        catalog=catalog,
        team=team,
        ref=ref,
        since=utc(since).isoformat() if since else None,
        until=utc(until).isoformat() if until else None,
        entries=entries,
    )


def _matrix(data: Any, source: str, team: str | None) -> tuple[access.AccessMatrix, Grants]:
    """The access matrix and grants of one catalog's data (of one team's, with `team`), read
    as `build_log` reads it (its shape is validated; consistency rules and guardrails are not)."""
    if team is not None and isinstance(data, dict) and isinstance(data.get("teams"), list):
        data = {**data, "teams": [t for t in data["teams"] if isinstance(t, dict) and t.get("name") == team]}
    try:
        catalog = Catalog.model_validate(data)
    except ValidationError as err:
        raise CatalogError(source, shape_problems(err)) from None
    state = render(catalog)
    return access.matrix(state), diff.access_grants(state)


def read_catalog(text: str, source: str, team: str | None = None) -> tuple[access.AccessMatrix, Grants]:
    """The access matrix and grants of one one-file catalog (see `_matrix`)."""
    return _matrix(parse(text, source), source, team)


def read_folder(files: CatalogFiles, team: str | None = None) -> tuple[access.AccessMatrix, Grants]:
    """As `read_catalog`, for a catalog folder (put together as `fleet validate` does)."""
    return _matrix(catalog_data(files), files.label, team)


def as_of(
    changes: Sequence[Change],
    read: BlobRead,
    catalog: str,
    ref: str,
    moment: datetime,
    team: str | None = None,
) -> tuple[AsOf, Grants]:
    """The access matrix in effect at `moment`: the last readable catalog committed by then
    (only the team's access, with `team`)."""
    if not changes:
        raise UsageError(f"{catalog}: never tracked on {ref}")
    due = [c for c in changes if utc(c.commit.committed_at) <= utc(moment)]
    if not due:
        first = changes[0].commit
        raise UsageError(
            f"--as-of {utc(moment).isoformat()} is before the catalog's first commit "
            f"({first.sha[:12]}, {utc(first.committed_at).isoformat()})"
        )
    versions = _History(read)
    skipped: list[str] = []
    for change in reversed(due):
        if change.blob is None and not (isinstance(change, FolderChange) and change.files):
            raise UsageError(
                f"--as-of {utc(moment).isoformat()}: the catalog was deleted by {change.commit.sha[:12]} "
                f"({utc(change.commit.committed_at).isoformat()}) and not restored by then"
            )
        source = f"{change.commit.sha[:12]}:{change.path}"
        try:
            if isinstance(change, FolderChange):
                matrix, grants = read_folder(versions.files(change), team)
            else:
                assert change.blob is not None
                matrix, grants = read_catalog(decode(read(change.blob), source), source, team)
        except (CatalogError, UnreadableFileError):
            skipped.append(change.commit.sha)
            continue
        report = AsOf(
            catalog=catalog,
            team=team,
            ref=ref,
            as_of=utc(moment).isoformat(),
            commit=change.commit.sha,
            committed_at=change.commit.committed_at.isoformat(),
            subject=change.commit.subject,
            pull_request=change.commit.pull_request(),
            path=change.path,
            skipped=skipped,
            access=matrix,
        )
        return report, grants
    raise UsageError(f"--as-of {utc(moment).isoformat()}: no readable catalog was committed by then")


# --- output --------------------------------------------------------------------------------------
CSV_COLUMNS = (
    "committed_at",
    "commit",
    "pull_request",
    "author",
    "committer",
    "change_authors",
    "approvers",
    "review_records",
    "claimed_approvers",
    "catalog_path",
    "principal_kind",
    "principal",
    "change",
    "area",
    "grant",
)
AS_OF_COLUMNS = ("as_of", "commit", "catalog_path", "principal_kind", "principal", "area", "grant")


def _who(person: Person) -> str:
    return f"{person.name} <{person.email}>"


def change_authors(entry: Entry) -> list[Person]:
    """Who wrote the change: for a merge, the authors of the commits it brought."""
    people = [m.author for m in entry.merged_commits] or [entry.author]
    return list(dict.fromkeys(people))


def _csv(header: Sequence[str], rows: list[list[str]]) -> str:
    """Every field escaped for a terminal: commit subjects and names come from anyone's Git."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([terminal.escape(field) for field in row] for row in rows)
    return out.getvalue()


def log_csv(log: AuditLog) -> str:
    """One row per grant or revocation."""
    rows = []
    for e in log.entries:
        for change in e.access:
            for verdict, grants in (("granted", change.gained), ("revoked", change.lost)):
                rows += [
                    [
                        e.committed_at,
                        e.commit,
                        "" if e.pull_request is None else str(e.pull_request),
                        _who(e.author),
                        _who(e.committer),
                        "; ".join(_who(p) for p in change_authors(e)),
                        "; ".join(e.approvers),
                        e.review_records,
                        "; ".join(e.claimed_approvers),
                        e.path,
                        change.kind,
                        change.principal,
                        verdict,
                        diff.grant_area(change.kind, grant),
                        grant,
                    ]
                    for grant in grants
                ]
    return _csv(CSV_COLUMNS, rows)


def as_of_csv(report: AsOf, grants: Grants) -> str:
    """One row per grant in effect: every Okta group's, then every IAM role's."""
    rows = [
        [report.as_of, report.commit, report.path, kind, principal, diff.grant_area(kind, grant), grant]
        for (kind, principal), granted in sorted(
            grants.items(), key=lambda item: (item[0][0] != "okta-group", item[0][1])
        )
        for grant in sorted(granted)
    ]
    return _csv(AS_OF_COLUMNS, rows)


def _by(entry: Entry) -> str:
    names = ", ".join(p.name for p in change_authors(entry))
    return f"{names} (merged by {entry.author.name})" if entry.merged_commits else names


def _approved(entry: Entry) -> str:
    """The approvers as the code host recorded them, or why there are none to show."""
    if entry.review_records == "no-pull-request":
        return "none (no pull request)"
    if entry.review_records == "not-read":
        return "not read (give the pull request's reviews: --reviews FILE or --github OWNER/REPO)"
    return ", ".join(f"{a.user} ({a.commit[:12]})" if a.commit else a.user for a in entry.approvals) or "none"


def _from_git(value: str) -> str:
    """A commit's subject, a name, a login: anyone's Git or code host wrote it, so no Markdown
    construct may open in it (an image that loads a URL as the report is viewed, a link, emphasis
    that hides text), nor any structure (`md.cell`)."""
    return md.cell(value, escape="[]!*_`~")


def log_markdown(log: AuditLog) -> str:
    span = f"from {log.since or 'the first commit'} to {log.until or 'the last'}"
    changed = [e for e in log.entries if e.access]
    lines = [
        f"# Access audit: {md.code(log.catalog)}" + (f" (team {md.code(log.team)})" if log.team else ""),
        "",
        f"First-parent history of {md.code(log.ref)}, {span}: {len(log.entries)} commit(s) changed the catalog, "
        f"{len(changed)} of them changed access.",
        "",
    ]
    if not log.entries:
        return "\n".join(lines)
    lines += [
        "| committed (UTC) | commit | pull request | changed by | approvers | access |",
        "|---|---|---|---|---|---|",
    ]
    for e in log.entries:
        gained = sum(len(c.gained) for c in e.access)
        lost = sum(len(c.lost) for c in e.access)
        effect = f"+{gained} / -{lost}" if e.readable else "unreadable: no change"
        lines.append(
            f"| {utc(datetime.fromisoformat(e.committed_at)):%Y-%m-%d %H:%M} | `{e.commit[:12]}` "
            f"| {'#' + str(e.pull_request) if e.pull_request is not None else ''} | {_from_git(_by(e))} "
            f"| {_from_git(_approved(e))} | {effect} |"
        )
    for e in log.entries:
        lines += ["", f"## `{e.commit[:12]}` {_from_git(e.subject)}", ""]
        lines.append(
            f"- committed {e.committed_at} by {_from_git(_who(e.committer))}; authored {e.authored_at} by {_from_git(_who(e.author))}"
        )
        if e.pull_request is not None:
            lines.append(f"- pull request #{e.pull_request}")
        lines.append(f"- approvers (the code host's review records): {_from_git(_approved(e))}")
        if e.claimed_approvers:
            lines.append(
                f"- claimed in the commit's trailers, not approvers: {_from_git(', '.join(e.claimed_approvers))}"
            )
        for m in e.merged_commits:
            lines.append(f"- merged `{m.commit[:12]}` {_from_git(m.subject)} ({_from_git(m.author.name)})")
        where = f"{md.code(e.previous_path)} → {md.code(e.path)}" if e.previous_path else md.code(e.path)
        lines.append(f"- catalog {e.change}: {where}")
        if [f.path for f in e.files] != [e.path]:  # a folder: which of its files
            lines.append("- files: " + ", ".join(f"{md.code(f.path)} ({f.change})" for f in e.files))
        if not e.readable:
            lines += [
                "- **the catalog could not be read; no access changed:**",
                *(f"  - {_from_git(p)}" for p in e.problems),
            ]
        elif not e.access:
            lines.append("- no change of access")
        for change in e.access:
            what = "Okta group" if change.kind == "okta-group" else "IAM role"
            title = f"{what} {change.principal}: +{len(change.gained)} / -{len(change.lost)}"
            items = [f"- granted: {md.cell(g)}" for g in change.gained] + [
                f"- revoked: {md.cell(g)}" for g in change.lost
            ]
            if len(items) > _FOLD_AFTER:  # a new team grants hundreds: readable folded
                lines += ["", "<details>", f"<summary>{title}</summary>", "", *items, "", "</details>"]
            else:
                lines += ["", f"**{title}**", "", *items]
    return "\n".join(lines) + "\n"


def as_of_markdown(report: AsOf) -> str:
    header = [
        f"Access in effect at {report.as_of}: {md.code(report.path)} as of commit `{report.commit}` "
        f"({report.committed_at}{f', pull request #{report.pull_request}' if report.pull_request is not None else ''}): "
        f"{_from_git(report.subject)}",
        "",
    ]
    if report.skipped:
        header += [f"Later commits whose catalog could not be read (not in effect): {', '.join(report.skipped)}", ""]
    return "\n".join(header) + "\n" + access.markdown(report.access)


def json_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://app-of-apps.io/schemas/audit.v1.json",
        **TypeAdapter(Report).json_schema(),
    }
