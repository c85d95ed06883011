"""The plan directory: everything `pulumi up` would create, as reproducible files."""

from __future__ import annotations

import ctypes
import errno
import os
import secrets
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from fleet import access, access_html, graph
from fleet.state import FleetState, Manifest
from fleet.yaml_io import dump

# What `plan` owns inside --out: removed and written anew on every run, nothing else touched.
OWNED = ("kubernetes", "aws", "okta", "access.md", "access.json", "access.html", "graph.mmd")


def to_json(data: Any) -> str:
    """Sorted, indented JSON; orjson writes what json.dumps(indent=2, sort_keys=True) would, faster."""
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"


def manifest_path(manifest: Manifest) -> str:
    folder = manifest.namespace or "_cluster"
    return f"kubernetes/{folder}/{manifest.kind.lower()}-{manifest.name}.yaml"


def okta_groups(state: FleetState) -> list[dict[str, Any]]:
    return [{"name": g.name, "description": g.description, "rule": g.rule} for g in state.groups()]


def files(state: FleetState) -> dict[str, str]:
    """Relative path → content. Pure, so tests and `fleet diff` can use it without a disk."""
    out: dict[str, str] = {}
    for manifest in state.manifests():
        out[manifest_path(manifest)] = dump(manifest.obj)
    for role in state.roles():
        out[f"aws/roles/{role.name}.json"] = to_json(role.document())
    out["okta/groups.json"] = to_json(okta_groups(state))
    matrix = access.matrix(state)
    out["access.json"] = to_json(matrix)
    out["access.md"] = access.markdown(matrix)
    out["graph.mmd"] = graph.mermaid(state)
    out["access.html"] = access_html.page(state, matrix, out["graph.mmd"])
    return dict(sorted(out.items()))


class UnsafeOutputError(Exception):
    """--out is, or contains, a symbolic link: plan would write or delete through it."""


def _symlinks(out_dir: Path) -> list[Path]:
    if out_dir.is_symlink():
        return [out_dir]
    found: list[Path] = []
    for root, dirs, names in os.walk(out_dir):  # never follows links
        found += [Path(root, name) for name in (*dirs, *names) if Path(root, name).is_symlink()]
    return sorted(found)


def _write_file(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as handle:  # a full disk fails here or at close
        handle.write(text)


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
    staging: Path | None = out_dir.parent / f".{out_dir.name}.plan-{secrets.token_hex(4)}"
    assert staging is not None
    staging.mkdir()
    try:
        for relative, text in content.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_file(path, text)
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


def summary(state: FleetState) -> str:
    kinds = Counter(m.kind for m in state.manifests())
    roles = list(state.roles())
    groups = list(state.groups())
    rules = sum(1 for g in groups if g.rule)
    apps = sum(len(t.apps) for t in state.teams)
    protected = sum(1 for g in groups if g.protect) + sum(1 for r in roles if r.protect) + kinds_protected(state)
    lines = [
        f"{state.organization}/{state.environment}: {len(state.teams)} teams, {apps} apps",
        f"  okta        {len(groups)} groups, {rules} group rules",
        f"  aws         {len(roles)} IAM roles",
        "  kubernetes  "
        + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()) if k not in ("AppProject", "Application")),
        f"  argocd      {kinds['AppProject']} AppProjects, {kinds['Application']} Applications",
        f"  protected   {protected} resources (deletion protection)",
    ]
    return "\n".join(lines)


def kinds_protected(state: FleetState) -> int:
    return sum(1 for m in state.manifests() if m.protect)
