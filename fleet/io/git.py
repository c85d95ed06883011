"""Everything the tool asks Git, through one runner (`run`) and one error type (`GitError`).

Only read-only commands are run: `log`, `cat-file`, `rev-parse`, `show`, `ls-tree`, `diff`.
What Git answers is turned into plain data here; `fleet.history.audit` computes on a file's
history, `fleet.pipeline` on a revision's files (`GitTree`), `fleet diff` reads `git:REV:path`.

A catalog folder's history is every commit that changed a file under it, each with the whole
folder as it then was (`folder_history`), continuing the history of the one file it was split
from. The history is the first-parent chain of a ref (default HEAD): on a protected main branch
every change arrives as one commit there, a merge of a pull request or a squashed one, and that
commit is when the change took effect. A merge's diff is taken against its first parent, so it
shows everything the pull request brought. Renames are followed (Git's `-M` detection).
"""

from __future__ import annotations

import stat
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from fleet.catalog.folder import MAX_FILES, CatalogFiles
from fleet.catalog.folder import Entry as FolderEntry
from fleet.catalog.location import LINK_MODE, REGULAR_MODES, RULE_REGULAR_FILE, PipelineError
from fleet.history.commits import Change, Commit, FileChange, FolderChange, Person
from fleet.text.problems import UnreadableFileError, UsageError
from fleet.text.yaml_io import MAX_BYTES, decode

# Fields of one commit in `git log --format`; \x1f between fields, \x1e before each commit.
_FIELDS = ("%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%s")
_TRAILERS = (
    "%(trailers:key=Reviewed-by,key=Approved-by,valueonly,unfold,separator=%x1d)",
    "%(trailers:key=PR,key=Pull-Request,valueonly,unfold,separator=%x1d)",
)
_FORMAT = "%x1e" + "%x1f".join((*_FIELDS, *_TRAILERS))
_NULL_BLOB = "0" * 40
C = TypeVar("C", FileChange, FolderChange)


class GitError(UnreadableFileError):
    """Git could not answer: it is not installed, or the command failed (what it said is kept)."""

    def __init__(self, args: Sequence[str], stderr: str, returncode: int | None) -> None:
        self.command, self.stderr, self.returncode = tuple(args), stderr, returncode
        if returncode is None:
            super().__init__("git is not installed (fleet reads Git history and revisions with it)")
        else:
            super().__init__(f"git {args[0]} failed: {stderr}")


def _argv(repo: Path, *args: str) -> list[str]:
    return ["git", "-C", str(repo), "-c", "core.quotePath=false", *args]


