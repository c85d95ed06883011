"""The CrossGuard policies, built from `fleet.guardrails`. Importing this starts no server.

Each resource rule becomes a ResourceValidationPolicy and each stack rule a
StackValidationPolicy of the same id; their configuration (allowed repositories, Pod Security
floor, Argo CD namespace, and the standard per-policy enforcementLevel) comes from policy config.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

try:
    import fleet  # noqa: F401 - present when the pack was built with `make policy-pack`
except ImportError:  # run from the repository: the pack sits beside fleet/
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from fleet.guardrails import RESOURCE_RULES, STACK_RULES
from fleet.guardrails.base import Rule, Settings, StackResource, StackRule

PACK_NAME = "app-of-apps-guardrails"

# Every setting's key, schema, default and meaning come from its one definition (Settings).
CONFIG_SCHEMA = PolicyConfigSchema(properties=Settings.config_schema())

Report = Callable[[str, str | None], None]


def _provider_accounts(provider: Any) -> tuple[str, ...]:
    """The AWS provider's `allowedAccountIds` (a list, or its JSON text as providers receive
    config); () when there is no provider, no such input, or it is not known yet."""
    try:
        value = provider.props.get("allowedAccountIds") if provider is not None else None
        if isinstance(value, str):
            value = json.loads(value) if value.startswith("[") else [value]
        return tuple(str(v) for v in value or ()) if not isinstance(value, Mapping) else ()
    except Exception:  # an unknown value at preview, or unreadable text: the account stays unknown
        return ()


def _settings(args: ResourceValidationArgs) -> Settings:
    """Policy config; the stack's AWS accounts from config, else from the resource's provider."""
    settings = Settings.from_config(args.get_config())
    if not settings.account_ids and args.resource_type.startswith("aws:"):
        settings = replace(settings, account_ids=_provider_accounts(args.provider))
    return settings


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: Report) -> None:
        if not rule.applies_to(args.resource_type):
            return
        settings = _settings(args)
        for message in rule.judge(args.resource_type, args.props, settings):
            report(message, args.urn)

    return ResourceValidationPolicy(
        name=rule.id,
        description=f"{rule.rationale} (anchor: {rule.anchor})",
        validate=validate,
        config_schema=CONFIG_SCHEMA,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def _stack_policy(rule: StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: Report) -> None:
        settings = Settings.from_config(args.get_config())
        views: dict[int, Any] = {}
        resources = []
        for resource in args.resources:
            view = StackResource(resource.resource_type, resource.name, resource.props)
            views[id(view)] = resource
            resources.append(view)
        for view, message in rule.check(resources, settings):
            report(message, views[id(view)].urn)

    return StackValidationPolicy(
        name=rule.id,
        description=f"{rule.rationale} (anchor: {rule.anchor})",
        validate=validate,
        config_schema=CONFIG_SCHEMA,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    *(_resource_policy(rule) for rule in RESOURCE_RULES),
    *(_stack_policy(rule) for rule in STACK_RULES),
]
