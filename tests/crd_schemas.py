"""The vendored CRDs as JSON schemas, and a walk that finds fields a schema does not describe
(CRD schemas set no additionalProperties: false, so a misspelt field would pass `jsonschema`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ARGOCD_CRDS, ESO_CRDS


@cache
def crd_schema(path: Path, version: str) -> dict[str, Any]:
    crd = yaml.safe_load(path.read_text())
    (found,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    return found["schema"]["openAPIV3Schema"]


def argocd_schema(kind: str) -> dict[str, Any]:
    return crd_schema(ARGOCD_CRDS / f"{kind.lower()}-crd.yaml", "v1alpha1")


def external_secret_schema() -> dict[str, Any]:
    return crd_schema(ESO_CRDS / "externalsecrets-crd.yaml", "v1")


def unknown_fields(obj: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Fields of `obj` the schema does not name (metadata is ObjectMeta, not described by a CRD;
    a map's values are walked through additionalProperties)."""
    found: list[str] = []
    if isinstance(obj, dict) and "properties" in schema:
        for key, value in obj.items():
            if key not in schema["properties"]:
                if path != ".metadata":
                    found.append(f"{path}.{key}")
            else:
                found += unknown_fields(value, schema["properties"][key], f"{path}.{key}")
    elif isinstance(obj, dict) and isinstance(schema.get("additionalProperties"), dict):
        for key, value in obj.items():
            found += unknown_fields(value, schema["additionalProperties"], f"{path}.{key}")
    elif isinstance(obj, list) and "items" in schema:
        for i, item in enumerate(obj):
            found += unknown_fields(item, schema["items"], f"{path}[{i}]")
    return found
