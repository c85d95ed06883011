"""components/register.py registers plain `pulumi.CustomResource`s: the engine must get what the
SDK classes would send, for every resource the shipped catalogs render."""

from __future__ import annotations

import asyncio
from typing import Any

import pulumi
import pulumi_kubernetes as kubernetes
import pytest
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.register import register
from fleet.apis import pulumi_types
from fleet.compiler import load_state
from fleet.io.pulumi_sdk import python_name, sdk_classes
from fleet.render import resources
from tests.conftest import ROOT

# The only aliases an SDK class adds: its kind under an older API version's token.
OLD_API_VERSIONS = ("/v1alpha1:", "/v1beta1:", "kubernetes:extensions/v1beta1:")


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ == pulumi_types.IAM_ROLE:
            state["arn"] = f"arn:aws:iam::111111111111:role/{args.inputs['name']}"
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


class Monitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.requests: dict[tuple[str, str, str], Any] = {}  # (parent name, type, name) -> request

    def RegisterResource(self, request: Any) -> Any:
        if request.custom:
            self.requests[(request.parent.rsplit("::", 1)[-1], request.type, request.name)] = request
        return super().RegisterResource(request)


def _with_sdk_class(spec: resources.Resource, parent: pulumi.Resource) -> pulumi.CustomResource:
    """What the program registered before: the SDK's class of the token, or Argo CD's objects as
    pulumi-kubernetes' CustomResource."""
    opts = pulumi.ResourceOptions(parent=parent, protect=spec.protect, retain_on_delete=spec.retain_on_delete)
    cls = sdk_classes().get(spec.type)
    if cls is None:
        p = spec.props
        return kubernetes.apiextensions.CustomResource(
            spec.name, api_version=p["apiVersion"], kind=p["kind"], metadata=p["metadata"], spec=p["spec"], opts=opts
        )
    return cls(spec.name, opts=opts, **{python_name(k): v for k, v in spec.props.items()})


def _register_both(catalog: str) -> tuple[list[resources.Resource], Monitor, dict[str, list[Any]]]:
    _, state = load_state(str(ROOT / catalog))
    specs = resources.desired_resources(state)
    asyncio.set_event_loop(asyncio.new_event_loop())
    pulumi.runtime.settings.reset_options()
    pulumi.runtime.settings.set_root_resource(None)  # type: ignore[arg-type]
    mocks = Mocks()
    monitor = Monitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="app-of-apps", stack="dev", preview=False, monitor=monitor)
    seen: dict[str, list[Any]] = {}

    def program() -> None:
        sdk = pulumi.ComponentResource("test:index:Sdk", "sdk")
        plain = pulumi.ComponentResource("test:index:Plain", "plain")
        for spec in specs:
            before, after = _with_sdk_class(spec, sdk), register(spec, plain)
            if spec.type == pulumi_types.IAM_ROLE:
                outputs = pulumi.Output.all(before.arn, after.arn, after.name, after.id)  # type: ignore[attr-defined]
                outputs.apply(lambda values, name=spec.name: seen.__setitem__(name, values))

    _sync_await(run_pulumi_func(program))
    return specs, monitor, seen


@pytest.mark.parametrize("catalog", ["stacks/dev", "stacks/prod"])
def test_plain_registration_sends_what_the_sdk_classes_send(catalog: str) -> None:
    specs, monitor, seen = _register_both(catalog)
    assert {s.type for s in specs} >= {pulumi_types.IAM_ROLE, pulumi_types.ROLE_BINDING, pulumi_types.APPLICATION}
    for spec in specs:
        before, after = (
            monitor.requests[("sdk", spec.type, spec.name)],
            monitor.requests[("plain", spec.type, spec.name)],
        )
        where = f"{spec.type} {spec.name}"
        assert after.type == before.type == spec.type, where
        assert pulumi.runtime.rpc.deserialize_properties(after.object) == pulumi.runtime.rpc.deserialize_properties(
            before.object
        ), where
        for option in ("protect", "retainOnDelete", "version", "pluginDownloadURL", "provider", "deleteBeforeReplace"):
            assert getattr(after, option) == getattr(before, option), f"{where}: {option}"
        assert list(after.additionalSecretOutputs) == list(before.additionalSecretOutputs), where
        assert after.version, where  # the plugin's version, as the classes send it
        assert not list(after.aliases), where
        for alias in before.aliases:
            assert any(old in alias.spec.type for old in OLD_API_VERSIONS), f"{where}: {alias}"
    # The role's ARN as AWS answers it, its name and id: the outputs the components read.
    roles = [s.name for s in specs if s.type == pulumi_types.IAM_ROLE]
    assert roles
    assert sorted(seen) == sorted(roles)
    for name, (arn_before, arn_after, role_name, role_id) in seen.items():
        assert arn_before == arn_after, name
        assert arn_after.endswith(f"/{role_name}"), name
        assert role_id == f"{name}-id", name
