"""A catalog's history as plain data: who committed which change to the file, and when.

`fleet.io.git` reads it from Git; `fleet.history.audit` computes on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict

# Where a pull request number is written: GitHub's merge and squash subjects, or a trailer
# ("PR: #12", "Pull-Request: https://github.com/acme/fleet/pull/12").
_MERGE_SUBJECT = re.compile(r"^Merge pull request #([0-9]+) ")


_SQUASH_SUBJECT = re.compile(r"\(#([0-9]+)\)\s*$")


_TRAILER_PR = re.compile(r"^(?:#|.*/pull/)?([0-9]+)/?$")


class Person(BaseModel):
    # A commit's author or committer; the audit report (schemas/audit.v1.json) carries it as it is.
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    email: str


@dataclass(frozen=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author: Person
    authored_at: datetime
    committer: Person
    committed_at: datetime
    subject: str
    approvers: tuple[str, ...]
    pr_trailers: tuple[str, ...]

    def pull_request(self) -> int | None:
        """The pull request the commit came through: what GitHub wrote first (the merge subject,
        the number it appends to a squash subject), a trailer only when neither says. A squash
        commit's body holds its commits' messages, so a trailer there is the author's word: it
        never outranks GitHub's, or an author could point the audit at another pull request's
        approvals."""
        for pattern in (_MERGE_SUBJECT, _SQUASH_SUBJECT):
            if match := pattern.search(self.subject):
                return int(match.group(1))
        for value in self.pr_trailers:
            if match := _TRAILER_PR.match(value.strip()):
                return int(match.group(1))
        return None


@dataclass(frozen=True)
class FileChange:
    """One first-parent commit that changed the file: its blob before and after."""

    commit: Commit
    status: str  # A added, M modified, R renamed, D deleted (T: type change, read as M)
    path: str  # after the commit (for D: the path it had)
    previous_path: str | None  # before a rename
    blob: str | None  # None when the file was deleted
    merged: tuple[Commit, ...] = field(default=())  # for a merge: the commits it brought that touched the file


@dataclass(frozen=True)
class FolderChange:
    """One first-parent commit that changed a catalog folder: the files it changed, and every
    file of the folder after it (what the catalog was at that commit)."""

    commit: Commit
    path: str  # the folder
    changed: tuple[tuple[str, str], ...]  # (A/M/D, repository path) of each file it changed
    files: tuple[tuple[str, str, str], ...]  # (path inside the folder, git mode, blob) after the commit
    first: bool = False  # the commit that created the folder
    merged: tuple[Commit, ...] = field(default=())

    @property
    def status(self) -> str:
        return "A" if self.first else "D" if not self.files else "M"

    @property
    def previous_path(self) -> str | None:
        return None

    @property
    def blob(self) -> str | None:
        return None


Change = FileChange | FolderChange
