"""Benchmark of app-of-apps at fleet scale: the offline tools, the Pulumi program under the mock
engine, and the floor (the same registrations replayed with nothing but the SDKs).

    python -m benchmarks.run [--sizes 10,100,1000,5000] [--runs 3]

Every figure is the median of --runs runs, each a fresh process; peak memory is the process's
maximum resident set (wait4). It prints the machine, the command and every figure; speed is
measured here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.generate import write

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "bench"
GOALS = {
    "program_floor_ratio_1000": 1.3,
    "plan_seconds_1000": 3.0,
    "validate_seconds_1000": 1.0,
    "program_peak_mb_1000": 1500,
}


def machine() -> dict[str, Any]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            cpu,
        )
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    packages = {
        p: metadata.version(p)
        for p in ("pulumi", "pulumi-aws", "pulumi-kubernetes", "pulumi-okta", "pydantic", "PyYAML")
    }
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "packages": packages,
    }


def measure(argv: list[str]) -> tuple[float, float, str, float]:
    """(wall seconds, peak RSS in MB, stdout, CPU seconds) of one fresh process, reaped with wait4
    so that its own rusage (not all children's) gives the peak and the CPU time (user + system)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({process.returncode}): {stderr[-2000:]}")
    return wall, usage.ru_maxrss / 1024, stdout, usage.ru_utime + usage.ru_stime


def median_of(argv: list[str], runs: int) -> dict[str, Any]:
    samples = [measure(argv) for _ in range(runs)]
    return {
        "seconds": statistics.median(s[0] for s in samples),
        "cpu_seconds": statistics.median(s[3] for s in samples),
        "peak_mb": max(s[1] for s in samples),
        "samples": [round(s[0], 3) for s in samples],
        "cpu_samples": [round(s[3], 3) for s in samples],
        "last_stdout": samples[-1][2],
    }


def bench_size(apps: int, runs: int, out: Path, parts: set[str]) -> dict[str, Any]:
    python = sys.executable
    base, head = write(apps, out)
    plan_dir = out / f"plan-{apps}"
    tools = {
        "validate": [python, "-m", "fleet", "validate", str(base)],
        "plan": [python, "-m", "fleet", "plan", str(base), "--out", str(plan_dir)],
        "diff": [python, "-m", "fleet", "diff", str(base), str(head)],
        "access": [python, "-m", "fleet", "access", str(base)],
    }
    result: dict[str, Any] = {"apps": apps}
    for name, argv in tools.items() if "tools" in parts else ():
        figures = median_of(argv, runs)
        figures.pop("last_stdout")
        result[name] = figures
        print(
            f"  {apps:>5} apps  fleet {name:<9} {figures['seconds']:7.2f} s  {figures['cpu_seconds']:7.2f} s CPU"
            f"  {figures['peak_mb']:7.0f} MB  {figures['samples']}",
            flush=True,
        )
    if "program" not in parts:
        return result
    record = out / f"registrations-{apps}.pkl"
    measure([python, "-m", "benchmarks.probe", "program", str(base), "--record", str(record)])  # untimed
    probes = {
        "program": [python, "-m", "benchmarks.probe", "program", str(base)],
        "floor": [python, "-m", "benchmarks.probe", "floor", str(record)],
        "bare": [python, "-m", "benchmarks.probe", "bare", str(record)],
    }
    # Interleaved (program, floor, bare, program, ...): a change of the machine's load during the
    # run falls on all three alike.
    samples: dict[str, list[tuple[float, float, str, float]]] = {name: [] for name in probes}
    for _ in range(runs):
        for name, argv in probes.items():
            samples[name].append(measure(argv))
    for name, taken in samples.items():
        inner = json.loads(taken[-1][2].strip().splitlines()[-1])
        figures = {
            "seconds": statistics.median(s[0] for s in taken),
            "cpu_seconds": statistics.median(s[3] for s in taken),
            "peak_mb": max(s[1] for s in taken),
            "samples": [round(s[0], 3) for s in taken],
            "cpu_samples": [round(s[3], 3) for s in taken],
            "registrations": inner["registrations"],
        }
        result[name] = figures
        print(
            f"  {apps:>5} apps  {name:<15} {figures['seconds']:7.2f} s  {figures['cpu_seconds']:7.2f} s CPU"
            f"  {figures['peak_mb']:7.0f} MB  {inner['registrations']} registrations  {figures['samples']}",
            flush=True,
        )
    for floor in ("floor", "bare"):
        wall = result["program"]["seconds"] / result[floor]["seconds"]
        cpu = result["program"]["cpu_seconds"] / result[floor]["cpu_seconds"]
        result[f"program_{floor}_ratio"] = wall
        result[f"program_{floor}_cpu_ratio"] = cpu
        print(f"  {apps:>5} apps  program/{floor:<6} {wall:.2f}x wall  {cpu:.2f}x CPU", flush=True)
    return result


def growth(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Seconds per app for each size, and the ratio of the largest size's figure to 1,000's."""
    out: dict[str, Any] = {}
    for key in [
        k for k in ("validate", "plan", "diff", "access", "program", "floor", "bare") if all(k in r for r in results)
    ]:
        per_app = {r["apps"]: r[key]["seconds"] / r["apps"] for r in results}
        entry: dict[str, Any] = {"ms_per_app": {apps: round(v * 1000, 3) for apps, v in per_app.items()}}
        if 1000 in per_app and max(per_app) > 1000:
            entry[f"ratio_{max(per_app)}_to_1000"] = round(per_app[max(per_app)] / per_app[1000], 2)
        out[key] = entry
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=OUT, help="catalogs, plans and results.json go here")
    parser.add_argument("--parts", default="tools,program", help="tools (fleet commands), program (program and floor)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    info = machine()
    print("machine:", json.dumps(info))
    print(
        "command:",
        f"python -m benchmarks.run --sizes {args.sizes} --runs {args.runs} --parts {args.parts}",
    )
    print("figures: median wall seconds of fresh processes (interpreter start to exit), peak RSS", flush=True)
    parts = set(args.parts.split(","))
    results = [bench_size(apps, args.runs, args.out, parts) for apps in sizes]
    summary = {
        "machine": info,
        "sizes": sizes,
        "runs": args.runs,
        "results": results,
        "growth": growth(results),
        "goals": GOALS,
    }
    print("growth (ms per app):")
    for key, entry in summary["growth"].items():
        print(f"  {key:<9} {entry}")
    at_1000 = next((r for r in results if r["apps"] == 1000 and "program" in r and "plan" in r), None)
    if at_1000:
        print("goals at 1,000 apps:")
        print(
            f"  program/bare floor {at_1000['program_bare_ratio']:.2f}x wall, {at_1000['program_bare_cpu_ratio']:.2f}x CPU"
            f" (goal <= {GOALS['program_floor_ratio_1000']}x); program/SDK-class floor"
            f" {at_1000['program_floor_ratio']:.2f}x wall, {at_1000['program_floor_cpu_ratio']:.2f}x CPU"
        )
        print(
            f"  fleet plan {at_1000['plan']['seconds']:.2f} s wall, {at_1000['plan']['cpu_seconds']:.2f} s CPU"
            f" (goal <= {GOALS['plan_seconds_1000']} s)"
        )
        print(f"  fleet validate {at_1000['validate']['seconds']:.2f} s (goal <= {GOALS['validate_seconds_1000']} s)")
        print(f"  program peak {at_1000['program']['peak_mb']:.0f} MB (goal <= {GOALS['program_peak_mb_1000']} MB)")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {args.out / 'results.json'}")


if __name__ == "__main__":
    main()
