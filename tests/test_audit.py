"""`fleet audit` on real Git repositories made here: several commits, a pull-request branch merged
with a merge commit, trailers, a rename of the catalog file, an unreadable commit, a deletion."""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from fleet.catalog.models import Catalog
from fleet.cli.main import run
from fleet.history import audit
from fleet.render.layers import render
from fleet.reports import diff
from tests.conftest import BASE, ROOT, STACKS, one_file_text

SCHEMA = json.loads((ROOT / "schemas" / "audit.v1.json").read_text())
CHECKOUT_ROLE = "acme-dev-payments-checkout"
PUT = "s3:PutObject on arn:aws:s3:::acme-dev-checkout/*"
PAYMENTS_RULE = 'members: everyone matching user.department == "Payments"'
SEARCH_RULE = 'members: everyone matching user.department == "Support"'


class Repo:
    """A Git repository in a temporary directory; every commit at a given date and author."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {
            **os.environ,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, date: str = "2026-01-01T12:00:00+00:00", who: str = "Alice") -> str:
        env = {
            **self.env,
            "GIT_AUTHOR_NAME": who,
            "GIT_AUTHOR_EMAIL": f"{who.lower()}@acme.example",
            "GIT_COMMITTER_NAME": "Merger",
            "GIT_COMMITTER_EMAIL": "merger@acme.example",
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
        }
        done = subprocess.run(["git", *args], cwd=self.root, env=env, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    def write(self, path: str, data: dict[str, Any] | str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))

    def commit(self, message: str, date: str, who: str = "Alice") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, date=date, who=who)
        return self.git("rev-parse", "HEAD")


def audit_cli(repo: Path, *args: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(repo)
    capsys.readouterr()
    code = run(["audit", *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def with_put(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    data["teams"][0]["apps"][0]["aws"]["statements"][0]["actions"].append("s3:PutObject")
    return data


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The history every test below reads; returns the repository and its commits by name."""
    repo = Repo(tmp_path_factory.mktemp("fleet-repo"))
    c: dict[str, str] = {}
    v1 = copy.deepcopy(BASE)
    repo.write("README.md", "fleet\n")
    repo.write("stacks/dev.yaml", v1)
    c["add"] = repo.commit("Add the dev catalog", "2026-01-05T09:00:00+00:00")
    # A pull request: its branch widens checkout's policy, reviewed; merged with a merge commit.
    repo.git("checkout", "-q", "-b", "widen")
    v2 = with_put(v1)
    repo.write("stacks/dev.yaml", v2)
    c["branch"] = repo.commit(
        "checkout writes its bucket\n\nReviewed-by: Bob <bob@acme.example>\nApproved-by: Carol <carol@acme.example>",
        "2026-01-09T10:00:00+00:00",
        who="Dave",
    )
    repo.git("checkout", "-q", "main")
    repo.write("README.md", "fleet, again\n")  # main moved meanwhile: a true merge
    c["readme"] = repo.commit("README", "2026-01-10T08:00:00+00:00")
    repo.git(
        "merge",
        "-q",
        "--no-ff",
        "widen",
        "-m",
        "Merge pull request #12 from acme/widen",
        date="2026-01-11T15:00:00+00:00",
    )
    c["merge"] = repo.git("rev-parse", "HEAD")
    # The catalog moves; nothing else changes.
    (repo.root / "catalogs").mkdir()
    repo.git("mv", "stacks/dev.yaml", "catalogs/dev.yaml")
    c["rename"] = repo.commit("Move the catalogs\n\nPR: #13", "2026-02-01T09:00:00+00:00")
    # Squash-merged pull request: payments loses its members rule, search gains one.
    v3 = copy.deepcopy(v2)
    del v3["teams"][0]["members"]
    v3["teams"][1]["members"] = {"viewer": 'user.department == "Support"'}
    repo.write("catalogs/dev.yaml", v3)
    c["members"] = repo.commit(
        "Membership by profile (#14)\n\nReviewed-by: Erin <erin@acme.example>", "2026-02-10T09:00:00+00:00"
    )
    # A revision bump: the catalog changes, access does not.
    v4 = copy.deepcopy(v3)
    v4["teams"][0]["apps"][0]["source"]["revision"] = "v1.2.3"
    repo.write("catalogs/dev.yaml", v4)
    c["revision"] = repo.commit("checkout v1.2.3 (#15)", "2026-02-15T09:00:00+00:00")
    # A typo makes the catalog unreadable; the fix also drops PutObject again.
    broken = copy.deepcopy(v4)
    broken["teams"][0]["descripton"] = "typo"
    repo.write("catalogs/dev.yaml", broken)
    c["broken"] = repo.commit("oops", "2026-03-01T09:00:00+00:00")
    v5 = copy.deepcopy(v4)
    v5["teams"][0]["apps"][0]["aws"]["statements"][0]["actions"].remove("s3:PutObject")
    repo.write("catalogs/dev.yaml", v5)
    c["fix"] = repo.commit("Fix the typo; checkout reads only (#16)", "2026-03-02T09:00:00+00:00")
    repo.write("README.md", "unrelated\n")
    c["unrelated"] = repo.commit("unrelated", "2026-03-03T09:00:00+00:00")
    return {"repo": repo.root, "commits": c, "versions": {"v1": v1, "v2": v2, "v3": v3, "v4": v4, "v5": v5}}


