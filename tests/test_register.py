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
    """Every registration request by name, and every invoke request."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.requests: dict[str, Any] = {}
        self.invokes: list[Any] = []

    def RegisterResource(self, request: Any) -> Any:
        self.requests[request.name] = request
        return super().RegisterResource(request)

    def Invoke(self, request: Any) -> Any:
        self.invokes.append(request)
        return super().Invoke(request)


class _Endpoint(Mocks):
    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {"endpoint": "https://127.0.0.1:6443", "name": args.args["name"]}


def _both(program: Any, config: dict[str, str] | None = None, secret: list[str] | None = None) -> _Requests:
    """Run `program` under the mock engine, with the stack's config; every request it made."""
    asyncio.set_event_loop(asyncio.new_event_loop())
    pulumi.runtime.settings.reset_options()
    pulumi.runtime.settings.set_root_resource(None)  # type: ignore[arg-type]
    monitor = _Requests(_Endpoint())
    pulumi.runtime.set_mocks(_Endpoint(), project="app-of-apps", stack="dev", preview=False, monitor=monitor)
    pulumi.runtime.set_all_config({f"app-of-apps:{k}": v for k, v in (config or {}).items()}, secret or [])
    try:
        _sync_await(run_pulumi_func(program))
    finally:
        pulumi.runtime.set_all_config({}, [])
    return monitor


def _same_request(plain: Any, sdk: Any) -> None:
    assert plain.type == sdk.type
    sent = pulumi.runtime.rpc.deserialize_properties(plain.object, keep_unknowns=True)
    assert sent == pulumi.runtime.rpc.deserialize_properties(sdk.object, keep_unknowns=True), plain.type
    for key in sent:  # secrets sent as secrets
        assert (pulumi.runtime.rpc._special_sig_key in str(plain.object[key])) == (
            pulumi.runtime.rpc._special_sig_key in str(sdk.object[key])
        ), key
    for option in ("version", "pluginDownloadURL", "protect", "deleteBeforeReplace", "provider"):
        assert getattr(plain, option) == getattr(sdk, option), option
    assert plain.version
    assert sorted(plain.additionalSecretOutputs) == sorted(sdk.additionalSecretOutputs)
    assert sorted(plain.propertyDependencies) == sorted(sdk.propertyDependencies)


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

    secret = ["app-of-apps:oktaPrivateKey"] if "oktaPrivateKey" in config else []
    monitor = _both(program, config, secret)
    plain, sdk = monitor.requests["okta"], monitor.requests["okta-sdk"]
    _same_request(plain, sdk)
    assert ("privateKey" in plain.object) == bool(secret)


@pytest.mark.parametrize("assume_role", [None, "arn:aws:iam::111111111111:role/deployer"])
@pytest.mark.parametrize("gated", [False, True])
def test_the_aws_providers_and_the_cluster_lookup_send_what_the_sdk_sends(assume_role: str | None, gated: bool) -> None:
    import pulumi_aws as aws

    from components import providers

    def program() -> None:
        gate = pulumi.Output.from_input(True) if gated else None
        region = providers._gated("eu-west-1", gate)
        ours = providers._aws_provider("aws", region, "111111111111", assume_role)
        theirs = aws.Provider(
            "aws-sdk",
            region=providers._gated("eu-west-1", gate),
            allowed_account_ids=["111111111111"],
            assume_roles=(
                [aws.ProviderAssumeRoleArgs(role_arn=assume_role, session_name="app-of-apps")] if assume_role else None
            ),
        )
        for provider in (ours, theirs):  # the same lookup of the cluster's endpoint, through each
            if provider is ours:
                defaults = __import__("components.register", fromlist=["package_options"]).package_options("aws")
                out = pulumi.runtime.invoke_output(
                    "aws:eks/getCluster:getCluster",
                    {"name": "dev-cluster", "region": None, "tags": None},
                    opts=pulumi.InvokeOutputOptions(
                        provider=provider, version=defaults.version, plugin_download_url=defaults.plugin_download_url
                    ),
                ).apply(lambda cluster: cluster.get("endpoint"))
            else:
                out = aws.eks.get_cluster_output(
                    name="dev-cluster", opts=pulumi.InvokeOutputOptions(provider=provider)
                ).endpoint
            out.apply(lambda endpoint: endpoints.append(endpoint))

    endpoints: list[str] = []
    monitor = _both(program)
    _same_request(monitor.requests["aws"], monitor.requests["aws-sdk"])
    assert endpoints == ["https://127.0.0.1:6443"] * 2
    ours, theirs = sorted(monitor.invokes, key=lambda invoke: invoke.provider.split("::")[-2])  # aws, aws-sdk
    assert ours.tok == theirs.tok == "aws:eks/getCluster:getCluster"
    assert pulumi.runtime.rpc.deserialize_properties(ours.args) == pulumi.runtime.rpc.deserialize_properties(
        theirs.args
    )
    assert (ours.version, ours.pluginDownloadURL) == (theirs.version, theirs.pluginDownloadURL)
    assert ours.provider.split("::")[-2] == "aws"  # through the provider given
    assert theirs.provider.split("::")[-2] == "aws-sdk"


