"""`fleet status`: the live state of every child app, joined with the rendered plan. Pure.

The reader (`fleet.io.cluster`) lists a handful of kinds from each environment's API server
and hands them over as `Observed`; everything below is computation on plain data, so the tests
feed it recorded API responses. The models are the JSON output; `schemas/status.v1.json` is
generated from them and a test keeps the two equal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from fleet.apis.kubernetes import READ_KINDS, quantity
from fleet.catalog.naming import ARGOCD_DEFAULT_PROJECT, CLUSTER_LABEL
from fleet.catalog.platform import PLATFORM_OWNED_KINDS
from fleet.render.state import FleetState, Manifest

VERSION = 1
SCHEMA_ID = "https://app-of-apps.io/schemas/status.v1.json"

Sync = Literal["Synced", "OutOfSync", "Unknown"]
Health = Literal["Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"]
# One word per app, worst first; what the exit code, the colours and the metrics key on.
Verdict = Literal["missing", "degraded", "out-of-sync", "progressing", "suspended", "unknown", "healthy"]
VERDICTS: tuple[Verdict, ...] = ("missing", "degraded", "out-of-sync", "progressing", "suspended", "unknown", "healthy")
SYNCS: tuple[Sync, ...] = ("Synced", "OutOfSync", "Unknown")
HEALTHS: tuple[Health, ...] = ("Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown")
FailOn = Literal["degraded", "out-of-sync", "drift"]
FAIL_ON: tuple[FailOn, ...] = ("degraded", "out-of-sync", "drift")

# Kinds only the platform may create in a team namespace (Argo CD projects blacklist them), so
# one that is not in the plan was added by hand.
OWNED_KINDS = frozenset(kind for _, kind in PLATFORM_OWNED_KINDS)
# What Kubernetes itself creates in every namespace (the serviceaccount controller).
KUBERNETES_OWN = frozenset({("ServiceAccount", "default")})
# Fields the API server or Argo CD write on live objects: never compared with the plan.
LIVE_ONLY = frozenset({"apiVersion", "kind", "metadata", "status", "operation"})
# What the API server sets on objects that the plan leaves unset (kind -> field -> value), as a
# real kube-apiserver returns them (tests/data/status/): the same value there is not drift.
SERVER_DEFAULTS: dict[str, dict[str, Any]] = {"Namespace": {"spec": {"finalizers": ["kubernetes"]}}}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Condition(_Model):
    type: str
    severity: Literal["error", "warning", "info"]
    message: str
    last_transition_time: str | None = None


class FieldDrift(_Model):
    path: str  # dotted, with [i] for list items: spec.hard.requests.cpu, rules[0].verbs
    planned: Any  # null: the plan does not have the field
    live: Any  # null: the live object does not have it


class ApplicationStatus(_Model):
    team: str
    app: str
    application: str  # the Application's name in the Argo CD namespace
    cluster: str | None = None  # the declared cluster it deploys to; None: the environment's one cluster
    project: str
    namespace: str  # where it deploys
    declared_revision: str  # source.revision in the catalog (targetRevision)
    found: bool
    sync: Sync
    health: Health
    revision: str | None  # status.sync.revision: what is deployed (a commit for Git sources)
    last_synced_at: str | None  # status.operationState.finishedAt
    operation_phase: str | None  # status.operationState.phase: Succeeded, Failed, Error, Running
    conditions: list[Condition]
    drift: list[FieldDrift]  # the Application's own spec and metadata changed by hand
    verdict: Verdict


class ObjectDrift(_Model):
    kind: str
    namespace: str | None
    name: str
    team: str | None
    state: Literal["missing", "changed"]
    fields: list[FieldDrift]
    cluster: str | None = None  # the declared cluster it is on; None: the environment's one cluster (or Argo CD's)


class Unexpected(_Model):
    kind: str
    namespace: str | None
    name: str
    project: str | None
    reason: Literal["undeclared-application", "default-project", "undeclared-project", "not-in-plan"]
    message: str
    cluster: str | None = None  # the declared cluster it is on; None: the environment's one cluster (or Argo CD's)


class EnvironmentSummary(_Model):
    apps: int
    verdicts: dict[Verdict, int]
    unexpected: int
    drift: int


class ClusterRead(_Model):
    """One of the environment's declared clusters, as the reader reached it."""

    name: str
    context: str
    server: str


class EnvironmentStatus(_Model):
    environment: str
    organization: str
    context: str  # Argo CD's cluster (the one of `cluster`): its Applications and AppProjects
    server: str
    argocd_namespace: str
    observed_at: str
    applications: list[ApplicationStatus]
    unexpected: list[Unexpected]
    drift: list[ObjectDrift]
    summary: EnvironmentSummary
    clusters: list[ClusterRead] = []  # declared clusters, each read for the objects placed on it


