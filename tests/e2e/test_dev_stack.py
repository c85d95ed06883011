"""The dev stack deployed for real: `pulumi up`, then a preview that must find nothing to do,
every planned object read back from the API server field for field, the access report judged
by the real authorizer, a team stack reading the real `fleet` output, and `pulumi destroy`.

Expectations come from the offline plan of the repository's own catalog (`fleet plan`,
`fleet access`), never from numbers written here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.apis.kubernetes import READ_VERBS
from fleet.catalog import personas
from tests.conftest import ROOT, catalog_path
from tests.e2e.engine import Workspace
from tests.e2e.kube import Kube

STACK = "dev"
CATALOG = catalog_path(STACK)  # the folder, or the one file
PROBE_USER = "e2e-probe@acme.example"
# A real member of an Okta group is also authenticated; what every authenticated user may do
# (the bootstrap policy: self-reviews, discovery) is measured, not assumed.
AUTHENTICATED = "system:authenticated"
VERBS = frozenset(READ_VERBS) | frozenset(personas.WRITE)


# --- the offline truth ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan")
    subprocess.run([sys.executable, "-m", "fleet", "plan", str(CATALOG), "--out", str(out)], check=True, cwd=ROOT)
    return out


@pytest.fixture(scope="module")
def planned_objects(plan: Path) -> list[dict[str, Any]]:
    objects = [yaml.safe_load(p.read_text()) for p in sorted((plan / "kubernetes").rglob("*.yaml"))]
    assert objects, "the plan has no Kubernetes objects"
    return objects


@pytest.fixture(scope="module")
def access(plan: Path) -> dict[str, Any]:
    return json.loads((plan / "access.json").read_text())


def namespaces_of(objects: list[dict[str, Any]]) -> list[str]:
    return sorted(o["metadata"]["name"] for o in objects if o["kind"] == "Namespace")


# --- the deployment -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dev(
    pulumi_env: dict[str, str],
    argocd_crds: list[str],
    kube: Kube,
    planned_objects: list[dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Workspace]:
    ws = Workspace.platform(tmp_path_factory.mktemp("dev") / "app-of-apps", pulumi_env)
    ws.init(STACK, {})
    try:
        ws.pulumi("up", "--yes", "--skip-preview", "--stack", STACK)
        yield ws
    finally:
        try:
            ws.remove(STACK)
        finally:  # namespaces are retained on delete (they hold workloads): removed by hand
            assert kube.delete_namespaces(namespaces_of(planned_objects)) == []


def test_a_second_preview_finds_nothing_to_do(dev: Workspace) -> None:
    dev.pulumi("preview", "--expect-no-changes", "--stack", STACK)


def mismatches(want: Any, live: Any, path: str = "") -> list[str]:
    """Where the live object differs from the planned one. The server may add fields (defaults,
    status, managedFields); every field the plan sets must be there with the same value."""
    if isinstance(want, dict):
        if not isinstance(live, dict):
            return [f"{path}: plan has a mapping, live has {live!r}"]
        out = []
        for key, value in want.items():
            out += mismatches(value, live.get(key), f"{path}.{key}") if key in live else [f"{path}.{key}: missing"]
        return out
    if isinstance(want, list):
        if not isinstance(live, list) or len(live) != len(want):
            return [f"{path}: plan {want!r}, live {live!r}"]
        return [m for i, (w, v) in enumerate(zip(want, live, strict=True)) for m in mismatches(w, v, f"{path}[{i}]")]
    return [] if want == live else [f"{path}: plan {want!r}, live {live!r}"]


def test_every_planned_object_exists_field_for_field(
    dev: Workspace, kube: Kube, planned_objects: list[dict[str, Any]]
) -> None:
    problems = []
    for obj in planned_objects:
        meta = obj["metadata"]
        path = kube.path_of(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
        live = kube.get(path)
        problems += [f"{obj['kind']} {meta.get('namespace', '')}/{meta['name']}{m}" for m in mismatches(obj, live)]
    assert problems == []


def test_the_fleet_namespaces_hold_nothing_the_plan_does_not(
    dev: Workspace, kube: Kube, planned_objects: list[dict[str, Any]]
) -> None:
    """The converse: of every kind the plan puts in a namespace, the live objects are the planned
    ones (the controller's `default` ServiceAccount aside)."""
    planned: dict[tuple[str, str, str], set[str]] = {}
    for obj in planned_objects:
        if ns := obj["metadata"].get("namespace"):
            planned.setdefault((obj["apiVersion"], obj["kind"], ns), set()).add(obj["metadata"]["name"])
    for (api_version, kind, ns), names in sorted(planned.items()):
        live = {o["metadata"]["name"] for o in kube.get(kube.path_of(api_version, kind, namespace=ns))["items"]}
        if kind == "ServiceAccount":
            live.discard("default")
        assert live == names, f"{kind} in {ns}"


# --- the access report against the real authorizer -------------------------------------------
def split_resource(key: str, api_groups: set[str]) -> tuple[str, str, str]:
    """An access-report key ('apps/deployments/scale', 'pods/exec') → (group, resource, subresource)."""
    parts = key.split("/")
    group = parts.pop(0) if len(parts) > 1 and parts[0] in api_groups else ""
    return group, parts[0], parts[1] if len(parts) > 1 else ""


def allowed(kube: Kube, groups: list[str], namespace: str, verb: str, gr: tuple[str, str, str]) -> bool:
    attributes = {"verb": verb, "group": gr[0], "resource": gr[1], "subresource": gr[2]}
    if namespace:
        attributes["namespace"] = namespace
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"user": PROBE_USER, "groups": groups, "resourceAttributes": attributes},
    }
    answer = kube.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", review)
    return bool(answer["status"].get("allowed"))