def run(repo: Path, *args: str) -> bytes:
    """What `git ARGS` in `repo` writes to its standard output; GitError when it fails."""
    try:
        done = subprocess.run(_argv(repo, *args), capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError(args, "", None) from None
    if done.returncode != 0:
        raise GitError(args, done.stderr.decode("utf-8", errors="replace").strip(), done.returncode)
    return done.stdout


def _text(repo: Path, *args: str) -> str:
    return run(repo, *args).decode("utf-8", errors="replace")


def locate(catalog: str | Path) -> tuple[Path, str]:
    """(repository root, the catalog's path inside it) for a path given on the command line."""
    path = Path(catalog).absolute()
    start = path.parent if path.parent.is_dir() else Path.cwd()
    try:
        root = Path(_text(start, "rev-parse", "--show-toplevel").strip()).resolve()
    except GitError as err:
        if err.returncode is None:
            raise
        raise UsageError(
            f"{catalog}: not inside a Git repository (fleet audit reads the catalog's Git history)"
        ) from None
    try:
        inside = path.parent.resolve().joinpath(path.name).relative_to(root)
    except ValueError:
        raise UsageError(f"{catalog}: outside the repository at {root}") from None
    return root, inside.as_posix()


def show(repo: Path, rev: str, path: str) -> bytes | None:
    """The file at `rev:path` (`git show`); None when the path does not exist at that revision."""
    try:
        return run(repo, "show", "--end-of-options", f"{rev}:{path}")
    except GitError as err:
        if "does not exist" in err.stderr or "exists on disk, but not in" in err.stderr:
            return None
        raise


def resolve(repo: Path, ref: str) -> str:
    """The commit a ref names, or a clear error."""
    try:
        return _text(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").strip()
    except GitError:
        raise UsageError(f"--ref {ref}: not a commit of the repository at {repo}") from None


def _commits(text: str) -> Iterator[tuple[Commit, str]]:
    """(commit, the raw diff lines after it) for each record of `git log --format=_FORMAT -z`."""
    for record in text.split("\x1e")[1:]:
        header, _, rest = record.partition("\x00")
        parts = header.split("\x1f")
        sha, parents, an, ae, ad, cn, ce, cd, subject, approvers, prs = parts
        commit = Commit(
            sha=sha,
            parents=tuple(parents.split()),
            author=Person(name=an, email=ae),
            authored_at=datetime.fromisoformat(ad),
            committer=Person(name=cn, email=ce),
            committed_at=datetime.fromisoformat(cd),
            subject=subject,
            approvers=tuple(a.strip() for a in approvers.split("\x1d") if a.strip()),
            pr_trailers=tuple(p.strip() for p in prs.split("\x1d") if p.strip()),
        )
        yield commit, rest


def _raw_entries(rest: str) -> Iterator[tuple[str, str, str, str, str | None, str]]:
    """(old blob, new blob, status letter, path, renamed-from, new mode) of `--raw -z` output."""
    fields = rest.lstrip("\n").split("\x00")
    i = 0
    while i < len(fields) and fields[i].startswith(":"):
        meta = fields[i].split()
        old_blob, new_blob, status, mode = meta[2], meta[3], meta[4][0], meta[1]
        if status in ("R", "C"):
            source, target = fields[i + 1], fields[i + 2]
            i += 3
            yield old_blob, new_blob, status, target, source, mode
        else:
            yield old_blob, new_blob, status, fields[i + 1], None, mode
            i += 2


def _first_parent_log(repo: Path, ref: str, renames: str, paths: tuple[str, ...] = ()) -> str:
    """`git log` of the first-parent chain of `ref`: each commit's fields (_FORMAT) and its raw
    diff against its first parent (a merge: everything it brought), `renames` `-M` or `--no-renames`."""
    options = ("--first-parent", "--diff-merges=first-parent", "--raw", "--no-abbrev", renames, "-z")
    return _text(repo, "log", *options, f"--format={_FORMAT}", ref, "--", *paths)


def history(repo: Path, path: str, ref: str) -> list[FileChange]:
    """Every first-parent commit of `ref` that changed `path` (following renames backwards),
    oldest first. Empty when the path was never tracked on that history."""
    out = _first_parent_log(repo, ref, "-M")
    changes: list[FileChange] = []
    current = path
    for commit, rest in _commits(out):
        for old_blob, new_blob, status, target, source, _mode in _raw_entries(rest):
            if target != current:
                continue
            if status == "R" and source is not None:
                changes.append(FileChange(commit, "R", target, source, new_blob))
                current = source
            elif status == "D":
                changes.append(FileChange(commit, "D", target, None, None))
            else:
                kind = "A" if old_blob == _NULL_BLOB else "M"
                changes.append(FileChange(commit, kind, target, None, new_blob))
            break
    changes.reverse()
    return [_with_merged(repo, change) for change in changes]


def _with_merged(repo: Path, change: C) -> C:
    """A merge's own commits that touched the file (or folder): their authors, and the approvals
    and pull request their trailers name (a review bot may write them there rather than on the merge)."""
    if len(change.commit.parents) < 2:
        return change
    paths = sorted({change.path, change.previous_path or change.path})
    out = _text(
        repo,
        "log",
        "-z",
        f"--format={_FORMAT}",
        "--no-merges",
        f"{change.commit.parents[0]}..{change.commit.sha}",
        "--",
        *paths,
    )
    merged = tuple(commit for commit, _ in _commits(out))
    return replace(change, merged=merged)


def is_folder(repo: Path, ref: str, path: str) -> bool:
    """Whether `path` is a folder (a tree) at `ref`."""
    try:
        return _text(repo, "cat-file", "-t", f"{ref}:{path}").strip() == "tree"
    except GitError as err:
        if err.returncode is None:
            raise
        return False


def folder_history(repo: Path, folder: str, ref: str) -> list[FolderChange]:
    """Every first-parent commit of `ref` that changed a file under `folder`, oldest first, each
    with the whole folder after it (built up change by change: each diff is against the first
    parent, so the folder's state carries over the commits that did not touch it)."""
    out = _first_parent_log(repo, ref, "--no-renames", paths=(f"{folder}/",))
    state: dict[str, tuple[str, str]] = {}
    changes: list[FolderChange] = []
    for commit, rest in reversed(list(_commits(out))):
        changed = []
        for _old, new_blob, status, path, _source, mode in _raw_entries(rest):
            inside = path.removeprefix(f"{folder}/")
            if status == "D":
                state.pop(inside, None)
            else:
                state[inside] = (mode, new_blob)
            changed.append((status, path))
        files = tuple((p, m, b) for p, (m, b) in sorted(state.items()))
        changes.append(FolderChange(commit, folder, tuple(changed), files, first=not changes))
    return [_with_merged(repo, change) for change in changes]


def audit_target(repo: Path, ref: str, path: str) -> tuple[str, str | None]:
    """(the catalog whose history is read, the team) for a path given to `fleet audit`: a team's
    file in a catalog folder is read as its folder's history, narrowed to that team."""
    folder, sep, name = path.rpartition("/teams/")
    if sep and name.endswith(".yaml") and "/" not in name and is_folder(repo, ref, folder):
        return folder, name.removesuffix(".yaml")
    return path, None


def catalog_history(repo: Path, path: str, ref: str) -> list[Change]:
    """The history of a catalog: a file's (renames followed), or a folder's. A folder made by
    `fleet split` from the file beside it (stacks/dev.yaml -> stacks/dev, the file deleted by the
    commit that created the folder) continues that file's history: the access it granted before
    the split is the baseline of the folder's."""
    if not is_folder(repo, ref, path):
        return list(history(repo, path, ref))
    changes: list[Change] = list(folder_history(repo, path, ref))
    if not changes:
        return changes
    split_at = changes[0].commit.sha
    earlier = history(repo, f"{path}.yaml", ref)
    ends = [i for i, c in enumerate(earlier) if c.commit.sha == split_at and c.status == "D"]
    if ends:
        changes = [*earlier[: ends[0]], *changes]
    return changes


class BlobReader:
    """`git cat-file --batch`, one process for the whole audit; blobs are read as they are needed."""

    def __init__(self, repo: Path) -> None:
        args = ("cat-file", "--batch")
        try:
            self._process = subprocess.Popen(_argv(repo, *args), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except FileNotFoundError:
            raise GitError(args, "", None) from None

    def read(self, blob: str) -> bytes:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(f"{blob}\n".encode())
        self._process.stdin.flush()
        header = self._process.stdout.readline().split()
        if len(header) != 3:
            raise GitError(("cat-file",), f"blob {blob} is missing from the repository", 0)
        data = self._process.stdout.read(int(header[2]) + 1)
        return data[:-1]

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@dataclass(frozen=True)
class Entry:
    mode: str
    path: str
    object: str = ""  # the blob's (or tree's) id


TREE_MODE = "040000"
_MODE_KINDS = {LINK_MODE: "a symbolic link", "160000": "a submodule"}


class GitTree:
    """Files of one revision of a clone, read as git objects."""

    def __init__(self, repo: Path, rev: str) -> None:
        self.repo, self.rev = repo, rev

    def entries(self, pathspec: str | None = None, *, recursive: bool = False) -> list[Entry]:
        args = ["ls-tree", "-z", "--full-tree", *(["-r"] if recursive else []), self.rev]
        out = []
        for record in run(self.repo, *args, *(["--", pathspec] if pathspec else [])).split(b"\0"):
            if record:
                meta, _, path = record.decode("utf-8", errors="replace").partition("\t")
                fields = meta.split(" ")
                out.append(Entry(fields[0], path, fields[2] if len(fields) > 2 else ""))
        return out

    def read(self, path: str) -> str | None:
        """The text of a regular file; None when absent. Anything but a regular file is refused."""
        listed = [e for e in self.entries(path) if e.path == path]
        if not listed:
            return None
        if listed[0].mode not in REGULAR_MODES:
            raise PipelineError(
                [f"{path}: is not a regular file (git mode {listed[0].mode}, a symbolic link?) [{RULE_REGULAR_FILE}]"]
            )
        return run(self.repo, "cat-file", "blob", f"{self.rev}:{path}").decode("utf-8", errors="replace")

    def catalog(self, path: str, label: str | None = None) -> CatalogFiles | None:
        """The catalog at `path` in this revision: a file, or a folder's files; None when the
        path does not exist there. A link or submodule in a folder is listed, never followed
        (the folder's rules refuse it); a one-file catalog that is not a regular file is refused."""
        path = path.strip("/")
        label = label or f"{self.rev[:12]}:{path}"
        listed = [e for e in self.entries(path) if e.path == path]
        if not listed:
            return None
        if listed[0].mode != TREE_MODE:
            text = self.read(path)
            assert text is not None
            return CatalogFiles.single(label, text)
        found = self.entries(path + "/", recursive=True)
        if len(found) > MAX_FILES:
            raise UnreadableFileError(f"{label}: more than {MAX_FILES:,} files in a catalog folder")
        texts: dict[str, str] = {}
        total = 0
        with BlobReader(self.repo) as blobs:
            for entry in found:
                if entry.mode not in REGULAR_MODES:
                    continue
                data = blobs.read(entry.object)
                total += len(data)
                if total > MAX_BYTES:
                    raise UnreadableFileError(f"{label}: more than {MAX_BYTES:,} bytes in the folder")
                texts[entry.path] = decode(data, f"{label}/{entry.path.removeprefix(path + '/')}")
        prefix = path + "/"
        return CatalogFiles.of_folder(
            label,
            [
                FolderEntry(e.path.removeprefix(prefix), texts[e.path])
                if e.mode in REGULAR_MODES
                else FolderEntry(
                    e.path.removeprefix(prefix), None, _MODE_KINDS.get(e.mode, f"an entry of git mode {e.mode}")
                )
                for e in found
            ],
        )


def project_tree(repo: Path, rev: str) -> str:
    """The tree of the project at `repo` (the repository's top or a folder in it) at revision
    `rev`: what `GitTree` reads so that its paths are the project's, as `changed_since` gives them."""
    try:
        prefix = _text(repo, "rev-parse", "--show-prefix").strip().rstrip("/")
        return _text(repo, "rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}:{prefix}").strip()
    except GitError as err:
        if err.returncode is None:
            raise
        raise UsageError(f"--changed-since {rev}: not a revision of the repository at {repo}: {err.stderr}") from None


class WorkingTree:
    """The files of a working tree as `GitTree` lists a revision's: those Git tracks and those it
    would track (new files; ignored ones left out), read from the disk as they are now. A link is
    listed as one (mode 120000), never followed; a tracked file deleted from the disk is absent."""

    def __init__(self, repo: Path) -> None:
        self.repo, self.rev = repo, "working tree"
        listed = run(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        self._files: dict[str, str] = {}
        for raw in listed.split(b"\0"):
            path = raw.decode("utf-8", errors="replace")
            if not path:
                continue
            try:
                status = (repo / path).lstat()
            except OSError:
                continue
            if stat.S_ISLNK(status.st_mode):
                self._files[path] = LINK_MODE
            elif stat.S_ISREG(status.st_mode):
                self._files[path] = "100755" if status.st_mode & 0o111 else "100644"
            elif stat.S_ISDIR(status.st_mode):  # a submodule's folder
                self._files[path] = "160000"

    def _children(self, folder: str) -> list[Entry]:
        prefix = f"{folder}/" if folder else ""
        out: dict[str, str] = {}
        for path, mode in self._files.items():
            if path.startswith(prefix):
                head, sep, _ = path[len(prefix) :].partition("/")
                out[prefix + head] = TREE_MODE if sep else mode
        return [Entry(mode, path) for path, mode in sorted(out.items())]

    def entries(self, pathspec: str | None = None, *, recursive: bool = False) -> list[Entry]:
        """As `git ls-tree [-r] REV [-- PATHSPEC]`: a folder's children for `folder/`, the entry
        itself for a path, every file under it with `recursive`."""
        spec = (pathspec or "").rstrip("/")
        if recursive:
            return [
                Entry(mode, path)
                for path, mode in sorted(self._files.items())
                if not spec or path == spec or path.startswith(spec + "/")
            ]
        if not pathspec or pathspec.endswith("/"):
            return self._children(spec)
        if spec in self._files:
            return [Entry(self._files[spec], spec)]
        parent = spec.rpartition("/")[0]
        return [e for e in self._children(parent) if e.path == spec]

    def read(self, path: str) -> str | None:
        """The text of a regular file; None when absent. Anything but a regular file is refused."""
        mode = self._files.get(path)
        if mode is None:
            return None
        if mode not in REGULAR_MODES:
            raise PipelineError(
                [f"{path}: is not a regular file (mode {mode}, a symbolic link?) [{RULE_REGULAR_FILE}]"]
            )
        try:
            return (self.repo / path).read_bytes().decode("utf-8", errors="replace")
        except OSError as err:
            raise UnreadableFileError(f"{path}: cannot read: {err}") from None
