"""Aliases for resources that moved, so that a refactor never deletes and recreates them.

Each entry names a move that shipped on main. The engine matches a resource's old URN through
its alias and updates it in place; without one, an IAM role would be replaced (new principal
id, broken trust policies) and an Okta group rule recreated.

- 7c8a043 registered inline policies and policy attachments as children of their IAM role,
  and Okta group rules as children of their group; they are now siblings under the component,
  so that a protected role or group does not lend its `protect` to them.
"""

from __future__ import annotations

import pulumi


def formerly_under(parent: pulumi.Resource) -> list[pulumi.Alias]:
    """The resource used to be a child of `parent` (same name and type)."""
    return [pulumi.Alias(parent=parent)]
