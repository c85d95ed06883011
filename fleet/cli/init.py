"""`fleet init`: a new organisation's first catalog, from a few answers, so that nobody edits the
shipped `acme` by hand. It writes a catalog folder (`stacks/<env>/platform.yaml` and
`stacks/<env>/teams/<team>.yaml`), or with `--one-file` one file, that validates and renders
before a byte is written; it never writes over anything.

Exit (`fleet.cli.exits`) 0 written; 2 a usage error: an answer the catalog refuses (named by its
option), or the catalog exists already.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from fleet.catalog import scaffold, schema
from fleet.catalog.folder import PLATFORM_FILE, TEAMS_DIR, CatalogFiles, Entry
from fleet.catalog.models import DNS_LABEL
from fleet.cli import exits
from fleet.cli.output import err, out
from fleet.cli.validate import summary
from fleet.compiler import state_from_files
from fleet.io import files
from fleet.reports import plan
from fleet.text.problems import CatalogError, UsageError
from fleet.text.terminal import escape


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "init",
        help="write a new organisation's first catalog (platform and one team) that validates and plans at once",
        description="Write stacks/<environment>/platform.yaml and stacks/<environment>/teams/<team>.yaml (or, "
        "with --one-file, stacks/<environment>.yaml) from the answers below, each line commented. The catalog "
        "is validated and rendered first; nothing is ever written over. Exit 0 written, 2 refused (the option "
        "at fault is named).",
    )
    p.add_argument("--organization", required=True, help="a DNS label: the prefix of every Okta group and IAM role")
    p.add_argument("--environment", default="dev", help="a DNS label, the Pulumi stack name (default dev)")
    p.add_argument("--account-id", required=True, help="the AWS account of the roles: 12 digits")
    p.add_argument("--cluster", required=True, help="the EKS cluster name")
    p.add_argument("--region", required=True, help="the AWS region, e.g. eu-west-1")
    p.add_argument(
        "--allowed-repo",
        action="append",
        required=True,
        metavar="URL",
        help="where apps may deploy from: a prefix ending in '/' (https://github.com/example/) or an exact URL; repeatable",
    )
    p.add_argument("--team", required=True, help="the first team's name, a DNS label")
    p.add_argument(
        "--owner",
        action="append",
        required=True,
        metavar="EMAIL",
        help="an e-mail address of who answers for the team; repeatable",
    )
    p.add_argument(
        "--protect",
        action="store_true",
        help="deletion_protection: true (production: identity, roles and namespaces are protected, revisions pinned)",
    )
    p.add_argument("--one-file", action="store_true", help="one file, stacks/<environment>.yaml, instead of a folder")
    p.add_argument(
        "--out", type=Path, help="where to write (default stacks/<environment>, or stacks/<environment>.yaml)"
    )
    p.set_defaults(run=run)


_PUBLISHED = schema.SCHEMA_ID.rpartition("/")[0] + "/"


def _label(option: str, value: str) -> str:
    """Values that name files (the environment's folder, the team's file) are checked first."""
    if len(value) > 63 or not DNS_LABEL.match(value):
        raise UsageError(
            f"{option}: {value!r} is not a DNS label (lower-case letters, digits and '-', starting and ending "
            "with a letter or digit, at most 63 characters)"
        )
    return value


def _schema_line(file: Path, name: str) -> str:
    """The editor's schema line: the repository's schemas/ when there is one, else the published schema."""
    local = Path("schemas") / name
    target = os.path.relpath(local, file.parent).replace(os.sep, "/") if local.is_file() else _PUBLISHED + name
    return f"# yaml-language-server: $schema={target}\n"


def _refuse_existing(target: Path, other: Path) -> None:
    if target.exists() or target.is_symlink():
        raise UsageError(f"{target}: exists; init writes a new catalog and never over one")
    if other.exists():
        raise UsageError(f"{other}: this environment has a catalog already; init writes a new one")


def _refusals(err: CatalogError) -> list[str]:
    """The catalog's problems, each told as a problem of the option that gave the value."""
    reasons = []
    for problem in err.problems:
        option = scaffold.option_for(problem.path)
        reasons.append(f"{option}: {problem.reason}" if option else f"{problem.path}: {problem.reason}")
    return list(dict.fromkeys(reasons))


def run(args: argparse.Namespace) -> int:
    environment = _label("--environment", args.environment)
    team = _label("--team", args.team)
    answers = scaffold.Answers(
        organization=args.organization,
        environment=environment,
        account_id=args.account_id,
        cluster=args.cluster,
        region=args.region,
        allowed_repos=tuple(args.allowed_repo),
        team=team,
        owners=tuple(args.owner),
        protect=args.protect,
    )
    folder = Path("stacks") / environment
    target: Path = args.out or (folder.with_suffix(".yaml") if args.one_file else folder)
    # The other form of the same catalog: a stack reads the folder when there is one.
    _refuse_existing(target, target.with_suffix("") if args.one_file else target.with_suffix(".yaml"))
    if args.one_file:
        text = scaffold.one_file(answers, _schema_line(target, schema.FILE_NAME))
        catalog = CatalogFiles.single(str(target), text)
        written = {str(target): text}
    else:
        texts = scaffold.folder(
            answers,
            _schema_line(target / PLATFORM_FILE, schema.PLATFORM_FILE_NAME),
            _schema_line(target / TEAMS_DIR / f"{team}.yaml", schema.TEAM_FILE_NAME),
        )
        catalog = CatalogFiles.of_folder(str(target), [Entry(path, body) for path, body in texts.items()])
        written = {str(target / path): body for path, body in texts.items()}
    try:
        _, state = state_from_files(catalog)  # it validates and renders, or nothing is written
    except CatalogError as error:
        for reason in _refusals(error):
            err(f"error: {reason}")
        err("nothing was written")
        return exits.USAGE
    try:
        if args.one_file:
            files.write_new(target, text)
        else:
            files.write_tree(target, texts)
    except OSError as error:
        raise UsageError(f"{target}: cannot write: {error.strerror or error}") from None
    out(f"wrote {' and '.join(escape(name) for name in written)}\n")
    out(f"{escape(str(target))}: {summary(state)}\n{plan.summary(state)}\n")
    out(
        f"next: python -m fleet plan {escape(str(target))} --out build/plan/{environment}; add an app "
        "(docs/team-guide.md#add-an-app); deploy (docs/operator/deploying.md)\n"
    )
    return exits.OK
