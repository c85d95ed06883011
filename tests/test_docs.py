"""The documentation is the repository's own: the README points nowhere outside it, and
docs/catalog.md describes every field of the catalog models."""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from pydantic import BaseModel

from fleet.catalog.models import Catalog
from tests.conftest import ROOT

CATALOG_DOC = ROOT / "docs" / "catalog.md"


def field_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every field as the doc writes it: `teams[].apps[].source.repo`, `personas.<name>.argocd`."""
    out = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        out.append(path)
        nested = _nested(field.annotation)
        if nested is not None:
            inner, container = nested
            suffix = {"list": "[].", "dict": ".<name>.", "one": "."}[container]
            out += field_paths(inner, path + suffix)
    return out


def _nested(annotation: Any) -> tuple[type[BaseModel], str] | None:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, "one"
    if origin in (tuple, list) and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0], "list"
    if origin is dict and isinstance(args[1], type) and issubclass(args[1], BaseModel):
        return args[1], "dict"
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            found = _nested(arg)
            if found is not None:
                return found
    return None


def test_every_catalog_field_is_described() -> None:
    documented = set(re.findall(r"`([a-z_][a-z_.<>\[\]]*)`", CATALOG_DOC.read_text()))
    paths = field_paths(Catalog)
    assert "teams[].apps[].source.repo" in paths  # the walk reaches the leaves
    missing = [p for p in paths if p not in documented]
    assert missing == [], f"docs/catalog.md does not describe {missing}: add a row to its field table"


def test_the_readme_points_nowhere_outside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "DESIGN.md" not in readme
    links = re.findall(r"\]\(([^)#]+)\)", readme)
    outside = [link for link in links if not link.startswith(("http://", "https://")) and ".." in link]
    assert outside == []
    assert "docs/catalog.md" in readme
