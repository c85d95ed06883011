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


class _Requests(pulumi_mocks.MockMonitor):
    """Every registration request, by name."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.requests: dict[str, Any] = {}

    def RegisterResource(self, request: Any) -> Any:
        self.requests[request.name] = request
        return super().RegisterResource(request)


@pytest.mark.parametrize(
    "config",
    [
        {
            "oktaOrgName": "acme",
            "oktaBaseUrl": "okta.com",
            "oktaClientId": "0oa123",
            "oktaPrivateKey": "-----BEGIN PRIVATE KEY-----",
            "oktaPrivateKeyId": "kid-1",
            "oktaScopes": '["okta.groups.manage", "okta.groups.read"]',
        },
        {"oktaOrgName": "acme", "oktaClientId": "0oa123"},  # no key, no scopes: none sent
        {},
    ],
)
@pytest.mark.parametrize("gated", [False, True])
def test_the_okta_provider_sends_what_its_sdk_class_sends(config: dict[str, str], gated: bool) -> None:
    """components.providers registers Okta's provider without importing pulumi_okta: the request
    (inputs, secrets, version, download URL, secret outputs) is the SDK class's."""
    import pulumi_okta as okta

    from components import providers

    asyncio.set_event_loop(asyncio.new_event_loop())
    pulumi.runtime.settings.reset_options()
    pulumi.runtime.settings.set_root_resource(None)  # type: ignore[arg-type]
    monitor = _Requests(Mocks())
    pulumi.runtime.set_mocks(Mocks(), project="app-of-apps", stack="dev", preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(
        {f"app-of-apps:{key}": value for key, value in config.items()},
        ["app-of-apps:oktaPrivateKey"] if "oktaPrivateKey" in config else [],
    )
    secret_key = "oktaPrivateKey" in config

    def program() -> None:
        settings = pulumi.Config("app-of-apps")
        gate = pulumi.Output.from_input(True) if gated else None
        providers._okta(settings, gate)  # registered as "okta"
        okta.Provider(
            "okta-sdk",
            org_name=providers._gated(settings.get("oktaOrgName"), gate),
            base_url=settings.get("oktaBaseUrl"),
            client_id=settings.get("oktaClientId"),
            private_key=settings.get_secret("oktaPrivateKey"),
            private_key_id=settings.get("oktaPrivateKeyId"),
            scopes=settings.get_object("oktaScopes"),
        )

    try:
        _sync_await(run_pulumi_func(program))
    finally:
        pulumi.runtime.set_all_config({}, [])
    plain, sdk = monitor.requests["okta"], monitor.requests["okta-sdk"]
    assert plain.type == sdk.type == "pulumi:providers:okta"
    sent = pulumi.runtime.rpc.deserialize_properties(plain.object, keep_unknowns=True)
    assert sent == pulumi.runtime.rpc.deserialize_properties(sdk.object, keep_unknowns=True)
    assert ("privateKey" in sent) == secret_key
    if secret_key:  # sent as a secret, as the class sends it
        assert pulumi.runtime.rpc._special_sig_key in plain.object["privateKey"]
        assert plain.object["privateKey"] == sdk.object["privateKey"]
    for option in ("version", "pluginDownloadURL", "protect", "deleteBeforeReplace"):
        assert getattr(plain, option) == getattr(sdk, option), option
    assert plain.version
    assert sorted(plain.additionalSecretOutputs) == sorted(sdk.additionalSecretOutputs)


@pytest.mark.parametrize("package", ["aws", "kubernetes", "okta"])
def test_a_package_version_is_the_one_its_sdk_sends(package: str) -> None:
    import importlib

    from components.register import _SDKS, package_options

    sdk = importlib.import_module(f"{_SDKS[package]}._utilities").get_resource_opts_defaults()
    ours = package_options(package)
    assert (ours.version, ours.plugin_download_url) == (sdk.version, sdk.plugin_download_url)


@pytest.mark.parametrize(
    ("pep440", "expected"),
    [
        ("7.51.1", "7.51.1"),
        ("4.0.0a3", "4.0.0-alpha.3"),
        ("4.0.0b1", "4.0.0-beta.1"),
        ("4.0.0rc2", "4.0.0-rc.2"),
        ("4.0.0.dev7", "4.0.0-dev.7"),
        ("4.0.0a1.dev7", "4.0.0-alpha.1"),  # a pre-release wins over the dev build, as in the SDKs
        ("4.0.0+abc.1", "4.0.0-abc.1"),
    ],
)
def test_pep440_versions_are_sent_as_the_sdks_send_them(pep440: str, expected: str) -> None:
    from components.register import semver

    assert semver(pep440) == expected


def test_a_version_no_sdk_publishes_is_refused() -> None:
    from components.register import semver

    with pytest.raises(ValueError, match="not a version"):
        semver("4.0")
