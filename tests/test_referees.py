"""Independent referees judge what we render: kubernetes-validate, the Argo CD and External
Secrets CRDs, parliament, cloudsplaining. We did not write them, so they do not share our blind spots."""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import parliament
import pytest
from cloudsplaining.scan.policy_document import PolicyDocument

from fleet.compiler import load
from fleet.render.layers import render
from fleet.render.state import FleetState, IamRole, Manifest
from tests.conftest import ARGOCD_CRDS, ESO_CRDS, STACKS
from tests.crd_schemas import argocd_schema, external_secret_schema, unknown_fields

KUBERNETES_VERSION = "1.31"


@cache
def state_of(path: Path) -> FleetState:
    return render(load(path))


def manifests() -> list[tuple[str, Manifest]]:
    return [(f"{p.stem}:{m.kind}/{m.namespace}/{m.name}", m) for p in STACKS for m in state_of(p).manifests()]


def roles() -> list[tuple[str, IamRole]]:
    return [(f"{p.stem}:{r.name}", r) for p in STACKS for r in state_of(p).roles()]


KUBE = [(i, m) for i, m in manifests() if not m.api_version.startswith(("argoproj.io/", "external-secrets.io/"))]
ARGO = [(i, m) for i, m in manifests() if m.api_version.startswith("argoproj.io/")]
EXTERNAL_SECRETS = [(i, m) for i, m in manifests() if m.kind == "ExternalSecret"]
ROLES = roles()
# workload role name -> the namespace of the app's ServiceAccount
NAMESPACES = {
    app.role.name: app.namespace
    for path in STACKS
    for team in state_of(path).teams
    for app in team.apps
    if app.role is not None
}


@pytest.mark.parametrize("manifest", [m for _, m in KUBE], ids=[i for i, _ in KUBE])
def test_kubernetes_objects_pass_strict_schema(manifest: Manifest) -> None:
    kubernetes_validate.validate(manifest.obj, KUBERNETES_VERSION, strict=True)


def test_strict_schema_rejects_a_misspelt_field() -> None:
    """The referee really is strict: the same kind of object with one typo fails."""
    obj = next(m for _, m in KUBE if m.kind == "RoleBinding").obj
    bad = {**obj, "roleref": obj["roleRef"]}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)


# --- Argo CD CRDs ---------------------------------------------------------------------------
def crd_schema(kind: str) -> dict[str, Any]:
    return argocd_schema(kind)


@pytest.mark.parametrize("manifest", [m for _, m in ARGO], ids=[i for i, _ in ARGO])
def test_argocd_objects_pass_crd_schema(manifest: Manifest) -> None:
    schema = crd_schema(manifest.kind)
    jsonschema.validate(manifest.obj, schema)
    assert unknown_fields(manifest.obj, schema) == []


def test_crd_referee_catches_a_wrong_type_and_a_typo() -> None:
    project = next(m for _, m in ARGO if m.kind == "AppProject").obj
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {**project, "spec": {**project["spec"], "sourceRepos": "https://x"}}, crd_schema("AppProject")
        )
    typo = {**project, "spec": {**project["spec"], "destinatons": []}}
    assert unknown_fields(typo, crd_schema("AppProject")) == [".spec.destinatons"]


# --- External Secrets Operator CRD ---------------------------------------------------------
def test_the_shipped_catalogs_render_external_secrets() -> None:
    assert len(EXTERNAL_SECRETS) >= 2


@pytest.mark.parametrize("manifest", [m for _, m in EXTERNAL_SECRETS], ids=[i for i, _ in EXTERNAL_SECRETS])
def test_external_secrets_pass_the_vendored_crd_schema(manifest: Manifest) -> None:
    schema = external_secret_schema()
    jsonschema.validate(manifest.obj, schema)
    assert unknown_fields(manifest.obj, schema) == []


def test_external_secret_referee_catches_a_wrong_value_and_a_typo() -> None:
    obj = EXTERNAL_SECRETS[0][1].obj
    schema = external_secret_schema()
    store = {**obj["spec"]["secretStoreRef"], "kind": "VaultStore"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**obj, "spec": {**obj["spec"], "secretStoreRef": store}}, schema)
    target = {**obj["spec"]["target"], "creationPolicy": "Always"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**obj, "spec": {**obj["spec"], "target": target}}, schema)
    typo = {**obj, "spec": {**obj["spec"], "refreshIntervall": "1h"}}
    assert unknown_fields(typo, schema) == [".spec.refreshIntervall"]
    remote = [{**obj["spec"]["data"][0], "remoteRef": {"key": "k", "verison": "1"}}]
    assert unknown_fields({**obj, "spec": {**obj["spec"], "data": remote}}, schema) == [
        ".spec.data[0].remoteRef.verison"
    ]