def log_of(history: dict[str, Any], capsys, monkeypatch, *args: str) -> dict[str, Any]:
    out = audit_cli(
        history["repo"], "catalogs/dev.yaml", "--format", "json", *args, capsys=capsys, monkeypatch=monkeypatch
    )
    data = json.loads(out)
    jsonschema.validate(data, SCHEMA)
    return data


def test_committed_schema_is_the_model() -> None:
    assert audit.json_schema() == SCHEMA


def test_every_change_of_the_catalog_with_exactly_the_access_it_changed(history, capsys, monkeypatch) -> None:
    c = history["commits"]
    log = log_of(history, capsys, monkeypatch)
    entries = {e["commit"]: e for e in log["entries"]}
    # The first-parent commits that changed the file, in order; the branch commit is inside the merge.
    assert [e["commit"] for e in log["entries"]] == [
        c["add"],
        c["merge"],
        c["rename"],
        c["members"],
        c["revision"],
        c["broken"],
        c["fix"],
    ]
    merge = entries[c["merge"]]
    assert merge["access"] == [{"principal": CHECKOUT_ROLE, "kind": "iam-role", "gained": [PUT], "lost": []}]
    assert merge["pull_request"] == 12
    # The commit's trailers are claims: without the code host's review records, no approvers.
    assert merge["claimed_approvers"] == ["Bob <bob@acme.example>", "Carol <carol@acme.example>"]
    assert (merge["approvers"], merge["review_records"]) == ([], "not-read")
    assert [m["commit"] for m in merge["merged_commits"]] == [c["branch"]]
    assert merge["merged_commits"][0]["author"]["name"] == "Dave"
    assert merge["committed_at"] == "2026-01-11T15:00:00+00:00"

    rename = entries[c["rename"]]
    assert (rename["change"], rename["previous_path"], rename["path"]) == (
        "renamed",
        "stacks/dev.yaml",
        "catalogs/dev.yaml",
    )
    assert rename["access"] == []
    assert rename["pull_request"] == 13

    members = entries[c["members"]]
    assert members["pull_request"] == 14
    assert members["claimed_approvers"] == ["Erin <erin@acme.example>"]
    assert members["approvers"] == []
    assert members["access"] == [
        {"principal": "acme-dev-payments-developer", "kind": "okta-group", "gained": [], "lost": [PAYMENTS_RULE]},
        {"principal": "acme-dev-search-viewer", "kind": "okta-group", "gained": [SEARCH_RULE], "lost": []},
    ]
    assert entries[c["revision"]]["access"] == []

    broken = entries[c["broken"]]
    assert broken["readable"] is False
    assert any("descripton" in p for p in broken["problems"])
    assert broken["access"] == []
    fix = entries[c["fix"]]  # compared with the last readable catalog, the revision bump
    assert fix["access"] == [{"principal": CHECKOUT_ROLE, "kind": "iam-role", "gained": [], "lost": [PUT]}]

    added = entries[c["add"]]
    assert added["change"] == "added"
    assert added["pull_request"] is None
    assert added["approvers"] == added["claimed_approvers"] == []
    assert added["review_records"] == "no-pull-request"
    assert all(a["lost"] == [] for a in added["access"])


