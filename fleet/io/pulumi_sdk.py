"""The Pulumi SDK class of each type token the program registers (`fleet.apis.pulumi_types`).

Asked by the program's components and by the benchmark's floor, so that both register through
the same classes; importing the SDKs is this layer's business, not the table's.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Collection
from typing import Any

from fleet.apis.pulumi_types import SDK_CLASSES


def sdk_classes(tokens: Collection[str] | None = None) -> dict[str, Any]:
    """Token -> SDK class, for every entry of `SDK_CLASSES` (or those of `tokens`), importing the
    SDK modules they name."""
    return {
        token: getattr(importlib.import_module(module), name)
        for token, (module, name) in SDK_CLASSES.items()
        if tokens is None or token in tokens
    }


def python_name(key: str) -> str:
    """The SDK's keyword argument for an input as the engine names it: 'assumeRolePolicy' -> 'assume_role_policy'."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()
