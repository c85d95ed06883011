"""`fleet status CATALOG...`: the live state of every app, read from each environment's cluster
(get and list only)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fleet.cli import exits, output
from fleet.cli.output import err
from fleet.compiler import load
from fleet.render.layers import render
from fleet.text import screen
from fleet.text.problems import UsageError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("status", help="the live state of every app, read from each environment's cluster (read-only)")
    p.add_argument(
        "files", nargs="+", type=Path, metavar="CATALOG", help="one catalog (a folder or one file) per environment"
    )
    p.add_argument("--kubeconfig", help="default: $KUBECONFIG, else ~/.kube/config")
    p.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="[ENV=]NAME",
        help="kubeconfig context; ENV=NAME per environment (repeatable). Default: the catalog's "
        "cluster.context, else the kubeconfig's current-context",
    )
    p.add_argument("--as", dest="as_user", metavar="USER", help="impersonate USER (as kubectl --as)")
    p.add_argument("--as-group", metavar="GROUP", help="impersonate GROUP (as kubectl --as-group)")
    output.add_format(
        p,
        ("text", "md", "json", "html", "openmetrics"),
        "text: for people (drawn to fit the terminal, the default there); md: pull requests and issues (the "
        "default elsewhere); json: schemas/status.v1.json; html: one self-contained page; openmetrics: for a textfile collector or a scrape",
    )
    p.add_argument(
        "--fail-on",
        action="append",
        default=[],
        choices=("degraded", "out-of-sync", "drift"),
        help="exit 1 when it holds (repeatable): degraded (Degraded or absent), out-of-sync "
        "(OutOfSync or absent), drift (platform objects missing or changed, what should not be there)",
    )
    p.set_defaults(run=run)


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


def _read(catalog: Any, state: Any, args: argparse.Namespace, contexts: dict[str, str]) -> Any:
    """One environment as its cluster shows it (get and list calls only)."""
    from fleet.io import cluster as status_reader
    from fleet.status import report as status

    target = status_reader.Target(
        kubeconfig=args.kubeconfig,
        context=contexts.get(state.environment) or catalog.cluster.context,
        as_user=args.as_user,
        as_group=args.as_group,
        # Each declared cluster through its own context (the catalog's, default its name).
        clusters=tuple((t.name, t.context or t.name) for t in catalog.targets() if t.name is not None),
    )
    try:
        observed = status_reader.read(state, target)
    except status_reader.ReadError as error:
        raise UsageError(str(error)) from None
    return status.environment(state, observed)


def run(args: argparse.Namespace) -> int:
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
    fmt = output.format_of(args)
    with screen.Progress(sys.stderr, "reading the clusters:") as shown:
        for done, (catalog, state) in enumerate(loaded):
            shown.update(done, len(loaded), state.environment)
            envs.append(_read(catalog, state, args, contexts))
    result = status.report(envs)
    if fmt == "json":
        output.json(result)
    elif fmt == "html":
        from fleet.status import html as status_html

        sys.stdout.write(status_html.page(result))
    else:
        from fleet.status import formats as status_formats

        if fmt == "openmetrics":  # its own escaping applies, like JSON's
            sys.stdout.write(status_formats.openmetrics(result))
        else:
            output.report(status_formats.markdown(result), fmt)
    reasons = status.failures(result, args.fail_on)
    for line in reasons:
        err(line)
    if reasons:
        err(f"fleet status: {len(reasons)} reason(s) to fail (--fail-on {','.join(args.fail_on)})")
    return exits.REFUSED if reasons else exits.OK
