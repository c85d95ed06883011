"""The catalog as a folder per environment: stacks/<env>/platform.yaml and teams/<team>.yaml.

What a team file may say (its own team, nothing of the platform's), checks that span the team
files, every command on a folder, the one-shot conversion (every comment kept, the plan the
same byte for byte) and where a stack's catalog may live."""

from __future__ import annotations

import copy
import filecmp
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.catalog import location
from fleet.catalog.convert import join, split
from fleet.catalog.folder import PLATFORM_AWS_FIELDS, PLATFORM_FIELDS, read_catalog
from fleet.cli.main import run
from fleet.compiler import load, load_state
from fleet.io import git as gitio
from fleet.pipeline import steps as pipeline
from fleet.reports import plan
from fleet.text.problems import CatalogError, UnreadableFileError, UsageError
from tests.conftest import BASE, ROOT, catalog_path, one_file_text, unplaced
from tests.pulumi_harness import run_program, write_stack_file
from tests.test_pipeline import commit, git, shown

ENVIRONMENTS = ("dev", "prod")
MODELINE = "# yaml-language-server: "


def write_folder(root: Path, data: dict[str, Any]) -> Path:
    """A catalog folder of a one-file catalog's data: the platform file and a file per team."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "platform.yaml").write_text(yaml.safe_dump({k: v for k, v in data.items() if k != "teams"}))
    (root / "teams").mkdir(exist_ok=True)
    for team in data["teams"]:
        (root / "teams" / f"{team['name']}.yaml").write_text(yaml.safe_dump(team, sort_keys=False))
    return root


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def problems(path: Path) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        load(path)
    return [unplaced(line) for line in caught.value.lines()]


# --- what a team file may say -----------------------------------------------------------------
def test_a_folder_is_the_same_catalog_as_the_one_file(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "dev", copy.deepcopy(BASE))
    one = tmp_path / "dev.yaml"
    one.write_text(yaml.safe_dump(BASE))
    assert load(folder) == load(one)
    assert plan.files(load_state(folder)[1]) == plan.files(load_state(one)[1])


PLATFORM_VALUES: dict[str, Any] = {
    "environment": "prod",
    "organization": "evil",
    "deletion_protection": False,
    "cluster": {"name": "other"},
    "clusters": [
        {
            "name": "evil",
            "server": "https://evil.example",
            "region": "eu-west-1",
            "eks_cluster_name": "evil",
            "argocd_role_arn": "arn:aws:iam::111111111111:role/evil",
        }
    ],
    "argocd": {"allowed_repos": ["https://evil.example/"]},
    "personas": {"god": {"kubernetes": "admin"}},
    "defaults": {"pod_security": "privileged"},
    "guardrails": {"pod_security_floor": "baseline"},
}


@pytest.mark.parametrize("field", sorted(PLATFORM_FIELDS))
def test_a_team_file_setting_a_platform_field_is_refused_with_its_path(tmp_path: Path, field: str) -> None:
    data = copy.deepcopy(BASE)
    data["teams"][1][field] = PLATFORM_VALUES[field]
    folder = write_folder(tmp_path / "dev", data)
    lines = problems(folder)
    assert f"{folder}/teams/search.yaml: {field}: is owned by the platform ({folder}/platform.yaml)" in lines[0]
    assert len(lines) == 1, lines  # said once, not again as an unknown field


def test_every_platform_field_is_covered() -> None:
    assert set(PLATFORM_VALUES) == set(PLATFORM_FIELDS)
    assert "code_owners" not in PLATFORM_FIELDS  # a team's own field too (its file's reviewers)
    assert set(PLATFORM_AWS_FIELDS) >= {"account_id", "region", "shared_resources", "allowed_managed_policy_arns"}


def test_a_team_file_setting_the_platforms_aws_account_is_refused(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["teams"][0]["aws"]["account_id"] = "222222222222"
    data["teams"][0]["aws"]["shared_resources"] = [{"arn": "arn:aws:s3:::x", "teams": ["payments"]}]
    folder = write_folder(tmp_path / "dev", data)
    lines = problems(folder)
    assert lines == [
        f"{folder}/teams/payments.yaml: aws.account_id: is owned by the platform ({folder}/platform.yaml): "
        "a team file declares only its own team",
        f"{folder}/teams/payments.yaml: aws.shared_resources: is owned by the platform ({folder}/platform.yaml): "
        "a team file declares only its own team",
    ]


def test_a_team_file_declaring_another_team_is_refused(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    folder = write_folder(tmp_path / "dev", data)
    search = yaml.safe_load((folder / "teams" / "search.yaml").read_text())
    search["name"] = "payments"  # takes over the other team's name
    (folder / "teams" / "search.yaml").write_text(yaml.safe_dump(search))
    other = copy.deepcopy(BASE["teams"][0])
    other["name"] = "intruder"
    identity = {"name": "identity", "owners": ["x@acme.example"], "teams": [other]}
    (folder / "teams" / "identity.yaml").write_text(yaml.safe_dump(identity))
    lines = problems(folder)
    assert (
        f"{folder}/teams/search.yaml: name: 'payments' is not 'search', the team this file is named after"
        in "\n".join(lines)
    )
    assert any(
        line.startswith(f"{folder}/teams/identity.yaml: teams: a team file declares one team, 'identity'")
        for line in lines
    )


def test_a_team_file_without_a_name_says_which(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "dev", copy.deepcopy(BASE))
    (folder / "teams" / "search.yaml").write_text("owners: [carol@acme.example]\n")
    assert problems(folder) == [
        f"{folder}/teams/search.yaml: name: required field is missing: the team this file declares, 'search'"
    ]


def test_the_platform_file_declares_no_teams(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "dev", copy.deepcopy(BASE))
    platform = yaml.safe_load((folder / "platform.yaml").read_text())
    platform["teams"] = [BASE["teams"][0]]
    (folder / "platform.yaml").write_text(yaml.safe_dump(platform))
    lines = problems(folder)
    assert lines == [f"{folder}/platform.yaml: teams: teams are not declared in the platform file: each team has "
                     "its own file, teams/<team>.yaml"]  # fmt: skip


def test_every_problem_of_every_file_at_once_in_its_own_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = copy.deepcopy(BASE)
    data["teams"][0]["apps"][0]["source"]["repo"] = "https://evil.example/x"
    data["teams"][1]["descripton"] = "typo"
    data["argocd"]["namespace"] = "Argo CD"
    folder = write_folder(tmp_path / "dev", data)
    (folder / "teams" / "broken.yaml").write_text("name: broken\nname: again\n")
    code, out, err = cli(capsys, "validate", str(folder))
    assert code == 1
    assert out == ""
    lines = unplaced(err).splitlines()
    assert (
        f"{folder}/teams/broken.yaml: name: duplicate key (lines 1 and 2); YAML would silently keep the last one"
        in lines
    )
    assert f"{folder}/teams/search.yaml: descripton: unknown field 'descripton' (did you mean 'description'?)" in lines
    assert any(
        line.startswith(f"{folder}/platform.yaml: argocd.namespace: 'Argo CD' is not a DNS label") for line in lines
    )
    assert lines[-1] == f"{folder}: {len(lines) - 1} problem(s); nothing was written"
    assert "Traceback" not in err


# --- checks that span teams still see every team file --------------------------------------
def test_checks_that_span_teams_name_both_files(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["teams"][1]["namespaces"] = [{"name": "payments"}]  # payments' namespace
    data["teams"][1]["aws"] = {"owned_resources": ["arn:aws:s3:::acme-dev-checkout"]}  # payments' bucket
    data["argocd"]["repo_credentials"] = {"secret_store": "platform-secrets"}
    data["teams"][0]["github_app"] = {"app_id": 7, "installation_id": 70}
    data["teams"][1]["github_app"] = {"app_id": 7, "installation_id": 71}  # payments' App: its repositories
    data["teams"][1]["namespaces"][0]["network"] = {"ingress_from_namespaces": ["payments"]}  # cross-team ingress
    folder = write_folder(tmp_path / "dev", data)
    text = "\n".join(problems(folder))
    search, payments = f"{folder}/teams/search.yaml", f"{folder}/teams/payments.yaml"
    assert (
        f"{search}: namespaces[0].name: namespace 'payments' is already claimed by the team at {payments}: "
        "namespaces[0].name"
    ) in text
    assert f"{search}: aws.owned_resources[0]:" in text
    assert "carries no ownership of team 'search'" in text  # the platform grants it to payments
    assert f"owned by team 'payments' ({payments}: aws.owned_resources[0])" in text
    assert f"{search}: github_app.app_id: 7 is team payments's" in text
    assert f"{search}: namespaces[0].network.ingress_from_namespaces[0]: 'payments' is not a reserved namespace" in text


def test_derived_names_that_collide_across_files(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["teams"][0]["name"] = "a-b"
    data["teams"][0]["namespaces"] = [{"name": "ns-1"}]
    data["teams"][1]["name"] = "a"
    data["teams"][1]["namespaces"] = [{"name": "ns-2"}]
    data["personas"] = {"b-admin": {"kubernetes": "admin"}, "admin": {"kubernetes": "view"}}
    folder = write_folder(tmp_path / "dev", data)
    text = "\n".join(problems(folder))
    assert "derived Okta group name 'acme-dev-a-b-admin' is already used at" in text
    assert f"{folder}/teams/" in text


# --- the folder's layout ---------------------------------------------------------------------------
def test_what_does_not_belong_in_a_folder_is_refused(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "dev", copy.deepcopy(BASE))
    (folder / "README.md").write_text("notes\n")
    (folder / "teams" / "Search2.yaml").write_text("name: x\n")
    (folder / "teams" / "old.yml").write_text("name: old\n")
    (folder / "teams" / "link.yaml").symlink_to(folder / "teams" / "search.yaml")
    os.mkfifo(folder / "teams" / "pipe.yaml")
    lines = problems(folder)
    assert f"{folder}/README.md: (file): is not part of a catalog" in "\n".join(lines)
    assert f"{folder}/teams/old.yml: (file): is not part of a catalog" in "\n".join(lines)
    assert f"{folder}/teams/Search2.yaml: (file): 'Search2' is not a team name" in "\n".join(lines)
    assert f"{folder}/teams/link.yaml: (file): is a symbolic link: catalog files are regular files" in "\n".join(lines)
    assert f"{folder}/teams/pipe.yaml: (file): is a special file" in "\n".join(lines)
    assert len(lines) == 5


def test_a_folder_needs_its_platform_file(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "dev", copy.deepcopy(BASE))
    (folder / "platform.yaml").unlink()
    assert problems(folder) == [
        f"{folder}: platform.yaml: required: the platform file (environment, organization, cluster, aws, argocd, …) "
        "beside teams/"
    ]


def test_a_linked_folder_inside_is_not_followed(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "dev", copy.deepcopy(BASE))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "intruder.yaml").write_text("name: intruder\n")
    (folder / "teams" / "more").symlink_to(elsewhere)
    (folder / "notes").mkdir()
    (folder / "notes" / "big.yaml").write_text("x: 1\n")
    lines = problems(folder)
    assert lines == [
        f"{folder}/notes: (file): is not part of a catalog: a catalog folder holds platform.yaml and "
        "teams/<team>.yaml, nothing else (move or remove it)",
        f"{folder}/teams/more: (file): is a symbolic link: catalog files are regular files (review and "
        "CODEOWNERS follow paths, not what a link points to)",
    ]


def test_a_folder_larger_than_a_catalog_is_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fleet.catalog import folder as folder_module

    folder = write_folder(tmp_path / "dev", copy.deepcopy(BASE))
    monkeypatch.setattr(folder_module, "MAX_BYTES", 600)
    with pytest.raises(UnreadableFileError, match="more than 600 bytes in the folder"):
        read_catalog(folder)
    monkeypatch.setattr(folder_module, "MAX_FILES", 2)
    monkeypatch.setattr(folder_module, "MAX_BYTES", 10**6)
    with pytest.raises(UnreadableFileError, match="more than 2 files"):
        read_catalog(folder)


# --- the conversion: every comment kept, the same plan byte for byte ------------------------
def comments(text: str) -> list[str]:
    """Every comment of a YAML text, found outside its scalars (a '#' inside a value is not one)."""
    spans = []
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, yaml.ScalarToken):
            spans.append((token.start_mark.index, token.end_mark.index))
    found = []
    for index, char in enumerate(text):
        if char == "#" and (index == 0 or text[index - 1] in " \t\n") and not any(a <= index < b for a, b in spans):
            found.append(text[index : text.find("\n", index) if "\n" in text[index:] else len(text)].rstrip())
    return found


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_split_round_trips_the_shipped_catalog(tmp_path: Path, env: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The converter on the shipped catalog as one file: the folder renders the same plan
    directory byte for byte (`diff -r`), keeps every comment, and joins back to the same file."""
    text = one_file_text(env)
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    (stacks / f"{env}.yaml").write_text(text)
    code, out, err = cli(capsys, "split", str(stacks / f"{env}.yaml"))
    assert code == 0, err
    assert "renders the same plan" in out
    folder = stacks / env
    for form, path in (("file", stacks / f"{env}.yaml"), ("folder", folder)):
        assert cli(capsys, "plan", str(path), "--out", str(tmp_path / "plan" / form))[0] == 0
    compared = subprocess.run(["diff", "-r", tmp_path / "plan" / "file", tmp_path / "plan" / "folder"], check=False)
    assert compared.returncode == 0
    written = {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*.yaml"))}
    kept = [c for body in written.values() for c in comments(body) if not c.startswith(MODELINE)]
    assert sorted(c for c in comments(text) if not c.startswith(MODELINE)) == sorted(kept)
    if text.startswith(MODELINE):  # the editor's schema line: each file names its own schema
        assert written["platform.yaml"].startswith(f"{MODELINE}$schema=../../schemas/platform.v1.json\n")
        for name, body in written.items():
            if name.startswith("teams/"):
                assert body.startswith(f"{MODELINE}$schema=../../../schemas/team.v1.json\n"), name
    assert join(written["platform.yaml"], {k[6:-5]: v for k, v in written.items() if k.startswith("teams/")}) == join(
        *_parts(split(text, "x"))
    )
    shipped = catalog_path(env)
    if shipped.is_dir():  # the shipped folder is what the converter writes from its one file
        comparison = filecmp.dircmp(shipped, folder)
        assert (comparison.diff_files, comparison.left_only, comparison.right_only) == ([], [], [])
        assert not comparison.subdirs["teams"].diff_files, comparison.subdirs["teams"].diff_files


def _parts(result: Any) -> tuple[str, dict[str, str]]:
    return result.platform, result.teams


def test_split_keeps_each_comment_with_what_it_describes() -> None:
    text = """\
# The fleet
environment: dev   # the stack
organization: acme
cluster: {name: acme-dev}
aws: {account_id: "111111111111", region: eu-west-1}

teams:   # one entry per team

  # Payments: checkout and ledger
  - name: payments
    owners: [alice@acme.example]   # who answers
    # the only app
    apps:
      - name: checkout
        source: {repo: "https://github.com/acme/c", path: p}

  # Search
  -   name: search
      owners:
        # carol leads
        - carol@acme.example
      description: |
        # not a comment: a line of the description
        Search.
# about argocd
argocd:
  allowed_repos: ["https://github.com/acme/"]
"""
    result = split(text, "t.yaml")
    assert result.platform == (
        "# The fleet\nenvironment: dev   # the stack\norganization: acme\ncluster: {name: acme-dev}\n"
        'aws: {account_id: "111111111111", region: eu-west-1}\n\n# one entry per team\n'
        '# about argocd\nargocd:\n  allowed_repos: ["https://github.com/acme/"]\n'
    )
    assert result.teams["payments"] == (
        "# Payments: checkout and ledger\nname: payments\nowners: [alice@acme.example]   # who answers\n"
        '# the only app\napps:\n  - name: checkout\n    source: {repo: "https://github.com/acme/c", path: p}\n'
    )
    assert result.teams["search"] == (
        "# Search\nname: search\nowners:\n  # carol leads\n  - carol@acme.example\ndescription: |\n"
        "  # not a comment: a line of the description\n  Search.\n"
    )
    assert sorted(comments(text)) == sorted(
        c for body in (result.platform, *result.teams.values()) for c in comments(body)
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("environment: dev\nteams: [{name: a, owners: [a@a.io]}]\n", "no top-level `teams:` line opening a block list"),
        ("environment: dev\nteams:\n  - name: a\n  - name: a\n", "team a is declared twice"),
        ("environment: dev\nteams:\n  - owners: [a@a.io]\n", "teams[0]: has no valid name"),
        ("- a\n", "not a one-file catalog"),
    ],
)
def test_split_refuses_what_it_cannot_cut_safely(text: str, reason: str) -> None:
    with pytest.raises(UsageError, match=reason.replace("[", r"\[").replace("`", "`")):
        split(text, "t.yaml")


