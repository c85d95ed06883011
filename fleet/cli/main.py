"""`app-of-apps validate|plan|access|diff|audit|promote|guardrails` (or `python -m fleet …`):
offline, no credentials; `status`, which reads each environment's cluster (get/list only); and
`pipeline`, the CI steps.

One module per command (`fleet.cli.<command>`), the parser in `fleet.cli.parser`, the exit
codes in `fleet.cli.exits`. Here: the errors every command answers the same way.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence

from fleet.cli import exits, output, parser
from fleet.io import iam_cache
from fleet.text.problems import CatalogError, UnreadableFileError, UsageError

# The CI steps answer for their own errors (`fleet.cli.pipeline`); the table has none.
_OWN_ERRORS = ("pipeline", "guardrails")


def run(argv: Sequence[str] | None = None, prog: str = "python -m fleet") -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    args = parser.build(prog, words).parse_args(words)
    if args.command in _OWN_ERRORS:
        return int(args.run(args))
    try:
        return int(args.run(args))
    except (UnreadableFileError, UsageError) as err:
        output.err(f"error: {err}")
        return exits.USAGE
    except CatalogError as err:
        output.problems(err)
        output.err(f"{err.source}: {len(err.problems)} problem(s); nothing was written")
        return exits.REFUSED


def main(prog: str = parser.COMMAND) -> None:
    """Run the command of `sys.argv` and exit with its code (entered through fleet.cli.console)."""
    # A short-lived process that builds large, acyclic structures: the cyclic collector would
    # only re-scan them, again and again as they grow (validate at 5,000 apps: 4.6 s -> 2.1 s,
    # peak memory the same; benchmarks/RESULTS.md).
    gc.disable()
    iam_cache.install()
    sys.exit(run(prog=prog))
