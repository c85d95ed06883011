"""What an unknown field was probably meant to be: a misspelling, Argo CD's own name for a
catalog field (`targetRevision` is `source.revision` here), or a field written at the wrong
level (`path` beside `source` instead of in it).

A suggestion names the field it points to, so that the problems it explains (`source.repo` is
missing, because it was written as `repoURL`) are not reported a second time.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from fleet.catalog.models import Catalog
from fleet.text.problems import format_path

Loc = tuple[str | int, ...]

# Argo CD Application fields (spec.source, spec.syncPolicy, …) and the catalog field each is:
# people who know Argo CD write these first.
ARGOCD_NAMES: dict[str, str] = {
    "repoURL": "repo",
    "targetRevision": "revision",
    "syncPolicy": "sync",
    "selfHeal": "self_heal",
    "valueFiles": "value_files",
    "valuesObject": "values",
    "releaseName": "release_name",
    "namePrefix": "name_prefix",
    "destination": "namespace",
}
# How deep below the mapping a misplaced field is looked for (app -> source -> helm).
_DEPTH = 2


@dataclass(frozen=True)
class Suggestion:
    text: str  # what follows "unknown field 'x'"
    target: Loc  # the suggested field, below the mapping the unknown field is in (or above it)
    above: int = 0  # how many levels up `target` starts


def _unwrap(annotation: Any) -> Any:
    """Strip Optional / Annotated down to the type that holds the next path element."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def _model(annotation: Any) -> type[BaseModel] | None:
    annotation = _unwrap(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def model_at(loc: Loc) -> type[BaseModel] | None:
    """The model of the mapping at `loc` of a catalog (None: not a model, e.g. a free dict)."""
    current: Any = Catalog
    for part in loc:
        current = _unwrap(current)
        origin = typing.get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif origin in (tuple, list):
            current = typing.get_args(current)[0]
        elif origin is dict:
            current = typing.get_args(current)[1]
        else:
            return None
    return _model(current)


def fields_at(loc: Loc) -> list[str]:
    """The field names allowed in the mapping at `loc`."""
    model = model_at(loc)
    return list(model.model_fields) if model else []


def _snake(name: str) -> str:
    """`podSecurity` -> `pod_security`; `managed-policy-arns` -> `managed_policy_arns`."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).replace("-", "_").lower()


def _below(model: type[BaseModel], name: str, depth: int) -> list[Loc]:
    """Where `name` is a field of a model nested in `model` (single models, not lists)."""
    found: list[Loc] = []
    for field_name, field in model.model_fields.items():
        inner = _model(field.annotation)
        if inner is None:
            continue
        if name in inner.model_fields:
            found.append((field_name, name))
        elif depth > 1:
            found += [(field_name, *rest) for rest in _below(inner, name, depth - 1)]
    return found


def _dotted(target: Loc) -> str:
    return ".".join(str(part) for part in target)


def suggest(loc: Loc, field: str) -> Suggestion | None:
    """What the unknown `field` in the mapping at `loc` was probably meant to be."""
    model = model_at(loc)
    if model is None:
        return None
    if field.lower() == model.__name__.lower() and "name" in model.model_fields:  # `team: payments`
        return Suggestion("did you mean 'name'?", ("name",))
    argocd = ARGOCD_NAMES.get(field)
    name = argocd or _snake(field)
    note = f" Argo CD calls it {field}" if argocd else ""
    if name != field and name in model.model_fields:
        return Suggestion(f"did you mean {name!r}?{note}", (name,))
    below = _below(model, name, _DEPTH)
    if len(below) == 1:
        place = f"it belongs under {below[0][0]!r}"
        return Suggestion(f"did you mean {_dotted(below[0])!r}?{note + ';' if note else ''} {place}", below[0])
    parent = loc[:-1] if loc and isinstance(loc[-1], str) else loc[:-2]
    outer = model_at(parent) if loc else None
    if outer is not None and name in outer.model_fields and parent != loc:
        where = format_path(parent) if parent else "the top level"
        return Suggestion(f"it belongs one level up, in {where}", (name,), above=len(loc) - len(parent))
    close = difflib.get_close_matches(field, list(model.model_fields), n=1, cutoff=0.6)
    if close:
        return Suggestion(f"did you mean {close[0]!r}?", (close[0],))
    return None


def explained(loc: Loc, suggestion: Suggestion, error: dict[str, Any]) -> bool:
    """Whether `error` (of pydantic) is only a consequence of the unknown field at `loc`
    that `suggestion` explains: the suggested field is missing, or a check of a mapping on
    the way to it names the field it lacks (`needs path …`)."""
    base = loc[: len(loc) - suggestion.above] if suggestion.above else loc
    target = (*base, *suggestion.target)
    error_loc = tuple(part for part in error["loc"] if part != "[key]")
    for depth in range(len(base), len(target) + 1):
        if error_loc != target[:depth]:
            continue
        if error["type"] == "missing":
            return depth == len(target)
        if error["type"] == "value_error" and depth < len(target):
            return re.search(rf"\b{re.escape(str(target[depth]))}\b", error["msg"]) is not None
    return False