def test_split_proves_each_part_before_anything_is_written() -> None:
    # A flow mapping whose second line sits at the list's own indentation: cut line by line,
    # neither part would read as it does in the file, so the file is refused.
    text = "environment: dev\nteams:\n  - {name: a,\n  owners: [x]}\n"
    assert yaml.safe_load(text)["teams"] == [{"name": "a", "owners": ["x"]}]
    with pytest.raises(UsageError, match=r"would change platform\.yaml, teams/a\.yaml"):
        split(text, "t.yaml")


def test_split_replace_points_the_stack_at_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stacks").mkdir()
    Path("stacks/dev.yaml").write_text(yaml.safe_dump(BASE))
    stack_file = '# the dev stack\nconfig:\n  pulumi:disable-default-providers:\n    - "*"\n  app-of-apps:fleet: stacks/dev.yaml   # the catalog\n'
    Path("Pulumi.dev.yaml").write_text(stack_file)
    Path("Pulumi.prod.yaml").write_text("config:\n  app-of-apps:fleet: stacks/prod.yaml\n")
    code, out, err = cli(capsys, "split", "stacks/dev.yaml", "--replace")
    assert code == 0, err
    assert not Path("stacks/dev.yaml").exists()
    assert Path("Pulumi.dev.yaml").read_text() == stack_file.replace("fleet: stacks/dev.yaml", "fleet: stacks/dev")
    assert Path("Pulumi.prod.yaml").read_text() == "config:\n  app-of-apps:fleet: stacks/prod.yaml\n"
    assert "now names stacks/dev in: Pulumi.dev.yaml" in out
    # Once: the folder exists now, and the file is gone.
    assert cli(capsys, "split", "stacks/dev.yaml")[0] == 2
    code, out, err = cli(capsys, "join", "stacks/dev")
    assert code == 0, err
    assert load("stacks/dev.yaml") == load("stacks/dev")
    assert cli(capsys, "join", "stacks/dev")[0] == 2  # never over an existing file


