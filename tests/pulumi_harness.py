"""Run the whole Pulumi program in-process under the SDK's mock engine and record what it did.

`MockResourceArgs` carries no protect flag, parent or aliases; the monitor subclass records the
raw RegisterResource requests, which do, and refuses a duplicate URN (the mock engine would
accept it silently while the real engine fails).
"""

from __future__ import annotations

import asyncio
import json
import os
import runpy
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "app-of-apps"


@dataclass
class Registration:
    type: str
    name: str
    inputs: dict[str, Any]
    custom: bool
    parent: str
    provider: str
    protect: bool
    retain_on_delete: bool
    aliases: list[Any]
    urn: str = ""
    dependencies: list[str] = field(default_factory=list)


def eks_endpoint(cluster: str) -> str:
    """The API endpoint the mocked `aws.eks.getCluster` answers for `cluster`."""
    return f"https://{cluster.upper().replace('-', '')}.gr7.eu-west-1.eks.amazonaws.com"


def kubeconfig_for(server: str, context: str = "fleet") -> str:
    """A minimal kubeconfig whose current context points at `server`."""
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: c\n  cluster: {{server: '{server}'}}\n"
        f"contexts:\n- name: {context}\n  context: {{cluster: c, user: u}}\n"
        f"current-context: {context}\nusers:\n- name: u\n  user: {{token: mock}}\n"
    )


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self, stack_outputs: dict[str, dict[str, Any]] | None = None) -> None:
        self.stack_outputs = stack_outputs or {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ == "aws:iam/role:Role":
            # What AWS answers: the ARN from account, path and name.
            state["arn"] = (
                f"arn:aws:iam::{os.environ.get('MOCK_ACCOUNT', '000000000000')}:role{args.inputs['path']}{args.inputs['name']}"
            )
        if args.typ == "pulumi:pulumi:StackReference":
            name = args.inputs.get("name", args.name)
            state = {"name": name, "outputs": self.stack_outputs.get(name, {})}
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        self.calls.append((args.token, dict(args.args)))
        if args.token == "aws:eks/getCluster:getCluster":
            return {"name": args.args["name"], "endpoint": eks_endpoint(args.args["name"])}
        return {}


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type != "pulumi:pulumi:Stack":
            if any(r.urn == urn for r in self.registrations):
                raise AssertionError(f"duplicate URN {urn}")
            self.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    inputs=dict(pulumi.runtime.rpc.deserialize_properties(request.object)) if request.custom else {},
                    custom=request.custom,
                    parent=request.parent,
                    provider=request.provider,
                    protect=request.protect,
                    retain_on_delete=request.retainOnDelete,
                    aliases=list(request.aliases),
                    urn=urn,
                    dependencies=list(request.dependencies),
                )
            )
        return super().RegisterResource(request)


@dataclass
class ProgramRun:
    registrations: list[Registration]
    outputs: dict[str, Any] = field(default_factory=dict)
    error: BaseException | None = None

    def count(self) -> Counter[str]:
        return Counter(r.type for r in self.registrations)

    def of_type(self, typ: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == typ]

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.registrations}


def _config_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def files_config(directory: Path, project: str, stack: str) -> dict[str, str]:
    """The config the engine reads from the project's files, as the CLI does: Pulumi.yaml's
    project-level config (a plain value, or a declaration's value, else its default; a key
    without a namespace is the project's), then Pulumi.<stack>.yaml's on top. A test's own
    `config` goes over both, like --config or an ESC environment's pulumiConfig."""
    out: dict[str, str] = {}
    project_file, stack_file = directory / "Pulumi.yaml", directory / f"Pulumi.{stack}.yaml"
    declared = (yaml.safe_load(project_file.read_text()) or {}).get("config") if project_file.is_file() else None
    for key, entry in (declared if isinstance(declared, dict) else {}).items():
        name = key if ":" in key else f"{project}:{key}"
        if isinstance(entry, dict):
            if "value" in entry or "default" in entry:
                out[name] = _config_text(entry.get("value", entry.get("default")))
        else:
            out[name] = _config_text(entry)
    settings = yaml.safe_load(stack_file.read_text()) if stack_file.is_file() else None
    for key, value in ((settings or {}).get("config") or {}).items():
        if not (isinstance(value, dict) and "secure" in value):
            out[key] = _config_text(value)
    return out