def test_each_entry_is_what_fleet_diff_says_between_the_commits(history, capsys, monkeypatch) -> None:
    """The log is the diff engine run commit after commit: `fleet diff git:A:path git:B:path`
    (which also validates both sides in full) names the same access changes."""
    log = log_of(history, capsys, monkeypatch)
    readable = [e for e in log["entries"] if e["readable"]]
    assert len(readable) == 6
    monkeypatch.chdir(history["repo"])
    for before, after in itertools.pairwise(readable):
        capsys.readouterr()
        code = run(
            [
                "diff",
                f"git:{before['commit']}:{before['path']}",
                f"git:{after['commit']}:{after['path']}",
                "--format",
                "json",
            ]
        )
        assert code == 0
        assert json.loads(capsys.readouterr().out)["access"] == after["access"], after["subject"]


def test_since_and_until_keep_the_access_before_the_range_as_the_baseline(history, capsys, monkeypatch) -> None:
    c = history["commits"]
    log = log_of(history, capsys, monkeypatch, "--since", "2026-02-05", "--until", "2026-03-01")
    assert [e["commit"] for e in log["entries"]] == [c["members"], c["revision"], c["broken"]]
    # Not "everything granted since the beginning": only what that commit changed.
    assert [a["principal"] for a in log["entries"][0]["access"]] == [
        "acme-dev-payments-developer",
        "acme-dev-search-viewer",
    ]
    only_fix = log_of(history, capsys, monkeypatch, "--since", "2026-03-01T12:00:00Z")
    assert [e["commit"] for e in only_fix["entries"]] == [c["fix"]]
    assert only_fix["entries"][0]["access"][0]["lost"] == [PUT]  # baseline: the last readable one
    nothing = log_of(history, capsys, monkeypatch, "--since", "2026-04-01")
    assert nothing["entries"] == []


def test_csv_has_one_row_per_grant_or_revocation(history, capsys, monkeypatch) -> None:
    c = history["commits"]
    log = log_of(history, capsys, monkeypatch)
    text = audit_cli(history["repo"], "catalogs/dev.yaml", "--format", "csv", capsys=capsys, monkeypatch=monkeypatch)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == audit.CSV_COLUMNS
    assert len(rows) == sum(len(a["gained"]) + len(a["lost"]) for e in log["entries"] for a in e["access"])
    merge_rows = [r for r in rows if r["commit"] == c["merge"]]
    assert merge_rows == [
        {
            "committed_at": "2026-01-11T15:00:00+00:00",
            "commit": c["merge"],
            "pull_request": "12",
            "author": "Alice <alice@acme.example>",
            "committer": "Merger <merger@acme.example>",
            "change_authors": "Dave <dave@acme.example>",
            "approvers": "",
            "review_records": "not-read",
            "claimed_approvers": "Bob <bob@acme.example>; Carol <carol@acme.example>",
            "catalog_path": "stacks/dev.yaml",
            "principal_kind": "iam-role",
            "principal": CHECKOUT_ROLE,
            "change": "granted",
            "area": "aws",
            "grant": PUT,
        }
    ]
    assert {r["change"] for r in rows if r["commit"] == c["members"]} == {"granted", "revoked"}
    assert {r["area"] for r in rows if r["commit"] == c["members"]} == {"membership"}
    assert {r["area"] for r in rows} == {"kubernetes", "argocd", "aws", "membership"}


def test_markdown_names_commits_pull_requests_and_reviewers(history, capsys, monkeypatch) -> None:
    c = history["commits"]
    text = audit_cli(history["repo"], "catalogs/dev.yaml", capsys=capsys, monkeypatch=monkeypatch)
    assert f"`{c['merge'][:12]}`" in text
    assert "| #12 | Dave (merged by Alice) |" in text
    assert "Bob &lt;bob@acme.example&gt;" in text
    assert f"- granted: {PUT}" in text
    assert f"- revoked: {PUT}" in text
    assert "the catalog could not be read; no access changed" in text
    assert "`stacks/dev.yaml` → `catalogs/dev.yaml`" in text


@pytest.mark.parametrize("name", ["add", "merge", "members", "revision", "fix", "unrelated"])
def test_as_of_is_fleet_access_at_that_commit(history, capsys, monkeypatch, name: str) -> None:
    c = history["commits"]
    repo = history["repo"]
    date = Repo(repo).git("show", "-s", "--format=%cI", c[name])
    in_effect = c["fix"] if name == "unrelated" else c[name]
    data = json.loads(
        audit_cli(
            repo, "catalogs/dev.yaml", "--as-of", date, "--format", "json", capsys=capsys, monkeypatch=monkeypatch
        )
    )
    jsonschema.validate(data, SCHEMA)
    assert data["commit"] == in_effect
    path = data["path"]
    snapshot = repo / "snapshot.yaml"
    snapshot.write_text(Repo(repo).git("show", f"{in_effect}:{path}") + "\n")
    capsys.readouterr()
    assert run(["access", str(snapshot), "--format", "json"]) == 0
    assert data["access"] == json.loads(capsys.readouterr().out)
    markdown = audit_cli(repo, "catalogs/dev.yaml", "--as-of", date, capsys=capsys, monkeypatch=monkeypatch)
    capsys.readouterr()
    assert run(["access", str(snapshot)]) == 0
    assert markdown.endswith(capsys.readouterr().out)
    assert in_effect in markdown.splitlines()[0]
    snapshot.unlink()


