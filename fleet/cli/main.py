"""`python -m fleet validate|plan|access|diff|audit|promote|guardrails`: offline, no credentials;
and `status`, which reads each environment's cluster (get/list only).

Exit 0 done; 1 invalid catalog (or, for `diff --fail-on warnings`, warnings; for `promote`, a
refusal; for `status --fail-on`, the condition holds); 2 usage error, unreadable file, or (status)
a cluster that cannot be read; 3 `promote` found nothing to promote.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from fleet import guardrails
from fleet.catalog.folder import CatalogFiles, read_catalog
from fleet.catalog.location import PipelineError
from fleet.catalog.models import Catalog
from fleet.compiler import load, load_state, state_from_files
from fleet.io import files, iam_cache
from fleet.render.layers import render
from fleet.render.state import FleetState
from fleet.reports import access, plan
from fleet.text import terminal
from fleet.text.problems import CatalogError, UnreadableFileError, UsageError

EXIT_INVALID = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fleet", description="Offline tools for the app-of-apps catalog.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    v = sub.add_parser("validate", help="check a catalog; print every problem at once")
    v.add_argument("file", type=Path)
    p = sub.add_parser("plan", help="render what `pulumi up` would create into a directory")
    p.add_argument("file", type=Path)
    p.add_argument(
        "--out",
        required=True,
        help="plan directory; '{environment}' is replaced by the catalog's environment "
        "(its kubernetes/, aws/, okta/ and reports are replaced, nothing else is touched)",
    )
    a = sub.add_parser("access", help="print who can do what, where")
    a.add_argument("file", type=Path)
    a.add_argument("--format", choices=("md", "json", "html"), default="md", help="html: one self-contained page")
    sub.add_parser("guardrails", help="print the guardrail table (id, what it checks, anchor)")
    d = sub.add_parser("diff", help="what changes between two catalogs, per layer and per group's access")
    d.add_argument("base", help="a catalog file, or git:REV:path (a path missing at REV is an empty fleet)")
    d.add_argument("head", help="a catalog file, or git:REV:path")
    d.add_argument("--format", choices=("md", "json"), default="md")
    d.add_argument("--fail-on", choices=("never", "warnings"), default="never", help="exit 1 when there are warnings")
    s = sub.add_parser("status", help="the live state of every app, read from each environment's cluster (read-only)")
    s.add_argument("files", nargs="+", type=Path, metavar="CATALOG", help="one catalog per environment")
    s.add_argument("--kubeconfig", help="default: $KUBECONFIG, else ~/.kube/config")
    s.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="[ENV=]NAME",
        help="kubeconfig context; ENV=NAME per environment (repeatable). Default: the catalog's "
        "cluster.context, else the kubeconfig's current-context",
    )
    s.add_argument("--as", dest="as_user", metavar="USER", help="impersonate USER (as kubectl --as)")
    s.add_argument("--as-group", metavar="GROUP", help="impersonate GROUP (as kubectl --as-group)")
    s.add_argument("--format", choices=("md", "json", "html", "openmetrics"), default="md")
    s.add_argument(
        "--fail-on",
        action="append",
        default=[],
        choices=("degraded", "out-of-sync", "drift"),
        help="exit 1 when it holds (repeatable): degraded (Degraded or absent), out-of-sync "
        "(OutOfSync or absent), drift (platform objects missing or changed, what should not be there)",
    )
    au = sub.add_parser(
        "audit",
        help="who gained or lost which access, when, by which commit, pull request and review (the catalog's Git history)",
    )
    au.add_argument(
        "file",
        help="the catalog (a file or a folder): its path now, or the path it had (renames and a split are "
        "followed); a team's file of a folder: that team's access only",
    )
    au.add_argument("--since", help="from this date or time (YYYY-MM-DD is midnight UTC)")
    au.add_argument("--until", help="up to this date or time, inclusive (YYYY-MM-DD: to the end of that day, UTC)")
    au.add_argument(
        "--as-of", help="instead: the access matrix in effect at this date or time (YYYY-MM-DD: end of day, UTC)"
    )
    au.add_argument("--ref", default="HEAD", help="the branch whose first-parent history is read (default HEAD)")
    au.add_argument("--format", choices=("md", "json", "csv"), default="md")
    from fleet.cli import promote as promote_cli

    promote_cli.add_parser(sub)

    from fleet.cli import pipeline as pipeline_cli  # the CI steps (README, "The pipeline")

    pipeline_cli.add_parser(sub)
    from fleet.cli import convert as convert_cli  # one file <-> a catalog folder

    convert_cli.add_parser(sub)
    from fleet.cli import codeowners as codeowners_cli  # .github/CODEOWNERS from the catalogs

    codeowners_cli.add_parser(sub)
    return parser


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


def _audit(args: argparse.Namespace) -> int:
    from fleet.history import audit  # only this command needs them
    from fleet.io import git as gitlog

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
    with gitlog.BlobReader(repo) as blobs:
        if moment is not None:
            report, grants = audit.as_of(changes, blobs.read, path, ref, moment, team)
            if args.format == "json":
                sys.stdout.write(report.model_dump_json(indent=2) + "\n")
            else:
                _out(audit.as_of_csv(report, grants) if args.format == "csv" else audit.as_of_markdown(report))
            return 0
        log = audit.build_log(changes, blobs.read, path, ref, since, until, team)
    if args.format == "json":
        sys.stdout.write(log.model_dump_json(indent=2) + "\n")
    else:
        _out(audit.log_csv(log) if args.format == "csv" else audit.log_markdown(log))
    return 0


class _MissingAtRevisionError(Exception):
    """git:REV:path names a path that does not exist at REV."""


def _read_side(spec: str) -> CatalogFiles:
    """A diff side: a catalog file or folder, or git:REV:path (a file or a folder at REV)."""
    if not spec.startswith("git:"):
        return read_catalog(spec)
    rev, sep, path = spec[4:].partition(":")
    if not sep or not rev or not path:
        raise UnreadableFileError(f"{spec}: expected git:REV:path, e.g. git:origin/main:stacks/dev")
    if rev.startswith("-"):  # `git ls-tree --output=…` would be an option, not a revision
        raise UnreadableFileError(f"{spec}: a revision does not start with '-'")
    from fleet.io.git import GitTree

    try:
        found = GitTree(Path(), rev).catalog(path, f"{rev}:{path}")
    except UnreadableFileError as err:
        raise UnreadableFileError(f"{spec}: cannot read at that revision: {err}") from None
    except PipelineError as err:
        raise UnreadableFileError(f"{spec}: {'; '.join(err.reasons)}") from None
    if found is None:
        raise _MissingAtRevisionError(spec)
    return found


def _diff(args: argparse.Namespace) -> int:
    sides: list[tuple[Catalog, FleetState] | None] = []
    labels: list[str] = []
    for spec in (args.base, args.head):
        try:
            files = _read_side(spec)
        except _MissingAtRevisionError:
            # A new catalog in this pull request; also what a mistyped path looks like.
            _err(f"note: {spec} does not exist: diffing against an empty fleet")
            sides.append(None)
            labels.append(f"{spec} (absent)")
            continue
        except OSError as err:
            raise UnreadableFileError(f"{spec}: cannot read: {err.strerror or err}") from err
        sides.append(state_from_files(files))
        labels.append(files.label)
    if sides[0] is None and sides[1] is None:
        raise UnreadableFileError(f"{args.base} and {args.head}: neither side exists")
    from fleet.reports import diff  # only this command needs it

    result = diff.compute(sides[0], sides[1], labels[0], labels[1])
    if args.format == "json":
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        _out(diff.markdown(result))
    return EXIT_INVALID if args.fail_on == "warnings" and result.warnings else 0


def _out(text: str) -> None:
    """Human-readable output: whatever a catalog smuggled in is escaped, never interpreted by
    the terminal (JSON and HTML are written as they are: their own encodings apply)."""
    sys.stdout.write(terminal.escape(text, multiline=True))


def _err(line: str) -> None:
    print(terminal.escape(line), file=sys.stderr)


def _contexts(values: list[str], environments: list[str]) -> dict[str, str]:
    """--context NAME (one catalog) or ENV=NAME (any number)."""
    out: dict[str, str] = {}
    for value in values:
        env, sep, name = value.partition("=")
        if not sep:
            if len(environments) != 1:
                raise UsageError(f"--context {value}: with several catalogs, say which: --context ENV={value}")
            env, name = environments[0], value
        if env not in environments or not name:
            raise UsageError(f"--context {value}: no catalog for environment {env!r}")
        out[env] = name
    return out


def _status(args: argparse.Namespace) -> int:
    from fleet.io import cluster as status_reader
    from fleet.status import report as status  # only this command needs the Kubernetes client

    # Validated (every catalog rule and guardrail), then rendered; the rendered resources are
    # not judged again as for `plan` and `pulumi up`: status deploys nothing (half its time).
    catalogs = [load(path) for path in args.files]
    loaded = [(catalog, render(catalog)) for catalog in catalogs]
    environments = [state.environment for _, state in loaded]
    twice = sorted({e for e in environments if environments.count(e) > 1})
    if twice:
        raise UsageError(f"environment {', '.join(twice)} is given by more than one catalog")
    contexts = _contexts(args.context, environments)
    envs = []
    for catalog, state in loaded:
        target = status_reader.Target(
            kubeconfig=args.kubeconfig,
            context=contexts.get(state.environment) or catalog.cluster.context,
            as_user=args.as_user,
            as_group=args.as_group,
        )
        try:
            observed = status_reader.read(state, target)
        except status_reader.ReadError as err:
            _err(f"error: {err}")
            return EXIT_USAGE
        envs.append(status.environment(state, observed))
    result = status.report(envs)
    if args.format == "json":
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    elif args.format == "html":
        from fleet.status import html as status_html

        sys.stdout.write(status_html.page(result))
    else:
        from fleet.status import formats as status_formats

        if args.format == "openmetrics":  # its own escaping applies, like JSON's
            sys.stdout.write(status_formats.openmetrics(result))
        else:
            _out(status_formats.markdown(result))
    reasons = status.failures(result, args.fail_on)
    for line in reasons:
        _err(line)
    if reasons:
        _err(f"fleet status: {len(reasons)} reason(s) to fail (--fail-on {','.join(args.fail_on)})")
    return EXIT_INVALID if reasons else 0


def _validate(state: FleetState) -> str:
    namespaces = sum(len(t.namespaces) for t in state.teams)
    apps = sum(len(t.apps) for t in state.teams)
    roles = len(list(state.roles()))
    return f"valid: {len(state.teams)} teams, {apps} apps, {namespaces} namespaces, {roles} IAM roles"


def _md(text: str) -> str:
    return text.replace("*", "\\*").replace("<", "&lt;").replace(">", "&gt;")


def guardrail_table() -> str:
    lines = ["| rule id | checks | where | anchor |", "|---|---|---|---|"]
    for rule in guardrails.RESOURCE_RULES:
        # A Kubernetes kind (`/*:`) covers every API version and its Patch and List resources.
        kinds = ", ".join(sorted({t.rsplit(":", 1)[-1] + ("\\*" if "/*:" in t else "") for t in rule.types}))
        lines.append(f"| `{rule.id}` | {_md(rule.rationale)} | {kinds} | {_md(rule.anchor)} |")
    for stack_rule in guardrails.STACK_RULES:
        lines.append(
            f"| `{stack_rule.id}` | {_md(stack_rule.rationale)} | the whole stack | {_md(stack_rule.anchor)} |"
        )
    for rule in guardrails.CATALOG_RULES:
        lines.append(f"| `{rule.id}` | {_md(rule.rationale)} | the catalog | {_md(rule.anchor)} |")
    return "\n".join(lines) + "\n"


def run(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "pipeline":
        from fleet.cli import pipeline as pipeline_cli

        return pipeline_cli.run(args)
    if args.command == "guardrails":
        sys.stdout.write(guardrail_table())
        return 0
    try:
        if args.command == "diff":
            return _diff(args)
        if args.command == "status":
            return _status(args)
        if args.command == "audit":
            return _audit(args)
        if args.command == "promote":
            from fleet.cli import promote as promote_cli

            return promote_cli.run(args)
        if args.command in ("split", "join"):
            from fleet.cli import convert as convert_cli

            return convert_cli.run(args)
        if args.command == "codeowners":
            from fleet.cli import codeowners as codeowners_cli

            return codeowners_cli.run(args)
        _, state = load_state(args.file)
    except (UnreadableFileError, UsageError) as err:
        _err(f"error: {err}")
        return EXIT_USAGE
    except CatalogError as err:
        for line in err.lines():
            _err(line)
        _err(f"{err.source}: {len(err.problems)} problem(s); nothing was written")
        return EXIT_INVALID
    if args.command == "validate":
        _out(f"{args.file}: {_validate(state)}\n")
    elif args.command == "plan":
        out = Path(args.out.replace("{environment}", state.environment))
        try:
            written = files.write(state, out)
        except files.UnsafeOutputError as err:
            _err(f"error: {err}")
            return EXIT_USAGE
        except OSError as err:
            _err(f"error: --out {out}: {err.strerror or err}; the previous plan, if any, is unchanged")
            return EXIT_USAGE
        _out(f"{plan.summary(state)}\nwrote {len(written)} files to {out}\n")
    else:
        data = access.matrix(state)
        if args.format == "html":
            from fleet.reports import access_html, graph

            sys.stdout.write(access_html.page(state, data, graph.mermaid(state)))
        elif args.format == "json":
            sys.stdout.write(plan.to_json(data))
        else:
            _out(access.markdown(data))
    return 0


def main() -> None:
    # A short-lived process that builds large, acyclic structures: the cyclic collector would
    # only re-scan them, again and again as they grow (validate at 5,000 apps: 4.6 s -> 2.1 s,
    # peak memory the same; benchmarks/RESULTS.md).
    gc.disable()
    iam_cache.install()
    sys.exit(run())
