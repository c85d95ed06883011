"""Issue 9, items 3 and 8 (namespace boundaries, pack parity): a hostile team member (edit/admin in its own namespaces, a repository
Argo CD syncs from) or a hostile other stack tries to reach outside its namespace. Every attempt
goes through the policy pack the way the engine calls it (props wrapped by
`unknown_checking_proxy`) and must be refused by the named policy; every legitimate neighbour
must pass every policy of the pack."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.proxy import unknown_checking_proxy

from fleet.catalog import personas
from fleet.compiler import load_state
from fleet.guardrails import RESOURCE_RULES, Settings
from fleet.guardrails.argocd import PLATFORM_OWNED_KINDS
from fleet.render import boundaries
from fleet.render.layers import render, tenancy
from tests.conftest import catalog_path
from tests.guardrail_cases import (
    APP,
    BLACKLIST,
    GITHUB,
    GITHUB_OK,
    IRSA_OK,
    ISSUER,
    PLATFORM_SETTINGS,
    POD_IDENTITY_OK,
    PROJECT,
    SAML_OK,
    SETTINGS,
    app_set,
    application,
    doc,
    k8s_role,
    network_policy,
    project,
    subjects_binding,
)
from tests.test_guardrails import PACK, pack_resource_violations

RBAC = "kubernetes:rbac.authorization.k8s.io"
CORE = "kubernetes:core/v1"
NET = "kubernetes:networking.k8s.io/v1"
ARGO = "kubernetes:argoproj.io/v1alpha1"
ROLE = "aws:iam/role:Role"
ENTRY = "aws:eks/accessEntry:AccessEntry"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
EKS_POLICY = "arn:aws:eks::aws:cluster-access-policy/"


def everything_the_pack_says(resource_type: str, props: dict[str, Any]) -> dict[str, list[str]]:
    found = {}
    for policy_id, policy in PACK.items():
        if isinstance(policy, ResourceValidationPolicy):
            messages = pack_resource_violations(policy_id, resource_type, props, PLATFORM_SETTINGS)
            if messages:
                found[policy_id] = messages
    return found


def group(name: str) -> dict[str, str]:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": name}


def user(name: str) -> dict[str, str]:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": name}


def writes(resource: str, api_group: str = "", verbs: tuple[str, ...] = ("create", "update")) -> dict[str, Any]:
    return k8s_role([{"apiGroups": [api_group], "resources": [resource], "verbs": list(verbs)}])


def service(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "s", "namespace": "team"}, "spec": spec}


def ingress(**annotations: str) -> dict[str, Any]:
    return {
        "metadata": {"name": "i", "namespace": "team", "annotations": annotations},
        "spec": {"rules": [{"host": "web.team.apps.acme.example"}]},
    }


def trust(*statements: dict[str, Any]) -> dict[str, Any]:
    # With the platform's permissions boundary (SETTINGS: permissionsBoundaryArns), as the program's roles.
    return {
        "name": "r",
        "assumeRolePolicy": json.dumps(doc(*statements)),
        "permissionsBoundary": SETTINGS["permissionsBoundaryArns"][0],
    }


def assume(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}


def github(sub: Any, operator: str = "StringLike", aud: Any = "sts.amazonaws.com") -> dict[str, Any]:
    condition: dict[str, Any] = {operator: {f"{GITHUB}:sub": sub}}
    if aud is not None:
        condition.setdefault("StringEquals", {})[f"{GITHUB}:aud"] = aud
    return {**GITHUB_OK, "Condition": condition}


def association(policy: str = "AmazonEKSEditPolicy", **scope: Any) -> dict[str, Any]:
    return {
        "clusterName": "acme-dev",
        "principalArn": "arn:aws:iam::111111111111:role/fleet/acme-dev-team-admin",
        "policyArn": EKS_POLICY + policy,
        "accessScope": scope or {"type": "namespace", "namespaces": ["team"]},
    }


def entry(**props: Any) -> dict[str, Any]:
    return {"clusterName": "acme-dev", "principalArn": "arn:aws:iam::111111111111:role/x", **props}


def with_spec(base: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {**base, "spec": {**base["spec"], **spec}}


def destination(namespace: str, server: str = "https://kubernetes.default.svc", **extra: str) -> dict[str, Any]:
    return project(destinations=[{"server": server, "namespace": namespace, **extra}])


_SNIPPETS = (
    "nginx.ingress.kubernetes.io/configuration-snippet",
    "nginx.ingress.kubernetes.io/server-snippet",
    "nginx.ingress.kubernetes.io/auth-snippet",
    "nginx.ingress.kubernetes.io/stream-snippet",
    "nginx.ingress.kubernetes.io/modsecurity-snippet",
    "Nginx.Ingress.Kubernetes.io/Configuration-Snippet",
    "custom-prefix.example.com/server-snippet",  # ingress-nginx's annotation prefix is configurable
    "nginx.org/server-snippets",
    "nginx.org/location-snippets",
    "haproxy.org/backend-config-snippet",
)

# (what the attacker tries, resource type, props, the policy that must refuse it, a phrase)
ATTACKS: list[tuple[str, str, dict[str, Any], str, str]] = [
    # --- bindings to built-in groups, every kind and variant ---------------------------------
    *[
        (
            f"{kind_}-{version}{variant}-to-{name}",
            f"{RBAC}/{version}:{kind_}{variant}",
            subjects_binding(kind_, group(name)),
            "k8s-no-system-group-bindings",
            name,
        )
        for kind_ in ("RoleBinding", "ClusterRoleBinding")
        for version, variant in (("v1", ""), ("v1", "Patch"), ("v1beta1", ""), ("v1alpha1", "Patch"))
        for name in (
            "system:authenticated",
            "system:unauthenticated",
            "system:serviceaccounts",
            "system:serviceaccounts:team",
            "system:masters",
            "system:nodes",
        )
    ],
    (
        "binding-to-system-group-after-a-legit-one",
        f"{RBAC}/v1:RoleBinding",
        subjects_binding("RoleBinding", group("oidc:acme-dev-team-viewer"), group(" system:authenticated ")),
        "k8s-no-system-group-bindings",
        "subjects[1]",
    ),
    (
        "binding-to-anonymous-user",
        f"{RBAC}/v1:ClusterRoleBinding",
        subjects_binding("ClusterRoleBinding", user("system:anonymous")),
        "k8s-no-system-group-bindings",
        "system:anonymous",
    ),
    (
        "binding-list-item",
        f"{RBAC}/v1:RoleBindingList",
        {"items": [subjects_binding("RoleBinding", group("system:serviceaccounts"))]},
        "k8s-no-system-group-bindings",
        "items[0]",
    ),
    (
        "cluster-admin-through-a-patch",
        f"{RBAC}/v1:ClusterRoleBindingPatch",
        {
            "metadata": {"name": "b"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [group("oidc:acme-dev-team-admin")],
        },
        "k8s-no-power-bindings",
        "cluster-admin",
    ),
    # --- Endpoints and EndpointSlices: CVE-2021-25740 -----------------------------------------
    *[
        (
            f"{kind_}{variant}-writes-{resource}",
            f"{RBAC}/{version}:{kind_}{variant}",
            role,
            "k8s-no-endpoint-writes",
            resource,
        )
        for kind_ in ("Role", "ClusterRole")
        for version, variant in (("v1", ""), ("v1", "Patch"), ("v1beta1", ""))
        for resource, role in (
            ("endpoints", writes("endpoints")),
            ("endpointslices", writes("endpointslices", "discovery.k8s.io", ("patch",))),
            ("endpoints", writes("endpoints", "", ("delete", "deletecollection"))),
        )
    ],
    (
        "role-writes-endpoints-through-any-group",
        f"{RBAC}/v1:Role",
        k8s_role([{"apiGroups": ["*"], "resources": ["endpointslices"], "verbs": ["create"]}]),
        "k8s-no-endpoint-writes",
        "endpointslices",
    ),
    # --- Namespace patches: relabel out of the admission policy, lower Pod Security --------
    *[
        (
            f"namespace-patch-{label}",
            f"{CORE}:NamespacePatch",
            {"metadata": {"name": "payments", "labels": {label: "elsewhere"}}},
            "k8s-namespace-patch",
            label,
        )
        for label in ("app-of-apps.io/environment", "app.kubernetes.io/part-of", "app-of-apps.io/team")
    ],
    (
        "namespace-patch-privileged",
        f"{CORE}:NamespacePatch",
        {"metadata": {"name": "payments", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}}},
        "k8s-pod-security-labels",
        "below the floor",
    ),
    (
        "namespace-patch-latest",
        f"{CORE}:NamespacePatch",
        {"metadata": {"name": "payments", "labels": {"pod-security.kubernetes.io/enforce-version": "latest"}}},
        "k8s-pod-security-labels",
        "pin a version",
    ),
    # --- NetworkPolicies that open namespaces --------------------------------------------------
    *[
        (f"network-policy-{name}", f"{type_}", props, "k8s-network-policy-open", phrase)
        for type_ in (
            f"{NET}:NetworkPolicy",
            f"{NET}:NetworkPolicyPatch",
            "kubernetes:extensions/v1beta1:NetworkPolicy",
        )
        for name, props, phrase in (
            ("ingress-from-anywhere", network_policy(ingress=[{}]), "from every namespace"),
            ("ingress-empty-from", network_policy(ingress=[{"from": []}]), "from every namespace"),
            ("ingress-empty-peer", network_policy(ingress=[{"from": [{}]}]), "every pod of every namespace"),
            (
                "ingress-all-namespaces",
                network_policy(ingress=[{"from": [{"namespaceSelector": {}}]}]),
                "every namespace",
            ),
            (
                "ingress-all-but-one",
                network_policy(
                    ingress=[
                        {
                            "from": [
                                {
                                    "namespaceSelector": {
                                        "matchExpressions": [
                                            {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["x"]}
                                        ]
                                    }
                                }
                            ]
                        }
                    ]
                ),
                "only excludes",
            ),
            (
                "ingress-all-namespaces-some-pods",
                network_policy(
                    ingress=[{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "x"}}}]}]
                ),
                "every namespace",
            ),
            (
                "ingress-0.0.0.0/0",
                network_policy(ingress=[{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]),
                "0.0.0.0/0",
            ),
            ("ingress-::/0", network_policy(ingress=[{"from": [{"ipBlock": {"cidr": "::/0"}}]}]), "::/0"),
            ("egress-anywhere", network_policy(egress=[{"ports": [{"port": 443}]}]), "to every namespace"),
            ("egress-all-namespaces", network_policy(egress=[{"to": [{"namespaceSelector": {}}]}]), "every namespace"),
        )
    ],
    # --- Services and Ingresses: what the admission policy refuses, refused at preview too ----
    *[
        (
            f"service{variant}-external-ips",
            f"{CORE}:Service{variant}",
            service(externalIPs=["8.8.8.8"]),
            "k8s-service-boundaries",
            "CVE-2020-8554",
        )
        for variant in ("", "Patch")
    ],
    *[
        (
            f"external-name-{target}",
            f"{CORE}:Service",
            service(type="ExternalName", externalName=target),
            "k8s-service-boundaries",
            "in-cluster",
        )
        for target in (
            "checkout.payments.svc.cluster.local",
            "checkout.payments.svc",
            "checkout.payments.svc.cluster.local.",
            "kubernetes.default.svc.acme.internal",
            "10.0.12.7",
            "fd00::1",
            "CHECKOUT.PAYMENTS.SVC.CLUSTER.LOCAL",
        )
    ],
    *[
        (f"ingress-{variant}-{key}", type_, ingress(**{key: "return 200;"}), "k8s-ingress-no-snippets", key)
        for key in _SNIPPETS
        for variant, type_ in (
            ("v1", f"{NET}:Ingress"),
            ("patch", f"{NET}:IngressPatch"),
            ("extensions", "kubernetes:extensions/v1beta1:Ingress"),
        )
    ],
    # --- IAM trust: wildcards, other accounts, unpinned OIDC ------------------------------------
    ("trust-star", ROLE, trust(assume("*")), "iam-trust-pinned", "any principal"),
    ("trust-aws-star", ROLE, trust(assume({"AWS": "*"})), "iam-trust-pinned", "any principal"),
    (
        "trust-star-hidden-in-a-list",
        ROLE,
        trust(assume({"AWS": ["arn:aws:iam::111111111111:role/ci", "*"]})),
        "iam-trust-pinned",
        "any principal",
    ),
    ("trust-federated-star", ROLE, trust(assume({"Federated": "*"})), "iam-trust-pinned", "any principal"),
    (
        "trust-not-principal",
        ROLE,
        trust(
            {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111111111111:role/x"}, "Action": "sts:AssumeRole"}
        ),
        "iam-trust-pinned",
        "NotPrincipal",
    ),
    ("trust-other-account-id", ROLE, trust(assume({"AWS": "999999999999"})), "iam-trust-pinned", "999999999999"),
    (
        "trust-other-account-root",
        ROLE,
        trust(assume({"AWS": "arn:aws:iam::999999999999:root"})),
        "iam-trust-pinned",
        "999999999999",
    ),
    (
        "trust-other-account-role-among-own",
        ROLE,
        trust(assume({"AWS": ["arn:aws:iam::111111111111:role/ci", "arn:aws:iam::222222222222:role/deploy"]})),
        "iam-trust-pinned",
        "222222222222",
    ),
    (
        "trust-other-account-oidc-provider",
        ROLE,
        trust({**IRSA_OK, "Principal": {"Federated": f"arn:aws:iam::999999999999:oidc-provider/{ISSUER}"}}),
        "iam-trust-pinned",
        "999999999999",
    ),
    (
        "trust-pod-identity-other-source-account",
        ROLE,
        trust(
            {
                **POD_IDENTITY_OK,
                "Condition": {
                    "StringEquals": {
                        **POD_IDENTITY_OK["Condition"]["StringEquals"],
                        "aws:SourceAccount": "999999999999",
                    }
                },
            }
        ),
        "iam-trust-pinned",
        "999999999999",
    ),
    ("github-any-repo-of-org", ROLE, trust(github("repo:acme/*")), "iam-trust-pinned", "one repository"),
    ("github-any-repo", ROLE, trust(github("repo:*")), "iam-trust-pinned", "one repository"),
    ("github-prefix-repo", ROLE, trust(github("repo:acme/app*:*")), "iam-trust-pinned", "one repository"),
    ("github-any-owner", ROLE, trust(github("repo:*/app-of-apps:*")), "iam-trust-pinned", "one repository"),
    ("github-star", ROLE, trust(github("*")), "iam-trust-pinned", "one repository"),
    (
        "github-one-good-one-open",
        ROLE,
        trust(github(["repo:acme/app:*", "repo:acme/*"])),
        "iam-trust-pinned",
        "one repository",
    ),
    (
        "github-no-sub",
        ROLE,
        trust({**GITHUB_OK, "Condition": {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}}}),
        "iam-trust-pinned",
        "one repository",
    ),
    (
        "github-sub-only-if-exists",
        ROLE,
        trust({**GITHUB_OK, "Condition": {"StringLikeIfExists": {f"{GITHUB}:sub": "repo:acme/app:*"}}}),
        "iam-trust-pinned",
        "one repository",
    ),
    (
        "github-no-aud",
        ROLE,
        trust(github("repo:acme/app:ref:refs/heads/main", "StringEquals", aud=None)),
        "iam-trust-pinned",
        ":aud",
    ),
    (
        "irsa-any-service-account",
        ROLE,
        trust(
            {
                **IRSA_OK,
                "Condition": {
                    "StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"},
                    "StringLike": {f"{ISSUER}:sub": "system:serviceaccount:team:*"},
                },
            }
        ),
        "iam-trust-pinned",
        "any service account",
    ),
    (
        "other-oidc-unpinned",
        ROLE,
        trust(
            {
                **IRSA_OK,
                "Principal": {"Federated": "arn:aws:iam::111111111111:oidc-provider/gitlab.com"},
                "Condition": {},
            }
        ),
        "iam-trust-pinned",
        "gitlab.com",
    ),
    # --- EKS access entries and access-policy associations -----------------------------------
    (
        "access-entry-system-masters",
        ENTRY,
        entry(kubernetesGroups=["system:masters"]),
        "eks-access-scoped",
        "system:masters",
    ),
    (
        "access-entry-system-user",
        ENTRY,
        entry(userName="system:kube-controller-manager"),
        "eks-access-scoped",
        "built-in identity",
    ),
    (
        "access-entry-other-account",
        ENTRY,
        entry(principalArn="arn:aws:iam::999999999999:role/x"),
        "eks-access-scoped",
        "999999999999",
    ),
    (
        "access-entry-wildcard",
        ENTRY,
        entry(principalArn="arn:aws:iam::111111111111:role/*"),
        "eks-access-scoped",
        "wildcard",
    ),
    (
        "association-cluster-admin",
        ASSOCIATION,
        association("AmazonEKSClusterAdminPolicy"),
        "eks-access-scoped",
        "ClusterAdmin",
    ),
    (
        "association-admin-view",
        ASSOCIATION,
        association("AmazonEKSAdminViewPolicy"),
        "eks-access-scoped",
        "every Secret",
    ),
    (
        "association-cluster-scope",
        ASSOCIATION,
        association("AmazonEKSViewPolicy", type="cluster"),
        "eks-access-scoped",
        "every namespace",
    ),
    *[
        (
            f"association-namespace-{ns}",
            ASSOCIATION,
            association(type="namespace", namespaces=["team", ns]),
            "eks-access-scoped",
            ns,
        )
        for ns in ("kube-system", "default", "argocd", "*", "team-*")
    ],
    # --- Argo CD: globs, the default project, ApplicationSets ---------------------------------
    *[
        (f"project-destination-{ns}", PROJECT, destination(ns), "argocd-project-destinations", "wildcard")
        for ns in ("team-*", "!kube-system", "team-[0-9]", "{team,argocd}", "tea?")
    ],
    (
        "project-server-glob",
        PROJECT,
        destination("team", server="https://*.example.com"),
        "argocd-project-destinations",
        "glob",
    ),
    (
        "project-name-glob",
        PROJECT,
        project(destinations=[{"name": "in-cluster*", "namespace": "team"}]),
        "argocd-project-destinations",
        "glob",
    ),
    (
        "project-source-namespaces-star",
        PROJECT,
        project(sourceNamespaces=["*"]),
        "argocd-project-destinations",
        "sourceNamespaces",
    ),
    (
        "project-source-namespaces-argocd",
        PROJECT,
        project(sourceNamespaces=["argocd"]),
        "argocd-project-destinations",
        "sourceNamespaces",
    ),
    (
        "project-patch-destination-star",
        f"{ARGO}:AppProjectPatch",
        {"metadata": {"name": "team"}, "spec": {"destinations": [{"server": "*", "namespace": "*"}]}},
        "argocd-project-destinations",
        "glob",
    ),
    *[
        (
            f"project-blacklist-lacks-{kind_}",
            PROJECT,
            project(namespaceResourceBlacklist=[k for k in BLACKLIST if k["kind"] != kind_]),
            "argocd-project-cluster-resources",
            kind_,
        )
        for _, kind_ in PLATFORM_OWNED_KINDS
    ],
    (
        "project-patch-empties-blacklist",
        f"{ARGO}:AppProjectPatch",
        {"metadata": {"name": "team"}, "spec": {"namespaceResourceBlacklist": []}},
        "argocd-project-cluster-resources",
        "Endpoints",
    ),
    (
        "project-whitelist-lets-rbac-in",
        PROJECT,
        project(
            namespaceResourceBlacklist=[],
            namespaceResourceWhitelist=[
                {"group": "apps", "kind": "Deployment"},
                {"group": "rbac.authorization.k8s.io", "kind": "*"},
            ],
        ),
        "argocd-project-cluster-resources",
        "RoleBinding",
    ),
    (
        "default-project-opened",
        PROJECT,
        {
            "metadata": {"name": "default", "namespace": "argocd"},
            "spec": {
                "sourceRepos": ["https://github.com/acme/x"],
                "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "team"}],
                "namespaceResourceBlacklist": BLACKLIST,
            },
        },
        "argocd-default-project",
        "keep it empty",
    ),
    (
        "default-project-patched-open",
        f"{ARGO}:AppProjectPatch",
        {"metadata": {"name": "default"}, "spec": {"sourceRepos": ["https://github.com/acme/x"]}},
        "argocd-default-project",
        "keep it empty",
    ),
    *[
        (f"application-project-{name!r}", APP, application(name), "argocd-application-project", "project")
        for name in ("default", "", " default", "Default", "*", "team-*", "{{project}}")
    ],
    (
        "application-no-project",
        APP,
        {**application(), "spec": {k: v for k, v in application()["spec"].items() if k != "project"}},
        "argocd-application-project",
        "'default' project",
    ),
    (
        "application-patch-to-default",
        f"{ARGO}:ApplicationPatch",
        {"metadata": {"name": "team-app"}, "spec": {"project": "default"}},
        "argocd-application-project",
        "'default' project",
    ),
    *[
        (
            f"appset-project-{name!r}",
            f"{ARGO}:ApplicationSet",
            app_set(name),
            "argocd-applicationset-project",
            "project",
        )
        for name in ("default", "{{project}}", "{{.path.basename}}", "team-*", "")
    ],
    (
        "appset-template-patch",
        f"{ARGO}:ApplicationSet",
        app_set(templatePatch='spec:\n  project: "{{.project}}"\n'),
        "argocd-applicationset-project",
        "templatePatch",
    ),
    (
        "appset-generator-template-default",
        f"{ARGO}:ApplicationSet",
        with_spec(
            app_set(),
            generators=[{"list": {"elements": [], "template": {"metadata": {}, "spec": {"project": "default"}}}}],
        ),
        "argocd-applicationset-project",
        "generators[0].list.template",
    ),
    (
        "appset-into-argocd",
        f"{ARGO}:ApplicationSet",
        with_spec(app_set(), template={"metadata": {"name": "x"}, "spec": {**application(ns="argocd")["spec"]}}),
        "argocd-applicationset-project",
        "Argo CD namespace",
    ),
    (
        "appset-patch-to-default",
        f"{ARGO}:ApplicationSetPatch",
        {"metadata": {"name": "s"}, "spec": {"template": {"spec": {"project": "default"}}}},
        "argocd-applicationset-project",
        "'default' project",
    ),
    (
        "clusterrole-aggregated-into-view-reads-secrets",
        f"{RBAC}/v1:ClusterRole",
        k8s_role(
            [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}],
            name="metrics-extras",
            labels={"rbac.authorization.k8s.io/aggregate-to-view": "true"},
        ),
        "k8s-view-no-secrets",
        "read secrets",
    ),
    *[
        (
            f"patch-the-fleet-{kind_}-{version}",
            f"kubernetes:admissionregistration.k8s.io/{version}:{kind_}Patch",
            {"metadata": {"name": "acme-prod-namespace-boundaries"}, "spec": spec},
            "k8s-admission-boundaries",
            "only the fleet program",
        )
        for version in ("v1", "v1beta1")
        for kind_, spec in (
            ("ValidatingAdmissionPolicy", {"failurePolicy": "Ignore"}),
            ("ValidatingAdmissionPolicyBinding", {"validationActions": ["Warn"]}),
        )
    ],
    (
        "fleet-policy-fails-open",
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
        {
            "metadata": {"name": "acme-dev-namespace-boundaries"},
            "spec": {"failurePolicy": "Ignore", "validations": [{"expression": "true"}]},
        },
        "k8s-admission-boundaries",
        "fail closed",
    ),
    (
        "fleet-binding-selects-nothing",
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
        {
            "metadata": {"name": "acme-dev-namespace-boundaries"},
            "spec": {"policyName": "x", "validationActions": ["Deny"], "matchResources": {"namespaceSelector": {}}},
        },
        "k8s-admission-boundaries",
        "selects no namespaces",
    ),
    (
        "role-writes-endpoints-restricted",
        f"{RBAC}/v1:Role",
        writes("endpoints/restricted"),
        "k8s-no-endpoint-writes",
        "endpoints",
    ),
    (
        "network-policy-name-exists",
        f"{NET}:NetworkPolicy",
        network_policy(
            ingress=[
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "Exists"}]
                            }
                        }
                    ]
                }
            ]
        ),
        "k8s-network-policy-open",
        "every other namespace",
    ),
    *[
        (
            f"network-policy-ingress-{cidr}",
            f"{NET}:NetworkPolicy",
            network_policy(ingress=[{"from": [{"ipBlock": {"cidr": cidr}}]}]),
            "k8s-network-policy-open",
            "pods of every namespace",
        )
        for cidr in ("0.0.0.0/1", "128.0.0.0/1", "10.0.0.0/7", "fd00::/8", "0::/0")
    ],
    (
        "network-policy-ingress-not-a-cidr",
        f"{NET}:NetworkPolicy",
        network_policy(ingress=[{"from": [{"ipBlock": {"cidr": "everything"}}]}]),
        "k8s-network-policy-open",
        "not a CIDR",
    ),
    *[
        (
            f"web-identity-{provider}-any-audience",
            ROLE,
            trust(
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringLike": {f"{provider}:aud": "*"}},
                }
            ),
            "iam-trust-pinned",
            "every application of the provider",
        )
        for provider in ("cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com")
    ],
    *[
        (f"association-{name}", ASSOCIATION, association(name), "eks-access-scoped", name)
        for name in ("AmazonEKSAdminPolicy", "AmazonEKSNetworkingPolicy", "AmazonEKSAutoNodePolicy")
    ],
    (
        "project-whitelist-bracket-pattern",
        PROJECT,
        project(
            namespaceResourceBlacklist=[],
            namespaceResourceWhitelist=[{"group": "rbac.authorization.k8s.io", "kind": "[R]oleBinding"}],
        ),
        "argocd-project-cluster-resources",
        "RoleBinding",
    ),
]

# (what a legitimate neighbour declares, resource type, props): no policy of the pack objects.
NEIGHBOURS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "fleet-status-read-only",
        f"{RBAC}/v1:ClusterRoleBinding",
        # The program's own read-only ClusterRole (fleet.render.layers), never the built-in view.
        {
            **subjects_binding("ClusterRoleBinding", group("oidc:acme-dev-fleet-status")),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "acme-dev-fleet-status",
            },
        },
    ),
    (
        "fleet-status-clusterrole",
        f"{RBAC}/v1:ClusterRole",
        {
            "metadata": {"name": "fleet-status"},
            "rules": [{"apiGroups": ["argoproj.io"], "resources": ["applications"], "verbs": ["get", "list", "watch"]}],
        },
    ),
    (
        "binding-to-a-service-account",
        f"{RBAC}/v1:RoleBinding",
        subjects_binding("RoleBinding", {"kind": "ServiceAccount", "name": "app", "namespace": "team"}),
    ),
    (
        "binding-to-a-service-account-as-user",
        f"{RBAC}/v1:RoleBinding",
        subjects_binding("RoleBinding", user("system:serviceaccount:team:app")),
    ),
    (
        "binding-patch-team-group",
        f"{RBAC}/v1:RoleBindingPatch",
        {"metadata": {"name": "b", "namespace": "team"}, "subjects": [group("oidc:acme-dev-team-developer")]},
    ),
    ("role-reads-endpoints", f"{RBAC}/v1:Role", writes("endpoints", verbs=("get", "list", "watch"))),
    ("role-writes-services", f"{RBAC}/v1:Role", writes("services")),
    (
        "namespace-patch-annotation",
        f"{CORE}:NamespacePatch",
        {"metadata": {"name": "team", "annotations": {"owner": "team@acme.example"}}},
    ),
    (
        "namespace-patch-cost-label",
        f"{CORE}:NamespacePatch",
        {"metadata": {"name": "team", "labels": {"cost-center": "42"}}},
    ),
    (
        "namespace-patch-stricter",
        f"{CORE}:NamespacePatch",
        {"metadata": {"name": "team", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}},
    ),
    (
        "configmap-patch-argocd-rbac",
        f"{CORE}:ConfigMapPatch",
        {
            "metadata": {"name": "argocd-rbac-cm", "namespace": "argocd"},
            "data": {"policy.csv": "g, acme-dev-fleet-status, role:readonly\n"},
        },
    ),
    (
        "netpol-from-ingress-nginx",
        f"{NET}:NetworkPolicy",
        network_policy(
            ingress=[
                {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]}
            ]
        ),
    ),
    ("netpol-same-namespace", f"{NET}:NetworkPolicy", network_policy(ingress=[{"from": [{"podSelector": {}}]}])),
    (
        "netpol-egress-https-internet",
        f"{NET}:NetworkPolicy",
        network_policy(egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]}]),
    ),
    ("netpol-default-deny", f"{NET}:NetworkPolicy", network_policy(policyTypes=["Ingress", "Egress"])),
    ("service-cluster-ip", f"{CORE}:Service", service(type="ClusterIP", selector={"app": "x"}, ports=[{"port": 80}])),
    ("service-load-balancer", f"{CORE}:Service", service(type="LoadBalancer", ports=[{"port": 443}])),
    ("service-external-database", f"{CORE}:Service", service(type="ExternalName", externalName="db.prod.acme.example")),
    (
        "service-external-rds",
        f"{CORE}:Service",
        service(type="ExternalName", externalName="orders.abc123.eu-west-1.rds.amazonaws.com"),
    ),
    (
        "ingress-plain-annotations",
        f"{NET}:Ingress",
        ingress(
            **{"nginx.ingress.kubernetes.io/ssl-redirect": "true", "nginx.ingress.kubernetes.io/rewrite-target": "/"}
        ),
    ),
    ("github-oidc-one-repo-any-ref", ROLE, trust(GITHUB_OK)),
    ("github-oidc-one-branch", ROLE, trust(github("repo:acme/app-of-apps:ref:refs/heads/main", "StringEquals"))),
    (
        "github-oidc-one-environment",
        ROLE,
        trust(github(["repo:acme/app-of-apps:environment:production"], "StringEquals", aud=["sts.amazonaws.com"])),
    ),
    ("github-oidc-pull-requests", ROLE, trust(github("repo:acme/app-of-apps:pull_request"))),
    ("irsa-one-service-account", ROLE, trust(IRSA_OK)),
    ("pod-identity", ROLE, trust(POD_IDENTITY_OK)),
    ("saml", ROLE, trust(SAML_OK)),
    ("same-account-role", ROLE, trust(assume({"AWS": "arn:aws:iam::111111111111:role/ci"}))),
    ("ec2-instance-role", ROLE, trust(assume({"Service": "ec2.amazonaws.com"}))),
    ("access-entry-team-group", ENTRY, entry(kubernetesGroups=["acme-dev-team-viewer"])),
    ("access-entry-node", ENTRY, entry(type="EC2_LINUX")),
    (
        "association-team-namespaces",
        ASSOCIATION,
        association("AmazonEKSEditPolicy", type="namespace", namespaces=["team", "team-jobs"]),
    ),
    ("association-view", ASSOCIATION, association("AmazonEKSViewPolicy")),
    (
        "project-with-whitelist-only",
        PROJECT,
        project(
            namespaceResourceBlacklist=[],
            namespaceResourceWhitelist=[
                {"group": "apps", "kind": "Deployment"},
                {"group": "", "kind": "Service"},
                {"group": "", "kind": "ConfigMap"},
            ],
        ),
    ),
    (
        "project-blacklist-by-group-glob",
        PROJECT,
        project(
            namespaceResourceBlacklist=[
                {"group": "", "kind": "*"},
                {"group": "networking.k8s.io", "kind": "NetworkPolicy"},
                {"group": "rbac.authorization.k8s.io", "kind": "*"},
                {"group": "discovery.k8s.io", "kind": "*"},
                {"group": "argoproj.io", "kind": "*"},
            ]
        ),
    ),
    (
        "project-patch-description",
        f"{ARGO}:AppProjectPatch",
        {"metadata": {"name": "team"}, "spec": {"description": "the team"}},
    ),
    ("project-source-namespace-own", PROJECT, project(sourceNamespaces=["team"])),
    (
        "default-project-locked-down",
        PROJECT,
        {
            "metadata": {"name": "default", "namespace": "argocd"},
            "spec": {"sourceRepos": [], "destinations": [], "clusterResourceWhitelist": []},
        },
    ),
    ("application-team-project", APP, application()),
    (
        "application-patch-revision",
        f"{ARGO}:ApplicationPatch",
        {"metadata": {"name": "team-app"}, "spec": {"source": {"targetRevision": "v1.2.3"}}},
    ),
    (
        "appset-literal-project-templated-namespace",
        f"{ARGO}:ApplicationSet",
        with_spec(
            app_set(),
            template={
                "metadata": {"name": "x-{{env}}"},
                "spec": {
                    **application()["spec"],
                    "destination": {"server": "https://kubernetes.default.svc", "namespace": "team-{{env}}"},
                },
            },
        ),
    ),
    (
        "another-teams-admission-policy-patch",
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBindingPatch",
        {"metadata": {"name": "team-audit"}, "spec": {"validationActions": ["Audit"]}},
    ),
    (
        "clusterrole-aggregated-into-view-reads-pods",
        f"{RBAC}/v1:ClusterRole",
        k8s_role(
            [{"apiGroups": ["metrics.k8s.io"], "resources": ["pods"], "verbs": ["get", "list"]}],
            name="metrics-extras",
            labels={"rbac.authorization.k8s.io/aggregate-to-view": "true"},
        ),
    ),
    (
        "network-policy-ingress-from-the-vpc",
        f"{NET}:NetworkPolicy",
        network_policy(ingress=[{"from": [{"ipBlock": {"cidr": "10.20.0.0/16"}}], "ports": [{"port": 8443}]}]),
    ),
    (
        "cognito-pinned-to-one-pool",
        ROLE,
        trust(
            {
                "Effect": "Allow",
                "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        "cognito-identity.amazonaws.com:aud": "eu-west-1:11111111-2222-3333-4444-555555555555"
                    }
                },
            }
        ),
    ),
    ("appset", f"{ARGO}:ApplicationSet", app_set()),
]


@pytest.mark.parametrize(
    ("resource_type", "props", "policy_id", "phrase"), [a[1:] for a in ATTACKS], ids=[a[0] for a in ATTACKS]
)
def test_attack_is_refused_by_its_policy(
    resource_type: str, props: dict[str, Any], policy_id: str, phrase: str
) -> None:
    found = everything_the_pack_says(resource_type, props)
    assert policy_id in found, found
    assert any(phrase in message for message in found[policy_id]), found[policy_id]


@pytest.mark.parametrize(("resource_type", "props"), [n[1:] for n in NEIGHBOURS], ids=[n[0] for n in NEIGHBOURS])
def test_legitimate_neighbour_passes_the_whole_pack(resource_type: str, props: dict[str, Any]) -> None:
    assert everything_the_pack_says(resource_type, props) == {}


def test_no_persona_writes_endpoints_or_platform_objects() -> None:
    """CVE-2021-25740 and ownership: persona Roles only read what the platform or the control
    plane keeps (RBAC, quota, limits, network policy, ServiceAccounts, Endpoints)."""
    platform = {
        ("", "endpoints"),
        ("discovery.k8s.io", "endpointslices"),
        ("", "resourcequotas"),
        ("", "limitranges"),
        ("", "serviceaccounts"),
        ("networking.k8s.io", "networkpolicies"),
        ("rbac.authorization.k8s.io", "roles"),
        ("rbac.authorization.k8s.io", "rolebindings"),
    }
    for level in ("view", "edit", "admin"):
        for rule in personas.role_rules(level):
            if set(rule["verbs"]) - {"get", "list", "watch"}:
                touched = {(g, r) for g in rule["apiGroups"] for r in rule["resources"]}
                assert not touched & platform, (level, rule)
    assert ("", "endpoints") in {
        (g, r) for rule in personas.role_rules("view") for g in rule["apiGroups"] for r in rule["resources"]
    }


def test_admission_policy_is_rendered_bound_and_scoped_to_the_fleet() -> None:
    catalog, state = load_state(catalog_path("dev"))
    policy, binding = state.cluster_objects
    assert (policy.kind, binding.kind) == ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
    assert policy.api_version == binding.api_version == "admissionregistration.k8s.io/v1"
    assert binding.obj["spec"]["policyName"] == policy.name
    assert binding.obj["spec"]["validationActions"] == ["Deny"]
    assert policy.obj["spec"]["failurePolicy"] == "Fail"
    assert [v["message"] for v in policy.obj["spec"]["validations"]] == [
        m for _, m in boundaries.cel_validations(tenancy(catalog))
    ]
    # Every team namespace carries the labels the binding selects on; nothing outside the fleet does.
    selector = binding.obj["spec"]["matchResources"]["namespaceSelector"]["matchLabels"]
    for manifest in state.manifests():
        if manifest.kind == "Namespace":
            assert selector.items() <= manifest.obj["metadata"]["labels"].items(), manifest.name
    assert selector == {
        "app.kubernetes.io/part-of": catalog.organization,
        "app-of-apps.io/environment": catalog.environment,
    }
    # Two environments on one cluster get two policies.
    prod = render(load_state(catalog_path("prod"))[0])
    assert prod.cluster_objects[0].name != policy.name


def test_every_project_blacklists_every_platform_kind() -> None:
    for path in ("dev", "prod"):
        _, state = load_state(catalog_path(path))
        for team in state.teams:
            listed = {(k["group"], k["kind"]) for k in team.project.obj["spec"]["namespaceResourceBlacklist"]}
            assert listed == set(PLATFORM_OWNED_KINDS)


@pytest.mark.parametrize(
    ("props", "refused"),
    [
        (service(externalIPs=["1.2.3.4"]), True),
        (service(type="ExternalName", externalName="x.y.svc.cluster.local"), True),
        (service(type="ExternalName", externalName="db.acme.example"), False),
        (ingress(**{"a.b/server-snippet": "x"}), True),
        (ingress(**{"a.b/rewrite-target": "/"}), False),
    ],
)
def test_python_twin_of_the_admission_policy(props: dict[str, Any], refused: bool) -> None:
    """The pack's Python reading and the CEL share one module; the e2e tier runs the CEL."""
    found = bool(
        boundaries.external_ips(props)
        or boundaries.in_cluster_external_name(props)
        or boundaries.snippet_annotations(props)
    )
    assert found is refused


