"""`fleet status --format html`: one self-contained page, in the style of the access report.

Per team and app a row, each environment's sync, health and revision side by side, coloured by
health; filters by team and environment (`#team=payments&env=prod` presets them); then, per
environment, what should not be there and the platform objects changed by hand.

The page is templates/status.html.j2 in the shared shell (fleet/text/html.py), which escapes
every value.
"""

from __future__ import annotations

from fleet.status.formats import short
from fleet.status.report import StatusReport
from fleet.text import html


def page(report: StatusReport) -> str:
    environments = [e.environment for e in report.environments]
    organizations = ", ".join(sorted({e.organization for e in report.environments}))
    return html.render(
        "fleet.status",
        "status.html.j2",
        title=f"Fleet status: {organizations} / {', '.join(environments)}",
        report=report,
        environments=environments,
        teams=sorted({row.team for row in report.apps}),
        short=short,
    )
