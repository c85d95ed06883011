"""What belongs to the platform whatever a catalog says: kinds no team may create in its namespaces."""

from __future__ import annotations

from fleet.apis.kubernetes import ARGO

# Kinds a team's Applications must never deploy, so the project blacklists them: what the
# platform owns in a team namespace (quota, limits, network policy, RBAC, and each app's
# ServiceAccount, which its IAM role trusts: a chart's ServiceAccount of the same name would
# take it over, annotations included), what reaches other namespaces (Endpoints and
# EndpointSlices: CVE-2021-25740), and Argo CD's own objects (an Application or ApplicationSet
# in a team namespace could name another project). Charts use the platform's ServiceAccount
# (`serviceAccount.create: false`, name `<app>`).

PLATFORM_OWNED_KINDS = (
    ("", "LimitRange"),
    ("", "ResourceQuota"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("", "ServiceAccount"),
    ("", "Endpoints"),
    ("discovery.k8s.io", "EndpointSlice"),
    (ARGO, "Application"),
    (ARGO, "ApplicationSet"),
    (ARGO, "AppProject"),
)
