"""The whole Pulumi program under the SDK's mock engine, for both stacks."""

from __future__ import annotations

import os
from collections import Counter

import pytest

from fleet.catalog.naming import IRSA_ANNOTATION
from fleet.compiler import load
from fleet.render.layers import CASCADE_FINALIZER
from tests.conftest import ROOT, catalog_path, one_file_text, shipped
from tests.pulumi_harness import ProgramRun, run_program, write_stack_file

COMPONENTS = {"app-of-apps:index:AppOfApps", "app-of-apps:index:Team", "app-of-apps:index:ChildApp"}
PROVIDERS = {"pulumi:providers:aws", "pulumi:providers:kubernetes", "pulumi:providers:okta"}
ACCOUNTS = {"dev": "111111111111", "prod": "222222222222"}


_RUNS: dict[str, ProgramRun] = {}


def program_run(name: str) -> ProgramRun:
    if name not in _RUNS:
        os.environ["MOCK_ACCOUNT"] = ACCOUNTS[name]
        _RUNS[name] = run_program(name, {"fleet": shipped(name)})
    assert _RUNS[name].error is None, _RUNS[name].error
    return _RUNS[name]


@pytest.fixture(params=["dev", "prod"])
def stack(request: pytest.FixtureRequest) -> tuple[str, ProgramRun]:
    return request.param, program_run(request.param)


def test_counts_per_type_dev() -> None:
    os.environ["MOCK_ACCOUNT"] = ACCOUNTS["dev"]
    run = run_program("dev")  # only the stack name: the catalog defaults to stacks/dev/ (else stacks/dev.yaml)
    assert run.error is None, run.error
    counts = run.count()
    expected = {
        "app-of-apps:index:AppOfApps": 1,
        "app-of-apps:index:Team": 3,
        "app-of-apps:index:ChildApp": 9,
        "okta:group/group:Group": 12,  # 3 teams x 4 personas
        "okta:group/rule:Rule": 6,  # one per members entry
        "aws:iam/role:Role": 4,  # apps with an aws block; no SAML in dev
        "aws:iam/rolePolicy:RolePolicy": 4,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
        "aws:eks/podIdentityAssociation:PodIdentityAssociation": 4,
        "kubernetes:core/v1:Namespace": 4,
        "kubernetes:core/v1:ResourceQuota": 4,
        "kubernetes:core/v1:LimitRange": 4,
        "kubernetes:networking.k8s.io/v1:NetworkPolicy": 4,
        "kubernetes:rbac.authorization.k8s.io/v1:Role": 16 + 1,  # 4 namespaces x 4 personas, fleet-status in argocd
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": 16 + 1,
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": 1,  # fleet-status, read-only
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": 1,
        "kubernetes:core/v1:ServiceAccount": 9,
        "kubernetes:argoproj.io/v1alpha1:AppProject": 3,
        "kubernetes:argoproj.io/v1alpha1:Application": 9,
        "kubernetes:core/v1:ConfigMapPatch": 1,  # the fleet's keys of argocd-rbac-cm
        # one admission policy and its binding for the whole fleet
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy": 1,
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding": 1,
        # payments' GitHub App: one repository credential per repository it deploys from
        "kubernetes:external-secrets.io/v1:ExternalSecret": 4,  # payments: 3 app repos + the gateway's values repo
        "pulumi:providers:aws": 1,
        "pulumi:providers:kubernetes": 1,
        "pulumi:providers:okta": 1,
    }
    assert dict(counts) == expected


def test_counts_per_type_prod() -> None:
    counts = program_run("prod").count()
    # 4 teams x 3 personas with AWS policies (admin, developer, oncall) = 12 human roles, plus 5 workload roles.
    assert counts["aws:iam/role:Role"] == 17
    assert counts["aws:iam/rolePolicyAttachment:RolePolicyAttachment"] == 12 + 1
    assert counts["aws:eks/podIdentityAssociation:PodIdentityAssociation"] == 0  # IRSA in prod
    assert counts["okta:group/group:Group"] == 16
    assert counts["okta:group/rule:Rule"] == 9
    # prod runs as two clusters: an Application per app per cluster, a namespace on each
    assert counts["kubernetes:argoproj.io/v1alpha1:Application"] == 10 * 2
    assert counts["kubernetes:core/v1:Namespace"] == 5 * 2
    assert counts["kubernetes:core/v1:Secret"] == 2  # Argo CD's cluster Secrets
    assert counts["pulumi:providers:kubernetes"] == 1 + 2  # Argo CD's cluster, then one per cluster


