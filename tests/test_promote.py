"""Promotion: the pinned-revision guardrail, and `fleet promote` rewriting one value only."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from fleet.cli.main import run
from fleet.compiler import load, load_state, settings_for
from fleet.guardrails.argocd import unpinned_revision
from tests.conftest import ROOT, catalog_path, one_file_text

PROD = catalog_path("prod")  # a folder or one file: every command takes either
DEV = catalog_path("dev")
# The shipped catalogs as one file each (a folder joined, every comment kept): what the tests
# below copy and edit as one file.
PROD_TEXT = one_file_text("prod")
DEV_TEXT = one_file_text("dev")
SHA = "4f1c2e9b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f"


@pytest.mark.parametrize(
    "revision", [SHA, SHA.upper(), "v2.14.0", "2.14.0", "v1.0.0-rc.1+build.7", "refs/tags/release-7"]
)
def test_pinned_revisions(revision: str) -> None:
    assert unpinned_revision(revision) is None


@pytest.mark.parametrize(
    ("revision", "phrase"),
    [
        ("main", "is a branch"),
        ("HEAD", "HEAD follows"),
        ("release/2.14", "is a branch"),
        ("v2.14", "is a branch"),  # not three numbers: a branch may be called that
        ("refs/heads/main", "is a branch"),
        ("refs/tags/", "is a branch"),
        (SHA[:12], "short commit SHA"),
        (SHA + "0", "is a branch"),
    ],
)
def test_unpinned_revisions(revision: str, phrase: str) -> None:
    reason = unpinned_revision(revision)
    assert reason is not None
    assert phrase in reason


def _prod_with(tmp_path: Path, revision: str | None) -> Path:
    data = yaml.safe_load(PROD_TEXT)
    source = data["teams"][0]["apps"][0]["source"]
    if revision is None:
        del source["revision"]
    else:
        source["revision"] = revision
    path = tmp_path / "prod.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize(("revision", "phrase"), [("main", "'main' is a branch"), (None, "HEAD follows")])
def test_validate_refuses_a_branch_in_an_environment_with_deletion_protection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], revision: str | None, phrase: str
) -> None:
    path = _prod_with(tmp_path, revision)
    assert run(["validate", str(path)]) == 1
    (line, summary) = capsys.readouterr().err.splitlines()
    # FILE:LINE:COLUMN: the revision's line, or (no revision written) the source's
    assert re.match(
        rf"{re.escape(str(path))}:[0-9]+:[0-9]+: teams\[0\]\.apps\[0\]\.source\.revision: deletion_protection is on: ",
        line,
    )
    assert phrase in line
    assert line.endswith("[argocd-revision-pinned]")
    assert summary.endswith("1 problem(s); nothing was written")


def test_branches_are_fine_where_nothing_is_protected(capsys: pytest.CaptureFixture[str]) -> None:
    data = yaml.safe_load(DEV_TEXT)
    assert data["deletion_protection"] is False
    assert any(a["source"].get("revision") == "main" for t in data["teams"] for a in t["apps"])
    assert run(["validate", str(DEV)]) == 0


def test_the_shipped_prod_catalog_is_pinned_and_its_program_judges_applications() -> None:
    catalog = load(PROD)
    git_revisions = [s.revision for t in catalog.teams for a in t.apps for _, s in a.all_sources() if s.chart is None]
    assert all(unpinned_revision(r) is None for r in git_revisions)
    assert settings_for(catalog).require_pinned_revisions is True
    assert settings_for(load(DEV)).require_pinned_revisions is False


@pytest.mark.parametrize(
    ("resource_type", "props", "refused"),
    [
        ("ApplicationPatch", {"metadata": {"name": "a"}, "spec": {"syncPolicy": {}}}, False),  # revision untouched
        ("ApplicationPatch", {"metadata": {"name": "a"}, "spec": {"source": {"path": "p"}}}, False),
        ("ApplicationPatch", {"metadata": {"name": "a"}, "spec": {"source": {"targetRevision": "main"}}}, True),
        ("Application", {"metadata": {"name": "a"}, "spec": {"source": {"repoURL": "r", "path": "p"}}}, True),
    ],
)
def test_the_pack_judges_what_a_patch_sets(resource_type: str, props: dict, refused: bool) -> None:
    from tests.test_guardrails import pack_resource_violations

    config = {"requirePinnedRevisions": True}
    found = pack_resource_violations(
        "argocd-revision-pinned", f"kubernetes:argoproj.io/v1alpha1:{resource_type}", props, config
    )
    assert bool(found) is refused, found
    assert (
        pack_resource_violations(
            "argocd-revision-pinned", f"kubernetes:argoproj.io/v1alpha1:{resource_type}", props, {}
        )
        == []
    )


# --- fleet promote ------------------------------------------------------------------------------
def promote(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(["promote", *args])
    out, err = capsys.readouterr()
    return code, out, err


def changed_lines(before: bytes, after: bytes) -> list[tuple[bytes, bytes]]:
    """(old line, new line) pairs of a same-length edit; a length change fails here."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new), "lines were added or removed"
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def added_lines(before: bytes, after: bytes) -> list[bytes]:
    """The lines `after` has beyond `before`, when nothing else changed (an insertion only)."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    out, i = [], 0
    for line in new:
        if i < len(old) and line == old[i]:
            i += 1
        else:
            out.append(line)
    assert i == len(old), "a line of the original changed or went missing"
    return out


def test_one_app_with_a_tag_changes_one_line_of_the_shipped_prod_catalog(tmp_path, capsys) -> None:
    target = tmp_path / "prod.yaml"
    target.write_bytes(PROD_TEXT.encode())
    code, out, err = promote(capsys, "payments/checkout", "--revision", "v2.15.0", "--to", str(target))
    assert code == 0, err
    assert changed_lines(PROD_TEXT.encode(), target.read_bytes()) == [
        (b"          revision: v2.14.0\n", b"          revision: v2.15.0\n")
    ]
    assert run(["validate", str(target)]) == 0
    assert "promoted payments/checkout: v2.14.0 -> v2.15.0" in err
    # Printed as `fleet diff` prints it: its Application on each of prod's two clusters changes,
    # one field, no access.
    assert "| Argo CD | 0 | 2 | 0 |" in out
    assert "targetRevision" in out
    assert "Who gains or loses access" not in out


def test_a_branch_is_refused_in_prod_and_nothing_is_written(tmp_path, capsys) -> None:
    target = tmp_path / "prod.yaml"
    target.write_bytes(PROD_TEXT.encode())
    code, out, err = promote(capsys, "payments/checkout", "--from", str(DEV), "--to", str(target))
    assert code == 1
    assert out == ""
    assert "payments/checkout: refused:" in err
    assert "'main' is a branch" in err
    assert "[argocd-revision-pinned]" in err
    assert target.read_bytes() == PROD_TEXT.encode()
    code, _, err = promote(capsys, "payments/checkout", "--revision", SHA[:10], "--to", str(target))
    assert (code, "short commit SHA" in err) == (1, True)
    assert target.read_bytes() == PROD_TEXT.encode()


def test_all_is_idempotent_and_touches_revision_lines_only(tmp_path, capsys) -> None:
    """prod's pinned revisions into a copy of dev: the apps both have, nothing else."""
    target = tmp_path / "dev.yaml"
    target.write_bytes(DEV_TEXT.encode())
    code, _, err = promote(capsys, "--all", "--from", str(PROD), "--to", str(target))
    assert code == 0, err
    after = target.read_bytes()
    old, new = DEV_TEXT.encode().splitlines(keepends=True), after.splitlines(keepends=True)
    removed = [line for line in old if line not in new]
    added = [line for line in new if line not in old]
    assert removed == [b"          revision: main\n"]
    assert all(line.strip().startswith(b"revision: v") for line in added)
    assert run(["validate", str(target)]) == 0
    promoted = {(t.name, a.name): a.source.revision for t in load(target).teams for a in t.apps if a.source}
    for team in load(PROD).teams:
        for app in team.apps:
            if (team.name, app.name) in promoted:
                assert promoted[(team.name, app.name)] == app.source.revision
    assert "identity/charts: only in" in err  # dev-only apps are left alone, and said so
    code, out, err = promote(capsys, "--all", "--from", str(PROD), "--to", str(target))
    assert (code, out) == (3, "")
    assert "nothing to promote" in err
    assert target.read_bytes() == after


