"""Benchmark of `fleet audit` on a long history: a repository of N commits of an A-app catalog.

    python -m benchmarks.audit [--apps 1000] [--commits 500] [--runs 3] [--out build/bench-audit]

The repository is written with `git fast-import` (seconds, not minutes): the first commit adds
`benchmarks/generate.py`'s catalog; every later commit changes one team, in turn widening an
app's IAM resources, changing a team's members rule, or adding an app; every 10th commit
is a merge of a pull-request branch (with a Reviewed-by trailer) and every 100th renames the
catalog file. The time is wall seconds of a fresh `python -m fleet audit FILE --format csv`
process, the median of --runs; peak memory is the process's maximum resident set.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks.generate import catalog
from benchmarks.run import machine

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 60.0


def _commit(out: list[bytes], ref: str, mark: int, message: str, when: int, parents: list[int]) -> None:
    data = message.encode()
    out.append(f"commit {ref}\nmark :{mark}\n".encode())
    out.append(f"author Dev {mark} <dev{mark}@acme.example> {when} +0000\n".encode())
    out.append(f"committer Merger <merger@acme.example> {when} +0000\n".encode())
    out.append(f"data {len(data)}\n".encode() + data + b"\n")
    for i, parent in enumerate(parents):
        out.append(f"{'from' if i == 0 else 'merge'} :{parent}\n".encode())


def _file(out: list[bytes], path: str, text: str) -> None:
    data = text.encode()
    out.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")


def _edit(text: str, k: int, teams: int) -> tuple[str, str]:
    """The catalog after change k (one team), and what the change was."""
    team = f"team{(k * 7) % teams:04d}"
    if k % 3 == 0:
        old = f'user.department == "{team}'
        return text.replace(old, f'user.department == "{team}-{k}', 1), f"{team}: members rule"
    if k % 3 == 1:
        old = f"arn:aws:s3:::acme-dev-{team}-app1"
        return text.replace(old, f"arn:aws:s3:::acme-dev-{team}-app1-{k}", 1), f"{team}: app1 bucket"
    start = text.index(f"- name: {team}\n")
    apps = text.index("  apps:\n", start) + len("  apps:\n")
    app = (
        f"  - name: extra{k}\n    namespace: {team}\n    source:\n"
        f"      repo: https://github.com/acme/{team}-deploy\n      path: extra{k}/dev\n      revision: main\n"
    )
    return text[:apps] + app + text[apps:], f"{team}: add extra{k}"


def build_repository(directory: Path, apps: int, commits: int) -> str:
    """A repository at `directory` whose main branch has `commits` commits changing the catalog;
    returns the catalog's path at the end."""
    data = catalog(apps)
    teams = len(data["teams"])
    text = yaml.safe_dump(data, sort_keys=False)
    path = "stacks/dev.yaml"
    out: list[bytes] = []
    when = 1_700_000_000
    _commit(out, "refs/heads/main", 1, "initial catalog\n", when, [])
    _file(out, path, text)
    head = 1
    mark = 2
    for k in range(1, commits):
        when += 3600
        text, what = _edit(text, k, teams)
        if k % 100 == 0:
            new_path = f"stacks/dev-{k}.yaml"
            _commit(out, "refs/heads/main", mark, f"move the catalog to {new_path}\n", when, [head])
            out.append(f"D {path}\n".encode())
            path = new_path
            _file(out, path, text)
            head, mark = mark, mark + 1
        elif k % 10 == 0:
            _commit(
                out, f"refs/heads/pr-{k}", mark, f"{what}\n\nReviewed-by: Reviewer <r@acme.example>\n", when, [head]
            )
            _file(out, path, text)
            branch, mark = mark, mark + 1
            _commit(
                out, "refs/heads/main", mark, f"Merge pull request #{k} from acme/pr-{k}\n", when + 60, [head, branch]
            )
            head, mark = mark, mark + 1
        else:
            _commit(out, "refs/heads/main", mark, f"{what} (#{k})\n", when, [head])
            _file(out, path, text)
            head, mark = mark, mark + 1
    subprocess.run(["git", "init", "-q", "-b", "main", str(directory)], check=True)  # noqa: S607
    subprocess.run(
        ["git", "-C", str(directory), "fast-import", "--quiet"],  # noqa: S607
        input=b"".join(out),
        check=True,
    )
    subprocess.run(["git", "-C", str(directory), "reset", "-q", "--hard", "main"], check=True)  # noqa: S607
    return path


def _run(repo: Path, path: str) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in MB, CSV rows) of one audit in a fresh process,
    reaped with wait4 so that its own rusage gives the CPU time and the peak."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "fleet", "audit", path, "--format", "csv"], cwd=repo, env=env, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read().decode()
    if process.returncode != 0:
        raise SystemExit(f"fleet audit failed ({process.returncode}): {stderr[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout.count(b"\n") - 1


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--commits", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench-audit")
    args = parser.parse_args(argv)
    print(f"machine: {json.dumps(machine())}")
    print(f"command: python -m benchmarks.audit --apps {args.apps} --commits {args.commits} --runs {args.runs}")
    repo = args.out / f"repo-{args.apps}-{args.commits}"
    if repo.exists():
        subprocess.run(["rm", "-rf", str(repo)], check=True)  # noqa: S607
    repo.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    path = build_repository(repo, args.apps, args.commits)
    print(f"repository: {repo} ({args.commits} commits, built in {time.perf_counter() - started:.1f} s)")
    samples = []
    for _ in range(args.runs):
        seconds, cpu, peak, rows = _run(repo, path)
        samples.append(
            {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "peak_mb": round(peak), "csv_rows": rows}
        )
        print(
            f"fleet audit {path} --format csv: {seconds:.2f} s wall, {cpu:.2f} s CPU, {peak:.0f} MB peak, {rows} rows"
        )
    median = statistics.median(s["seconds"] for s in samples)
    result = {
        "apps": args.apps,
        "commits": args.commits,
        "samples": samples,
        "median_seconds": median,
        "goal_seconds": GOAL_SECONDS,
        "met": median < GOAL_SECONDS,
    }
    (args.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    load = os.getloadavg()[0]
    print(
        f"median: {median:.2f} s wall (goal < {GOAL_SECONDS:.0f} s: {'met' if result['met'] else 'NOT met'}); load average {load:.1f}"
    )
    return result


if __name__ == "__main__":
    main()
