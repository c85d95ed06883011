"""Namespaces that belong to the platform, never to a team.

A team that owns a namespace gets `admin` in it and a NetworkPolicy hole from it into every
namespace that trusts it by name. So besides the cluster's own namespaces (`kube-*`,
`default`) and Argo CD's, the namespaces where well-known add-ons are installed are reserved
by default, and a catalog adds its own (`cluster.reserved_namespaces`, the pack's
`reservedNamespaces`). Only a reserved namespace may be trusted by name in a NetworkPolicy.
"""

from __future__ import annotations

from collections.abc import Iterable

from fleet.apis.kubernetes import BUILT_IN_NAMESPACES

# Exact names of the namespaces the common EKS add-ons are installed into (their charts'
# documented defaults): ingress, certificates, secrets, autoscaling, observability, policy,
# service mesh, GitOps, backup, storage, security agents.
ADDON_NAMESPACES = frozenset(
    {
        # ingress and gateways
        "ingress-nginx",
        "nginx-ingress",
        "ingress",
        "traefik",
        "kong",
        "projectcontour",
        "envoy-gateway-system",
        "haproxy-controller",
        "gateway",
        # certificates, secrets, identity
        "cert-manager",
        "external-secrets",
        "external-dns",
        "vault",
        "sealed-secrets",
        "spire",
        "dex",
        "keycloak",
        "oauth2-proxy",
        # autoscaling and scheduling
        "karpenter",
        "keda",
        "cluster-autoscaler",
        "metrics-server",
        "vertical-pod-autoscaler",
        "descheduler",
        # observability
        "monitoring",
        "prometheus",
        "grafana",
        "loki",
        "tempo",
        "mimir",
        "thanos",
        "jaeger",
        "opentelemetry",
        "observability",
        "logging",
        "fluent-bit",
        "fluentd",
        "datadog",
        "newrelic",
        "dynatrace",
        "splunk",
        "kubecost",
        "opencost",
        "kubernetes-dashboard",
        # policy and security agents
        "kyverno",
        "gatekeeper-system",
        "falco",
        "trivy-system",
        "policy-reporter",
        "kubewarden",
        "security",
        # service mesh and CNI
        "istio-system",
        "istio-ingress",
        "linkerd",
        "cilium",
        "tigera-operator",
        "calico-system",
        "metallb-system",
        # GitOps and delivery
        "argocd",
        "argo-cd",
        "flux-system",
        "tekton-pipelines",
        "crossplane-system",
        # backup and storage
        "velero",
        "kasten-io",
        "longhorn-system",
        "rook-ceph",
        "openebs",
        # AWS
        "amazon-cloudwatch",
        "amazon-guardduty",
        "aws-observability",
        # the platform itself
        "platform",
        "system",
    }
)
# Families of add-on namespaces (istio-ingress, linkerd-viz, calico-apiserver, aws-…, *-system).
RESERVED_PREFIXES = (
    "kube-",
    "amazon-",
    "aws-",
    "eks-",
    "openshift-",
    "istio-",
    "linkerd",
    "calico-",
    "cilium",
    "tigera-",
    "knative-",
    "tekton-",
    "flux-",
    "argo-",
    "argocd-",
    "cert-manager",
    "external-secrets",
    "gatekeeper",
    "kyverno",
    "ingress-",
    "capi-",
)
RESERVED_SUFFIXES = ("-system",)


def reserved_reason(namespace: str, argocd_namespace: str, extra: Iterable[str] = ()) -> str | None:
    """Why `namespace` belongs to the platform, or None when a team may own it."""
    if namespace == argocd_namespace:
        return f"the Argo CD namespace {namespace!r}: a project that deploys there can take over Argo CD"
    if namespace in BUILT_IN_NAMESPACES or namespace.startswith("kube-"):
        return f"{namespace!r} belongs to the cluster itself"
    if namespace in set(extra):
        return f"{namespace!r} is reserved by cluster.reserved_namespaces"
    if namespace in ADDON_NAMESPACES:
        return f"{namespace!r} is reserved for a platform add-on"
    for prefix in RESERVED_PREFIXES:
        if namespace.startswith(prefix):
            return f"{namespace!r} is reserved for platform add-ons (names starting {prefix!r})"
    for suffix in RESERVED_SUFFIXES:
        if namespace.endswith(suffix):
            return f"{namespace!r} is reserved for platform add-ons (names ending {suffix!r})"
    return None


def is_reserved(namespace: str, argocd_namespace: str, extra: Iterable[str] = ()) -> bool:
    return reserved_reason(namespace, argocd_namespace, extra) is not None
