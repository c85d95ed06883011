"""Two results.json files of benchmarks.run (before, after) → a Markdown table of both and their ratios.

    python -m benchmarks.compare BEFORE.json AFTER.json [--apps 1000]

Wall seconds are what a user waits; on a machine shared with other work they swing with its
load, so CPU seconds (user + system, of the process alone) are given beside them, and the
program's ratios to its floors are given for both.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROWS = ("validate", "plan", "diff", "access", "program", "floor", "bare")
LABELS = {
    "validate": "`fleet validate`",
    "plan": "`fleet plan`",
    "diff": "`fleet diff`",
    "access": "`fleet access`",
    "program": "program (mock engine)",
    "floor": "floor: the SDK classes",
    "bare": "floor: bare `pulumi.CustomResource`s",
}


def _at(summary: dict[str, Any], apps: int) -> dict[str, Any]:
    return next(r for r in summary["results"] if r["apps"] == apps)


def _cell(figures: dict[str, Any] | None, key: str) -> str:
    return f"{figures[key]:.2f}" if figures and key in figures else "-"


def table(before: dict[str, Any], after: dict[str, Any], apps: int) -> str:
    b, a = _at(before, apps), _at(after, apps)
    lines = [
        f"| at {apps:,} apps | before: wall s | before: CPU s | after: wall s | after: CPU s | after/before CPU | peak MB before → after |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in ROWS:
        if row not in a:
            continue
        fb, fa = b.get(row), a[row]
        ratio = f"{fa['cpu_seconds'] / fb['cpu_seconds']:.2f}x" if fb and "cpu_seconds" in fb else "-"
        peak = f"{fb['peak_mb']:.0f} → {fa['peak_mb']:.0f}" if fb else f"{fa['peak_mb']:.0f}"
        lines.append(
            f"| {LABELS[row]} | {_cell(fb, 'seconds')} | {_cell(fb, 'cpu_seconds')} | {_cell(fa, 'seconds')} "
            f"| {_cell(fa, 'cpu_seconds')} | {ratio} | {peak} |"
        )
    lines += [
        "",
        "| program / floor | before: wall | before: CPU | after: wall | after: CPU |",
        "|---|---:|---:|---:|---:|",
    ]
    for floor, label in (("bare", "bare `pulumi.CustomResource`s (the goal: <= 1.3x)"), ("floor", "the SDK classes")):
        cells = [f"{s.get(f'program_{floor}{kind}_ratio', float('nan')):.2f}x" for s in (b, a) for kind in ("", "_cpu")]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--apps", type=int, default=1000)
    args = parser.parse_args()
    print(table(json.loads(args.before.read_text()), json.loads(args.after.read_text()), args.apps), end="")
