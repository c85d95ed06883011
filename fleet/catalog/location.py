"""Where a stack's catalog may live: a reviewed file or folder under the repository's stacks/ folder.

The program, the pipeline and the review all ask here, so that a pull request cannot point a
stack at a file the review did not read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path, PurePosixPath

from fleet.catalog.naming import PROJECT, stack_scope

STACKS_DIR = "stacks"


CATALOG_KEY = f"{PROJECT}:fleet"


# Rule ids of the refusals below (every refusal names its rule and why).
RULE_CATALOG_PATH = "pipeline-catalog-in-stacks"


RULE_REGULAR_FILE = "pipeline-regular-files"


# Git modes: a catalog file is a regular, non-executable file; a link is never followed.
REGULAR_MODES = frozenset({"100644"})
LINK_MODE = "120000"


class PipelineError(Exception):
    """A refusal of the pipeline: every reason at once, each naming its rule id."""

    def __init__(self, reasons: Iterable[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__("\n".join(self.reasons))


def _inside_reasons(value: object) -> tuple[PurePosixPath | None, list[str]]:
    if not isinstance(value, str) or not value:
        return None, [f"must be a path, not {value!r}"]
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or "\\" in value:
        return None, [f"{value!r} must be a relative path inside the repository, without '..' [{RULE_CATALOG_PATH}]"]
    parts = [p for p in path.parts if p != "."]
    if len(parts) < 2 or parts[0] != STACKS_DIR:
        return None, [_outside(value)]
    return path, []


def _outside(value: str) -> str:
    return (
        f"{value!r} is outside the repository's {STACKS_DIR}/ folder: a stack deploys only a reviewed "
        f"catalog, {STACKS_DIR}/<name>.yaml or a folder {STACKS_DIR}/<name>/ [{RULE_CATALOG_PATH}]"
    )


def catalog_file_reasons(value: object) -> list[str]:
    """Why a file is not a catalog file: every catalog file is a .yaml file under stacks/ (a
    one-file catalog, or a platform or team file of a folder)."""
    path, reasons = _inside_reasons(value)
    if path is not None and path.suffix != ".yaml":
        return [_outside(str(value))]
    return reasons


def catalog_path_reasons(value: object) -> list[str]:
    """Why a stack may not deploy this catalog path: a .yaml file under stacks/, or a folder
    there (a name without a suffix: stacks/dev holding platform.yaml and teams/)."""
    path, reasons = _inside_reasons(value)
    if path is not None and path.suffix not in (".yaml", ""):
        return [_outside(str(value))]
    return reasons


def stacks_of(path: str, catalogs: Mapping[str, str]) -> list[str]:
    """The stacks whose catalog a file is, or lies in (catalogs: stack -> catalog path)."""
    file = PurePosixPath(path)
    return sorted(
        stack
        for stack, catalog in catalogs.items()
        if file == PurePosixPath(catalog) or PurePosixPath(catalog) in file.parents
    )


PROJECT_FILE = "Pulumi.yaml"
# The catalog path is read from the repository's own files the way Pulumi reads config; a value
# from anywhere else (an ESC environment's pulumiConfig, --config, --config-file, PULUMI_CONFIG)
# is refused, since the review cannot see it.
RULE_CATALOG_CONFIG = "pipeline-catalog-config"


def stack_file(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


def reviewed_stack_file(stack: str) -> str:
    """The stack file the review reads for `stack`: its own for a stack named like its
    environment (`Pulumi.dev.yaml`); for the platform and team stacks of an environment
    (`dev.platform`, `dev.payments`) the environment's, since their own files are written from
    it before each run (`stack_settings`) and are neither reviewed nor committed."""
    return stack_file(stack_scope(stack).environment)


# The keys of a stack file that belong to the stack itself (its secrets provider): kept when the
# file is written again; everything else comes from the environment's reviewed file.
STACK_OWN_KEYS = ("secretsprovider", "encryptedkey", "encryptionsalt")
# What an environment's stack file may hold for its platform and team stacks.
SHARED_KEYS = ("environment", "config")
RULE_STACK_SETTINGS = "pipeline-stack-settings"
# A platform or team stack's file in Git: it is written before each run, never reviewed; a
# committed one would carry a secrets provider or settings the review of Pulumi.<env>.yaml never saw.
RULE_GENERATED_STACK_FILE = "pipeline-generated-stack-file"


def generated_stack_file_reason(path: str) -> str | None:
    """Why `path` may not be in Git: a platform or team stack's file (`Pulumi.dev.payments.yaml`);
    None for anything else (`Pulumi.dev.yaml`, the reviewed file, among them)."""
    name = path.rsplit("/", 1)[-1]
    if "/" in path or not (name.startswith("Pulumi.") and name.endswith(".yaml")) or name == PROJECT_FILE:
        return None
    try:
        scope = stack_scope(name[len("Pulumi.") : -len(".yaml")])
    except ValueError:
        return None
    if scope.kind == "environment":
        return None
    return (
        f"{name}: the stack file of {scope.stack} is written from {stack_file(scope.environment)} before each run "
        f"and never committed; one in Git could point the stack's secrets at another key or give it settings "
        f"the review of {stack_file(scope.environment)} never saw: remove it (git rm --cached {name}) "
        f"[{RULE_GENERATED_STACK_FILE}]"
    )


GENERATED_HEADER = (
    "# Written from {source} by `python -m fleet` before each run of stack {stack}: not reviewed,\n"
    "# not committed. Edit {source}; the program refuses a catalog path {source} does not give.\n"
)


def stack_settings(environment_settings: object, stack: str, existing: object = None) -> dict[str, object]:
    """The stack file of a platform or team stack: the environment's reviewed settings (its ESC
    environment and its config, the catalog path among them), with the stack's own secrets
    provider keys (strings, nothing else of it) from the file it `existing`ly has: the caller
    gives only a file `pulumi stack init` wrote on this machine, never one from Git. PipelineError for a stack named like its
    environment (its file is the reviewed one) and for settings a second stack cannot share (a
    `secure:` value is encrypted for its own stack only: give it through the ESC environment)."""
    scope = stack_scope(stack)
    source = stack_file(scope.environment)
    if scope.kind == "environment":
        raise PipelineError(
            [f"{stack_file(stack)} is the reviewed file itself; it is not written [{RULE_STACK_SETTINGS}]"]
        )
    settings = environment_settings if isinstance(environment_settings, Mapping) else {}
    reasons = []
    config = settings.get("config") if isinstance(settings.get("config"), Mapping) else {}
    for key, value in config.items():
        if isinstance(value, Mapping) and "secure" in value:
            reasons.append(
                f"{source}: config {key} is a secret encrypted for stack {scope.environment} only; "
                f"give it through the stack's ESC environment so that {stack} can read it too [{RULE_STACK_SETTINGS}]"
            )
    unknown = sorted(str(k) for k in settings if k not in (*SHARED_KEYS, *STACK_OWN_KEYS))
    if unknown:
        reasons.append(
            f"{source}: {', '.join(unknown)}: not shared with the environment's stacks [{RULE_STACK_SETTINGS}]"
        )
    if reasons:
        raise PipelineError(reasons)
    own = existing if isinstance(existing, Mapping) else {}
    out: dict[str, object] = {key: own[key] for key in STACK_OWN_KEYS if isinstance(own.get(key), str)}
    out.update({key: settings[key] for key in SHARED_KEYS if key in settings})
    return out


def _text(value: object) -> str:
    return value if isinstance(value, str) else repr(value)


def configured_catalog(stack_settings: object, project: object, stack: str) -> str | None:
    """`app-of-apps:fleet` as Pulumi resolves it from the repository's files: the stack file
    (`Pulumi.<stack>.yaml`, key `app-of-apps:fleet`) first, then the project file's
    project-level config (`Pulumi.yaml`, key `app-of-apps:fleet` or `fleet`: a plain value, or
    the `value`, else the `default`, of a declaration), which Pulumi uses for every stack that
    does not set the key; None when neither does (the default path). PipelineError for a layout
    that moves the stack files away from where the review reads them, or says it twice."""
    reasons: list[str] = []
    project = project if isinstance(project, Mapping) else {}
    if project.get("stackConfigDir") is not None or isinstance(project.get("config"), str):
        field = "stackConfigDir" if project.get("stackConfigDir") is not None else "config"
        reasons.append(
            f"{PROJECT_FILE}: {field} moves the stack files out of the repository's root, where the review "
            f"reads {stack_file(stack)} [{RULE_CATALOG_CONFIG}]"
        )
    settings = stack_settings if isinstance(stack_settings, Mapping) else {}
    config = settings.get("config") if isinstance(settings.get("config"), Mapping) else {}
    short = CATALOG_KEY.split(":", 1)[1]
    if short in config:
        reasons.append(
            f"{stack_file(stack)}: config key {short!r} without its namespace: write {CATALOG_KEY} [{RULE_CATALOG_CONFIG}]"
        )
    declared = project.get("config") if isinstance(project.get("config"), Mapping) else {}
    both = [key for key in (CATALOG_KEY, short) if key in declared]
    if len(both) > 1:
        reasons.append(f"{PROJECT_FILE}: config sets both {CATALOG_KEY} and {short} [{RULE_CATALOG_CONFIG}]")
    if reasons:
        raise PipelineError(reasons)
    if CATALOG_KEY in config:
        return _text(config[CATALOG_KEY])
    if not both:
        return None
    entry = declared[both[0]]
    if isinstance(entry, Mapping):
        for field in ("value", "default"):
            if field in entry:
                return _text(entry[field])
        return None
    return _text(entry)


def catalog_path(value: str | None, stack: str, is_folder: Callable[[str], bool] = lambda _: False) -> str:
    """The repository-relative catalog path of a stack (`app-of-apps:fleet`; by default the
    folder stacks/<stack> when `is_folder` says it exists, else stacks/<stack>.yaml), refused
    unless it lies in stacks/."""
    default = f"{STACKS_DIR}/{stack}"
    chosen = value if value is not None else default if is_folder(default) else f"{default}.yaml"
    reasons = catalog_path_reasons(chosen)
    if reasons:
        raise PipelineError(f"{CATALOG_KEY}: {r}" for r in reasons)
    return str(PurePosixPath(*[p for p in PurePosixPath(chosen).parts if p != "."]))


def resolve_catalog(value: str | None, stack: str, root: Path) -> Path:
    """For the program: the catalog file or folder under `root`, with symbolic links resolved, refused
    when it leaves `root`/stacks (a link to ../../secrets is as far outside as the path itself)."""
    relative = catalog_path(value, stack, lambda path: (root / path).is_dir())
    stacks = (root / STACKS_DIR).resolve()
    resolved = (root / relative).resolve()
    if not resolved.is_relative_to(stacks):
        raise PipelineError(
            [
                f"{CATALOG_KEY}: {relative!r} resolves to {str(resolved)!r}, outside the repository's "
                f"{STACKS_DIR}/ folder (a symbolic link?) [{RULE_CATALOG_PATH}]"
            ]
        )
    return resolved
