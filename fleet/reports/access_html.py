"""The access report as one self-contained HTML page: no script, style or font from the network.

A matrix of Okta groups x namespaces, each cell coloured by the strongest access the group's
Role there gives (read back from the rendered objects), filters by team and persona, and the
fleet drawn as an SVG diagram. `#team=payments&persona=developer` in the URL presets the filters.
"""

from __future__ import annotations

from fleet.render.repo_creds import RepoCredential
from fleet.render.state import FleetState
from fleet.reports.access import WRITE_VERBS, AccessMatrix, GroupAccess, Reader, Resources, argocd_writes, verbs_summary
from fleet.text.html import STYLE
from fleet.text.html import escape as _esc

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


def _box(x: int, y: int, text: str, kind: str, width: int = BOX_W) -> str:
    return (
        f'<g class="node {kind}"><rect x="{x}" y="{y}" width="{width}" height="{BOX_H}" rx="5"/>'
        f'<text x="{x + 8}" y="{y + 16}">{_esc(text)}</text></g>'
    )


def _text_width(text: str) -> int:
    return 16 + 7 * len(text)  # 12px system-ui is about 7px a character


def _edge(x1: int, y1: int, x2: int, y2: int) -> str:
    mid = (x1 + x2) // 2
    return f'<path class="edge" d="M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"/>'