def test_registrations_match_the_offline_plan(stack: tuple[str, ProgramRun]) -> None:
    from fleet.render.layers import render

    name, run = stack
    state = render(load(catalog_path(name)))
    planned = Counter(f"{m.api_version}:{m.kind}" for _, m in state.placed())  # once per cluster
    registered = Counter(
        f"{r.inputs['apiVersion']}:{r.inputs['kind']}" for r in run.registrations if r.type.startswith("kubernetes:")
    )
    assert registered == planned
    assert sorted(r.inputs["name"] for r in run.of_type("aws:iam/role:Role")) == sorted(r.name for r in state.roles())
    assert sorted(r.inputs["name"] for r in run.of_type("okta:group/group:Group")) == sorted(
        g.name for g in state.groups()
    )


def test_no_default_providers(stack: tuple[str, ProgramRun]) -> None:
    name, run = stack
    explicit = {r.urn for r in run.registrations if r.type in PROVIDERS}
    # okta, aws, Argo CD's cluster; and in prod one Kubernetes provider per declared cluster
    clusters = [t.name for t in load(catalog_path(name)).targets() if t.name is not None]
    assert len(explicit) == 3 + len(clusters)
    for r in run.registrations:
        if r.custom and r.type not in PROVIDERS:
            provider_urn = r.provider.rsplit("::", 1)[0]
            assert provider_urn in explicit, (r.type, r.name, r.provider)
            package = r.type.split(":")[0]
            # A resource placed on a declared cluster goes through that cluster's provider.
            placed = r.name.rsplit("@", 1)[1] if package == "kubernetes" and "@" in r.name else None
            own = package if placed is None else f"{package}-{placed}"
            assert provider_urn.endswith(f"pulumi:providers:{package}::{own}"), (r.type, r.name, r.provider)


def test_every_resource_is_under_a_component(stack: tuple[str, ProgramRun]) -> None:
    _, run = stack
    by_urn = run.by_urn()
    for r in run.registrations:
        if r.type in PROVIDERS or r.type == "app-of-apps:index:AppOfApps":
            continue
        chain, parent = [], r.parent
        while parent in by_urn:
            chain.append(by_urn[parent].type)
            parent = by_urn[parent].parent
        assert chain, f"{r.type} {r.name} has no parent"
        assert chain[-1] == "app-of-apps:index:AppOfApps", (r.type, r.name, chain)
        assert COMPONENTS & set(chain)


def test_component_tokens_and_hierarchy(stack: tuple[str, ProgramRun]) -> None:
    _, run = stack
    by_urn = run.by_urn()
    for team in run.of_type("app-of-apps:index:Team"):
        assert by_urn[team.parent].type == "app-of-apps:index:AppOfApps"
    for app in run.of_type("app-of-apps:index:ChildApp"):
        assert by_urn[app.parent].type == "app-of-apps:index:Team"


def test_protect_flags(stack: tuple[str, ProgramRun]) -> None:
    name, run = stack
    protected = {(r.type, r.name) for r in run.registrations if r.protect}
    if name == "dev":
        assert protected == set()
        return
    groups = {g.name for g in run.of_type("okta:group/group:Group") if g.protect}
    assert "acme-prod-payments-admin" in groups
    assert not any(g.startswith("acme-prod-analytics-") for g in groups)  # decommissioning team
    assert len(groups) == 12
    roles = {r.name for r in run.of_type("aws:iam/role:Role") if r.protect}
    assert "acme-prod-payments-checkout" in roles
    assert "acme-prod-payments-legacy-invoices" not in roles  # decommissioning app
    assert not any(r.startswith("acme-prod-analytics-") for r in roles)
    namespaces = {n.name for n in run.of_type("kubernetes:core/v1:Namespace") if n.protect}
    assert namespaces == {
        f"{ns}@{cluster}"
        for ns in ("payments", "payments-jobs", "search", "identity")
        for cluster in ("eu-west", "eu-central")
    }
    kinds = {t for t, _ in protected}
    assert kinds == {"okta:group/group:Group", "aws:iam/role:Role", "kubernetes:core/v1:Namespace"}