class Cell(_Model):
    verdict: Verdict
    sync: Sync
    health: Health
    revision: str | None
    declared_revision: str


class AppRow(_Model):
    team: str
    app: str
    environments: dict[str, Cell]  # environment -> its cell; absent where the app is not declared
    same_revision: bool | None  # every environment where it runs is on one revision; null: fewer than two


class StatusReport(_Model):
    version: Literal[1] = VERSION
    environments: list[EnvironmentStatus]
    apps: list[AppRow]


@dataclass(frozen=True)
class Observed:
    """What the reader listed in one environment, as plain objects (kind and apiVersion set)."""

    context: str
    server: str
    observed_at: str
    objects: tuple[dict[str, Any], ...]  # the READ_KINDS in the fleet's namespaces, and Namespaces
    applications: tuple[dict[str, Any], ...]  # Applications in the Argo CD namespace
    projects: tuple[dict[str, Any], ...]  # AppProjects in the Argo CD namespace
    # With declared clusters: the READ_KINDS of each (then `objects` is not read: Argo CD's cluster
    # holds no team objects, and the reader may list only Argo CD's kinds there).
    clusters: tuple[ClusterObserved, ...] = ()


@dataclass(frozen=True)
class ClusterObserved:
    """What the reader listed on one declared cluster."""

    name: str
    context: str
    server: str
    objects: tuple[dict[str, Any], ...]


def items_of(list_response: Mapping[str, Any], kind: str, api_version: str) -> list[dict[str, Any]]:
    """The objects of a list response. Items of built-in lists carry no kind/apiVersion: set them."""
    return [{**item, "kind": kind, "apiVersion": api_version} for item in list_response.get("items") or []]


# --- comparing a live object with the plan ----------------------------------------------------


def _empty(value: Any) -> bool:
    # Built-in kinds omit empty lists and maps when served; the plan may spell them out.
    return value is None or value == [] or value == {}


def _same(planned: Any, live: Any) -> bool:
    if planned == live:
        return True
    if isinstance(planned, str) and isinstance(live, str):
        a, b = quantity(planned), quantity(live)
        return a is not None and a == b
    return _empty(planned) and _empty(live)


def _compare(planned: Any, live: Any, path: str, out: list[FieldDrift]) -> None:
    if planned == live:  # the common case, decided in C
        return
    if isinstance(planned, dict) and isinstance(live, dict):
        for key in sorted(set(planned) | set(live)):
            _compare(planned.get(key), live.get(key), f"{path}.{key}" if path else str(key), out)
    elif isinstance(planned, list) and isinstance(live, list) and len(planned) == len(live):
        for i, (p, v) in enumerate(zip(planned, live, strict=True)):
            _compare(p, v, f"{path}[{i}]", out)
    elif not _same(planned, live):
        out.append(FieldDrift(path=path or "(object)", planned=planned, live=live))


def compare(planned: Mapping[str, Any], live: Mapping[str, Any]) -> list[FieldDrift]:
    """Field by field: every field the plan sets must hold its value; labels, annotations and
    finalizers others add are theirs (kubectl, Argo CD); anything else added by hand is drift."""
    out: list[FieldDrift] = []
    p_meta, l_meta = planned.get("metadata") or {}, live.get("metadata") or {}
    for field in ("labels", "annotations"):
        live_map = l_meta.get(field) or {}
        for key, value in sorted((p_meta.get(field) or {}).items()):
            if live_map.get(key) != value:
                out.append(FieldDrift(path=f"metadata.{field}.{key}", planned=value, live=live_map.get(key)))
    wanted = [f for f in p_meta.get("finalizers") or [] if f not in (l_meta.get("finalizers") or [])]
    if wanted:
        out.append(FieldDrift(path="metadata.finalizers", planned=wanted, live=l_meta.get("finalizers")))
    live_fields = {k: v for k, v in live.items() if k not in LIVE_ONLY}
    for field, default in SERVER_DEFAULTS.get(str(live.get("kind")), {}).items():
        if field not in planned and live_fields.get(field) == default:
            del live_fields[field]
    _compare({k: v for k, v in planned.items() if k not in LIVE_ONLY}, live_fields, "", out)
    return out


# --- Argo CD's words --------------------------------------------------------------------------
def _severity(condition_type: str) -> Literal["error", "warning", "info"]:
    # Argo CD's condition types end in Error or Warning (ComparisonError, SyncError,
    # OrphanedResourceWarning, ...); the rest are informational.
    if condition_type.endswith("Error"):
        return "error"
    if condition_type.endswith("Warning"):
        return "warning"
    return "info"


