"""The exit codes of every command (README, "Exit codes"), named once.

0 done; 1 the answer is no: an invalid catalog, `diff --fail-on warnings` with warnings,
`status --fail-on` that holds, a refused `promote` (nothing written) or a refused pipeline
step; 2 a usage error, an unreadable file or revision, or (`status`, `promote
--require-healthy`) a cluster that cannot be read; 3 `promote` found nothing to promote;
4 `preview`, `up`, `refresh` or `destroy`: at least one stack failed (the summary names it);
130 interrupted (Ctrl-C); for `preview`, `up`, `refresh` and `destroy` the summary says which
stacks stopped and which never started.
"""

from __future__ import annotations

OK = 0
REFUSED = 1
USAGE = 2
NOTHING_TO_PROMOTE = 3
STACK_FAILED = 4
INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
