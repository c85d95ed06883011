"""`fleet codeowners`: .github/CODEOWNERS from the catalogs, and `--check` that fails when it is stale."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fleet.cli.main import run
from fleet.compiler import load
from fleet.text.problems import CatalogError
from tests.conftest import BASE, ROOT, unplaced
from tests.test_folders import cli, write_folder


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A folder catalog (dev) and a one-file catalog (prod)."""
    dev = copy.deepcopy(BASE)
    dev["code_owners"] = ["@acme/platform"]
    dev["teams"][0]["code_owners"] = ["@acme/payments", "@alice"]
    write_folder(tmp_path / "stacks" / "dev", dev)
    prod = {**copy.deepcopy(BASE), "environment": "prod", "code_owners": ["@acme/platform", "@acme/prod-oncall"]}
    prod["teams"][1]["code_owners"] = ["@acme/search"]
    (tmp_path / "stacks" / "prod.yaml").write_text(yaml.safe_dump(prod))
    return tmp_path


def test_each_team_file_is_the_teams_and_the_rest_the_platforms(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "codeowners", "--root", str(repo))
    assert code == 0, err
    assert out == "wrote .github/CODEOWNERS from 2 catalog(s)\n"
    lines = [line for line in (repo / ".github" / "CODEOWNERS").read_text().splitlines() if not line.startswith("#")]
    assert [line for line in lines if line] == [
        "* @acme/platform @acme/prod-oncall",
        "/stacks/dev/ @acme/platform",
        "/stacks/dev/teams/payments.yaml @acme/payments @alice",
        "/stacks/prod.yaml @acme/platform @acme/prod-oncall",
    ]
    text = (repo / ".github" / "CODEOWNERS").read_text()
    assert "# /stacks/dev/teams/search.yaml: no code_owners in the team's file; the platform reviews it" in text
    assert "# prod: one file, the platform's" in text


def test_check_passes_on_the_generated_file_and_fails_on_a_stale_one(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "codeowners", "--root", str(repo), "--check")
    assert code == 1
    assert err == ".github/CODEOWNERS is missing: run `python -m fleet codeowners`\n"
    assert not (repo / ".github").exists()  # --check writes nothing
    assert cli(capsys, "codeowners", "--root", str(repo))[0] == 0
    code, out, _ = cli(capsys, "codeowners", "--root", str(repo), "--check")
    assert (code, out) == (0, ".github/CODEOWNERS is up to date (2 catalog(s))\n")
    # A team names a new group in its file; CODEOWNERS was not regenerated.
    search = repo / "stacks" / "dev" / "teams" / "search.yaml"
    data = yaml.safe_load(search.read_text())
    data["code_owners"] = ["@acme/search"]
    search.write_text(yaml.safe_dump(data))
    before = (repo / ".github" / "CODEOWNERS").read_text()
    code, _, err = cli(capsys, "codeowners", "--root", str(repo), "--check")
    assert code == 1
    assert err.startswith(".github/CODEOWNERS is stale: `python -m fleet codeowners` would change it so:\n")
    assert "+/stacks/dev/teams/search.yaml @acme/search" in err.splitlines()
    assert "-# /stacks/dev/teams/search.yaml: no code_owners in the team's file; the platform reviews it" in err
    assert (repo / ".github" / "CODEOWNERS").read_text() == before
    # A hand edit is stale too.
    (repo / ".github" / "CODEOWNERS").write_text(before + "/stacks/prod.yaml @mallory\n")
    assert cli(capsys, "codeowners", "--root", str(repo), "--check")[0] == 1


@pytest.mark.parametrize(
    "handle",
    ["acme/payments", "@acme/", "@-acme", "@acme/pay ments", "@acme/a/b", "payments@acme.example", "@" + "a" * 40],
)
def test_code_owners_are_code_host_handles(tmp_path: Path, handle: str) -> None:
    data = copy.deepcopy(BASE)
    data["teams"][1]["code_owners"] = ["@acme/search", handle]
    folder = write_folder(tmp_path / "dev", data)
    with pytest.raises(CatalogError) as caught:
        load(folder)
    assert [unplaced(line) for line in caught.value.lines()] == [
        f"{folder}/teams/search.yaml: code_owners[1]: {handle!r} is not a code host handle (@user or @organization/team)"
    ]


def test_code_owners_are_listed_once(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["code_owners"] = ["@acme/platform", "@acme/platform"]
    with pytest.raises(CatalogError) as caught:
        load(write_folder(tmp_path / "dev", data))
    assert unplaced(caught.value.lines()[0]).endswith("platform.yaml: code_owners: '@acme/platform' is listed twice")


def test_every_environment_names_its_platform_group(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    platform = repo / "stacks" / "dev" / "platform.yaml"
    data = yaml.safe_load(platform.read_text())
    del data["code_owners"]
    platform.write_text(yaml.safe_dump(data))
    (repo / "stacks" / "bad.yaml").write_text("environment: bad\n")
    code, _, err = cli(capsys, "codeowners", "--root", str(repo))
    assert code == 1
    assert f"{repo}/stacks/bad.yaml: organization: required field is missing" in err
    assert not (repo / ".github").exists()
    (repo / "stacks" / "bad.yaml").unlink()
    code, _, err = cli(capsys, "codeowners", "--root", str(repo))
    assert code == 1
    assert err.splitlines()[0] == (
        "stacks/dev/platform.yaml: code_owners: required to write CODEOWNERS: the platform's code host group(s) "
        'for this environment, e.g. code_owners: ["@acme/platform"]'
    )


def test_the_repositorys_codeowners_is_generated() -> None:
    """The shipped .github/CODEOWNERS is what the shipped catalogs say (CI: `make validate`)."""
    done = subprocess.run(
        [sys.executable, "-m", "fleet", "codeowners", "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert run(["codeowners", "--check", "--root", str(ROOT)]) == 0