def write_stack_file(directory: Path, stack: str, **config: Any) -> None:
    """Pulumi.<stack>.yaml in `directory` with `<project>:<key>` config, as `pulumi config set` writes it."""
    body = {"config": {f"{PROJECT}:{k}": v for k, v in config.items()}}
    (directory / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(body))


def declared_clusters_kubeconfig(root: Path, setting: str | None, stack: str) -> Path | None:
    """For a catalog that declares clusters: a mock kubeconfig whose current context reaches the
    EKS cluster of `cluster` (as the mocked lookup answers) and with one context per declared
    cluster, named like it, to its declared server. None for any other catalog."""
    from fleet.compiler import load
    from fleet.text.problems import CatalogError, UnreadableFileError

    path = root / (setting or (f"stacks/{stack}" if (root / "stacks" / stack).is_dir() else f"stacks/{stack}.yaml"))
    try:
        catalog = load(str(path))
    except (CatalogError, UnreadableFileError, OSError):
        return None
    if not catalog.clusters:
        return None
    contexts = {"fleet": eks_endpoint(catalog.cluster.name)}
    contexts |= {t.context or t.name or "": t.server for t in catalog.targets()}
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": f"c-{name}", "cluster": {"server": server}} for name, server in contexts.items()],
        "contexts": [{"name": name, "context": {"cluster": f"c-{name}", "user": "u"}} for name in contexts],
        "current-context": "fleet",
        "users": [{"name": "u", "user": {"token": "mock"}}],
    }
    out = Path(tempfile.mkdtemp(prefix="harness-kubeconfig-")) / "kubeconfig"
    out.write_text(yaml.safe_dump(config))
    return out


def run_program(
    stack: str,
    config: dict[str, str] | None = None,
    program: Path = ROOT / "__main__.py",
    project: str = PROJECT,
    stack_outputs: dict[str, dict[str, Any]] | None = None,
    kubeconfig_file: Path | None = None,
) -> ProgramRun:
    """Run `program` for `stack` with `<project>:<key>` config and the given StackReference
    outputs (stack name -> outputs); return what it registered and its resolved outputs."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.settings.reset_options()
    pulumi.runtime.settings.set_root_resource(None)  # type: ignore[arg-type]
    files = files_config(program.parent, project, stack)
    pulumi.runtime.set_all_config({**files, **{f"{project}:{k}": v for k, v in (config or {}).items()}}, [])
    mocks = RecordingMocks(stack_outputs)
    monitor = RecordingMonitor(mocks)
    # "organization": what a self-managed (DIY) backend calls every stack's organization.
    pulumi.runtime.set_mocks(
        mocks, project=project, stack=stack, preview=False, monitor=monitor, organization="organization"
    )
    exported: dict[str, Any] = {}
    real_export = pulumi.export

    def record(name: str, value: Any) -> None:
        exported[name] = value
        real_export(name, value)

    def body() -> None:
        pulumi.export = record
        try:
            runpy.run_path(str(program), run_name="__main__")
        finally:
            pulumi.export = real_export

    previous = Path.cwd()
    os.chdir(program.parent)
    # The machine's own kubeconfig never leaks into a test: only the one a test names, or for a
    # catalog that declares clusters, one that reaches each (the program refuses them without).
    if kubeconfig_file is None:
        setting = (config or {}).get("fleet") or files.get(f"{project}:fleet")
        kubeconfig_file = declared_clusters_kubeconfig(program.parent, setting, stack)
    previous_kubeconfig = os.environ.get("KUBECONFIG")
    os.environ["KUBECONFIG"] = str(kubeconfig_file or program.parent / "no-such-kubeconfig")
    run = ProgramRun(monitor.registrations)
    try:
        _sync_await(run_pulumi_func(body))
        for name, value in exported.items():
            run.outputs[name] = _sync_await(pulumi.Output.from_input(value).future())
    except Exception as err:
        run.error = err
    finally:
        os.chdir(previous)
        if previous_kubeconfig is None:
            os.environ.pop("KUBECONFIG", None)
        else:
            os.environ["KUBECONFIG"] = previous_kubeconfig
        # A failed run leaves outputs waiting on the failure; end them quietly.
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()
        asyncio.set_event_loop(None)
    return run