def test_the_referee_knows_the_admission_kinds() -> None:
    """kubernetes-validate has the admissionregistration.k8s.io/v1 schemas: a misspelt field fails."""
    import kubernetes_validate

    _, state = load_state(catalog_path("dev"))
    for manifest in state.cluster_objects:
        kubernetes_validate.validate(manifest.obj, "1.31", strict=True)
        misspelt = {**manifest.obj, "spec": {**manifest.obj["spec"], "validationAction": ["Deny"]}}
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(misspelt, "1.31", strict=True)


JUNK: tuple[Any, ...] = (None, 0, True, "*", [], {}, [{}], {"*": "*"}, [["*"]])


def _paths(value: Any, prefix: tuple[Any, ...] = (), depth: int = 3) -> Iterator[tuple[Any, ...]]:
    if depth == 0:
        return
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key), depth - 1)


def _replaced(value: Any, path: tuple[Any, ...], junk: Any) -> Any:
    copied = copy.deepcopy(value)
    target = copied
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = junk
    return copied


def test_no_rule_raises_on_malformed_inputs() -> None:
    """A policy that raises fails the whole pack run of a stack; a malformed input (which the
    provider would refuse anyway) must give a verdict, not an exception."""
    settings = Settings.from_config(SETTINGS)
    judged = 0
    for _, resource_type, props, *_ in [*ATTACKS, *NEIGHBOURS]:
        rules = [rule for rule in RESOURCE_RULES if rule.applies_to(resource_type)]
        for path in _paths(props):
            for junk in JUNK:
                proxied = unknown_checking_proxy(_replaced(props, path, junk))
                for rule in rules:
                    list(rule.judge(resource_type, proxied, settings))
                    judged += 1
    assert judged > 10_000


@pytest.mark.parametrize(
    ("props", "refused"),
    [
        # The boundary says the role lives in 111111111111: 999999999999 is another account.
        (
            {
                **trust(assume({"AWS": "arn:aws:iam::999999999999:role/x"})),
                "permissionsBoundary": "arn:aws:iam::111111111111:policy/fleet-boundary",
            },
            True,
        ),
        (
            {
                **trust(assume({"AWS": "arn:aws:iam::111111111111:role/x"})),
                "permissionsBoundary": "arn:aws:iam::111111111111:policy/fleet-boundary",
            },
            False,
        ),
        # Nothing says which account is this one: only wildcards can be judged.
        (
            {
                k: v
                for k, v in trust(assume({"AWS": "arn:aws:iam::999999999999:role/x"})).items()
                if k != "permissionsBoundary"
            },
            False,
        ),
    ],
)
def test_without_configured_accounts_the_roles_own_inputs_name_the_account(
    props: dict[str, Any], refused: bool
) -> None:
    found = pack_resource_violations("iam-trust-pinned", ROLE, props, {})
    assert bool(found) is refused, found
