"""Errors people can act on (issue 19, item 5): each mistake gives exactly one problem, at the
line and column where it is written, worded so that the fix is clear.

Every case edits one place of a small catalog (written here, line by line) and expects one
`FILE:LINE:COLUMN: path: reason` line, the position being that of a marker in the edited text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fleet.cli.main import run
from fleet.compiler import load
from fleet.text.problems import CatalogError

TEXT = """\
environment: dev
organization: acme
cluster:
  name: acme-dev
aws:
  account_id: "111111111111"
  region: eu-west-1
  shared_resources:
    - arn: arn:aws:s3:::acme-dev-shared-assets
      teams: [payments, search]
argocd:
  allowed_repos: [https://github.com/acme/]
teams:
  - name: payments
    description: Payments
    owners: [alice@acme.example]
    aws:
      owned_resources: [arn:aws:s3:::acme-dev-payments-checkout]
    apps:
      - name: checkout
        source:
          repo: https://github.com/acme/checkout-deploy
          path: overlays/dev
          revision: main
        aws:
          statements:
            - actions: [s3:GetObject]
              resources: ["arn:aws:s3:::acme-dev-payments-checkout/*", "arn:aws:s3:::acme-dev-shared-assets"]
  - name: search
    description: Search
    owners: [carol@acme.example]
    apps:
      - name: indexer
        source:
          repo: https://github.com/acme/search-deploy
          path: indexer
"""

SEARCH_TEAM = TEXT[TEXT.index("  - name: search") :]


def _edit(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert text.count(old) == 1, old
        return text.replace(old, new)

    return edit


# (id, edit, marker: the problem's position is where the marker starts (its first character,
# or after `|`), path, what the reason says)
MISTAKES: list[tuple[str, Callable[[str], str], str, str, str]] = [
    (
        "an owner that is not an e-mail address",
        _edit("owners: [carol@acme.example]", "owners: [carol]"),
        "carol]",
        "teams[1].owners[0]",
        "'carol' is not an e-mail address",
    ),
    (
        "a team name used twice",
        lambda text: text + SEARCH_TEAM.replace("indexer", "crawler"),
        "  - |name: search\n    description: Search\n    owners: [carol@acme.example]\n    apps:\n      - name: crawler",
        "teams[2].name",
        "team 'search' is already used at teams[1].name",
    ),
    (
        "an app name used twice",
        _edit(
            "          path: indexer\n",
            "          path: indexer\n      - name: indexer\n        source: {repo: https://github.com/acme/search-deploy, path: other}\n",
        ),
        "name: indexer\n        source: {",
        "teams[1].apps[1].name",
        "app 'indexer' is already used at teams[1].apps[0].name",
    ),
    (
        "Argo CD's targetRevision",
        _edit("          revision: main", "          targetRevision: main"),
        "targetRevision",
        "teams[0].apps[0].source.targetRevision",
        "unknown field 'targetRevision' (did you mean 'revision'? Argo CD calls it targetRevision)",
    ),
    (
        "Argo CD's repoURL",
        _edit(
            "          repo: https://github.com/acme/checkout-deploy",
            "          repoURL: https://github.com/acme/checkout-deploy",
        ),
        "repoURL",
        "teams[0].apps[0].source.repoURL",
        "unknown field 'repoURL' (did you mean 'repo'? Argo CD calls it repoURL)",
    ),
    (
        "targetRevision beside source, as in an Application's spec",
        _edit("          revision: main\n        aws:", "        targetRevision: main\n        aws:"),
        "targetRevision",
        "teams[0].apps[0].targetRevision",
        "did you mean 'source.revision'? Argo CD calls it targetRevision; it belongs under 'source'",
    ),
    (
        "path at the level of the app",
        _edit(
            "        source:\n          repo: https://github.com/acme/search-deploy\n          path: indexer",
            "        path: indexer\n        source:\n          repo: https://github.com/acme/search-deploy",
        ),
        "path: indexer",
        "teams[1].apps[0].path",
        "unknown field 'path' (did you mean 'source.path'? it belongs under 'source')",
    ),
    (
        "revision one level too deep",
        _edit("          revision: main", "          kustomize: {revision: main}"),
        "revision: main}",
        "teams[0].apps[0].source.kustomize.revision",
        "unknown field 'revision' (it belongs one level up, in teams[0].apps[0].source)",
    ),
    (
        "a misspelt field",
        _edit("    description: Search", "    descripton: Search"),
        "descripton",
        "teams[1].descripton",
        "unknown field 'descripton' (did you mean 'description'?)",
    ),
    (
        "team: instead of name:",
        _edit("  - name: search", "  - team: search"),
        "team: search",
        "teams[1].team",
        "unknown field 'team' (did you mean 'name'?",
    ),
    (
        "a resource outside what the team owns",
        _edit('"arn:aws:s3:::acme-dev-shared-assets"]', '"arn:aws:s3:::acme-dev-other"]'),
        '"arn:aws:s3:::acme-dev-other"',
        "teams[0].apps[0].aws.statements[0].resources[1]",
        "[iam-resource-ownership]",
    ),
    (
        "a repository outside the allow-list",
        _edit("repo: https://github.com/acme/search-deploy", "repo: https://github.com/evil/search-deploy"),
        "repo: https://github.com/evil",
        "teams[1].apps[0].source.repo",
        "is outside argocd.allowed_repos",
    ),
    (
        "a required field left out",
        _edit("    owners: [carol@acme.example]\n", ""),
        "- |name: search",
        "teams[1].owners",
        "required field is missing",
    ),
]


def _position(text: str, marker: str) -> tuple[int, int]:
    """(line, column) of the marker in the text, 1-based: where it starts, or where its `|` is."""
    start = text.index(marker.replace("|", "")) + max(marker.find("|"), 0)
    line = text.count("\n", 0, start) + 1
    return line, start - (text.rfind("\n", 0, start) + 1) + 1


def test_the_catalog_is_valid_as_written(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(TEXT)
    load(catalog)


@pytest.mark.parametrize(("edit", "marker", "path", "reason"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_one_mistake_gives_one_problem_at_its_line_and_column(
    tmp_path: Path, edit: Callable[[str], str], marker: str, path: str, reason: str
) -> None:
    text = edit(TEXT)
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(text)
    with pytest.raises(CatalogError) as caught:
        load(catalog)
    assert len(caught.value.problems) == 1, caught.value.lines()
    (problem,) = caught.value.problems
    line, column = _position(text, marker)
    assert (problem.path, problem.line, problem.column) == (path, line, column), caught.value.lines()
    assert reason in problem.reason
    assert caught.value.lines() == [f"{catalog}:{line}:{column}: {path}: {problem.reason}"]


def test_the_cli_line_is_file_line_column_path_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(TEXT.replace("owners: [carol@acme.example]", "owners: [carol]"))
    assert run(["validate", str(catalog)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{catalog}:31:14: teams[1].owners[0]: 'carol' is not an e-mail address",
        f"{catalog}: 1 problem(s); nothing was written",
    ]


def test_an_argocd_application_spec_gives_one_line_per_field(tmp_path: Path) -> None:
    """An app written the way Argo CD's Application spec is: each field is told where it
    belongs, and the `source` it lacks is not reported on top."""
    text = TEXT.replace(
        "        source:\n          repo: https://github.com/acme/search-deploy\n          path: indexer\n",
        "        repoURL: https://github.com/acme/search-deploy\n        path: indexer\n        targetRevision: main\n",
    )
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(text)
    with pytest.raises(CatalogError) as caught:
        load(catalog)
    found = [(p.path, p.line, p.column) for p in caught.value.problems]
    assert found == [
        ("teams[1].apps[0].repoURL", 34, 9),
        ("teams[1].apps[0].path", 35, 9),
        ("teams[1].apps[0].targetRevision", 36, 9),
    ], caught.value.lines()
    assert [p.reason.split("(")[1].split("?")[0] for p in caught.value.problems] == [
        "did you mean 'source.repo'",
        "did you mean 'source.path'",
        "did you mean 'source.revision'",
    ]


def test_a_deep_semantic_problem_comes_with_its_line(tmp_path: Path) -> None:
    """The issue's example: `teams[3].apps[1].aws.statements[0].resources[0]` is a place in
    the file, not a count of list items by hand."""
    teams = "".join(
        SEARCH_TEAM.replace("search", f"team{i}").replace("indexer", "first")
        + f"      - name: second\n        source: {{repo: https://github.com/acme/team{i}-other, path: x}}\n"
        + "        aws:\n          statements:\n            - actions: [s3:GetObject]\n"
        + f'              resources: ["arn:aws:s3:::someone-elses-{i}"]\n'
        for i in range(4)
    )
    text = TEXT[: TEXT.index("teams:\n") + len("teams:\n")] + teams
    text = text.replace("      teams: [payments, search]", "      teams: [team0]")
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(text)
    with pytest.raises(CatalogError) as caught:
        load(catalog)
    problems = {p.path: p for p in caught.value.problems}
    deep = problems["teams[3].apps[1].aws.statements[0].resources[0]"]
    assert (deep.line, deep.column) == _position(text, '"arn:aws:s3:::someone-elses-3"')
    assert len(caught.value.problems) == 4, caught.value.lines()  # one per team, nothing else


def test_problems_are_in_the_order_they_are_written(tmp_path: Path) -> None:
    text = TEXT.replace("owners: [carol@acme.example]", "owners: [carol]").replace(
        "  region: eu-west-1", "  region: moon-1"
    )
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(text)
    with pytest.raises(CatalogError) as caught:
        load(catalog)
    lines = [p.line for p in caught.value.problems]
    assert len(lines) == 2, caught.value.lines()
    assert lines == sorted(lines), caught.value.lines()


def test_yaml_problems_carry_their_own_position(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(TEXT.replace("  region: eu-west-1\n", "  region: eu-west-1\n  region: us-east-1\n"))
    with pytest.raises(CatalogError) as caught:
        load(catalog)
    (problem,) = caught.value.problems
    assert (problem.path, problem.line, problem.column) == ("aws.region", 8, 3)
    assert "duplicate key (lines 7 and 8)" in problem.reason


def test_a_problem_in_a_catalog_folder_is_placed_in_its_own_file(tmp_path: Path) -> None:
    """In a catalog folder, the line and column are those of the team's own file."""
    folder = tmp_path / "dev"
    (folder / "teams").mkdir(parents=True)
    platform = TEXT[: TEXT.index("teams:\n")]
    (folder / "platform.yaml").write_text(platform)
    payments = TEXT[TEXT.index("  - name: payments") : TEXT.index("  - name: search")]
    search = SEARCH_TEAM.replace("owners: [carol@acme.example]", "owners: [carol]")

    def team_file(block: str) -> str:  # "  - name: x\n    owners: …" -> "name: x\nowners: …"
        first, *rest = block.splitlines(True)
        return first.replace("  - ", "", 1) + "".join(line[4:] for line in rest)

    (folder / "teams" / "payments.yaml").write_text(team_file(payments))
    (folder / "teams" / "search.yaml").write_text(team_file(search))
    with pytest.raises(CatalogError) as caught:
        load(folder)
    (problem,) = caught.value.problems
    team_file = folder / "teams" / "search.yaml"
    assert (problem.source, problem.path) == (str(team_file), "owners[0]")
    assert (problem.line, problem.column) == _position(team_file.read_text(), "carol]")
    assert caught.value.lines()[0].startswith(f"{team_file}:{problem.line}:{problem.column}: owners[0]: ")
