"""`fleet audit FILE`: who gained or lost which access, when, by which commit, pull request and
review, from the catalog's Git history (or, with --as-of, the access in effect at a moment)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, time, timedelta
from typing import Any

from fleet.cli import exits, output
from fleet.cli.output import out
from fleet.text import screen
from fleet.text.problems import UsageError


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "audit",
        help="who gained or lost which access, when, by which commit, pull request and review (the catalog's Git history)",
    )
    p.add_argument(
        "file",
        help="the catalog (a file or a folder): its path now, or the path it had (renames and a split are "
        "followed); a team's file of a folder: that team's access only",
    )
    p.add_argument("--since", help="from this date or time (YYYY-MM-DD is midnight UTC)")
    p.add_argument("--until", help="up to this date or time, inclusive (YYYY-MM-DD: to the end of that day, UTC)")
    p.add_argument(
        "--as-of", help="instead: the access matrix in effect at this date or time (YYYY-MM-DD: end of day, UTC)"
    )
    p.add_argument("--ref", default="HEAD", help="the branch whose first-parent history is read (default HEAD)")
    who = p.add_mutually_exclusive_group()
    who.add_argument(
        "--reviews",
        metavar="FILE",
        help="the pull requests' reviews, exported from GitHub's reviews API (JSON: number -> reviews): "
        "the only source of approvers; commit trailers are shown as claims",
    )
    who.add_argument(
        "--github",
        metavar="OWNER/REPO",
        help="read each pull request's reviews from GitHub's API instead (token: $GITHUB_TOKEN; "
        "API: $GITHUB_API_URL, default https://api.github.com)",
    )
    output.add_format(
        p,
        ("text", "md", "json", "csv"),
        "text: for people (drawn to fit the terminal, the default there); md: Markdown (the default elsewhere); json: schemas/audit.v1.json; csv: one row per "
        "grant or revocation",
    )
    p.set_defaults(run=run)


def _moment(option: str, value: str | None, end_of_day: bool) -> datetime | None:
    """A date (midnight UTC, or the last instant of that day) or an ISO 8601 time (UTC if no offset)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time(), UTC)
            return day + timedelta(days=1, microseconds=-1) if end_of_day else day
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {value!r}: expected a date (YYYY-MM-DD) or an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _reviews_file(path: str) -> dict[int, list[Any]]:
    from fleet.history import reviews
    from fleet.text.problems import CatalogError
    from fleet.text.yaml_io import read_text

    try:
        data = json.loads(read_text(path))
    except ValueError as err:
        raise UsageError(f"{path}: not JSON: {err}") from None
    records, problems = reviews.parse(data)
    if problems:
        raise CatalogError(path, problems)
    return records


def run(args: argparse.Namespace) -> int:
    from fleet.history import audit  # only this command needs them
    from fleet.io import git as gitlog
    from fleet.io import github

    if args.as_of and (args.since or args.until):
        raise UsageError("--as-of is one moment; it does not combine with --since or --until")
    since = _moment("--since", args.since, end_of_day=False)
    until = _moment("--until", args.until, end_of_day=True)
    moment = _moment("--as-of", args.as_of, end_of_day=True)
    if since and until and since > until:
        raise UsageError(f"--since {args.since} is after --until {args.until}")
    repo, path = gitlog.locate(args.file)
    head = gitlog.resolve(repo, args.ref)
    catalog, team = gitlog.audit_target(repo, head, path)  # a team's file: its folder, that team
    changes = gitlog.catalog_history(repo, catalog, head)
    ref = f"{args.ref} ({head[:12]})"
    fmt = output.format_of(args)
    with gitlog.BlobReader(repo) as blobs:
        if moment is not None:
            report, grants = audit.as_of(changes, blobs.read, path, ref, moment, team)
            if fmt == "json":
                output.json(report)
            elif fmt == "csv":
                out(audit.as_of_csv(report, grants))
            else:
                output.report(audit.as_of_markdown(report), fmt)
            return exits.OK
        records = None
        if args.reviews:
            records = _reviews_file(args.reviews)
        elif args.github:
            numbers = {n for c in changes for n in [audit.pull_request_of(c)] if n is not None}
            records = github.reviews_of(args.github, sorted(numbers))
        with screen.Progress(sys.stderr, f"reading {len(changes)} commits of {path}") as shown:
            log = audit.build_log(changes, blobs.read, path, ref, since, until, team, records, shown.update)
    if fmt == "json":
        output.json(log)
    elif fmt == "csv":
        out(audit.log_csv(log))
    else:
        output.report(audit.log_markdown(log), fmt)
    return exits.OK
