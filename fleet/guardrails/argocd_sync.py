"""Guardrails on Argo CD's sync and diff settings: sync options, sync windows, ignored
differences, notification subscriptions.

What a team controls here must not reach beyond its own apps or hide what the platform relies
on seeing: namespaces stay the platform's (CreateNamespace), retirement deletes workloads
(Delete=false), production validates every object (Validate=false), a window holds only the
team's own apps, drift made by hand stays visible (ignoreDifferences), notifications go through
what the platform configured. The resource rule judges any stack's Applications; the catalog
checks say the same at the catalog path that caused it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

from fleet.apis import argocd_sync
from fleet.catalog.models import Catalog, Team, present
from fleet.catalog.naming import Names
from fleet.guardrails.argocd import APPLICATION_TYPES, GLOB_CHARACTERS
from fleet.guardrails.base import Rule, Settings, as_list, spec
from fleet.text.problems import Path, Problem

SYNC_OPTIONS = "argocd-sync-options"
SYNC_WINDOWS = "argocd-sync-windows"
IGNORE_DIFFERENCES = "argocd-ignore-differences"
NOTIFICATIONS = "argocd-notifications"

# Field managers of kubectl: people's hand edits. Trusting them would let a hand edit win over Git unseen.
HAND_EDIT_MANAGER = re.compile(r"^kubectl(-.*)?$")
_WHOLE_JQ = re.compile(r"^\.\s*(\.?[A-Za-z_][A-Za-z0-9_]*)?\s*$")


def option_finding(option: str, production: bool) -> str | None:
    """Why the fleet refuses an option Argo CD would take, or None."""
    name, value = argocd_sync.split_option(option)
    if (name, value) == ("CreateNamespace", "true"):
        return (
            "CreateNamespace=true: namespaces are the platform's; Argo CD would create one without quota, "
            "Pod Security labels or network policy (and recreate one the platform retired)"
        )
    if (name, value) == ("Delete", "false"):
        return (
            "Delete=false: retiring the app (lifecycle: decommissioning, then removal) would leave its "
            "workloads running, unmanaged; keep single objects with their own annotation instead"
        )
    if production and (name, value) == ("Validate", "false"):
        return (
            "Validate=false in production (deletion_protection): objects would be applied without schema "
            "validation, a misspelt field dropped silently; fix the manifest, or validate it in dev first"
        )
    return None


def conflict_finding(options: Iterable[str]) -> str | None:
    given = {argocd_sync.split_option(o) for o in options}
    if ("Replace", "true") in given and ("ServerSideApply", "true") in given:
        return (
            "Replace=true and ServerSideApply=true: Argo CD lets Replace win, so server-side apply would "
            "silently not happen; choose one"
        )
    return None


# --- the resource rule: any stack's Applications -------------------------------------------
def _application_sync_options(props: Mapping[str, object], settings: Settings) -> Iterator[str]:
    body = spec(props)
    policy = body.get("syncPolicy")
    if not isinstance(policy, Mapping):
        return
    options = [str(o) for o in as_list(policy.get("syncOptions"))]
    for i, option in enumerate(options):
        problem = argocd_sync.option_problem(option) or option_finding(option, settings.production)
        if problem is not None:
            yield f"syncPolicy.syncOptions[{i}]: {problem}"
    if (problem := conflict_finding(options)) is not None:
        yield f"syncPolicy.syncOptions: {problem}"


RULES: tuple[Rule, ...] = (
    Rule(
        SYNC_OPTIONS,
        "Application sync options are Argo CD's, never CreateNamespace=true or Delete=false, not Replace "
        "with ServerSideApply; in production (policy config production) never Validate=false",
        "argo-cd sync-options.md",
        APPLICATION_TYPES,
        _application_sync_options,
    ),
)


# --- the catalog -------------------------------------------------------------------------
def _problem(path: Path, reason: str, rule: str) -> Problem:
    return Problem.at(path, f"{reason} [{rule}]")


def sync_options(catalog: Catalog) -> Iterator[Problem]:
    production = catalog.deletion_protection
    defaults = catalog.defaults.sync.options
    for i, option in enumerate(defaults):
        if (reason := option_finding(option, production)) is not None:
            yield _problem(["defaults", "sync", "options", i], reason, SYNC_OPTIONS)
    if (reason := conflict_finding(defaults)) is not None:
        yield _problem(["defaults", "sync", "options"], reason, SYNC_OPTIONS)
    for t, team in present(catalog.teams):
        for a, app in present(team.apps):
            own = app.sync.options if app.sync and app.sync.options else ()
            base = ["teams", t, "apps", a, "sync", "options"]
            for i, option in enumerate(own):
                if (reason := option_finding(option, production)) is not None:
                    yield _problem([*base, i], reason, SYNC_OPTIONS)
            # The app's own options, or what they make with the defaults (whose own conflict is
            # reported once, above).
            if not own or conflict_finding(defaults) is not None:
                continue
            if (reason := conflict_finding(own)) is not None:
                yield _problem(base, reason, SYNC_OPTIONS)
            elif (reason := conflict_finding(catalog.sync_for(app).options)) is not None:
                yield _problem(base, f"{reason} (with defaults.sync.options)", SYNC_OPTIONS)


def _owners(catalog: Catalog) -> dict[str, list[str]]:
    owners: dict[str, list[str]] = {}
    for _, team in present(catalog.teams):
        for _, app in present(team.apps):
            owners.setdefault(app.name, []).append(team.name)
    return owners


def _window_app_problem(name: str, team: Team, owners: dict[str, list[str]]) -> str | None:
    own = [app.name for _, app in present(team.apps)]
    if name in own:
        return None
    if any(c in name for c in GLOB_CHARACTERS):
        return f"{name!r} is a pattern: a window names the team's apps one by one, so it can never hold another's"
    for app in own:
        if name == Names.application(team.name, app):
            return f"{name!r} is the Application's name; write the app's name, {app!r}"
    others = [t for t in owners.get(name, []) if t != team.name]
    if others:
        return (
            f"{name!r} is an app of team {others[0]}: a team's windows hold only its own apps, never "
            "another team's or the platform's"
        )
    return f"{name!r} is not an app of team {team.name} (its apps: {', '.join(own) or 'none'})"


def sync_windows(catalog: Catalog) -> Iterator[Problem]:
    owners = _owners(catalog)
    for t, team in present(catalog.teams):
        for w, window in enumerate(team.sync_windows):
            for i, name in enumerate(window.applications):
                if (reason := _window_app_problem(name, team, owners)) is not None:
                    yield _problem(["teams", t, "sync_windows", w, "applications", i], reason, SYNC_WINDOWS)


def whole_part_finding(pointer: str | None = None, jq: str | None = None) -> str | None:
    """An ignore that covers a whole part of the object (/spec, .metadata, .) hides all its drift."""
    if pointer is not None and pointer.count("/") == 1:
        part = pointer[1:] or "''"
        return (
            f"{pointer!r} ignores all of {part}: Argo CD and fleet status would never see a change there; "
            "name the fields (/spec/replicas)"
        )
    if jq is not None and _WHOLE_JQ.match(jq):
        return (
            f"{jq!r} ignores a whole object or part: Argo CD and fleet status would never see a change there; "
            "name the fields (.spec.replicas)"
        )
    return None


def manager_finding(manager: str) -> str | None:
    if HAND_EDIT_MANAGER.match(manager):
        return (
            f"{manager!r} is kubectl's field manager, people's hand edits: trusting it would let a hand edit "
            "win over Git unseen; trust the controller that owns the field (e.g. kube-controller-manager)"
        )
    return None


def ignore_differences(catalog: Catalog) -> Iterator[Problem]:
    for t, team in present(catalog.teams):
        namespaces = [ns.name for ns in team.namespaces]
        for a, app in present(team.apps):
            for e, entry in enumerate(app.ignore_differences):
                base = ["teams", t, "apps", a, "ignore_differences", e]
                if entry.namespace is not None and entry.namespace not in namespaces:
                    yield _problem(
                        [*base, "namespace"],
                        f"{entry.namespace!r} is not a namespace of team {team.name}: the app deploys only into "
                        f"{', '.join(namespaces)}, so the entry would match nothing",
                        IGNORE_DIFFERENCES,
                    )
                for i, pointer in enumerate(entry.json_pointers):
                    if (reason := whole_part_finding(pointer=pointer)) is not None:
                        yield _problem([*base, "json_pointers", i], reason, IGNORE_DIFFERENCES)
                for i, jq in enumerate(entry.jq_path_expressions):
                    if (reason := whole_part_finding(jq=jq)) is not None:
                        yield _problem([*base, "jq_path_expressions", i], reason, IGNORE_DIFFERENCES)
                for i, manager in enumerate(entry.managed_fields_managers):
                    if (reason := manager_finding(manager)) is not None:
                        yield _problem([*base, "managed_fields_managers", i], reason, IGNORE_DIFFERENCES)


def notifications(catalog: Catalog) -> Iterator[Problem]:
    offered = catalog.argocd.notifications
    for t, team in present(catalog.teams):
        for a, app in present(team.apps):
            for n, subscription in enumerate(app.notifications):
                base = ["teams", t, "apps", a, "notifications", n]
                if subscription.trigger not in offered.triggers:
                    yield _problem(
                        [*base, "trigger"],
                        f"{subscription.trigger!r} is not one of argocd.notifications.triggers "
                        f"({', '.join(offered.triggers) or 'none'}): Argo CD would never send it",
                        NOTIFICATIONS,
                    )
                if subscription.service not in offered.services:
                    yield _problem(
                        [*base, "service"],
                        f"{subscription.service!r} is not one of argocd.notifications.services "
                        f"({', '.join(offered.services) or 'none declared'}): only services the platform "
                        "configured in argocd-notifications-cm deliver",
                        NOTIFICATIONS,
                    )


def _catalog_rule(rule_id: str, rationale: str, anchor: str) -> Rule:
    return Rule(rule_id, rationale, anchor, (), lambda props, settings: iter(()))


CATALOG_RULES: tuple[Rule, ...] = (
    _catalog_rule(
        SYNC_WINDOWS,
        "a team's sync windows name its own apps only: no patterns, never another team's or the platform's",
        "argo-cd sync_windows.md",
    ),
    _catalog_rule(
        IGNORE_DIFFERENCES,
        "ignored differences name fields, never a whole object or part; never trust kubectl's (hand edits') "
        "field managers; only the team's namespaces",
        "argo-cd diffing.md",
    ),
    _catalog_rule(
        NOTIFICATIONS,
        "apps subscribe only to the triggers and services the platform configured (argocd.notifications)",
        "argo-cd notifications subscriptions.md, catalog.md",
    ),
)

CHECKS = (sync_options, sync_windows, ignore_differences, notifications)


def check(catalog: Catalog) -> list[Problem]:
    return [problem for check in CHECKS for problem in check(catalog)]
