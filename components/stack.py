"""Reading the catalog for the current stack, refusing it before any resource is registered."""

from __future__ import annotations

from pathlib import Path

import pulumi

from fleet.catalog.location import PipelineError, resolve_catalog
from fleet.catalog.models import Catalog
from fleet.compiler import load_state
from fleet.io import iam_cache
from fleet.render.state import FleetState
from fleet.text.problems import CatalogError, UnreadableFileError


def load_catalog(config: pulumi.Config, stack: str) -> tuple[Catalog, FleetState]:
    iam_cache.install()
    try:
        # Only a reviewed catalog: a file inside the repository's stacks/, links resolved.
        resolved = resolve_catalog(config.get("fleet"), stack, Path.cwd())
    except PipelineError as err:
        raise pulumi.RunError("; ".join(err.reasons)) from None
    path = str(resolved.relative_to(Path.cwd().resolve()))
    try:
        catalog, state = load_state(path)
    except UnreadableFileError as err:
        raise pulumi.RunError(f"app-of-apps:fleet: {err}") from None
    except CatalogError as err:
        for line in err.lines():
            pulumi.log.error(line)
        raise pulumi.RunError(f"{path}: {len(err.problems)} problem(s) in the catalog; nothing was deployed") from None
    if catalog.environment != stack:
        raise pulumi.RunError(
            f"{path}: environment: {catalog.environment!r} does not match the stack {stack!r}; "
            f"select the stack named like the environment (pulumi up -s {catalog.environment}) "
            "or point app-of-apps:fleet at this stack's catalog"
        )
    if catalog.clusters:
        # The offline plan places namespaces and their objects on each declared cluster; the
        # program reaches one cluster only until it has a Kubernetes provider per cluster.
        raise pulumi.RunError(
            f"{path}: clusters: the program deploys to one cluster (cluster) for now; "
            "a catalog declaring clusters is planned offline but not deployed"
        )
    return catalog, state
