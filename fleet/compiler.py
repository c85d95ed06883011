"""File or folder → validated Catalog, or a CatalogError carrying every problem found."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from fleet import guardrails
from fleet.catalog import checks, suggest
from fleet.catalog.folder import CatalogFiles, assemble, read_catalog, relocate
from fleet.catalog.models import App, Catalog, Team, with_unchecked_teams
from fleet.guardrails import limits
from fleet.render.layers import render
from fleet.render.resources import desired_resources
from fleet.render.state import FleetState
from fleet.text.problems import CatalogError, Problem, format_path
from fleet.text.yaml_io import locate, parse

M = TypeVar("M", bound=BaseModel)


def _reason(error: dict[str, Any]) -> str:
    kind, loc, message = error["type"], error["loc"], error["msg"]
    if kind == "extra_forbidden":
        field = str(loc[-1])
        hint = suggest.suggest(tuple(loc[:-1]), field)
        allowed = suggest.fields_at(tuple(loc[:-1]))
        detail = f" ({hint.text})" if hint else f"; allowed: {', '.join(allowed)}" if allowed else ""
        return f"unknown field {field!r}{detail}"
    if kind == "missing":
        return "required field is missing"
    if kind == "literal_error":
        return f"{error['input']!r} is not allowed; expected {error['ctx']['expected']}"
    if kind in ("too_short", "too_long") and isinstance(error.get("input"), (list, tuple)):
        return "must not be empty" if kind == "too_short" else message
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping of fields, not {_kind(error['input'])}"
    if kind in ("tuple_type", "list_type"):
        return f"must be a list, not {_kind(error['input'])}"
    return message[0].lower() + message[1:] if message else kind


def _kind(value: Any) -> str:
    return "empty (null)" if value is None else type(value).__name__


def _problems(err: ValidationError) -> list[Problem]:
    errors = err.errors(include_url=False)
    # A list whose items failed is also "too short" after validation: one report is enough.
    failed_items = {tuple(e["loc"][:-1]) for e in errors if e["loc"] and isinstance(e["loc"][-1], int)}
    failed_items |= {tuple(e["loc"][:i]) for e in errors for i, p in enumerate(e["loc"]) if isinstance(p, int)}
    errors = [e for e in errors if not (e["type"] == "too_short" and tuple(e["loc"]) in failed_items)]
    # An unknown field that was meant to be another (`repoURL` for `source.repo`) is one
    # mistake: its suggestion says so, and the missing field is not reported again.
    hints = [
        (tuple(e["loc"][:-1]), hint)
        for e in errors
        if e["type"] == "extra_forbidden" and (hint := suggest.suggest(tuple(e["loc"][:-1]), str(e["loc"][-1])))
    ]
    errors = [e for e in errors if not any(suggest.explained(loc, hint, e) for loc, hint in hints)]
    out = []
    for error in errors:
        loc = [part for part in error["loc"] if part != "[key]"]
        reason = _reason(error)
        if "[key]" in error["loc"]:
            reason = f"key: {reason}"
        out.append(Problem(format_path(loc), reason))
    return out


def shape_problems(err: ValidationError) -> list[Problem]:
    """The problems of a catalog that failed its models, worded as `fleet validate` words them."""
    return _problems(err)


def _valid(model: type[M], data: Any, **update: Any) -> M | None:
    """`data` as `model` without its unknown fields (already reported), or None if malformed."""
    if not isinstance(data, dict):
        return None
    known = {key: value for key, value in data.items() if key in model.model_fields}
    try:
        return model.model_validate({**known, **dict.fromkeys(update, ())}).model_copy(update=update)
    except ValidationError:
        return None


def _partial(data: dict[str, Any]) -> Catalog | None:
    """The well-formed parts of a malformed catalog: malformed teams and apps become None.

    Indices are kept, so the consistency checks and guardrails that run on it report the same
    paths as on a whole catalog. Without well-formed top-level settings nothing can be checked.
    """
    raw_teams = data.get("teams")
    if not isinstance(raw_teams, list):
        return None
    teams: list[Team | None] = []
    unchecked: list[str] = []
    for raw in raw_teams:
        raw_apps = raw.get("apps") if isinstance(raw, dict) else None
        apps = [_valid(App, app) for app in raw_apps] if isinstance(raw_apps, list) else []
        team = _valid(Team, raw, apps=tuple(apps))
        teams.append(team)
        # `team: x` for `name: x` is suggested as such (fleet.catalog.suggest): the team is x.
        named = (
            next((raw[k] for k in ("name", "team") if isinstance(raw.get(k), str)), None)
            if isinstance(raw, dict)
            else None
        )
        if team is None and named is not None:
            unchecked.append(named.strip())
    catalog = _valid(Catalog, data, teams=tuple(teams))
    return None if catalog is None else with_unchecked_teams(catalog, unchecked)


def _checked(data: Any) -> tuple[Catalog | None, list[Problem]]:
    """Shape, consistency and guardrails of parsed YAML: the catalog (None if its shape is
    wrong) and every problem found, at paths of the one-file form (`teams[1].apps[0]…`)."""
    if not isinstance(data, dict):
        kind = type(data).__name__
        return None, [Problem("(top level)", f"a catalog is a mapping of fields, not {kind}")]
    catalog: Catalog | None
    unsafe = limits.unsafe_text(data)
    try:
        catalog = Catalog.model_validate(data)
        problems: list[Problem] = [*unsafe]
    except ValidationError as err:
        catalog, problems = _partial(data), [*unsafe, *_problems(err)]
    if catalog is not None:
        # A team or app whose name is already taken is one mistake: what else it declares is
        # judged once it has a name of its own (its derived names would all collide, too).
        distinct, duplicates = checks.distinct(catalog)
        problems += [*duplicates, *checks.check(distinct), *guardrails.check_catalog(distinct)]
    return (None if problems else catalog), problems


def _by_name(catalog: Catalog) -> Catalog:
    """Teams in the order of their names: what a folder (a file per team) gives, so that a
    catalog renders the same plan, byte for byte, whether it is one file or a folder."""
    return catalog.model_copy(update={"teams": tuple(sorted(catalog.teams, key=lambda team: team.name))})


def validate(data: Any, source: str) -> Catalog:
    """Validate parsed YAML: shape, consistency and guardrails, every problem in one report."""
    catalog, problems = _checked(data)
    if problems:
        raise CatalogError(source, problems)
    assert catalog is not None
    return _by_name(catalog)


def validate_files(files: CatalogFiles) -> Catalog:
    """A catalog file or folder, validated as one environment; a folder's problems are each
    told in their own file (the platform file, or the team's), every one with the line and
    column where it is written."""
    try:
        return _validate_files(files)
    except CatalogError as err:
        texts = {files.file_label(e.path): e.text for e in files.entries if e.text is not None}
        raise locate(err, texts) from None


def _validate_files(files: CatalogFiles) -> Catalog:
    if not files.folder:
        text = files.text()
        assert text is not None
        return validate(parse(text, files.label), files.label)
    assembled = assemble(files)
    problems = list(assembled.problems)
    catalog: Catalog | None = None
    if assembled.data is not None:
        catalog, found = _checked(assembled.data)
        if any(p.source for p in problems):  # a team file that could not be read is not "no teams"
            found = [p for p in found if p.path != "teams"]
        problems += relocate(found, assembled)
    if problems or catalog is None:
        raise CatalogError(files.label, problems)
    return _by_name(catalog)


def load(path: str | Path) -> Catalog:
    """A catalog file, or a catalog folder (platform.yaml and teams/<team>.yaml)."""
    return validate_files(read_catalog(path))


def settings_for(catalog: Catalog) -> guardrails.Settings:
    """The guardrail settings the catalog gives (each setting says where: `Settings`)."""
    return guardrails.Settings.from_catalog(catalog)


def load_state(path: str | Path) -> tuple[Catalog, FleetState]:
    """Load (a file or a folder), validate and render; then judge the rendered resources with
    the same guardrails the policy pack runs, so a template bug cannot ship what a catalog rule
    would refuse."""
    return state_from_files(read_catalog(path))


def state_from_text(text: str, source: str) -> tuple[Catalog, FleetState]:
    """As load_state, for a one-file catalog that is not on disk (`git show REV:path`)."""
    return state_from_files(CatalogFiles.single(source, text))


def state_from_files(files: CatalogFiles) -> tuple[Catalog, FleetState]:
    """As load_state, for a catalog already read (from the disk or from Git)."""
    catalog = validate_files(files)
    state = render(catalog)
    violations = guardrails.check_resources(desired_resources(state), settings_for(catalog))
    if violations:
        raise CatalogError(
            files.label,
            [Problem(f"(rendered) {v.resource_type} {v.resource_name}", f"{v.message} [{v.rule}]") for v in violations],
        )
    return catalog, state