def test_split_of_an_invalid_catalog_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = copy.deepcopy(BASE)
    bad["teams"][0]["apps"][0]["source"]["repo"] = "https://evil.example/x"
    (tmp_path / "dev.yaml").write_text(yaml.safe_dump(bad))
    code, _, err = cli(capsys, "split", str(tmp_path / "dev.yaml"))
    assert code == 1
    assert "argocd-repo-allow-list" in err
    assert not (tmp_path / "dev").exists()


# --- every command on a folder ------------------------------------------------------------------
@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "stacks" / "dev", copy.deepcopy(BASE))


def test_validate_plan_and_access_on_a_folder(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "validate", str(folder))
    assert (code, out) == (0, f"{folder}: valid: 2 teams, 2 apps, 2 namespaces, 1 IAM roles\n")
    code, out, _ = cli(capsys, "plan", str(folder), "--out", str(tmp_path / "plan" / "{environment}"))
    assert code == 0
    assert (tmp_path / "plan" / "dev" / "aws" / "roles" / "acme-dev-payments-checkout.json").is_file()
    for form in ("md", "json", "html"):
        code, out, _ = cli(capsys, "access", str(folder), "--format", form)
        assert code == 0
        assert "acme-dev-payments-developer" in out


def test_diff_of_a_file_and_its_folder_is_empty_and_git_reads_a_folder(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    one = tmp_path / "dev.yaml"
    one.write_text(yaml.safe_dump(BASE))
    code, out, _ = cli(capsys, "diff", str(one), str(folder), "--format", "json")
    assert code == 0
    assert (
        json.loads(out)["layers"]
        == json.loads(cli(capsys, "diff", str(one), str(one), "--format", "json")[1])["layers"]
    )
    root = tmp_path
    git(root, "init", "-q", "-b", "main")
    commit(root, {})
    search = folder / "teams" / "search.yaml"
    data = yaml.safe_load(search.read_text())
    data["apps"].append({"name": "ranker", "source": {"repo": "https://github.com/acme/r", "path": "p"}})
    search.write_text(yaml.safe_dump(data))
    monkeypatch.chdir(root)
    code, out, err = cli(capsys, "diff", "git:HEAD:stacks/dev", "stacks/dev")
    assert code == 0, err
    assert "search-ranker" in shown(out)
    assert "HEAD:stacks/dev" in out
    code, out, err = cli(capsys, "diff", "git:HEAD:stacks/nothing", "stacks/dev")
    assert code == 0
    assert "(absent)" in out


def test_promote_into_a_folder_edits_the_teams_file_only(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p: p.read_bytes() for p in folder.rglob("*.yaml")}
    code, _, err = cli(capsys, "promote", "payments/checkout", "--revision", "v1.2.3", "--to", str(folder))
    assert code == 0, err
    changed = [p for p, data in before.items() if p.read_bytes() != data]
    assert changed == [folder / "teams" / "payments.yaml"]
    assert yaml.safe_load(changed[0].read_text())["apps"][0]["source"]["revision"] == "v1.2.3"
    assert "promoted payments/checkout: HEAD -> v1.2.3" in err
    one = tmp_path / "prod.yaml"
    one.write_text(yaml.safe_dump(BASE))
    code, _, err = cli(capsys, "promote", "payments/checkout", "--from", str(folder), "--to", str(one))
    assert code == 0, err
    assert yaml.safe_load(one.read_text())["teams"][0]["apps"][0]["source"]["revision"] == "v1.2.3"


def test_status_reads_a_folder(folder: Path, tmp_path: Path) -> None:
    from tests.test_status import fleet, kubeconfig

    result = fleet("status", str(folder), "--kubeconfig", str(kubeconfig(tmp_path, "https://127.0.0.1:9")))
    assert result.returncode == 2, result.stderr
    assert "environment dev (context acme-dev, https://127.0.0.1:9)" in result.stderr
    assert "Traceback" not in result.stderr


def test_audit_follows_the_split_and_each_team_follows_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    monkeypatch.chdir(root)
    one = copy.deepcopy(BASE)
    commit(root, {"stacks/dev.yaml": yaml.safe_dump(one, sort_keys=False)})
    one["teams"][0]["apps"][0]["aws"]["statements"][0]["actions"].append("s3:PutObject")
    commit(root, {"stacks/dev.yaml": yaml.safe_dump(one, sort_keys=False)})
    assert cli(capsys, "split", "stacks/dev.yaml", "--replace")[0] == 0
    split_at = commit(root, {})
    search = yaml.safe_load(Path("stacks/dev/teams/search.yaml").read_text())
    search["members"] = {"viewer": 'user.department == "Support"'}
    last = commit(root, {"stacks/dev/teams/search.yaml": yaml.safe_dump(search)})
    code, out, err = cli(capsys, "audit", "stacks/dev", "--format", "json")
    assert code == 0, err
    log = json.loads(out)
    assert [len(e["access"]) > 0 for e in log["entries"]] == [True, True, False, True]
    assert log["entries"][0]["path"] == "stacks/dev.yaml"  # before the split: the one file
    assert log["entries"][2]["commit"] == split_at
    assert {f["path"] for f in log["entries"][2]["files"]} == {
        "stacks/dev/platform.yaml",
        "stacks/dev/teams/payments.yaml",
        "stacks/dev/teams/search.yaml",
    }
    assert log["entries"][3]["files"] == [{"path": "stacks/dev/teams/search.yaml", "change": "modified"}]
    code, out, _ = cli(capsys, "audit", "stacks/dev/teams/search.yaml", "--format", "json")
    team = json.loads(out)
    assert team["team"] == "search"
    # payments' PutObject commit is not search's; search's own history is kept across the split
    assert [e["commit"] for e in team["entries"]][-2:] == [split_at, last]
    assert len(team["entries"]) == 3
    principals = {c["principal"] for e in team["entries"] for c in e["access"]}
    assert principals
    assert all("search" in p for p in principals)
    code, out, _ = cli(capsys, "audit", "stacks/dev/teams/search.yaml", "--as-of", "2100-01-01", "--format", "json")
    matrix = json.loads(out)["access"]
    assert "acme-dev-payments-developer" not in json.dumps(matrix)
    assert "acme-dev-search-viewer" in json.dumps(matrix)


def test_the_program_deploys_a_folder(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write_folder(project / "stacks" / "dev", copy.deepcopy(BASE))
    (project / "stacks" / "dev.yaml").write_text(yaml.safe_dump(BASE))
    (project / "__main__.py").write_text((ROOT / "__main__.py").read_text())
    write_stack_file(project, "dev", fleet="stacks/dev")
    folder_run = run_program("dev", program=project / "__main__.py")
    assert folder_run.error is None, folder_run.error
    write_stack_file(project, "dev", fleet="stacks/dev.yaml")
    file_run = run_program("dev", program=project / "__main__.py")
    assert sorted(r.urn for r in folder_run.registrations) == sorted(r.urn for r in file_run.registrations)
    (project / "stacks" / "dev" / "teams" / "search.yaml").write_text("name: search\norganization: evil\n")
    write_stack_file(project, "dev", fleet="stacks/dev")
    refused = run_program("dev", program=project / "__main__.py")
    assert refused.error is not None
    assert refused.registrations == []


# --- where a stack's catalog may live, and what a pull request changes --------------------------
@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("stacks/dev", True),
        ("stacks/dev/", True),
        ("stacks/eu/dev", True),
        ("stacks/dev.yaml", True),
        ("stacks/dev.json", False),
        ("stacks", False),
        ("fleet/dev", False),
        ("stacks/../fleet", False),
    ],
)
def test_a_stack_may_deploy_a_folder_under_stacks(value: str, ok: bool) -> None:
    assert (location.catalog_path_reasons(value) == []) is ok


