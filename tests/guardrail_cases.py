"""A failing and a passing case for every guardrail, shaped as any stack would declare them.

Most are what another team's stack writes by hand (policy as an object, ClusterRoles, their
own AppProjects), not only what our program emits.
"""

from __future__ import annotations

import json
from typing import Any

ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
K_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
K_CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
K_CRB = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
K_RB = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
K_NS = "kubernetes:core/v1:Namespace"
PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject"
APP = "kubernetes:argoproj.io/v1alpha1:Application"
ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/ABC"
OIDC = f"arn:aws:iam::111111111111:oidc-provider/{ISSUER}"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions: Any, resources: Any = "arn:aws:s3:::bucket/*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def trust(statement: dict[str, Any]) -> dict[str, Any]:
    return {"name": "r", "assumeRolePolicy": json.dumps(doc(statement))}


IRSA_OK = {
    "Effect": "Allow",
    "Principal": {"Federated": OIDC},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {
        "StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:team:app", f"{ISSUER}:aud": "sts.amazonaws.com"}
    },
}
POD_IDENTITY_OK = {
    "Effect": "Allow",
    "Principal": {"Service": "pods.eks.amazonaws.com"},
    "Action": ["sts:AssumeRole", "sts:TagSession"],
    "Condition": {
        "StringEquals": {
            "aws:RequestTag/kubernetes-namespace": "team",
            "aws:RequestTag/kubernetes-service-account": "app",
            "aws:SourceAccount": "111111111111",
        }
    },
}
SAML_OK = {
    "Effect": "Allow",
    "Principal": {"Federated": "arn:aws:iam::111111111111:saml-provider/okta"},
    "Action": "sts:AssumeRoleWithSAML",
    "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
}


def namespace(level: str | None = "restricted", version: str = "v1.31", name: str = "team") -> dict[str, Any]:
    labels = {}
    if level:
        for mode in ("enforce", "audit", "warn"):
            labels[f"pod-security.kubernetes.io/{mode}"] = level
            labels[f"pod-security.kubernetes.io/{mode}-version"] = version
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def k8s_role(
    rules: list[dict[str, Any]], name: str = "app-operator", labels: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": name, "namespace": "team", "labels": labels or {}},
        "rules": rules,
    }


def binding(kind: str, role_kind: str, role: str) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": "b"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:team-devs"}],
    }


BLACKLIST = [
    {"group": "", "kind": "LimitRange"},
    {"group": "", "kind": "ResourceQuota"},
    {"group": "networking.k8s.io", "kind": "NetworkPolicy"},
    {"group": "rbac.authorization.k8s.io", "kind": "Role"},
    {"group": "rbac.authorization.k8s.io", "kind": "RoleBinding"},
    {"group": "", "kind": "ServiceAccount"},
    {"group": "", "kind": "Endpoints"},
    {"group": "discovery.k8s.io", "kind": "EndpointSlice"},
    {"group": "argoproj.io", "kind": "Application"},
    {"group": "argoproj.io", "kind": "ApplicationSet"},
    {"group": "argoproj.io", "kind": "AppProject"},
]


def project(**spec: Any) -> dict[str, Any]:
    base = {
        "sourceRepos": ["https://github.com/acme/team-deploy"],
        "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "team"}],
        "clusterResourceWhitelist": [],
        "namespaceResourceBlacklist": BLACKLIST,
        "roles": [
            {
                "name": "dev",
                "groups": ["acme-dev-team-dev"],
                "policies": ["p, proj:team:dev, applications, get, team/*, allow"],
            }
        ],
    }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "team", "namespace": "argocd"},
        "spec": {**base, **spec},
    }


def application(
    project_name: str = "team", ns: str = "team", repo: str = "https://github.com/acme/team-deploy"
) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "team-app", "namespace": "argocd"},
        "spec": {
            "project": project_name,
            "source": {"repoURL": repo, "path": "p", "targetRevision": "v1.0.0"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": ns},
        },
    }


SETTINGS = {
    "ingressDomain": "apps.acme.example",
    "externalNames": ["db.prod.acme.example", "orders.abc123.eu-west-1.rds.amazonaws.com"],
    "allowedRepos": ["https://github.com/acme/"],
    "podSecurityFloor": "baseline",
    "argocdNamespace": "argocd",
    "allowedManagedPolicyArns": [
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ],
    "ownedResources": ["arn:aws:s3:::bucket", "arn:aws:eks:eu-west-1:111111111111:cluster/team-*"],
    "accountIds": ["111111111111"],
    "requirePinnedRevisions": True,
    "production": True,
    "permissionsBoundaryArns": ["arn:aws:iam::111111111111:policy/fleet-boundary"],
    # A team's stack (issue 21, class 7): team "team", whose namespaces are "team" and "team-…".
    "team": "team",
    "secretKeyPrefix": "acme/dev",
}
# The platform's own stack: the same settings without a team (it writes Argo CD's configuration).
PLATFORM_SETTINGS = {k: v for k, v in SETTINGS.items() if k != "team"}