def _sync(value: Any) -> Sync:
    return value if value in SYNCS else "Unknown"


def _health(value: Any) -> Health:
    return value if value in HEALTHS else "Unknown"


def verdict(found: bool, sync: Sync, health: Health) -> Verdict:
    if not found:
        return "missing"
    if health in ("Degraded", "Missing"):
        return "degraded"
    if sync == "OutOfSync":
        return "out-of-sync"
    if health == "Progressing":
        return "progressing"
    if health == "Suspended":
        return "suspended"
    if sync == "Synced" and health == "Healthy":
        return "healthy"
    return "unknown"


def _revision(sync: Mapping[str, Any]) -> str | None:
    if sync.get("revision"):
        return str(sync["revision"])
    revisions = [str(r) for r in sync.get("revisions") or [] if r]  # multi-source Applications
    return ",".join(revisions) or None


def _application(team: str, app: str, planned: Manifest, live: Mapping[str, Any] | None) -> ApplicationStatus:
    spec = planned.obj["spec"]
    common = {
        "team": team,
        "app": app,
        "application": planned.name,
        "cluster": planned.obj["metadata"]["labels"].get(CLUSTER_LABEL),
        "project": spec["project"],
        "namespace": spec["destination"]["namespace"],
        # a multi-source Application declares one revision per source
        "declared_revision": (
            spec["source"]["targetRevision"]
            if "source" in spec
            else ", ".join(str(s.get("targetRevision", "")) for s in spec.get("sources", []))
        ),
    }
    if live is None:
        return ApplicationStatus(
            **common,
            found=False,
            sync="Unknown",
            health="Missing",  # Argo CD's word for a resource that does not exist
            revision=None,
            last_synced_at=None,
            operation_phase=None,
            conditions=[],
            drift=[],
            verdict="missing",
        )
    status = live.get("status") or {}
    sync_status = status.get("sync") or {}
    operation = status.get("operationState") or {}
    sync, health = _sync(sync_status.get("status")), _health((status.get("health") or {}).get("status"))
    conditions = [
        Condition(
            type=str(c.get("type", "")),
            severity=_severity(str(c.get("type", ""))),
            message=str(c.get("message", "")),
            last_transition_time=c.get("lastTransitionTime"),
        )
        for c in status.get("conditions") or []
        if isinstance(c, Mapping)
    ]
    return ApplicationStatus(
        **common,
        found=True,
        sync=sync,
        health=health,
        revision=_revision(sync_status),
        last_synced_at=operation.get("finishedAt"),
        operation_phase=operation.get("phase"),
        conditions=conditions,
        drift=compare(planned.obj, live),
        verdict=verdict(True, sync, health),
    )


# --- one environment --------------------------------------------------------------------------
def _key(obj: Mapping[str, Any]) -> tuple[str, str | None, str]:
    meta = obj.get("metadata") or {}
    return (str(obj.get("kind")), meta.get("namespace"), str(meta.get("name")))


