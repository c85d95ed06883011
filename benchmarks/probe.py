"""One measured run of the Pulumi program, or of its floor, under the SDK's mock engine.

    python -m benchmarks.probe program CATALOG [--record FILE]
    python -m benchmarks.probe floor FILE
    python -m benchmarks.probe bare FILE
    python -m benchmarks.probe team CATALOG TEAM

`program` runs __main__.py for CATALOG as stack `dev`. `floor` replays the registrations a
program run recorded (same types, names, parents, providers and inputs; components included)
with nothing but the SDKs' classes: what a program written with them must pay. `bare` replays
them as plain `pulumi.CustomResource`s (and `pulumi.ComponentResource`s) with the same type
tokens, inputs and outputs, no SDK class: what any program registering them must pay. Each prints one JSON line
with the wall time from interpreter start and the registration count; the caller measures peak
memory (wait4). Run it from the repository root.

`team` is one team stack's start-up without the engine: __main__.py as stack `dev.TEAM` (a
preview, the platform stack's output read as missing: a preview only warns) over CATALOG, a
file or a folder, the whole environment of which every stack loads and judges. It prints the
wall and CPU seconds of the imports (to the first line of the program) and of the rest.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before any import below: imports are part of the cost

import asyncio  # noqa: E402
import atexit  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pickle  # noqa: E402
import runpy  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pulumi  # noqa: E402
from pulumi.runtime import mocks as pulumi_mocks  # noqa: E402
from pulumi.runtime.stack import run_pulumi_func  # noqa: E402
from pulumi.runtime.sync_await import _sync_await  # noqa: E402

# The type tokens and their SDK classes: the program's own table, which imports nothing else.
from fleet.apis import pulumi_types  # noqa: E402
from fleet.io.pulumi_sdk import python_name, sdk_classes  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


class CountingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.count = 0

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.count += 1
        state = args.inputs
        if args.typ == pulumi_types.IAM_ROLE:
            state = {**args.inputs, "arn": f"arn:aws:iam::111111111111:role{args.inputs['path']}{args.inputs['name']}"}
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """Keeps what the floor needs to replay: type, name, parent, custom, provider, inputs."""

    def __init__(self, mocks: CountingMocks) -> None:
        super().__init__(mocks)
        self.records: list[dict[str, Any]] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        response = super().RegisterResource(request)
        if request.type != pulumi_types.STACK:
            inputs = pulumi.runtime.rpc.deserialize_properties(request.object) if request.object else {}
            self.records.append(
                {
                    "urn": response.urn,
                    "type": request.type,
                    "name": request.name,
                    "parent": request.parent,
                    "custom": request.custom,
                    "provider": request.provider.rsplit("::", 1)[0] if request.provider else "",
                    "inputs": _plain(inputs),
                }
            )
        return response


def _plain(value: Any) -> Any:
    """Secrets and nested structures as plain data."""
    if isinstance(value, dict):
        if pulumi.runtime.rpc._special_sig_key in value:  # a secret: keep its value
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _start(monitor_factory: Any) -> tuple[CountingMocks, Any]:
    asyncio.set_event_loop(asyncio.new_event_loop())
    mocks = CountingMocks()
    monitor = monitor_factory(mocks)
    pulumi.runtime.set_mocks(mocks, project="app-of-apps", stack="dev", preview=False, monitor=monitor)
    return mocks, monitor


def program(catalog: str, record: str | None) -> dict[str, Any]:
    # The program deploys only a catalog inside its working directory's stacks/ (docs/operator/deploying.md,
    # "Credentials and config"): run it in a scratch project holding a copy (about a millisecond per megabyte).
    record = os.path.abspath(record) if record else None
    project = Path(tempfile.mkdtemp(prefix="probe-"))
    atexit.register(shutil.rmtree, project, ignore_errors=True)
    (project / "stacks").mkdir()
    shutil.copyfile(catalog, project / "stacks" / "dev.yaml")
    # The catalog path where the program reads it: the stack file (anything else is refused).
    (project / "Pulumi.dev.yaml").write_text("config:\n  app-of-apps:fleet: stacks/dev.yaml\n")
    os.chdir(project)
    pulumi.runtime.set_all_config({"app-of-apps:fleet": "stacks/dev.yaml"}, [])
    os.environ["KUBECONFIG"] = "/nonexistent"  # no ambient cluster: the run stays offline
    mocks, monitor = _start(RecordingMonitor if record else pulumi_mocks.MockMonitor)
    sys.path.insert(0, str(ROOT))
    _sync_await(run_pulumi_func(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")))
    elapsed = time.perf_counter() - STARTED
    if record:
        with open(record, "wb") as handle:
            pickle.dump(monitor.records, handle)
    return {"seconds": elapsed, "registrations": mocks.count}


def team(catalog: str, name: str) -> dict[str, Any]:
    import importlib

    source = Path(catalog).resolve()
    project = Path(tempfile.mkdtemp(prefix="probe-team-"))
    atexit.register(shutil.rmtree, project, ignore_errors=True)
    (project / "stacks").mkdir()
    target = project / "stacks" / ("dev" if source.is_dir() else "dev.yaml")
    (shutil.copytree if source.is_dir() else shutil.copyfile)(source, target)
    setting = f"stacks/{target.name}"
    (project / "Pulumi.dev.yaml").write_text(f"config:\n  app-of-apps:fleet: {setting}\n")
    os.chdir(project)
    os.environ["KUBECONFIG"] = "/nonexistent"  # no ambient cluster: the run stays offline
    asyncio.set_event_loop(asyncio.new_event_loop())
    mocks = CountingMocks()
    pulumi.runtime.set_mocks(mocks, project="app-of-apps", stack=f"dev.{name}", preview=True)
    pulumi.runtime.set_all_config({"app-of-apps:fleet": setting}, [])
    sys.path.insert(0, str(ROOT))
    marks: dict[str, tuple[float, float]] = {}

    def run() -> None:
        # The program's imports, then the rest of it, each timed (the modules imported here are
        # the ones __main__.py imports first; runpy then finds them loaded).
        started = (time.perf_counter(), time.process_time())
        for module in (
            "components.cluster",
            "components.platform",
            "components.providers",
            "components.app_of_apps",
            "components.stack",
            "fleet.contract.platform_output",
        ):
            importlib.import_module(module)
        marks["imports"] = (time.perf_counter() - started[0], time.process_time() - started[1])
        started = (time.perf_counter(), time.process_time())
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
        marks["program"] = (time.perf_counter() - started[0], time.process_time() - started[1])

    _sync_await(run_pulumi_func(run))
    return {
        "seconds": time.perf_counter() - STARTED,
        "cpu_seconds": time.process_time(),
        "imports": [round(x, 3) for x in marks["imports"]],
        "program": [round(x, 3) for x in marks["program"]],
        "registrations": mocks.count,
        "modules": len(sys.modules),
    }


def floor(recorded: str) -> dict[str, Any]:
    with open(recorded, "rb") as handle:
        records = pickle.load(handle)  # noqa: S301 - our own file
    classes = sdk_classes()  # importing the SDKs is part of the floor
    import pulumi_kubernetes as kubernetes

    mocks, _ = _start(pulumi_mocks.MockMonitor)

    def replay() -> None:
        by_urn: dict[str, pulumi.Resource] = {}
        for r in records:
            opts = pulumi.ResourceOptions(parent=by_urn.get(r["parent"]), provider=by_urn.get(r["provider"]))
            kwargs = {python_name(k): v for k, v in r["inputs"].items()}
            if not r["custom"]:
                resource = pulumi.ComponentResource(r["type"], r["name"], None, opts)
            elif r["type"] in classes:
                resource = classes[r["type"]](r["name"], opts=opts, **kwargs)
            else:  # Argo CD objects
                kwargs.pop("api_version", None), kwargs.pop("kind", None)
                resource = kubernetes.apiextensions.CustomResource(
                    r["name"], api_version=r["inputs"]["apiVersion"], kind=r["inputs"]["kind"], opts=opts, **kwargs
                )
            by_urn[r["urn"]] = resource

    _sync_await(run_pulumi_func(replay))
    return {"seconds": time.perf_counter() - STARTED, "registrations": mocks.count}


def bare(recorded: str) -> dict[str, Any]:
    """The registrations as plain `pulumi.CustomResource`s; providers stay SDK classes (the engine
    needs their version to load the plugin), and each role declares its `arn` output."""
    with open(recorded, "rb") as handle:
        records = pickle.load(handle)  # noqa: S301 - our own file
    providers = {pulumi_types.AWS_PROVIDER, pulumi_types.KUBERNETES_PROVIDER, pulumi_types.OKTA_PROVIDER}
    classes = sdk_classes(providers)
    mocks, _ = _start(pulumi_mocks.MockMonitor)

    def replay() -> None:
        by_urn: dict[str, pulumi.Resource] = {}
        for r in records:
            opts = pulumi.ResourceOptions(parent=by_urn.get(r["parent"]), provider=by_urn.get(r["provider"]))
            if not r["custom"]:
                resource: pulumi.Resource = pulumi.ComponentResource(r["type"], r["name"], None, opts)
            elif r["type"].startswith("pulumi:providers:"):
                resource = classes[r["type"]](
                    r["name"], opts=opts, **{python_name(k): v for k, v in r["inputs"].items()}
                )
            else:
                outputs = {"arn": None} if r["type"] == pulumi_types.IAM_ROLE else {}
                resource = pulumi.CustomResource(r["type"], r["name"], {**r["inputs"], **outputs}, opts)
            by_urn[r["urn"]] = resource

    _sync_await(run_pulumi_func(replay))
    return {"seconds": time.perf_counter() - STARTED, "registrations": mocks.count}


if __name__ == "__main__":
    mode, path, *rest = sys.argv[1:]
    record = rest[1] if rest[:1] == ["--record"] else None
    modes = {
        "program": lambda: program(path, record),
        "floor": lambda: floor(path),
        "bare": lambda: bare(path),
        "team": lambda: team(path, rest[0]),
    }
    print(json.dumps(modes[mode]()))
