"""The `fleet` output contract, the reader team stacks use, the cluster stack as input, and the
example team stack, all under the mock engine where Pulumi is involved."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fleet.contract.fleet_output import ContractError, json_schema, parse
from tests.conftest import ROOT, catalog_path
from tests.pulumi_harness import ProgramRun, eks_endpoint, kubeconfig_for, run_program

SCHEMA_FILE = ROOT / "schemas" / "fleet-output.v1.json"
ACCOUNTS = {"dev": "111111111111", "prod": "222222222222"}


def platform_output(stack: str) -> dict[str, Any]:
    os.environ["MOCK_ACCOUNT"] = ACCOUNTS[stack]
    run = run_program(stack)
    assert run.error is None, run.error
    return run.outputs["fleet"]


# --- the contract -------------------------------------------------------------------------------
def test_committed_schema_is_the_contract() -> None:
    """A change of the models without a new schema file (a silent change) fails here."""
    assert json.loads(SCHEMA_FILE.read_text()) == json_schema()


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_program_output_matches_the_schema(stack: str) -> None:
    output = platform_output(stack)
    jsonschema.validate(output, json.loads(SCHEMA_FILE.read_text()))
    assert output["version"] == 1
    apps = output["teams"]["payments"]["apps"]
    assert apps["settlement"]["role_arn"] is None  # no aws block
    assert apps["checkout"]["role_arn"].endswith(f":role/fleet/acme-{stack}-payments-checkout")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_exported_output_is_the_model_the_readers_parse(stack: str) -> None:
    """The program exports the model it builds (fleet_output), with the provider's ARNs in it;
    a reader parses exactly that model back."""
    from fleet.compiler import load_state
    from fleet.contract.fleet_output import fleet_output, with_role_arns

    _, state = load_state(catalog_path(stack))
    built = fleet_output(state)
    assert platform_output(stack) == with_role_arns(built, {})
    assert parse(with_role_arns(built, {}), stack) == built
    moved = with_role_arns(built, {("payments", "checkout"): "arn:aws:iam::111111111111:role/elsewhere"})
    assert parse(moved, stack).app("payments", "checkout").role_arn == "arn:aws:iam::111111111111:role/elsewhere"


def test_schema_refuses_a_changed_shape() -> None:
    output = platform_output("dev")
    schema = json.loads(SCHEMA_FILE.read_text())
    renamed = json.loads(json.dumps(output))
    renamed["teams"]["payments"]["apps"]["checkout"]["roleArn"] = renamed["teams"]["payments"]["apps"]["checkout"].pop(
        "role_arn"
    )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(renamed, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**output, "version": 2}, schema)


def test_parse_errors_name_what_is_wrong() -> None:
    output = platform_output("dev")
    fleet = parse(output, "acme/app-of-apps/dev")
    assert fleet.app("payments", "checkout").service_account == "checkout"
    with pytest.raises(
        ContractError,
        match=r"team 'payment' is not in the acme/dev platform stack; its teams are: identity, payments, search",
    ):
        fleet.team("payment")
    with pytest.raises(
        ContractError,
        match=r"app 'checkot' is not in team 'payments'.*its apps are: checkout, gateway, ledger, settlement",
    ):
        fleet.app("payments", "checkot")
    with pytest.raises(ContractError, match="version 2; this reader understands version 1"):
        parse({**output, "version": 2}, "acme/app-of-apps/dev")
    with pytest.raises(ContractError, match="has no 'fleet' output"):
        parse(None, "acme/app-of-apps/dev")


# --- the reader under the mock engine -----------------------------------------------------------
READER = textwrap.dedent(
    """
    import pulumi
    from fleet.io.platform_stack import PlatformStack

    config = pulumi.Config()
    platform = PlatformStack("acme/app-of-apps/dev")
    app = platform.app(config.require("team"), config.require("app"))
    pulumi.export("namespace", app.namespace)
    pulumi.export("service_account", app.service_account)
    pulumi.export("has_role", app.has_role)
    pulumi.export("group", platform.team(config.require("team")).okta_group("developer"))
    if config.get_bool("role"):
        pulumi.export("role_arn", app.role_arn)
    """
)


def run_reader(tmp_path: Path, outputs: dict[str, Any], **config: str) -> ProgramRun:
    program = tmp_path / "__main__.py"
    program.write_text(f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n" + READER)
    return run_program("dev", config, program=program, project="team", stack_outputs={"acme/app-of-apps/dev": outputs})


def test_reader_present_app(tmp_path: Path) -> None:
    run = run_reader(tmp_path, {"fleet": platform_output("dev")}, team="payments", app="checkout", role="true")
    assert run.error is None, run.error
    assert run.outputs["namespace"] == "payments"
    assert run.outputs["service_account"] == "checkout"
    assert run.outputs["has_role"] is True
    assert run.outputs["group"] == "acme-dev-payments-developer"
    assert run.outputs["role_arn"] == "arn:aws:iam::111111111111:role/fleet/acme-dev-payments-checkout"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"team": "paymnts", "app": "checkout"}, "team 'paymnts' is not in the acme/dev platform stack"),
        ({"team": "payments", "app": "checkot"}, "app 'checkot' is not in team 'payments'"),
        ({"team": "payments", "app": "settlement", "role": "true"}, "app payments/settlement has no IAM role"),
    ],
)
def test_reader_missing_team_or_app(tmp_path: Path, config: dict[str, str], message: str) -> None:
    run = run_reader(tmp_path, {"fleet": platform_output("dev")}, **config)
    assert run.error is not None
    assert message in str(run.error)


def test_reader_version_mismatch(tmp_path: Path) -> None:
    output = {**platform_output("dev"), "version": 2}
    run = run_reader(tmp_path, {"fleet": output}, team="payments", app="checkout")
    assert "exports fleet output version 2; this reader understands version 1" in str(run.error)


def test_reader_refuses_a_partial_stack_name() -> None:
    from fleet.io.platform_stack import PlatformStack

    with pytest.raises(ValueError, match="fully qualified"):
        PlatformStack("app-of-apps/dev")


# --- the cluster stack as input ----------------------------------------------------------------
CLUSTER = "acme/eks/dev"


def run_with_cluster(outputs: dict[str, Any], **config: str) -> ProgramRun:
    os.environ["MOCK_ACCOUNT"] = ACCOUNTS["dev"]
    return run_program("dev", {"clusterStack": CLUSTER, **config}, stack_outputs={CLUSTER: outputs})


def kubeconfig_of(run: ProgramRun) -> Any:
    (provider,) = run.of_type("pulumi:providers:kubernetes")
    value = provider.inputs["kubeconfig"]
    return value.get("value", value) if isinstance(value, dict) else value


DEV_KUBECONFIG = kubeconfig_for(eks_endpoint("acme-dev"))


def test_cluster_stack_supplies_the_kubeconfig() -> None:
    run = run_with_cluster({"kubeconfig": DEV_KUBECONFIG, "clusterName": "acme-dev"})
    assert run.error is None, run.error
    assert kubeconfig_of(run) == DEV_KUBECONFIG
    assert len(run.of_type("kubernetes:core/v1:Namespace")) == 4


def test_config_overrides_the_cluster_stack() -> None:
    from_config = kubeconfig_for(eks_endpoint("acme-dev"), context="from-config")
    run = run_with_cluster({"kubeconfig": DEV_KUBECONFIG, "clusterName": "acme-dev"}, kubeconfig=from_config)
    assert run.error is None, run.error
    assert kubeconfig_of(run) == from_config


def test_kubeconfig_of_another_cluster_is_refused(tmp_path: Path) -> None:
    """A prod current-context while deploying dev: refused before the provider exists."""
    prod = tmp_path / "kubeconfig"
    prod.write_text(kubeconfig_for(eks_endpoint("acme-prod")))
    os.environ["MOCK_ACCOUNT"] = ACCOUNTS["dev"]
    run = run_program("dev", kubeconfig_file=prod)
    assert run.error is not None
    assert "the kubeconfig points at https://ACMEPROD" in str(run.error)
    assert "refusing to deploy into another cluster" in str(run.error)
    assert not [
        r for r in run.registrations if r.type.startswith("kubernetes:") and r.custom and "providers" not in r.type
    ]


def test_ambient_kubeconfig_is_checked_and_passed_on(tmp_path: Path) -> None:
    dev = tmp_path / "kubeconfig"
    dev.write_text(DEV_KUBECONFIG)
    os.environ["MOCK_ACCOUNT"] = ACCOUNTS["dev"]
    run = run_program("dev", kubeconfig_file=dev)
    assert run.error is None, run.error
    assert kubeconfig_of(run) == DEV_KUBECONFIG  # exactly the file that was checked
    assert len(run.of_type("kubernetes:core/v1:Namespace")) == 4


def test_kube_context_selects_the_checked_server(tmp_path: Path) -> None:
    both = tmp_path / "kubeconfig"
    text = kubeconfig_for(eks_endpoint("acme-prod"), context="prod")
    text = text.replace("clusters:\n", f"clusters:\n- name: d\n  cluster: {{server: '{eks_endpoint('acme-dev')}'}}\n")
    text = text.replace("contexts:\n", "contexts:\n- name: dev\n  context: {cluster: d, user: u}\n")
    both.write_text(text)
    os.environ["MOCK_ACCOUNT"] = ACCOUNTS["dev"]
    assert run_program("dev", kubeconfig_file=both).error is not None  # current-context: prod
    run = run_program("dev", {"kubeContext": "dev"}, kubeconfig_file=both)
    assert run.error is None, run.error


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        ({"clusterName": "acme-dev"}, "acme/eks/dev does not export kubeconfig"),
        ({"kubeconfig": "k"}, "does not export clusterName"),
        (
            {"kubeconfig": "k", "clusterName": "acme-prod"},
            "exports clusterName 'acme-prod', but the catalog's cluster.name is 'acme-dev'",
        ),
    ],
)
def test_cluster_stack_missing_or_wrong_output(outputs: dict[str, Any], message: str) -> None:
    run = run_with_cluster(outputs)
    assert run.error is not None
    assert message in str(run.error)
    assert not [r for r in run.registrations if r.custom and not r.type.startswith("pulumi:providers:")]


def test_irsa_cluster_stack_must_agree_on_the_oidc_provider() -> None:
    os.environ["MOCK_ACCOUNT"] = ACCOUNTS["prod"]
    base = {"kubeconfig": "k", "clusterName": "acme-prod"}
    missing = run_program("prod", {"clusterStack": "acme/eks/prod"}, stack_outputs={"acme/eks/prod": base})
    assert "does not export oidcProviderArn" in str(missing.error)
    wrong = run_program(
        "prod",
        {"clusterStack": "acme/eks/prod"},
        stack_outputs={"acme/eks/prod": {**base, "oidcProviderArn": "arn:aws:iam::222222222222:oidc-provider/x"}},
    )
    assert "but the catalog's aws.oidc_provider_arn is" in str(wrong.error)


# --- the example team stack ------------------------------------------------------------------
EXAMPLE = ROOT / "examples" / "team-service" / "__main__.py"


def run_example(fleet_output: dict[str, Any], app: str = "checkout") -> ProgramRun:
    config = {"platformStack": "acme/app-of-apps/dev", "team": "payments", "app": app, "region": "eu-west-1"}
    return run_program(
        "dev",
        config,
        program=EXAMPLE,
        project="team-service",
        stack_outputs={"acme/app-of-apps/dev": {"fleet": fleet_output}},
    )


def test_example_team_stack() -> None:
    run = run_example(platform_output("dev"))
    assert run.error is None, run.error
    counts = run.count()
    assert counts["aws:s3/bucket:Bucket"] == 1
    assert counts["aws:s3/bucketPolicy:BucketPolicy"] == 1
    assert counts["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"] == 1
    assert counts["kubernetes:core/v1:ConfigMap"] == 1
    (policy,) = run.of_type("aws:s3/bucketPolicy:BucketPolicy")
    statements = json.loads(policy.inputs["policy"])["Statement"]
    role = "arn:aws:iam::111111111111:role/fleet/acme-dev-payments-checkout"
    assert {s["Sid"] for s in statements if s["Principal"] == {"AWS": role}} == {
        "AppReadsAndWritesObjects",
        "AppListsBucket",
    }
    (config_map,) = run.of_type("kubernetes:core/v1:ConfigMap")
    assert config_map.inputs["metadata"]["namespace"] == "payments"
    assert config_map.inputs["data"]["AWS_ROLE_ARN"] == role
    assert run.outputs["namespace"] == "payments"
    explicit = {r.urn for r in run.registrations if r.type.startswith("pulumi:providers:")}
    for r in run.registrations:
        if r.custom and not r.type.startswith("pulumi:providers:"):
            assert r.provider.rsplit("::", 1)[0] in explicit, r.type


def test_example_fails_clearly_for_an_app_without_a_role() -> None:
    run = run_example(platform_output("dev"), app="settlement")
    assert "app payments/settlement has no IAM role" in str(run.error)


def test_cluster_stack_may_export_the_kubeconfig_as_an_object() -> None:
    """pulumi-eks exports it as an object: checked and handed on as JSON text (JSON is YAML)."""
    import yaml as pyyaml

    as_object = pyyaml.safe_load(DEV_KUBECONFIG)
    run = run_with_cluster({"kubeconfig": as_object, "clusterName": "acme-dev"})
    assert run.error is None, run.error
    assert json.loads(kubeconfig_of(run)) == as_object
