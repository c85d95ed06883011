"""A hostile or careless catalog author, table-driven: every attempt is refused naming the file,
the field and the reason (never a traceback), and every legitimate neighbour is accepted.

YAML-level attempts are written as text (that is where the tricks live: tags, duplicate keys,
escapes); field-level attempts mutate the known-good BASE catalog.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.cli.main import run
from fleet.compiler import validate
from fleet.text.problems import CatalogError
from fleet.text.yaml_io import MAX_BYTES
from tests.conftest import BASE, ROOT

TEXT = yaml.safe_dump(BASE, sort_keys=False)
FULLWIDTH = "".join(chr(ord(c) + 0xFEE0) for c in "organization")  # NFKC: organization


def _edit(old: str, new: str) -> Callable[[str], str]:
    def apply(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return apply


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))  # in-process: an exception here is the traceback a user would see
    out, err = capsys.readouterr()
    return code, out, err


# (name, edit of the YAML text, path in the message, reason fragment)
YAML_ATTEMPTS: list[tuple[str, Callable[[str], str], str, str]] = [
    ("invalid date", _edit("region: eu-west-1", "region: 2026-13-45"), "aws.region", "not an AWS region"),
    ("timestamp where a name goes", _edit("name: search", "name: 2026-01-31T10:00:00Z"), "teams[1].name", "DNS label"),
    (
        "!!timestamp tag",
        _edit("environment: dev", "environment: !!timestamp 2026-13-45"),
        "environment",
        "'!!timestamp'",
    ),
    ("!!bool maybe", _edit("environment: dev", "environment: !!bool maybe"), "environment", "not a valid !!bool"),
    ("!!int not a number", _edit("environment: dev", "environment: !!int abc"), "environment", "not a valid !!int"),
    (
        "!!float not a number",
        _edit("environment: dev", "environment: !!float x1"),
        "environment",
        "not a valid !!float",
    ),
    ("huge integer", _edit("environment: dev", "environment: " + "9" * 5000), "environment", "4,300 digits"),
    ("huge !!int", _edit("environment: dev", "environment: !!int " + "1" * 4301), "environment", "not a valid !!int"),
    ("!!binary", _edit("environment: dev", "environment: !!binary ZGV2"), "environment", "'!!binary'"),
    ("!!set", _edit("environment: dev", "environment: !!set {dev}"), "environment", "'!!set'"),
    ("!!omap", _edit("environment: dev", "environment: !!omap [a: 1]"), "environment", "'!!omap'"),
    ("!!pairs", _edit("environment: dev", "environment: !!pairs [a: 1]"), "environment", "'!!pairs'"),
    ("python tag", _edit("environment: dev", "environment: !!python/name:os.system"), "environment", "tags are not"),
    ("local tag", _edit("environment: dev", "environment: !env DEV"), "environment", "'!env'"),
    (
        "verbatim tag",
        _edit("environment: dev", "environment: !<tag:yaml.org,2002:binary> ZGV2"),
        "environment",
        "!!binary",
    ),
    ("tag on a key", _edit("environment: dev", "!!binary ZW52: dev"), "ZW52", "'!!binary'"),
    ("tag on a list", _edit("teams:\n", "teams: !!set\n"), "teams", "'!!set'"),
    ("merge key", _edit("cluster:\n", "cluster:\n  <<: {name: acme-prod}\n"), "cluster.<<", "merge keys"),
    (
        "duplicate key",
        _edit("organization: acme", "organization: acme\norganization: evil"),
        "organization",
        "lines 2 and 3",
    ),
    (
        "duplicate after NFKC",
        _edit("organization: acme", "organization: acme\n" + FULLWIDTH + ": evil"),
        FULLWIDTH,
        "NFKC",
    ),
    (
        "duplicate with zero-width space",
        _edit("organization: acme", 'organization: acme\n"organization\\u200b": evil'),
        "organization\u200b",
        "reads as 'organization'",
    ),
    (
        "duplicate with no-break space",
        _edit("organization: acme", 'organization: acme\n"organization\\u00a0": evil'),
        "organization\xa0",
        "reads as",
    ),
    (
        "duplicate with BOM",
        _edit("organization: acme", 'organization: acme\n"\\ufefforganization": evil'),
        "\ufefforganization",
        "reads as",
    ),
    (
        "duplicate with word joiner",
        _edit("  name: acme-dev", '  name: acme-dev\n  "na\\u2060me": evil'),
        "cluster.na\u2060me",
        "reads as 'name'",
    ),
    (
        "duplicate with ideographic space",
        _edit("  name: acme-dev", '  name: acme-dev\n  "name\\u3000": evil'),
        "cluster.name\u3000",
        "reads as",
    ),
    (
        "duplicate ligature",
        _edit("  region: eu-west-1", '  region: eu-west-1\n  "pro\\ufb01le": x\n  profile: y'),
        "aws.profile",
        "NFKC",
    ),
    (
        "duplicate quoted and plain",
        _edit("organization: acme", "organization: acme\n'organization': evil"),
        "organization",
        "lines 2 and 3",
    ),
    (
        "duplicate numbers",
        _edit("  members:\n", "  members:\n    1: a\n    0x1: b\n"),
        "teams[0].members.0x1",
        "same value",
    ),
    (
        "duplicate booleans",
        _edit("  members:\n", "  members:\n    true: a\n    yes: b\n"),
        "teams[0].members.yes",
        "same value",
    ),
    (
        "duplicate deep",
        _edit("      path: overlays/dev", "      path: overlays/dev\n      path: ../../x"),
        "teams[0].apps[0].source.path",
        "duplicate key",
    ),
    (
        "alias",
        _edit("organization: acme", "organization: &o acme\nx: *o"),
        "3:1: x",
        "aliases are not supported",
    ),
    (
        "raw escape character",
        _edit("organization: acme", "organization: ac\x1bme"),
        "2:17: (file)",
        "U+001B ESCAPE",
    ),
    ("raw NUL", _edit("environment: dev", "environment: d\x00ev"), "1:15: (file)", "U+0000"),
    (
        "escaped ESC in a value",
        _edit("organization: acme", 'organization: "acme\\e[2J"'),
        "organization",
        "U+001B ESCAPE",
    ),
    (
        "escaped ESC in a key",
        _edit("organization: acme", 'organization: acme\n"\\e]0;owned\\a": x'),
        "\x1b]0;owned\x07",
        "U+001B",
    ),
    (
        "bidi override in a value",
        _edit("organization: acme", "organization: acme\u202e"),
        "organization",
        "U+202E RIGHT-TO-LEFT OVERRIDE",
    ),
    (
        "bidi isolate in description",
        _edit("- name: search", "- name: search\n  description: ok\u2066evil\u2069"),
        "teams[1].description",
        "U+2066",
    ),
    (
        "zero-width space in a name",
        _edit("- name: search", "- name: sea\u200brch"),
        "teams[1].name",
        "U+200B ZERO WIDTH SPACE",
    ),
    (
        "zero-width joiner in an e-mail",
        _edit("carol@acme.example", "carol@acme\u200d.example"),
        "teams[1].owners[0]",
        "U+200D",
    ),
    (
        "soft hyphen",
        _edit("path: indexer", "path: in\u00addexer"),
        "teams[1].apps[0].source.path",
        "U+00AD SOFT HYPHEN",
    ),
    ("line separator", _edit("path: indexer", 'path: "in\\Ldexer"'), "teams[1].apps[0].source.path", "U+2028"),
    ("next line (C1)", _edit("path: indexer", 'path: "in\\Ndexer"'), "teams[1].apps[0].source.path", "U+0085"),
    ("CSI (C1)", _edit("path: indexer", 'path: "in\\x9b31mdexer"'), "teams[1].apps[0].source.path", "U+009B"),
    ("tag characters", _edit("path: indexer", 'path: "indexer\\U000E0041"'), "teams[1].apps[0].source.path", "U+E0041"),
    ("private use", _edit("path: indexer", 'path: "indexer\\uE000"'), "teams[1].apps[0].source.path", "U+E000"),
    (
        "unassigned code point",
        _edit("path: indexer", 'path: "indexer\\u0378"'),
        "teams[1].apps[0].source.path",
        "U+0378",
    ),
    (
        "tab in a single-line field",
        _edit("path: indexer", 'path: "in\\tdexer"'),
        "teams[1].apps[0].source.path",
        "U+0009 TAB",
    ),
    (
        "newline in a single-line field",
        _edit("path: indexer", 'path: "in\\ndexer"'),
        "teams[1].apps[0].source.path",
        "LINE FEED",
    ),
    (
        "carriage return in a rule",
        _edit('developer: user.department == "Payments"', 'developer: "user.a == \\"x\\"\\r"'),
        "teams[0].members.developer",
        "CARRIAGE RETURN",
    ),
    (
        "line separator in a key",
        _edit("    developer: ", '    "developer\\u2028": '),
        "teams[0].members.developer\u2028",
        "U+2028",
    ),
    (
        "backspace in an owner",
        _edit("carol@acme.example", '"carol@acme.example\\b\\b\\b\\bevil"'),
        "teams[1].owners[0]",
        "BACKSPACE",
    ),
]

# Legitimate neighbours: each must stay valid.
YAML_NEIGHBOURS: list[tuple[str, Callable[[str], str]]] = [
    ("a date as a revision", _edit("path: indexer", "path: indexer\n      revision: 2026-01-31")),
    ("an explicit !!str", _edit("environment: dev", "environment: !!str dev")),
    ("a non-specific tag", _edit("environment: dev", "environment: ! dev")),
    (
        "accents and emoji in a description",
        _edit("- name: search", "- name: search\n  description: Suche für Händler 🔎"),
    ),
    ("CJK in a description", _edit("- name: search", "- name: search\n  description: 検索チーム")),
    (
        "a no-break space in a description",
        _edit("- name: search", "- name: search\n  description: 10\u00a0000 queries"),
    ),
    (
        "a multi-line description",
        _edit("- name: search", "- name: search\n  description: |\n    Search.\n    Owns the index.\n"),
    ),
    ("a tab in a description", _edit("- name: search", '- name: search\n  description: "a\\tb"')),
    (
        "a folded Okta rule",
        _edit(
            'developer: user.department == "Payments"',
            'developer: >\n      user.department == "Payments"\n      OR user.title == "Lead"',
        ),
    ),
    ("a BOM at the start of the file", lambda text: "\ufeff" + text),
    ("a comment with control-free Unicode", lambda text: "# Kataloge — Ñandú ✓\n" + text),
    ("keys that only look alike in ASCII", _edit("  members:\n", '  members:\n    viewer: user.a == "1"\n')),
]


@pytest.mark.parametrize(("edit", "path", "reason"), [a[1:] for a in YAML_ATTEMPTS], ids=[a[0] for a in YAML_ATTEMPTS])
def test_yaml_attempt_is_refused_naming_field_and_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Callable[[str], str], path: str, reason: str
) -> None:
    catalog = tmp_path / "hostile.yaml"
    catalog.write_text(edit(TEXT), encoding="utf-8")
    code, out, err = _cli(capsys, "validate", str(catalog))
    assert code == 1, err
    assert out == ""
    lines = err.splitlines()
    from fleet.text.terminal import escape

    # FILE:LINE:COLUMN: path: reason; a case may name the line and column it expects ("2:17: (file)").
    where, _, field = path.rpartition(": ") if re.match(r"^[0-9]+:[0-9]+: ", path) else ("", "", path)
    wanted = re.compile(
        rf"{re.escape(str(catalog))}:{re.escape(where) if where else '[0-9]+:[0-9]+'}: {re.escape(escape(field))}: "
    )
    assert any(wanted.match(line) and reason in line for line in lines), lines
    assert lines[-1].endswith("nothing was written")


@pytest.mark.parametrize("edit", [n[1] for n in YAML_NEIGHBOURS], ids=[n[0] for n in YAML_NEIGHBOURS])
def test_yaml_neighbour_is_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Callable[[str], str]
) -> None:
    catalog = tmp_path / "fine.yaml"
    catalog.write_text(edit(TEXT), encoding="utf-8")
    code, out, err = _cli(capsys, "validate", str(catalog))
    assert (code, err) == (0, "")
    assert "valid: 2 teams" in out


# Every YAML 1.1 scalar form PyYAML knows, in a field that wants a string: refused or
# accepted, never a traceback.
SCALARS = [
    "2026-13-45",
    "2026-02-30",
    "2026-01-01 25:61:61",
    "!!timestamp 2026-01-01",
    "1e400",
    "-1e400",
    ".nan",
    ".inf",
    "-.inf",
    "0o777",
    "0777",
    "0b102",
    "0x",
    "0xZZ",
    "1_000",
    "190:20:30",
    "1:2:3:4:5:6:7:8:9",
    "~",
    "null",
    "Null",
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "=",
    "<<",
    "!!null x",
    "!!bool",
    "!!bool ''",
    "!!int",
    "!!int 1.5",
    "!!int 0b2",
    "!!float",
    "!!float 1,5",
    "!!float .NaN",
    "!!str",
    "!!map {}",
    "!!seq []",
    "!!map []",
    "!!seq {}",
    "!!str [a]",
    "'" + "1" * 5000 + "'",
    "1" * 4301,
    "-" + "1" * 4301,
    "0x" + "f" * 4000,
    "1." + "0" * 5000,
    '"\\U0010FFFF"',
    '"\\uD800"',
    '"\\x00"',
    "&a x",
    "!",
    "?",
    "- a",
    "{a: {b: [c, {d: e}]}}",
    "[[[[[]]]]]",
]


# (a line of TEXT, the same line with the scalar in place of its value)
FIELDS = [
    ("environment: dev", "environment: {}"),
    ("  region: eu-west-1", "  region: {}"),
    ("        - s3:GetObject", "        - {}"),
    ("      path: indexer", "      path: {}"),
]


@pytest.mark.parametrize(("line", "template"), FIELDS, ids=[f[0].strip() for f in FIELDS])
@pytest.mark.parametrize("scalar", SCALARS)
def test_no_yaml_scalar_raises_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, template: str, scalar: str
) -> None:
    catalog = tmp_path / "scalar.yaml"
    assert line in TEXT
    catalog.write_text(TEXT.replace(line, template.format(scalar), 1), encoding="utf-8")
    code, out, err = _cli(capsys, "validate", str(catalog))  # an exception here fails the test
    assert code in (0, 1), (out, err)
    if code == 1:
        assert f"{catalog}: " in err
        assert "nothing was written" in err


def test_deep_nesting_is_refused_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for text in (
        "x: " + "[" * 20000 + "]" * 20000,
        "".join(f"{' ' * i}k{i}:\n" for i in range(1200)) + " " * 1200 + "v",
    ):
        catalog = tmp_path / "deep.yaml"
        catalog.write_text(text)
        code, _, err = _cli(capsys, "validate", str(catalog))
        assert code == 1, err


# --- files that are not catalogs: exit 2 at once ------------------------------------------------
def _python_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fleet", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=timeout
    )


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "catalog.yaml"
    os.mkfifo(fifo)
    started = time.monotonic()
    result = _python_cli("validate", str(fifo), timeout=20)  # a blocking open would hit the timeout
    assert result.returncode == 2
    assert f"error: {fifo}: cannot read: a FIFO, not a regular file" in result.stderr
    assert time.monotonic() - started < 20


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/dev/zero", "a character device, not a regular file"),
        ("/dev/null", "a character device"),
        ("/", "a directory"),
    ],
)
def test_special_files_are_refused(capsys: pytest.CaptureFixture[str], path: str, reason: str) -> None:
    code, _, err = _cli(capsys, "validate", path)
    assert code == 2
    assert f"error: {path}: cannot read: {reason}" in err


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w") as handle:
        handle.write(TEXT)
        handle.truncate(MAX_BYTES + 1)  # sparse: the check is on the size, nothing is parsed
    code, _, err = _cli(capsys, "validate", str(big))
    assert code == 2
    assert "a catalog is at most 5,242,880" in err


def test_a_file_just_under_the_limit_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = TEXT + "#" * (MAX_BYTES - len(TEXT.encode()) - 1) + "\n"
    assert len(text.encode()) == MAX_BYTES
    catalog = tmp_path / "padded.yaml"
    catalog.write_text(text)
    code, out, _ = _cli(capsys, "validate", str(catalog))
    assert code == 0
    assert "valid" in out


def test_not_utf8_and_symlinked_catalogs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes(TEXT.replace("acme-dev", "acm\xe9").encode("latin-1"))
    code, _, err = _cli(capsys, "validate", str(latin))
    assert code == 2
    assert "not UTF-8" in err
    real = tmp_path / "real.yaml"
    real.write_text(TEXT)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    assert _cli(capsys, "validate", str(link))[0] == 0  # a symlink to a regular file is a file


def test_diff_sides_get_the_same_file_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(TEXT)
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    code, _, err = _cli(capsys, "diff", str(good), str(fifo))
    assert code == 2
    assert "a FIFO" in err
    code, _, err = _cli(capsys, "diff", "git:--output=/tmp/owned:x", str(good))
    assert code == 2
    assert "does not start with '-'" in err
    assert not Path("/tmp/owned").exists()


# --- field-level attempts on the parsed catalog -------------------------------------------------
def app(d: dict[str, Any], team: int = 0, index: int = 0) -> dict[str, Any]:
    return d["teams"][team]["apps"][index]


def stmt(d: dict[str, Any]) -> dict[str, Any]:
    return app(d)["aws"]["statements"][0]


Mutation = Callable[[dict[str, Any]], Any]

FIELD_ATTEMPTS: list[tuple[str, Mutation, str, str]] = [
    (
        "revision is an option",
        lambda d: app(d)["source"].update(revision="--upload-pack=touch /tmp/x"),
        "teams[0].apps[0].source.revision",
        "starts with '-'",
    ),
    (
        "revision -h",
        lambda d: app(d)["source"].update(revision="-h"),
        "teams[0].apps[0].source.revision",
        "starts with '-'",
    ),
    (
        "path is an option",
        lambda d: app(d)["source"].update(path="--enable-helm"),
        "teams[0].apps[0].source.path",
        "starts with '-'",
    ),
    (
        "path dash after strip",
        lambda d: app(d)["source"].update(path="  -x"),
        "teams[0].apps[0].source.path",
        "starts with '-'",
    ),
    (
        "revision range",
        lambda d: app(d)["source"].update(revision="main..evil"),
        "teams[0].apps[0].source.revision",
        "not a git revision",
    ),
    (
        "revision reflog",
        lambda d: app(d)["source"].update(revision="main@{1}"),
        "teams[0].apps[0].source.revision",
        "not a git revision",
    ),
    (
        "revision glob",
        lambda d: app(d)["source"].update(revision="release/*"),
        "teams[0].apps[0].source.revision",
        "not a git revision",
    ),
    (
        "revision ancestry",
        lambda d: app(d)["source"].update(revision="HEAD~1"),
        "teams[0].apps[0].source.revision",
        "not a git revision",
    ),
    (
        "revision .lock",
        lambda d: app(d)["source"].update(revision="main.lock"),
        "teams[0].apps[0].source.revision",
        "not a git revision",
    ),
    (
        "revision trailing slash",
        lambda d: app(d)["source"].update(revision="main/"),
        "teams[0].apps[0].source.revision",
        "not a git revision",
    ),
    (
        "Okta description too long",
        lambda d: d["teams"][0].update(description="x" * 1000),
        "teams[0].description",
        "Okta allows 1,024",
    ),
    (
        "Okta description far too long",
        lambda d: d["teams"][0].update(description="x" * 100_000),
        "teams[0].description",
        "Okta allows",
    ),
    ("app named default", lambda d: app(d).update(name="default"), "teams[0].apps[0].name", "ServiceAccount 'default'"),
    (
        "app without aws named default",
        lambda d: app(d, 1).update(name="default"),
        "teams[1].apps[0].name",
        "ServiceAccount 'default'",
    ),
    (
        "policy of another account",
        lambda d: app(d)["aws"].update(managed_policy_arns=["arn:aws:iam::222222222222:policy/Read"]),
        "teams[0].apps[0].aws.managed_policy_arns[0]",
        "belongs to account 222222222222",
    ),
    (
        "policy of another partition",
        lambda d: app(d)["aws"].update(managed_policy_arns=["arn:aws-cn:iam::aws:policy/ReadOnlyAccess"]),
        "teams[0].apps[0].aws.managed_policy_arns[0]",
        "partition aws-cn",
    ),
    (
        "human policy of another account",
        lambda d: (
            d["aws"].update(saml_provider_arn="arn:aws:iam::111111111111:saml-provider/okta"),
            d.update(
                personas={
                    "dev": {"kubernetes": "view", "aws_managed_policy_arns": ["arn:aws:iam::333333333333:policy/x"]}
                }
            ),
        ),
        "personas.dev.aws_managed_policy_arns[0]",
        "belongs to account 333333333333",
    ),
    (
        "policy name longer than IAM allows",
        lambda d: app(d)["aws"].update(managed_policy_arns=["arn:aws:iam::aws:policy/" + "P" * 129]),
        "teams[0].apps[0].aws.managed_policy_arns[0]",
        "at most 128 characters",
    ),
    (
        "eleven managed policies",
        lambda d: app(d)["aws"].update(
            managed_policy_arns=[f"arn:aws:iam::111111111111:policy/p{i}" for i in range(11)]
        ),
        "teams[0].apps[0].aws.managed_policy_arns",
        "at most 10",
    ),
    (
        "resource in another partition",
        lambda d: stmt(d).update(resources=["arn:aws-us-gov:s3:::acme-dev-checkout/*"]),
        "teams[0].apps[0].aws.statements[0].resources[0]",
        "MalformedPolicyDocument",
    ),
    (
        "inline policy too large",
        lambda d: stmt(d).update(resources=[f"arn:aws:s3:::acme-dev-checkout/{i:0300d}" for i in range(40)]),
        "teams[0].apps[0].aws.statements",
        "IAM allows 10,240",
    ),
    (
        "unclosed quote in Okta rule",
        lambda d: d["teams"][0]["members"].update(developer='user.department == "Pay'),
        "teams[0].members.developer",
        "quote is never closed",
    ),
    (
        "unbalanced parenthesis in Okta rule",
        lambda d: d["teams"][0]["members"].update(developer='(user.a == "x"'),
        "teams[0].members.developer",
        "never closed",
    ),
    (
        "closing parenthesis in Okta rule",
        lambda d: d["teams"][0]["members"].update(developer='user.a == "x")'),
        "teams[0].members.developer",
        "closes nothing",
    ),
    (
        "owners overflow the annotations",
        lambda d: d["teams"][0].update(owners=[f"owner{i:05d}@{'a' * 40}.example" for i in range(6000)]),
        "teams[0].owners",
        "Kubernetes allows 262,144",
    ),
    (
        "control character in a dict built by a program",
        lambda d: d["teams"][0].update(description="a\x1b[8mhidden"),
        "teams[0].description",
        "U+001B ESCAPE",
    ),
    (
        "bidi in a persona name",
        lambda d: d.update(personas={"dev\u202e": {"kubernetes": "view"}}),
        "personas.dev\u202e",
        "U+202E",
    ),
]

FIELD_NEIGHBOURS: list[tuple[str, Mutation]] = [
    ("revision a tag", lambda d: app(d)["source"].update(revision="v1.2.3")),
    ("revision a full ref", lambda d: app(d)["source"].update(revision="refs/heads/main")),
    ("revision a commit", lambda d: app(d)["source"].update(revision="0123456789abcdef0123456789abcdef01234567")),
    ("revision with a slash and a date", lambda d: app(d)["source"].update(revision="release/2026-01")),
    ("path with a dash inside", lambda d: app(d)["source"].update(path="overlays/-dev")),
    ("path '.'", lambda d: app(d)["source"].update(path=".")),
    ("description of 900 characters", lambda d: d["teams"][0].update(description="x" * 900)),
    ("app named default-api", lambda d: app(d).update(name="default-api")),
    (
        "the account's own policy",
        lambda d: (
            app(d)["aws"].update(managed_policy_arns=["arn:aws:iam::111111111111:policy/team/read"]),
            d["aws"].update(allowed_managed_policy_arns=["arn:aws:iam::111111111111:policy/team/read"]),
        ),
    ),
    (
        "ten managed policies",
        lambda d: (
            app(d)["aws"].update(managed_policy_arns=[f"arn:aws:iam::111111111111:policy/p{i}" for i in range(10)]),
            d["aws"].update(allowed_managed_policy_arns=[f"arn:aws:iam::111111111111:policy/p{i}" for i in range(10)]),
        ),
    ),
    (
        "a quoted parenthesis in an Okta rule",
        lambda d: d["teams"][0]["members"].update(developer='user.title == "Lead (Search)"'),
    ),
    (
        "an escaped quote in an Okta rule",
        lambda d: d["teams"][0]["members"].update(developer='user.title == "say \\"hi\\""'),
    ),
    (
        "a grouped Okta rule",
        lambda d: d["teams"][0]["members"].update(developer="(user.a == \"x\") OR (user.b == 'y')"),
    ),
    ("fifty owners", lambda d: d["teams"][0].update(owners=[f"o{i}@acme.example" for i in range(50)])),
]


@pytest.mark.parametrize(
    ("mutate", "path", "reason"), [a[1:] for a in FIELD_ATTEMPTS], ids=[a[0] for a in FIELD_ATTEMPTS]
)
def test_field_attempt_is_refused(mutate: Mutation, path: str, reason: str) -> None:
    data = copy.deepcopy(BASE)
    mutate(data)
    with pytest.raises(CatalogError) as caught:
        validate(data, "hostile.yaml")
    found = [(p.path, p.reason) for p in caught.value.problems]
    assert any(p == path and reason in r for p, r in found), found


@pytest.mark.parametrize("mutate", [n[1] for n in FIELD_NEIGHBOURS], ids=[n[0] for n in FIELD_NEIGHBOURS])
def test_field_neighbour_is_accepted(mutate: Mutation) -> None:
    data = copy.deepcopy(BASE)
    mutate(data)
    validate(data, "fine.yaml")
