"""Reading what a stack's inputs digest is made of (fleet.orchestration.inputs hashes it).

The program's sources are read where the engine's Python imports them from: the project's own
`fleet/`, `components/` and `__main__.py` (the program's folder comes first on its path), and a
package the project does not hold is read where this interpreter finds it installed. The
versions of the Pulumi SDKs are those installed in the virtualenv Pulumi.yaml names (the one the
engine runs the program in), else this interpreter's. The rendered parts and outputs come from
the environment's desired state (fleet.render.partition, fleet.contract).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import yaml

from fleet.catalog.location import PROJECT_FILE
from fleet.catalog.naming import platform_stack, stack_scope, team_stack
from fleet.contract import fleet_output
from fleet.contract.platform_output import OUTPUT, platform_output
from fleet.orchestration.inputs import PACKAGES, Program, code_digest, rendered, stack_digest, whole
from fleet.render.partition import digests, platform_part, team_part
from fleet.render.state import FleetState

PROGRAM_PACKAGES = ("fleet", "components")
MAIN = "__main__.py"
_SKIPPED_DIRS = frozenset({"__pycache__"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")


def _package_dir(root: Path, name: str) -> Path | None:
    here = root / name
    if (here / "__init__.py").is_file():
        return here
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def program_files(root: Path) -> dict[str, bytes]:
    """Every file of the program the engine runs for the project at `root`, by a '/'-path."""
    out: dict[str, bytes] = {}
    main = root / MAIN
    if main.is_file():
        out[MAIN] = main.read_bytes()
    for name in PROGRAM_PACKAGES:
        folder = _package_dir(root, name)
        if folder is None:
            continue
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if not path.is_file() or _SKIPPED_DIRS & set(relative.parts) or path.suffix in _SKIPPED_SUFFIXES:
                continue
            out[f"{name}/{relative.as_posix()}"] = path.read_bytes()
    return out


def _site_packages(root: Path, project: bytes) -> list[str]:
    """The site-packages of the virtualenv Pulumi.yaml names for the Python runtime (none when it names none)."""
    try:
        data = yaml.safe_load(project) or {}
    except yaml.YAMLError:
        return []
    runtime = data.get("runtime") if isinstance(data, dict) else None
    options = runtime.get("options") if isinstance(runtime, dict) else None
    venv = options.get("virtualenv") if isinstance(options, dict) else None
    if not isinstance(venv, str) or not venv:
        return []
    base = root / venv
    return [str(p) for p in sorted(base.glob("lib/python*/site-packages")) + sorted(base.glob("Lib/site-packages"))]


def versions(root: Path, project: bytes) -> dict[str, str | None]:
    """The installed version of each Pulumi SDK the program imports (None: not installed)."""
    paths = _site_packages(root, project)
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        found = None
        if paths:
            found = next((d.version for d in importlib.metadata.distributions(name=name, path=paths)), None)
        if found is None:
            try:
                found = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                found = None
        out[name] = found
    return out


def program(root: Path, cli_version: str) -> Program:
    """The program's part of every stack's digest: its sources, Pulumi.yaml, the SDKs' versions
    and the CLI's."""
    project = (root / PROJECT_FILE).read_bytes()
    return Program(code_digest(program_files(root)), project, versions(root, project), cli_version)


def renders(state: FleetState) -> dict[str, str]:
    """Each stack of the environment: what it registers and exports, as a digest
    (fleet.orchestration.inputs.rendered)."""
    parts = digests(state)
    platform = platform_stack(state.environment)
    out = {
        platform: rendered(
            parts[platform],
            {
                "fleet": fleet_output.fleet_output(platform_part(state)).model_dump(mode="json"),
                OUTPUT: platform_output(state),
            },
        )
    }
    for team in state.teams:
        stack = team_stack(state.environment, team.name)
        out[stack] = rendered(
            parts[stack], {"fleet": fleet_output.fleet_output(team_part(state, team.name)).model_dump(mode="json")}
        )
    # The stack named like the environment (a one-file catalog's one stack) holds every part and
    # exports both outputs.
    out[state.environment] = rendered(
        whole(parts),
        {
            "fleet": fleet_output.fleet_output(state).model_dump(mode="json"),
            OUTPUT: platform_output(state),
        },
    )
    return out


class StackInputs:
    """The inputs digests of one run's stacks (thread-safe: the stacks' threads ask for them).
    `renders`: fleet.io.inputs.renders of the environment; `config`: the bytes of a stack's file
    as it is written for the run (fleet.io.stacks.stack_file_bytes)."""

    def __init__(self, root: Path, renders: Mapping[str, str], config: Callable[[Path, str], bytes]) -> None:
        self.root = root
        self.renders = dict(renders)
        self.config = config
        self._program: Program | None = None
        self._lock = threading.Lock()

    def program(self, cli_version: str) -> Program:
        with self._lock:
            if self._program is None or self._program.cli != cli_version:
                self._program = program(self.root, cli_version)
            return self._program

    def digest(self, stack: str, cli_version: str) -> str:
        """`stack`'s inputs digest now (its stack file as it would be written now)."""
        scope = stack_scope(stack)
        if stack not in self.renders:
            raise KeyError(f"{stack}: not a stack of the rendered environment")
        platform = None
        if scope.kind == "team":
            platform = self.digest(platform_stack(scope.environment), cli_version)
        return stack_digest(self.renders[stack], self.config(self.root, stack), self.program(cli_version), platform)
