"""The plan directory: everything `pulumi up` would create, as reproducible files."""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson
from pydantic import BaseModel

from fleet.render.state import FleetState, Manifest
from fleet.reports import access, access_html, graph
from fleet.text.yaml_io import dump

# What `plan` owns inside --out: removed and written anew on every run, nothing else touched.
OWNED = ("kubernetes", "clusters", "aws", "okta", "access.md", "access.json", "access.html", "graph.mmd")


def to_json(data: Any) -> str:
    """Sorted, indented JSON; orjson writes what json.dumps(indent=2, sort_keys=True) would, faster.
    A model is written as its JSON data (field aliases as keys)."""
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"


def manifest_path(manifest: Manifest, cluster: str | None = None) -> str:
    """`kubernetes/<namespace or _cluster>/<kind>-<name>.yaml` on Argo CD's cluster (the only one
    without declared clusters); `clusters/<cluster>/…` the same on each declared cluster."""
    folder = manifest.namespace or "_cluster"
    top = "kubernetes" if cluster is None else f"clusters/{cluster}"
    return f"{top}/{folder}/{manifest.kind.lower()}-{manifest.name}.yaml"


def okta_groups(state: FleetState) -> list[dict[str, Any]]:
    return [{"name": g.name, "description": g.description, "rule": g.rule} for g in state.groups()]


def files(state: FleetState) -> dict[str, str]:
    """Relative path → content. Pure, so tests and `fleet diff` can use it without a disk."""
    out: dict[str, str] = {}
    for cluster, manifest in state.placed():
        out[manifest_path(manifest, cluster)] = dump(manifest.obj)
    for role in state.roles():
        out[f"aws/roles/{role.name}.json"] = to_json(role.document())
    out["okta/groups.json"] = to_json(okta_groups(state))
    matrix = access.matrix(state)
    out["access.json"] = to_json(matrix)
    out["access.md"] = access.markdown(matrix)
    out["graph.mmd"] = graph.mermaid(state)
    out["access.html"] = access_html.page(state, matrix, out["graph.mmd"])
    return dict(sorted(out.items()))


def summary(state: FleetState) -> str:
    kinds = Counter(m.kind for _, m in state.placed())  # once per cluster an object goes to
    roles = list(state.roles())
    groups = list(state.groups())
    rules = sum(1 for g in groups if g.rule)
    apps = sum(len(t.apps) for t in state.teams)
    protected = sum(1 for g in groups if g.protect) + sum(1 for r in roles if r.protect) + kinds_protected(state)
    clusters = [c for c in state.clusters if c is not None]
    where = f", {len(clusters)} clusters ({', '.join(clusters)})" if clusters else ""
    lines = [
        f"{state.organization}/{state.environment}: {len(state.teams)} teams, {apps} apps{where}",
        f"  okta        {len(groups)} groups, {rules} group rules",
        f"  aws         {len(roles)} IAM roles",
        "  kubernetes  "
        + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()) if k not in ("AppProject", "Application")),
        f"  argocd      {kinds['AppProject']} AppProjects, {kinds['Application']} Applications",
        f"  protected   {protected} resources (deletion protection)",
    ]
    return "\n".join(lines)


def kinds_protected(state: FleetState) -> int:
    return sum(1 for m in state.manifests() if m.protect)