def served_resources(kube: Kube) -> tuple[set[str], list[tuple[tuple[str, str, str], bool, frozenset[str]]]]:
    """API groups, and every resource and subresource the API server serves: (group, resource,
    subresource), namespaced, the verbs it supports that a persona could hold."""
    versions = ["/api/v1"]
    groups = kube.get("/apis")["groups"]
    versions += [f"/apis/{g['preferredVersion']['groupVersion']}" for g in groups]
    out = []
    for path in versions:
        group = "" if path == "/api/v1" else path.split("/")[2]
        for r in kube.get(path)["resources"]:
            resource, _, sub = r["name"].partition("/")
            verbs = frozenset(r.get("verbs", [])) & VERBS
            out.append(((group, resource, sub), r["namespaced"], verbs))
    return {g["name"] for g in groups}, out


def test_the_access_report_is_what_the_authorizer_decides(
    dev: Workspace, kube: Kube, access: dict[str, Any], planned_objects: list[dict[str, Any]]
) -> None:
    """Every (verb, resource) the report grants a group in a namespace is allowed; every read or
    write it does not list is denied, in every fleet namespace, the Argo CD and system
    namespaces and cluster-wide, unless every authenticated user may do it anyway."""
    api_groups, served = served_resources(kube)
    namespaces = [*namespaces_of(planned_objects), "argocd", "default", "kube-system"]
    questions: list[tuple[str, str, str, tuple[str, str, str]]] = []  # (subject, ns, verb, gr)
    granted: set[tuple[str, str, str, tuple[str, str, str]]] = set()
    subjects = sorted({g["kubernetes_group"] for g in access["groups"]})
    assert subjects, "the report names no group"
    for group in access["groups"]:
        for ns, resources in group["kubernetes"].items():
            for key, verbs in resources.items():
                gr = split_resource(key, api_groups)
                granted |= {(group["kubernetes_group"], ns, verb, gr) for verb in verbs}
    for subject in [AUTHENTICATED, *subjects]:
        for gr, namespaced, verbs in served:
            for ns in namespaces if namespaced else [""]:
                questions += [(subject, ns, verb, gr) for verb in sorted(verbs)]
    questions += sorted(granted - set(questions))  # granted on something the server does not list

    def ask(q: tuple[str, str, str, tuple[str, str, str]]) -> bool:
        subject, ns, verb, gr = q
        groups = [AUTHENTICATED] if subject == AUTHENTICATED else [subject, AUTHENTICATED]
        return allowed(kube, groups, ns, verb, gr)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = dict(zip(questions, pool.map(ask, questions), strict=True))
    everybody = {(ns, verb, gr) for (s, ns, verb, gr), yes in answers.items() if s == AUTHENTICATED and yes}

    denied_but_granted = sorted(q for q in granted if not answers[q])
    allowed_not_granted = sorted(
        q for q, yes in answers.items() if yes and q[0] != AUTHENTICATED and q not in granted and q[1:] not in everybody
    )
    assert denied_but_granted == [], "the report grants what the API server denies"
    assert allowed_not_granted == [], "the API server allows what the report does not list"
    # The check had teeth: thousands of questions, writes among the denials, secrets among them.
    denied = [q for q, yes in answers.items() if not yes and q[0] != AUTHENTICATED]
    assert any(q[2] in personas.WRITE for q in denied)
    assert any(q[3][1] == "secrets" and q[2] == "get" for q in denied)
    assert len(granted) > 0


