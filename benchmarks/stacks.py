"""One stack for the environment against a stack per team, under the real engine (issue 18 item 7).

    python -m benchmarks.stacks [--single 40] [--split 40,200] [--parallel 1,2,4] [--pr 200]
                                [--startup 40] [--lock /work/e2e.lock] [--out build/bench-stacks]

The engine kit (`../shared/engine`, built into $ENGINE_DIR, default ~/engine) gives the real
`pulumi` CLI and engine, the real Kubernetes provider and a real kube-apiserver on loopback;
Okta and AWS are its stand-in plugins. The benchmark starts an API server of its own (its own
data folder and ports, `--cluster-dir`), so that a fleet deployed for one measurement survives
while other work uses the kit's default one, and removes it at the end. Catalogs come from
`benchmarks/generate.py` (5 apps a team), written as a folder (`fleet split`).

What it measures, each a fresh process timed from start to exit:

- single: the whole environment as one stack (`dev`, today's shape), with `pulumi --parallel
  P`: preview from nothing, first `up`, then a preview that must find no change;
- split: the platform stack and a stack per team through `python -m fleet preview|up CATALOG
  --parallel P --format json` (Pulumi's Automation API), the same three steps, with each
  stack's own seconds from the orchestrator's summary; the no-change preview twice: with
  `--all` (every stack's engine runs: `no_change_preview`) and as it runs by default, every
  stack skipped for its inputs are those of its last update (`no_change_preview_skipping`);
- pr: a pull request that changes one team (an app's revision in its file) on the deployed
  split fleet: `python -m fleet preview CATALOG --teams T`;
- startup (a team's and the platform's stack; startup-single: the one stack): where one
  stack's preview goes before and after its resources (engine start, language host and
  program, resources, exit), from the engine's events as the Automation API reports them, and
  (also alone, program-start) the program's imports and catalog load in a fresh interpreter.

Every (mode, fleet, parallel) starts from an empty cluster and an empty backend. With
`--lock FILE` (the machine's e2e lock) the lock is held while a measurement runs and released
between them. Figures go to OUT/results.json as they come (a partial run keeps what it
measured) and are printed with the machine and the command. Speed is measured here, never in
tests.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from benchmarks.generate import catalog
from benchmarks.run import machine
from fleet.catalog.naming import platform_stack, team_stack

ROOT = Path(__file__).resolve().parent.parent
STACK = "dev"
TIMEOUT = 4 * 3600  # one command; a 200-team `up` on a busy 2-core machine takes long
PASSPHRASE = "benchmark-passphrase-not-a-secret"  # noqa: S105 - a throwaway local backend
CLUSTER_PORTS = {"API_PORT": "26471", "ETCD_PORT": "23871", "ETCD_PEER_PORT": "23872", "KCM_PORT": "26281"}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the engine kit ---------------------------------------------------------------------------
class Kit:
    """The kit's CLI and an API server of the benchmark's own."""

    def __init__(self, kit: Path, engine_dir: Path, cluster_dir: Path) -> None:
        self.kit, self.engine_dir, self.cluster_dir = kit, engine_dir, cluster_dir
        self.env_base = {
            **os.environ,
            "ENGINE_DIR": str(engine_dir),
            "CLUSTER_DIR": str(cluster_dir),
            **CLUSTER_PORTS,
        }

    def apiserver(self, command: str) -> str:
        result = subprocess.run(
            [str(self.kit / "apiserver.sh"), command],
            env=self.env_base,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""

    def fresh_cluster(self) -> Path:
        """An empty API server (its data deleted), the Argo CD and External Secrets CRDs and the
        objects an Argo CD installation has, as the e2e tier's `argocd_crds` fixture makes them."""
        from tests.conftest import ARGOCD_CRDS, ESO_CRDS
        from tests.e2e.kube import Kube

        self.apiserver("reset")
        kubeconfig = Path(self.apiserver("start"))
        kube = Kube(kubeconfig)
        deadline = time.monotonic() + 120
        while True:
            try:
                kube.get("/version")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        crds = [yaml.safe_load(p.read_text()) for d in (ARGOCD_CRDS, ESO_CRDS) for p in sorted(d.glob("*-crd.yaml"))]
        for crd in crds:
            kube.apply(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd['metadata']['name']}", crd)
        for crd in crds:
            path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd['metadata']['name']}"
            while not any(
                c["type"] == "Established" and c["status"] == "True"
                for c in (kube.get(path).get("status") or {}).get("conditions") or []
            ):
                time.sleep(0.5)
        kube.apply(
            "/api/v1/namespaces/argocd", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "argocd"}}
        )
        kube.apply(
            "/api/v1/namespaces/argocd/configmaps/argocd-rbac-cm",
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "argocd-rbac-cm",
                    "namespace": "argocd",
                    "labels": {"app.kubernetes.io/part-of": "argocd"},
                },
            },
            manager="argocd-install",
        )
        kube.close()
        return kubeconfig