def test_vendored_external_secrets_crd_is_the_recorded_upstream_file() -> None:
    source = (ESO_CRDS / "SOURCE.md").read_text()
    recorded = {name: digest for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", source, re.M)}
    actual = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in ESO_CRDS.glob("*.yaml")}
    assert recorded == actual == {"externalsecrets-crd.yaml": actual["externalsecrets-crd.yaml"]}
    assert "Apache License" in (ESO_CRDS / "LICENSE").read_text()


# --- IAM --------------------------------------------------------------------------------------
IDENTITY_POLICIES = [(i, r.inline_policy) for i, r in ROLES if r.inline_policy is not None]


@pytest.mark.parametrize("policy", [p for _, p in IDENTITY_POLICIES], ids=[i for i, _ in IDENTITY_POLICIES])
def test_inline_policies_pass_parliament(policy: dict[str, Any]) -> None:
    findings = parliament.analyze_policy_string(json.dumps(policy)).findings
    assert [(f.issue, f.detail) for f in findings] == []


@pytest.mark.parametrize("policy", [p for _, p in IDENTITY_POLICIES], ids=[i for i, _ in IDENTITY_POLICIES])
def test_inline_policies_pass_cloudsplaining(policy: dict[str, Any]) -> None:
    doc = PolicyDocument(policy)
    assert doc.allows_privilege_escalation == []
    assert doc.permissions_management_without_constraints == []
    assert doc.service_wildcard == []
    assert doc.credentials_exposure == []


def test_referees_would_catch_bad_policies() -> None:
    """A failing case for each IAM referee, so that their silence above means something."""
    bad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "s3:GetObjekt"], "Resource": "*"}],
    }
    issues = {f.issue for f in parliament.analyze_policy_string(json.dumps(bad)).findings}
    assert "UNKNOWN_ACTION" in issues
    escalation = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:CreateAccessKey"], "Resource": "*"}],
    }
    assert PolicyDocument(escalation).allows_privilege_escalation != []


def test_policies_are_canonical() -> None:
    for _, role in ROLES:
        for doc in (role.trust_policy, role.inline_policy):
            if doc is None:
                continue
            assert doc["Version"] == "2012-10-17"
            for statement in doc["Statement"]:
                for key in ("Action", "Resource"):
                    value = statement.get(key)
                    if isinstance(value, list):
                        assert value == sorted(set(value))


@pytest.mark.parametrize("role", [r for _, r in ROLES], ids=[i for i, _ in ROLES])
def test_trust_policies_pin_who_may_assume(role: IamRole) -> None:
    statements = role.trust_policy["Statement"]
    assert statements
    # One statement, or with IRSA on several clusters (prod) one per cluster's OIDC provider.
    assert len(statements) == 1 or all(":oidc-provider/" in s["Principal"].get("Federated", "") for s in statements)
    for statement in statements:
        _pins(role, statement)


def _pins(role: IamRole, statement: dict) -> None:
    equals = statement["Condition"]["StringEquals"]
    principal = statement["Principal"]
    if principal.get("Service") == "pods.eks.amazonaws.com":
        assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
        assert equals["aws:RequestTag/kubernetes-service-account"] == role.tags["app"]
        assert equals["aws:RequestTag/kubernetes-namespace"] == NAMESPACES[role.name]
        assert equals["aws:RequestTag/eks-cluster-arn"].startswith("arn:aws:eks:eu-west-1:")
        assert equals["aws:RequestTag/eks-cluster-arn"].endswith(":cluster/acme-dev")
        assert equals["aws:SourceAccount"] == role.arn.split(":")[4]
    elif ":oidc-provider/" in principal.get("Federated", ""):
        issuer = principal["Federated"].split(":oidc-provider/", 1)[1]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert equals[f"{issuer}:aud"] == "sts.amazonaws.com"
        assert equals[f"{issuer}:sub"] == f"system:serviceaccount:{NAMESPACES[role.name]}:{role.tags['app']}"
    else:
        assert ":saml-provider/" in principal["Federated"]
        assert "sts:AssumeRoleWithSAML" in statement["Action"]
        assert equals["SAML:aud"] == "https://signin.aws.amazon.com/saml"


def test_both_mechanisms_are_covered() -> None:
    principals = {json.dumps(r.trust_policy["Statement"][0]["Principal"], sort_keys=True)[:30] for _, r in ROLES}
    assert any("Service" in p for p in principals)
    assert sum("Federated" in p for p in principals) >= 1
    assert any("oidc-provider" in json.dumps(r.trust_policy) for _, r in ROLES)
    assert any("saml-provider" in json.dumps(r.trust_policy) for _, r in ROLES)


def test_vendored_crds_are_the_recorded_upstream_files() -> None:
    """vendor/argocd/SOURCE.md names the release; its checksums prove the files are that release's."""
    source = (ARGOCD_CRDS / "SOURCE.md").read_text()
    recorded = {name: digest for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", source, re.M)}
    actual = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in ARGOCD_CRDS.glob("*.yaml")}
    assert recorded == actual
    assert set(actual) == {"application-crd.yaml", "appproject-crd.yaml"}