def test_all_of_one_team_leaves_the_other_teams_alone(tmp_path, capsys) -> None:
    target = tmp_path / "dev.yaml"
    target.write_bytes(DEV_TEXT.encode())
    assert promote(capsys, "--all", "search", "--from", str(PROD), "--to", str(target))[0] == 0
    revisions = {(t.name, a.name): a.source.revision for t in load(target).teams for a in t.apps if a.source}
    assert revisions[("search", "indexer")] == revisions[("search", "query-api")] == "v3.0.4"
    assert revisions[("payments", "checkout")] == "main"


def test_all_into_prod_promotes_the_pinned_and_says_why_it_leaves_the_branches(tmp_path, capsys) -> None:
    source = tmp_path / "staging.yaml"
    text = DEV_TEXT.replace(
        "path: overlays/dev\n          revision: main", "path: overlays/dev\n          revision: v2.15.0-rc.1"
    )
    text = text.replace("environment: dev", "environment: staging")
    text = text.replace("acme-dev-", "acme-staging-")  # its AWS names too (acme-<environment>-<team>-…)
    source.write_text(text)
    target = tmp_path / "prod.yaml"
    target.write_bytes(PROD_TEXT.encode())
    code, _, err = promote(capsys, "--all", "payments", "--from", str(source), "--to", str(target))
    assert code == 0, err
    assert changed_lines(PROD_TEXT.encode(), target.read_bytes()) == [
        (b"          revision: v2.14.0\n", b"          revision: v2.15.0-rc.1\n")
    ]
    assert "payments/ledger: refused: " in err
    assert "HEAD follows" in err
    assert "left as it is" in err