# --- a project with a generated catalog folder ------------------------------------------------
class Project:
    """A throwaway copy of the project (code linked, stack files copied) whose `stacks/dev` is
    a generated catalog folder, with a local file backend beside it."""

    def __init__(self, base: Path, teams: int, kubeconfig: Path, kit: Kit) -> None:
        from tests.e2e.engine import Workspace

        self.teams = [f"team{t:04d}" for t in range(teams)]
        server = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "OKTA_", "PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "KUBECONFIG"))
        }
        env.update(
            PATH=f"{kit.engine_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            PULUMI_HOME=str(kit.engine_dir / "pulumi-home"),
            PULUMI_IGNORE_AMBIENT_PLUGINS="true",
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            PULUMI_SKIP_CONFIRMATIONS="true",
            PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK="true",
            KUBECONFIG=str(kubeconfig),
            STUB_EKS_ENDPOINT=server,  # the stand-in AWS provider's answer to eks.getCluster
            HTTPS_PROXY="http://127.0.0.1:9",
            HTTP_PROXY="http://127.0.0.1:9",
            NO_PROXY="127.0.0.1,localhost,::1",
            AWS_EC2_METADATA_DISABLED="true",
        )
        self.ws = Workspace.platform(base / "app-of-apps", env)  # its local file backend beside it
        self.kit = kit
        folder = self.ws.dir / "stacks" / STACK
        shutil.rmtree(folder)
        one_file = base / f"{STACK}.yaml"
        one_file.write_text(yaml.safe_dump(catalog(len(self.teams) * 5, STACK), sort_keys=False))
        subprocess.run(
            [sys.executable, "-m", "fleet", "split", str(one_file), "--out", str(folder)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        self.folder = folder
        self.prepare_stacks()

    def prepare_stacks(self) -> None:
        """Each split stack's configuration from the environment's stack file, as the project
        prepares it (`fleet.io.stacks.prepare`, where the project has it)."""
        try:
            from fleet.io.stacks import prepare
        except ImportError:
            return
        for stack in (platform_stack(STACK), *(team_stack(STACK, team) for team in self.teams)):
            prepare(self.ws.dir, stack)

    @property
    def env(self) -> dict[str, str]:
        return self.ws.env

    def timed(self, argv: list[str], check: bool = True) -> tuple[float, subprocess.CompletedProcess[str]]:
        started = time.monotonic()
        result = subprocess.run(argv, cwd=self.ws.dir, env=self.env, capture_output=True, text=True, timeout=TIMEOUT)
        seconds = time.monotonic() - started
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv)} exited {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return round(seconds, 2), result

    def pulumi(self, *args: str, check: bool = True) -> tuple[float, subprocess.CompletedProcess[str]]:
        return self.timed(["pulumi", *args, "--non-interactive"], check=check)

    def fleet(self, operation: str, *args: str, check: bool = True) -> tuple[float, dict[str, Any]]:
        """`python -m fleet OPERATION stacks/dev ... --format json`: wall seconds and its summary."""
        seconds, result = self.timed(
            [sys.executable, "-m", "fleet", operation, f"stacks/{STACK}", *args, "--format", "json"], check=False
        )
        try:
            summary = json.loads(result.stdout)
        except json.JSONDecodeError:
            summary = {"stacks": [], "error": result.stderr[-3000:]}
        if check and result.returncode != 0:
            raise RuntimeError(
                f"fleet {operation} {' '.join(args)} exited {result.returncode}\n{result.stderr[-3000:]}"
            )
        return seconds, summary

    def resources(self, stack: str) -> int:
        exported = json.loads(self.pulumi("stack", "export", "--stack", stack)[1].stdout)
        return len(exported["deployment"].get("resources") or [])


# --- the measurements -------------------------------------------------------------------------
@contextlib.contextmanager
def held(lock: Path | None) -> Iterator[None]:
    """The machine's e2e lock, held while one measurement runs (none without --lock)."""
    if lock is None:
        yield
        return
    with lock.open("a") as handle:
        log(f"waiting for {lock}")
        fcntl.flock(handle, fcntl.LOCK_EX)
        log(f"holding {lock}")
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            log(f"released {lock}")


def single(project: Project, parallel: int) -> dict[str, Any]:
    p = ["--stack", STACK, "--parallel", str(parallel)]
    project.pulumi("stack", "init", STACK)
    out: dict[str, Any] = {}
    out["preview"], _ = project.pulumi("preview", *p)
    log(f"  single preview {out['preview']} s")
    out["up"], _ = project.pulumi("up", "--yes", "--skip-preview", *p)
    log(f"  single up {out['up']} s")
    out["no_change_preview"], _ = project.pulumi("preview", "--expect-no-changes", *p)
    log(f"  single no-change preview {out['no_change_preview']} s")
    out["resources"] = project.resources(STACK)
    return out


def _stacks(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        s["name"]: {"result": s["result"], "seconds": s.get("seconds"), "changes": s.get("changes")}
        for s in summary.get("stacks", [])
    }


def split(project: Project, parallel: int) -> dict[str, Any]:
    p = ["--parallel", str(parallel)]
    out: dict[str, Any] = {}
    # The no-change preview twice: forced (`--all`: every stack's engine runs, the engines' figure)
    # and as it runs by default (a stack whose inputs are those of its last update is skipped).
    steps: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
        ("preview", "preview", (), "succeeded"),
        ("up", "up", ("--yes",), "succeeded"),
        ("no_change_preview", "preview", ("--all",), "succeeded"),
        ("no_change_preview_skipping", "preview", (), "skipped"),
    )
    for step, operation, args, expected in steps:
        seconds, summary = project.fleet(operation, *p, *args)
        stacks = _stacks(summary)
        out[step] = seconds
        out[f"{step}_stacks"] = stacks
        unexpected = [name for name, s in stacks.items() if s["result"] != expected]
        if unexpected:
            raise RuntimeError(f"fleet {operation} {' '.join(args)}: {unexpected[:5]} not {expected}")
        log(f"  split {step} {seconds} s ({len(stacks)} stacks)")
    changed = {
        name: s["changes"]
        for name, s in out["no_change_preview_stacks"].items()
        if any(v for k, v in (s["changes"] or {}).items() if k != "same")
    }
    out["no_change_preview_changes"] = changed  # empty when nothing was left to do
    out["resources"] = {
        name: project.resources(name) for name in (platform_stack(STACK), team_stack(STACK, project.teams[0]))
    }
    return out


