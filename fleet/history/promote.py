"""`fleet promote`: move an app's revision from one environment's catalog to another's. Pure.

The target file (in a catalog folder, the team's own file) is edited at the bytes of one value: the YAML parser's marks say where the
scalar `teams[i].apps[j].source.revision` starts and ends, and only those characters change
(quoted as they were); a missing `revision:` becomes one new line beside its siblings. Comments,
order, blank lines, quoting and line endings elsewhere stay byte for byte, so the pull request's
diff is one line. The edit is then proven: the new file, parsed, must equal the old one with
exactly those values replaced, and must pass `fleet validate`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from fleet.catalog.folder import CatalogFiles
from fleet.catalog.models import Catalog
from fleet.guardrails.argocd import FULL_SHA, PINNED_REVISION, unpinned_revision
from fleet.text.problems import CatalogError, UsageError
from fleet.text.yaml_io import parse


@dataclass(frozen=True)
class Move:
    """One app's revision in the target catalog: from `old` to `new`."""

    team: str
    app: str
    old: str
    new: str

    @property
    def name(self) -> str:
        return f"{self.team}/{self.app}"


@dataclass(frozen=True)
class Selection:
    team: str | None  # None: the whole fleet (--all)
    app: str | None  # None: every app of the team, or of the fleet (--all)


def _apps(catalog: Catalog) -> dict[tuple[str, str], str]:
    # Single-source apps only: a multi-source app (`sources`) has a revision per source, which
    # promotion does not choose between; it is edited by hand.
    return {(t.name, a.name): a.source.revision for t in catalog.teams for a in t.apps if a.source is not None}


def plan(
    source: Catalog | None,
    target: Catalog,
    selection: Selection,
    revision: str | None,
    source_label: str,
    target_label: str,
) -> tuple[list[Move], list[str]]:
    """(the moves, notes on apps left alone). UsageError when the selection names nothing."""
    into = _apps(target)
    if selection.app is not None:
        assert selection.team is not None
        key = (selection.team, selection.app)
        if key not in into:
            raise UsageError(
                f"{selection.team}/{selection.app} is not in {target_label}: promote moves a revision, "
                "it does not add apps (add it to the catalog in its own pull request)"
            )
        if revision is None:
            assert source is not None
            found = _apps(source)
            if key not in found:
                raise UsageError(f"{selection.team}/{selection.app} is not in {source_label}; give --revision")
            revision = found[key]
        return ([Move(*key, into[key], revision)] if into[key] != revision else []), []
    assert source is not None
    found = _apps(source)
    teams = {t for t, _ in found} | {t for t, _ in into}
    if selection.team is not None and selection.team not in teams:
        raise UsageError(f"team {selection.team} is in neither {source_label} nor {target_label}")
    moves: list[Move] = []
    notes: list[str] = []
    for key in sorted(set(found) | set(into)):
        if selection.team is not None and key[0] != selection.team:
            continue
        if key not in into:
            notes.append(f"{key[0]}/{key[1]}: only in {source_label}, left alone (promote adds no apps)")
        elif key not in found:
            notes.append(f"{key[0]}/{key[1]}: only in {target_label}, left alone")
        elif found[key] != into[key]:
            moves.append(Move(*key, into[key], found[key]))
    return moves, notes


def refusals(target: Catalog, moves: Sequence[Move], target_label: str) -> dict[Move, str]:
    """Why a move may not be written: a revision that is not pinned, into an environment with
    deletion protection (the rule `fleet validate` applies to the result as well)."""
    if not target.deletion_protection:
        return {}
    return {
        m: f"{m.name}: refused: {target_label} has deletion_protection: true and {reason} [{PINNED_REVISION}]"
        for m in moves
        if (reason := unpinned_revision(m.new)) is not None
    }


def gate(moves: Sequence[Move], env: Any, source: Catalog, source_label: str) -> tuple[list[Move], dict[Move, str]]:
    """`--require-healthy`: keep the moves whose app is Synced and Healthy in the source
    environment (`env`, a `fleet.status.report.EnvironmentStatus`) on the promoted revision. A branch
    is replaced by the commit the source runs, so what is promoted is what was healthy there.
    A tag is checked through the source catalog: Synced means the source runs what it names."""
    from fleet.status.report import ready  # only this gate needs `fleet status`

    source_revisions = _apps(source)
    kept: list[Move] = []
    refused: dict[Move, str] = {}
    for move in moves:
        commit = move.new if FULL_SHA.match(move.new) else None
        if commit is None and source_revisions.get((move.team, move.app)) != move.new:
            refused[move] = (
                f"{move.name}: refused: {move.new} is not what {source_label} deploys, so its health there "
                "says nothing about it; give a full commit SHA (--require-healthy)"
            )
            continue
        readiness = ready(env, move.team, move.app, commit)
        if not readiness.ok:
            refused[move] = f"{move.name}: refused: {readiness.reason} (--require-healthy)"
            continue
        if unpinned_revision(move.new) is not None:
            live = next(a for a in env.applications if a.team == move.team and a.app == move.app)
            if live.revision and FULL_SHA.match(live.revision):
                move = Move(move.team, move.app, move.old, live.revision)
        kept.append(move)
    return [m for m in kept if m.old != m.new], refused