def test_as_of_skips_an_unreadable_catalog_and_says_so(history, capsys, monkeypatch) -> None:
    c = history["commits"]
    data = json.loads(
        audit_cli(
            history["repo"],
            "catalogs/dev.yaml",
            "--as-of",
            "2026-03-01",
            "--format",
            "json",
            capsys=capsys,
            monkeypatch=monkeypatch,
        )
    )
    assert data["commit"] == c["revision"]
    assert data["skipped"] == [c["broken"]]


def test_as_of_csv_lists_every_grant_in_effect(history, capsys, monkeypatch) -> None:
    c = history["commits"]
    text = audit_cli(
        history["repo"],
        "catalogs/dev.yaml",
        "--as-of",
        "2026-01-31",
        "--format",
        "csv",
        capsys=capsys,
        monkeypatch=monkeypatch,
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == audit.AS_OF_COLUMNS
    assert {r["commit"] for r in rows} == {c["merge"]}
    state = render(Catalog.model_validate(history["versions"]["v2"]))
    expected = {(k, p, g) for (k, p), grants in diff.access_grants(state).items() for g in grants}
    assert {(r["principal_kind"], r["principal"], r["grant"]) for r in rows} == expected
    assert len(rows) == len(expected)


def test_the_old_path_finds_the_same_history(history, capsys, monkeypatch) -> None:
    """An auditor may only know the path from last year: the history through it ends at the rename."""
    c = history["commits"]
    old = json.loads(
        audit_cli(
            history["repo"],
            "stacks/dev.yaml",
            "--ref",
            c["merge"],
            "--format",
            "json",
            capsys=capsys,
            monkeypatch=monkeypatch,
        )
    )
    assert [e["commit"] for e in old["entries"]] == [c["add"], c["merge"]]
    assert c["merge"][:12] in old["ref"]


def test_a_deleted_catalog_loses_everything_and_as_of_after_it_is_refused(tmp_path, capsys, monkeypatch) -> None:
    repo = Repo(tmp_path)
    repo.write("dev.yaml", BASE)
    repo.commit("add", "2026-01-01T00:00:00Z")
    (tmp_path / "dev.yaml").unlink()
    gone = repo.commit("remove", "2026-01-02T00:00:00Z")
    log = json.loads(audit_cli(tmp_path, "dev.yaml", "--format", "json", capsys=capsys, monkeypatch=monkeypatch))
    last = log["entries"][-1]
    assert (last["commit"], last["change"]) == (gone, "deleted")
    assert all(a["gained"] == [] and a["lost"] for a in last["access"])
    assert len(last["access"]) == len(log["entries"][0]["access"])
    monkeypatch.chdir(tmp_path)
    assert run(["audit", "dev.yaml", "--as-of", "2026-01-03"]) == 2
    assert "deleted by" in capsys.readouterr().err


# --- errors: exit 2, one line, no traceback ----------------------------------------------------
def _fails(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "fleet", "audit", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    return done.stderr


def test_not_a_git_repository(tmp_path) -> None:
    (tmp_path / "dev.yaml").write_text(yaml.safe_dump(BASE))
    assert "not inside a Git repository" in _fails(tmp_path, "dev.yaml")


def test_a_path_never_tracked(history) -> None:
    assert "never tracked" in _fails(history["repo"], "stacks/nope.yaml")


def test_dates_before_the_first_commit(history) -> None:
    assert "before the catalog's first commit" in _fails(history["repo"], "catalogs/dev.yaml", "--as-of", "2025-12-31")
    assert "before the catalog's first commit" in _fails(history["repo"], "catalogs/dev.yaml", "--until", "2026-01-04")


def test_bad_dates_and_refs(history) -> None:
    assert "expected a date" in _fails(history["repo"], "catalogs/dev.yaml", "--since", "last tuesday")
    assert "after --until" in _fails(
        history["repo"], "catalogs/dev.yaml", "--since", "2026-03-01", "--until", "2026-02-01"
    )
    assert "does not combine" in _fails(
        history["repo"], "catalogs/dev.yaml", "--as-of", "2026-03-01", "--since", "2026-02-01"
    )
    assert "not a commit" in _fails(history["repo"], "catalogs/dev.yaml", "--ref", "no-such-branch")


# --- the per-team cache reads what a whole render reads ---------------------------------------
def _whole(text: str) -> audit.Grants:
    return diff.access_grants(render(Catalog.model_validate(yaml.safe_load(text))))


INDENTED = """\
# a catalog written by hand
environment: dev
organization: acme
teams:   # every team
  # payments first
  - name: payments
    owners: [alice@acme.example]
    members: {developer: 'user.department == "Payments"'}
    apps:
      - name: checkout
        source: {repo: https://github.com/acme/checkout-deploy, path: overlays/dev}

  # then search
  - name: search
    description: |
      Search.
      - name: not-a-team
    owners:
      - carol@acme.example
cluster: {name: acme-dev}
aws: {account_id: "111111111111", region: eu-west-1}
argocd:
  allowed_repos: [https://github.com/acme/]
"""


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(INDENTED, id="indented-with-comments-and-settings-after"),
        pytest.param(INDENTED.replace("\n", "\r\n"), id="crlf"),
        pytest.param(yaml.safe_dump(BASE, sort_keys=False), id="pyyaml-style"),
        pytest.param(yaml.safe_dump(BASE, default_flow_style=True), id="flow-style"),
        pytest.param(json.dumps(BASE), id="json"),
        *(pytest.param(one_file_text(p.stem.removesuffix(".yaml")), id=p.stem) for p in STACKS),
    ],
)
def test_snapshot_equals_the_whole_render(text: str) -> None:
    snapshot = audit.AccessReader().snapshot(text, "t.yaml")
    assert snapshot.grants == _whole(text)


