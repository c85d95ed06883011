"""A Mermaid diagram of the fleet: parent → teams → apps, with groups, roles and namespaces."""

from __future__ import annotations

import re

from fleet.render.state import FleetState


def _id(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))


def mermaid(state: FleetState) -> str:
    root = _id("fleet")
    lines = ["flowchart LR", f'  {root}["app-of-apps {state.organization}/{state.environment}"]']
    for team in state.teams:
        tid = _id("team", team.name)
        suffix = " (decommissioning)" if team.decommissioning else ""
        lines.append(f'  {tid}["team {team.name}{suffix}"]')
        lines.append(f"  {root} --> {tid}")
        lines.append(f'  {_id("project", team.name)}[/"AppProject {team.project.name}"/]')
        lines.append(f"  {tid} --- {_id('project', team.name)}")
        for group in team.groups:
            gid = _id("group", group.name)
            lines.append(f'  {gid}(["okta {group.name}"])')
            lines.append(f"  {gid} -.-> {tid}")
        for ns in team.namespaces:
            nid = _id("ns", ns)
            lines.append(f'  {nid}[("namespace {ns}")]')
            lines.append(f"  {tid} --- {nid}")
        for app in team.apps:
            aid = _id("app", team.name, app.name)
            suffix = " (decommissioning)" if app.decommissioning else ""
            lines.append(f'  {aid}["app {", ".join(a.name for a in app.applications)}{suffix}"]')
            lines.append(f"  {tid} --> {aid}")
            lines.append(f"  {aid} --> {_id('ns', app.namespace)}")
            if app.role is not None:
                rid = _id("role", app.role.name)
                lines.append(f'  {rid}{{{{"IAM {app.role.name}"}}}}')
                lines.append(f"  {aid} --> {rid}")
    return "\n".join(lines) + "\n"