# --- the edit --------------------------------------------------------------------------------
def _get(mapping: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for key_node, value_node in mapping.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _named(sequence: yaml.Node, name: str) -> yaml.MappingNode:
    if isinstance(sequence, yaml.SequenceNode):
        for item in sequence.value:
            if isinstance(item, yaml.MappingNode) and (pair := _get(item, "name")) and pair[1].value == name:
                return item
    raise UsageError(f"cannot find {name!r} in the file's node tree")


def _source_node(root: yaml.Node, team: str, app: str, team_file: bool) -> yaml.MappingNode:
    if team_file:  # a team file of a catalog folder: the team is the whole document
        if not isinstance(root, yaml.MappingNode):
            raise UsageError("the team file is not a mapping")
        apps = _get(root, "apps")
    else:
        if not isinstance(root, yaml.MappingNode) or (teams := _get(root, "teams")) is None:
            raise UsageError("the file has no top-level teams list")
        apps = _get(_named(teams[1], team), "apps")
    source = _get(_named(apps[1], app), "source") if apps else None
    if source is None or not isinstance(source[1], yaml.MappingNode):
        raise UsageError(f"{team}/{app}: cannot find its source mapping in the file")
    return source[1]


def _plain_ok(value: str) -> bool:
    """Would `revision: <value>` read back as this very string?"""
    try:
        return yaml.safe_load(f"revision: {value}\n") == {"revision": value} and value == value.strip()
    except yaml.YAMLError:
        return False


def _scalar(value: str, style: str | None, quote: bool = False) -> str:
    """`value` in the style the old one had (plain only where it reads back the same)."""
    if style == "'" and not quote:
        return "'" + value.replace("'", "''") + "'"
    if style is None and not quote and _plain_ok(value):
        return value
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _line_end(text: str, index: int) -> int:
    """The index just after the end of the line holding `index` (len(text) at the end)."""
    newline = text.find("\n", index)
    return len(text) if newline < 0 else newline + 1


def _edit(text: str, source: yaml.MappingNode, value: str, quote: bool) -> tuple[int, int, str]:
    """(start, end, replacement) that sets `revision` in this source mapping."""
    pair = _get(source, "revision")
    if pair is not None:
        node = pair[1]
        if not isinstance(node, yaml.ScalarNode) or node.style in ("|", ">"):
            raise UsageError("source.revision is not a one-line scalar; edit it by hand")
        return node.start_mark.index, node.end_mark.index, _scalar(value, node.style, quote)
    if not source.value:
        raise UsageError("source is an empty mapping; add the revision by hand")
    if source.flow_style:  # {repo: …, path: …}: one more entry after the last value
        end = source.value[-1][1].end_mark.index
        return end, end, f", revision: {_scalar(value, None, quote)}"
    # Block style: a new line with the siblings' indentation, after the last one-line pair.
    indent = " " * source.value[0][0].start_mark.column
    newline = "\r\n" if "\r\n" in text else "\n"
    one_line = [v for _, v in source.value if isinstance(v, yaml.ScalarNode) and v.start_mark.line == v.end_mark.line]
    line = f"{indent}revision: {_scalar(value, None, quote)}"
    if one_line:
        at = _line_end(text, one_line[-1].end_mark.index)
        prefix = "" if at == 0 or text[at - 1] == "\n" else newline
        return at, at, f"{prefix}{line}{newline}"
    first = source.value[0][0].start_mark.index
    return first, first, f"revision: {_scalar(value, None, quote)}{newline}{indent}"


def _expected(data: Any, moves: Sequence[Move], team_file: bool) -> Any:
    wanted = {(m.team, m.app): m.new for m in moves}
    for team in [data] if team_file else data["teams"]:
        for app in team.get("apps") or []:
            if (team["name"], app["name"]) in wanted:
                app["source"]["revision"] = wanted[(team["name"], app["name"])]
    return data


def rewrite(text: str, moves: Sequence[Move], label: str, team_file: bool = False) -> str:
    """`text` (a one-file catalog, or with `team_file` a team's file of a folder, holding every
    move's team) with each move's revision set, and nothing else changed."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)  # pure-Python marks: indexes in characters
    expected = _expected(parse(text, label), moves, team_file)
    for quote in (False, True):  # a plain scalar that reads differently where it stands: quote it
        edits = sorted(
            (_edit(text, _source_node(root, m.team, m.app, team_file), m.new, quote) for m in moves), reverse=True
        )
        out = text
        for start, end, replacement in edits:
            out = out[:start] + replacement + out[end:]
        try:
            if parse(out, label) == expected:
                return out
        except CatalogError:
            continue
    raise UsageError(f"{label}: the edit would change more than the revisions; set them by hand")


def rewrite_files(target: CatalogFiles, moves: Sequence[Move]) -> dict[str, str]:
    """The files of the target catalog that change (path inside a folder, "" for a one-file
    catalog) and their new texts: in a folder, only the moved teams' own files."""
    if not target.folder:
        text = target.text()
        assert text is not None
        return {"": rewrite(text, moves, target.label)}
    out = {}
    for team in sorted({m.team for m in moves}):
        path = target.team_path(team)
        text = target.text(path)
        if text is None:
            raise UsageError(f"{target.file_label(path)}: team {team}'s file is missing")
        out[path] = rewrite(text, [m for m in moves if m.team == team], target.file_label(path), team_file=True)
    return out
