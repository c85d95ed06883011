"""A hostile team member's attempts, table-driven: each refused naming the field and the rule id,
and a legitimate neighbour of each accepted (issue 9: namespaces, IAM, repository URLs)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from fleet.apis import aws_iam as iam_actions
from fleet.apis.kubernetes import BUILT_IN_NAMESPACES
from fleet.compiler import validate
from fleet.guardrails import iam, iam_sources, reserved
from fleet.text.problems import CatalogError
from tests.conftest import BASE
from tests.test_guardrails import pack_resource_violations

Mutation = Callable[[dict[str, Any]], Any]
PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"


def team(d: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return d["teams"][index]


def source(d: dict[str, Any]) -> dict[str, Any]:
    return d["teams"][0]["apps"][0]["source"]


def claim(name: str) -> Mutation:
    return lambda d: team(d).update(namespaces=[{"name": "payments"}, {"name": name}])


def ingress_from(*names: str) -> Mutation:
    return lambda d: d.update(defaults={"network": {"ingress_from_namespaces": list(names)}})


def repo(url: str) -> Mutation:
    return lambda d: source(d).update(repo=url)


def allow(*entries: str) -> Mutation:
    return lambda d: d["argocd"].update(allowed_repos=list(entries))


def both(*mutations: Mutation) -> Mutation:
    return lambda d: [m(d) for m in mutations]


def problems(mutate: Mutation) -> list[str]:
    data = copy.deepcopy(BASE)
    mutate(data)
    try:
        validate(data, "catalog.yaml")
    except CatalogError as err:
        return err.lines()
    return []


# --- 1. platform namespaces are never a team's ------------------------------------------------
ADDON_CLAIMS = [
    "ingress-nginx",
    "cert-manager",
    "external-secrets",
    "karpenter",
    "monitoring",
    "amazon-cloudwatch",
    "kyverno",
    "gatekeeper-system",
    "istio-system",
    "linkerd",
    "flux-system",
    # families: prefixes and the -system suffix
    "linkerd-viz",
    "istio-ingress",
    "calico-apiserver",
    "crossplane-system",
    "aws-observability",
    "kube-flannel",
    "argocd",
    "default",
]

# (attack, mutation, field path, rule id)
ATTACKS: list[tuple[str, Mutation, str, str]] = [
    *[(f"claims {n}", claim(n), "teams[0].namespaces[1].name", "k8s-reserved-namespace") for n in ADDON_CLAIMS],
    *[
        (
            f"a team named {n} (its default namespace)",
            lambda d, n=n: team(d, 1).update(name=n),
            "teams[1].namespaces[0].name",
            rule,
        )
        for n, rule in [(n, "k8s-reserved-namespace") for n in ("monitoring", "ingress-nginx", "kube-tools")]
    ],
    (
        "claims a namespace the catalog reserves",
        both(lambda d: d["cluster"].update(reserved_namespaces=["edge-proxy"]), claim("edge-proxy")),
        "teams[0].namespaces[1].name",
        "k8s-reserved-namespace",
    ),
    (
        "claims the Argo CD namespace when it is not called argocd",
        both(lambda d: d["argocd"].update(namespace="gitops"), claim("gitops")),
        "teams[0].namespaces[1].name",
        "k8s-reserved-namespace",
    ),
    (
        "trusts another team's namespace",
        ingress_from("search"),
        "defaults.network.ingress_from_namespaces[0]",
        "k8s-network-trusts-reserved",
    ),
    (
        "trusts a name nobody owns yet (a later team could claim it)",
        ingress_from("ingress-nginx", "edge"),
        "defaults.network.ingress_from_namespaces[1]",
        "k8s-network-trusts-reserved",
    ),
    (
        "a namespace's own network opens to another team",
        lambda d: team(d).update(namespaces=[{"name": "payments", "network": {"ingress_from_namespaces": ["search"]}}]),
        "teams[0].namespaces[0].network.ingress_from_namespaces[0]",
        "k8s-network-trusts-reserved",
    ),
    # --- 4. repository URLs cannot become Argo CD globs ------------------------------------------
    *[
        (f"repo with {c!r}", repo(f"https://github.com/acme/check{c}out"), "teams[0].apps[0].source.repo", rule)
        for c, rule in [(c, "argocd-repo-allow-list") for c in "*?[]{}!"]
    ],
    *[
        (f"repo with {e}", repo(f"https://github.com/acme/checkout{e}"), "teams[0].apps[0].source.repo", rule)
        for e, rule in [
            (e, "argocd-repo-allow-list") for e in ("%2A", "%2a", "%3F", "%5B", "%5D", "%7B", "%7D", "%21", "%252A")
        ]
    ],
    (
        "brace alternatives reaching another organization",
        repo("https://github.com/{acme,evil}/deploy"),
        "teams[0].apps[0].source.repo",
        "argocd-repo-allow-list",
    ),
    (
        "negated class in an ssh URL",
        repo("git@github.com:acme/[!a]x"),
        "teams[0].apps[0].source.repo",
        "argocd-repo-allow-list",
    ),
    *[
        (f"allow-list entry with {c!r}", allow(f"https://github.com/acme{c}/"), "argocd.allowed_repos[0]", rule)
        for c, rule in [(c, "argocd-repo-allow-list") for c in ("*", "?", "[a]", "{a,b}", "!", "%2A", "%257B")]
    ],
]

# Each legitimate neighbour of an attack above is accepted.
NEIGHBOURS: list[tuple[str, Mutation]] = [
    ("a team namespace that ends like an add-on", claim("payments-monitoring")),
    ("a team namespace ending in -systems", claim("payments-systems")),
    ("a team namespace with ingress inside its name", claim("payments-ingress")),
    ("trusts the ingress controller", ingress_from("ingress-nginx")),
    ("trusts kube-system and the monitoring namespace", ingress_from("kube-system", "monitoring")),
    (
        "trusts a namespace the catalog reserves",
        both(lambda d: d["cluster"].update(reserved_namespaces=["edge-proxy"]), ingress_from("edge-proxy")),
    ),
    ("repo with a .git suffix", repo("https://github.com/acme/checkout-deploy.git")),
    (
        "exact allow-list entries",
        allow("https://github.com/acme/checkout-deploy", "https://github.com/acme/search-deploy"),
    ),
    (
        "an ssh repo inside an ssh prefix",
        both(allow("git@github.com:acme/", "https://github.com/acme/"), repo("git@github.com:acme/checkout")),
    ),
]


@pytest.mark.parametrize(("mutate", "path", "rule"), [a[1:] for a in ATTACKS], ids=[a[0] for a in ATTACKS])
def test_attack_is_refused_naming_field_and_rule(mutate: Mutation, path: str, rule: str) -> None:
    lines = problems(mutate)
    assert any(f": {path}: " in line and f"[{rule}]" in line for line in lines), lines


@pytest.mark.parametrize("mutate", [n[1] for n in NEIGHBOURS], ids=[n[0] for n in NEIGHBOURS])
def test_legitimate_neighbour_is_accepted(mutate: Mutation) -> None:
    assert problems(mutate) == []


def test_every_built_in_reserved_namespace_is_refused_and_trusted() -> None:
    """The whole default list, not a sample: each is refused as a team namespace and accepted
    as a trusted ingress namespace."""
    for name in sorted(reserved.ADDON_NAMESPACES | BUILT_IN_NAMESPACES):
        assert any("[k8s-reserved-namespace]" in line for line in problems(claim(name))), name
        assert problems(ingress_from(name)) == [], name


# --- the same findings through the policy pack ------------------------------------------------
def _project(
    destination: str = "team", repos: tuple[str, ...] = ("https://github.com/acme/team-deploy",), name: str = "team"
) -> dict:
    return {
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {
            "sourceRepos": list(repos),
            "destinations": [{"server": "https://kubernetes.default.svc", "namespace": destination}],
        },
    }


SETTINGS = {"allowedRepos": ["https://github.com/acme/"], "argocdNamespace": "argocd"}


@pytest.mark.parametrize(
    "namespace", ["ingress-nginx", "cert-manager", "linkerd-viz", "crossplane-system", "amazon-guardduty"]
)
def test_pack_refuses_projects_deploying_into_platform_namespaces(namespace: str) -> None:
    found = pack_resource_violations("argocd-project-destinations", PROJECT, _project(namespace), SETTINGS)
    assert any("reserved" in m for m in found), found
    assert pack_resource_violations("argocd-project-destinations", PROJECT, _project("team-payments"), SETTINGS) == []


def test_pack_reads_reserved_namespaces_from_config() -> None:
    config = {**SETTINGS, "reservedNamespaces": ["edge-proxy"]}
    edge = _project("edge-proxy", name="edge")
    assert pack_resource_violations("argocd-project-destinations", PROJECT, edge, config)
    assert pack_resource_violations("argocd-project-destinations", PROJECT, edge, SETTINGS) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme/{a,b}",
        "https://github.com/acme/[ab]x",
        "https://github.com/acme/x%2A",
        "https://github.com/acme/%7Ba%2Cb%7D",
        "https://github.com/acme/!x",
    ],
)
def test_pack_refuses_glob_source_repos(url: str) -> None:
    assert pack_resource_violations("argocd-project-sources", PROJECT, _project(repos=(url,)), SETTINGS)
    assert pack_resource_violations("argocd-project-sources", PROJECT, _project(), SETTINGS) == []


# --- 2. IAM by allow-list and ownership ---------------------------------------------------------
ACCOUNT = "111111111111"
BUCKET = "arn:aws:s3:::acme-dev-checkout"
SEARCH_BUCKET = "arn:aws:s3:::acme-dev-search-data"
LEDGER = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/acme-dev-ledger"
FUNCTION = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:acme-dev-checkout-"
STATEMENT = "teams[0].apps[0].aws.statements[0]"
SEARCH_CLAIM = "teams[1].aws.owned_resources[0]"
MANAGED = "teams[0].apps[0].aws.managed_policy_arns[0]"


def owns(*patterns: str, team_index: int = 0) -> Mutation:
    return lambda d: team(d, team_index).update(aws={"owned_resources": list(patterns)})


def grant(actions: list[str], resources: list[str]) -> Mutation:
    return lambda d: d["teams"][0]["apps"][0]["aws"].update(statements=[{"actions": actions, "resources": resources}])


def managed(*arns: str, allowed: tuple[str, ...] = (), boundary: bool = False) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        d["teams"][0]["apps"][0]["aws"]["managed_policy_arns"] = list(arns)
        d["aws"]["allowed_managed_policy_arns"] = list(allowed)
        if boundary:
            d["aws"]["permissions_boundary_arn"] = f"arn:aws:iam::{ACCOUNT}:policy/fleet-boundary"

    return mutate


def granted(**grants: str) -> Mutation:
    """The platform's grants (pattern -> team) in the platform's part of the catalog."""
    return lambda d: d["aws"].setdefault("resource_grants", {}).update(grants)


# The payments team owns its bucket, tables named acme-dev-ledger… and functions acme-dev-checkout-…
# (names without its prefix acme-dev-payments-…: the platform grants them); the search team owns
# its own bucket, named with its prefix.
OWNERS = both(
    granted(**{BUCKET: "payments", LEDGER + "*": "payments", FUNCTION + "*": "payments"}),
    owns(BUCKET, LEDGER + "*", FUNCTION + "*"),
    owns(SEARCH_BUCKET, team_index=1),
)


def owned_and(*mutations: Mutation) -> Mutation:
    return both(OWNERS, *mutations)


def policy(name: str) -> str:
    return f"arn:aws:iam::aws:policy/{name}"


CONTROL_PLANE_ACTIONS = [
    "eks:CreateAccessEntry",
    "eks:AssociateAccessPolicy",
    "eks:CreatePodIdentityAssociation",
    "eks:UpdateClusterConfig",
    "EKS:createaccessentry",
    "ssm:SendCommand",
    "ssm:StartSession",
    "ssm:StartAutomationExecution",
    "ssm:CreateAssociation",
    "ssm-guiconnect:StartConnection",
    "ec2-instance-connect:SendSSHPublicKey",
    "ec2:ModifyInstanceAttribute",
    "ec2:CreateLaunchTemplateVersion",
    "sso:CreateAccountAssignment",
    "identitystore:CreateGroupMembership",
    "identitystore:CreateUser",
    "organizations:InviteAccountToOrganization",
    "sts:GetSessionToken",
    "ecr:GetAuthorizationToken",
    "cloudtrail:StopLogging",
    "guardduty:DeleteDetector",
]

IAM_ATTACKS: list[tuple[str, Mutation, str, str]] = [
    # control-plane and identity actions, whatever their access level and resource
    *[
        (f"grants {a}", owned_and(grant([a], [BUCKET])), f"{STATEMENT}.actions[0]", "iam-no-control-plane")
        for a in CONTROL_PLANE_ACTIONS
    ],
    (
        "assigns a permission set",
        owned_and(grant(["sso:AttachManagedPolicyToPermissionSet"], [BUCKET])),
        f"{STATEMENT}.actions[0]",
        "iam-no-permissions-management",
    ),
    (
        "creates an access key for another user",
        owned_and(grant(["iam:CreateAccessKey"], [BUCKET])),
        f"{STATEMENT}.actions[0]",
        "iam-no-permissions-management",
    ),
    # resources the team does not own
    *[
        (f"names {r}", owned_and(grant(["s3:GetObject"], [r])), f"{STATEMENT}.resources[0]", "iam-resource-ownership")
        for r in [
            SEARCH_BUCKET + "/*",  # another team's bucket
            "arn:aws:s3:::acme-dev-*",  # a wildcard before the owned prefix ends
            BUCKET + "*",  # acme-dev-checkout-evil too
            "arn:aws:s3:::acme-dev-check?ut/*",
            "arn:aws:s3:::${aws:username}/*",  # a policy variable is any name
            "arn:aws:s3:::ACME-DEV-CHECKOUT/*",
            "arn:aws:s3:::unclaimed-bucket",
        ]
    ],
    *[
        (f"names {r}", owned_and(grant(["dynamodb:GetItem"], [r])), f"{STATEMENT}.resources[0]", rule)
        for r, rule in [
            (f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/*", "iam-resource-ownership"),
            (f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/?*", "iam-resource-ownership"),
            (f"arn:aws:dynamodb:*:{ACCOUNT}:table/acme-dev-ledger", "iam-no-wildcard-resource"),
            (f"arn:aws:dynamodb:eu-*:{ACCOUNT}:table/acme-dev-ledger", "iam-resource-ownership"),
            ("arn:aws:dynamodb:eu-west-1:999999999999:table/acme-dev-ledger", "iam-resource-ownership"),
            (f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/acme-dev-ledgeR", "iam-resource-ownership"),
        ]
    ],
    (
        "reads every secret",
        owned_and(grant(["secretsmanager:GetSecretValue"], [f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:*"])),
        f"{STATEMENT}.resources[0]",
        "iam-resource-ownership",
    ),
    # code-execution takeovers on resources the team does not own
    *[
        (
            f"{a} on another's resource",
            owned_and(grant([a], [r])),
            f"{STATEMENT}.resources[0]",
            "iam-resource-ownership",
        )
        for a, r in [
            ("lambda:UpdateFunctionCode", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:search-indexer"),
            ("lambda:UpdateFunctionConfiguration", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:platform-hook"),
            ("codebuild:UpdateProject", f"arn:aws:codebuild:eu-west-1:{ACCOUNT}:project/platform-deploy"),
            ("codebuild:StartBuild", f"arn:aws:codebuild:eu-west-1:{ACCOUNT}:project/platform-deploy"),
            ("glue:UpdateDevEndpoint", f"arn:aws:glue:eu-west-1:{ACCOUNT}:devEndpoint/shared"),
            ("ecs:ExecuteCommand", f"arn:aws:ecs:eu-west-1:{ACCOUNT}:task/platform/abc"),
        ]
    ],
    (
        "code takeover on every function",
        owned_and(grant(["lambda:UpdateFunctionCode"], ["*"])),
        f"{STATEMENT}.resources[0]",
        "iam-no-wildcard-resource",
    ),
    # ownership claims
    *[
        (f"search claims {p}", owned_and(owns(p, team_index=1)), SEARCH_CLAIM, "iam-resource-ownership")
        for p in [
            BUCKET,  # payments' bucket
            "arn:aws:s3:::acme-dev-*",  # a prefix covering it
            BUCKET + "/private/*",  # inside it
            "arn:aws:s3:::ACME-dev-checkout",  # the same, in other case
            LEDGER + "-archive",  # inside payments' table prefix
            "arn:aws:s3:::*",  # every bucket
            "arn:aws:s3:::a*",  # too short to name a bucket rather than a type
            f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/*",
            f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table*",
            f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table",
            f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:*",
            f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter*",
            f"arn:aws:sqs:*:{ACCOUNT}:search-events",
            "arn:aws:sqs:eu-west-1:999999999999:search-events",
            "arn:aws:s3:::search-?ata*",
            f"arn:aws:iam::{ACCOUNT}:role/fleet/*",
            f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/acme-dev",
            "arn:aws-cn:s3:::search-data",
            "search-data",
        ]
    ],
    (
        "uses a resource the platform shares with another team only",
        owned_and(
            lambda d: d["aws"].update(shared_resources=[{"arn": "arn:aws:s3:::acme-dev-assets", "teams": ["search"]}]),
            grant(["s3:GetObject"], ["arn:aws:s3:::acme-dev-assets/*"]),
        ),
        f"{STATEMENT}.resources[0]",
        "iam-resource-ownership",
    ),
    (
        "writes to the cluster the platform shares for reading",
        owned_and(
            lambda d: d["aws"].update(
                shared_resources=[{"arn": f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/acme-dev", "teams": ["payments"]}]
            ),
            grant(["eks:CreateAccessEntry"], [f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/acme-dev"]),
        ),
        f"{STATEMENT}.actions[0]",
        "iam-no-control-plane",
    ),
    (
        "shares with a team that does not exist",
        lambda d: d["aws"].update(shared_resources=[{"arn": "arn:aws:s3:::acme-dev-assets", "teams": ["ghost"]}]),
        "aws.shared_resources[0].teams[0]",
        "iam-resource-ownership",
    ),
    (
        "shares a whole resource type",
        lambda d: d["aws"].update(shared_resources=[{"arn": "arn:aws:s3:::*", "teams": ["payments"]}]),
        "aws.shared_resources[0].arn",
        "iam-resource-ownership",
    ),
    # managed policies: an allow-list, a boundary for broad ones, never an administrator
    ("attaches AmazonS3FullAccess", managed(policy("AmazonS3FullAccess")), MANAGED, "iam-managed-policy-allow-list"),
    (
        "attaches SecretsManagerReadWrite",
        managed(policy("SecretsManagerReadWrite")),
        MANAGED,
        "iam-managed-policy-allow-list",
    ),
    ("attaches ReadOnlyAccess", managed(policy("ReadOnlyAccess")), MANAGED, "iam-managed-policy-allow-list"),
    (
        "attaches a customer-managed policy",
        managed(f"arn:aws:iam::{ACCOUNT}:policy/anything-goes"),
        MANAGED,
        "iam-managed-policy-allow-list",
    ),
    (
        "attaches AdministratorAccess-Amplify",
        managed(policy("AdministratorAccess-Amplify")),
        MANAGED,
        "iam-no-admin-policy",
    ),
    (
        "attaches an allowed broad policy to a role without a boundary",
        managed(policy("AmazonDynamoDBReadOnlyAccess"), allowed=(policy("AmazonDynamoDBReadOnlyAccess"),)),
        MANAGED,
        "iam-managed-policy-allow-list",
    ),
    (
        "allow-lists AdministratorAccess",
        lambda d: d["aws"].update(allowed_managed_policy_arns=[policy("AdministratorAccess")]),
        "aws.allowed_managed_policy_arns[0]",
        "iam-no-admin-policy",
    ),
    (
        "allow-lists another account's policy",
        lambda d: d["aws"].update(allowed_managed_policy_arns=["arn:aws:iam::999999999999:policy/x"]),
        "aws.allowed_managed_policy_arns[0]",
        "iam-managed-policy-allow-list",
    ),
    (
        "gives a persona ReadOnlyAccess without a human boundary",
        lambda d: (
            d["aws"].update(
                saml_provider_arn=f"arn:aws:iam::{ACCOUNT}:saml-provider/okta",
                allowed_managed_policy_arns=[policy("ReadOnlyAccess")],
            ),
            d.update(personas={"dev": {"kubernetes": "view", "aws_managed_policy_arns": [policy("ReadOnlyAccess")]}}),
        ),
        "personas.dev.aws_managed_policy_arns[0]",
        "iam-managed-policy-allow-list",
    ),
]

IAM_NEIGHBOURS: list[tuple[str, Mutation]] = [
    ("objects of its own bucket", owned_and(grant(["s3:GetObject", "s3:PutObject"], [BUCKET + "/reports/*"]))),
    ("its own bucket itself", owned_and(grant(["s3:ListBucket"], [BUCKET]))),
    ("a table inside its prefix", owned_and(grant(["dynamodb:GetItem"], [LEDGER + "-2026"]))),
    ("indexes of its tables", owned_and(grant(["dynamodb:Query"], [LEDGER + "/index/*"]))),
    ("a wildcard after its prefix", owned_and(grant(["dynamodb:Query"], [LEDGER + "-*"]))),
    ("deploys its own function", owned_and(grant(["lambda:UpdateFunctionCode"], [FUNCTION + "worker"]))),
    ("an action without resource-level permissions", owned_and(grant(["sts:GetCallerIdentity"], ["*"]))),
    (
        "reads parameters under its own path",
        both(
            owns(f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/acme-dev-payments/checkout/*"),
            grant(
                ["ssm:GetParameter"], [f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/acme-dev-payments/checkout/db-url"]
            ),
        ),
    ),
    (
        "a resource the platform shares with it",
        owned_and(
            lambda d: d["aws"].update(
                shared_resources=[{"arn": "arn:aws:s3:::acme-dev-assets", "teams": ["payments", "search"]}]
            ),
            grant(["s3:GetObject"], ["arn:aws:s3:::acme-dev-assets/*"]),
        ),
    ),
    (
        "reads the cluster the platform shares with it",
        owned_and(
            lambda d: d["aws"].update(
                shared_resources=[{"arn": f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/acme-dev", "teams": ["payments"]}]
            ),
            grant(["eks:DescribeCluster"], [f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/acme-dev"]),
        ),
    ),
    (
        "two teams with neighbouring prefixes",
        owned_and(
            granted(**{"arn:aws:s3:::acme-dev-checkout-archive": "search"}),
            owns("arn:aws:s3:::acme-dev-checkout-archive", team_index=1),
        ),
    ),
    (
        "an allowed narrow managed policy",
        managed(policy("AWSXrayWriteOnlyAccess"), allowed=(policy("AWSXrayWriteOnlyAccess"),)),
    ),
    (
        "an allowed broad managed policy on a bounded role",
        managed(
            policy("AmazonDynamoDBReadOnlyAccess"), allowed=(policy("AmazonDynamoDBReadOnlyAccess"),), boundary=True
        ),
    ),
    (
        "an allowed customer-managed policy",
        managed(
            f"arn:aws:iam::{ACCOUNT}:policy/payments-extra", allowed=(f"arn:aws:iam::{ACCOUNT}:policy/payments-extra",)
        ),
    ),
]


# Issue 21 (round 3): a team file is approved by the team alone (CODEOWNERS), so what it claims
# must follow from ownership: names carrying the team's prefix (acme-dev-<team>, then -, /, . or _),
# or what the platform's file grants it (aws.resource_grants). Nobody else having claimed a
# resource first is no ownership: the platform's own resources are claimed by no team.
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/2f0c5a4e-6d2b-4a51-9d0e-3f6b1c7a8e90"
GRANTS = "aws.resource_grants"


def add_team(name: str) -> Mutation:
    return lambda d: d["teams"].append({"name": name, "owners": ["ops@acme.example"]})


IAM_ATTACKS += [
    *[
        (f"search claims {label}", owned_and(owns(p, team_index=1)), SEARCH_CLAIM, "iam-resource-ownership")
        for label, p in [
            ("the platform's state bucket", "arn:aws:s3:::acme-dev-platform-state"),
            (
                "payments' GitHub App key in the platform's store",
                f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:acme/dev/argocd/github-app/payments*",
            ),
            ("a KMS key nobody claims", KEY),
            ("a name carrying payments' prefix", "arn:aws:s3:::acme-dev-payments-exports"),
            ("a name that only starts like its prefix", "arn:aws:s3:::acme-dev-searchx"),
            ("its prefix without a separator", "arn:aws:s3:::acme-dev-search*"),
            ("a queue granted to payments", f"arn:aws:sqs:eu-west-1:{ACCOUNT}:acme-dev-orders"),
        ]
    ],
    (
        "search claims the names of a longer team",
        owned_and(add_team("search-ops"), owns("arn:aws:s3:::acme-dev-search-*", team_index=1)),
        SEARCH_CLAIM,
        "iam-resource-ownership",
    ),
    (
        "search claims a name of team search-ops",
        owned_and(add_team("search-ops"), owns("arn:aws:s3:::acme-dev-search-ops-data", team_index=1)),
        SEARCH_CLAIM,
        "iam-resource-ownership",
    ),
    (
        "the platform grants search a name of payments",
        granted(**{"arn:aws:s3:::acme-dev-payments-exports": "search"}),
        f"{GRANTS}.arn:aws:s3:::acme-dev-payments-exports",
        "iam-resource-ownership",
    ),
    (
        "the platform grants a prefix covering every team",
        granted(**{"arn:aws:s3:::acme-dev-*": "search"}),
        f"{GRANTS}.arn:aws:s3:::acme-dev-*",
        "iam-resource-ownership",
    ),
    (
        "the platform grants to a team that does not exist",
        granted(**{KEY: "ghost"}),
        f"{GRANTS}.{KEY}",
        "iam-resource-ownership",
    ),
    (
        "the platform grants one resource to two teams",
        granted(**{"arn:aws:s3:::legacy-*": "search", "arn:aws:s3:::legacy-reports": "payments"}),
        f"{GRANTS}.arn:aws:s3:::legacy-reports",
        "iam-resource-ownership",
    ),
]
IAM_NEIGHBOURS += [
    ("search claims a name carrying its prefix", owned_and(owns("arn:aws:s3:::acme-dev-search-logs", team_index=1))),
    (
        "search claims its prefix exactly and after a separator",
        owned_and(
            owns(
                f"arn:aws:sqs:eu-west-1:{ACCOUNT}:acme-dev-search",
                f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:acme-dev-search/*",
                "arn:aws:s3:::acme-dev-search-*",
                team_index=1,
            )
        ),
    ),
    (
        "search-ops and search side by side",
        owned_and(
            add_team("search-ops"),
            owns("arn:aws:s3:::acme-dev-search-ops-*", team_index=2),
            owns("arn:aws:s3:::acme-dev-search-data", "arn:aws:s3:::acme-dev-search-logs-*", team_index=1),
        ),
    ),
    ("search claims a key the platform grants it", owned_and(granted(**{KEY: "search"}), owns(KEY, team_index=1))),
    (
        "search claims part of a prefix the platform grants it",
        owned_and(
            granted(**{"arn:aws:s3:::legacy-search*": "search"}),
            owns("arn:aws:s3:::legacy-search-index", team_index=1),
        ),
    ),
]


@pytest.mark.parametrize(("mutate", "path", "rule"), [a[1:] for a in IAM_ATTACKS], ids=[a[0] for a in IAM_ATTACKS])
def test_iam_attack_is_refused_naming_field_and_rule(mutate: Mutation, path: str, rule: str) -> None:
    lines = problems(mutate)
    assert any(f": {path}: " in line and f"[{rule}]" in line for line in lines), lines


@pytest.mark.parametrize("mutate", [n[1] for n in IAM_NEIGHBOURS], ids=[n[0] for n in IAM_NEIGHBOURS])
def test_iam_legitimate_neighbour_is_accepted(mutate: Mutation) -> None:
    assert problems(mutate) == []


# --- the refusals follow maintained sources, not memory ------------------------------------------
def test_credential_actions_are_cloudsplainings() -> None:
    from cloudsplaining.shared.constants import ACTIONS_THAT_RETURN_CREDENTIALS

    assert {a.lower() for a in ACTIONS_THAT_RETURN_CREDENTIALS} == iam_sources.CREDENTIAL_ACTIONS


def test_unscopable_credential_actions_are_refused() -> None:
    unscopable = [
        info.name
        for action in sorted(iam_sources.CREDENTIAL_ACTIONS)
        if (info := iam_actions.lookup(action)) is not None and not info.resource_level
    ]
    assert "ecr:GetAuthorizationToken" in unscopable
    for action in unscopable:
        assert iam.action_finding(action) is not None, action


def _method_ids() -> list[str]:
    from cloudsplaining.shared.constants import PRIVILEGE_ESCALATION_METHODS

    return sorted(PRIVILEGE_ESCALATION_METHODS)


@pytest.mark.parametrize("method", _method_ids())
@pytest.mark.parametrize("resource", ["*", "arn:aws:s3:::someone-elses-bucket"])
def test_every_published_escalation_path_is_refused(method: str, resource: str) -> None:
    """cloudsplaining's privilege-escalation methods (Rhino Security Labs, pathfinding.cloud):
    each is refused as a whole, with Resource '*' and with a resource the team does not own."""
    from cloudsplaining.shared.constants import PRIVILEGE_ESCALATION_METHODS

    actions = list(PRIVILEGE_ESCALATION_METHODS[method])
    lines = problems(owned_and(grant(actions, [resource])))
    assert any(f": {STATEMENT}." in line for line in lines), (method, lines)


# --- the same managed-policy findings through the pack, configured or not ------------------------
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE = "aws:iam/role:Role"


@pytest.mark.parametrize(
    "name",
    ["AmazonS3FullAccess", "SecretsManagerReadWrite", "AmazonDynamoDBFullAccess", "job-function/DataScientist"],
)
def test_pack_refuses_broad_writing_policies_unless_allowed(name: str) -> None:
    attachment = {"role": "r", "policyArn": policy(name)}
    rule = "iam-managed-policy-allow-list"
    assert pack_resource_violations(rule, ATTACHMENT, attachment, {}), name
    assert pack_resource_violations(rule, ATTACHMENT, attachment, {"allowedManagedPolicyArns": [policy(name)]}) == []
    role = {"name": "r", "managedPolicyArns": [policy(name)]}
    assert pack_resource_violations(rule, ROLE, role, {"allowedManagedPolicyArns": [policy(name)]}), "no boundary"


@pytest.mark.parametrize("name", ["AdministratorAccess", "AdministratorAccess-Amplify", "PowerUserAccess"])
def test_pack_refuses_administrator_policies_even_when_allowed(name: str) -> None:
    attachment = {"role": "r", "policyArn": policy(name)}
    assert pack_resource_violations(
        "iam-no-admin-policy", ATTACHMENT, attachment, {"allowedManagedPolicyArns": [policy(name)]}
    )


def test_pack_leaves_narrow_and_customer_policies_to_the_allow_list() -> None:
    rule = "iam-managed-policy-allow-list"
    for arn in (policy("AWSXrayWriteOnlyAccess"), f"arn:aws:iam::{ACCOUNT}:policy/team-own"):
        assert pack_resource_violations(rule, ATTACHMENT, {"role": "r", "policyArn": arn}, {}) == []
        assert pack_resource_violations(
            rule, ATTACHMENT, {"role": "r", "policyArn": arn}, {"allowedManagedPolicyArns": [policy("ReadOnlyAccess")]}
        )


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("eks:CreateAccessEntry", f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/acme-dev"),
        ("eks:AssociateAccessPolicy", f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/acme-dev"),
        ("ssm:StartSession", f"arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/i-0abc"),
        ("sso:CreateAccountAssignment", "arn:aws:sso:::instance/ssoins-1"),
        ("identitystore:CreateGroupMembership", "arn:aws:identitystore::111111111111:identitystore/d-1"),
        ("ecr:GetAuthorizationToken", "*"),
    ],
)
def test_pack_refuses_control_plane_actions_in_any_stack(action: str, resource: str) -> None:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
    rule = "iam-no-control-plane"
    assert pack_resource_violations(rule, "aws:iam/policy:Policy", {"policy": document}, {})
    read = {**document, "Statement": [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]}
    assert pack_resource_violations(rule, "aws:iam/policy:Policy", {"policy": read}, {}) == []


@pytest.mark.parametrize(
    "action",
    ["iam:GetRole", "iam:ListRoles", "identitystore:ListUsers", "sso:ListInstances", "organizations:ListAccounts"],
)
def test_identity_reads_are_reconnaissance(action: str) -> None:
    assert iam.action_finding(action) is not None
    assert iam.action_finding("sts:GetCallerIdentity") is None
