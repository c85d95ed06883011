"""`plan` is atomic and refuses symbolic links; every human-readable output is terminal-safe."""

from __future__ import annotations

import copy
import errno
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fleet.cli.main import run
from fleet.io import files
from fleet.text import terminal
from tests.conftest import BASE, ROOT, catalog_path

DEV = catalog_path("dev")


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file()
    }


def _leftovers(out: Path) -> list[str]:
    return [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.plan-")]


def _plan(capsys: pytest.CaptureFixture[str], out: Path, catalog: Path = DEV) -> tuple[int, str, str]:
    code = run(["plan", str(catalog), "--out", str(out)])
    stdout, stderr = capsys.readouterr()
    return code, stdout, stderr


@pytest.fixture
def previous(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A plan directory from an earlier run, with a file of the user's beside it."""
    out = tmp_path / "plan"
    assert _plan(capsys, out)[0] == 0
    (out / "NOTES.md").write_text("mine")
    return out


def test_a_fresh_plan_leaves_no_staging_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "new" / "plan"
    code, stdout, _ = _plan(capsys, out)
    assert code == 0
    assert f"to {out}" in stdout
    assert (out / "access.md").is_file()
    assert _leftovers(out) == []
    assert oct(out.stat().st_mode & 0o777) == oct(0o777 & ~_umask())  # a normal directory, not mkdtemp's 0700


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_a_second_plan_replaces_owned_entries_and_keeps_the_rest(
    previous: Path, capsys: pytest.CaptureFixture[str], write_catalog
) -> None:
    no_roles = copy.deepcopy(BASE)
    del no_roles["teams"][0]["apps"][0]["aws"]
    (previous / "kubernetes" / "stale.yaml").write_text("stale")
    code, _, _ = _plan(capsys, previous, write_catalog(no_roles))
    assert code == 0
    assert not (previous / "aws").exists()  # no IAM role any more: the owned aws/ goes
    assert not (previous / "kubernetes" / "stale.yaml").exists()
    assert (previous / "NOTES.md").read_text() == "mine"
    assert "search" in (previous / "access.md").read_text()
    assert _leftovers(previous) == []


def test_a_failing_write_leaves_the_previous_plan_intact(
    previous: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, write_catalog
) -> None:
    before = _snapshot(previous)
    written: list[Path] = []
    real = files._write_file

    def full_disk(path: Path, text: str) -> None:
        if len(written) == 5:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        written.append(path)
        real(path, text)

    monkeypatch.setattr(files, "_write_file", full_disk)
    changed = copy.deepcopy(BASE)
    changed["teams"][1]["name"] = "discovery"
    code, stdout, stderr = _plan(capsys, previous, write_catalog(changed))
    assert code == 2
    assert stdout == ""
    assert "No space left on device; the previous plan, if any, is unchanged" in stderr
    assert _snapshot(previous) == before
    assert _leftovers(previous) == []


def test_a_real_write_limit_leaves_the_previous_plan_intact(previous: Path) -> None:
    """No monkeypatching: the kernel refuses writes beyond 4 KiB (RLIMIT_FSIZE, EFBIG), as a
    full disk would refuse them; access.html is larger than that."""
    before = _snapshot(previous)
    assert max(len(v) for v in before.values()) > 4096

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    result = subprocess.run(
        [sys.executable, "-m", "fleet", "plan", str(catalog_path("prod")), "--out", str(previous)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=limit,
    )
    assert result.returncode == 2, result.stderr
    assert "File too large; the previous plan, if any, is unchanged" in result.stderr
    assert "Traceback" not in result.stderr
    assert _snapshot(previous) == before
    assert _leftovers(previous) == []


@pytest.mark.parametrize("where", ["kubernetes", "kubernetes/payments", "mine", "mine/deeper"])
def test_an_output_folder_containing_a_symlink_is_refused(
    previous: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious").write_text("keep")
    parent = previous / where
    parent.mkdir(parents=True, exist_ok=True)
    link = parent / "link"
    link.symlink_to(elsewhere)
    before = _snapshot(previous)
    code, stdout, stderr = _plan(capsys, previous)
    assert code == 2
    assert stdout == ""
    assert f"{link} is a symbolic link (to {elsewhere})" in stderr
    assert _snapshot(previous) == before
    assert (elsewhere / "precious").read_text() == "keep"
    assert _leftovers(previous) == []


def test_an_owned_entry_that_is_a_symlink_is_refused(previous: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "home"
    target.mkdir()
    (target / ".bashrc").write_text("keep")
    import shutil

    shutil.rmtree(previous / "okta")
    (previous / "okta").symlink_to(target)
    assert _plan(capsys, previous)[0] == 2
    assert (target / ".bashrc").read_text() == "keep"
    assert [p.name for p in target.iterdir()] == [".bashrc"]


def test_an_output_folder_that_is_a_symlink_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    code, _, stderr = _plan(capsys, link)
    assert code == 2
    assert "is a symbolic link" in stderr
    assert list(real.iterdir()) == []


def test_a_dangling_symlink_in_the_output_folder_is_refused(previous: Path, capsys) -> None:
    (previous / "aws" / "dangling").symlink_to("/nonexistent/target")
    assert _plan(capsys, previous)[0] == 2


def test_exchange_swaps_a_file_and_a_directory(tmp_path: Path) -> None:
    a = tmp_path / "a"
    a.mkdir()
    (a / "inside").write_text("dir")
    b = tmp_path / "b"
    b.write_text("file")
    files._exchange(a, b)
    assert a.read_text() == "file"
    assert (b / "inside").read_text() == "dir"


# --- the terminal ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "single", "multi"),
    [
        ("plain ASCII", "plain ASCII", "plain ASCII"),
        ("\x1b[31mred", "\\x1b[31mred", "\\x1b[31mred"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07", "\\x1b]0;title\\x07"),
        ("a\nb\tc", "a\\x0ab\\x09c", "a\nb\tc"),
        ("over\rwrite", "over\\x0dwrite", "over\\x0dwrite"),
        ("back\bspace\x7f", "back\\x08space\\x7f", "back\\x08space\\x7f"),
        ("c1 \x85 \x9b", "c1 \\x85 \\x9b", "c1 \\x85 \\x9b"),
        ("rtl \u202e evil", "rtl \\u202e evil", "rtl \\u202e evil"),
        ("iso \u2066x\u2069", "iso \\u2066x\\u2069", "iso \\u2066x\\u2069"),
        (
            "zw\u200b\u200c\u200d\u2060\ufeff",
            "zw\\u200b\\u200c\\u200d\\u2060\\ufeff",
            "zw\\u200b\\u200c\\u200d\\u2060\\ufeff",
        ),
        ("ls\u2028ps\u2029", "ls\\u2028ps\\u2029", "ls\\u2028ps\\u2029"),
        ("tag\U000e0041", "tag\\U000e0041", "tag\\U000e0041"),
        ("pua\ue000", "pua\\ue000", "pua\\ue000"),
        ("Händler 🔎 検索 10\u00a0000", "Händler 🔎 検索 10\u00a0000", "Händler 🔎 検索 10\u00a0000"),
    ],
)
def test_escape(text: str, single: str, multi: str) -> None:
    assert terminal.escape(text) == single
    assert terminal.escape(text, multiline=True) == multi
    assert not terminal.forbidden(terminal.escape(text))


def _unsafe_in(text: str) -> list[str]:
    return terminal.forbidden(text, terminal.TEXT_LAYOUT)


HOSTILE_NAME = "cat\x1b]0;pwned\x07\u202eevil\r.yaml"


@pytest.mark.parametrize(
    "command",
    [
        ["validate", "{catalog}"],
        ["validate", "{bad}"],
        ["plan", "{catalog}", "--out", "{out}"],
        ["access", "{catalog}"],
        ["diff", "{catalog}", "{changed}"],
        ["diff", "{catalog}", "{missing}"],
        ["diff", "{catalog}", "{bad}"],
    ],
    ids=lambda c: " ".join(c[:1] + [a.strip("{}") for a in c[1:]]),
)
def test_human_readable_output_never_carries_a_control_character(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """File names, output folders and refused values are the ways a hostile character can
    still reach the output (a valid catalog holds none): each is escaped."""
    folder = tmp_path / "d\x1b[2Jir\u2066"
    folder.mkdir()
    catalog = folder / HOSTILE_NAME
    catalog.write_text(yaml.safe_dump(BASE))
    changed = copy.deepcopy(BASE)
    changed["teams"][0]["members"]["viewer"] = 'user.department == "Finance"'
    (folder / "changed\x1b.yaml").write_text(yaml.safe_dump(changed))
    (folder / "bad\x9b.yaml").write_text('environment: "dev\\e[8m"\norganization: "\\u202eacme"\n"\\e[1m": x\n')
    paths = {
        "catalog": str(catalog),
        "changed": str(folder / "changed\x1b.yaml"),
        "bad": str(folder / "bad\x9b.yaml"),
        "missing": "git:HEAD:nothing/here\x1b.yaml",
        "out": str(folder / "plan\x1b"),
    }
    code = run([part.format(**paths) for part in command])
    out, err = capsys.readouterr()
    assert code in (0, 1)
    assert out or err
    assert _unsafe_in(out) == []
    assert _unsafe_in(err) == []
    if command[0] != "access":  # the access report names no file
        assert "\\x1b" in out + err


# --- one file replaced in one step (an edited catalog, the IAM action cache) ---------------------
def test_replace_bytes_writes_beside_then_renames_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "index.json"
    files.replace_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    files.replace_bytes(target, b"newer", 0o600)
    assert (target.read_bytes(), target.stat().st_mode & 0o777) == (b"newer", 0o600)
    assert [p.name for p in tmp_path.iterdir()] == ["index.json"]


def test_replace_bytes_replaces_a_link_and_never_writes_through_it(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"someone else's")
    link = tmp_path / "cache.json"
    link.symlink_to(elsewhere)
    files.replace_bytes(link, b"cache")
    assert not link.is_symlink()
    assert (link.read_bytes(), elsewhere.read_bytes()) == (b"cache", b"someone else's")


def test_replace_text_edits_the_file_a_link_names_and_keeps_its_mode(tmp_path: Path) -> None:
    catalog = tmp_path / "prod.yaml"
    catalog.write_text("old\n")
    catalog.chmod(0o640)
    link = tmp_path / "current.yaml"
    link.symlink_to(catalog)
    files.replace_text(link, "new\n")
    assert link.is_symlink()
    assert (catalog.read_text(), catalog.stat().st_mode & 0o777) == ("new\n", 0o640)


def test_a_failed_replace_keeps_the_old_file_and_removes_what_it_wrote(tmp_path: Path) -> None:
    occupied = tmp_path / "occupied"
    occupied.mkdir()  # a rename over a directory fails
    with pytest.raises(IsADirectoryError):
        files.replace_bytes(occupied, b"data")
    assert occupied.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["occupied"]
