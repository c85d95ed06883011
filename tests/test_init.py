"""`fleet init` (issue 19, item 3): a new organisation's first catalog from a few answers, which
validates and plans at once, written as a folder or one file, never over anything."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
import yaml

from fleet.cli.main import run
from fleet.compiler import load_state
from fleet.reports import plan
from tests.conftest import ROOT

ANSWERS = [
    "--organization",
    "example",
    "--account-id",
    "123456789012",
    "--cluster",
    "example-dev",
    "--region",
    "eu-west-1",
    "--allowed-repo",
    "https://github.com/example/",
    "--team",
    "web",
    "--owner",
    "ana@example.com",
]
EXAMPLE = ROOT / "docs" / "examples" / "getting-started" / "init"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty repository to start in (the command writes under stacks/)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _init(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(["init", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def test_it_writes_a_folder_that_validates_and_plans(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _init(capsys, *ANSWERS)
    assert (code, err) == (0, "")
    assert sorted(_files(here / "stacks")) == ["dev/platform.yaml", "dev/teams/web.yaml"]
    assert out.splitlines()[0] == "wrote stacks/dev/platform.yaml and stacks/dev/teams/web.yaml"
    assert "stacks/dev: valid: 1 teams, 0 apps, 1 namespaces, 0 IAM roles" in out
    # The catalog as the tools read it: validate and plan, through the command line.
    assert run(["validate", "stacks/dev"]) == 0
    assert run(["plan", "stacks/dev", "--out", "build/plan/{environment}"]) == 0
    written = _files(here / "build" / "plan" / "dev")
    assert "okta/groups.json" in written
    groups = [g["name"] for g in yaml.safe_load(written["okta/groups.json"])]
    assert groups == ["example-dev-web-admin", "example-dev-web-developer", "example-dev-web-viewer"]
    catalog, state = load_state(here / "stacks" / "dev")
    assert (catalog.organization, catalog.environment, catalog.aws.account_id) == ("example", "dev", "123456789012")
    assert catalog.argocd.allowed_repos == ("https://github.com/example/",)
    assert [(t.name, t.owners) for t in catalog.teams] == [("web", ("ana@example.com",))]
    assert not catalog.deletion_protection
    assert [ns for t in state.teams for ns in t.namespaces] == ["web"]


def test_one_file_is_the_same_catalog(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _init(capsys, *ANSWERS, "--one-file", "--out", "one.yaml")[0] == 0
    assert _init(capsys, *ANSWERS, "--out", "folder")[0] == 0
    _, one = load_state(here / "one.yaml")
    _, folder = load_state(here / "folder")
    assert plan.files(one) == plan.files(folder)  # byte for byte
    assert run(["validate", "one.yaml", "folder"]) == 0


def test_production_answers(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [*ANSWERS, "--environment", "prod", "--protect", "--owner", "ben@example.com"]
    args += ["--allowed-repo", "https://charts.example.com/stable"]
    assert _init(capsys, *args)[0] == 0
    catalog, _ = load_state(here / "stacks" / "prod")
    assert catalog.deletion_protection
    assert catalog.teams[0].owners == ("ana@example.com", "ben@example.com")
    assert catalog.argocd.allowed_repos == ("https://github.com/example/", "https://charts.example.com/stable")


def test_the_schema_line_names_the_repositorys_schemas(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (here / "schemas").mkdir()
    for name in ("platform.v1.json", "team.v1.json", "catalog.v1.json"):
        (here / "schemas" / name).write_text((ROOT / "schemas" / name).read_text())
    assert _init(capsys, *ANSWERS)[0] == 0
    assert _init(capsys, *ANSWERS, "--environment", "prod", "--one-file")[0] == 0
    first = {name: text.splitlines()[0] for name, text in _files(here / "stacks").items()}
    assert first == {
        "dev/platform.yaml": "# yaml-language-server: $schema=../../schemas/platform.v1.json",
        "dev/teams/web.yaml": "# yaml-language-server: $schema=../../../schemas/team.v1.json",
        "prod.yaml": "# yaml-language-server: $schema=../schemas/catalog.v1.json",
    }


def test_without_schemas_the_line_names_the_published_schema(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _init(capsys, *ANSWERS)[0] == 0
    first = (here / "stacks" / "dev" / "platform.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=https://app-of-apps.io/schemas/platform.v1.json"


def test_it_never_writes_over_a_catalog(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _init(capsys, *ANSWERS)[0] == 0
    before = _files(here)
    code, out, err = _init(capsys, *ANSWERS, "--team", "other")
    assert (code, out) == (2, "")
    assert err == "error: stacks/dev: exists; init writes a new catalog and never over one\n"
    code, _, err = _init(capsys, *ANSWERS, "--one-file")  # the other form of the same environment
    assert code == 2
    assert "stacks/dev: this environment has a catalog already" in err
    assert _files(here) == before
    (here / "stacks" / "qa.yaml").write_text("# someone's\n")
    code, _, err = _init(capsys, *ANSWERS, "--environment", "qa")
    assert code == 2
    assert "stacks/qa.yaml: this environment has a catalog already" in err
    assert _init(capsys, *ANSWERS, "--environment", "qa", "--one-file")[0] == 2
    assert (here / "stacks" / "qa.yaml").read_text() == "# someone's\n"
    (here / "empty").mkdir()
    assert _init(capsys, *ANSWERS, "--out", "empty")[0] == 2


def test_each_refused_answer_names_its_option_and_nothing_is_written(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = dict(zip(ANSWERS[::2], ANSWERS[1::2], strict=True))
    args.update({"--organization": "Example", "--account-id": "12", "--region": "moon", "--owner": "ana"})
    code, out, err = _init(capsys, *[part for pair in args.items() for part in pair])
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert [line.split(": ")[1] for line in lines[:-1]] == ["--organization", "--account-id", "--region", "--owner"]
    assert lines[-1] == "nothing was written"
    assert not (here / "stacks").exists()


@pytest.mark.parametrize(
    ("option", "value"),
    [("--environment", "../../etc"), ("--team", "../payments"), ("--team", "Web"), ("--environment", "a/b")],
)
def test_names_that_name_files_are_checked_first(
    here: Path, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    code, _, err = _init(capsys, *ANSWERS, option, value)
    assert code == 2
    assert err.startswith(f"error: {option}: {value!r} is not a DNS label")
    assert list(here.iterdir()) == []


def test_a_value_cannot_write_yaml_of_its_own(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A line break in an answer is written as an escape inside a quoted string: it adds no
    field (here it would have turned deletion protection off for prod), and the catalog is
    then refused for the value itself."""
    code, _, err = _init(
        capsys, *ANSWERS, "--environment", "prod", "--protect", "--cluster", "c\ndeletion_protection: false"
    )
    assert code == 2
    assert "--cluster: " in err
    assert not (here / "stacks").exists()


def test_the_getting_started_example_is_what_init_writes(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/getting-started.md shows the command and the files it writes (docs/examples/…/init)."""
    page = (ROOT / "docs" / "getting-started.md").read_text().replace("\\\n", " ")
    (line,) = [line for line in page.splitlines() if line.startswith("python -m fleet init ")]
    argv = shlex.split(line)[3:]
    assert run(argv) == 0
    written = _files(here / "stacks")
    shown = _files(EXAMPLE)
    assert sorted(written) == sorted(shown)
    for name, text in written.items():
        # Beside the schema line (where the file lies), every byte is what init writes.
        assert text.split("\n", 1)[1] == shown[name].split("\n", 1)[1], name
    os.chdir(ROOT)
    assert run(["validate", str(EXAMPLE / "dev")]) == 0
