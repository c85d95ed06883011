"""The catalog's JSON Schema, generated from the models (`fleet.catalog.models`).

Editors use it as you type (the `# yaml-language-server: $schema=…` line of each catalog):
unknown fields, types, enumerations and DNS labels, with each field's description on hover.
It is a helper, not the judge: `fleet validate` applies every rule the schema cannot say
(allow-lists, ownership, uniqueness, guardrails). `scripts/generate_docs.py` writes it to
`schemas/catalog.v1.json` and, for the installed package, beside this module; tests keep both
equal to what this function returns.
"""

from __future__ import annotations

from typing import Any

from fleet.catalog.models import Catalog

SCHEMA_ID = "https://app-of-apps.io/schemas/catalog.v1.json"
FILE_NAME = "catalog.v1.json"


def json_schema() -> dict[str, Any]:
    schema = Catalog.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "app-of-apps catalog, version 1",
    }
