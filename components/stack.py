"""Reading the catalog for the current stack, refusing it before any resource is registered."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pulumi
import yaml

from fleet.catalog.location import (
    CATALOG_KEY,
    PROJECT_FILE,
    RULE_CATALOG_CONFIG,
    PipelineError,
    configured_catalog,
    resolve_catalog,
    reviewed_stack_file,
)
from fleet.catalog.models import Catalog
from fleet.catalog.naming import StackScope, stack_scope
from fleet.compiler import load_state
from fleet.io import iam_cache
from fleet.render import partition
from fleet.render.state import FleetState
from fleet.text.problems import CatalogError, UnreadableFileError


def _yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, yaml.YAMLError) as err:
        raise pulumi.RunError(f"{path.name}: cannot read: {err}") from None


def reviewed_setting(value: str | None, stack: str, root: Path) -> str | None:
    """The catalog path the engine gave, if it is the one the repository's files give (the stack
    file, then Pulumi.yaml's project config): a value from anywhere else (an ESC environment's
    pulumiConfig, --config, PULUMI_CONFIG, or the written, unreviewed file of a platform or team
    stack) is what the review could not see. A platform or team stack (`dev.payments`) is judged
    by its environment's file (`Pulumi.dev.yaml`)."""
    reviewed = reviewed_stack_file(stack)
    environment = stack_scope(stack).environment
    files = configured_catalog(_yaml(root / reviewed), _yaml(root / PROJECT_FILE), environment)
    if value != files:
        raise PipelineError(
            [
                f"{CATALOG_KEY} is {value!r} here, but the repository's files ({reviewed}, then "
                f"{PROJECT_FILE}) say {files!r}: it was set somewhere the review does not read (an ESC "
                f"environment's pulumiConfig, --config, PULUMI_CONFIG, a stack file written by hand); "
                f"set it in {reviewed} [{RULE_CATALOG_CONFIG}]"
            ]
        )
    return value


def scope_of(stack: str) -> StackScope:
    try:
        return stack_scope(stack)
    except ValueError as err:
        raise pulumi.RunError(str(err)) from None


def settle_collector() -> None:
    """The catalog and its rendered state live until the program ends: move them out of the
    cyclic collector's scans (`gc.freeze`), and let it run less often while the SDK makes its
    many short-lived objects (a collection every 20,000 allocations instead of 700). At 1,000
    apps under the mock engine this takes about a third off the program's CPU time (36 -> 24 s),
    and less peak memory (benchmarks/RESULTS.md)."""
    gc.freeze()
    gc.set_threshold(20_000, 50, 1_000)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic collection while the catalog loads: it builds tens of thousands of long-lived,
    acyclic objects, which every collection would scan again (at 200 teams, about 0.2 s of each
    stack's start-up; benchmarks/RESULTS.md). What it leaves is collected afterwards as before."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_catalog(config: pulumi.Config, stack: str) -> tuple[Catalog, FleetState]:
    """The catalog and the whole environment's desired state of `stack`'s environment (a
    platform or team stack renders the whole environment, so that every check spanning teams
    runs, then registers its part: fleet.render.partition)."""
    scope = scope_of(stack)
    iam_cache.install()
    try:
        # Only a reviewed catalog: named where the review reads it, a file or folder inside the
        # repository's stacks/, links resolved.
        root = Path.cwd()
        setting = reviewed_setting(config.get("fleet"), stack, root)
        resolved = resolve_catalog(setting, scope.environment, root)
    except PipelineError as err:
        raise pulumi.RunError("; ".join(err.reasons)) from None
    path = str(resolved.relative_to(Path.cwd().resolve()))
    try:
        with _collector_paused():
            catalog, state = load_state(path)
    except UnreadableFileError as err:
        raise pulumi.RunError(f"app-of-apps:fleet: {err}") from None
    except CatalogError as err:
        for line in err.lines():
            pulumi.log.error(line)
        raise pulumi.RunError(f"{path}: {len(err.problems)} problem(s) in the catalog; nothing was deployed") from None
    if catalog.environment != scope.environment:
        raise pulumi.RunError(
            f"{path}: environment: {catalog.environment!r} does not match the stack {stack!r}; "
            f"select the stack named like the environment (pulumi up -s {catalog.environment}), one of "
            f"its stacks ({catalog.environment}.platform, {catalog.environment}.<team>), "
            "or point app-of-apps:fleet at this stack's catalog"
        )
    settle_collector()
    return catalog, state


def stack_part(state: FleetState, scope: StackScope) -> FleetState:
    """What this stack registers of the environment (fleet.render.partition); a team stack of a
    team the catalog does not declare registers nothing and fails."""
    try:
        return partition.part(state, scope)
    except ValueError as err:
        raise pulumi.RunError(str(err)) from None
