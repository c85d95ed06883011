"""`python -m fleet promote`: the shell around `fleet.history.promote` (files in and out, the optional
health gate through `fleet status`).

Exit (`fleet.cli.exits`) 0 changed (or, with --dry-run, would change); 3 nothing to promote; 1
refused (nothing written); 2 usage error, unreadable file, or an environment that cannot be read.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fleet.catalog.folder import read_catalog
from fleet.catalog.models import Catalog
from fleet.cli import exits, output
from fleet.cli.output import err
from fleet.compiler import load_state, state_from_files
from fleet.history import promote
from fleet.io import files
from fleet.render.state import FleetState
from fleet.reports import diff
from fleet.text.problems import CatalogError, UsageError


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "promote",
        help="set an app's source.revision in one catalog to another's, changing only that value",
        description="Exit 0 changed, 3 nothing to promote, 1 refused (nothing written), 2 usage error.",
    )
    p.add_argument(
        "selection", nargs="?", metavar="TEAM/APP", help="one app; with --all: a team, or nothing for the whole fleet"
    )
    p.add_argument(
        "--from",
        dest="source",
        type=Path,
        help="the catalog (file or folder) whose revision is promoted, e.g. stacks/dev",
    )
    p.add_argument(
        "--to",
        dest="target",
        type=Path,
        required=True,
        help="the catalog that is edited, e.g. stacks/prod (a folder: the team's file)",
    )
    p.add_argument("--revision", help="promote this revision (a commit SHA or a tag) instead of the source's")
    p.add_argument("--all", action="store_true", help="every app (of TEAM, if given) whose revisions differ")
    p.add_argument(
        "--require-healthy",
        action="store_true",
        help="refuse unless the app is Synced and Healthy on that revision in the source environment (fleet status)",
    )
    p.add_argument("--kubeconfig", help="for --require-healthy: the source environment's kubeconfig")
    p.add_argument(
        "--context", help="for --require-healthy: its context (default: the catalog's, else the current one)"
    )
    p.add_argument("--dry-run", action="store_true", help="print the change, write nothing")
    output.add_format(p, ("text", "md", "json"), "how the change is printed (as fleet diff)")
    p.set_defaults(run=run)


def _selection(args: argparse.Namespace) -> promote.Selection:
    given = args.selection
    if args.all:
        if args.revision:
            raise UsageError("--revision sets one app's revision; it does not combine with --all")
        if given is not None and "/" in given:
            raise UsageError(f"--all takes a team (or nothing), not {given!r}")
        if args.source is None:
            raise UsageError("--all promotes what --from runs: give --from")
        return promote.Selection(given, None)
    team, slash, app = (given or "").partition("/")
    if not (team and slash and app) or "/" in app:
        raise UsageError("name one app as TEAM/APP, or use --all [TEAM]")
    if args.source is None and args.revision is None:
        raise UsageError(f"{given}: give --from (promote its revision there) or --revision")
    return promote.Selection(team, app)


def _source_environment(source: tuple[Catalog, FleetState], args: argparse.Namespace) -> Any:
    """The source environment as `fleet status` sees it (read-only list calls)."""
    from fleet.io import cluster as status_reader  # a UsageError without the `status` extra
    from fleet.status import report as status

    catalog, state = source
    context = args.context or catalog.cluster.context
    try:
        observed = status_reader.read(state, status_reader.Target(args.kubeconfig, context))
    except status_reader.ReadError as err:
        raise UsageError(f"--require-healthy: {err}") from None
    return status.environment(state, observed)


def run(args: argparse.Namespace) -> int:
    selection = _selection(args)
    target = read_catalog(args.target)
    label = target.label
    before = state_from_files(target)  # the target must be valid to begin with
    source = load_state(args.source) if args.source is not None else None
    moves, notes = promote.plan(
        source[0] if source else None, before[0], selection, args.revision, str(args.source), label
    )
    for note in notes:
        err(f"note: {note}")
    refused: dict[promote.Move, str] = {}
    if args.require_healthy:
        if source is None:
            raise UsageError("--require-healthy reads the source environment: give --from")
        moves, refused = promote.gate(moves, _source_environment(source, args), source[0], str(args.source))
    refused.update(promote.refusals(before[0], moves, label))
    if refused and (selection.app is not None or not [m for m in moves if m not in refused]):
        for line in refused.values():
            err(line)
        err(f"{label}: {len(refused)} refusal(s); nothing was written")
        return exits.REFUSED
    for line in refused.values():  # --all: the others are promoted
        err(f"{line}; left as it is")
    moves = [m for m in moves if m not in refused]
    if not moves:
        err(f"{label}: nothing to promote (the revisions already match)")
        return exits.NOTHING_TO_PROMOTE
    new_texts = promote.rewrite_files(target, moves)
    try:
        after = state_from_files(target.with_texts(new_texts))
    except CatalogError as error:
        output.problems(error)
        err(f"{label}: the promoted catalog would be invalid; nothing was written")
        return exits.REFUSED
    if not args.dry_run:
        for path, new_text in new_texts.items():  # in a folder: the teams' own files
            files.replace_text(Path(args.target, path) if path else Path(args.target), new_text)
    for move in moves:
        err(f"{'would promote' if args.dry_run else 'promoted'} {move.name}: {move.old} -> {move.new}")
    result = diff.compute(before, after, label, f"{label} (promoted)")
    fmt = output.format_of(args)
    if fmt == "json":
        output.json(result)
    else:
        output.report(diff.markdown(result), fmt)
    return exits.OK