def test_the_program_s_cluster_lookup_is_the_one_compared_above() -> None:
    """components.providers._verified_kubeconfig asks what the test above compares with the SDK."""
    import inspect

    from components import providers

    source = inspect.getsource(providers._verified_kubeconfig)
    assert '"aws:eks/getCluster:getCluster"' in source
    assert '{"name": catalog.cluster.name, "region": None, "tags": None}' in source


@pytest.mark.parametrize(
    "env",
    [
        {},
        dict.fromkeys(
            [
                "PULUMI_K8S_DELETE_UNREACHABLE",
                "PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY",
                "PULUMI_K8S_UPSERT_EXISTING_OBJECTS",
                "PULUMI_K8S_SUPPRESS_DEPRECATION_WARNINGS",
            ],
            "true",
        ),
        {
            "PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY": "0",
            "PULUMI_K8S_ENABLE_PATCH_FORCE": "T",
            "PULUMI_K8S_SKIP_UPDATE_UNREACHABLE": "yes",  # not a Go boolean: not set
            "PULUMI_K8S_ENABLE_CONFIGMAP_MUTABLE": "False",
            "PULUMI_K8S_ENABLE_SECRET_MUTABLE": "1",
            "PULUMI_K8S_SUPPRESS_HELM_HOOK_WARNINGS": "f",
            "KUBECONFIG": "/from/the/environment",
        },
    ],
)
@pytest.mark.parametrize("kubeconfig", [None, "apiVersion: v1\nkind: Config\n"])
def test_the_kubernetes_providers_send_what_the_sdk_class_sends(
    env: dict[str, str], kubeconfig: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Including what the class reads from the environment when it is not given it."""
    import pulumi_kubernetes as kubernetes

    from components import providers

    for name in [*providers.KUBERNETES_ENV_FLAGS.values(), "KUBECONFIG"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def program() -> None:
        config = None if kubeconfig is None else pulumi.Output.secret(kubeconfig)
        providers._kubernetes_provider("kubernetes", config, "east")
        kubernetes.Provider(
            "kubernetes-sdk",
            kubeconfig=None if kubeconfig is None else pulumi.Output.secret(kubeconfig),
            context="east",
            upsert_existing_objects=False,
        )

    monitor = _both(program)
    _same_request(monitor.requests["kubernetes"], monitor.requests["kubernetes-sdk"])
    sent = pulumi.runtime.rpc.deserialize_properties(monitor.requests["kubernetes"].object)
    assert sent["upsertExistingObjects"] == "false"  # never taken from the environment


def test_the_providers_read_from_the_environment_what_the_sdk_classes_read() -> None:
    """The SDKs' Provider classes read these variables when an input is not given: a new one
    (an SDK upgrade) must be mirrored in components.providers."""
    import re
    from importlib import util

    from components import providers

    def read(module: str) -> set[str]:
        spec = util.find_spec(module)
        assert spec is not None
        assert spec.origin is not None
        text = open(spec.origin, encoding="utf-8").read()  # noqa: SIM115
        return {name for call in re.findall(r"get_env\w*\(([^)]*)\)", text) for name in re.findall(r"'(\w+)'", call)}

    def defaults(module: str) -> dict[str, bool]:
        spec = util.find_spec(module)
        assert spec is not None
        assert spec.origin is not None
        text = open(spec.origin, encoding="utf-8").read()  # noqa: SIM115
        found = re.findall(r"if (\w+) is None:\n\s+\1 = (True|False)\n", text)
        return {
            "".join([w[0], *(p.title() for p in w[1:])]): v == "True" for w, v in ((n.split("_"), v) for n, v in found)
        }

    assert defaults("pulumi_aws.provider") == providers.AWS_DEFAULTS
    assert defaults("pulumi_kubernetes.provider") == {}
    assert defaults("pulumi_okta.provider") == {}
    assert read("pulumi_kubernetes.provider") == {*providers.KUBERNETES_ENV_FLAGS.values(), "KUBECONFIG"}
    assert read("pulumi_aws.provider") == {"AWS_REGION", "AWS_DEFAULT_REGION"}  # region: always given
    assert read("pulumi_okta.provider") == set()


def test_the_program_imports_no_sdk() -> None:
    import subprocess
    import sys

    code = (
        "import sys\nimport components.providers, components.app_of_apps, components.stack, components.platform\n"
        "print(' '.join(m for m in ('pulumi_aws', 'pulumi_kubernetes', 'pulumi_okta') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.split() == []


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