def environment(state: FleetState, observed: Observed) -> EnvironmentStatus:
    """Join what one environment's API server holds with what its catalog renders."""
    argocd = state.argocd_namespace
    # (cluster, kind, namespace, name): each declared cluster's objects, or the one cluster's.
    live: dict[tuple[str | None, str, str | None, str], Mapping[str, Any]] = (
        {(c.name, *_key(o)): o for c in observed.clusters for o in c.objects}
        if observed.clusters
        else {(None, *_key(o)): o for o in observed.objects}
    )
    live_apps = {str(a["metadata"]["name"]): a for a in observed.applications}
    live_projects = {str(p["metadata"]["name"]): p for p in observed.projects}
    team_namespaces = {ns: team.name for team in state.teams for ns in team.namespaces}
    read_kinds = {kind.name for kind in READ_KINDS}

    applications: list[ApplicationStatus] = []
    drift: list[ObjectDrift] = []
    planned_keys: set[tuple[str | None, str, str | None, str]] = set()

    def judge(
        team: str | None, manifest: Manifest, current: Mapping[str, Any] | None, cluster: str | None = None
    ) -> None:
        if current is None:
            drift.append(
                ObjectDrift(
                    kind=manifest.kind,
                    namespace=manifest.namespace,
                    name=manifest.name,
                    team=team,
                    state="missing",
                    fields=[],
                    cluster=cluster,
                )
            )
            return
        fields = compare(manifest.obj, current)
        if fields:
            drift.append(
                ObjectDrift(
                    kind=manifest.kind,
                    namespace=manifest.namespace,
                    name=manifest.name,
                    team=team,
                    state="changed",
                    fields=fields,
                    cluster=cluster,
                )
            )

    def placed(cluster: str | None, manifest: Manifest) -> tuple[str | None, str, str | None, str]:
        key = (cluster, *_key(manifest.obj))
        planned_keys.add(key)
        return key

    for team in state.teams:
        for manifest in team.manifests():
            if manifest.kind == "AppProject":
                judge(team.name, manifest, live_projects.get(manifest.name))
                continue
            if manifest.kind not in read_kinds:
                continue
            # On every cluster its namespace is on (a Namespace: itself).
            for cluster in team.clusters_of(manifest.namespace or manifest.name):
                judge(team.name, manifest, live.get(placed(cluster, manifest)), cluster)
        for app in team.apps:
            for cluster in app.clusters:
                judge(team.name, app.service_account, live.get(placed(cluster, app.service_account)), cluster)
            for application in app.applications:  # one row per app per cluster
                status = _application(team.name, app.name, application, live_apps.get(application.name))
                applications.append(status)
                if not status.found:
                    judge(team.name, application, None)
                elif status.drift:
                    drift.append(
                        ObjectDrift(
                            kind="Application",
                            namespace=argocd,
                            name=application.name,
                            team=team.name,
                            state="changed",
                            fields=status.drift,
                        )
                    )
    for cluster, manifest in state.placed_readers():
        # Its own Role and RoleBinding are listable (ClusterRoles are not: it may not read them);
        # with declared clusters, Argo CD's cluster is read for Argo CD's kinds only.
        if manifest.kind in read_kinds and (cluster is not None or not observed.clusters):
            judge(None, manifest, live.get(placed(cluster, manifest)), cluster)

    unexpected = _unexpected(state, observed, planned_keys, team_namespaces)
    return EnvironmentStatus(
        environment=state.environment,
        organization=state.organization,
        context=observed.context,
        server=observed.server,
        argocd_namespace=argocd,
        observed_at=observed.observed_at,
        applications=applications,
        unexpected=unexpected,
        drift=sorted(drift, key=lambda d: (d.kind, d.namespace or "", d.name, d.cluster or "")),
        summary=EnvironmentSummary(
            apps=len(applications),
            verdicts={v: sum(1 for a in applications if a.verdict == v) for v in VERDICTS},
            unexpected=len(unexpected),
            drift=len(drift),
        ),
        clusters=[ClusterRead(name=c.name, context=c.context, server=c.server) for c in observed.clusters],
    )


def _unexpected(
    state: FleetState,
    observed: Observed,
    planned_keys: set[tuple[str | None, str, str | None, str]],
    team_namespaces: Mapping[str, str],
) -> list[Unexpected]:
    argocd = state.argocd_namespace
    projects = {team.project.name for team in state.teams}
    applications = {a.name for team in state.teams for app in team.apps for a in app.applications}
    out: list[Unexpected] = []
    for obj in sorted(observed.applications, key=lambda a: str(a["metadata"]["name"])):
        name = str(obj["metadata"]["name"])
        project = str((obj.get("spec") or {}).get("project") or ARGOCD_DEFAULT_PROJECT)
        if project == ARGOCD_DEFAULT_PROJECT:
            out.append(
                Unexpected(
                    kind="Application",
                    namespace=argocd,
                    name=name,
                    project=project,
                    reason="default-project",
                    message=f"Application {name} is in Argo CD's default project, which allows every repository and destination",
                )
            )
        elif project in projects and name not in applications:
            out.append(
                Unexpected(
                    kind="Application",
                    namespace=argocd,
                    name=name,
                    project=project,
                    reason="undeclared-application",
                    message=f"Application {name} is in team project {project} but not in the catalog",
                )
            )
    for obj in sorted(observed.projects, key=lambda p: str(p["metadata"]["name"])):
        name = str(obj["metadata"]["name"])
        if name not in projects and name != ARGOCD_DEFAULT_PROJECT:
            out.append(
                Unexpected(
                    kind="AppProject",
                    namespace=argocd,
                    name=name,
                    project=name,
                    reason="undeclared-project",
                    message=f"AppProject {name} is not in the catalog",
                )
            )
    live = (
        [(c.name, obj) for c in observed.clusters for obj in sorted(c.objects, key=_key)]
        if observed.clusters
        else [(None, obj) for obj in sorted(observed.objects, key=_key)]
    )
    for cluster, obj in live:
        kind, namespace, name = _key(obj)
        if (
            kind in OWNED_KINDS
            and namespace in team_namespaces
            and (cluster, kind, namespace, name) not in planned_keys
            and (kind, name) not in KUBERNETES_OWN
        ):
            on = f" on cluster {cluster}" if cluster is not None else ""
            out.append(
                Unexpected(
                    kind=kind,
                    namespace=namespace,
                    name=name,
                    project=None,
                    reason="not-in-plan",
                    message=f"{kind} {namespace}/{name}{on} is not in the plan: only the platform creates {kind}s in team namespaces",
                    cluster=cluster,
                )
            )
    return out