def test_decommissioning_apps_stop_sync_and_cascade(stack: tuple[str, ProgramRun]) -> None:
    name, run = stack
    apps = {a.inputs["metadata"]["name"]: a.inputs for a in run.of_type("kubernetes:argoproj.io/v1alpha1:Application")}
    # prod's Applications carry their cluster: <team>-<app>-<cluster>, one per cluster
    suffixes = ("-eu-west", "-eu-central") if name == "prod" else ("",)
    if name == "prod":
        for retired in ("payments-legacy-invoices", "analytics-reports"):
            for suffix in suffixes:
                assert "automated" not in apps[retired + suffix]["spec"]["syncPolicy"]
                assert apps[retired + suffix]["metadata"]["finalizers"] == [CASCADE_FINALIZER]
        for suffix in suffixes:
            automated = apps[f"payments-checkout{suffix}"]["spec"]["syncPolicy"]["automated"]
            assert automated == {"prune": False, "selfHeal": True}
    retiring = (
        {app + suffix for app in ("payments-legacy-invoices", "analytics-reports") for suffix in suffixes}
        if name == "prod"
        else set()
    )
    for app_name, app in apps.items():
        if app_name not in retiring:
            assert "finalizers" not in app["metadata"], app_name  # no active app cascades
            assert "automated" in app["spec"]["syncPolicy"] or app_name.startswith("payments-settlement"), app_name
    for suffix in suffixes:  # sync: {automated: false}
        assert "automated" not in apps[f"payments-settlement{suffix}"]["spec"]["syncPolicy"]


def test_workload_identity_wiring(stack: tuple[str, ProgramRun]) -> None:
    name, run = stack
    roles = {r.inputs["name"]: r for r in run.of_type("aws:iam/role:Role")}
    accounts = ACCOUNTS[name]
    sas = {
        (s.inputs["metadata"]["namespace"], s.inputs["metadata"]["name"]): s.inputs
        for s in run.of_type("kubernetes:core/v1:ServiceAccount")
    }
    if name == "dev":
        for assoc in run.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation"):
            i = assoc.inputs
            assert i["clusterName"] == "acme-dev"
            assert (i["namespace"], i["serviceAccount"]) in sas
            assert i["roleArn"].startswith(f"arn:aws:iam::{accounts}:role/fleet/acme-dev-")
        assert all(IRSA_ANNOTATION not in s["metadata"].get("annotations", {}) for s in sas.values())
    else:
        checkout = sas[("payments", "checkout")]
        assert checkout["metadata"]["annotations"][IRSA_ANNOTATION] == (
            f"arn:aws:iam::{accounts}:role/fleet/acme-prod-payments-checkout"
        )
        assert IRSA_ANNOTATION not in sas[("payments-jobs", "settlement")]["metadata"].get("annotations", {})
    assert all(r.inputs["path"] == "/fleet/" for r in roles.values())


def test_okta_rules_target_their_group(stack: tuple[str, ProgramRun]) -> None:
    _, run = stack
    group_ids = {f"{g.name}-id" for g in run.of_type("okta:group/group:Group")}
    for rule in run.of_type("okta:group/rule:Rule"):
        assert rule.inputs["groupAssignments"] == [f"{rule.name}-id"]
        assert rule.inputs["groupAssignments"][0] in group_ids
        assert len(rule.inputs["name"]) <= 50
        assert rule.inputs["expressionType"] == "urn:okta:expression:1.0"