def change_one_team(project: Project, team: str) -> None:
    """What a team's pull request does: one app's revision in the team's own file."""
    path = project.folder / "teams" / f"{team}.yaml"
    text = path.read_text()
    assert "revision: main" in text, path
    path.write_text(text.replace("revision: main", "revision: release-2", 1))


def pull_request(project: Project, team: str) -> dict[str, Any]:
    change_one_team(project, team)
    seconds, summary = project.fleet("preview", "--teams", team)
    return {"team": team, "preview": seconds, "stacks": _stacks(summary)}


def startup(project: Project, stack: str) -> dict[str, Any]:
    """One stack's preview through the Automation API, its time split by the engine's events:
    start to the prelude (the CLI and engine up, the backend read), prelude to the first
    resource after the stack itself (the language host, the program's imports and catalog, the
    providers), to the summary (the resources), to the end (writing and exiting). Then the
    program's imports and catalog load alone, in a fresh interpreter."""
    from pulumi import automation as auto

    marks: dict[str, float] = {}

    def on_event(event: Any) -> None:
        now = time.monotonic()
        if event.prelude_event is not None:
            marks.setdefault("prelude", now)
        pre = event.resource_pre_event
        if pre is not None and pre.metadata.type != "pulumi:pulumi:Stack":
            marks.setdefault("first_resource", now)
        if event.summary_event is not None:
            marks.setdefault("summary", now)

    workspace = auto.LocalWorkspace(
        work_dir=str(project.ws.dir),
        env_vars=project.env,
        pulumi_command=auto.PulumiCommand(root=str(project.kit.engine_dir), skip_version_check=True),
    )
    selected = auto.Stack.select(stack, workspace)
    started = time.monotonic()
    selected.preview(on_event=on_event)
    ended = time.monotonic()
    out: dict[str, Any] = {"stack": stack, "total": round(ended - started, 2)}
    points = [
        ("engine", started, "prelude"),
        ("program", "prelude", "first_resource"),
        ("resources", "first_resource", "summary"),
    ]
    for name, a, b in points:
        start = a if isinstance(a, float) else marks.get(a)
        end = marks.get(b)
        out[name] = round(end - start, 2) if start is not None and end is not None else None
    out["exit"] = round(ended - marks["summary"], 2) if "summary" in marks else None
    out.update(program_start(project))
    return out


