"""results.json files (from benchmarks.run) → the Markdown tables of benchmarks/RESULTS.md.

    python -m benchmarks.report RESULTS.json [RESULTS.json ...]

Each file contributes the parts it measured (tools, program); a later file's figures for the
same size and part replace an earlier file's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TOOLS = ("validate", "plan", "diff", "access")


def _merge(summaries: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    sizes: dict[int, dict[str, Any]] = {}
    for summary in summaries:
        for result in summary["results"]:
            sizes.setdefault(result["apps"], {}).update(result)
    return dict(sorted(sizes.items()))


def _per_app(sizes: dict[int, dict[str, Any]], key: str) -> str:
    figures = {apps: r[key]["seconds"] * 1000 / apps for apps, r in sizes.items() if key in r}
    cells = " | ".join(f"{figures[apps]:.2f}" if apps in figures else "-" for apps in sizes)
    ratio = f"{figures[max(figures)] / figures[1000]:.2f}" if 1000 in figures and max(figures) > 1000 else "-"
    return f"| {key} | {cells} | {ratio} |"


def tables(summaries: list[dict[str, Any]]) -> str:
    m = summaries[0]["machine"]
    sizes = _merge(summaries)
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, {m['platform']}, Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items())
        + ".",
        "",
        "| apps | "
        + " | ".join(f"fleet {t}: s, MB" for t in TOOLS)
        + " | program: s, MB | floor: s, MB | registrations | program/floor |",
        "|---:|" + "---:|" * (len(TOOLS) + 4),
    ]
    for apps, r in sizes.items():
        tools = [f"{r[t]['seconds']:.2f}, {r[t]['peak_mb']:.0f}" if t in r else "-" for t in TOOLS]
        program = (
            f"{r['program']['seconds']:.1f}, {r['program']['peak_mb']:.0f} | {r['floor']['seconds']:.1f}, "
            f"{r['floor']['peak_mb']:.0f} | {r['program']['registrations']:,} | {r['program_floor_ratio']:.2f}x"
            if "program" in r
            else "- | - | - | -"
        )
        lines.append(f"| {apps:,} | " + " | ".join(tools) + f" | {program} |")
    lines += [
        "",
        "Milliseconds per app:",
        "",
        "| | " + " | ".join(f"{a:,} apps" for a in sizes) + " | largest / 1,000 |",
    ]
    lines.append("|---|" + "---:|" * (len(sizes) + 1))
    lines += [_per_app(sizes, key) for key in (*TOOLS, "program", "floor")]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(tables([json.loads(Path(p).read_text()) for p in sys.argv[1:]]), end="")