# --- across environments ----------------------------------------------------------------------
def report(environments: Sequence[EnvironmentStatus]) -> StatusReport:
    """Per team and app, each environment side by side, in the order the catalogs were given."""
    rows: dict[tuple[str, str], dict[str, Cell]] = {}
    for env in environments:
        by_app: dict[tuple[str, str], list[ApplicationStatus]] = {}
        for a in env.applications:
            by_app.setdefault((a.team, a.app), []).append(a)
        for key, placed in by_app.items():
            # An app on several clusters is one cell: its first Application that is not healthy
            # (else its first), and a revision only when every cluster runs the same one.
            shown = next((a for a in placed if a.verdict != "healthy"), placed[0])
            revisions = {a.revision for a in placed}
            rows.setdefault(key, {})[env.environment] = Cell(
                verdict=shown.verdict,
                sync=shown.sync,
                health=shown.health,
                revision=shown.revision if len(revisions) == 1 else None,
                declared_revision=shown.declared_revision,
            )
    apps = []
    for (team, app), cells in sorted(rows.items()):
        revisions = [c.revision for c in cells.values() if c.revision is not None]
        same = len(set(revisions)) == 1 if len(revisions) >= 2 else None
        apps.append(AppRow(team=team, app=app, environments=cells, same_revision=same))
    return StatusReport(environments=list(environments), apps=apps)


def failures(status: StatusReport, conditions: Iterable[FailOn]) -> list[str]:
    """One line per reason to fail: what `--fail-on` turns into exit 1."""
    wanted = set(conditions)
    out: list[str] = []
    for env in status.environments:
        where = env.environment
        for a in env.applications:
            if "degraded" in wanted and a.verdict in ("missing", "degraded"):
                out.append(f"{where}: {a.application} is {'absent' if not a.found else a.health} [degraded]")
            if "out-of-sync" in wanted and (not a.found or a.sync == "OutOfSync"):
                out.append(f"{where}: {a.application} is {'absent' if not a.found else a.sync} [out-of-sync]")
        if "drift" in wanted:
            out += [f"{where}: {d.kind} {_where(d.namespace, d.name)} {d.state} [drift]" for d in env.drift]
            out += [f"{where}: {u.message} [drift]" for u in env.unexpected]
    return out


def _where(namespace: str | None, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


@dataclass(frozen=True)
class Readiness:
    ok: bool
    reason: str


def ready(env: EnvironmentStatus, team: str, app: str, revision: str | None = None) -> Readiness:
    """Is `team/app` Synced and Healthy in `env`, on `revision` when given?

    `revision` is compared with what Argo CD deployed (status.sync.revision, a commit for Git
    sources); an abbreviated commit (7+ hex characters) matches its full form. Resolve tags and
    branches to a commit first: a tag's name never appears in the status.
    """
    rows = [a for a in env.applications if a.team == team and a.app == app]
    where = f"{team}/{app} in {env.environment}"
    if not rows:
        return Readiness(False, f"{where}: not in the catalog")
    # Several clusters: one Application each, and every one of them must be ready.
    for found in rows:
        place = f"{where} ({found.application})" if len(rows) > 1 else where
        if found.verdict != "healthy":
            state = "absent" if not found.found else f"{found.sync}/{found.health}"
            return Readiness(False, f"{place} is {state}, not Synced/Healthy")
        if revision is not None and not _same_revision(revision, found.revision):
            return Readiness(False, f"{place} is on {found.revision or 'no revision'}, not {revision}")
    deployed = sorted({found.revision or "an unknown revision" for found in rows})
    if len(deployed) > 1:
        return Readiness(False, f"{where} runs {', '.join(deployed)} on its clusters, not one revision")
    return Readiness(True, f"{where} is Synced/Healthy on {deployed[0]}")


def _same_revision(wanted: str, deployed: str | None) -> bool:
    if deployed is None:
        return False
    if wanted == deployed:
        return True
    return len(wanted) >= 7 and re.fullmatch(r"[0-9a-fA-F]+", wanted) is not None and deployed.startswith(wanted)


def json_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **StatusReport.model_json_schema(),
    }
