"""`fleet status` as Markdown (terminals, PR and issue comments) and OpenMetrics text."""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Iterable
from typing import Any

from fleet.status.report import HEALTHS, SYNCS, VERDICTS, Cell, EnvironmentStatus, StatusReport, Unexpected
from fleet.text import markdown as md

_GOOD = ("healthy",)


def short(revision: str | None) -> str:
    """A commit as its first 7 characters; anything else (a tag, several sources) as it is."""
    if revision is None:
        return "—"
    if re.fullmatch(r"[0-9a-f]{40}", revision):
        return revision[:7]
    return revision


def _cell(cell: Cell | None) -> str:
    if cell is None:
        return "·"
    if cell.verdict == "missing":
        return "**absent**"
    text = f"{cell.sync} / {cell.health} {md.code(short(cell.revision), table=True)}"
    return text if cell.verdict in _GOOD else f"**{cell.verdict}**: {text}"


def _value(value: Any) -> str:
    text = "(none)" if value is None else str(value)
    return md.code(text if len(text) <= 80 else text[:77] + "…")


def _summary(env: EnvironmentStatus) -> str:
    counts = ", ".join(f"{n} {v}" for v, n in env.summary.verdicts.items() if n)
    return (
        f"{env.summary.apps} apps ({counts or 'none'}); {env.summary.unexpected} unexpected; "
        f"{env.summary.drift} drifted platform objects"
    )


def _unexpected(items: Iterable[Unexpected]) -> list[str]:
    return [f"- {md.code(u.reason)} {md.text(u.message)}" for u in items]


def markdown(report: StatusReport) -> str:
    envs = [e.environment for e in report.environments]
    lines = ["### Fleet status", ""]
    for env in report.environments:
        lines.append(
            f"- **{md.text(env.environment)}** ({md.text(env.organization)}): context {md.code(env.context)}, "
            f"{md.code(env.server)}, observed {md.code(env.observed_at)}: {_summary(env)}"
        )
    lines += ["", "| team | app | " + " | ".join(md.text(e) for e in envs) + " | same revision |"]
    lines.append("|---|---|" + "---|" * len(envs) + "---|")
    for row in report.apps:
        same = {True: "yes", False: "**no**", None: "·"}[row.same_revision]
        cells = " | ".join(_cell(row.environments.get(e)) for e in envs)
        lines.append(f"| {md.text(row.team)} | {md.text(row.app)} | {cells} | {same} |")
    lines.append("")
    for env in report.environments:
        lines += [f"#### {md.text(env.environment)}", ""]
        if env.clusters:
            # Several clusters: each one read, and one row per app per cluster.
            reached = ", ".join(f"{md.text(c.name)} ({md.code(c.context)}, {md.code(c.server)})" for c in env.clusters)
            lines += [
                f"Clusters read: {reached}; Argo CD's cluster: {md.code(env.context)}.",
                "",
                "| app | cluster | sync | health | deployed (declared) |",
                "|---|---|---|---|---|",
            ]
            for a in env.applications:
                lines.append(
                    f"| {md.text(a.team)}/{md.text(a.app)} | {md.text(a.cluster or '—')} | {a.sync} "
                    f"| {a.health}{'' if a.found else ' (absent)'} "
                    f"| {md.code(short(a.revision), table=True)} ({md.text(a.declared_revision)}) |"
                )
            lines.append("")
        troubled = [a for a in env.applications if a.verdict not in _GOOD]
        if troubled:
            lines += [
                "| app | sync | health | deployed (declared) | last sync | conditions |",
                "|---|---|---|---|---|---|",
            ]
            for a in troubled:
                conditions = "; ".join(f"{c.severity} {c.type}: {c.message}" for c in a.conditions)
                synced = f"{a.last_synced_at or '—'} {a.operation_phase or ''}".strip()
                lines.append(
                    f"| {md.text(a.application)} | {a.sync} | {a.health}{'' if a.found else ' (absent)'} "
                    f"| {md.code(short(a.revision), table=True)} ({md.text(a.declared_revision)}) | {md.text(synced)} "
                    f"| {md.text(conditions) if conditions else '—'} |"
                )
            lines.append("")
        else:
            lines += ["Every declared app is Synced and Healthy.", ""]
        if env.unexpected:
            lines += ["What should not be there:", "", *_unexpected(env.unexpected), ""]
        if env.drift:
            lines += ["Platform objects missing or changed by hand (compared with the rendered plan):", ""]
            for d in env.drift:
                where = f"{d.namespace}/{d.name}" if d.namespace else d.name
                on = f" on {md.text(d.cluster)}" if d.cluster is not None else ""
                lines.append(f"- {d.kind} {md.code(where)}{on} **{d.state}**")
                lines += [
                    f"  - {md.code(f.path)}: plan {_value(f.planned)}, live {_value(f.live)}" for f in d.fields[:20]
                ]
                if len(d.fields) > 20:
                    lines.append(f"  - … and {len(d.fields) - 20} more fields")
            lines.append("")
    lines.append("Read by `python -m fleet status` with get/list rights only (the `fleet-status` group).")
    return "\n".join(lines) + "\n"


