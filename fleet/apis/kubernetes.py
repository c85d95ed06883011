"""Facts of the Kubernetes API that several modules need: what the status reader lists, verbs."""

from __future__ import annotations

# (list path, kind, apiVersion, namespaced): everything the reader lists, and nothing else.
# Secrets are not among them, and neither are ConfigMaps or workloads.
CORE = ""


READ_KINDS: tuple[tuple[str, str, str, bool], ...] = (
    ("api/v1/namespaces", "Namespace", "v1", False),
    ("api/v1/resourcequotas", "ResourceQuota", "v1", True),
    ("api/v1/limitranges", "LimitRange", "v1", True),
    ("api/v1/serviceaccounts", "ServiceAccount", "v1", True),
    ("apis/networking.k8s.io/v1/networkpolicies", "NetworkPolicy", "networking.k8s.io/v1", True),
    ("apis/rbac.authorization.k8s.io/v1/roles", "Role", "rbac.authorization.k8s.io/v1", True),
    ("apis/rbac.authorization.k8s.io/v1/rolebindings", "RoleBinding", "rbac.authorization.k8s.io/v1", True),
)