# --- a team stack reading the real output -----------------------------------------------------
@pytest.fixture(scope="module")
def team_service(dev: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """examples/team-service, in the same local backend as the platform stack it references;
    `fleet` importable as its requirements.txt's `-e ../..` makes it."""
    env = {**dev.env, "PYTHONPATH": str(ROOT)}
    ws = Workspace.of(
        ROOT / "examples" / "team-service",
        tmp_path_factory.mktemp("team") / "team-service",
        env,
        venv="venv",
        backend=dev.backend,
    )
    ws.init(STACK, {})
    # The local backend's organization is always `organization`.
    ws.pulumi("config", "set", "--stack", STACK, "platformStack", f"organization/app-of-apps/{STACK}")
    yield ws
    ws.remove(STACK)


def test_a_team_stack_previews_against_the_real_fleet_output(team_service: Workspace, dev: Workspace) -> None:
    fleet = dev.outputs(STACK)["fleet"]
    config = yaml.safe_load((ROOT / "examples" / "team-service" / f"Pulumi.{STACK}.yaml").read_text())["config"]
    team, app = config["team-service:team"], config["team-service:app"]
    expected = fleet["teams"][team]["apps"][app]
    preview = json.loads(team_service.pulumi("preview", "--stack", STACK, "--json").stdout)
    (config_map,) = [s for s in preview["steps"] if s["urn"].endswith("::platform")]
    inputs = config_map["newState"]["inputs"]
    assert inputs["metadata"]["namespace"] == expected["namespace"]
    assert inputs["data"]["ARGOCD_APPLICATION"] == expected["argocd_application"]
    assert inputs["data"]["AWS_ROLE_ARN"] == expected["role_arn"]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("team", "nobody", "team 'nobody' is not in the acme/dev platform stack"),
        ("app", "checkot", "app 'checkot' is not in team"),
    ],
)
def test_a_team_stack_fails_clearly_for_a_missing_team_or_app(
    team_service: Workspace, key: str, value: str, message: str
) -> None:
    config = yaml.safe_load((ROOT / "examples" / "team-service" / f"Pulumi.{STACK}.yaml").read_text())["config"]
    team_service.pulumi("config", "set", "--stack", STACK, key, value)
    try:
        result = team_service.pulumi("preview", "--stack", STACK, check=False)
    finally:
        team_service.pulumi("config", "set", "--stack", STACK, key, config[f"team-service:{key}"])
    assert result.returncode != 0
    assert message in result.stdout + result.stderr, (result.stdout + result.stderr)[-3000:]


# --- destroy: what is retained stays ----------------------------------------------------------
def test_destroy_removes_the_stack_but_retains_the_namespaces(
    dev: Workspace, kube: Kube, planned_objects: list[dict[str, Any]]
) -> None:
    state = dev.resources(STACK)
    retained = {r["urn"].split("::")[-1] for r in state if r.get("retainOnDelete")}
    dev.pulumi("destroy", "--yes", "--skip-preview", "--stack", STACK)
    assert dev.resources(STACK) == []
    for obj in planned_objects:
        meta = obj["metadata"]
        path = kube.path_of(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
        if obj["kind"] == "Namespace":
            assert kube.get(path)["status"]["phase"] == "Active", f"namespace {meta['name']} was deleted"
        elif obj["kind"] in ("Application", "AppProject", "ServiceAccount"):
            assert not kube.exists(path), f"{obj['kind']} {meta['name']} survived destroy"
    assert retained, "the stack retains nothing"
