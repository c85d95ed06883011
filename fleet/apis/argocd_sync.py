"""Facts of Argo CD's sync and diff settings: the Application-level sync options and the values
each takes, how Argo CD reads durations and sync-window schedules, the notification catalog.

Sources (argo-cd v3.x): docs/user-guide/sync-options.md (the options), sync_windows.md and
`SyncWindow.Validate` in pkg/apis/application/v1alpha1 (a five-field cron schedule parsed by
robfig/cron's standard parser without descriptors, a Go `time.ParseDuration` duration, a time
zone that, when unknown, Argo CD silently replaces by UTC), docs/user-guide/subscriptions.md
(the subscription annotation, recipients separated by ';'), and
docs/operator-manual/notifications/catalog.md (the catalog's triggers).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

# What `spec.syncPolicy.syncOptions` of an Application takes, option -> the values Argo CD
# understands. Options Argo CD reads only from a resource's annotation (Force) are not here.
SYNC_OPTIONS: dict[str, tuple[str, ...]] = {
    "ApplyOutOfSyncOnly": ("true", "false"),
    "ClientSideApplyMigration": ("true", "false"),
    "CreateNamespace": ("true", "false"),
    "Delete": ("false", "confirm"),
    "FailOnSharedResource": ("true", "false"),
    "Prune": ("false", "confirm"),
    "PruneLast": ("true", "false"),
    "PrunePropagationPolicy": ("foreground", "background", "orphan"),
    "Replace": ("true", "false"),
    "RespectIgnoreDifferences": ("true", "false"),
    "ServerSideApply": ("true", "false"),
    "SkipDryRunOnMissingResource": ("true", "false"),
    "Validate": ("true", "false"),
}
# Resource-level only (an annotation in the app's own manifests), never an Application option.
RESOURCE_ONLY_OPTIONS = ("Force",)
# The fleet renders this one itself: namespaces are the platform's.
CREATE_NAMESPACE_OFF = "CreateNamespace=false"

# The triggers of Argo CD's notification catalog (notifications_catalog/install.yaml).
CATALOG_TRIGGERS: tuple[str, ...] = (
    "on-created",
    "on-deleted",
    "on-deployed",
    "on-health-degraded",
    "on-sync-failed",
    "on-sync-running",
    "on-sync-status-unknown",
    "on-sync-succeeded",
)
SUBSCRIBE_PREFIX = "notifications.argoproj.io/"
RECIPIENT_SEPARATOR = ";"


def subscribe_key(trigger: str, service: str) -> str:
    """The annotation that subscribes recipients to a trigger through a service."""
    return f"{SUBSCRIBE_PREFIX}subscribe.{trigger}.{service}"


def split_option(option: str) -> tuple[str, str]:
    """('ServerSideApply', 'true') of 'ServerSideApply=true'; ('', '') when there is no '='."""
    name, sep, value = option.partition("=")
    return (name.strip(), value.strip()) if sep else ("", "")


def option_problem(option: str) -> str | None:
    """Why `option` is not an Application-level sync option Argo CD understands, or None."""
    name, value = split_option(option)
    if not name:
        return f"{option!r} is not an option: Argo CD's sync options read Name=value (e.g. ServerSideApply=true)"
    if name in RESOURCE_ONLY_OPTIONS:
        return f"{name} is a resource annotation (argocd.argoproj.io/sync-options), not an Application option"
    if name not in SYNC_OPTIONS:
        close = difflib.get_close_matches(name, SYNC_OPTIONS, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(SYNC_OPTIONS))}"
        return f"{name!r} is not an Argo CD sync option ({hint})"
    if value not in SYNC_OPTIONS[name]:
        return f"{name} takes {' or '.join(SYNC_OPTIONS[name])}, not {value!r} (Argo CD matches the text exactly)"
    return None


# --- Go durations (time.ParseDuration) -----------------------------------------------------
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(ns|us|µs|ms|s|m|h)")


def duration_seconds(text: str) -> float | None:
    """The seconds of a Go duration without a sign ('90s', '1h30m', '1.5h'); None if it is not one."""
    rest, total = text, 0.0
    if not rest:
        return None
    while rest:
        match = _PART.match(rest)
        if match is None:
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        rest = rest[match.end() :]
    return total


# --- cron schedules (robfig/cron v3, the standard five-field parser) ------------------------
_MONTHS = {
    m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))
}
_DAYS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
CRON_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _DAYS),
)


def _cron_value(text: str, low: int, high: int, names: dict[str, int]) -> int | None:
    if text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        return None
    value = int(text)
    return value if low <= value <= high else None


def _cron_field_problems(field: str, what: str, low: int, high: int, names: dict[str, int]) -> Iterator[str]:
    for part in field.split(","):
        span, slash, step = part.partition("/")
        if slash and (not step.isdigit() or int(step) == 0):
            yield f"{what} {part!r}: the step after '/' is a positive number"
        if span in ("*", "?"):
            continue
        first, dash, last = span.partition("-")
        start = _cron_value(first, low, high, names)
        end = _cron_value(last, low, high, names) if dash else start
        if start is None or end is None:
            yield f"{what} {part!r} is outside {low}-{high}" + (f" (or {', '.join(names)})" if names else "")
        elif start > end:
            yield f"{what} {part!r}: the range runs backwards"


def cron_problems(schedule: str) -> list[str]:
    """What Argo CD's schedule parser would refuse in `schedule` (minute hour dom month dow)."""
    fields = schedule.split()
    if len(fields) != len(CRON_FIELDS):
        return [
            f"{schedule!r} has {len(fields)} field(s); a schedule has five: minute hour day-of-month month "
            "day-of-week (e.g. '0 22 * * 1-5'; no seconds, no @descriptors)"
        ]
    return [
        problem
        for field, (what, low, high, names) in zip(fields, CRON_FIELDS, strict=True)
        for problem in _cron_field_problems(field, what, low, high, names)
    ]


def merge_options(base: tuple[str, ...], override: tuple[str, ...]) -> tuple[str, ...]:
    """`base` with each option of `override` in place of the same-named one, new ones appended."""
    names = {split_option(option)[0]: option for option in override}
    merged = [names.pop(split_option(option)[0], option) for option in base]
    return (*merged, *(option for option in override if split_option(option)[0] in names))
