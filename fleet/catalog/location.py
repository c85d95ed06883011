"""Where a stack's catalog may live: a reviewed file under the repository's stacks/ folder.

The program, the pipeline and the review all ask here, so that a pull request cannot point a
stack at a file the review did not read.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from fleet.catalog.naming import PROJECT

STACKS_DIR = "stacks"


CATALOG_KEY = f"{PROJECT}:fleet"


# Rule ids of the refusals below (every refusal names its rule and why).
RULE_CATALOG_PATH = "pipeline-catalog-in-stacks"


RULE_REGULAR_FILE = "pipeline-regular-files"


class PipelineError(Exception):
    """A refusal of the pipeline: every reason at once, each naming its rule id."""

    def __init__(self, reasons: Iterable[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__("\n".join(self.reasons))


def catalog_path_reasons(value: object) -> list[str]:
    if not isinstance(value, str) or not value:
        return [f"must be a path, not {value!r}"]
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or "\\" in value:
        return [f"{value!r} must be a relative path inside the repository, without '..' [{RULE_CATALOG_PATH}]"]
    parts = [p for p in path.parts if p != "."]
    if len(parts) < 2 or parts[0] != STACKS_DIR or path.suffix != ".yaml":
        return [
            f"{value!r} is outside the repository's {STACKS_DIR}/ folder: a stack deploys only a reviewed "
            f"catalog, stacks/<name>.yaml [{RULE_CATALOG_PATH}]"
        ]
    return []


def catalog_path(value: str | None, stack: str) -> str:
    """The repository-relative catalog path of a stack (`app-of-apps:fleet`, by default
    stacks/<stack>.yaml), refused unless it lies in stacks/."""
    chosen = value if value is not None else f"{STACKS_DIR}/{stack}.yaml"
    reasons = catalog_path_reasons(chosen)
    if reasons:
        raise PipelineError(f"{CATALOG_KEY}: {r}" for r in reasons)
    return str(PurePosixPath(*[p for p in PurePosixPath(chosen).parts if p != "."]))


def resolve_catalog(value: str | None, stack: str, root: Path) -> Path:
    """For the program: the catalog file under `root`, with symbolic links resolved, refused
    when it leaves `root`/stacks (a link to ../../secrets is as far outside as the path itself)."""
    relative = catalog_path(value, stack)
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
