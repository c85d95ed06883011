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
