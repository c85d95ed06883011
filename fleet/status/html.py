"""`fleet status --format html`: one self-contained page, in the style of the access report.

Per team and app a row, each environment's sync, health and revision side by side, coloured by
health; filters by team and environment (`#team=payments&env=prod` presets them); then, per
environment, what should not be there and the platform objects changed by hand.
"""

from __future__ import annotations

from fleet.status.formats import short
from fleet.status.report import Cell, EnvironmentStatus, StatusReport
from fleet.text.html import STYLE as ACCESS_STYLE
from fleet.text.html import escape as _esc

STYLE = (
    ACCESS_STYLE
    + """
td.st{min-width:150px} td.st .rev{font:12px ui-monospace,monospace;display:block;color:#57606a}
td.healthy{background:#dafbe1;color:#116329} td.progressing,td.suspended{background:#ddf4ff;color:#0550ae}
td.out-of-sync{background:#fff1c5;color:#7d4e00} td.degraded,td.missing{background:#ffd7d5;color:#82071e}
td.unknown{background:#eaeef2;color:#57606a} td.absent{color:#8c959f;text-align:center}
.hidden-env{display:none} ul.findings{margin:4px 0 12px;padding-left:20px} ul.findings li{margin:2px 0}
.envhead{color:#57606a;font-size:12px} .bad{color:#82071e;font-weight:600}
"""
)

SCRIPT = """
(function(){
  const team=document.getElementById('team'), env=document.getElementById('env'), search=document.getElementById('search');
  function apply(){
    let shown=0;
    document.querySelectorAll('#apps tbody tr').forEach(function(row){
      const ok=(!team.value||row.dataset.team===team.value)
        &&(!search.value||row.textContent.toLowerCase().indexOf(search.value.toLowerCase())>=0);
      row.classList.toggle('hidden',!ok); if(ok){shown++;}
    });
    document.querySelectorAll('[data-env]').forEach(function(el){
      el.classList.toggle('hidden-env',!!env.value&&el.dataset.env!==env.value);
    });
    document.getElementById('shown').textContent=shown;
  }
  const params=new URLSearchParams(location.hash.slice(1));
  if(params.get('team')){team.value=params.get('team');}
  if(params.get('env')){env.value=params.get('env');}
  [team,env].forEach(function(el){el.addEventListener('change',apply);}); search.addEventListener('input',apply);
  apply();
})();
"""


def _cell(env: str, cell: Cell | None) -> str:
    if cell is None:
        return f'<td class="st absent" data-env="{_esc(env)}" title="not declared in {_esc(env)}">·</td>'
    title = f"{cell.sync} / {cell.health}; deployed {cell.revision or 'nothing'}; declared {cell.declared_revision}"
    word = "absent" if cell.verdict == "missing" else f"{cell.sync} / {cell.health}"
    return (
        f'<td class="st {cell.verdict}" data-env="{_esc(env)}" data-verdict="{cell.verdict}" title="{_esc(title)}">'
        f'{_esc(word)}<span class="rev">{_esc(short(cell.revision))} ({_esc(cell.declared_revision)})</span></td>'
    )


def _environment(env: EnvironmentStatus) -> str:
    troubled = [a for a in env.applications if a.verdict != "healthy"]
    parts = [
        f'<section data-env="{_esc(env.environment)}"><h3>{_esc(env.environment)}</h3>',
        f'<p class="envhead">context <code>{_esc(env.context)}</code>, {_esc(env.server)}, observed '
        f"{_esc(env.observed_at)}: {env.summary.apps} apps, {env.summary.verdicts.get('healthy', 0)} healthy, "
        f"{env.summary.unexpected} unexpected, {env.summary.drift} drifted</p>",
    ]
    if troubled:
        items = []
        for a in troubled:
            conditions = "".join(f"<li>{_esc(c.severity)} {_esc(c.type)}: {_esc(c.message)}</li>" for c in a.conditions)
            state = "absent" if not a.found else f"{a.sync} / {a.health}"
            items.append(
                f'<li><span class="bad">{_esc(a.application)}</span> {_esc(state)}, last sync '
                f"{_esc(a.last_synced_at or '—')} {_esc(a.operation_phase or '')}"
                + (f'<ul class="findings">{conditions}</ul>' if conditions else "")
                + "</li>"
            )
        parts.append(f'<ul class="findings">{"".join(items)}</ul>')
    if env.unexpected:
        parts.append("<h4>What should not be there</h4>")
        parts.append(
            '<ul class="findings">'
            + "".join(f"<li><code>{_esc(u.reason)}</code> {_esc(u.message)}</li>" for u in env.unexpected)
            + "</ul>"
        )
    if env.drift:
        parts.append('<h4>Platform objects missing or changed by hand</h4><ul class="findings">')
        for d in env.drift:
            where = f"{d.namespace}/{d.name}" if d.namespace else d.name
            fields = "".join(
                f"<li><code>{_esc(f.path)}</code>: plan <code>{_esc(f.planned)}</code>, live <code>{_esc(f.live)}</code></li>"
                for f in d.fields
            )
            parts.append(
                f'<li>{_esc(d.kind)} <code>{_esc(where)}</code> <span class="bad">{_esc(d.state)}</span>'
                + (f'<ul class="findings">{fields}</ul>' if fields else "")
                + "</li>"
            )
        parts.append("</ul>")
    parts.append("</section>")
    return "".join(parts)


def page(report: StatusReport) -> str:
    envs = [e.environment for e in report.environments]
    teams = sorted({row.team for row in report.apps})
    options = lambda values: "".join(f'<option value="{_esc(v)}">{_esc(v)}</option>' for v in values)  # noqa: E731
    header = "".join(f'<th data-env="{_esc(e)}">{_esc(e)}</th>' for e in envs)
    rows = []
    for row in report.apps:
        same = {True: "same", False: '<span class="bad">differs</span>', None: "·"}[row.same_revision]
        cells = "".join(_cell(e, row.environments.get(e)) for e in envs)
        rows.append(
            f'<tr data-team="{_esc(row.team)}"><th>{_esc(row.team)}</th><td>{_esc(row.app)}</td>{cells}'
            f'<td class="small">{same}</td></tr>'
        )
    organizations = ", ".join(sorted({e.organization for e in report.environments}))
    title = f"Fleet status: {organizations} / {', '.join(envs)}"
    total = len(report.apps)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{_esc(title)}</title><style>{STYLE}</style></head>
<body>
<h1>{_esc(title)}</h1>
<p class="lede">Every app of every environment, read from its cluster (get/list only) and joined with the
rendered plan: Argo CD's sync and health, the revision deployed (and the one declared).</p>
<div class="legend"><span style="background:#dafbe1">Synced / Healthy</span><span style="background:#ddf4ff">Progressing, Suspended</span><span style="background:#fff1c5">OutOfSync</span><span style="background:#ffd7d5">Degraded, absent</span><span style="background:#eaeef2">Unknown</span></div>
<h2>Apps &times; environments</h2>
<div class="filters"><label for="team">Team</label><select id="team"><option value="">all</option>{options(teams)}</select>
<label for="env">Environment</label><select id="env"><option value="">all</option>{options(envs)}</select>
<label for="search">Search</label><input id="search" type="search" placeholder="app, revision, status…">
<span class="small"><span id="shown">{total}</span> of {total} apps</span></div>
<table id="apps"><thead><tr><th>team</th><th>app</th>{header}<th>revision</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>Per environment</h2>
{"".join(_environment(e) for e in report.environments)}
<script>{SCRIPT}</script>
</body></html>
"""
