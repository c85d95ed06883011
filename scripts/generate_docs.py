"""Write every file that is generated from the code: the catalog's JSON Schemas (the one-file
catalog's, a catalog folder's platform and team files'; both copies of each) and the reference
pages of the docs site (docs/reference/). `make docs` runs it; tests fail when a committed file
differs from what this writes, so a change of the models, the parsers or the guardrails that is
not regenerated cannot land.

    .venv/bin/python scripts/generate_docs.py          # write
    .venv/bin/python scripts/generate_docs.py --check  # exit 1 and name the stale files
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the repository's fleet/, not an installed one
    sys.path.insert(0, str(ROOT))

from fleet.catalog import schema  # noqa: E402


def _json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def generated() -> dict[Path, str]:
    """Every generated file, by path relative to the repository, with its content."""
    from scripts import reference  # its examples come from the tests' cases

    out: dict[Path, str] = {}
    for name, generated_schema in schema.schemas().items():  # the catalog's, a folder's platform and team files'
        text = _json(generated_schema)
        out[Path("schemas") / name] = text
        out[Path("fleet") / "catalog" / name] = text  # package data: the wheel ships it
    return {**out, **reference.pages()}


def stale() -> list[Path]:
    return [
        path for path, text in generated().items() if not (ROOT / path).is_file() or (ROOT / path).read_text() != text
    ]


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        out_of_date = stale()
        for path in out_of_date:
            print(f"{path}: out of date; run .venv/bin/python scripts/generate_docs.py", file=sys.stderr)
        return 1 if out_of_date else 0
    if argv:
        print("usage: scripts/generate_docs.py [--check]", file=sys.stderr)
        return 2
    for path, text in generated().items():
        target = ROOT / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_text() != text:
            target.write_text(text)
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