def test_split_finds_each_team_and_the_settings() -> None:
    split = audit.split_catalog(INDENTED)
    assert split is not None
    settings, teams = split
    assert [yaml.safe_load(t)[0]["name"] for t in teams] == ["payments", "search"]
    assert "teams" not in yaml.safe_load(settings)
    assert yaml.safe_load(settings)["argocd"] == {"allowed_repos": ["https://github.com/acme/"]}
    assert audit.split_catalog(yaml.safe_dump(BASE, default_flow_style=True)) is None


def test_a_split_through_a_quoted_value_falls_back_to_the_whole_file() -> None:
    """A double-quoted value may run over lines; a line of it that looks like a team start
    cuts the value in two, neither part parses, and the whole file is read instead."""
    text = INDENTED.replace(
        "description: |\n      Search.\n      - name: not-a-team\n", 'description: "Search\n  - name: x"\n'
    )
    data = yaml.safe_load(text)
    assert [t["name"] for t in data["teams"]] == ["payments", "search"]
    assert audit.AccessReader().snapshot(text, "t.yaml").grants == _whole(text)


def test_a_commit_changing_one_team_renders_that_team_only(monkeypatch) -> None:
    reader = audit.AccessReader()
    text = yaml.safe_dump(BASE, sort_keys=False)
    reader.snapshot(text, "a")
    calls: list[str] = []
    original = audit.render

    def counting(catalog: Catalog):
        calls.append(catalog.teams[0].name)
        return original(catalog)

    monkeypatch.setattr(audit, "render", counting)
    changed = copy.deepcopy(BASE)
    changed["teams"][1]["description"] = "changed"
    second = reader.snapshot(yaml.safe_dump(changed, sort_keys=False), "b")
    assert calls == ["search"]
    assert second.grants == _whole(yaml.safe_dump(changed))


def test_names_in_code_spans_read_as_themselves() -> None:
    """A path or ref holding Markdown's own characters stays one code span that renders it exactly."""
    import cmarkgfm

    odd = "stacks/a|b<c>`d`.yaml"
    log = audit.AuditLog(catalog=odd, ref="HEAD (abc)", since=None, until=None, entries=[])
    heading = audit.log_markdown(log).splitlines()[0]
    html = cmarkgfm.github_flavored_markdown_to_html(heading)
    assert html.count("<code>") == 1, heading
    assert "<code>stacks/a|b&lt;c&gt;`d`.yaml</code>" in html
