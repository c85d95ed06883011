"""`fleet plan FILE --out DIR`: render what `pulumi up` would create into a directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fleet.cli import exits
from fleet.cli.output import err, out
from fleet.compiler import load_state
from fleet.io import files
from fleet.reports import plan
from fleet.text import screen


def add_parser(sub: Any) -> None:
    p = sub.add_parser("plan", help="render what `pulumi up` would create into a directory")
    p.add_argument("file", type=Path, help="the catalog: a folder (stacks/dev) or one file (stacks/dev.yaml)")
    p.add_argument(
        "--out",
        required=True,
        help="plan directory; '{environment}' is replaced by the catalog's environment "
        "(its kubernetes/, aws/, okta/ and reports are replaced, nothing else is touched)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    _, state = load_state(args.file)
    out_dir = Path(args.out.replace("{environment}", state.environment))
    try:
        written = files.write(state, out_dir)
    except files.UnsafeOutputError as error:
        err(f"error: {error}")
        return exits.USAGE
    except OSError as error:
        err(f"error: --out {out_dir}: {error.strerror or error}; the previous plan, if any, is unchanged")
        return exits.USAGE
    said = f"{plan.summary(state)}\nwrote {len(written)} files to {out_dir}\n"
    if screen.for_people(sys.stdout):  # the same lines, coloured
        screen.summary(screen.console(sys.stdout, soft_wrap=True), said)
    else:
        out(said)
    return exits.OK
