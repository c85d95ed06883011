"""The catalog's JSON Schema: generated from the models, shipped twice (schemas/ for editors
in a clone, fleet/catalog/ for the installed package), named by every shipped catalog's
`yaml-language-server` line, and as strict about field names as the models are."""

from __future__ import annotations

import copy
import json
import re
import typing
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel

from fleet.catalog import models, schema
from fleet.compiler import load, validate
from fleet.text.yaml_io import parse, read_text
from tests.conftest import BASE, ROOT

SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")
SHIPPED = sorted(
    {*ROOT.glob("stacks/**/*.yaml"), *ROOT.glob("examples/**/stacks/*.yaml"), *ROOT.glob("docs/examples/**/*.yaml")}
)


def _validator(name: str = schema.FILE_NAME) -> jsonschema.Draft202012Validator:
    loaded = json.loads((ROOT / "schemas" / name).read_text())
    jsonschema.Draft202012Validator.check_schema(loaded)
    return jsonschema.Draft202012Validator(loaded)


def _errors(data: Any, name: str = schema.FILE_NAME) -> list[str]:
    """One line per problem, as an editor shows it: inside an optional section (`anyOf` the
    section or null) the most relevant of its errors, not "is not valid under any schema"."""
    out = []
    for error in _validator(name).iter_errors(data):
        branches = [e for e in error.context or () if e.schema != {"type": "null"}]  # a value was written
        shown = jsonschema.exceptions.best_match(branches) if branches else error
        out.append(f"{'.'.join(map(str, shown.absolute_path))}: {shown.message}")
    return out


@pytest.mark.parametrize("name", sorted(schema.schemas()))
def test_both_copies_are_what_the_models_generate(name: str) -> None:
    expected = json.loads(json.dumps(schema.schemas()[name]))
    for copy_path in (ROOT / "schemas" / name, ROOT / "fleet" / "catalog" / name):
        assert json.loads(copy_path.read_text()) == expected, f"{copy_path}: run scripts/generate_docs.py"


def _schema_of(path: Path) -> str:
    """Which schema a shipped file names: a catalog folder's platform or team file's, or the one file's."""
    if path.parent.name == "teams" and (path.parent.parent / "platform.yaml").is_file():
        return schema.TEAM_FILE_NAME
    if path.name == "platform.yaml" and (path.parent / "teams").is_dir():
        return schema.PLATFORM_FILE_NAME
    return schema.FILE_NAME


def _catalogs() -> list[Path]:
    return [p for p in SHIPPED if "mistakes" not in p.name]


@pytest.mark.parametrize("path", _catalogs(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_catalog_names_the_schema_and_passes_it(path: Path) -> None:
    name = _schema_of(path)
    first = path.read_text().splitlines()[0]
    found = SCHEMA_LINE.match(first)
    assert found, f"{path}: the first line must be '# yaml-language-server: $schema=<path to {name}>'"
    target = (path.parent / found.group(1)).resolve()
    assert target == (ROOT / "schemas" / name).resolve(), target
    data = parse(read_text(path), str(path))
    assert _errors(data, name) == []
    if name == schema.FILE_NAME:
        validate(data, str(path))  # and the models agree: a shipped catalog is valid
    else:
        load(path.parent if name == schema.PLATFORM_FILE_NAME else path.parent.parent)  # its folder is valid


def test_a_folders_schemas_are_the_catalogs_split_in_two() -> None:
    data = copy.deepcopy(BASE)
    platform = {k: v for k, v in data.items() if k != "teams"}
    assert _errors(platform, schema.PLATFORM_FILE_NAME) == []
    assert _errors(data, schema.PLATFORM_FILE_NAME) == [
        ": Additional properties are not allowed ('teams' was unexpected)"
    ]
    assert all(_errors(team, schema.TEAM_FILE_NAME) == [] for team in data["teams"])
    assert _errors({**data["teams"][0], "organization": "evil"}, schema.TEAM_FILE_NAME) == [
        ": Additional properties are not allowed ('organization' was unexpected)"
    ]


def test_the_walk_reaches_the_shipped_catalogs() -> None:
    found = {p.relative_to(ROOT).as_posix() for p in _catalogs()}
    for env in ("dev", "prod"):
        assert f"stacks/{env}.yaml" in found or f"stacks/{env}/platform.yaml" in found


@pytest.mark.parametrize(
    ("where", "field", "value"),
    [
        (("teams", 0), "descripton", "a typo of description"),
        (("teams", 0, "apps", 0, "source"), "targetRevision", "main"),  # Argo CD's name, not the catalog's
        (("teams", 0, "apps", 0, "source"), "repoURL", "https://github.com/acme/x"),
        (("teams", 0, "apps", 0), "path", "overlays/dev"),  # a source field one level too high
        ((), "team", {"name": "x"}),
    ],
)
def test_an_unknown_field_is_refused(where: tuple[Any, ...], field: str, value: Any) -> None:
    data = copy.deepcopy(BASE)
    assert _errors(data) == []
    node: Any = data
    for key in where:
        node = node[key]
    node[field] = value
    errors = _errors(data)
    assert len(errors) == 1, errors
    assert f"'{field}' was unexpected" in errors[0]


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        (lambda d: d["aws"].update(account_id=111111111111), "is not of type 'string'"),
        (lambda d: d["teams"][0].update(name="Payments Team"), "does not match"),
        (lambda d: d["aws"].update(workload_identity="kiam"), "is not one of"),
        (lambda d: d["teams"][0].pop("owners"), "'owners' is a required property"),
    ],
)
def test_a_wrong_value_is_refused(change: Any, phrase: str) -> None:
    data = copy.deepcopy(BASE)
    change(data)
    errors = _errors(data)
    assert errors
    assert phrase in errors[0], errors


def test_a_bare_number_quantity_is_accepted_as_the_models_accept_it() -> None:
    data = copy.deepcopy(BASE)
    data["defaults"] = {"quota": {"cpu": 4, "memory": "8Gi", "pods": 50}}
    assert _errors(data) == []
    validate(data, "catalog.yaml")


def _models(annotation: Any, seen: set[type[BaseModel]]) -> None:
    """Every model reachable from an annotation (through Annotated, unions, tuples, dicts)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in seen:
            seen.add(annotation)
            for field in annotation.model_fields.values():
                _models(field.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        _models(arg, seen)


def test_every_field_has_a_description() -> None:
    """The descriptions are the reference's and the editor's: a field without one is undocumented."""
    seen: set[type[BaseModel]] = set()
    _models(models.Catalog, seen)
    assert models.Source in seen  # the walk reaches the leaves
    assert models.Statement in seen
    missing = [f"{m.__name__}.{name}" for m in seen for name, f in m.model_fields.items() if not f.description]
    assert missing == [], f"add a docstring below each of these fields in fleet/catalog/models.py: {missing}"
