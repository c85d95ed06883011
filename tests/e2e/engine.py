"""Running a Pulumi project with the real CLI in a throwaway workspace.

A workspace is a temporary directory that links to the repository's code and virtualenv and
holds copies of the project files the CLI writes to (`Pulumi.<stack>.yaml` gains an
`encryptionsalt`, `pulumi config set` edits it), so the repository stays untouched and tests
can write their own catalogs beside the real ones.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from tests.conftest import ROOT

# What the CLI writes (stack config files), or what a test may add to (stacks/): copied.
# Everything else: linked.
COPIED = {"stacks"}
SKIPPED = {".venv", "venv", "build", "__pycache__", ".git", ".pytest_cache", ".ruff_cache", "tests", "benchmarks"}


def stack_file_for_local_backend(path: Path) -> str:
    """A stack file without its `environment` (Pulumi ESC environments exist only on Pulumi
    Cloud; in the tier the credentials are the disposable cluster's and the stand-ins')."""
    data = yaml.safe_load(path.read_text()) or {}
    data.pop("environment", None)
    return yaml.safe_dump(data, sort_keys=False)


class PulumiError(AssertionError):
    """A `pulumi` command exited non-zero; the message carries its output."""

    def __init__(self, args: list[str], result: subprocess.CompletedProcess[str]) -> None:
        super().__init__(
            f"pulumi {' '.join(args)} exited {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
        self.result = result


@dataclass
class Workspace:
    dir: Path
    env: dict[str, str]

    @classmethod
    def of(
        cls, source: Path, dest: Path, env: dict[str, str], venv: str = ".venv", backend: str | None = None
    ) -> Workspace:
        """A workspace for the project in `source`; its virtualenv (`venv`, as its Pulumi.yaml
        names it) is the repository's .venv, which has every SDK the program and pack need.
        Its stacks live in their own local backend beside it (`backend` shares another's), so
        that modules never see each other's stacks."""
        dest.mkdir(parents=True, exist_ok=True)
        if backend is None:
            state = dest.parent / f"{dest.name}.state"
            state.mkdir()
            backend = f"file://{state}"
        env = {**env, "PULUMI_BACKEND_URL": backend}
        for entry in source.iterdir():
            if entry.name in SKIPPED:
                continue
            target = dest / entry.name
            if entry.name.startswith("Pulumi.") and entry.name != "Pulumi.yaml":
                target.write_text(stack_file_for_local_backend(entry))
            elif entry.name in COPIED or entry.name.startswith("Pulumi"):
                (shutil.copytree if entry.is_dir() else shutil.copy)(entry, target)
            else:
                target.symlink_to(entry)
        (dest / venv).symlink_to(ROOT / ".venv")
        return cls(dest, env)

    @property
    def backend(self) -> str:
        return self.env["PULUMI_BACKEND_URL"]

    @classmethod
    def platform(cls, dest: Path, env: dict[str, str]) -> Workspace:
        """The app-of-apps program, with `policies/` rebuilt so the pack gets a virtualenv too."""
        ws = cls.of(ROOT, dest, env)
        pack = dest / "policies"
        pack.unlink()
        pack.mkdir()
        for entry in (ROOT / "policies").iterdir():
            if entry.name not in SKIPPED:
                (pack / entry.name).symlink_to(entry)
        (
            pack
            / yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())["runtime"]["options"]["virtualenv"]
        ).symlink_to(ROOT / ".venv")
        return ws

    def write_catalog(self, name: str, data: dict[str, Any]) -> str:
        """A catalog under stacks/ of this workspace; its path as the config value."""
        path = self.dir / "stacks" / name
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return f"stacks/{name}"

    def pulumi(
        self, *args: str, check: bool = True, timeout: float = 600, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        argv = [*args, "--non-interactive"]
        result = subprocess.run(
            ["pulumi", *argv],
            cwd=self.dir,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise PulumiError(argv, result)
        return result

    def init(self, stack: str, config: dict[str, str]) -> None:
        """A new stack (the local backend, passphrase secrets) with its config."""
        self.pulumi("stack", "init", stack)
        for key, value in config.items():
            self.pulumi("config", "set", "--stack", stack, key, value)

    def outputs(self, stack: str) -> dict[str, Any]:
        return json.loads(self.pulumi("stack", "output", "--stack", stack, "--json", "--show-secrets").stdout)

    def resources(self, stack: str) -> list[dict[str, Any]]:
        """The stack's state: every resource the engine recorded."""
        exported = json.loads(self.pulumi("stack", "export", "--stack", stack).stdout)
        return exported["deployment"].get("resources") or []

    def remove(self, stack: str) -> None:
        """Destroy everything the stack holds, protected or not, and remove the stack."""
        listed = self.pulumi("stack", "ls", "--json")
        if stack not in {s["name"] for s in json.loads(listed.stdout)}:
            return
        self.pulumi("state", "unprotect", "--all", "--yes", "--stack", stack, check=False)
        self.pulumi("destroy", "--yes", "--skip-preview", "--stack", stack, timeout=1800)
        self.pulumi("stack", "rm", "--yes", "--stack", stack)


# Loopback names a disposable API server's certificate holds (the engine kit's: IP:127.0.0.1 and
# DNS:localhost; kind's and k3d's too): one per declared cluster that the tier maps onto it.
LOOPBACK_ALIASES = ("127.0.0.1", "localhost")


def reach_declared_clusters(ws: Workspace, kubeconfig: Path) -> None:
    """A shipped catalog that declares several clusters, previewed against the tier's one API
    server: in the workspace's copy, each declared cluster's server becomes another loopback name
    of that server, and the workspace's kubeconfig gains a context per cluster (named like it),
    so that each cluster's provider passes its server check and reaches a real API server."""
    config = yaml.safe_load(kubeconfig.read_text())
    current = next(c for c in config["contexts"] if c["name"] == config["current-context"])["context"]
    entry = next(c for c in config["clusters"] if c["name"] == current["cluster"])["cluster"]
    url = urlsplit(entry["server"])
    for platform in sorted((ws.dir / "stacks").glob("*/platform.yaml")):
        data = yaml.safe_load(platform.read_text())
        declared = data.get("clusters") or []
        if len(declared) > len(LOOPBACK_ALIASES):
            raise AssertionError(f"{platform}: more clusters than loopback names for one API server")
        for cluster, host in zip(declared, LOOPBACK_ALIASES, strict=False):
            cluster["server"] = f"https://{host}:{url.port or 443}{url.path}"
            cluster.pop("ca_data", None)
            name = cluster.get("context") or cluster["name"]
            config["clusters"].append({"name": f"declared-{name}", "cluster": {**entry, "server": cluster["server"]}})
            config["contexts"] = [c for c in config["contexts"] if c["name"] != name]
            config["contexts"].append({"name": name, "context": {**current, "cluster": f"declared-{name}"}})
        platform.write_text(yaml.safe_dump(data, sort_keys=False))
    path = ws.dir.parent / f"{ws.dir.name}.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    ws.env["KUBECONFIG"] = str(path)