HAND_WRITTEN = """\
# The staging fleet: a hand-written catalog, comments everywhere.
environment: staging   # equals the stack
organization: acme
deletion_protection: false   # staging: not protected

cluster: {name: acme-staging}
aws:
  account_id: "111111111111"
  region: eu-west-1
argocd:
  allowed_repos: [https://github.com/acme/]

teams:
  # --- payments ---
  - name: payments
    owners: [alice@acme.example]
    apps:
      - name: plain       # a plain revision, a comment after it
        source:
          repo: https://github.com/acme/plain
          path: p
          revision: v1.0.0    # bumped by fleet promote
      - name: single
        source:
          repo: https://github.com/acme/single
          revision: 'v1.0.0'
          path: p
      - name: double
        source: {repo: "https://github.com/acme/double", path: p, revision: "v1.0.0"}
      - name: flow-without
        source: {repo: https://github.com/acme/flow, path: p, revision: v1.0.0}

  - name: search
    owners:
      - carol@acme.example    # owner
    apps:
      - name: indexer
        source:
          repo: https://github.com/acme/search-deploy
          path: indexer   # no revision line yet
        # comment between keys
        sync: {automated: false}
"""


@pytest.mark.parametrize(
    ("app", "revision", "old", "new"),
    [
        (
            "payments/plain",
            "v1.1.0",
            b"          revision: v1.0.0    # bumped by fleet promote\n",
            b"          revision: v1.1.0    # bumped by fleet promote\n",
        ),
        ("payments/single", "v1.1.0", b"          revision: 'v1.0.0'\n", b"          revision: 'v1.1.0'\n"),
        (
            "payments/double",
            SHA,
            b'        source: {repo: "https://github.com/acme/double", path: p, revision: "v1.0.0"}\n',
            b'        source: {repo: "https://github.com/acme/double", path: p, revision: "' + SHA.encode() + b'"}\n',
        ),
        (
            "payments/plain",
            "1234567890123456789012345678901234567890",  # plain, YAML would read a number: quoted
            b"          revision: v1.0.0    # bumped by fleet promote\n",
            b'          revision: "1234567890123456789012345678901234567890"    # bumped by fleet promote\n',
        ),
    ],
)
def test_hand_written_catalog_keeps_every_other_byte(
    tmp_path, capsys, app: str, revision: str, old: bytes, new: bytes
) -> None:
    for newline in ("\n", "\r\n"):
        target = tmp_path / f"staging{len(newline)}.yaml"
        original = HAND_WRITTEN.replace("\n", newline).encode()
        target.write_bytes(original)
        code, _, err = promote(capsys, app, "--revision", revision, "--to", str(target))
        assert code == 0, err
        expected = [(old.replace(b"\n", newline.encode()), new.replace(b"\n", newline.encode()))]
        assert changed_lines(original, target.read_bytes()) == expected
        assert run(["validate", str(target)]) == 0


def test_a_missing_revision_becomes_one_line_beside_its_siblings(tmp_path, capsys) -> None:
    target = tmp_path / "staging.yaml"
    target.write_text(HAND_WRITTEN)
    code, _, err = promote(capsys, "search/indexer", "--revision", "v3.1.0", "--to", str(target))
    assert code == 0, err
    assert added_lines(HAND_WRITTEN.encode(), target.read_bytes()) == [b"          revision: v3.1.0\n"]
    lines = target.read_text().splitlines()
    assert lines[lines.index("          revision: v3.1.0") - 1] == "          path: indexer   # no revision line yet"
    assert load(target).teams[1].apps[0].source.revision == "v3.1.0"


