"""Bad input, table-driven: each catalog is wrong in one way and the message names the field."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from fleet.compiler import validate
from fleet.text.problems import CatalogError
from fleet.text.yaml_io import parse
from tests.conftest import BASE, ROOT, one_file_text, shipped

Mutation = Callable[[dict[str, Any]], None]


def app(d: dict[str, Any], team: int = 0, index: int = 0) -> dict[str, Any]:
    return d["teams"][team]["apps"][index]


def stmt(d: dict[str, Any]) -> dict[str, Any]:
    return app(d)["aws"]["statements"][0]


def setter(fn: Callable[[dict[str, Any]], Any]) -> Mutation:
    return fn


CASES: list[tuple[str, Mutation, str, str]] = [
    ("missing environment", lambda d: d.pop("environment"), "environment", "required field is missing"),
    (
        "typo top level",
        lambda d: d.update(organisation=d.pop("organization")),
        "organisation",
        "did you mean 'organization'",
    ),
    (
        "typo nested",
        lambda d: d["teams"][0].update(descripton="x"),
        "teams[0].descripton",
        "did you mean 'description'",
    ),
    (
        "typo in app source",
        lambda d: app(d)["source"].update(revison="main"),
        "teams[0].apps[0].source.revison",
        "did you mean 'revision'",
    ),
    (
        "typo in persona",
        lambda d: d.update(personas={"dev": {"kubernets": "edit"}}),
        "personas.dev.kubernets",
        "did you mean 'kubernetes'",
    ),
    ("environment not a DNS label", lambda d: d.update(environment="Dev_1"), "environment", "not a DNS label"),
    ("team name invalid", lambda d: d["teams"][0].update(name="Payments Team"), "teams[0].name", "not a DNS label"),
    ("app name too long", lambda d: app(d).update(name="a" * 64), "teams[0].apps[0].name", "at most 63"),
    ("account id unquoted", lambda d: d["aws"].update(account_id=111111111111), "aws.account_id", "quoted string"),
    ("account id short", lambda d: d["aws"].update(account_id="1234"), "aws.account_id", "12 digits"),
    ("region invalid", lambda d: d["aws"].update(region="europe"), "aws.region", "AWS region"),
    (
        "workload identity unknown",
        lambda d: d["aws"].update(workload_identity="kiam"),
        "aws.workload_identity",
        "expected",
    ),
    (
        "irsa without provider",
        lambda d: d["aws"].update(workload_identity="irsa"),
        "aws.oidc_provider_arn",
        "required when aws.workload_identity is irsa",
    ),
    (
        "malformed OIDC provider ARN",
        lambda d: d["aws"].update(oidc_provider_arn="arn:aws:iam::111111111111:role/x"),
        "aws.oidc_provider_arn",
        "OIDC provider ARN",
    ),
    (
        "boundary in another account",
        lambda d: d["aws"].update(permissions_boundary_arn="arn:aws:iam::999999999999:policy/b"),
        "aws.permissions_boundary_arn",
        "not aws.account_id",
    ),
    (
        "system: groups prefix",
        lambda d: d["cluster"].update(oidc_groups_prefix="system:"),
        "cluster.oidc_groups_prefix",
        "system:",
    ),
    ("empty allow-list", lambda d: d["argocd"].update(allowed_repos=[]), "argocd.allowed_repos", "must not be empty"),
    (
        "wildcard allow-list",
        lambda d: d["argocd"].update(allowed_repos=["https://github.com/*"]),
        "argocd.allowed_repos[0]",
        "wildcards",
    ),
    (
        "whole-host allow-list",
        lambda d: d["argocd"].update(allowed_repos=["https://github.com/"]),
        "argocd.allowed_repos[0]",
        "whole host",
    ),
    (
        "repo outside allow-list",
        lambda d: app(d)["source"].update(repo="https://github.com/evil/deploy"),
        "teams[0].apps[0].source.repo",
        "outside argocd.allowed_repos",
    ),
    (
        "repo with wildcard",
        lambda d: app(d)["source"].update(repo="https://github.com/acme/*"),
        "teams[0].apps[0].source.repo",
        "wildcards",
    ),
    (
        "repo not a URL",
        lambda d: app(d)["source"].update(repo="checkout-deploy"),
        "teams[0].apps[0].source.repo",
        "Git repository URL",
    ),
    ("absolute path", lambda d: app(d)["source"].update(path="/etc"), "teams[0].apps[0].source.path", "relative path"),
    (
        "path with ..",
        lambda d: app(d)["source"].update(path="overlays/../../other"),
        "teams[0].apps[0].source.path",
        "without '..'",
    ),
    ("owners empty", lambda d: d["teams"][0].update(owners=[]), "teams[0].owners", "must not be empty"),
    ("owner not an e-mail", lambda d: d["teams"][0].update(owners=["alice"]), "teams[0].owners[0]", "e-mail"),
    (
        "duplicate team",
        lambda d: d["teams"][1].update(name="payments"),
        "teams[1].name",
        "already used at teams[0].name",
    ),
    (
        "duplicate app",
        lambda d: d["teams"][0]["apps"].append(copy.deepcopy(app(d))),
        "teams[0].apps[1].name",
        "already used",
    ),
    (
        "duplicate namespace in team",
        lambda d: d["teams"][0].update(namespaces=[{"name": "pay"}, {"name": "pay"}]),
        "teams[0].namespaces[1].name",
        "already used",
    ),
    (
        "namespace of two teams",
        lambda d: d["teams"][1].update(namespaces=[{"name": "payments"}]),
        "teams[1].namespaces[0].name",
        "already claimed",
    ),
    (
        "kube- namespace",
        lambda d: d["teams"][0].update(namespaces=[{"name": "kube-system"}]),
        "teams[0].namespaces[0].name",
        "reserved",
    ),
    (
        "default namespace",
        lambda d: d["teams"][0].update(namespaces=[{"name": "default"}]),
        "teams[0].namespaces[0].name",
        "reserved",
    ),
    (
        "argocd namespace",
        lambda d: d["teams"][0].update(namespaces=[{"name": "argocd"}]),
        "teams[0].namespaces[0].name",
        "Argo CD namespace",
    ),
    (
        "custom argocd namespace",
        lambda d: (d["argocd"].update(namespace="gitops"), d["teams"][1].update(name="gitops")),
        "teams[1].namespaces[0].name",
        "Argo CD namespace",
    ),
    (
        "app in foreign namespace",
        lambda d: app(d).update(namespace="search"),
        "teams[0].apps[0].namespace",
        "not one of the team's namespaces",
    ),
    (
        "unknown persona in members",
        lambda d: d["teams"][0]["members"].update(owner='user.title == "x"'),
        "teams[0].members.owner",
        "unknown persona",
    ),
    (
        "persona level unknown",
        lambda d: d.update(personas={"dev": {"kubernetes": "cluster-admin"}}),
        "personas.dev.kubernetes",
        "expected",
    ),
    (
        "argocd action unknown",
        lambda d: d.update(personas={"dev": {"kubernetes": "edit", "argocd": ["deploy"]}}),
        "personas.dev.argocd[0]",
        "expected",
    ),
    ("no personas", lambda d: d.update(personas={}), "personas", "at least one persona"),
    (
        "human policies without SAML",
        lambda d: d.update(
            personas={
                "dev": {"kubernetes": "view", "aws_managed_policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}
            }
        ),
        "personas.dev.aws_managed_policy_arns",
        "saml_provider_arn",
    ),
    (
        "admin human policy",
        lambda d: (
            d["aws"].update(saml_provider_arn="arn:aws:iam::111111111111:saml-provider/okta"),
            d.update(
                personas={
                    "dev": {
                        "kubernetes": "view",
                        "aws_managed_policy_arns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
                    }
                }
            ),
        ),
        "personas.dev.aws_managed_policy_arns[0]",
        "administrator",
    ),
    (
        "IAM star action",
        lambda d: stmt(d).update(actions=["*"]),
        "teams[0].apps[0].aws.statements[0].actions[0]",
        "every service",
    ),
    (
        "IAM service wildcard",
        lambda d: stmt(d).update(actions=["s3:*"]),
        "teams[0].apps[0].aws.statements[0].actions[0]",
        "every action of the service",
    ),
    (
        "IAM partial wildcard",
        lambda d: stmt(d).update(actions=["s3:Get*"]),
        "teams[0].apps[0].aws.statements[0].actions[0]",
        "wildcard",
    ),
    (
        "IAM PassRole",
        lambda d: stmt(d).update(actions=["iam:PassRole"]),
        "teams[0].apps[0].aws.statements[0].actions[0]",
        "privilege escalation",
    ),
    (
        "IAM AssumeRole",
        lambda d: stmt(d).update(actions=["sts:AssumeRole"]),
        "teams[0].apps[0].aws.statements[0].actions[0]",
        "privilege escalation",
    ),
    (
        "IAM CreateUser",
        lambda d: stmt(d).update(actions=["iam:CreateUser"]),
        "teams[0].apps[0].aws.statements[0].actions[0]",
        "permissions-management",
    ),
    (
        "IAM PutRolePolicy",
        lambda d: stmt(d).update(actions=["iam:PutRolePolicy"]),
        "teams[0].apps[0].aws.statements[0].actions[0]",
        "permissions-management",
    ),
    (
        "IAM AttachRolePolicy",
        lambda d: stmt(d).update(actions=["iam:AttachRolePolicy"]),
        "teams[0].apps[0].aws.statements[0].actions[0]",
        "permissions-management",
    ),
    (
        "IAM bucket policy",
        lambda d: stmt(d).update(actions=["s3:PutBucketPolicy"]),
        "teams[0].apps[0].aws.statements[0].actions[0]",
        "permissions-management",
    ),
    (
        "IAM unknown action",
        lambda d: stmt(d).update(actions=["s3:GetObjekt"]),
        "teams[0].apps[0].aws.statements[0].actions[0]",
        "did you mean 's3:GetObject'",
    ),
    (
        "IAM star resource",
        lambda d: stmt(d).update(resources=["*"]),
        "teams[0].apps[0].aws.statements[0].resources[0]",
        "resource-level",
    ),
    (
        "IAM malformed ARN",
        lambda d: stmt(d).update(resources=["acme-dev-checkout"]),
        "teams[0].apps[0].aws.statements[0].resources[0]",
        "not an ARN",
    ),
    (
        "IAM empty actions",
        lambda d: stmt(d).update(actions=[]),
        "teams[0].apps[0].aws.statements[0].actions",
        "must not be empty",
    ),
    (
        "admin managed policy on workload",
        lambda d: app(d)["aws"].update(managed_policy_arns=["arn:aws:iam::aws:policy/AdministratorAccess"]),
        "teams[0].apps[0].aws.managed_policy_arns[0]",
        "administrator",
    ),
    (
        "malformed managed policy",
        lambda d: app(d)["aws"].update(managed_policy_arns=["AdministratorAccess"]),
        "teams[0].apps[0].aws.managed_policy_arns[0]",
        "IAM policy ARN",
    ),
    ("role name too long", lambda d: d.update(organization="a" * 50), "teams[0].apps[0].name", "IAM allows 64"),
    (
        "Okta group collision",
        lambda d: (
            d["teams"][0].update(name="pay"),
            d["teams"][1].update(name="pay-developer"),
            d.update(personas={"developer": {"kubernetes": "edit"}, "developer-developer": {"kubernetes": "view"}}),
        ),
        "teams[1].name",
        "derived Okta group name",
    ),
    (
        "Application name collision",
        lambda d: (
            d["teams"][1].update(name="payments-a"),
            d["teams"][1]["apps"][0].update(name="b"),
            app(d).update(name="a-b"),
        ),
        "teams[1].apps[0].name",
        "derived Argo CD Application name",
    ),
    (
        "quota not a quantity",
        lambda d: d.update(defaults={"quota": {"cpu": "four", "memory": "8Gi", "pods": 10}}),
        "defaults.quota.cpu",
        "Kubernetes quantity",
    ),
    (
        "pod security unknown",
        lambda d: d["teams"][0].update(namespaces=[{"name": "payments", "pod_security": "strict"}]),
        "teams[0].namespaces[0].pod_security",
        "expected",
    ),
    ("lifecycle unknown", lambda d: app(d).update(lifecycle="retired"), "teams[0].apps[0].lifecycle", "expected"),
    ("teams not a list", lambda d: d.update(teams={"payments": {}}), "teams", "must be a list, not dict"),
    ("teams null", lambda d: d.update(teams=None), "teams", "must be a list, not empty (null)"),
    ("no teams", lambda d: d.update(teams=[]), "teams", "empty fleet"),
    (
        "egress not a CIDR",
        lambda d: d.update(defaults={"network": {"egress_https_cidrs": ["10.0.0.0/33"]}}),
        "defaults.network.egress_https_cidrs[0]",
        "not a CIDR",
    ),
    (
        "egress CIDR with host bits",
        lambda d: d.update(defaults={"network": {"egress_https_cidrs": ["10.0.0.1/8"]}}),
        "defaults.network.egress_https_cidrs[0]",
        "host bits",
    ),
    (
        "team named default",
        lambda d: d["teams"][1].update(name="default", namespaces=[{"name": "search"}]),
        "teams[1].name",
        "built-in project",
    ),
    (
        "team named platform",
        lambda d: d["teams"][1].update(name="platform", namespaces=[{"name": "search"}]),
        "teams[1].name",
        "[catalog-team-name-platform]",
    ),
    (
        "duplicate owner",
        lambda d: d["teams"][0].update(owners=["alice@acme.example", "alice@acme.example"]),
        "teams[0].owners",
        "listed twice",
    ),
    ("empty aws block", lambda d: app(d).update(aws={}), "teams[0].apps[0].aws", "grants nothing"),
    (
        "repo escaping the prefix",
        lambda d: app(d)["source"].update(repo="https://github.com/acme/../evil/x"),
        "teams[0].apps[0].source.repo",
        "'..'",
    ),
    (
        "repo with encoded dots",
        lambda d: app(d)["source"].update(repo="https://github.com/acme/%2e%2e/evil"),
        "teams[0].apps[0].source.repo",
        "'%'",
    ),
    (
        "IAM every bucket",
        lambda d: stmt(d).update(resources=["arn:aws:s3:::*"]),
        "teams[0].apps[0].aws.statements[0].resources[0]",
        "every resource",
    ),
    (
        "IAM any account",
        lambda d: stmt(d).update(actions=["sqs:SendMessage"], resources=["arn:aws:sqs:eu-west-1:*:q"]),
        "teams[0].apps[0].aws.statements[0].resources[0]",
        "every resource",
    ),
    (
        "partition mismatch",
        lambda d: d["aws"].update(permissions_boundary_arn="arn:aws-cn:iam::111111111111:policy/b"),
        "aws.permissions_boundary_arn",
        "partition",
    ),
    (
        "floor lowered",
        lambda d: d.update(guardrails={"pod_security_floor": "privileged"}),
        "guardrails.pod_security_floor",
        "expected",
    ),
    (
        "namespace below floor",
        lambda d: (
            d.update(guardrails={"pod_security_floor": "restricted"}),
            d["teams"][0].update(namespaces=[{"name": "payments", "pod_security": "baseline"}]),
        ),
        "teams[0].namespaces[0].pod_security",
        "below guardrails.pod_security_floor",
    ),
    (
        "privileged namespace",
        lambda d: d["teams"][0].update(namespaces=[{"name": "payments", "pod_security": "privileged"}]),
        "teams[0].namespaces[0].pod_security",
        "below guardrails.pod_security_floor 'baseline'",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_catalog_names_field_and_reason(mutate: Mutation, path: str, reason: str) -> None:
    data = copy.deepcopy(BASE)
    mutate(data)
    with pytest.raises(CatalogError) as caught:
        validate(data, "bad.yaml")
    found = [(p.path, p.reason) for p in caught.value.problems]
    assert any(p == path and reason in r for p, r in found), found


def test_the_table_is_large_enough() -> None:
    assert len({c[0] for c in CASES}) >= 30


def test_base_catalog_is_valid() -> None:
    validate(copy.deepcopy(BASE), "base.yaml")


def test_every_problem_at_once() -> None:
    data = copy.deepcopy(BASE)
    data["teams"][0]["name"] = "Bad Name"
    data["teams"][1]["owners"] = []
    data["aws"]["region"] = "nowhere"
    data["unknown"] = 1
    with pytest.raises(CatalogError) as caught:
        validate(data, "bad.yaml")
    paths = {p.path for p in caught.value.problems}
    assert {"teams[0].name", "teams[1].owners", "aws.region", "unknown"} <= paths


def test_semantic_problems_are_all_reported() -> None:
    data = copy.deepcopy(BASE)
    stmt(data)["actions"] = ["*", "iam:PassRole"]
    data["teams"][1]["apps"][0]["source"]["repo"] = "https://gitlab.com/x/y"
    data["teams"][1]["namespaces"] = [{"name": "kube-public"}]
    with pytest.raises(CatalogError) as caught:
        validate(data, "bad.yaml")
    assert len(caught.value.problems) == 4, caught.value.lines()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fleet", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_duplicate_yaml_keys_are_refused(write_catalog) -> None:
    text = one_file_text("dev").replace("      - name: ledger\n", "      - name: ledger\n        name: ledger2\n", 1)
    payments = [t["name"] for t in parse(one_file_text("dev"), "dev")["teams"]].index("payments")
    path = write_catalog(text)
    result = _cli("validate", str(path))
    assert result.returncode == 1
    assert f"teams[{payments}].apps[1].name: duplicate key (lines" in result.stderr
    assert "Traceback" not in result.stderr


def test_yaml_syntax_error_is_bad_input(write_catalog) -> None:
    result = _cli("validate", str(write_catalog("environment: [dev\n")))
    assert result.returncode == 1
    assert "invalid YAML" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("environment: !env DEV\n", "invalid YAML: could not determine a constructor for the tag '!env'"),
        ("? [a, b]\n: 1\n", "invalid YAML: found unhashable key"),
        ("x: &a [*a]\n", "YAML anchors and aliases are not supported"),
        ("a: &x [1]\nb: *x\n", "YAML anchors and aliases are not supported"),
    ],
)
def test_yaml_that_pyyaml_cannot_construct_is_bad_input(write_catalog, text: str, reason: str) -> None:
    result = _cli("validate", str(write_catalog(text)))
    assert result.returncode == 1
    assert reason in result.stderr
    assert "Traceback" not in result.stderr


def test_plan_into_a_file_is_a_usage_error(tmp_path) -> None:
    target = tmp_path / "taken"
    target.write_text("")
    result = _cli("plan", shipped("dev"), "--out", str(target))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_one_message_for_a_list_whose_items_failed() -> None:
    data = copy.deepcopy(BASE)
    data["teams"][0]["owners"] = ["alice@acme"]
    with pytest.raises(CatalogError) as caught:
        validate(data, "bad.yaml")
    assert [p.path for p in caught.value.problems] == ["teams[0].owners[0]"]


def test_empty_and_non_mapping_files(write_catalog) -> None:
    assert "the file is empty" in _cli("validate", str(write_catalog("", "empty.yaml"))).stderr
    listing = _cli("validate", str(write_catalog("- a\n- b\n", "list.yaml")))
    assert listing.returncode == 1
    assert "a catalog is a mapping" in listing.stderr


def test_cli_prints_file_path_reason_and_exits_1(write_catalog) -> None:
    data = copy.deepcopy(BASE)
    data["teams"][0]["apps"][0]["source"]["repo"] = "https://github.com/evil/x"
    data["teams"][0]["descripton"] = "typo"
    path = write_catalog(data)
    result = _cli("validate", str(path))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    # FILE:LINE:COLUMN, where the key is written (the file as the fixture wrote it).
    (line,) = [n for n, text in enumerate(path.read_text().splitlines(), 1) if "descripton:" in text]
    column = path.read_text().splitlines()[line - 1].index("descripton") + 1
    assert (
        f"{path}:{line}:{column}: teams[0].descripton: unknown field 'descripton' (did you mean 'description'?)"
        in lines
    )
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_unreadable_file_and_usage_exit_2(tmp_path) -> None:
    missing = _cli("validate", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert _cli("validate").returncode == 2
    assert _cli("frobnicate", "x").returncode == 2


def test_invalid_catalog_plan_writes_nothing(write_catalog, tmp_path) -> None:
    data = copy.deepcopy(BASE)
    data["environment"] = "Bad"
    out = tmp_path / "plan"
    result = _cli("plan", str(write_catalog(data)), "--out", str(out))
    assert result.returncode == 1
    assert not out.exists()


def test_shape_and_guardrail_problems_in_one_report() -> None:
    """A typo in one team does not hide a wildcard in its app or a bad repo in another team."""
    data = copy.deepcopy(BASE)
    data["teams"][0]["descripton"] = "typo"
    stmt(data)["actions"] = ["s3:*"]
    data["teams"][1]["apps"][0]["source"]["repo"] = "https://github.com/evil/x"
    data["teams"][1]["apps"].append({"name": "Bad_Name", "source": {"repo": "https://github.com/acme/x", "path": "p"}})
    with pytest.raises(CatalogError) as caught:
        validate(data, "bad.yaml")
    paths = [p.path for p in caught.value.problems]
    assert paths == [
        "teams[0].descripton",
        "teams[1].apps[1].name",
        "teams[0].apps[0].aws.statements[0].actions[0]",
        "teams[1].apps[0].source.repo",
    ]