def program_start(project: Project) -> dict[str, Any]:
    """The program's imports, then its load of the environment's catalog (validated, rendered,
    judged: what every stack of the environment pays), in a fresh interpreter, no engine."""
    code = (
        "import time; t, c = time.perf_counter(), time.process_time()\n"
        "import pulumi\n"  # and what the program imports (no SDK package since the providers are plain)
        "import components.app_of_apps, components.providers, components.stack\n"
        "i, ic = time.perf_counter(), time.process_time()\n"
        "from fleet.compiler import load_state\n"
        f"load_state('stacks/{STACK}')\n"
        "print(i - t, ic - c, time.perf_counter() - i, time.process_time() - ic)\n"
    )
    _, result = project.timed([sys.executable, "-c", code])
    imports, imports_cpu, load, load_cpu = (round(float(x), 2) for x in result.stdout.split())
    return {
        "program_imports": imports,
        "program_imports_cpu": imports_cpu,
        "catalog_load": load,
        "catalog_load_cpu": load_cpu,
    }


# --- the run ----------------------------------------------------------------------------------
def main() -> None:
    # A run started with SIGINT ignored (nohup, a script's background job) passes that on to every
    # pulumi and plugin it starts (as `fleet` does, on purpose); the engine then waits out its
    # grace period for each plugin it closes with SIGINT (measured: 5 s a stack with the kit's
    # language host). The figures must not depend on how the benchmark was started.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--single", default="40", help="fleet sizes (teams) of the single-stack runs ('' for none)")
    parser.add_argument("--split", default="40,200", help="fleet sizes (teams) of the per-team runs ('' for none)")
    parser.add_argument("--parallel", default="1,2,4")
    parser.add_argument("--pr", default="200", help="fleet sizes (teams) of the one-team pull request ('' for none)")
    parser.add_argument("--startup", default="40", help="fleet sizes (teams) of the start-up breakdown ('' for none)")
    parser.add_argument(
        "--startup-single",
        default="",
        help="fleet sizes (teams) of the start-up breakdown of the one stack ('' for none)",
    )
    parser.add_argument("--order", default="single,split,pr,startup,startup-single")
    parser.add_argument("--lock", type=Path, default=None, help="hold this lock while each measurement runs")
    parser.add_argument("--kit", type=Path, default=ROOT.parent / "shared" / "engine")
    parser.add_argument("--engine-dir", type=Path, default=Path(os.environ.get("ENGINE_DIR", Path.home() / "engine")))
    parser.add_argument("--cluster-dir", type=Path, default=None, help="the benchmark's API server data")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench-stacks")
    args = parser.parse_args()

    def sizes(text: str) -> list[int]:
        return [int(s) for s in text.split(",") if s]

    kit = Kit(args.kit, args.engine_dir, args.cluster_dir or args.engine_dir / "cluster-bench")
    args.out.mkdir(parents=True, exist_ok=True)
    info = machine()
    version = subprocess.run(
        [str(args.engine_dir / "bin" / "pulumi"), "version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    info["pulumi_cli"] = version
    command = "python -m benchmarks.stacks " + " ".join(sys.argv[1:])
    print("machine:", json.dumps(info))
    print("command:", command, flush=True)
    results: dict[str, Any] = {"machine": info, "command": command, "runs": []}

    def record(entry: dict[str, Any]) -> None:
        entry["load_average"] = [round(x, 2) for x in os.getloadavg()]
        results["runs"].append(entry)
        (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        print("result:", json.dumps({k: v for k, v in entry.items() if not k.endswith("_stacks")}), flush=True)

    def measure(mode: str, teams: int, parallel: int | None, body: Any) -> None:
        with held(args.lock), tempfile.TemporaryDirectory(prefix=f"bench-{mode}-") as base:
            log(f"{mode}: {teams} teams, parallel {parallel}")
            kubeconfig = kit.fresh_cluster()
            project = Project(Path(base), teams, kubeconfig, kit)
            entry: dict[str, Any] = {"mode": mode, "teams": teams, "apps": teams * 5, "parallel": parallel}
            try:
                entry.update(body(project))
            except Exception as error:  # a failed measurement is recorded and the run goes on
                entry["error"] = str(error)[-4000:]
                log(f"  failed: {str(error)[:500]}")
            finally:
                record(entry)
                kit.apiserver("stop")

    try:
        for mode in args.order.split(","):
            if mode == "single":
                for teams in sizes(args.single):
                    for p in sizes(args.parallel):
                        measure("single", teams, p, lambda project, p=p: single(project, p))
            elif mode == "split":
                for teams in sizes(args.split):
                    for p in sizes(args.parallel):
                        measure("split", teams, p, lambda project, p=p: split(project, p))
            elif mode == "pr":
                for teams in sizes(args.pr):

                    def pr(project: Project) -> dict[str, Any]:
                        # The platform stack and the changed team's stack deployed: what the
                        # preview reads; the other teams' stacks do not change its work.
                        team = project.teams[len(project.teams) // 2]
                        project.fleet("up", "--teams", f"platform,{team}", "--yes")
                        return pull_request(project, team)

                    measure("pr", teams, None, pr)
            elif mode == "startup":
                for teams in sizes(args.startup):

                    def breakdown(project: Project) -> dict[str, Any]:
                        team = project.teams[0]
                        project.fleet("up", "--teams", f"platform,{team}", "--yes")
                        return {
                            "team_stack": startup(project, team_stack(STACK, team)),
                            "platform_stack": startup(project, platform_stack(STACK)),
                        }

                    measure("startup", teams, None, breakdown)
            elif mode == "startup-single":
                for teams in sizes(args.startup_single):

                    def single_breakdown(project: Project) -> dict[str, Any]:
                        project.pulumi("stack", "init", STACK)
                        project.pulumi("up", "--yes", "--skip-preview", "--stack", STACK)
                        return {"single_stack": startup(project, STACK)}

                    measure("startup-single", teams, None, single_breakdown)
            elif mode == "program-start":
                for teams in sizes(args.startup):
                    measure("program-start", teams, None, program_start)
    finally:
        kit.apiserver("reset")
    print(f"wrote {args.out / 'results.json'}")


if __name__ == "__main__":
    main()
