"""Writing files so that a reader never sees half of one: the plan directory swapped in whole
(`write`), a new folder appearing whole (`write_tree`), single files replaced in one step
(`replace_bytes`: an edited catalog, the IAM action cache) or created whole (`write_new`).

Everything the tool writes goes through here (the CLI and the pipeline ask; the pure layers only
return text).
"""

from __future__ import annotations

import ctypes
import errno
import os
import secrets
import shutil
import stat
import sys
from pathlib import Path

from fleet.render.state import FleetState
from fleet.reports.plan import OWNED, files


class UnsafeOutputError(Exception):
    """--out is, or contains, a symbolic link: plan would write or delete through it."""


def _symlinks(out_dir: Path) -> list[Path]:
    if out_dir.is_symlink():
        return [out_dir]
    found: list[Path] = []
    for root, dirs, names in os.walk(out_dir):  # never follows links
        found += [Path(root, name) for name in (*dirs, *names) if Path(root, name).is_symlink()]
    return sorted(found)


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _write_file(path: Path | str, text: str) -> None:
    """A new file holding `text` as UTF-8, byte for byte (no newline translation), created
    afresh and never through a link. One system call to write it: at 1,000 apps a plan is
    7,000 files, and a buffered text file's layers took twice the time of the writes."""
    data = text.encode("utf-8")
    fd = os.open(path, _NEW_FILE, 0o666)
    try:
        view = memoryview(data)
        while view:  # a full disk fails here
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


_RENAME_EXCHANGE = 2  # linux/fs.h


_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> None:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE): at no moment is `b`
    missing or half-written. Elsewhere, three renames."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None) if sys.platform == "linux" else None
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise OSError(code, os.strerror(code), str(b))
    aside = a.with_name(a.name + ".previous")
    os.rename(b, aside)
    os.rename(a, b)
    os.rename(aside, a)


def write(state: FleetState, out_dir: Path) -> dict[str, str]:
    """Write the plan atomically: everything goes into a new directory beside `out_dir` first,
    then each entry that plan owns is swapped in by rename. A failing write (a full disk) leaves
    the previous plan as it was; entries plan does not own are never touched; an `out_dir` that
    is or contains a symbolic link is refused, so nothing is written or removed through one."""
    content = files(state)
    out_dir = Path(os.path.abspath(out_dir))
    links = _symlinks(out_dir)
    if links:
        raise UnsafeOutputError(
            f"--out {out_dir}: {links[0]} is a symbolic link (to {os.readlink(links[0])}); "
            "plan writes only into real directories, so that nothing is written or removed through a link"
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(out_dir))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging: Path | None = _staged(out_dir, "plan", content)
    assert staging is not None
    try:
        if not out_dir.exists():
            os.rename(staging, out_dir)
            staging = None
            return content
        previous = staging / ".previous"
        previous.mkdir()
        for name in OWNED:
            new, old = staging / name, out_dir / name
            if new.exists():
                if os.path.lexists(old):
                    _exchange(new, old)  # the old entry is now in staging, removed below
                else:
                    os.rename(new, old)
            elif os.path.lexists(old):
                os.rename(old, previous / name)  # owned, but no longer produced (no IAM roles left)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return content


def _staged(out_dir: Path, purpose: str, texts: dict[str, str]) -> Path:
    """A new folder beside `out_dir` holding these files (relative path -> text); removed again
    if writing any of them fails (a full disk)."""
    staging = out_dir.parent / f".{out_dir.name}.{purpose}-{secrets.token_hex(4)}"
    staging.mkdir()
    made = {str(staging)}
    try:
        for relative, text in texts.items():
            path = os.path.join(staging, relative)
            folder = os.path.dirname(path)
            if folder not in made:  # each folder once, not once a file
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            _write_file(path, text)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def _beside(path: Path, data: bytes, mode: int | None = None) -> Path:
    """A new file beside `path` holding `data` (with `mode`, else the umask's default): created
    afresh, never through a link someone left there; removed again if writing it fails."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:  # a full disk fails here or at close
            handle.write(data)
        if mode is not None:
            os.chmod(temporary, mode)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def replace_bytes(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace the file at `path` in one step: a reader sees all of the old content or all of
    the new, never half (written beside it, then renamed over it; a link at `path` is replaced,
    not followed). The new file gets `mode`, else the umask's default."""
    temporary = _beside(path, data, mode)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def replace_text(path: Path, text: str) -> None:
    """Replace the file (where a link at `path` points) at once, keeping its mode."""
    real = path.resolve()
    replace_bytes(real, text.encode("utf-8"), stat.S_IMODE(real.stat().st_mode))


def write_tree(out_dir: Path, texts: dict[str, str]) -> None:
    """A new folder holding these files (relative path -> text), appearing at once: written
    beside `out_dir` first, then renamed into place. `out_dir` may exist only as an empty folder."""
    out_dir = Path(os.path.abspath(out_dir))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = _staged(out_dir, "new", texts)
    try:
        if out_dir.is_dir() and not out_dir.is_symlink():
            out_dir.rmdir()  # empty, or this fails and nothing is replaced
        os.rename(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def write_new(path: Path, text: str) -> None:
    """A new file, whole or not at all; never over an existing one (FileExistsError)."""
    path = Path(os.path.abspath(path))
    temporary = _beside(path, text.encode("utf-8"))
    try:
        os.link(temporary, path)  # never over an existing file or link
    finally:
        temporary.unlink(missing_ok=True)
