"""`fleet status` at fleet scale: N apps in one environment against a loopback API server.

    python -m benchmarks.status --kubeconfig FILE [--apps 1000] [--runs 3] [--out build/bench-status]

Writes the rendered plan of a synthetic catalog (`benchmarks/generate.py`) into the cluster with
every Application Synced and Healthy (as Argo CD would), then times `python -m fleet status`
as fresh processes (wall seconds, peak RSS via wait4, the median of --runs) and counts the
reader's list requests. Only against a disposable cluster on loopback: it creates namespaces.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from benchmarks.generate import catalog
from benchmarks.run import ROOT, machine, measure
from fleet.compiler import load_state
from fleet.render.state import FleetState


def populate(kubeconfig: str, state: FleetState) -> tuple[int, float]:
    """Apply every object of the plan (Applications with a Synced/Healthy status); (objects, s)."""
    from tests import status_scenario as scenario  # the scenario's writer: one way to write objects

    cluster = scenario.Cluster(kubeconfig)
    started = time.perf_counter()
    try:
        cluster.install_argocd(ROOT / "vendor" / "argocd", state.argocd_namespace)
        manifests = list(state.manifests())
        first = [m.obj for m in manifests if m.kind == "Namespace"]
        rest = []
        for m in manifests:
            if m.kind == "Namespace":
                continue
            obj = dict(m.obj)
            if m.kind == "Application":
                obj["status"] = scenario.application_status("Synced", "Healthy", scenario.REV_A, "Succeeded", [])
            rest.append(obj)
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(cluster.apply, first))
            list(pool.map(cluster.apply, rest))
    finally:
        cluster.close()
    return len(manifests), time.perf_counter() - started


def count_requests(kubeconfig: str, state: FleetState) -> int:
    """The reader's HTTP requests for one read, counted in-process around its paging helper."""
    from fleet.io import cluster as status_reader

    calls = 0
    original = status_reader._page

    def counting(call: Any, *args: Any) -> list[dict[str, Any]]:
        def counted(*a: Any, **k: Any) -> Any:
            nonlocal calls
            calls += 1
            return call(*a, **k)

        return original(counted, *args)

    status_reader._page = counting
    try:
        status_reader.read(state, status_reader.Target(kubeconfig, None))
    finally:
        status_reader._page = original
    return calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench-status")
    args = parser.parse_args()
    server = yaml.safe_load(Path(args.kubeconfig).read_text())["clusters"][0]["cluster"]["server"]
    if urlsplit(server).hostname not in ("127.0.0.1", "localhost", "::1"):
        print(f"refused: {server} is not on loopback", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"apps-{args.apps}.yaml"
    path.write_text(yaml.safe_dump(catalog(args.apps), sort_keys=False))
    _, state = load_state(path)
    objects, seconds = populate(args.kubeconfig, state)
    print(f"populated {objects} objects in {seconds:.1f} s", file=sys.stderr)
    requests = count_requests(args.kubeconfig, state)
    results: dict[str, Any] = {"machine": machine(), "apps": args.apps, "objects": objects, "requests": requests}
    for fmt in ("md", "json"):
        argv = [sys.executable, "-m", "fleet", "status", str(path), "--kubeconfig", args.kubeconfig, "--format", fmt]
        samples = [measure(argv)[:2] for _ in range(args.runs)]
        results[fmt] = {
            "seconds": statistics.median(s for s, _ in samples),
            "peak_mb": statistics.median(m for _, m in samples),
            "samples": samples,
            "command": " ".join(["python", *argv[1:]]),
        }
        print(
            f"fleet status --format {fmt}, {args.apps} apps: {results[fmt]['seconds']:.2f} s median, "
            f"{results[fmt]['peak_mb']:.0f} MB; samples {[round(s, 2) for s, _ in samples]}"
        )
    print(f"reader: {requests} list requests for {objects} objects")
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results["machine"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
