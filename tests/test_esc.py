"""The Pulumi ESC environments shipped in esc/: the documented ESC shape
(schemas/esc-environment.schema.json), references that resolve, short-lived credentials only,
read-only previews, and config keys the program really reads."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from fleet.catalog import naming
from tests.conftest import ROOT

SCHEMA = json.loads((ROOT / "schemas" / "esc-environment.schema.json").read_text())
ENVIRONMENTS = sorted((ROOT / "esc").glob("*.yaml"))
STACKS = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))
_REFERENCE = re.compile(r"\$\{([^}]+)\}")
# What each provider returns (ESC docs): aws-login its credentials; aws-secrets one value per `get` key.
_LOGIN_OUTPUTS = {"accessKeyId", "secretAccessKey", "sessionToken"}


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def errors(definition: dict[str, Any]) -> list[str]:
    return [e.message for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(definition)]


def test_every_stack_has_a_deployer_and_a_read_only_environment() -> None:
    names = {p.stem for p in ENVIRONMENTS}
    for stack in STACKS:
        assert naming.esc_environment(stack).split("/")[1] in names
        assert naming.esc_preview_environment(stack).split("/")[1] in names


@pytest.mark.parametrize("path", ENVIRONMENTS, ids=[p.name for p in ENVIRONMENTS])
def test_the_environment_has_esc_s_shape(path: Path) -> None:
    assert errors(load(path)) == []


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d["values"]["aws"]["login"]["fn::open::aws-login"]["oidc"].pop("roleArn"),
        lambda d: d["values"]["aws"]["login"].update(
            {"fn::open::aws-logn": d["values"]["aws"]["login"].pop("fn::open::aws-login")}
        ),
        lambda d: d["values"]["aws"]["secrets"]["fn::open::aws-secrets"].pop("login"),
        lambda d: d["values"]["environmentVariables"].update({"AWS_SESSION_TOKEN": ["not", "a", "string"]}),
        lambda d: d["values"]["pulumiConfig"].update({"no-namespace": "x"}),
        lambda d: d.update({"value": d.pop("values")}),
    ],
    ids=[
        "no role",
        "misspelt provider",
        "secrets without login",
        "list as env var",
        "config key without namespace",
        "top-level typo",
    ],
)
def test_the_schema_catches_a_broken_environment(breakage: Any) -> None:
    definition = copy.deepcopy(load(ENVIRONMENTS[0]))
    breakage(definition)
    assert errors(definition) != []


def _resolve(values: dict[str, Any], reference: str) -> bool:
    node: Any = values
    parts = reference.split(".")
    for index, part in enumerate(parts):
        if isinstance(node, dict) and "fn::open::aws-login" in node:
            return parts[index:] and parts[index] in _LOGIN_OUTPUTS and len(parts) == index + 1  # type: ignore[return-value]
        if isinstance(node, dict) and "fn::open::aws-secrets" in node:
            return len(parts) == index + 1 and part in node["fn::open::aws-secrets"]["get"]
        if isinstance(node, dict) and "fn::toJSON" in node:
            return len(parts) == index  # a JSON string has no fields
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


@pytest.mark.parametrize("path", ENVIRONMENTS, ids=[p.name for p in ENVIRONMENTS])
def test_every_reference_resolves(path: Path) -> None:
    values = load(path)["values"]
    references = [r for s in _strings(values) for r in _REFERENCE.findall(s)]
    assert references
    assert [r for r in references if not _resolve(values, r)] == []


def test_the_reference_check_is_not_vacuous() -> None:
    values = load(ENVIRONMENTS[0])["values"]
    assert not _resolve(values, "aws.login.accessKey")
    assert not _resolve(values, "aws.secrets.okta-key")
    assert not _resolve(values, "okta.clientID")


@pytest.mark.parametrize("path", ENVIRONMENTS, ids=[p.name for p in ENVIRONMENTS])
def test_only_short_lived_credentials_and_no_secret_material(path: Path) -> None:
    text = path.read_text()
    values = load(path)["values"]
    login = values["aws"]["login"]["fn::open::aws-login"]
    assert set(login) == {"oidc"}, "AWS by OIDC only, never static keys"
    duration = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?", login["oidc"]["duration"])
    assert duration
    assert int(duration.group(1) or 0) * 60 + int(duration.group(2) or 0) <= 60, "at most one hour"
    assert "fn::secret" not in text, "no secret value in the repository, even encrypted"
    assert "PRIVATE KEY" not in text
    assert values["pulumiConfig"]["app-of-apps:oktaPrivateKey"].startswith("${aws.secrets."), (
        "the Okta key from Secrets Manager"
    )
    assert "app-of-apps:oktaApiToken" not in values["pulumiConfig"], "never an Okta API token"


@pytest.mark.parametrize("path", ENVIRONMENTS, ids=[p.name for p in ENVIRONMENTS])
def test_preview_environments_are_read_only_and_deployer_environments_are_not_used_for_previews(path: Path) -> None:
    values = load(path)["values"]
    role = values["aws"]["login"]["fn::open::aws-login"]["oidc"]["roleArn"]
    scopes = values["okta"]["scopes"]
    if path.stem.endswith("-preview"):
        assert role.endswith("/app-of-apps-preview")
        # commands run in the environment (drift's `fleet status`) read with the same identity
        assert values["files"]["KUBECONFIG"] == "${kubernetes.kubeconfig}"
        assert all(s.endswith(".read") for s in scopes), scopes
        assert values["aws"]["secrets"]["fn::open::aws-secrets"]["get"]["okta-private-key"]["secretId"].endswith(
            "/okta-preview"
        )
    else:
        assert role.endswith("/app-of-apps-deployer")
        assert not any(s.endswith(".read") for s in scopes), scopes


def _config_keys_the_program_reads() -> set[str]:
    sources = [ROOT / "__main__.py", *sorted((ROOT / "components").glob("*.py"))]
    found = {m for p in sources for m in re.findall(r"config\.(?:get|require)\w*\(\s*\"(\w+)\"", p.read_text())}
    return {f"{naming.PROJECT}:{key}" for key in found}


@pytest.mark.parametrize("path", ENVIRONMENTS, ids=[p.name for p in ENVIRONMENTS])
def test_every_config_key_is_one_the_program_reads(path: Path) -> None:
    keys = set(load(path)["values"]["pulumiConfig"])
    read = _config_keys_the_program_reads()
    assert {"app-of-apps:oktaClientId", "app-of-apps:oktaPrivateKey", "app-of-apps:oktaScopes"} <= read
    assert keys - read == set()