def test_outputs_contract(stack: tuple[str, ProgramRun]) -> None:
    name, run = stack
    fleet = run.outputs["fleet"]
    assert fleet["version"] == 1
    assert fleet["environment"] == name
    payments = fleet["teams"]["payments"]
    assert payments["argocd_project"] == "payments"
    assert payments["okta_groups"]["developer"] == f"acme-{name}-payments-developer"
    assert payments["apps"]["checkout"]["role_arn"] == (
        f"arn:aws:iam::{ACCOUNTS[name]}:role/fleet/acme-{name}-payments-checkout"
    )
    assert payments["apps"]["settlement"]["role_arn"] is None


def test_stack_name_mismatch_is_refused_before_any_registration(tmp_path) -> None:
    # A project whose prod stack file names the dev catalog.
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "dev.yaml").write_text(one_file_text("dev"))
    (tmp_path / "__main__.py").write_text((ROOT / "__main__.py").read_text())
    write_stack_file(tmp_path, "prod", fleet="stacks/dev.yaml")
    run = run_program("prod", program=tmp_path / "__main__.py")
    assert run.error is not None
    assert "does not match the stack 'prod'" in str(run.error)
    assert run.registrations == []


def test_invalid_catalog_registers_nothing(tmp_path) -> None:
    # The program in a copy of the project whose stacks/dev.yaml is invalid.
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "dev.yaml").write_text(one_file_text("dev").replace("s3:GetObject", "s3:*", 1))
    (tmp_path / "__main__.py").write_text((ROOT / "__main__.py").read_text())
    write_stack_file(tmp_path, "dev", fleet="stacks/dev.yaml")
    run = run_program("dev", program=tmp_path / "__main__.py")
    assert run.error is not None
    assert "problem(s) in the catalog; nothing was deployed" in str(run.error)
    assert run.registrations == []


@pytest.mark.parametrize("where", ["absolute", "parent", "link"])
def test_a_catalog_outside_stacks_is_refused_before_any_registration(tmp_path, where: str) -> None:
    """app-of-apps:fleet may name only a reviewed catalog: a file inside the project's stacks/."""
    (tmp_path / "project" / "stacks").mkdir(parents=True)
    outside = tmp_path / "dev.yaml"
    outside.write_text(one_file_text("dev"))
    (tmp_path / "project" / "__main__.py").write_text((ROOT / "__main__.py").read_text())
    (tmp_path / "project" / "stacks" / "link.yaml").symlink_to(outside)
    value = {"absolute": str(outside), "parent": "../dev.yaml", "link": "stacks/link.yaml"}[where]
    write_stack_file(tmp_path / "project", "dev", fleet=value)
    run = run_program("dev", program=tmp_path / "project" / "__main__.py")
    assert run.error is not None
    assert "[pipeline-catalog-in-stacks]" in str(run.error)
    assert run.registrations == []


def test_stack_files_disable_default_providers() -> None:
    import yaml

    for name in ("dev", "prod"):
        config = yaml.safe_load((ROOT / f"Pulumi.{name}.yaml").read_text())["config"]
        assert config["pulumi:disable-default-providers"] == ["*"]
        assert config["app-of-apps:fleet"] == shipped(name)
        assert "oktaApiToken" not in str(config)
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "app-of-apps"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"


def test_aws_provider_pins_the_account(stack: tuple[str, ProgramRun]) -> None:
    name, run = stack
    (provider,) = run.of_type("pulumi:providers:aws")
    assert provider.inputs["allowedAccountIds"] == f'["{ACCOUNTS[name]}"]' or provider.inputs["allowedAccountIds"] == [
        ACCOUNTS[name]
    ]
    assert provider.inputs["region"] == "eu-west-1"


