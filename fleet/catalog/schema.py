"""The catalog's JSON Schema, generated from the models (`fleet.catalog.models`).

Editors use it as you type (the `# yaml-language-server: $schema=…` line of each catalog):
unknown fields, types, enumerations and DNS labels, with each field's description on hover.
It is a helper, not the judge: `fleet validate` applies every rule the schema cannot say
(allow-lists, ownership, uniqueness, guardrails). `scripts/generate_docs.py` writes it to
`schemas/catalog.v1.json` and, for the installed package, beside this module; tests keep both
equal to what this function returns.
"""

from __future__ import annotations

import json
from typing import Any

from fleet.catalog.models import Catalog, Team

SCHEMA_ID = "https://app-of-apps.io/schemas/catalog.v1.json"
FILE_NAME = "catalog.v1.json"
# A catalog folder's files (fleet/catalog/folder.py): the platform file is the catalog without
# `teams`; a team file is one entry of `teams`.
PLATFORM_FILE_NAME = "platform.v1.json"
TEAM_FILE_NAME = "team.v1.json"
_BASE = "https://app-of-apps.io/schemas/"


def json_schema() -> dict[str, Any]:
    schema = Catalog.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "app-of-apps catalog, version 1",
    }


def _used(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with only the $defs it refers to (directly or through other $defs)."""
    defs = schema.get("$defs", {})
    kept: set[str] = set()
    pending = [json.dumps({k: v for k, v in schema.items() if k != "$defs"})]
    while pending:
        text = pending.pop()
        for name in defs:
            if name not in kept and f'"#/$defs/{name}"' in text:
                kept.add(name)
                pending.append(json.dumps(defs[name]))
    out = {k: v for k, v in schema.items() if k != "$defs"}
    if kept:
        out["$defs"] = {name: defs[name] for name in sorted(kept)}
    return out


def platform_schema() -> dict[str, Any]:
    """A catalog folder's platform.yaml: every catalog field but `teams`."""
    schema = Catalog.model_json_schema()
    schema["properties"] = {k: v for k, v in schema["properties"].items() if k != "teams"}
    schema["required"] = [k for k in schema.get("required", []) if k != "teams"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _BASE + PLATFORM_FILE_NAME,
        **_used(schema),
        "title": "app-of-apps platform file (a catalog folder's platform.yaml), version 1",
    }


def team_schema() -> dict[str, Any]:
    """A catalog folder's teams/<team>.yaml: one team, its fields at the top level."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _BASE + TEAM_FILE_NAME,
        **Team.model_json_schema(),
        "title": "app-of-apps team file (a catalog folder's teams/<team>.yaml), version 1",
    }


def schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema: the one-file catalog's, and a folder's platform and team files'."""
    return {FILE_NAME: json_schema(), PLATFORM_FILE_NAME: platform_schema(), TEAM_FILE_NAME: team_schema()}
