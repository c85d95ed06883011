"""The benchmark keeps working (no figures are judged here: speed is measured, not tested)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_benchmark_runs_and_the_floor_replays_every_registration(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--sizes", "10", "--runs", "1", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("machine: ")
    assert "command: " in result.stdout
    summary = json.loads((tmp_path / "results.json").read_text())
    (size,) = summary["results"]
    assert size["program"]["registrations"] == size["floor"]["registrations"] == size["bare"]["registrations"] > 100
    assert size["program_bare_cpu_ratio"] > 0
    assert size["program_floor_ratio"] > 0


def test_the_comparison_renders_the_recorded_runs() -> None:
    from benchmarks.compare import table

    data = ROOT / "benchmarks" / "data"
    before, after = (json.loads((data / f"issue18-{n}.json").read_text()) for n in ("before", "after"))
    text = table(before, after, 1000)
    assert "| `fleet plan` |" in text
    assert "bare `pulumi.CustomResource`s (the goal: <= 1.3x)" in text


def test_the_stack_benchmark_says_what_it_measures() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.stacks", "--help"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "--parallel" in result.stdout