def test_files_of_a_folder_are_catalog_files_and_map_to_their_stack() -> None:
    change = pipeline.FileChange("M", "100644", "100644", "stacks/dev/teams/payments.yaml")
    assert pipeline.categorize(change) == "catalog"
    assert pipeline.categorize(pipeline.FileChange("A", "000000", "100644", "stacks/dev/NOTES")) == "code"
    catalogs = {"dev": "stacks/dev", "prod": "stacks/prod.yaml", "devx": "stacks/devx"}
    assert location.stacks_of("stacks/dev/teams/payments.yaml", catalogs) == ["dev"]
    assert location.stacks_of("stacks/prod.yaml", catalogs) == ["prod"]
    assert location.stacks_of("stacks/devx/platform.yaml", catalogs) == ["devx"]


def test_the_review_diffs_a_folder_and_names_the_changed_stack(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    stack_file = {"config": {"pulumi:disable-default-providers": ["*"], "app-of-apps:fleet": "stacks/dev"}}
    prod_file = {"config": {**stack_file["config"], "app-of-apps:fleet": "stacks/prod.yaml"}}
    prod = {**copy.deepcopy(BASE), "environment": "prod"}
    write_folder(root / "stacks" / "dev", copy.deepcopy(BASE))
    base = commit(
        root,
        {
            "Pulumi.dev.yaml": yaml.safe_dump(stack_file),
            "Pulumi.prod.yaml": yaml.safe_dump(prod_file),
            "stacks/prod.yaml": yaml.safe_dump(prod),
        },
    )
    search = yaml.safe_load((root / "stacks/dev/teams/search.yaml").read_text())
    search["apps"].append({"name": "ranker", "source": {"repo": "https://github.com/acme/r", "path": "p"}})
    head = commit(root, {"stacks/dev/teams/search.yaml": yaml.safe_dump(search)})
    result = pipeline.review(root, base, head)
    assert result.classification.catalog_only
    assert result.invalid == ()
    assert result.plan.stacks == ("dev.search",)  # the team's own stack, nobody else's
    assert "search-ranker" in shown(result.markdown)
    assert "dev.search: stacks/dev/teams/search.yaml" in shown(result.markdown)
    bad = commit(root, {"stacks/dev/teams/search.yaml": "name: search\norganization: evil\n"})
    refused = pipeline.review(root, head, bad)
    assert refused.invalid == ("dev",)
    assert "teams/search.yaml: organization: is owned by the platform" in unplaced(refused.markdown)
    linked = commit(root, {}, links={"stacks/dev/teams/search.yaml": "../../prod.yaml"})
    refused = pipeline.review(root, head, linked)
    assert refused.invalid == ("dev",)
    assert not refused.classification.catalog_only
    assert "is a symbolic link" in refused.markdown
    into = tmp_path / "checkout"
    written = pipeline.overlay(root, head, into)
    assert sorted(written) == ["stacks/dev/platform.yaml", "stacks/dev/teams/payments.yaml",
                               "stacks/dev/teams/search.yaml", "stacks/prod.yaml"]  # fmt: skip


def test_the_pipeline_names_a_stacks_catalog(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    stack_file = {"config": {"app-of-apps:fleet": "stacks/dev"}}
    commit(root, {"Pulumi.dev.yaml": yaml.safe_dump(stack_file)})
    done = subprocess.run(
        [sys.executable, "-m", "fleet", "pipeline", "catalog", "dev", "--repo", str(root)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert (done.returncode, done.stdout) == (0, "stacks/dev\n")


def test_a_stack_without_a_catalog_path_deploys_its_folder_when_there_is_one(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "dev.yaml").write_text("x\n")
    assert location.resolve_catalog(None, "dev", tmp_path) == (tmp_path / "stacks" / "dev.yaml").resolve()
    write_folder(tmp_path / "stacks" / "dev", copy.deepcopy(BASE))
    assert location.resolve_catalog(None, "dev", tmp_path) == (tmp_path / "stacks" / "dev").resolve()
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(
        root,
        {"Pulumi.dev.yaml": "config: {}\n", "Pulumi.prod.yaml": "config: {}\n", "stacks/dev/platform.yaml": "x: 1\n"},
    )
    assert pipeline.stack_catalogs(gitio.GitTree(root, "HEAD")) == {"dev": "stacks/dev", "prod": "stacks/prod.yaml"}