def test_a_flow_source_without_revision_gains_an_entry(tmp_path, capsys) -> None:
    valid = HAND_WRITTEN.replace("path: p, revision: v1.0.0}", "path: p}")
    target = tmp_path / "staging.yaml"
    # Protected, the catalog is refused as it is (apps without a revision follow HEAD), and
    # promote edits only a valid catalog.
    target.write_text(valid.replace("deletion_protection: false", "deletion_protection: true"))
    assert run(["validate", str(target)]) == 1
    code, _, err = promote(capsys, "payments/flow-without", "--revision", "v2.0.0", "--to", str(target))
    assert code == 1
    assert "HEAD follows" in err
    target.write_text(valid)
    code, _, err = promote(capsys, "payments/flow-without", "--revision", "v2.0.0", "--to", str(target))
    assert code == 0, err
    assert changed_lines(valid.encode(), target.read_bytes()) == [
        (
            b"        source: {repo: https://github.com/acme/flow, path: p}\n",
            b"        source: {repo: https://github.com/acme/flow, path: p, revision: v2.0.0}\n",
        )
    ]


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["payments/nope", "--revision", "v1.0.0"], "is not in"),
        (["payments", "--revision", "v1.0.0"], "TEAM/APP"),
        (["payments/checkout"], "give --from"),
        (["--all", "--revision", "v1.0.0", "--from", "x"], "does not combine"),
        (["--all", "payments/checkout", "--from", "x"], "takes a team"),
        (["--all", "nobody", "--from", str(DEV)], "in neither"),
        (["payments/checkout", "--from", "/nonexistent.yaml"], "cannot read"),
        (["payments/checkout", "--revision", SHA, "--require-healthy"], "--require-healthy"),
    ],
)
def test_usage_errors_exit_2(tmp_path, capsys, args: list[str], phrase: str) -> None:
    target = tmp_path / "prod.yaml"
    target.write_bytes(PROD_TEXT.encode())
    code, out, err = promote(capsys, *args, "--to", str(target))
    assert code == 2, err
    assert phrase in err
    assert out == ""
    assert "Traceback" not in err
    assert target.read_bytes() == PROD_TEXT.encode()


def test_require_healthy_reads_the_source_environment_or_says_why_not(tmp_path, capsys) -> None:
    target = tmp_path / "prod.yaml"
    target.write_bytes(PROD_TEXT.encode())
    code, _, err = promote(
        capsys,
        "payments/checkout",
        "--from",
        str(DEV),
        "--to",
        str(target),
        "--require-healthy",
        "--kubeconfig",
        str(tmp_path / "missing-kubeconfig"),
    )
    assert code == 2
    assert err.startswith("error: --require-healthy")
    assert target.read_bytes() == PROD_TEXT.encode()


def test_dry_run_prints_and_writes_nothing(tmp_path, capsys) -> None:
    target = tmp_path / "prod.yaml"
    target.write_bytes(PROD_TEXT.encode())
    code, out, err = promote(
        capsys, "payments/checkout", "--revision", "v2.15.0", "--to", str(target), "--dry-run", "--format", "json"
    )
    assert code == 0
    assert "would promote payments/checkout: v2.14.0 -> v2.15.0" in err
    changed = json.loads(out)["layers"]["argocd"]["changed"]
    assert [c["fields"] for c in changed] == [["spec.source.targetRevision"]] * 2  # one per cluster
    assert target.read_bytes() == PROD_TEXT.encode()


# --- the promote workflow ---------------------------------------------------------------------
WORKFLOW = ROOT / ".github" / "workflows" / "promote.yml"


