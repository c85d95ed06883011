"""The pure core: names, rendering, the access matrix, the plan directory and its CLI."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fleet.catalog.naming import PERSONA_LABEL, Names
from fleet.compiler import load, load_state, validate
from fleet.render.layers import CASCADE_FINALIZER, POD_SECURITY_VERSION, render
from fleet.render.state import FleetState
from fleet.reports import access, plan
from tests.conftest import BASE, ROOT, STACKS, catalog_path, shipped


def state_for(data: dict[str, Any]) -> FleetState:
    return render(validate(data, "test.yaml"))


# --- naming ---------------------------------------------------------------------------------
def test_derived_names() -> None:
    names = Names("acme", "dev", "oidc:")
    assert names.okta_group("payments", "developer") == "acme-dev-payments-developer"
    assert names.kubernetes_group("payments", "developer") == "oidc:acme-dev-payments-developer"
    assert names.workload_role("payments", "checkout") == "acme-dev-payments-checkout"
    assert Names.application("payments", "checkout") == "payments-checkout"
    assert Names.app_project("payments") == "payments"
    assert Names.role_arn("111111111111", "eu-west-1", "r") == "arn:aws:iam::111111111111:role/fleet/r"
    assert Names.role_arn("111111111111", "cn-north-1", "r").startswith("arn:aws-cn:")


def test_okta_rule_names_fit_50_characters_and_stay_unique() -> None:
    names = Names("a-very-long-organization", "production")
    short = Names("acme", "dev").okta_rule("payments", "developer")
    assert short == "acme-dev-payments-developer"
    first = names.okta_rule("customer-identity-platform", "developer")
    second = names.okta_rule("customer-identity-platform", "dev-admins")
    assert len(first) == 50
    assert len(second) == 50
    assert first != second
    assert first == names.okta_rule("customer-identity-platform", "developer")  # stable


# --- rendering ------------------------------------------------------------------------------
def test_defaults_are_applied() -> None:
    state = state_for(copy.deepcopy(BASE))
    payments = state.teams[0]
    assert payments.namespaces == ("payments",)
    namespace = payments.namespace_objects[0].obj
    labels = namespace["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == POD_SECURITY_VERSION
    assert namespace["metadata"]["annotations"]["app-of-apps.io/owners"] == "alice@acme.example"
    quota = next(m for m in payments.namespaced_objects if m.kind == "ResourceQuota").obj
    assert quota["spec"]["hard"]["requests.cpu"] == "4"
    assert quota["spec"]["hard"]["pods"] == "50"
    app = payments.apps[0].applications[0].obj
    assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert app["spec"]["source"]["targetRevision"] == "HEAD"
    assert "finalizers" not in app["metadata"]
    assert [g.persona for g in payments.groups] == ["admin", "developer", "viewer"]


def test_overrides_and_team_namespaces() -> None:
    data = copy.deepcopy(BASE)
    data["teams"][0]["namespaces"] = [
        {"name": "payments-web"},
        {"name": "payments-jobs", "pod_security": "baseline", "quota": {"cpu": 8, "memory": "16Gi", "pods": 9}},
    ]
    data["teams"][0]["apps"][0]["namespace"] = "payments-jobs"
    data["teams"][0]["apps"][0]["sync"] = {"prune": False}
    team = state_for(data).teams[0]
    jobs = next(m for m in team.namespace_objects if m.name == "payments-jobs").obj
    assert jobs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    quota = next(m for m in team.namespaced_objects if m.kind == "ResourceQuota" and m.namespace == "payments-jobs")
    assert quota.obj["spec"]["hard"]["limits.cpu"] == "8"
    app = team.apps[0]
    assert app.namespace == "payments-jobs"
    assert app.service_account.namespace == "payments-jobs"
    assert app.applications[0].obj["spec"]["destination"]["namespace"] == "payments-jobs"
    assert app.applications[0].obj["spec"]["syncPolicy"]["automated"] == {"prune": False, "selfHeal": True}
    project = team.project.obj["spec"]
    assert [d["namespace"] for d in project["destinations"]] == ["payments-web", "payments-jobs"]


def test_project_is_locked_down() -> None:
    state = state_for(copy.deepcopy(BASE))
    spec = state.teams[0].project.obj["spec"]
    assert spec["sourceRepos"] == ["https://github.com/acme/checkout-deploy"]
    assert spec["clusterResourceWhitelist"] == []
    assert {k["kind"] for k in spec["namespaceResourceBlacklist"]} >= {
        "ResourceQuota",
        "LimitRange",
        "NetworkPolicy",
        "Role",
        "RoleBinding",
    }
    assert all(
        d["namespace"] != "argocd" and d["server"] == "https://kubernetes.default.svc" for d in spec["destinations"]
    )
    developer = next(r for r in spec["roles"] if r["name"] == "developer")
    assert developer["groups"] == ["acme-dev-payments-developer"]
    assert developer["policies"] == [
        "p, proj:payments:developer, applications, get, payments/*, allow",
        "p, proj:payments:developer, applications, sync, payments/*, allow",
        "p, proj:payments:developer, logs, get, payments/*, allow",
    ]


def test_persona_templates_never_grant_rbac_or_wildcards() -> None:
    state = state_for(copy.deepcopy(BASE))
    for role in (m for m in state.manifests() if m.kind == "Role" and PERSONA_LABEL in m.obj["metadata"]["labels"]):
        for rule in role.obj["rules"]:
            assert "*" not in rule["verbs"]
            assert "*" not in rule["resources"]
            assert "*" not in rule["apiGroups"]
            assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"])
            assert "rbac.authorization.k8s.io" not in rule["apiGroups"]
        secrets = [r for r in role.obj["rules"] if "secrets" in r["resources"]]
        if role.name in ("fleet-viewer", "fleet-developer"):
            assert secrets == [], role.name
        else:
            assert secrets, role.name


def test_deletion_protection_and_decommissioning() -> None:
    data = copy.deepcopy(BASE)
    data["deletion_protection"] = True
    for team in data["teams"]:
        for app in team["apps"]:
            app["source"]["revision"] = "v1.0.0"  # pinned, as deletion protection requires
    data["teams"][0]["apps"][0]["lifecycle"] = "decommissioning"
    data["teams"][1]["lifecycle"] = "decommissioning"
    state = state_for(data)
    payments, search = state.teams
    assert all(g.protect for g in payments.groups)
    assert all(m.protect for m in payments.namespace_objects)
    retired = payments.apps[0]
    assert retired.role is not None
    assert not retired.role.protect
    assert "automated" not in retired.applications[0].obj["spec"]["syncPolicy"]
    assert retired.applications[0].obj["metadata"]["finalizers"] == [CASCADE_FINALIZER]
    assert not any(g.protect for g in search.groups)
    assert not any(m.protect for m in search.namespace_objects)
    assert search.apps[0].decommissioning
    assert not any(m.protect for m in state.manifests() if m.kind != "Namespace")


def test_without_deletion_protection_nothing_is_protected() -> None:
    state = state_for(copy.deepcopy(BASE))
    assert not any(g.protect for g in state.groups())
    assert not any(r.protect for r in state.roles())
    assert not any(m.protect for m in state.manifests())


def test_irsa_and_saml_roles() -> None:
    data = copy.deepcopy(BASE)
    provider = "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
    data["aws"].update(
        workload_identity="irsa",
        oidc_provider_arn=provider,
        saml_provider_arn="arn:aws:iam::111111111111:saml-provider/okta",
        human_permissions_boundary_arn="arn:aws:iam::111111111111:policy/human-boundary",
        allowed_managed_policy_arns=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
    )
    data["personas"] = {
        "admin": {"kubernetes": "admin", "aws_managed_policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]},
        "developer": {"kubernetes": "edit"},
    }
    state = state_for(data)
    app = state.teams[0].apps[0]
    assert app.irsa
    assert app.pod_identities == ()
    assert app.service_account.obj["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == app.role.arn
    condition = app.role.trust_policy["Statement"][0]["Condition"]["StringEquals"]
    assert condition["oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub"] == "system:serviceaccount:payments:checkout"
    humans = state.teams[0].human_roles
    assert [(h.persona, h.role.name) for h in humans] == [("admin", "acme-dev-payments-admin")]
    assert humans[0].role.managed_policy_arns == ("arn:aws:iam::aws:policy/ReadOnlyAccess",)


def test_canonical_action_spelling() -> None:
    data = copy.deepcopy(BASE)
    data["teams"][0]["apps"][0]["aws"]["statements"][0]["actions"] = ["S3:getobject", "s3:GetObject", "s3:putObject"]
    policy = state_for(data).teams[0].apps[0].role.inline_policy
    assert policy["Statement"][0]["Action"] == ["s3:GetObject", "s3:PutObject"]


# --- access ---------------------------------------------------------------------------------
def test_access_matrix_reads_the_rendered_objects() -> None:
    data = copy.deepcopy(BASE)
    data["cluster"]["oidc_groups_prefix"] = "oidc:"
    matrix = access.matrix(state_for(data))
    by_group = {g.okta_group: g for g in matrix.groups}
    viewer = by_group["acme-dev-payments-viewer"]
    developer = by_group["acme-dev-payments-developer"]
    admin = by_group["acme-dev-payments-admin"]
    assert viewer.kubernetes_group == "oidc:acme-dev-payments-viewer"
    assert viewer.kubernetes["payments"]["pods"] == ["get", "list", "watch"]
    assert "secrets" not in viewer.kubernetes["payments"]
    assert "secrets" not in developer.kubernetes["payments"]
    assert "get" in admin.kubernetes["payments"]["secrets"]
    assert developer.membership_rule == 'user.department == "Payments"'
    assert viewer.membership_rule is None
    assert developer.argocd.model_dump() == {
        "project": "payments",
        "permissions": ["applications get", "applications sync", "logs get"],
        # the effective policy: the own project only, nothing outside projects (policy.default empty)
        "projects": {"payments": ["applications get", "applications sync", "logs get"]},
        "global": [],
    }
    assert set(viewer.kubernetes) == {"payments"}  # nothing in other teams' namespaces
    assert [w.model_dump() for w in matrix.workloads] == [
        {
            "team": "payments",
            "app": "checkout",
            "namespace": "payments",
            "service_account": "checkout",
            "role_arn": "arn:aws:iam::111111111111:role/fleet/acme-dev-payments-checkout",
            "mechanism": "pod-identity",
        }
    ]


def test_access_json_is_the_matrix_model_and_reads_back_into_it() -> None:
    """access.json is the typed matrix as data: Argo CD's `global` under its own name, and the
    file read back gives the same matrix (the file's shape is the model's)."""
    matrix = access.matrix(load_state(catalog_path("dev"))[1])
    text = plan.to_json(matrix)
    data = json.loads(text)
    assert set(data) == {
        "version", "environment", "organization", "groups", "workloads", "readers", "repo_credentials", "argocd_global"
    }  # fmt: skip
    assert set(data["groups"][0]["argocd"]) == {"project", "permissions", "projects", "global"}
    assert set(data["argocd_global"]["every_user"]) == {"projects", "global"}
    assert "global_" not in text
    assert access.AccessMatrix.model_validate_json(text) == matrix
    assert plan.to_json(access.AccessMatrix.model_validate(data)) == text


def test_access_markdown_escapes_pipes_in_rules() -> None:
    data = copy.deepcopy(BASE)
    data["teams"][0]["members"]["developer"] = 'user.department == "A" || user.department == "B"'
    text = access.markdown(access.matrix(state_for(data)))
    row = next(line for line in text.splitlines() if line.startswith("| acme-dev-payments-developer"))
    assert row.count(" | ") == 6  # seven columns, the || inside the rule escaped
    assert "\\|\\|" in row


# --- plan directory and CLI -----------------------------------------------------------------
def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fleet", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_plan_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert _cli("plan", shipped("prod"), "--out", str(first)).returncode == 0
    assert _cli("plan", shipped("prod"), "--out", str(second)).returncode == 0
    assert _tree(first) == _tree(second)
    again = _cli("plan", shipped("prod"), "--out", str(first))
    assert again.returncode == 0
    assert _tree(first) == _tree(second)


def test_plan_layout(tmp_path: Path) -> None:
    result = _cli("plan", shipped("dev"), "--out", str(tmp_path / "{environment}"))
    assert result.returncode == 0, result.stderr
    out = tmp_path / "dev"
    assert "3 teams, 9 apps" in result.stdout
    assert (out / "kubernetes/_cluster/namespace-payments.yaml").is_file()
    assert (out / "kubernetes/argocd/appproject-payments.yaml").is_file()
    assert (out / "kubernetes/argocd/application-payments-checkout.yaml").is_file()
    assert (out / "kubernetes/payments/rolebinding-fleet-developer.yaml").is_file()
    role = json.loads((out / "aws/roles/acme-dev-payments-checkout.json").read_text())
    assert set(role) == {
        "name",
        "path",
        "trust_policy",
        "inline_policy",
        "managed_policy_arns",
        "permissions_boundary_arn",
        "tags",
    }
    groups = json.loads((out / "okta/groups.json").read_text())
    assert {
        "name": "acme-dev-payments-developer",
        "description": "Payments platform: developer (dev, managed by app-of-apps)",
        "rule": 'user.department == "Payments"',
    } in groups
    assert all(set(g) == {"name", "description", "rule"} for g in groups)
    assert (out / "graph.mmd").read_text().startswith("flowchart LR\n")
    assert json.loads((out / "access.json").read_text())["environment"] == "dev"
    assert (out / "access.md").read_text().startswith("# Access: acme / dev")


def test_plan_replaces_stale_files_and_keeps_others(tmp_path: Path) -> None:
    (tmp_path / "kubernetes" / "gone").mkdir(parents=True)
    (tmp_path / "kubernetes" / "gone" / "old.yaml").write_text("stale")
    (tmp_path / "notes.txt").write_text("mine")
    assert _cli("plan", shipped("dev"), "--out", str(tmp_path)).returncode == 0
    assert not (tmp_path / "kubernetes" / "gone").exists()
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_plan_files_match_the_pure_render() -> None:
    state = render(load(catalog_path("dev")))
    files = plan.files(state)
    assert len([f for f in files if f.startswith("kubernetes/")]) == len(list(state.manifests()))
    assert len([f for f in files if f.startswith("aws/roles/")]) == len(list(state.roles()))


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_access_command(fmt: str) -> None:
    result = _cli("access", shipped("prod"), "--format", fmt)
    assert result.returncode == 0, result.stderr
    if fmt == "json":
        data = json.loads(result.stdout)
        admin = next(g for g in data["groups"] if g["okta_group"] == "acme-prod-payments-admin")
        assert admin["aws_roles"] == ["arn:aws:iam::222222222222:role/fleet/acme-prod-payments-admin"]
    else:
        assert "| acme-prod-payments-admin |" in result.stdout


def test_validate_summary() -> None:
    result = _cli("validate", shipped("prod"))
    assert result.returncode == 0
    assert result.stdout == f"{shipped('prod')}: valid: 4 teams, 10 apps, 5 namespaces, 17 IAM roles\n"


def test_the_docs_list_every_guardrail() -> None:
    from fleet import guardrails

    page = (ROOT / "docs" / "reference" / "guardrails.md").read_text()
    rules = [*guardrails.RESOURCE_RULES, *guardrails.STACK_RULES, *guardrails.CATALOG_RULES]
    assert [r.id for r in rules if f"### `{r.id}`" not in page] == []


def test_attachments_of_same_named_policies_get_distinct_logical_names() -> None:
    from fleet.render.resources import desired_resources

    data = copy.deepcopy(BASE)
    data["teams"][0]["apps"][0]["aws"]["managed_policy_arns"] = [
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        "arn:aws:iam::111111111111:policy/AmazonS3ReadOnlyAccess",
    ]
    data["aws"]["allowed_managed_policy_arns"] = data["teams"][0]["apps"][0]["aws"]["managed_policy_arns"]
    data["aws"]["permissions_boundary_arn"] = "arn:aws:iam::111111111111:policy/boundary"
    names = [r.name for r in desired_resources(state_for(data)) if r.type.endswith("RolePolicyAttachment")]
    assert len(names) == 2
    assert len(set(names)) == 2


def test_human_roles_do_not_get_the_workload_boundary() -> None:
    state = render(load(catalog_path("prod")))
    humans = [h.role for t in state.teams for h in t.human_roles]
    assert humans
    assert all(r.permissions_boundary_arn.endswith(":policy/fleet-human-boundary") for r in humans)
    workloads = [a.role for t in state.teams for a in t.apps if a.role]
    assert all(r.permissions_boundary_arn.endswith(":policy/fleet-workload-boundary") for r in workloads)


def test_network_policy_denies_by_default_and_opens_what_the_catalog_says() -> None:
    data = copy.deepcopy(BASE)
    data["defaults"] = {
        "network": {"ingress_from_namespaces": ["ingress-nginx"], "egress_https_cidrs": ["10.0.0.0/16"]}
    }
    data["teams"][0]["namespaces"] = [{"name": "payments-web"}, {"name": "payments-jobs", "network": {}}]
    team = state_for(data).teams[0]
    policies = {m.namespace: m.obj["spec"] for m in team.namespaced_objects if m.kind == "NetworkPolicy"}
    pay, jobs = policies["payments-web"], policies["payments-jobs"]
    assert pay["podSelector"] == {}
    assert pay["policyTypes"] == ["Ingress", "Egress"]

    def namespaces(peers: list[dict[str, Any]]) -> set[str]:
        return {
            v for p in peers for e in p.get("namespaceSelector", {}).get("matchExpressions", []) for v in e["values"]
        }

    # Reserved namespaces by name; the team's own namespaces by the labels only the platform sets.
    assert namespaces(pay["ingress"][0]["from"]) == {"ingress-nginx"}
    assert namespaces(jobs["ingress"][0]["from"]) == set()  # its own network: {} opens nothing more
    team_labels = {
        "app.kubernetes.io/part-of": "acme",
        "app-of-apps.io/environment": "dev",
        "app-of-apps.io/team": "payments",
    }
    for policy in (pay, jobs):
        assert {"namespaceSelector": {"matchLabels": team_labels}} in policy["ingress"][0]["from"]
        assert {"to": [{"namespaceSelector": {"matchLabels": team_labels}}]} in policy["egress"]
    for namespace in team.namespace_objects:
        assert team_labels.items() <= namespace.obj["metadata"]["labels"].items()
    blocks = {b["ipBlock"]["cidr"]: rule.get("ports") for rule in pay["egress"] for b in rule["to"] if "ipBlock" in b}
    assert blocks["10.0.0.0/16"] == [{"port": 443, "protocol": "TCP"}]
    assert blocks["169.254.170.23/32"] == [{"port": 80, "protocol": "TCP"}]  # the Pod Identity agent
    jobs_blocks = {b["ipBlock"]["cidr"] for rule in jobs["egress"] for b in rule["to"] if "ipBlock" in b}
    assert jobs_blocks == {"169.254.170.23/32"}
    assert any(rule.get("ports", [{}])[0].get("port") == 53 for rule in jobs["egress"])


def test_access_names_what_running_pods_gives() -> None:
    """An auditor asking who can read secrets also gets those who can run pods."""
    matrix = access.matrix(state_for(copy.deepcopy(BASE)))
    by_group = {g.okta_group: g for g in matrix.groups}
    developer = by_group["acme-dev-payments-developer"]
    assert developer.indirect["payments"].aws_roles == [
        "arn:aws:iam::111111111111:role/fleet/acme-dev-payments-checkout"
    ]
    assert "pods" in developer.indirect["payments"].through
    assert by_group["acme-dev-payments-viewer"].indirect == {}
    assert by_group["acme-dev-search-developer"].indirect["search"].aws_roles == []
    text = access.markdown(matrix)
    row = next(line for line in text.splitlines() if line.startswith("| acme-dev-payments-developer"))
    assert "secrets: through the pods it runs" in row
    assert "acme-dev-payments-checkout (through pods)" in row


def test_yaml_emitter_round_trips_every_manifest_and_tricky_strings() -> None:
    import random
    import string

    import yaml as pyyaml

    from fleet.text.yaml_io import dump

    for path in STACKS:
        for manifest in render(load(path)).manifests():
            assert pyyaml.safe_load(dump(manifest.obj)) == manifest.obj
    rng = random.Random(20261127)
    alphabet = string.printable + "é€\u2028\u2029\x85\x7f\x9f\ufeff\U0001f600"
    words = [
        "",
        "yes",
        "No",
        "on",
        "~",
        "null",
        "1",
        "0o17",
        "1e3",
        ".inf",
        "- a",
        "a: b",
        "#x",
        "*",
        "&a",
        "!t",
        "@",
        "%",
        "<<",
        "a\n",
        " lead",
    ]
    words += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10))) for _ in range(3000)]
    doc = {"list": words, "map": {w: [w, {w: w}] for w in words if w}, "nested": [[1, [True, None]], {}, [], {"e": {}}]}
    assert pyyaml.safe_load(dump(doc)) == doc


def test_iam_action_index_is_cached_and_rebuilt_when_unusable(tmp_path, monkeypatch) -> None:
    from fleet.apis import aws_iam as iam_actions
    from fleet.io import iam_cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    iam_cache.install()
    try:
        built = iam_actions._index()
        cache_file = iam_cache.cache_file()
        assert cache_file.is_file()
        assert str(cache_file).startswith(str(tmp_path))
        iam_actions._index.cache_clear()
        assert iam_actions._index() == built  # read back from the cache
        cache_file.write_text("{not json")
        iam_actions._index.cache_clear()
        assert iam_actions._index() == built  # a broken cache is rebuilt
        assert built == iam_actions.build_index()
        assert built["s3"]["actions"]["getobject"] == ["GetObject", "Read", True]
        assert built["sts"]["actions"]["getcalleridentity"][2] is False
    finally:
        iam_actions.use_index_source(None)


def test_yaml_emitter_keeps_floats_floats() -> None:
    import math

    import yaml as pyyaml

    from fleet.text.yaml_io import dump

    values = [1.5, 1e20, 1e-7, 2.5e-300, 0.0, -2.5, 3.0, 1.7976931348623157e308, float("inf"), float("-inf")]
    assert pyyaml.safe_load(dump({"v": values})) == {"v": values}
    assert math.isnan(pyyaml.safe_load(dump({"v": float("nan")}))["v"])


def test_yaml_emitter_writes_a_string_the_same_from_its_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """fleet.text.yaml_io keeps each string's scalar (bounded): a string is written the same the
    second time, also once the cache was emptied for being full, and read back the same."""
    import yaml as pyyaml

    from fleet.text import yaml_io

    words = ["yes", "1.0", "a: b", " x", "plain-name", "\u2028", "null", "é€", "- item", "#c", "x" * 200]
    data = {word: [word, {word: word}] for word in words}
    first = yaml_io.dump(data)
    assert yaml_io.dump(data) == first
    assert pyyaml.safe_load(first) == data
    monkeypatch.setattr(yaml_io, "_STRINGS_KEPT", 3)
    yaml_io._STRINGS.clear()
    assert yaml_io.dump(data) == first
    assert len(yaml_io._STRINGS) <= 3
    assert yaml_io.scalar("yes") == '"yes"'
    assert yaml_io._scalar(True) == "true"  # never the string's "true" entry: types are kept apart
    assert yaml_io._scalar("true") == '"true"'