# (rule id, resource type, failing props, passing props, a phrase the failure names)
RESOURCE_CASES: list[tuple[str, str, dict[str, Any], Any, str]] = [  # good: inputs, or (type, inputs)
    (
        "iam-no-wildcard-action",
        ROLE_POLICY,
        {"policy": json.dumps(doc(allow("s3:*")))},
        {"policy": json.dumps(doc(allow("s3:GetObject")))},
        "every action of the service",
    ),
    (
        "iam-no-wildcard-action",
        POLICY,
        {"policy": doc(allow(["s3:Get*"]))},
        {"policy": doc(allow(["s3:GetObject"]))},
        "wildcard",
    ),
    (
        "iam-no-wildcard-action",
        ROLE,
        {
            "inlinePolicies": [
                {"name": "x", "policy": json.dumps(doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))}
            ]
        },
        {"inlinePolicies": []},
        "NotAction",
    ),
    (
        "iam-no-wildcard-resource",
        POLICY,
        {"policy": doc(allow("s3:GetObject", "*"))},
        {"policy": doc(allow("sts:GetCallerIdentity", "*"))},
        "resource-level",
    ),
    (
        "iam-no-privilege-escalation",
        POLICY,
        {"policy": doc(allow("iam:PassRole", "arn:aws:iam::111111111111:role/x"))},
        {"policy": doc(allow("s3:GetObject"))},
        "privilege escalation",
    ),
    (
        "iam-no-privilege-escalation",
        ROLE_POLICY,
        {"policy": json.dumps(doc(allow("sts:AssumeRole", "arn:aws:iam::111111111111:role/x")))},
        {"policy": json.dumps(doc({"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}))},
        "another principal",
    ),
    (
        "iam-no-permissions-management",
        POLICY,
        {"policy": doc(allow("iam:AttachRolePolicy", "arn:aws:iam::111111111111:role/x"))},
        {"policy": doc(allow("iam:GetRole", "arn:aws:iam::111111111111:role/x"))},
        "permissions-management",
    ),
    (
        "iam-known-actions",
        POLICY,
        {"policy": doc(allow("s3:GetObjekt"))},
        {"policy": doc(allow("S3:getobject"))},
        "did you mean 's3:GetObject'",
    ),
    (
        "iam-arn-format",
        POLICY,
        {"policy": doc(allow("s3:GetObject", "my-bucket/*"))},
        {"policy": doc(allow("s3:GetObject", "arn:aws:s3:::my-bucket/*"))},
        "not an ARN",
    ),
    (
        "iam-policy-version",
        POLICY,
        {"policy": {"Version": "2008-10-17", "Statement": [allow("s3:GetObject")]}},
        {"policy": doc(allow("s3:GetObject"))},
        "2008-10-17",
    ),
    (
        "iam-no-admin-policy",
        ATTACH,
        {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        {"role": "r", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        "administrator",
    ),
    (
        "iam-no-admin-policy",
        ROLE,
        {"managedPolicyArns": ["arn:aws:iam::aws:policy/PowerUserAccess"]},
        {"managedPolicyArns": ["arn:aws:iam::111111111111:policy/AdministratorAccess"]},
        "administrator",
    ),
    (
        "iam-trust-pinned",
        ROLE,
        trust({**IRSA_OK, "Condition": {"StringLike": {f"{ISSUER}:sub": "system:serviceaccount:*"}}}),
        trust(IRSA_OK),
        ":sub",
    ),
    (
        "iam-trust-pinned",
        ROLE,
        trust({**IRSA_OK, "Condition": {"StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:team:app"}}}),
        trust(IRSA_OK),
        ":aud",
    ),
    (
        "iam-trust-pinned",
        ROLE,
        trust({**POD_IDENTITY_OK, "Condition": {}}),
        trust(POD_IDENTITY_OK),
        "kubernetes-namespace",
    ),
    ("iam-trust-pinned", ROLE, trust({**SAML_OK, "Condition": {}}), trust(SAML_OK), "SAML:aud"),
    (
        "iam-trust-pinned",
        ROLE,
        trust({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}),
        trust({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}),
        "any principal",
    ),
    (
        "k8s-rbac-no-wildcards",
        K_CLUSTER_ROLE,
        k8s_role([{"apiGroups": ["*"], "resources": ["pods"], "verbs": ["get"]}]),
        k8s_role([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]),
        "apiGroups contains '*'",
    ),
    (
        "k8s-rbac-no-wildcards",
        K_ROLE,
        k8s_role([{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}]),
        k8s_role([{"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]}]),
        "verbs contains '*'",
    ),
    (
        "k8s-rbac-no-escalation",
        K_ROLE,
        k8s_role([{"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]}]),
        k8s_role([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]),
        "impersonate",
    ),
    (
        "k8s-rbac-no-escalation",
        K_ROLE,
        k8s_role([{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["create"]}]),
        k8s_role([{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["get"]}]),
        "writes RBAC",
    ),
    (
        "k8s-view-no-secrets",
        K_ROLE,
        k8s_role([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}], name="team-viewer"),
        k8s_role([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}], name="team-operator"),
        "read secrets",
    ),
    (
        "k8s-view-no-secrets",
        K_ROLE,
        k8s_role(
            [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}],
            name="fleet-x",
            labels={"app-of-apps.io/access-level": "view"},
        ),
        k8s_role(
            [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"]}],
            name="fleet-x",
            labels={"app-of-apps.io/access-level": "view"},
        ),
        "read secrets",
    ),
    (
        "k8s-no-power-bindings",
        K_CRB,
        binding("ClusterRoleBinding", "ClusterRole", "edit"),
        binding("ClusterRoleBinding", "ClusterRole", "system:aggregate-to-view"),
        "cluster-wide",
    ),
    (
        "k8s-no-power-bindings",
        K_RB,
        binding("RoleBinding", "ClusterRole", "cluster-admin"),
        binding("RoleBinding", "ClusterRole", "view"),
        "cluster-admin",
    ),
    ("k8s-pod-security-labels", K_NS, namespace(None), namespace("restricted"), "missing"),
    ("k8s-pod-security-labels", K_NS, namespace("privileged"), namespace("baseline"), "below the floor"),
    (
        "k8s-pod-security-labels",
        K_NS,
        namespace("restricted", version="latest"),
        namespace("restricted", version="v1.31"),
        "pin a version",
    ),
    ("argocd-project-sources", PROJECT, project(sourceRepos=["*"]), project(), "wildcard"),
    (
        "argocd-project-sources",
        PROJECT,
        project(sourceRepos=["https://github.com/evil/x"]),
        project(sourceRepos=["https://github.com/acme/x"]),
        "outside the allowed",
    ),
    (
        "argocd-project-destinations",
        PROJECT,
        project(destinations=[{"server": "*", "namespace": "team"}]),
        project(),
        "every cluster",
    ),
    (
        "argocd-project-destinations",
        PROJECT,
        project(destinations=[{"server": "https://kubernetes.default.svc", "namespace": "argocd"}]),
        project(),
        "Argo CD namespace",
    ),
    (
        "argocd-project-destinations",
        PROJECT,
        project(destinations=[{"server": "https://kubernetes.default.svc", "namespace": "kube-system"}]),
        project(),
        "cluster itself",
    ),
    (
        "argocd-project-cluster-resources",
        PROJECT,
        project(clusterResourceWhitelist=[{"group": "*", "kind": "*"}]),
        project(),
        "must be empty",
    ),
    (
        "argocd-project-cluster-resources",
        PROJECT,
        project(namespaceResourceBlacklist=[]),
        project(),
        "platform-owned kinds",
    ),
    (
        "argocd-project-roles",
        PROJECT,
        project(
            roles=[{"name": "dev", "groups": ["g"], "policies": ["p, proj:team:dev, applications, sync, */*, allow"]}]
        ),
        project(),
        "outside team/*",
    ),
    (
        "argocd-project-roles",
        PROJECT,
        project(roles=[{"name": "-dev", "groups": ["a,b"], "policies": []}]),
        project(),
        "does not match",
    ),
    ("argocd-application-project", APP, application("default"), application(), "'default' project"),
]


def revisions(*sources: dict[str, Any]) -> dict[str, Any]:
    """An Application with one source, or several (multi-source) when given more than one."""
    app = application()
    if len(sources) == 1:
        app["spec"]["source"] = {"repoURL": "https://github.com/acme/team-deploy", "path": "p", **sources[0]}
    else:
        del app["spec"]["source"]
        app["spec"]["sources"] = [{"repoURL": "https://github.com/acme/team-deploy", **s} for s in sources]
    return app


SHA = "0123456789abcdef0123456789abcdef01234567"


def sync_options(*options: str) -> dict[str, Any]:
    app = application()
    app["spec"]["syncPolicy"] = {"syncOptions": list(options), "automated": {"prune": False, "selfHeal": True}}
    return app


RESOURCE_CASES += [
    (
        "argocd-sync-options",
        APP,
        sync_options("CreateNamespace=false", "ServerSideAply=true"),
        sync_options("CreateNamespace=false", "ServerSideApply=true"),
        "not an Argo CD sync option",
    ),
    (
        "argocd-sync-options",
        APP,
        sync_options("CreateNamespace=true"),
        sync_options("CreateNamespace=false"),
        "namespaces are the platform's",
    ),
    ("argocd-sync-options", APP, sync_options("Delete=false"), sync_options("Delete=confirm"), "unmanaged"),
    ("argocd-sync-options", APP, sync_options("Validate=false"), sync_options("Validate=true"), "in production"),
    (
        "argocd-sync-options",
        APP,
        sync_options("Replace=true", "ServerSideApply=true"),
        sync_options("Replace=true", "PruneLast=true"),
        "Replace win",
    ),
    ("argocd-sync-options", APP, sync_options("Force=true"), sync_options("PruneLast=true"), "resource annotation"),
]
RESOURCE_CASES += [
    (
        "argocd-revision-pinned",
        APP,
        revisions({"targetRevision": "main"}),
        revisions({"targetRevision": SHA}),
        "branch",
    ),
    ("argocd-revision-pinned", APP, revisions({}), revisions({"targetRevision": "v2.14.0"}), "HEAD follows"),
    (
        "argocd-revision-pinned",
        APP,
        revisions({"targetRevision": SHA[:12]}),
        revisions({"targetRevision": "refs/tags/release-2026-11"}),
        "short commit SHA",
    ),
    (
        "argocd-revision-pinned",
        APP,
        revisions({"path": "a", "targetRevision": "1.2.3"}, {"path": "b", "targetRevision": "release/1.2"}),
        revisions({"path": "a", "targetRevision": "1.2.3"}, {"chart": "redis", "targetRevision": "18.*"}),
        "sources[1].targetRevision",
    ),
]

RESOURCE_CASES += [
    (
        "argocd-project-sources",
        PROJECT,
        project(sourceRepos=["https://github.com/acme/../evil/x"]),
        project(sourceRepos=["https://github.com/acme/x.git"]),
        "'..'",
    ),
    (
        "iam-no-wildcard-resource",
        POLICY,
        {"policy": doc(allow("s3:GetObject", "arn:aws:s3:::*"))},
        {"policy": doc(allow("s3:GetObject", "arn:aws:s3:::b/*"))},
        "every resource",
    ),
]

# Review findings: legal shapes that must pass, near misses that must fail.
IRSA_LISTS = {
    **IRSA_OK,
    "Condition": {
        "StringEquals": {f"{ISSUER}:sub": ["system:serviceaccount:team:app"], f"{ISSUER}:aud": ["sts.amazonaws.com"]}
    },
}
RESOURCE_CASES += [
    (
        "iam-trust-pinned",
        ROLE,
        trust(
            {
                **IRSA_OK,
                "Condition": {
                    "StringEquals": {
                        f"{ISSUER}:sub": "system:serviceaccountX:team:app",
                        f"{ISSUER}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ),
        trust(IRSA_LISTS),
        ":sub",
    ),
    (
        "k8s-view-no-secrets",
        K_ROLE,
        k8s_role([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}], name="read-only"),
        k8s_role([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}], name="thread-editor"),
        "read secrets",
    ),
    (
        "k8s-no-power-bindings",
        K_CRB,
        {k: v for k, v in binding("ClusterRoleBinding", "ClusterRole", "admin").items() if k != "kind"},
        binding("RoleBinding", "ClusterRole", "admin"),
        "cluster-wide",
    ),
]

# (rule id, failing resources, passing resources, phrase) as (type, name, props) lists.
Stack = list[tuple[str, str, dict[str, Any]]]


def _guards(ns: str, deny: bool = True) -> Stack:
    policy_spec = (
        {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        if deny
        else {"podSelector": {"matchLabels": {"a": "b"}}, "policyTypes": ["Ingress"]}
    )
    return [
        (
            "kubernetes:core/v1:ResourceQuota",
            f"{ns}/q",
            {"metadata": {"name": "q", "namespace": ns}, "spec": {"hard": {"pods": "10"}}},
        ),
        (
            "kubernetes:core/v1:LimitRange",
            f"{ns}/l",
            {"metadata": {"name": "l", "namespace": ns}, "spec": {"limits": []}},
        ),
        (
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            f"{ns}/n",
            {"metadata": {"name": "n", "namespace": ns}, "spec": policy_spec},
        ),
    ]


STACK_CASES: list[tuple[str, Stack, Stack, str]] = [
    (
        "k8s-namespace-guards",
        [(K_NS, "team", namespace()), *_guards("team", deny=False)],
        [(K_NS, "team", namespace()), *_guards("team")],
        "default-deny NetworkPolicy",
    ),
    (
        "k8s-namespace-guards",
        [(K_NS, "team", namespace()), *_guards("other")],
        [(K_NS, "kube-system", namespace(name="kube-system"))],
        "ResourceQuota",
    ),
    (
        "argocd-application-destinations",
        [(PROJECT, "argocd/team", project()), (APP, "argocd/team-app", application(ns="other"))],
        [(PROJECT, "argocd/team", project()), (APP, "argocd/team-app", application())],
        "outside the destinations",
    ),
    (
        "argocd-application-destinations",
        [
            (PROJECT, "argocd/team", project()),
            (APP, "argocd/team-app", application(repo="https://github.com/acme/other")),
        ],
        [(APP, "argocd/team-app", application(project_name="elsewhere", ns="elsewhere"))],
        "sourceRepos",
    ),
    (
        "argocd-application-destinations",
        [(APP, "argocd/team-app", application(project_name="elsewhere", ns="argocd"))],
        [(APP, "argocd/team-app", application(project_name="elsewhere", ns="elsewhere-jobs"))],
        "Argo CD namespace",
    ),
]

_MULTI = application()
STACK_CASES += [
    (
        "argocd-application-destinations",
        [
            (PROJECT, "argocd/team", project()),
            (
                APP,
                "argocd/team-app",
                {**_MULTI, "spec": {**_MULTI["spec"], "sources": [{"repoURL": "https://evil.example/x", "path": "p"}]}},
            ),
        ],
        [
            (PROJECT, "argocd/team", project()),
            (
                APP,
                "argocd/team-app",
                {
                    **_MULTI,
                    "spec": {
                        **_MULTI["spec"],
                        "sources": [{"repoURL": "https://github.com/acme/team-deploy", "path": "q"}],
                    },
                },
            ),
        ],
        "https://evil.example/x",
    ),
]

RESOURCE_CASES += [
    (
        "iam-no-admin-policy",
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        {
            "roleName": "r",
            "policyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AdministratorAccess"],
        },
        {"roleName": "r", "policyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]},
        "administrator",
    ),
]

# Issue 9: control-plane actions, resource ownership, the managed-policy allow-list.
CLUSTER = "arn:aws:eks:eu-west-1:111111111111:cluster/team-sandbox"
RESOURCE_CASES += [
    (
        "iam-no-control-plane",
        POLICY,
        {"policy": doc(allow(["eks:CreateAccessEntry", "eks:AssociateAccessPolicy"], CLUSTER))},
        {"policy": doc(allow("eks:DescribeCluster", CLUSTER))},
        "EKS control plane",
    ),
    (
        "iam-no-control-plane",
        ROLE_POLICY,
        {"policy": json.dumps(doc(allow("ssm:SendCommand", "arn:aws:ec2:eu-west-1:111111111111:instance/i-0abc")))},
        {"policy": json.dumps(doc(allow("ssm:GetParameter", "arn:aws:s3:::bucket/x")))},
        "whatever its access level",
    ),
    (
        "iam-resource-ownership",
        POLICY,
        {"policy": doc(allow("s3:GetObject", "arn:aws:s3:::other-team/*"))},
        {"policy": doc(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))},
        "neither owned",
    ),
    (
        "iam-resource-ownership",
        ROLE,
        {"inlinePolicies": [{"name": "p", "policy": json.dumps(doc(allow("s3:GetObject", "arn:aws:s3:::b*")))}]},
        {
            "inlinePolicies": [
                {"name": "p", "policy": json.dumps(doc(allow("s3:GetObject", "arn:aws:s3:::bucket/logs/*")))}
            ]
        },
        "after an owned prefix",
    ),
    (
        "iam-managed-policy-allow-list",
        ATTACH,
        {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"},
        {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"},
        "allow-list",
    ),
    (
        "iam-managed-policy-allow-list",
        ROLE,
        {"name": "r", "managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]},
        {
            "name": "r",
            "managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
            "permissionsBoundary": "arn:aws:iam::111111111111:policy/boundary",
        },
        "permissions boundary",
    ),
]

# Issue 9: what a hostile team member or a hostile other stack tries; one case per rule here,
# the full table of attacks and neighbours in tests/test_trust_boundaries.py.
K_NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
K_SVC = "kubernetes:core/v1:Service"
K_ING = "kubernetes:networking.k8s.io/v1:Ingress"
APPSET = "kubernetes:argoproj.io/v1alpha1:ApplicationSet"
EKS_ENTRY = "aws:eks/accessEntry:AccessEntry"
EKS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
GITHUB = "token.actions.githubusercontent.com"
GITHUB_OK = {
    "Effect": "Allow",
    "Principal": {"Federated": f"arn:aws:iam::111111111111:oidc-provider/{GITHUB}"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {
        "StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
        "StringLike": {f"{GITHUB}:sub": "repo:acme/app-of-apps:*"},
    },
}


def subjects_binding(kind: str, *subjects: dict[str, str]) -> dict[str, Any]:
    return {**binding(kind, "ClusterRole", "view"), "subjects": list(subjects)}


def network_policy(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "n", "namespace": "team"}, "spec": {"podSelector": {}, **spec}}


def app_set(template_project: str = "team", **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "s", "namespace": "argocd"},
        "spec": {
            "generators": [{"list": {"elements": [{"env": "dev"}]}}],
            "template": {
                "metadata": {"name": "team-{{env}}"},
                "spec": {**application()["spec"], "project": template_project},
            },
            **spec,
        },
    }


RESOURCE_CASES += [
    (
        "k8s-no-endpoint-writes",
        K_ROLE,
        k8s_role([{"apiGroups": [""], "resources": ["endpoints"], "verbs": ["create", "update"]}]),
        k8s_role([{"apiGroups": [""], "resources": ["endpoints"], "verbs": ["get", "list", "watch"]}]),
        "CVE-2021-25740",
    ),
    (
        "k8s-no-system-group-bindings",
        K_CRB,
        subjects_binding("ClusterRoleBinding", {"kind": "Group", "name": "system:authenticated"}),
        subjects_binding("ClusterRoleBinding", {"kind": "Group", "name": "oidc:acme-dev-fleet-status"}),
        "system:authenticated",
    ),
    (
        "k8s-namespace-patch",
        "kubernetes:core/v1:NamespacePatch",
        {"metadata": {"name": "payments", "labels": {"app-of-apps.io/environment": "elsewhere"}}},
        {"metadata": {"name": "payments", "annotations": {"owner": "x"}}},
        "app-of-apps.io/environment",
    ),
    (
        "k8s-network-policy-open",
        K_NP,
        network_policy(ingress=[{"from": [{"namespaceSelector": {}}]}]),
        network_policy(
            ingress=[
                {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]}
            ]
        ),
        "every namespace",
    ),
    (
        "k8s-service-boundaries",
        K_SVC,
        {"metadata": {"name": "s", "namespace": "team"}, "spec": {"externalIPs": ["10.0.0.1"]}},
        {"metadata": {"name": "s", "namespace": "team"}, "spec": {"type": "ClusterIP", "ports": [{"port": 80}]}},
        "CVE-2020-8554",
    ),
    (
        "k8s-ingress-no-snippets",
        K_ING,
        {
            "metadata": {
                "name": "i",
                "annotations": {"nginx.ingress.kubernetes.io/configuration-snippet": "more_set_headers x;"},
            }
        },
        {"metadata": {"name": "i", "annotations": {"nginx.ingress.kubernetes.io/ssl-redirect": "true"}}},
        "configuration-snippet",
    ),
    (
        "argocd-cluster-no-static-credentials",
        "kubernetes:core/v1:Secret",
        {
            "metadata": {"name": "cluster-east", "labels": {"argocd.argoproj.io/secret-type": "cluster"}},
            "stringData": {
                "name": "east",
                "server": "https://east.example",
                "config": '{"bearerToken": "eyJhbGciOi", "tlsClientConfig": {"insecure": false}}',
            },
        },
        {
            "metadata": {"name": "cluster-east", "labels": {"argocd.argoproj.io/secret-type": "cluster"}},
            "stringData": {
                "name": "east",
                "server": "https://east.example",
                "config": '{"awsAuthConfig": {"clusterName": "east", "roleARN": "arn:aws:iam::111111111111:role/argocd"}, '
                '"tlsClientConfig": {"insecure": false}}',
            },
        },
        "config.bearerToken",
    ),
    (
        "argocd-applicationset-project",
        APPSET,
        app_set("default"),
        app_set("team"),
        "'default' project",
    ),
    (
        "argocd-default-project",
        PROJECT,
        {**project(), "metadata": {"name": "default", "namespace": "argocd"}},
        {
            "metadata": {"name": "default", "namespace": "argocd"},
            "spec": {"sourceRepos": [], "destinations": [], "clusterResourceWhitelist": []},
        },
        "keep it empty",
    ),
    (
        "eks-access-scoped",
        EKS_ENTRY,
        {
            "clusterName": "acme-dev",
            "principalArn": "arn:aws:iam::111111111111:role/x",
            "kubernetesGroups": ["system:masters"],
        },
        {
            "clusterName": "acme-dev",
            "principalArn": "arn:aws:iam::111111111111:role/x",
            "kubernetesGroups": ["acme-dev-team-viewer"],
        },
        "system:masters",
    ),
    (
        "iam-trust-pinned",
        ROLE,
        trust({**GITHUB_OK, "Condition": {**GITHUB_OK["Condition"], "StringLike": {f"{GITHUB}:sub": "repo:acme/*"}}}),
        trust(GITHUB_OK),
        "one repository",
    ),
    (
        "iam-trust-pinned",
        ROLE,
        trust({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"}),
        trust(
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/ci"}, "Action": "sts:AssumeRole"}
        ),
        "account 999999999999",
    ),
]

VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
VAP_BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"
FLEET_LABELS = {"app.kubernetes.io/part-of": "acme", "app-of-apps.io/environment": "dev"}


def admission_binding(*actions: str) -> dict[str, Any]:
    return {
        "metadata": {"name": "acme-dev-namespace-boundaries"},
        "spec": {
            "policyName": "acme-dev-namespace-boundaries",
            "validationActions": list(actions),
            "matchResources": {"namespaceSelector": {"matchLabels": FLEET_LABELS}},
        },
    }


def trusting(namespace_name: str, *names: str) -> dict[str, Any]:
    selector = {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": list(names)}]}
    return {
        "metadata": {"name": "fleet-default-deny", "namespace": namespace_name},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": selector}]}],
        },
    }


RESOURCE_CASES += [
    ("k8s-admission-boundaries", VAP_BINDING, admission_binding("Warn"), admission_binding("Deny", "Audit"), "deny"),
    (
        "k8s-admission-boundaries",
        f"{VAP_BINDING}Patch",
        {"metadata": {"name": "acme-dev-namespace-boundaries"}, "spec": {"validationActions": ["Audit"]}},
        {"metadata": {"name": "team-audit"}, "spec": {"validationActions": ["Audit"]}},
        "only the fleet program",
    ),
    (
        "k8s-view-no-secrets",
        K_CLUSTER_ROLE,
        k8s_role(
            [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}],
            name="extras",
            labels={"rbac.authorization.k8s.io/aggregate-to-view": "true"},
        ),
        k8s_role(
            [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}],
            name="extras",
            labels={"rbac.authorization.k8s.io/aggregate-to-view": "true"},
        ),
        "read secrets",
    ),
]

K_NP_TYPE = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RESOURCE_CASES += [
    (
        "k8s-network-policy-open",
        K_NP_TYPE,
        trusting("team", "payments"),
        trusting("team", "ingress-nginx", "monitoring", "team"),
        "'payments' by name",
    ),
    (
        "k8s-network-policy-open",
        f"{K_NP_TYPE}Patch",
        trusting("team", "team-jobs"),
        {
            "metadata": {"name": "n", "namespace": "team"},
            "spec": {
                "ingress": [
                    {"from": [{"namespaceSelector": {"matchLabels": {"app-of-apps.io/team": "t", **FLEET_LABELS}}}]}
                ]
            },
        },
        "'team-jobs' by name",
    ),
]

STACK_CASES += [
    (
        "argocd-application-destinations",
        [
            (
                "kubernetes:argoproj.io/v1alpha1:ApplicationPatch",
                "argocd/team-app",
                {"metadata": {"name": "team-app"}, "spec": {"destination": {"namespace": "kube-system"}}},
            )
        ],
        [
            (
                "kubernetes:argoproj.io/v1alpha1:ApplicationPatch",
                "argocd/team-app",
                {"metadata": {"name": "team-app"}, "spec": {"destination": {"namespace": "team"}}},
            )
        ],
        "cluster itself",
    ),
]


def _sources(*sources: dict[str, Any]) -> dict[str, Any]:
    """A multi-source Application of the team, chart + values repo."""
    app = application()
    spec = {k: v for k, v in app["spec"].items() if k != "source"}
    return {**app, "spec": {**spec, "sources": list(sources)}}


_CHART = {"repoURL": "https://github.com/acme/charts", "chart": "web", "targetRevision": "1.2.3"}
_VALUES = {"repoURL": "https://github.com/acme/team-config", "targetRevision": "v1", "ref": "values"}
RESOURCE_CASES += [
    (
        "argocd-application-sources",
        APP,
        _sources(_CHART, {**_VALUES, "repoURL": "https://github.com/evil/config"}),
        _sources(_CHART, _VALUES),
        "sources[1].repoURL 'https://github.com/evil/config' is outside the allowed repositories",
    ),
    (
        "argocd-application-sources",
        APP,
        _sources({**_CHART, "helm": {"valueFiles": ["../../etc/values.yaml"]}}, _VALUES),
        _sources({**_CHART, "helm": {"valueFiles": ["values.yaml", "$values/web/prod.yaml"]}}, _VALUES),
        "sources[0].helm.valueFiles: '../../etc/values.yaml' must be a relative path",
    ),
    (
        "argocd-application-sources",
        APP,
        _sources({**_CHART, "helm": {"valueFiles": ["$other/prod.yaml"]}}, _VALUES),
        _sources({**_CHART, "helm": {"valueFiles": ["$values/prod.yaml"]}}, _VALUES),
        "names $other, not a ref of this app's sources",
    ),
    (
        "argocd-application-sources",
        APP,
        _sources({**_CHART, "helm": {"valuesObject": {"namespaceOverride": "kube-system"}}}),
        _sources({**_CHART, "helm": {"valuesObject": {"namespaceOverride": "team"}}}),
        "namespaceOverride='kube-system' moves objects out of the app's namespace 'team'",
    ),
    (
        "argocd-application-sources",
        APP,
        _sources({**_CHART, "helm": {"values": "global:\n  namespace: argocd\n"}}),
        _sources({**_CHART, "helm": {"values": "global:\n  namespace: team\n"}}),
        "global.namespace='argocd'",
    ),
    (
        "argocd-application-sources",
        APP,
        {
            **application(),
            "spec": {**application()["spec"], "source": {"repoURL": "https://github.com/acme/x", "path": "/etc"}},
        },
        application(),
        "source.path: '/etc' must be a relative path",
    ),
    (
        "argocd-project-sources",
        PROJECT,
        project(sourceRepos=["oci://registry-1.docker.io/bitnamicharts"]),
        project(sourceRepos=["https://github.com/acme/x"]),
        "outside the allowed",
    ),
]


def rbac_cm(data: dict[str, str], name: str = "argocd-rbac-cm") -> dict[str, Any]:
    """Argo CD's argocd-rbac-cm as a ConfigMap or ConfigMapPatch declares it."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "argocd"}, "data": data}


K_CM_PATCH = "kubernetes:core/v1:ConfigMapPatch"
RESOURCE_CASES += [
    (
        "argocd-rbac-default-deny",
        K_CM_PATCH,
        rbac_cm({"policy.default": "role:readonly"}),
        rbac_cm({"policy.default": "", "scopes": "[groups]"}),
        "policy.default 'role:readonly' grants every logged-in user",
    ),
    (
        "argocd-rbac-default-deny",
        "kubernetes:core/v1:ConfigMap",
        rbac_cm({"policy.default": "role:admin", "policy.csv": ""}),
        rbac_cm({"policy.default": "role:admin"}, name="some-app-config"),  # not Argo CD's
        "leave it empty (deny)",
    ),
]
STACK_CASES += [
    (
        "argocd-rbac-no-cross-project",
        [
            (PROJECT, "argocd/team", project()),
            (K_CM_PATCH, "argocd/argocd-rbac-cm", rbac_cm({"policy.csv": "g, acme-dev-team-dev, role:readonly\n"})),
        ],
        [
            (PROJECT, "argocd/team", project()),
            (K_CM_PATCH, "argocd/argocd-rbac-cm", rbac_cm({"policy.csv": "g, acme-platform, role:admin\n"})),
        ],
        "team group acme-dev-team-dev applications get on */* through role:readonly",
    ),
    (
        "argocd-rbac-no-cross-project",
        [
            (PROJECT, "argocd/team", project()),
            (
                "kubernetes:core/v1:ConfigMap",
                "argocd/argocd-rbac-cm",
                rbac_cm({"policy.csv": "p, role:ops, applications, *, */*, allow\ng, acme-dev-team-dev, role:ops\n"}),
            ),
        ],
        [
            (PROJECT, "argocd/team", project()),
            (
                "kubernetes:core/v1:ConfigMap",
                "argocd/argocd-rbac-cm",
                rbac_cm(
                    {"policy.csv": "p, role:ops, applications, *, team/*, allow\ng, acme-dev-team-dev, role:ops\n"}
                ),
            ),
        ],
        "applications * on */* through role:ops",
    ),
]


# --- issue 21: namespaces carry their team's ownership -------------------------------------------
def _team_namespace(name: str, team: str = "team") -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": {**POD_SECURITY_LABELS, "app-of-apps.io/team": team}}}


POD_SECURITY_LABELS = {
    f"pod-security.kubernetes.io/{m}{s}": v
    for m in ("enforce", "audit", "warn")
    for s, v in (("", "restricted"), ("-version", "v1.31"))
}

RESOURCE_CASES += [
    (
        "k8s-namespace-ownership",
        "kubernetes:core/v1:Namespace",
        _team_namespace("gpu-operator"),
        _team_namespace("team-gpu"),
        "carries no ownership of team 'team'",
    ),
    (
        "argocd-project-destinations",
        PROJECT,
        project(destinations=[{"server": "https://kubernetes.default.svc", "namespace": "payments"}]),
        project(destinations=[{"server": "https://kubernetes.default.svc", "namespace": "team-jobs"}]),
        "carries no ownership of team 'team'",
    ),
]
STACK_CASES += [
    (
        "argocd-application-destinations",
        [(APP, "argocd/team-app", application(project_name="elsewhere", ns="payments"))],
        [(APP, "argocd/team-app", application(project_name="elsewhere", ns="elsewhere"))],
        "carries no ownership of team 'elsewhere'",
    ),
]


# --- issue 21: ExternalName targets the platform allows; hosts the team owns ---------------------
def _ingress(host: str | None, namespace: str = "team") -> dict[str, Any]:
    rule: dict[str, Any] = {"http": {"paths": [{"path": "/", "pathType": "Prefix"}]}}
    if host is not None:
        rule["host"] = host
    return {"metadata": {"name": "i", "namespace": namespace}, "spec": {"rules": [rule]}}


RESOURCE_CASES += [
    (
        "k8s-service-boundaries",
        K_SVC,
        {"metadata": {"name": "s", "namespace": "team"}, "spec": {"type": "ExternalName", "externalName": "a.example"}},
        {
            "metadata": {"name": "s", "namespace": "team"},
            "spec": {"type": "ExternalName", "externalName": "db.prod.acme.example"},
        },
        "external host the platform allows",
    ),
    (
        "k8s-host-ownership",
        K_ING,
        _ingress("checkout.payments.apps.acme.example"),
        _ingress("web.team.apps.acme.example"),
        "a team claims only hosts under its own domain",
    ),
    ("k8s-host-ownership", K_ING, _ingress(None), _ingress("team.apps.acme.example"), "names no host"),
    (
        "k8s-host-ownership",
        "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
        {"metadata": {"name": "r", "namespace": "team"}, "spec": {"parentRefs": [{"name": "shared"}]}},
        {
            "metadata": {"name": "r", "namespace": "team"},
            "spec": {"parentRefs": [{"name": "shared"}], "hostnames": ["api.team.apps.acme.example"]},
        },
        "every host of its Gateway",
    ),
]

RESOURCE_CASES += [
    (
        "k8s-quota-ceiling",
        "kubernetes:core/v1:ResourceQuotaPatch",
        {"metadata": {"name": "quota", "namespace": "team"}, "spec": {"hard": {"requests.cpu": "512"}}},
        {"metadata": {"name": "quota", "namespace": "team"}, "spec": {"hard": {"requests.cpu": "8", "pods": "100"}}},
        "above the platform's ceiling",
    ),
]


# --- issue 21, class 7: what the pack judges in any stack ----------------------------------------
def _user_binding(role: str, subject_kind: str = "User") -> dict[str, Any]:
    body = binding("ClusterRoleBinding", "ClusterRole", role)
    subject: dict[str, Any] = {"kind": subject_kind, "name": "mallory"}
    if subject_kind == "ServiceAccount":
        subject["namespace"] = "team"
    else:
        subject["apiGroup"] = "rbac.authorization.k8s.io"
    return {**body, "subjects": [subject]}


def _in_namespace(kind: str, namespace: str) -> dict[str, Any]:
    body = binding(kind, "Role", "app-operator")
    return {**body, "metadata": {"name": "b", "namespace": namespace}}


def _cluster_role(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "r"},
        "rules": rules,
    }


def _external_secret(namespace: str = "team", team: str | None = "team", **spec: Any) -> dict[str, Any]:
    labels = {"app-of-apps.io/team": team} if team else {}
    body = {
        "secretStoreRef": {"kind": "ClusterSecretStore", "name": "platform-secrets"},
        "data": [{"secretKey": "k", "remoteRef": {"key": "acme/dev/team/db"}}],
        **spec,
    }
    return {"metadata": {"name": "e", "namespace": namespace, "labels": labels}, "spec": body}


ES = "kubernetes:external-secrets.io/v1:ExternalSecret"
RESOURCE_CASES += [
    (
        "k8s-no-builtin-cluster-bindings",
        K_CRB,
        _user_binding("view"),
        binding("RoleBinding", "ClusterRole", "view"),
        "every namespace",
    ),
    (
        "k8s-no-builtin-cluster-bindings",
        K_CRB,
        _user_binding("edit", "ServiceAccount"),
        _user_binding("acme-dev-fleet-status"),
        "ServiceAccount",
    ),
    (
        "k8s-binding-namespace",
        K_RB,
        _in_namespace("RoleBinding", "kube-system"),
        _in_namespace("RoleBinding", "team"),
        "cluster itself",
    ),
    (
        "k8s-rbac-node-and-token-access",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        _cluster_role([{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}]),
        _cluster_role([{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list"]}]),
        "kubelet",
    ),
    (
        "k8s-rbac-node-and-token-access",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        _cluster_role([{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]),
        k8s_role([{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]),
        "ClusterRole",
    ),
    (
        "k8s-helm-release-opaque",
        "kubernetes:helm.sh/v3:Release",
        {"chart": "redis", "namespace": "team"},
        ("kubernetes:helm.sh/v4:Chart", {"chart": "redis", "namespace": "team"}),
        "v4:Chart",
    ),
    (
        "k8s-external-secret-scoped",
        ES,
        _external_secret(dataFrom=[{"find": {"name": {"regexp": ".*"}}}]),
        _external_secret(),
        "whole store",
    ),
    (
        "iam-no-users",
        "aws:iam/accessKey:AccessKey",
        {"user": "ci"},
        (
            ROLE,
            {
                "name": "ci",
                "assumeRolePolicy": "{}",
                "permissionsBoundary": "arn:aws:iam::111111111111:policy/fleet-boundary",
            },
        ),
        "long-lived",
    ),
    (
        "iam-permissions-boundary",
        ROLE,
        {"name": "r", "assumeRolePolicy": "{}"},
        {
            "name": "r",
            "assumeRolePolicy": "{}",
            "permissionsBoundary": "arn:aws:iam::111111111111:policy/fleet-boundary",
        },
        "not one of the platform's boundaries",
    ),
]


# --- issue 21, class 7 (round 2): a team's stack stays in its namespaces; the store's keys are owned
def _config_map(namespace: str) -> dict[str, Any]:
    return {"metadata": {"name": "argocd-rbac-cm", "namespace": namespace}, "data": {"policy.csv": ""}}


RESOURCE_CASES += [
    (
        "k8s-team-stack-namespace",
        "kubernetes:core/v1:ConfigMapPatch",
        _config_map("argocd"),
        _config_map("team-jobs"),
        "metadata.namespace: team 'team''s stack writing into the Argo CD namespace",
    ),
    (
        "k8s-team-stack-namespace",
        "kubernetes:helm.sh/v4:Chart",
        {"chart": "redis", "namespace": "teamx"},
        {"chart": "redis", "namespace": "team"},
        "namespace: team 'team''s stack writing outside its namespaces",
    ),
    (
        "k8s-team-stack-namespace",
        APP,
        {**application(), "metadata": {"name": "a", "namespace": "kube-system"}},
        application(),  # Argo CD's own kinds live in its namespace
        "belongs to the cluster itself",
    ),
    (
        "k8s-no-builtin-cluster-bindings",
        K_CRB,
        binding("ClusterRoleBinding", "ClusterRole", "view"),
        binding("ClusterRoleBinding", "ClusterRole", "acme-dev-fleet-status"),
        "subjects[0] (Group oidc:team-devs)",
    ),
    (
        "k8s-external-secret-scoped",
        ES,
        _external_secret(data=[{"secretKey": "k", "remoteRef": {"key": "acme/dev/payments/team"}}]),
        _external_secret(data=[{"secretKey": "k", "remoteRef": {"key": "acme/dev/team/payments"}}]),
        "spec.data[0].remoteRef.key 'acme/dev/payments/team' is not under 'acme/dev/team/'",
    ),
    (
        "k8s-external-secret-scoped",
        ES,
        _external_secret(data=[{"secretKey": "k", "remoteRef": {"key": "acme/dev/team/../payments"}}]),
        _external_secret(data=[{"secretKey": "k", "remoteRef": {"key": "acme/dev/argocd/github-app/team"}}]),
        "'..' segment",
    ),
    (
        "k8s-external-secret-scoped",
        ES,
        _external_secret(
            data=[
                {
                    "secretKey": "k",
                    "remoteRef": {"key": "acme/dev/team/db"},
                    "sourceRef": {"storeRef": {"kind": "ClusterSecretStore", "name": "other"}},
                }
            ]
        ),
        _external_secret(),
        "spec.data[0].sourceRef",
    ),
    (
        "k8s-external-secret-scoped",
        "kubernetes:external-secrets.io/v1alpha1:PushSecret",
        {
            "metadata": {"name": "p", "namespace": "team"},
            "spec": {
                "secretStoreRefs": [{"kind": "ClusterSecretStore", "name": "platform-secrets"}],
                "selector": {"secret": {"name": "s"}},
                "data": [
                    {"match": {"secretKey": "k", "remoteRef": {"remoteKey": "acme/dev/argocd/github-app/payments"}}}
                ],
            },
        },
        {
            "metadata": {"name": "p", "namespace": "team"},
            "spec": {
                "secretStoreRefs": [{"kind": "ClusterSecretStore", "name": "platform-secrets"}],
                "selector": {"secret": {"name": "s"}},
                "data": [{"match": {"secretKey": "k", "remoteRef": {"remoteKey": "acme/dev/team/exported"}}}],
            },
        },
        "spec.data[0].match.remoteRef.remoteKey",
    ),
]