def test_the_workflow_writes_only_where_none_of_our_code_runs() -> None:
    data = yaml.safe_load(WORKFLOW.read_text())
    inputs = data[True]["workflow_dispatch"]["inputs"]  # YAML 1.1 reads the key `on` as True
    assert {"team", "app", "from", "to"} <= set(inputs)
    jobs = data["jobs"]
    assert jobs["promote"]["permissions"] == {"contents": "read"}
    writer = jobs["pull-request"]
    assert writer["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert all("run" not in step and "checkout" not in step.get("uses", "") for step in writer["steps"])


def _run_step(tmp_path: Path, **env: str) -> tuple[int, dict[str, str], Path]:
    """The workflow's promote step, run by bash as the runner would, in a clone-like copy of the
    repository (its stack files and catalogs, committed: the step reads them as Git has them)."""
    step = next(s for s in yaml.safe_load(WORKFLOW.read_text())["jobs"]["promote"]["steps"] if s.get("id") == "promote")
    work = tmp_path / "checkout"
    work.mkdir(parents=True)
    for stack in ("dev", "prod"):
        (work / f"Pulumi.{stack}.yaml").write_bytes((ROOT / f"Pulumi.{stack}.yaml").read_bytes())
        shipped = catalog_path(stack)
        target = work / shipped.relative_to(ROOT)
        if shipped.is_dir():
            shutil.copytree(shipped, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(shipped.read_bytes())
    quiet = {"capture_output": True, "check": True, "cwd": work}
    subprocess.run(["git", "init", "-q"], **quiet)
    subprocess.run(["git", "add", "-A"], **quiet)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c"], **quiet)
    (work / ".venv").symlink_to(ROOT / ".venv")
    output, summary = tmp_path / "output", tmp_path / "summary"
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=work,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUN_ID": "42",
            "REVISION": "",
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines()) if output.exists() else {}
    return done.returncode, outputs, work


def test_the_workflow_step_promotes_and_hands_over_the_file_and_the_review(tmp_path: Path) -> None:
    code, outputs, work = _run_step(
        tmp_path, TEAM="payments", APP="checkout", FROM="dev", TO="prod", REVISION="v2.15.0"
    )
    assert code == 0
    assert outputs["changed"] == "true"
    assert outputs["branch"] == "promote/prod/payments-checkout-42"
    files = json.loads(outputs["files"])
    prod = catalog_path("prod")
    edited = "stacks/prod/teams/payments.yaml" if prod.is_dir() else "stacks/prod.yaml"  # the team's own file
    assert list(files) == [edited]
    promoted = base64.b64decode(files[edited])
    assert promoted == (work / edited).read_bytes()
    assert [(a.strip(), b.strip()) for a, b in changed_lines((ROOT / edited).read_bytes(), promoted)] == [
        (b"revision: v2.14.0", b"revision: v2.15.0")
    ]
    assert "targetRevision" in base64.b64decode(outputs["body"]).decode()


def test_the_workflow_step_fails_on_a_refusal_and_passes_on_nothing_to_do(tmp_path: Path) -> None:
    code, outputs, _ = _run_step(tmp_path / "a", TEAM="payments", APP="checkout", FROM="dev", TO="prod")
    assert code == 1  # dev runs the branch main: refused in prod
    assert "changed" not in outputs
    code, outputs, _ = _run_step(
        tmp_path / "b", TEAM="payments", APP="checkout", FROM="dev", TO="prod", REVISION="v2.14.0"
    )
    assert (code, outputs) == (0, {"changed": "false"})


# --- --require-healthy: the gate on what `fleet status` read from a real API server ----------
@pytest.fixture(scope="module")
def dev_env():
    """dev as the reader listed it from a loopback kube-apiserver (tests/data/status/dev.json):
    checkout Synced/Healthy on REV_A, ledger OutOfSync, settlement Degraded, query-api absent."""
    from fleet.status import report as status
    from tests.test_status import recorded

    catalog, state = load_state(DEV)
    return catalog, status.environment(state, recorded("dev"))


def _gate(dev_env, app: str, revision: str | None = None):
    from fleet.history import promote as core

    catalog, env = dev_env
    team, name = app.split("/")
    moves, _ = core.plan(catalog, load(PROD), core.Selection(team, name), revision, "dev", "prod")
    return core.gate(moves, env, catalog, "dev")


def test_a_branch_that_is_healthy_in_dev_is_promoted_as_the_commit_dev_runs(dev_env) -> None:
    from fleet.history.promote import Move
    from tests import status_scenario as scenario

    kept, refused = _gate(dev_env, "payments/checkout")  # dev's catalog says main
    assert refused == {}
    assert kept == [Move("payments", "checkout", "v2.14.0", scenario.REV_A)]


@pytest.mark.parametrize(
    ("app", "revision", "phrase"),
    [
        ("payments/ledger", None, "OutOfSync"),
        ("payments/settlement", None, "Degraded"),
        ("search/query-api", None, "absent"),
        ("payments/checkout", "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b", "not 9a8b7c6d"),  # healthy, on another commit
        ("payments/checkout", "v9.9.9", "is not what dev deploys"),
    ],
)
def test_the_gate_refuses_what_is_not_synced_and_healthy_on_that_revision(dev_env, app, revision, phrase) -> None:
    kept, refused = _gate(dev_env, app, revision)
    assert kept == []
    (reason,) = refused.values()
    assert phrase in reason
    assert reason.endswith("(--require-healthy)")


def test_the_gate_passes_the_very_commit_dev_runs(dev_env) -> None:
    from tests import status_scenario as scenario

    kept, refused = _gate(dev_env, "payments/checkout", scenario.REV_A)
    assert (len(kept), refused) == (1, {})
    assert kept[0].new == scenario.REV_A