def diagram(state: FleetState) -> str:
    """Fleet → teams → apps → namespace and IAM role, laid out in four columns."""
    parts: list[str] = []
    row = 0
    leaf_width = BOX_W
    team_rows: list[int] = []
    for team in state.teams:
        first = row
        for app in team.apps or ():
            y = row * ROW + 10
            parts.append(
                _box(
                    2 * COLUMN,
                    y,
                    f"app {app.application.name}",
                    "app decommissioning" if app.decommissioning else "app",
                )
            )
            detail = f"ns {app.namespace}" + (f" · IAM {app.role.name}" if app.role else "")
            leaf_width = max(leaf_width, _text_width(detail))
            parts.append(_box(3 * COLUMN, y, detail, "leaf", _text_width(detail)))
            parts.append(_edge(2 * COLUMN + BOX_W, y + BOX_H // 2, 3 * COLUMN, y + BOX_H // 2))
            row += 1
        if not team.apps:
            row += 1
        middle = (first + row - 1) * ROW // 2 + 10
        team_rows.append(middle)
        kind = "team decommissioning" if team.decommissioning else "team"
        parts.append(_box(COLUMN, middle, f"team {team.name} ({len(team.groups)} groups)", kind))
        for i in range(first, first + len(team.apps)):
            parts.append(_edge(COLUMN + BOX_W, middle + BOX_H // 2, 2 * COLUMN, i * ROW + 10 + BOX_H // 2))
        row += 1  # a gap between teams
    root = (max(row - 2, 0) * ROW) // 2 + 10
    parts.append(_box(0, root, f"app-of-apps {state.organization}/{state.environment}", "root"))
    parts += [_edge(BOX_W, root + BOX_H // 2, COLUMN, y + BOX_H // 2) for y in team_rows]
    height = max(row * ROW, ROW) + 20
    width = 3 * COLUMN + leaf_width + 10
    # Edges first so that boxes sit on top of them.
    ordered = [p for p in parts if p.startswith("<path")] + [p for p in parts if not p.startswith("<path")]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="fleet diagram">{"".join(ordered)}</svg>'
    )


SCRIPT = """
(function(){
  const team=document.getElementById('team'), persona=document.getElementById('persona'), search=document.getElementById('search');
  function apply(){
    let shown=0;
    document.querySelectorAll('#matrix tbody tr').forEach(function(row){
      const ok=(!team.value||row.dataset.team===team.value)&&(!persona.value||row.dataset.persona===persona.value)
        &&(!search.value||row.textContent.toLowerCase().indexOf(search.value.toLowerCase())>=0);
      row.classList.toggle('hidden',!ok); if(ok){shown++;}
    });
    document.querySelectorAll('#matrix section.team').forEach(function(section){
      section.classList.toggle('hidden',!section.querySelector('tbody tr:not(.hidden)'));
    });
    document.getElementById('shown').textContent=shown;
  }
  const params=new URLSearchParams(location.hash.slice(1));
  if(params.get('team')){team.value=params.get('team');}
  if(params.get('persona')){persona.value=params.get('persona');}
  [team,persona].forEach(function(el){el.addEventListener('change',apply);}); search.addEventListener('input',apply);
  apply();
})();
"""


def _row(group: GroupAccess, namespaces: list[str]) -> str:
    cells = []
    for ns in namespaces:
        resources = group.kubernetes.get(ns, {})
        through_pods = group.indirect.get(ns)
        strongest = level(resources, bool(through_pods))
        title = f"{len(resources)} resources; " + ", ".join(
            f"{r}: {'/'.join(v)}" for r, v in sorted(resources.items())[:40]
        )
        note = '<span class="pods">secrets and roles through pods</span>' if through_pods else ""
        shown = strongest if strongest != "none" else "·"
        cells.append(f'<td class="cell {strongest}" title="{_esc(title)}">{shown}{note}</td>')
    permissions = group.argocd.permissions
    argocd = f"write {len(argocd_writes(permissions))}; " + ", ".join(permissions) if permissions else "none"
    aws = [f"{arn.rsplit('/', 1)[-1]} (SAML)" for arn in group.aws_roles]
    aws += sorted({f"{arn.rsplit('/', 1)[-1]} (through pods)" for e in group.indirect.values() for arn in e.aws_roles})
    rule = (
        f"<code>{_esc(group.membership_rule)}</code>" if group.membership_rule else '<span class="small">by hand</span>'
    )
    return (
        f'<tr data-team="{_esc(group.team)}" data-persona="{_esc(group.persona)}">'
        f"<th>{_esc(group.okta_group)}<br>{rule}</th>{''.join(cells)}"
        f'<td class="small">{_esc(argocd)}</td><td class="small">{_esc(", ".join(aws) or "none")}</td></tr>'
    )


def _team_table(team: str, own: list[str], groups: list[GroupAccess]) -> str:
    """One table a team: its groups x the namespaces they reach (its own first). A table per
    team keeps the page linear in the size of the fleet; a grant outside the team's own
    namespaces still shows, as an extra column."""
    reached = {ns for g in groups for ns in g.kubernetes}
    namespaces = own + sorted(reached - set(own))
    header = "".join(f"<th>{_esc(ns)}</th>" for ns in namespaces)
    body = "".join(_row(g, namespaces) for g in groups)
    return (
        f'<section class="team" data-team="{_esc(team)}"><h3>team {_esc(team)}</h3>'
        f"<table><thead><tr><th>Okta group / members</th>{header}<th>Argo CD</th><th>AWS roles</th></tr></thead>"
        f"<tbody>{body}</tbody></table></section>"
    )


def _readers(readers: list[Reader]) -> str:
    rows = "".join(
        f'<tr><th>{_esc(r.kubernetes_group)}</th><td class="small">{_esc(r.purpose)}</td>'
        f'<td>{_esc(scope)}</td><td class="small">{_esc(verbs_summary(resources))}</td></tr>'
        for r in readers
        for scope, resources in r.kubernetes.items()
    )
    if not rows:
        return ""
    return (
        '<h2>Read-only groups</h2><table id="readers"><thead><tr><th>Kubernetes group</th><th>for</th>'
        f"<th>where</th><th>verbs: resources</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _repo_credentials(credentials: list[RepoCredential]) -> str:
    """Argo CD's Git credentials per project (fleet/render/repo_creds.py), when there are any."""
    if not credentials:
        return ""
    rows = "".join(
        f"<tr><td>{_esc(c.project)}</td><td>{_esc(c.repo)}</td><td>{_esc(str(c.github_app_id))}</td>"
        f'<td>{_esc(str(c.installation_id))}</td><td class="small">{_esc(c.key)}</td></tr>'
        for c in credentials
    )
    return (
        "<h2>Argo CD repository credentials</h2>"
        '<p class="small">GitHub App installation tokens (one hour), each usable only by its project.</p>'
        "<table><thead><tr><th>project</th><th>repository</th><th>GitHub App</th><th>installation</th>"
        f"<th>key (store: path)</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def page(state: FleetState, matrix: AccessMatrix, mermaid: str) -> str:
    by_team: dict[str, list[GroupAccess]] = {}
    for group in matrix.groups:
        by_team.setdefault(group.team, []).append(group)
    tables = "".join(_team_table(team.name, list(team.namespaces), by_team.get(team.name, [])) for team in state.teams)
    teams = sorted(by_team)
    personas = sorted({g.persona for g in matrix.groups})
    total = len(matrix.groups)
    options = lambda values: "".join(f'<option value="{_esc(v)}">{_esc(v)}</option>' for v in values)  # noqa: E731
    title = f"Access: {state.organization} / {state.environment}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{_esc(title)}</title><style>{STYLE}</style></head>
<body>
<h1>{_esc(title)}</h1>
<p class="lede">Who (an Okta group) can do what, where: read back from the rendered Roles, RoleBindings,
AppProject roles and IAM trust policies. Colour is the strongest access in a namespace.</p>
<div class="legend"><span class="cell admin" style="background:#ffd7d5">admin: secrets or exec</span><span style="background:#fff1c5">edit: writes workloads</span><span style="background:#dafbe1">view: reads</span><span>· none</span></div>
<h2>Groups &times; namespaces, per team</h2>
<div class="filters"><label for="team">Team</label><select id="team"><option value="">all</option>{options(teams)}</select>
<label for="persona">Persona</label><select id="persona"><option value="">all</option>{options(personas)}</select>
<label for="search">Search</label><input id="search" type="search" placeholder="group, rule, role…">
<span class="small"><span id="shown">{total}</span> of {total} groups</span></div>
<div id="matrix">{tables}</div>
{_readers(matrix.readers)}
{_repo_credentials(matrix.repo_credentials)}
<h2>The fleet</h2>
{diagram(state)}
<details><summary class="small">Mermaid source (graph.mmd)</summary><pre>{_esc(mermaid)}</pre></details>
<script>{SCRIPT}</script>
</body></html>
"""
