"""The access report as one self-contained HTML page: no script, style or font from the network.

A matrix of Okta groups x namespaces, each cell coloured by the strongest access the group's
Role there gives (read back from the rendered objects), filters by team and persona, and the
fleet drawn as an SVG diagram. `#team=payments&persona=developer` in the URL presets the filters.

The page is templates/access.html.j2 in the shared shell (fleet/text/html.py), which escapes
every value; this module only decides what the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleet.render.state import FleetState, TeamState
from fleet.reports.access import (
    WRITE_VERBS,
    AccessMatrix,
    GroupAccess,
    Resources,
    argocd_writes,
    places_of,
    verbs_summary,
)
from fleet.text import html

LEVELS = ("none", "view", "edit", "admin")


def level(resources: Resources, runs_pods: bool) -> str:
    """The strongest access in one namespace: admin (secrets or exec), edit (writes), view."""
    if not resources:
        return "none"
    if "secrets" in resources or "create" in resources.get("pods/exec", []):
        return "admin"
    if runs_pods or any(WRITE_VERBS & set(verbs) for verbs in resources.values()):
        return "edit"
    return "view"


# --- the diagram ------------------------------------------------------------------------------
ROW, COLUMN, BOX_W, BOX_H = 34, 250, 220, 24


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    text: str
    kind: str  # CSS classes: root, team, app, leaf; decommissioning
    width: int = BOX_W
    height: int = BOX_H


@dataclass(frozen=True)
class Edge:
    x1: int
    y1: int
    x2: int
    y2: int

    @property
    def mid(self) -> int:
        return (self.x1 + self.x2) // 2


@dataclass(frozen=True)
class Diagram:
    width: int
    height: int
    edges: tuple[Edge, ...]
    boxes: tuple[Box, ...]


def _text_width(text: str) -> int:
    return 16 + 7 * len(text)  # 12px system-ui is about 7px a character


def diagram(state: FleetState) -> Diagram:
    """Fleet → teams → apps → namespace and IAM role, laid out in four columns, each as wide as
    its longest label (an app on several clusters names an Application for each)."""
    root_label = f"app-of-apps {state.organization}/{state.environment}"
    team_labels = {team.name: f"team {team.name} ({len(team.groups)} groups)" for team in state.teams}
    app_labels = {
        (team.name, app.name): f"app {', '.join(a.name for a in app.applications)}"
        for team in state.teams
        for app in team.apps
    }
    root_w, team_w, app_w = (
        max([BOX_W, *(_text_width(label) for label in labels)])
        for labels in ([root_label], team_labels.values(), app_labels.values())
    )
    gap = COLUMN - BOX_W
    team_x = root_w + gap
    app_x = team_x + team_w + gap
    leaf_x = app_x + app_w + gap
    boxes: list[Box] = []
    edges: list[Edge] = []
    row = 0
    leaf_width = BOX_W
    team_rows: list[int] = []
    for team in state.teams:
        first = row
        for app in team.apps or ():
            y = row * ROW + 10
            kind = "app decommissioning" if app.decommissioning else "app"
            boxes.append(Box(app_x, y, app_labels[team.name, app.name], kind, app_w))
            detail = f"ns {app.namespace}" + (f" · IAM {app.role.name}" if app.role else "")
            leaf_width = max(leaf_width, _text_width(detail))
            boxes.append(Box(leaf_x, y, detail, "leaf", _text_width(detail)))
            edges.append(Edge(app_x + app_w, y + BOX_H // 2, leaf_x, y + BOX_H // 2))
            row += 1
        if not team.apps:
            row += 1
        middle = (first + row - 1) * ROW // 2 + 10
        team_rows.append(middle)
        kind = "team decommissioning" if team.decommissioning else "team"
        boxes.append(Box(team_x, middle, team_labels[team.name], kind, team_w))
        for i in range(first, first + len(team.apps)):
            edges.append(Edge(team_x + team_w, middle + BOX_H // 2, app_x, i * ROW + 10 + BOX_H // 2))
        row += 1  # a gap between teams
    root = (max(row - 2, 0) * ROW) // 2 + 10
    boxes.append(Box(0, root, root_label, "root", root_w))
    edges += [Edge(root_w, root + BOX_H // 2, team_x, y + BOX_H // 2) for y in team_rows]
    return Diagram(
        width=leaf_x + leaf_width + 10, height=max(row * ROW, ROW) + 20, edges=tuple(edges), boxes=tuple(boxes)
    )


# --- the matrix -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    level: str  # LEVELS
    title: str  # the resources and verbs, for a tooltip
    through_pods: bool

    @property
    def shown(self) -> str:
        return self.level if self.level != "none" else "·"


@dataclass(frozen=True)
class Row:
    team: str
    persona: str
    okta_group: str
    membership_rule: str | None
    cells: tuple[Cell, ...]  # one per namespace of the table
    argocd: str
    aws: str


@dataclass(frozen=True)
class TeamTable:
    team: str
    namespaces: tuple[str, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class ReaderRow:
    kubernetes_group: str
    purpose: str
    scope: str
    verbs: str


def _row(group: GroupAccess, namespaces: tuple[str, ...]) -> Row:
    cells = []
    for ns in namespaces:
        resources = group.kubernetes.get(ns, {})
        through_pods = ns in group.indirect
        title = f"{len(resources)} resources; " + ", ".join(
            f"{r}: {'/'.join(v)}" for r, v in sorted(resources.items())[:40]
        )
        cells.append(Cell(level(resources, through_pods), title, through_pods))
    permissions = group.argocd.permissions
    argocd = f"write {len(argocd_writes(permissions))}; " + ", ".join(permissions) if permissions else "none"
    aws = [f"{arn.rsplit('/', 1)[-1]} (SAML)" for arn in group.aws_roles]
    aws += sorted({f"{arn.rsplit('/', 1)[-1]} (through pods)" for e in group.indirect.values() for arn in e.aws_roles})
    return Row(
        team=group.team,
        persona=group.persona,
        okta_group=group.okta_group,
        membership_rule=group.membership_rule,
        cells=tuple(cells),
        argocd=argocd,
        aws=", ".join(aws) or "none",
    )


def _own_places(team: TeamState) -> list[str]:
    """The team's namespaces as the matrix names them: each on every cluster it is placed on."""
    return [place for ns in team.namespaces for place in places_of(team, ns)]


