"""Reading the catalog for the current stack, refusing it before any resource is registered."""

from __future__ import annotations

import pulumi

from fleet.catalog import Catalog
from fleet.load import load_state
from fleet.problems import CatalogError, UnreadableFileError
from fleet.state import FleetState


def load_catalog(config: pulumi.Config, stack: str) -> tuple[Catalog, FleetState]:
    path = config.get("fleet") or f"stacks/{stack}.yaml"
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
    return catalog, state
