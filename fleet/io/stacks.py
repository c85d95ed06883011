"""The stacks of an environment on disk and in the backend: their stack files, and the move of an
environment's single stack into its platform and team stacks.

`prepare(root, stack)` writes `Pulumi.<env>.<x>.yaml` from the reviewed `Pulumi.<env>.yaml`
(fleet.catalog.location.stack_settings) before a platform or team stack runs; the orchestrator
calls it for every stack it runs. `split(...)` runs `pulumi` (the CLI on PATH, with the
environment's PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, KUBECONFIG…) to move a deployed
environment without touching an object (docs/operator/stacks.md).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fleet.catalog.location import (
    GENERATED_HEADER,
    PipelineError,
    generated_stack_file_reason,
    reviewed_stack_file,
    stack_file,
    stack_settings,
)
from fleet.catalog.naming import stack_scope
from fleet.io import files, git
from fleet.render import migration


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, yaml.YAMLError) as err:
        raise PipelineError([f"{path.name}: cannot read: {err}"]) from None


def _tracked(root: Path, name: str) -> bool:
    """Whether Git tracks `name` in the project at `root` (False outside a repository, or without git)."""
    try:
        return bool(git.run(root, "ls-files", "-z", "--", name))
    except git.GitError:
        return False


def prepare(root: Path, stack: str) -> Path:
    """Write the stack file of a platform or team stack (`dev.payments`) from its environment's
    reviewed file; the path written. A stack named like its environment is left alone (its file
    is the reviewed one). Of the file already there it keeps the stack's own secrets provider
    keys, which `pulumi stack init` wrote on this machine (the passphrase provider's salt, a
    cloud KMS provider's encrypted key): nothing else, and nothing at all from a file Git tracks,
    which is refused (`pipeline-generated-stack-file`): a committed file could point the stack's
    secrets at someone else's key, and nobody reviewed it."""
    scope = stack_scope(stack)
    target = root / stack_file(stack)
    if scope.kind == "environment":
        return target
    source = root / reviewed_stack_file(stack)
    if not source.is_file():
        raise PipelineError([f"{source.name}: no such file; stack {stack} takes its settings from it"])
    if _tracked(root, target.name):
        raise PipelineError([generated_stack_file_reason(target.name) or target.name])
    settings = stack_settings(_read_yaml(source), stack, _read_yaml(target))
    header = GENERATED_HEADER.format(source=source.name, stack=stack)
    files.replace_bytes(target, (header + yaml.safe_dump(settings, sort_keys=False)).encode())
    return target


class PulumiCommandError(Exception):
    def __init__(self, argv: list[str], result: subprocess.CompletedProcess[str]) -> None:
        super().__init__(f"pulumi {' '.join(argv)} exited {result.returncode}:\n{result.stderr.strip()}")


@dataclass
class Cli:
    """`pulumi` in the project's folder; `env` None: this process's environment."""

    root: Path
    env: Mapping[str, str] | None = None
    log: Callable[[str], None] = print
    executable: str = "pulumi"
    ran: list[list[str]] = field(default_factory=list)

    def __call__(self, *args: str, timeout: float = 1800) -> str:
        argv = [*args, "--non-interactive"]
        self.ran.append(argv)
        result = subprocess.run(
            [self.executable, *argv],
            cwd=self.root,
            env=dict(self.env) if self.env is not None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise PulumiCommandError(argv, result)
        return result.stdout

    def stacks(self) -> set[str]:
        return {s["name"] for s in json.loads(self("stack", "ls", "--json"))}

    def export(self, stack: str) -> dict[str, Any]:
        return json.loads(self("stack", "export", "--stack", stack))

    def import_(self, stack: str, deployment: Mapping[str, Any]) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(deployment, handle)
        try:
            self("stack", "import", "--stack", stack, "--file", handle.name)
        finally:
            Path(handle.name).unlink()


def split(cli: Cli, environment: str, teams: list[str], check_preview: bool = True) -> dict[str, int]:
    """Move the single stack `environment` into its platform and team stacks (created where
    missing, their files written by `prepare`): each destination's URNs through
    `pulumi state move`, then its AppOfApps component adopted, then the providers it lacks
    registered (an update targeting only them), then the old stack emptied to its root. Nothing is created, updated, replaced or deleted anywhere but in the state. With
    `check_preview`, first `pulumi preview --expect-no-changes` of the old stack: a state that
    differs from the catalog is not moved. The number of resources each stack received."""
    if check_preview:
        cli.log(f"preview {environment}: it must have nothing to do")
        cli("preview", "--expect-no-changes", "--stack", environment)
    source = cli.export(environment)
    planned = migration.plan(source, environment, teams)
    existing = cli.stacks()
    moved: dict[str, int] = {}
    for stack, urns in planned.moves.items():
        if stack not in existing:
            cli("stack", "init", stack)
        prepare(cli.root, stack)
        cli.log(f"move {len(urns)} resources {environment} -> {stack}")
        cli("state", "move", "--source", environment, "--dest", stack, "--yes", *urns)
        cli.import_(stack, migration.adopt(cli.export(stack), planned.component, stack))
        moved[stack] = len(urns)
    for stack in planned.moves:  # the platform first: a team stack's update reads its outputs
        state = cli.export(stack)
        missing = migration.missing_providers(source, state, stack)
        if missing:
            # The providers the program registers but no moved resource used: registered by an
            # update that targets only them (and the stack's outputs); a provider is
            # configuration, its creation touches nothing.
            cli.log(f"register {len(missing)} providers in {stack}: {', '.join(u.split('::')[-1] for u in missing)}")
            targets = [arg for urn in [migration.root_urn(state), *missing] for arg in ("--target", urn)]
            cli("up", "--yes", "--skip-preview", "--stack", stack, *targets)
    cli.log(f"empty {environment}: its component and providers leave the state (no object is touched)")
    cli.import_(environment, migration.emptied(cli.export(environment), environment))
    return moved
