"""`python -m fleet pipeline …`: the steps the workflows run, always from the base branch's code.

Exit (`fleet.cli.exits`) 0 done; 1 refused (an invalid head catalog, a catalog outside stacks/, a symbolic link);
2 usage error or unreadable input (a revision git does not have).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from fleet.cli import exits, output
from fleet.pipeline import gate
from fleet.pipeline import steps as pipeline
from fleet.text import terminal
from fleet.text.problems import CatalogError, UnreadableFileError


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "pipeline", help="the CI steps: review, matrix, overlay, stacks, stack-file, preview-config, comments, engine"
    )
    steps = p.add_subparsers(dest="step", required=True, metavar="STEP")
    r = steps.add_parser("review", help="classify a pull request and write the review comment")
    r.add_argument("--repo", type=Path, default=Path(), help="a clone holding both revisions (read as git objects)")
    r.add_argument("--base", required=True, help="the base revision (the target branch's commit)")
    r.add_argument("--head", required=True, help="the head revision (the pull request's commit)")
    r.add_argument("--out", type=Path, required=True, help="the comment, Markdown")
    r.add_argument(
        "--github-output",
        type=Path,
        help="append catalog_only, warnings, invalid, and the plan: stacks, removed, any, matrix, platform_E, teams_E, any_E",
    )
    o = steps.add_parser("overlay", help="replace stacks/ here with the head's catalogs (regular files only)")
    o.add_argument("--repo", type=Path, required=True, help="a clone holding the head revision")
    o.add_argument("--head", required=True, help="the head revision whose stacks/ is laid over")
    o.add_argument("--into", type=Path, default=Path(), help="the checkout whose stacks/ is replaced")
    s = steps.add_parser("stacks", help="the stacks of this checkout, one a line (from Pulumi.<stack>.yaml)")
    s.add_argument("--repo", type=Path, default=Path(), help="the checkout whose Pulumi.<stack>.yaml files are read")
    x = steps.add_parser(
        "matrix", help="the stacks a run covers, as JSON and as the CI matrix (fleet.pipeline.affected)"
    )
    x.add_argument("--repo", type=Path, default=Path(), help="a clone holding both revisions (read as git objects)")
    x.add_argument("--head", default="HEAD", help="the revision that runs (default HEAD)")
    x.add_argument(
        "--base",
        help="the revision before the change (a push's `before`): only the stacks the change affects; "
        "without it, or when it is not an ancestor of --head (all zeros, history rewritten), every stack",
    )
    x.add_argument(
        "--environments",
        default="",
        help="comma-separated environments that get platform_E/teams_E/any_E outputs even when nothing of theirs runs",
    )
    x.add_argument("--github-output", type=Path, help="append stacks, matrix, platform_E, teams_E and any_E here")
    e = steps.add_parser(
        "engine",
        help="the same stacks on another engine: Pulumi Deployments settings or Kubernetes Operator Stack objects",
    )
    e.add_argument("engine", choices=("deployments", "operator"), help="which engine")
    e.add_argument("environment", help="the environment: its Pulumi.<env>.yaml and catalog are read")
    e.add_argument("--repo", type=Path, default=Path(), help="the checkout whose HEAD is read (as git objects)")
    e.add_argument("--branch", default="main", help="the branch the engine deploys (default main)")
    e.add_argument("--repository", help="deployments: the GitHub repository, OWNER/NAME")
    e.add_argument("--organization", help="operator: the Pulumi organization of the stacks")
    e.add_argument("--repo-url", help="operator: the repository's clone URL (spec.projectRepo)")
    e.add_argument("--namespace", help="operator: the namespace of the environment's Stack objects")
    e.add_argument("--service-account", help="operator: the ServiceAccount the stacks' workspaces run as")
    e.add_argument("--token-secret", help="operator: the Secret whose key accessToken holds the Pulumi access token")
    w = steps.add_parser("catalog", help="the catalog (a file or a folder) STACK deploys, from its Pulumi.<stack>.yaml")
    w.add_argument("stack", help="the stack: Pulumi.<stack>.yaml is read")
    w.add_argument("--repo", type=Path, default=Path(), help="the checkout whose Pulumi.<stack>.yaml is read")
    f = steps.add_parser(
        "stack-file",
        help="the stack file STACK takes its config from: Pulumi.<env>.yaml, the reviewed file of its environment",
    )
    f.add_argument("stack", help="a stack: dev, dev.platform, dev.<team>")
    c = steps.add_parser("preview-config", help="the read-only stack file for `pulumi preview --config-file`")
    c.add_argument("stack", help="the stack: its stack file (see stack-file) is read")
    c.add_argument("--out", type=Path, required=True, help="the read-only stack file to write")
    m = steps.add_parser("preview-comment", help="the preview comment from LOGDIR/<stack>.log and .outcome")
    m.add_argument("logdir", type=Path, help="holds <stack>.log and <stack>.outcome of each preview")
    m.add_argument(
        "--mode",
        choices=("catalog", "code"),
        required=True,
        help="catalog: main's code with the head's catalogs; code: the head's code, after approval",
    )
    m.add_argument("--run-url", required=True, help="the workflow run the comment links to")
    m.add_argument("--github-output", type=Path, required=True, help="append comment=<JSON string> here")
    k = steps.add_parser("preview-role", help="the read-only ClusterRole (and binding) of the preview identity, YAML")
    k.add_argument("files", type=Path, nargs="+", help="every catalog the cluster serves")
    g = steps.add_parser("gate", help="accept the review's warnings only as a maintainer accepted this head, read live")
    g.add_argument("--reviewed", required=True, help="the head commit the review judged")
    g.add_argument("--warnings", type=int, required=True, help="how many warnings the review found")
    g.add_argument(
        "--state", type=Path, required=True, help="the pull request's live state, JSON (see fleet.pipeline.gate)"
    )
    d = steps.add_parser("drift-issues", help="an issue body for every stack whose LOGDIR/<stack>.outcome is a failure")
    d.add_argument("logdir", type=Path, help="holds <stack>.log and <stack>.outcome of each drift check")
    d.add_argument("--run-url", required=True, help="the workflow run the issues link to")
    d.add_argument("--github-output", type=Path, required=True, help="append issues=<JSON: stack -> body> here")
    p.set_defaults(run=run)


def _append(path: Path, values: dict[str, object]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(pipeline.github_outputs(values))


def _results(logdir: Path) -> dict[str, tuple[str, str]]:
    """stack -> (outcome, log) from LOGDIR/<stack>.log and .outcome (written by .github/scripts/preview.sh)."""
    out = {}
    for log in sorted(logdir.glob("*.log")):
        outcome_file = log.with_suffix(".outcome")
        outcome = outcome_file.read_text(encoding="utf-8").strip() if outcome_file.exists() else "did not finish"
        out[log.stem] = (outcome, log.read_text(encoding="utf-8", errors="replace"))
    return out


def _stack_file(stack: str) -> str:
    try:
        return pipeline.stack_file_of(stack)
    except ValueError as err:
        raise pipeline.PipelineError([str(err)]) from err


def _engine(args: argparse.Namespace) -> None:
    from fleet.pipeline import engines

    tree = pipeline.GitTree(args.repo, "HEAD")
    environments = pipeline.environments(tree)
    if args.environment not in environments:
        raise pipeline.PipelineError(
            [f"no environment {args.environment!r}: there is no Pulumi.{args.environment}.yaml at HEAD"]
        )
    environment = environments[args.environment]
    needed = (
        ("repository",)
        if args.engine == "deployments"
        else ("organization", "repo_url", "namespace", "service_account", "token_secret")
    )
    missing = [f"--{name.replace('_', '-')}" for name in needed if not getattr(args, name)]
    if missing:
        raise UnreadableFileError(f"pipeline engine {args.engine}: give {', '.join(missing)}")
    if args.engine == "deployments":
        settings = {
            stack: engines.deployment_settings(stack, environments, args.repository, args.branch)
            for stack in environment.stacks()
        }
        print(json.dumps(settings, indent=2))
        return
    stack_settings = yaml.safe_load(tree.read(f"Pulumi.{args.environment}.yaml") or "") or {}
    objects = engines.operator_stacks(
        environment,
        stack_settings,
        organization=args.organization,
        repo_url=args.repo_url,
        branch=args.branch,
        namespace=args.namespace,
        service_account=args.service_account,
        token_secret=args.token_secret,
    )
    sys.stdout.write(yaml.safe_dump_all(objects, sort_keys=False))


def _run(args: argparse.Namespace) -> int:
    if args.step == "review":
        result = pipeline.review(args.repo, args.base, args.head)
        args.out.write_text(result.markdown, encoding="utf-8")
        if args.github_output:
            _append(
                args.github_output,
                {
                    "catalog_only": result.classification.catalog_only,
                    "warnings": result.warnings,
                    "invalid": list(result.invalid),
                    **result.plan.outputs(),
                },
            )
        kind = "catalogs only" if result.classification.catalog_only else "changes more than catalogs"
        output.out(
            f"review: {kind}; stacks changed: {', '.join(result.plan.stacks) or 'none'}; {result.warnings} warning(s); "
            f"invalid: {', '.join(result.invalid) or 'none'}\n"
        )
        return exits.REFUSED if result.invalid else exits.OK
    if args.step == "overlay":
        written = pipeline.overlay(args.repo, args.head, args.into)
        print(terminal.escape(f"overlay: {len(written)} catalog(s) from {args.head[:12]}: {', '.join(written)}"))
    elif args.step == "matrix":
        plan = pipeline.run_plan(args.repo, args.head, args.base or None)
        outputs = plan.outputs([e for e in args.environments.split(",") if e])
        if args.github_output:
            _append(args.github_output, outputs)
        print(json.dumps(outputs, indent=2))
    elif args.step == "stacks":
        for stack in sorted(pipeline.stack_catalogs(pipeline.GitTree(args.repo, "HEAD"))):
            print(terminal.escape(stack))
    elif args.step == "catalog":
        catalogs = pipeline.stack_catalogs(pipeline.GitTree(args.repo, "HEAD"))
        if args.stack not in catalogs:
            raise pipeline.PipelineError([f"no stack {args.stack!r}: there is no Pulumi.{args.stack}.yaml"])
        print(terminal.escape(catalogs[args.stack]))
    elif args.step == "engine":
        _engine(args)
    elif args.step == "stack-file":
        print(terminal.escape(_stack_file(args.stack)))
    elif args.step == "preview-config":
        source = _stack_file(args.stack)
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as err:
            raise UnreadableFileError(f"{source}: cannot read: {err.strerror or err}") from err
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(pipeline.preview_config(text, args.stack, source), encoding="utf-8")
    elif args.step == "preview-role":
        from fleet.compiler import load_state
        from fleet.render.resources import desired_resources

        types = {r.type for path in args.files for r in desired_resources(load_state(path)[1])}
        sys.stdout.write(yaml.safe_dump_all(pipeline.preview_cluster_role(types), sort_keys=False))
    elif args.step == "gate":
        try:
            state = json.loads(args.state.read_text(encoding="utf-8"))
        except ValueError as err:
            raise UnreadableFileError(f"{args.state}: not JSON: {err}") from err
        decision = gate.decide(args.reviewed, args.warnings, state if isinstance(state, dict) else {})
        print(terminal.escape(decision.reason))
        return exits.OK if decision.accepted else exits.REFUSED
    elif args.step == "preview-comment":
        results = _results(args.logdir)
        _append(args.github_output, {"comment": pipeline.preview_comment(results, args.mode, args.run_url)})
    else:
        drifted = {
            stack: pipeline.drift_issue(stack, log, args.run_url)
            for stack, (outcome, log) in _results(args.logdir).items()
            if outcome != pipeline.NO_ERROR
        }
        _append(args.github_output, {"issues": drifted})
        print(f"drift: {', '.join(sorted(drifted)) or 'none'}")
    return exits.OK


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except pipeline.PipelineError as err:
        for reason in err.reasons:
            output.err(f"refused: {reason}")  # a reason may quote a catalog or a commit: escaped
        return exits.REFUSED
    except CatalogError as err:
        for line in err.lines():
            output.err(line)
        return exits.REFUSED
    except (UnreadableFileError, OSError) as err:
        output.err(f"error: {err}")
        return exits.USAGE
