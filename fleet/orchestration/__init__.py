"""Running an environment's stacks: which stacks, in which order, and what the run came to.

`selection` decides from the catalog, `--teams` and the stacks a change affects which
stacks run, in which stages (the platform stack, then the team stacks; destroy the reverse), and
whether a stage may start after a failure. `summary` is the run's outcome per stack, as a table
for people and as the one JSON object scripts read. Pure: the Automation API runs in
`fleet.io.automation`, the command in `fleet.cli.stacks`.
"""

from fleet.orchestration.selection import (
    MUTATING,
    OPERATIONS,
    Operation,
    RunPlan,
    blocked_by,
    environment_stacks,
    orphaned,
    plan_run,
    with_orphans,
)
from fleet.orchestration.summary import (
    CHANGE_KINDS,
    HEADERS,
    Outcome,
    Result,
    RunSummary,
    changes_from,
    exit_failed,
    plain_table,
    run_summary,
    table,
    verdict,
)

__all__ = [
    "CHANGE_KINDS",
    "HEADERS",
    "MUTATING",
    "OPERATIONS",
    "Operation",
    "Outcome",
    "Result",
    "RunPlan",
    "RunSummary",
    "blocked_by",
    "changes_from",
    "environment_stacks",
    "exit_failed",
    "orphaned",
    "plain_table",
    "plan_run",
    "run_summary",
    "table",
    "verdict",
    "with_orphans",
]
