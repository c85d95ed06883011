"""The pull-request pipeline's decisions, taken by the base branch's code about the head's files.

A pull request's own code never runs with credentials (docs/operator/pipeline.md): the base's
`fleet` decides whether the pull request changes only catalogs, reviews the head's catalogs,
and lays them over the base's code for the credentialed preview. It reads the head through git
objects (`git ls-tree`, `git cat-file`), never through a checkout, so nothing of the head runs
and a symbolic link is seen as one (and refused), never followed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml

from fleet.apis import kubernetes
from fleet.apis.kubernetes import RBAC, READ_VERBS
from fleet.apis.pulumi_types import kubernetes_kind
from fleet.catalog.folder import TEAM_SUFFIX, TEAMS_DIR
from fleet.catalog.location import (
    PROJECT_FILE,
    RULE_REGULAR_FILE,
    STACKS_DIR,
    PipelineError,
    catalog_file_reasons,
    catalog_path,
    configured_catalog,
    generated_stack_file_reason,
    stack_file,
)
from fleet.catalog.naming import (
    K8S_MANAGED_BY,
    MANAGED_BY,
    PREVIEW_IDENTITY,
    PREVIEW_KUBERNETES_GROUP,
    esc_environment,
    esc_preview_environment,
    platform_stack,
    stack_scope,
)
from fleet.io import git
from fleet.io.git import REGULAR_MODES, TREE_MODE, GitTree
from fleet.pipeline.affected import (
    ABSENT_MODE,
    STACK_FILE,
    Environment,
    FileChange,
    Plan,
    affected_stacks,
    every_stack,
    is_team_name,
    rendered_stacks,
)
from fleet.text import markdown as md
from fleet.text.problems import CatalogError, UnreadableFileError

if TYPE_CHECKING:
    from fleet.render.state import FleetState

REVIEW_MARKER = "<!-- app-of-apps-review -->"
PREVIEW_MARKER = "<!-- app-of-apps-preview -->"
DRIFT_MARKER = "<!-- app-of-apps-drift -->"
# The GitHub environment whose required reviewers approve a preview of anything but catalogs.
APPROVAL_ENVIRONMENT = "preview"

_ABSENT = ABSENT_MODE

Category = Literal["catalog", "stack-config", "workflow", "policies", "code"]
# What the top of the comment says about each kind of file a pull request changes.
CALLOUTS: dict[Category, str] = {
    "stack-config": "Pulumi project or stack configuration (which catalog and which ESC environment a stack uses)",
    "workflow": "the CI/CD workflows and repository automation (.github/)",
    "policies": "the guardrail policy pack (policies/)",
    "code": "the program, its tools or anything else outside stacks/",
}


# --- where a catalog may live ----------------------------------------------------------------


# --- reading a revision through git objects --------------------------------------------------


# --- which stacks, which catalogs ------------------------------------------------------------


def stack_catalogs(tree: GitTree) -> dict[str, str]:
    """stack -> catalog path, from every Pulumi.<stack>.yaml of the revision (the file a stack
    really deploys, not a glob of stacks/). Every refusal at once; a platform or team stack's
    file (`Pulumi.dev.payments.yaml`) in the revision is one (`pipeline-generated-stack-file`)."""
    out: dict[str, str] = {}
    reasons: list[str] = []
    project: object = {}
    try:
        project = yaml.safe_load(tree.read(PROJECT_FILE) or "") or {}
    except PipelineError as err:
        reasons += err.reasons
    except yaml.YAMLError as err:
        reasons.append(f"{PROJECT_FILE}: not YAML: {err}")
    for entry in tree.entries():
        match = STACK_FILE.fullmatch(entry.path)
        if not match:
            continue
        generated = generated_stack_file_reason(entry.path)
        if generated is not None:
            reasons.append(generated)
            continue
        stack = match.group(1)
        try:
            text = tree.read(entry.path) or ""
            data = yaml.safe_load(text) or {}
        except PipelineError as err:
            reasons += err.reasons
            continue
        except yaml.YAMLError as err:
            reasons.append(f"{entry.path}: not YAML: {err}")
            continue
        try:
            # The stack file, then the project's config (Pulumi.yaml), as Pulumi resolves it.
            value = configured_catalog(data, project, stack)
            out[stack] = catalog_path(
                value,
                stack,
                lambda path: any(e.path == path and e.mode == TREE_MODE for e in tree.entries(path)),
            )
        except PipelineError as err:
            reasons += [f"{entry.path}: {r}" for r in err.reasons]
    if reasons:
        raise PipelineError(reasons)
    return out


def environments(tree: GitTree, catalogs: Mapping[str, str] | None = None) -> dict[str, Environment]:
    """The environments of a revision: each stack file's environment (`Pulumi.dev.yaml` and any
    `Pulumi.dev.<x>.yaml` name dev) with the catalog it names and, for a folder, the teams whose
    files it holds (regular files with a valid team name; the catalog refuses the others)."""
    catalogs = stack_catalogs(tree) if catalogs is None else catalogs
    out: dict[str, Environment] = {}
    for stack, catalog in sorted(catalogs.items(), key=lambda item: ("." in item[0], item[0])):
        try:
            name = stack_scope(stack).environment
        except ValueError:
            continue
        if name in out:
            continue
        teams: set[str] = set()
        if not catalog.endswith(".yaml"):
            for entry in tree.entries(f"{catalog}/{TEAMS_DIR}/"):
                file = entry.path.rsplit("/", 1)[-1]
                if (
                    entry.mode in REGULAR_MODES
                    and file.endswith(TEAM_SUFFIX)
                    and is_team_name(file[: -len(TEAM_SUFFIX)])
                ):
                    teams.add(file[: -len(TEAM_SUFFIX)])
        out[name] = Environment(name, catalog, frozenset(teams))
    return out


# --- what a pull request changes -------------------------------------------------------------


def categorize(change: FileChange) -> Category:
    path = change.path
    if path.startswith(".github/"):
        return "workflow"
    if path.startswith("policies/"):
        return "policies"
    if path == "Pulumi.yaml" or STACK_FILE.fullmatch(path):
        return "stack-config"
    regular = {change.old_mode, change.new_mode} <= REGULAR_MODES | {_ABSENT}
    if regular and not catalog_file_reasons(path):
        return "catalog"
    return "code"


def changed_files(repo: Path, base: str, head: str) -> list[FileChange]:
    """What the pull request changes: from the merge base to the head, renames as delete+add."""
    return _raw_changes(git.run(repo, "diff", "--raw", "-z", "--no-renames", "--no-abbrev", f"{base}...{head}"))


def changed_since(repo: Path, rev: str) -> list[FileChange]:
    """What changed from `rev` to the working tree of `repo` (committed or not, and the files Git
    does not track yet), paths relative to `repo`, renames as delete+add: what `python -m fleet
    up --changed-since REV` deploys."""
    changes = _raw_changes(git.run(repo, "diff", "--raw", "-z", "--no-renames", "--no-abbrev", "--relative", rev, "--"))
    for path in git.run(repo, "ls-files", "--others", "--exclude-standard", "-z").split(b"\0"):
        if path:
            name = path.decode("utf-8", errors="replace")
            mode = "120000" if (repo / name).is_symlink() else "100644"
            changes.append(FileChange("A", _ABSENT, mode, name))
    return changes


def _raw_changes(raw: bytes) -> list[FileChange]:
    fields = raw.split(b"\0")
    out = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if not meta:
            continue
        old_mode, new_mode, _old, _new, status = meta.decode().lstrip(":").split(" ")
        out.append(FileChange(status, old_mode, new_mode, path.decode("utf-8", errors="replace")))
    return out


@dataclass(frozen=True)
class Classification:
    changes: tuple[FileChange, ...]

    @property
    def by_category(self) -> dict[Category, list[str]]:
        out: dict[Category, list[str]] = {}
        for change in self.changes:
            out.setdefault(categorize(change), []).append(change.path)
        return out

    @property
    def catalog_only(self) -> bool:
        """True when the base's code with the head's stacks/ previews exactly this change."""
        return set(self.by_category) <= {"catalog"}


def _state(tree: GitTree | git.WorkingTree, catalog: str) -> FleetState | None:
    """The environment `catalog` renders at this revision (a working tree: as on the disk)."""
    from fleet.compiler import load_state, state_from_files  # only when a catalog changed

    if isinstance(tree, git.WorkingTree):
        path = tree.repo / catalog
        return load_state(path)[1] if path.exists() else None
    files = tree.catalog(catalog)
    return state_from_files(files)[1] if files is not None else None


def _rendered(
    name: str, base_tree: GitTree, head_tree: GitTree | git.WorkingTree, before: Environment | None, after: Environment
) -> list[str]:
    """The stacks of folder environment `name` whose render changed from base to head
    (fleet.pipeline.affected.rendered_stacks); the platform stack when either side cannot be
    rendered (a team file changed alone changes no other team's part, and the platform's at most:
    the platform stack, which runs first, is all it can add)."""
    try:
        old = _state(base_tree, before.catalog) if before is not None and before.folder else None
        new = _state(head_tree, after.catalog)
    except (CatalogError, PipelineError, UnreadableFileError):
        return [platform_stack(name)]
    if old is None or new is None or not old.environment == new.environment == name:
        # A catalog of another environment than its stack file's: its deploy is refused, and the
        # stacks named for it here are not those it renders.
        return [platform_stack(name)]
    return rendered_stacks(old, new)


def affected(
    changes: Sequence[FileChange],
    base_tree: GitTree,
    head_tree: GitTree | git.WorkingTree,
    base: Mapping[str, Environment],
    head: Mapping[str, Environment],
) -> dict[str, list[str]]:
    """stack -> the changed files that affect it, deploy order: the files' own stacks
    (fleet.pipeline.affected.affected_stacks) and, in each folder environment where they run
    team stacks only, the stacks whose render those files change (a new or removed team changes
    the platform stack's `platform` output, which names the teams)."""
    by_file = affected_stacks(changes, base, head)
    rendered = {
        name: _rendered(name, base_tree, head_tree, base.get(name), environment)
        for name, environment in head.items()
        if environment.folder
        and platform_stack(name) not in by_file
        and any(stack_scope(s).environment == name for s in by_file)
    }
    return affected_stacks(changes, base, head, rendered) if rendered else by_file


# --- the review comment ----------------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    markdown: str
    warnings: int
    invalid: tuple[str, ...]  # stacks whose head catalog is invalid; "(pipeline)" for a refusal
    classification: Classification
    plan: Plan  # the stacks this pull request changes that its preview runs (fleet.pipeline.affected)


def _callouts(classification: Classification) -> list[str]:
    categories = classification.by_category
    if classification.catalog_only:
        return [
            "**Catalogs only.** The credentialed `pulumi preview` runs the base branch's code with "
            "this pull request's `stacks/` laid over it; none of this pull request's code runs with credentials.",
            "",
        ]
    lines = [
        "> [!CAUTION]",
        "> **This pull request changes more than catalogs.** Its `pulumi preview` runs its own code, so it "
        f"waits for a maintainer's approval in the `{APPROVAL_ENVIRONMENT}` GitHub environment. Review these first:",
    ]
    for category, what in CALLOUTS.items():
        paths = categories.get(category, [])
        if paths:
            shown = ", ".join(md.code(p) for p in paths[:20]) + (
                f" and {len(paths) - 20} more" if len(paths) > 20 else ""
            )
            lines.append(f"> - **{what}**: {shown}")
    return [*lines, ""]


def review(repo: Path, base: str, head: str) -> Review:
    """The comment: call-outs first, then `fleet diff` of every stack's catalog, base → head,
    each stack's catalog found through its Pulumi.<stack>.yaml on that side."""
    from fleet.compiler import state_from_files
    from fleet.reports import diff  # the review is the only caller that needs it

    classification = Classification(tuple(changed_files(repo, base, head)))
    base_tree, head_tree = GitTree(repo, base), GitTree(repo, head)
    lines = [REVIEW_MARKER, "## app-of-apps review", "", *_callouts(classification)]
    reasons: list[str] = []
    sides: list[dict[str, str]] = []
    for tree in (base_tree, head_tree):
        try:
            sides.append(stack_catalogs(tree))
        except PipelineError as err:
            reasons += [f"{tree.rev[:12]}: {r}" for r in err.reasons]
            sides.append({})
    base_stacks, head_stacks = sides
    head_environments = environments(head_tree, head_stacks)
    changed = affected(
        classification.changes, base_tree, head_tree, environments(base_tree, base_stacks), head_environments
    )
    plan = Plan.of(changed, head_environments)
    if changed:
        lines += ["Stacks this pull request changes (each previewed in a job of its own), and through which files:", ""]
        for stack, paths in changed.items():
            more = f" and {len(paths) - 20} more" if len(paths) > 20 else ""
            gone = (
                " (no longer at the head: not previewed or deployed; its resources stay until destroyed on purpose)"
                if stack in plan.removed
                else ""
            )
            lines.append(f"- {md.code(stack)}{gone}: {', '.join(md.code(p) for p in paths[:20])}{more}")
        lines.append("")
    warnings = 0
    invalid: list[str] = []
    for stack in sorted(set(base_stacks) | set(head_stacks)):
        loaded = []
        for tree, stacks in ((base_tree, base_stacks), (head_tree, head_stacks)):
            path = stacks.get(stack)
            label = f"{tree.rev[:12]}:{path}" if path else f"{tree.rev[:12]}: no stack {stack}"
            try:
                found = tree.catalog(path, label) if path else None
                if path and found is None and tree is head_tree:
                    # `pulumi up` would stop on it: say so here, not after the merge.
                    invalid.append(stack)
                    reasons.append(f"Pulumi.{stack}.yaml names {path}, which does not exist at {tree.rev[:12]}")
                loaded.append((state_from_files(found) if found is not None else None, label))
            except CatalogError as err:
                if tree is head_tree:
                    invalid.append(stack)
                lines += [
                    f"#### Stack {md.code(stack)}: {md.code(label)} is invalid",
                    "",
                    md.fenced("\n".join(err.lines())),
                    "",
                ]
                loaded.append((None, label))
            except (PipelineError, UnreadableFileError) as err:
                reasons += err.reasons if isinstance(err, PipelineError) else [str(err)]
                loaded.append((None, label))
        (old, old_label), (new, new_label) = loaded
        if old is None and new is None:
            continue
        result = diff.compute(old, new, old_label, new_label)
        warnings += len(result.warnings)
        lines.append(diff.markdown(result))
    if reasons:
        invalid.append("(pipeline)")
        lines += ["#### Refused", "", *[f"- {md.text(r)}" for r in reasons], ""]
    return Review("\n".join(lines).rstrip("\n") + "\n", warnings, tuple(invalid), classification, plan)


def _ancestor(repo: Path, base: str, head: str) -> bool:
    """Whether `base` is an ancestor of `head` (a push that rewrote history, or a base this clone
    does not have, is not: then every stack runs)."""
    if set(base) <= {"0"}:
        return False
    try:
        git.run(repo, "merge-base", "--is-ancestor", base, head)
    except git.GitError:
        return False
    return True


def run_plan(repo: Path, head: str, base: str | None = None) -> Plan:
    """The stacks a run deploys, refreshes or previews: those the change base..head affects, or
    every stack of `head` when there is no base (a first push, a manual run, the drift check).
    Both revisions are read as git objects by this (the base branch's) code."""
    head_tree = GitTree(repo, head)
    head_environments = environments(head_tree)
    if base is None or not _ancestor(repo, base, head):
        return Plan(tuple(every_stack(head_environments)))
    changes = changed_files(repo, base, head)
    base_tree = GitTree(repo, base)
    return Plan.of(
        affected(changes, base_tree, head_tree, environments(base_tree), head_environments), head_environments
    )


# --- the credentialed jobs' inputs -----------------------------------------------------------


def overlay(repo: Path, head: str, into: Path) -> list[str]:
    """Replace every catalog under `into`/stacks with the head's (regular files only)."""
    tree = GitTree(repo, head)
    entries = [e for e in tree.entries(STACKS_DIR, recursive=True) if not catalog_file_reasons(e.path)]
    bad = [e for e in entries if e.mode not in REGULAR_MODES]
    if bad:
        raise PipelineError(f"{e.path}: is not a regular file (git mode {e.mode}) [{RULE_REGULAR_FILE}]" for e in bad)
    stacks = into / STACKS_DIR
    for old in stacks.rglob("*.yaml") if stacks.exists() else []:
        old.unlink()
    written = []
    for entry in entries:
        target = into / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(tree.read(entry.path) or "", encoding="utf-8")
        written.append(entry.path)
    return written


def stack_file_of(stack: str) -> str:
    """The stack file a stack takes its configuration from: its own `Pulumi.<stack>.yaml` for a
    stack named like its environment; for a platform or team stack (`dev.payments`) its
    environment's reviewed `Pulumi.<env>.yaml`, even when a `Pulumi.dev.payments.yaml` is there
    (`pipeline-generated-stack-file`: such a file is never reviewed). ValueError for a name that
    is no stack of ours."""
    scope = stack_scope(stack)
    if scope.kind != "environment":  # never a file of its own: written, not reviewed
        return stack_file(scope.environment)
    return stack_file(stack)


def preview_config(stack_file_text: str, stack: str, source: str | None = None) -> str:
    """The stack file for a read-only run (`pulumi preview --config-file`): the same config, but
    importing the read-only ESC environment of the stack's environment instead of the deployer's.
    `source`: the stack file it was read from (default Pulumi.<stack>.yaml)."""
    source = source or stack_file(stack)
    environment = stack_scope(stack).environment
    data = yaml.safe_load(stack_file_text) or {}
    imports = data.get("environment")
    if imports != [esc_environment(environment)]:
        raise PipelineError(
            [
                f"{source}: environment must import exactly [{esc_environment(environment)}], "
                f"not {imports!r} [pipeline-esc-environment]"
            ]
        )
    data["environment"] = [esc_preview_environment(environment)]
    header = f"# Generated from {source} for a read-only run of {stack}: only the ESC environment differs.\n"
    return header + yaml.safe_dump(data, sort_keys=False)


# --- the read-only Kubernetes identity of previews -------------------------------------------


def _api_resource(resource_type: str) -> tuple[str, str] | None:
    """'kubernetes:rbac.authorization.k8s.io/v1:RoleBinding' -> ('rbac.authorization.k8s.io', 'rolebindings');
    a Patch or List type reads its kind ('kubernetes:core/v1:ConfigMapPatch' -> ('', 'configmaps'))."""
    found = kubernetes_kind(resource_type)
    if found is None:
        return None
    group, name, _variant = found
    kind = kubernetes.kind(group, name)
    return kind.group, kind.plural


SECRETS = ("", "secrets")


def preview_cluster_role(resource_types: Iterable[str]) -> list[dict[str, object]]:
    """A ClusterRole that reads (get, list, watch) exactly the kinds the program manages, and its
    binding to the preview identity's group. pulumi-kubernetes previews with a server-side
    dry-run when it may patch and falls back to a client-side diff when it may not."""
    by_group: dict[str, set[str]] = {}
    for resource_type in resource_types:
        found = _api_resource(resource_type)
        # Never Secrets, although the program manages Argo CD's cluster Secrets: a ClusterRole
        # reading them would read every Secret of every namespace. Those few (no credential in
        # them) are diffed against the stack's state, never read live, by the preview identity.
        if found and found != SECRETS:
            by_group.setdefault(found[0], set()).add(found[1])
    labels = {K8S_MANAGED_BY: MANAGED_BY}
    role = {
        "apiVersion": kubernetes.CLUSTER_ROLE.api_version,
        "kind": kubernetes.CLUSTER_ROLE.name,
        "metadata": {"name": PREVIEW_IDENTITY, "labels": labels},
        "rules": [
            {"apiGroups": [group], "resources": sorted(resources), "verbs": list(READ_VERBS)}
            for group, resources in sorted(by_group.items())
        ],
    }
    binding = {
        "apiVersion": kubernetes.CLUSTER_ROLE_BINDING.api_version,
        "kind": kubernetes.CLUSTER_ROLE_BINDING.name,
        "metadata": {"name": PREVIEW_IDENTITY, "labels": labels},
        "roleRef": {"apiGroup": RBAC, "kind": kubernetes.CLUSTER_ROLE.name, "name": PREVIEW_IDENTITY},
        "subjects": [{"apiGroup": RBAC, "kind": "Group", "name": PREVIEW_KUBERNETES_GROUP}],
    }
    return [role, binding]


# --- the preview comment and the drift issue -------------------------------------------------

NO_ERROR = "no error"  # the outcome .github/scripts/preview.sh writes for a preview that passed
_LOG_LIMIT = 60_000  # characters of a log kept in a comment (GitHub caps a comment at 65,536)


def _tail(log: str, limit: int) -> str:
    return log if len(log) <= limit else "… (earlier lines cut; the whole log is in the run)\n" + log[-limit:]


def preview_comment(results: Mapping[str, tuple[str, str]], mode: str, run_url: str) -> str:
    """results: stack -> (outcome, log). mode: 'catalog' (base code) or 'code' (approved head code)."""
    who = (
        "the base branch's code with this pull request's catalogs"
        if mode == "catalog"
        else f"this pull request's code, after approval in the `{APPROVAL_ENVIRONMENT}` environment"
    )
    limit = _LOG_LIMIT // max(1, len(results))
    lines = [
        PREVIEW_MARKER,
        "## pulumi preview",
        "",
        f"Read-only credentials; the program is {who}. Run: {md.text(run_url)}",
        "",
    ]
    for stack, (outcome, log) in sorted(results.items()):
        lines += [
            "<details>",
            f"<summary>{md.html(stack)}: {md.html(outcome)}</summary>",
            "",
            md.fenced(_tail(log, limit)),
            "",
            "</details>",
            "",
        ]
    return "\n".join(lines)


def drift_issue(stack: str, log: str, run_url: str) -> str:
    return "\n".join(
        [
            DRIFT_MARKER,
            f"`pulumi preview --refresh --expect-no-changes` or `fleet status --fail-on drift` found drift in {md.code(stack)} ({md.text(run_url)}).",
            "",
            md.fenced(_tail(log, _LOG_LIMIT)),
            "",
        ]
    )


def github_outputs(values: Mapping[str, object]) -> str:
    """key=value lines for $GITHUB_OUTPUT; every value JSON-encoded on one line, so no value can
    add a line (an output of its own)."""
    return "".join(f"{key}={json.dumps(value)}\n" for key, value in values.items())


def working_tree_plan(repo: Path, rev: str) -> Plan:
    """The stacks the files changed from revision `rev` to the working tree of `repo` affect
    (what `python -m fleet up CATALOG --changed-since REV` runs), by the same rules as a pull
    request's (`fleet.pipeline.affected`): the environments of both sides count, `rev`'s read as
    git objects, the working tree's from the disk. `removed`: affected stacks the working tree
    no longer has."""
    base_tree, head_tree = GitTree(repo, git.project_tree(repo, rev)), git.WorkingTree(repo)
    base, head = environments(base_tree), environments(head_tree)
    return Plan.of(affected(changed_since(repo, rev), base_tree, head_tree, base, head), head)
