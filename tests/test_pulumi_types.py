"""fleet.apis.pulumi_types, the one table of type tokens, judged by the SDKs themselves: every
token names the type its SDK class registers, and the program registers through those classes."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import pulumi
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from fleet.apis import pulumi_types
from fleet.io.pulumi_sdk import sdk_classes
from tests.test_program import COMPONENTS, program_run


class _TypeRecorder(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.types: dict[str, str] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.types[args.name] = args.typ
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


def registered_types(classes: dict[str, Any]) -> dict[str, str]:
    """name -> the token each class registers under (read by `get`, which needs no inputs; a
    provider, which has no `get`, created with none), each under its table token as name."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.settings.reset_options()
    pulumi.runtime.settings.set_root_resource(None)  # type: ignore[arg-type]
    mocks = _TypeRecorder()
    pulumi.runtime.set_mocks(mocks, project="types", stack="test", preview=False)

    def body() -> None:
        for token, cls in classes.items():
            if token.startswith("pulumi:providers:"):
                cls(token)
            else:
                cls.get(token, f"{token}-id")

    try:
        _sync_await(run_pulumi_func(body))
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    return mocks.types


def test_every_sdk_class_registers_under_its_token() -> None:
    classes = sdk_classes()
    assert set(classes) == set(pulumi_types.SDK_CLASSES)
    assert registered_types(classes) == {token: token for token in classes}


def test_the_aws_tokens_the_guardrails_judge_are_the_sdk_types() -> None:
    """The tokens the program never registers (other stacks do; the pack judges them) are facts
    of the SDK too: 'aws:iam/policy:Policy' is what pulumi_aws.iam.Policy registers."""
    tokens = {
        *pulumi_types.IAM_IDENTITY_POLICIES,
        *pulumi_types.IAM_POLICY_ATTACHMENTS,
        pulumi_types.EKS_ACCESS_ENTRY,
        pulumi_types.EKS_ACCESS_POLICY,
    }
    classes = {}
    for token in tokens:
        module = token.split(":")[1].split("/")[0]
        classes[token] = getattr(importlib.import_module(f"pulumi_aws.{module}"), token.rsplit(":", 1)[1])
    assert registered_types(classes) == {token: token for token in tokens}


def test_the_program_registers_through_the_table() -> None:
    """Every custom type the program registers has its class in the table, except the custom
    resources (Argo CD's objects, ExternalSecret), which pulumi-kubernetes registers as CustomResource."""
    for stack in ("dev", "prod"):
        registered = {r.type for r in program_run(stack).registrations} - COMPONENTS
        custom = {t for t in registered if t not in pulumi_types.SDK_CLASSES}
        assert all(pulumi_types.kubernetes_kind(t) for t in custom), custom
        assert {pulumi_types.kubernetes_kind(t)[0] for t in custom} <= {"argoproj.io", "external-secrets.io"}  # type: ignore[index]


def test_kubernetes_tokens_round_trip() -> None:
    assert pulumi_types.kubernetes("v1", "Namespace") == pulumi_types.NAMESPACE
    assert pulumi_types.kubernetes("rbac.authorization.k8s.io/v1", "Role") == pulumi_types.ROLE
    assert pulumi_types.kubernetes_kind(pulumi_types.NAMESPACE) == ("core", "Namespace", "")
    assert pulumi_types.kubernetes_kind("kubernetes:core/v1:ConfigMapPatch") == ("core", "ConfigMap", "Patch")
    assert pulumi_types.kubernetes_kind("kubernetes:rbac.authorization.k8s.io/v1:RoleList") == (
        "rbac.authorization.k8s.io",
        "Role",
        "List",
    )
    assert pulumi_types.kubernetes_kind(pulumi_types.any_version("", "Namespace")) == ("core", "Namespace", "")
    assert pulumi_types.kubernetes_kind(pulumi_types.IAM_ROLE) is None
