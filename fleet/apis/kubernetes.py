"""Facts of the Kubernetes API that several modules need: its API groups, the kinds the fleet
renders, lists or reads (with their plural resource names), the read verbs, the namespaces of
the cluster itself, what a quantity is worth.

A kind's plural is looked up here, never guessed: English plurals do not follow one rule
(`endpoints`, `ingresses`, `networkpolicies`), and a wrong one in an RBAC rule grants nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

CORE = ""  # the core group ("v1"); pulumi-kubernetes writes it `core`
NETWORKING = "networking.k8s.io"
RBAC = "rbac.authorization.k8s.io"
ADMISSION = "admissionregistration.k8s.io"
DISCOVERY = "discovery.k8s.io"
ARGO = "argoproj.io"
EXTERNAL_SECRETS = "external-secrets.io"

# What reads and nothing else: RBAC verbs that neither change an object nor act through it.
READ_VERBS = ("get", "list", "watch")
# Namespaces every cluster has, which belong to the cluster itself, never to a team.
BUILT_IN_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
# The label the API server sets on every namespace, holding its name.
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Kind:
    group: str  # CORE for the core group
    version: str
    name: str  # the kind, as in `kind:`
    plural: str  # the resource, as in RBAC rules and API paths
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None) -> str:
        """The API path that lists the kind: every object (`api/v1/namespaces`), or those of one
        namespace (`apis/argoproj.io/v1alpha1/namespaces/argocd/applications`)."""
        prefix = f"apis/{self.group}/{self.version}" if self.group else f"api/{self.version}"
        return f"{prefix}/namespaces/{namespace}/{self.plural}" if namespace else f"{prefix}/{self.plural}"


NAMESPACE = Kind(CORE, "v1", "Namespace", "namespaces", namespaced=False)
RESOURCE_QUOTA = Kind(CORE, "v1", "ResourceQuota", "resourcequotas")
LIMIT_RANGE = Kind(CORE, "v1", "LimitRange", "limitranges")
SERVICE_ACCOUNT = Kind(CORE, "v1", "ServiceAccount", "serviceaccounts")
CONFIG_MAP = Kind(CORE, "v1", "ConfigMap", "configmaps")
SECRET = Kind(CORE, "v1", "Secret", "secrets")  # only Argo CD's cluster Secrets, which hold no credential
NETWORK_POLICY = Kind(NETWORKING, "v1", "NetworkPolicy", "networkpolicies")
ROLE = Kind(RBAC, "v1", "Role", "roles")
ROLE_BINDING = Kind(RBAC, "v1", "RoleBinding", "rolebindings")
CLUSTER_ROLE = Kind(RBAC, "v1", "ClusterRole", "clusterroles", namespaced=False)
CLUSTER_ROLE_BINDING = Kind(RBAC, "v1", "ClusterRoleBinding", "clusterrolebindings", namespaced=False)
VALIDATING_ADMISSION_POLICY = Kind(
    ADMISSION, "v1", "ValidatingAdmissionPolicy", "validatingadmissionpolicies", namespaced=False
)
VALIDATING_ADMISSION_POLICY_BINDING = Kind(
    ADMISSION, "v1", "ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings", namespaced=False
)
# Custom resources: Argo CD's (vendor/argocd holds their CRDs) and the External Secrets Operator's.
APPLICATION = Kind(ARGO, "v1alpha1", "Application", "applications")
APP_PROJECT = Kind(ARGO, "v1alpha1", "AppProject", "appprojects")
EXTERNAL_SECRET = Kind(EXTERNAL_SECRETS, "v1", "ExternalSecret", "externalsecrets")

# Every kind the fleet renders, lists or reads.
KINDS = (
    NAMESPACE,
    RESOURCE_QUOTA,
    LIMIT_RANGE,
    SERVICE_ACCOUNT,
    CONFIG_MAP,
    SECRET,
    NETWORK_POLICY,
    ROLE,
    ROLE_BINDING,
    CLUSTER_ROLE,
    CLUSTER_ROLE_BINDING,
    VALIDATING_ADMISSION_POLICY,
    VALIDATING_ADMISSION_POLICY_BINDING,
    APPLICATION,
    APP_PROJECT,
    EXTERNAL_SECRET,
)
_BY_NAME = {(k.group, k.name): k for k in KINDS}

# Everything `fleet status` lists cluster-wide, and nothing else: no Secrets, ConfigMaps or workloads.
READ_KINDS = (NAMESPACE, RESOURCE_QUOTA, LIMIT_RANGE, SERVICE_ACCOUNT, NETWORK_POLICY, ROLE, ROLE_BINDING)


def kind(group: str, name: str) -> Kind:
    """The kind `name` of API group `group` (CORE or 'core' for the core group); LookupError
    for a kind this table does not know (add it: a plural is never guessed)."""
    found = _BY_NAME.get((CORE if group == "core" else group, name))
    if found is None:
        raise LookupError(f"kind {name} of API group {group or 'core'!r} is not in fleet.apis.kubernetes.KINDS")
    return found


# --- quantities (resource.Quantity): the status report compares them, the quota ceiling too ----------
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eE][+-]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?$")
_SUFFIX = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    **{s: Decimal(1024) ** (i + 1) for i, s in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))},
}


def quantity(value: str) -> Decimal | None:
    """A Kubernetes quantity's value: the API server stores canonical forms ('0.5' -> '500m')."""
    match = _QUANTITY.match(value)
    if match is None:
        return None
    number, suffix = match.group(1), match.group(2) or ""
    try:
        if suffix[:1] in ("e", "E"):
            return Decimal(number + suffix)
        return Decimal(number) * _SUFFIX[suffix]
    except (InvalidOperation, KeyError):
        return None
