"""Pulumi type tokens: how the engine, a CrossGuard pack and a stack's state name a resource type.

The one table of them. The renderer stamps them on the resources it returns, the guardrails
choose by them what to judge, and the program's components and the benchmark's floor pick the
SDK class of each by them (`SDK_CLASSES`, resolved by `fleet.io.pulumi_sdk`: this layer imports
no SDK). A token is `<package>:<module>:<Type>`; pulumi-kubernetes writes the module as the
API version (`core/v1` for the core group) and adds a `<Kind>Patch` and a `<Kind>List` type for
every kind.
"""

from __future__ import annotations

from fleet.apis import kubernetes as k8s


def kubernetes(api_version: str, kind: str) -> str:
    """The token of a Kubernetes object: 'rbac.authorization.k8s.io/v1', 'Role' ->
    'kubernetes:rbac.authorization.k8s.io/v1:Role'; 'v1', 'Namespace' -> 'kubernetes:core/v1:Namespace'."""
    group_version = api_version if "/" in api_version else f"core/{api_version}"
    return f"kubernetes:{group_version}:{kind}"


def _token(kind: k8s.Kind, variant: str = "") -> str:
    return kubernetes(kind.api_version, kind.name + variant)


# --- Okta -----------------------------------------------------------------------------------
OKTA_GROUP = "okta:group/group:Group"
OKTA_RULE = "okta:group/rule:Rule"

# --- AWS ------------------------------------------------------------------------------------
IAM_ROLE = "aws:iam/role:Role"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
# Every type that holds an identity policy document of its own ...
IAM_IDENTITY_POLICIES = (
    IAM_ROLE_POLICY,
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
# ... and every type that attaches a managed policy to a principal.
IAM_POLICY_ATTACHMENTS = (
    IAM_ROLE_POLICY_ATTACHMENT,
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
)
EKS_POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
EKS_ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
EKS_ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"

# --- Kubernetes -----------------------------------------------------------------------------
# From the kinds (fleet.apis.kubernetes), e.g. 'kubernetes:core/v1:Namespace',
# 'kubernetes:rbac.authorization.k8s.io/v1:Role', 'kubernetes:core/v1:ConfigMapPatch'.
NAMESPACE = _token(k8s.NAMESPACE)
RESOURCE_QUOTA = _token(k8s.RESOURCE_QUOTA)
LIMIT_RANGE = _token(k8s.LIMIT_RANGE)
SERVICE_ACCOUNT = _token(k8s.SERVICE_ACCOUNT)
SECRET = _token(k8s.SECRET)  # Argo CD's declarative cluster Secrets
CONFIGMAP_PATCH = _token(k8s.CONFIG_MAP, "Patch")
NETWORK_POLICY = _token(k8s.NETWORK_POLICY)
ROLE = _token(k8s.ROLE)
ROLE_BINDING = _token(k8s.ROLE_BINDING)
CLUSTER_ROLE = _token(k8s.CLUSTER_ROLE)
CLUSTER_ROLE_BINDING = _token(k8s.CLUSTER_ROLE_BINDING)
VALIDATING_ADMISSION_POLICY = _token(k8s.VALIDATING_ADMISSION_POLICY)
VALIDATING_ADMISSION_POLICY_BINDING = _token(k8s.VALIDATING_ADMISSION_POLICY_BINDING)
# Argo CD's custom resources (registered as CustomResource, which takes the same token shape).
APP_PROJECT = _token(k8s.APP_PROJECT)
APPLICATION = _token(k8s.APPLICATION)

# --- Pulumi itself --------------------------------------------------------------------------
STACK = "pulumi:pulumi:Stack"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
AWS_PROVIDER = "pulumi:providers:aws"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"
OKTA_PROVIDER = "pulumi:providers:okta"

# The SDK class (module, name) of every type the program registers with a class of its own; a
# Kubernetes kind missing here is registered as a CustomResource (Argo CD's, ExternalSecret).
SDK_CLASSES: dict[str, tuple[str, str]] = {
    OKTA_GROUP: ("pulumi_okta.group", "Group"),
    OKTA_RULE: ("pulumi_okta.group", "Rule"),
    IAM_ROLE: ("pulumi_aws.iam", "Role"),
    IAM_ROLE_POLICY: ("pulumi_aws.iam", "RolePolicy"),
    IAM_ROLE_POLICY_ATTACHMENT: ("pulumi_aws.iam", "RolePolicyAttachment"),
    EKS_POD_IDENTITY: ("pulumi_aws.eks", "PodIdentityAssociation"),
    NAMESPACE: ("pulumi_kubernetes.core.v1", "Namespace"),
    RESOURCE_QUOTA: ("pulumi_kubernetes.core.v1", "ResourceQuota"),
    LIMIT_RANGE: ("pulumi_kubernetes.core.v1", "LimitRange"),
    SERVICE_ACCOUNT: ("pulumi_kubernetes.core.v1", "ServiceAccount"),
    SECRET: ("pulumi_kubernetes.core.v1", "Secret"),
    CONFIGMAP_PATCH: ("pulumi_kubernetes.core.v1", "ConfigMapPatch"),
    NETWORK_POLICY: ("pulumi_kubernetes.networking.v1", "NetworkPolicy"),
    ROLE: ("pulumi_kubernetes.rbac.v1", "Role"),
    ROLE_BINDING: ("pulumi_kubernetes.rbac.v1", "RoleBinding"),
    CLUSTER_ROLE: ("pulumi_kubernetes.rbac.v1", "ClusterRole"),
    CLUSTER_ROLE_BINDING: ("pulumi_kubernetes.rbac.v1", "ClusterRoleBinding"),
    VALIDATING_ADMISSION_POLICY: ("pulumi_kubernetes.admissionregistration.v1", "ValidatingAdmissionPolicy"),
    VALIDATING_ADMISSION_POLICY_BINDING: (
        "pulumi_kubernetes.admissionregistration.v1",
        "ValidatingAdmissionPolicyBinding",
    ),
    AWS_PROVIDER: ("pulumi_aws", "Provider"),
    KUBERNETES_PROVIDER: ("pulumi_kubernetes", "Provider"),
    OKTA_PROVIDER: ("pulumi_okta", "Provider"),
}

_VARIANTS = ("Patch", "List")


def any_version(group: str, kind: str) -> str:
    """A kind as a pattern of types (a guardrail's `types`): every API version of it, and its
    Patch and List resources (`kubernetes:<group>/*:<Kind>`; the core group is '')."""
    return f"kubernetes:{group or 'core'}/*:{kind}"


def kubernetes_kind(resource_type: str) -> tuple[str, str, str] | None:
    """(group, kind, variant) of a pulumi-kubernetes type token ('core' for the core group);
    variant is '', 'Patch' or 'List'. None for any other token. CustomResource and
    CustomResourcePatch use the same token shape (`<apiVersion>:<kind>`)."""
    parts = resource_type.split(":")
    if len(parts) != 3 or parts[0] != "kubernetes" or "/" not in parts[1]:
        return None
    group = parts[1].rsplit("/", 1)[0]
    name = parts[2]
    for variant in _VARIANTS:
        if name.endswith(variant) and len(name) > len(variant):
            return (group, name[: -len(variant)], variant)
    return (group, name, "")