def test_retain_on_delete_unless_decommissioning(stack: tuple[str, ProgramRun]) -> None:
    name, run = stack
    retained = {(r.type, r.name) for r in run.registrations if r.retain_on_delete}
    kinds = {t for t, _ in retained}
    assert kinds == {
        "okta:group/group:Group",
        "aws:iam/role:Role",
        "kubernetes:core/v1:Namespace",
        # a retained namespace keeps its guards and RBAC
        "kubernetes:core/v1:ResourceQuota",
        "kubernetes:core/v1:LimitRange",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    }
    namespaces = {n for t, n in retained if t == "kubernetes:core/v1:Namespace"}
    if name == "prod":
        assert namespaces == {  # on each cluster; not analytics
            f"{ns}@{cluster}"
            for ns in ("payments", "payments-jobs", "search", "identity")
            for cluster in ("eu-west", "eu-central")
        }
        roles = {n for t, n in retained if t == "aws:iam/role:Role"}
        assert "acme-prod-payments-checkout" in roles
        assert "acme-prod-payments-legacy-invoices" not in roles
        assert not any(n.startswith("acme-prod-analytics-") for t, n in retained)
    else:
        assert namespaces == {"payments", "payments-jobs", "search", "identity"}
        assert len([1 for t, _ in retained if t == "okta:group/group:Group"]) == 12


def test_moved_resources_alias_their_former_parent(stack: tuple[str, ProgramRun]) -> None:
    """Policies and rules moved from under their role/group (7c8a043) keep their old URN."""
    _, run = stack
    roles = {r.name: r.urn for r in run.of_type("aws:iam/role:Role")}
    groups = {g.name: g.urn for g in run.of_type("okta:group/group:Group")}
    moved = [
        *[(p, roles[p.name]) for p in run.of_type("aws:iam/rolePolicy:RolePolicy")],
        *[(a, roles[a.inputs["role"]]) for a in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")],
        *[(rule, groups[rule.name]) for rule in run.of_type("okta:group/rule:Rule")],
    ]
    assert moved
    monitor_urn = run.registrations[0].urn.split("::")[0:2]
    for resource, former_parent in moved:
        (alias,) = resource.aliases
        assert alias.spec.parentUrn == former_parent, resource.name
        # The URN it had under its former parent: the same type and name below that parent.
        assert not alias.spec.name, "only the parent changed"
        assert not alias.spec.type, "only the parent changed"
        assert former_parent.startswith("::".join(monitor_urn))
    # Nothing else moved: no other resource names a former parent (pulumi-kubernetes adds its
    # own aliases for former API versions of a kind, which change the type only).
    moved_urns = {r.urn for r, _ in moved}
    assert all(not a.spec.parentUrn for r in run.registrations if r.urn not in moved_urns for a in r.aliases)


def test_an_okta_api_token_in_the_environment_is_refused(monkeypatch) -> None:
    """Okta only through the OAuth service app: a long-lived API token is never used."""
    monkeypatch.setenv("OKTA_API_TOKEN", "00abc")
    run = run_program("dev", {"fleet": shipped("dev")})
    assert run.error is not None
    assert "[okta-oauth-only]" in str(run.error)
    assert not run.of_type("pulumi:providers:okta")


def test_okta_is_configured_from_the_oauth_service_app() -> None:
    run = run_program(
        "dev",
        {
            "fleet": shipped("dev"),
            "oktaOrgName": "acme",
            "oktaClientId": "0oa123",
            "oktaPrivateKey": "-----BEGIN PRIVATE KEY-----",
            "oktaPrivateKeyId": "kid-1",
            "oktaScopes": '["okta.groups.manage"]',
        },
    )
    assert run.error is None, run.error
    (provider,) = run.of_type("pulumi:providers:okta")
    inputs = provider.inputs
    assert inputs["clientId"] == "0oa123"
    assert inputs["privateKeyId"] == "kid-1"
    assert "okta.groups.manage" in str(inputs["scopes"])
    assert "apiToken" not in inputs


def test_the_cyclic_collector_pauses_while_the_catalog_loads_only() -> None:
    """components.stack loads the catalog with the cyclic collector off, and leaves it as it was,
    whether the load succeeds or fails."""
    import gc

    from components.stack import _collector_paused

    assert gc.isenabled()
    with _collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), _collector_paused():
        raise RuntimeError("a catalog that cannot be read")
    assert gc.isenabled()
    gc.disable()
    try:
        with _collector_paused():
            pass
        assert not gc.isenabled()  # a collector that was off stays off
    finally:
        gc.enable()