def _team_table(team: str, own: list[str], groups: list[GroupAccess]) -> TeamTable:
    """One table a team: its groups x the namespaces they reach (its own first). A table per
    team keeps the page linear in the size of the fleet; a grant outside the team's own
    namespaces still shows, as an extra column."""
    reached = {ns for g in groups for ns in g.kubernetes}
    namespaces = (*own, *sorted(reached - set(own)))
    return TeamTable(team, namespaces, tuple(_row(g, namespaces) for g in groups))


def page(state: FleetState, matrix: AccessMatrix, mermaid: str) -> str:
    by_team: dict[str, list[GroupAccess]] = {}
    for group in matrix.groups:
        by_team.setdefault(group.team, []).append(group)
    readers = [
        ReaderRow(r.kubernetes_group, r.purpose, scope, verbs_summary(resources))
        for r in matrix.readers
        for scope, resources in r.kubernetes.items()
    ]
    return html.render(
        "fleet.reports",
        "access.html.j2",
        title=f"Access: {state.organization} / {state.environment}",
        teams=sorted(by_team),
        personas=sorted({g.persona for g in matrix.groups}),
        total=len(matrix.groups),
        tables=[_team_table(t.name, _own_places(t), by_team.get(t.name, [])) for t in state.teams],
        readers=readers,
        credentials=matrix.repo_credentials,  # Argo CD's Git credentials per project (render/repo_creds.py)
        diagram=diagram(state),
        mermaid=mermaid,
    )