# --- OpenMetrics ------------------------------------------------------------------------------
PREFIX = "app_of_apps"


def _label(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: Any) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in labels.items()) + "}"


def _timestamp(value: str | None) -> float | None:
    """RFC 3339 as Argo CD writes it (2026-11-27T10:00:00Z) -> Unix seconds."""
    if not value:
        return None
    try:
        return float(calendar.timegm(time.strptime(value.rstrip("Z")[:19], "%Y-%m-%dT%H:%M:%S")))
    except ValueError:
        return None


def openmetrics(report: StatusReport) -> str:
    """One metric family at a time, as the format requires; `# EOF` at the end."""
    families: list[tuple[str, str, str, list[str]]] = []

    def family(name: str, kind: str, help_text: str) -> list[str]:
        samples: list[str] = []
        families.append((f"{PREFIX}_{name}", kind, help_text, samples))
        return samples

    health = family("application_health", "gauge", "Argo CD health of each declared Application: 1 on its status")
    sync = family("application_sync", "gauge", "Argo CD sync status of each declared Application: 1 on its status")
    verdict = family("application_verdict", "gauge", "One word per Application (fleet status): 1 on it")
    info = family("application", "info", "Revision deployed and declared, and the project, of each Application")
    synced = family("application_last_sync_timestamp_seconds", "gauge", "When the last sync operation finished")
    conditions = family("application_conditions", "gauge", "Conditions Argo CD reports on the Application")
    unexpected = family("unexpected_objects", "gauge", "Objects that should not be there, by reason")
    drifted = family("drifted_objects", "gauge", "Platform objects missing or changed by hand")
    observed = family("status_observed_timestamp_seconds", "gauge", "When the environment was read")
    for env in report.environments:
        for a in env.applications:
            who = {"environment": env.environment, "team": a.team, "app": a.app}
            if a.cluster is not None:  # one series per app per cluster
                who["cluster"] = a.cluster
            health += [f"{PREFIX}_application_health{_labels(**who, status=s)} {int(a.health == s)}" for s in HEALTHS]
            sync += [f"{PREFIX}_application_sync{_labels(**who, status=s)} {int(a.sync == s)}" for s in SYNCS]
            verdict += [
                f"{PREFIX}_application_verdict{_labels(**who, verdict=v)} {int(a.verdict == v)}" for v in VERDICTS
            ]
            details = _labels(
                **who,
                project=a.project,
                revision=a.revision or "",
                declared_revision=a.declared_revision,
                found=str(a.found).lower(),
            )
            info.append(f"{PREFIX}_application_info{details} 1")
            finished = _timestamp(a.last_synced_at)
            if finished is not None:
                synced.append(f"{PREFIX}_application_last_sync_timestamp_seconds{_labels(**who)} {finished:.0f}")
            for severity in ("error", "warning", "info"):
                count = sum(1 for c in a.conditions if c.severity == severity)
                conditions.append(f"{PREFIX}_application_conditions{_labels(**who, severity=severity)} {count}")
        for reason in ("undeclared-application", "default-project", "undeclared-project", "not-in-plan"):
            count = sum(1 for u in env.unexpected if u.reason == reason)
            unexpected.append(
                f"{PREFIX}_unexpected_objects{_labels(environment=env.environment, reason=reason)} {count}"
            )
        for state in ("missing", "changed"):
            count = sum(1 for d in env.drift if d.state == state)
            drifted.append(f"{PREFIX}_drifted_objects{_labels(environment=env.environment, state=state)} {count}")
        when = _timestamp(env.observed_at)
        if when is not None:
            observed.append(
                f"{PREFIX}_status_observed_timestamp_seconds{_labels(environment=env.environment)} {when:.0f}"
            )
    lines: list[str] = []
    for name, kind, help_text, samples in families:
        lines += [f"# TYPE {name} {kind}", f"# HELP {name} {help_text}.", *samples]
    lines.append("# EOF")
    return "\n".join(lines) + "\n"
