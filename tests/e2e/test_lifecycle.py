"""Lifecycle under the real engine, on a small production catalog (deletion protection on):
resources that moved keep their state through their aliases; a protected namespace removed
from the catalog is refused by the engine; the two-step decommissioning removes it."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from fleet.apis.pulumi_types import IAM_ROLE, IAM_ROLE_POLICY, OKTA_GROUP, OKTA_RULE
from fleet.catalog.naming import Names
from fleet.compiler import state_from_text
from fleet.render.layers import CASCADE_FINALIZER
from tests.conftest import BASE
from tests.e2e.conftest import ARGOCD_NAMESPACE
from tests.e2e.engine import Workspace
from tests.e2e.kube import Kube

STACK = "prod"


def prod_catalog() -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data.update(environment=STACK, deletion_protection=True, cluster={"name": "acme-prod"})
    for team in data["teams"]:  # production pins revisions (argocd-revision-pinned)
        for app in team["apps"]:
            app["source"]["revision"] = "v1.0.0"
    return data


def namespaces(data: dict[str, Any]) -> list[str]:
    # Some of the teams: the platform's grants to the others go with them.
    data = copy.deepcopy(data)
    present = {team["name"] for team in data["teams"]}
    grants = data["aws"].get("resource_grants", {})
    data["aws"]["resource_grants"] = {arn: team for arn, team in grants.items() if team in present}
    _, state = state_from_text(yaml.safe_dump(data), "lifecycle catalog")
    return sorted(m.name for team in state.teams for m in team.namespace_objects)


@pytest.fixture(scope="module")
def prod(
    pulumi_env: dict[str, str], argocd_crds: list[str], kube: Kube, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    ws = Workspace.platform(tmp_path_factory.mktemp("lifecycle") / "app-of-apps", pulumi_env)
    ws.init(STACK, {"app-of-apps:fleet": ws.write_catalog("lifecycle.yaml", prod_catalog())})
    try:
        ws.pulumi("up", "--yes", "--skip-preview", "--stack", STACK)
        yield ws
    finally:
        try:
            ws.remove(STACK)
        finally:  # retained or left behind by a failure: the namespaces go in any case
            assert kube.delete_namespaces(namespaces(prod_catalog())) == []


def deploy(ws: Workspace, data: dict[str, Any], check: bool = True) -> Any:
    ws.write_catalog("lifecycle.yaml", data)
    return ws.pulumi("up", "--yes", "--skip-preview", "--stack", STACK, check=check)


def test_namespaces_are_protected_in_prod(prod: Workspace) -> None:
    state = prod.resources(STACK)
    protected = {r["urn"].split("::")[-1] for r in state if r.get("protect")}
    assert set(namespaces(prod_catalog())) <= protected


def test_moved_resources_keep_their_state_through_their_aliases(prod: Workspace) -> None:
    """Rewrite the state as the program once registered it (inline policies under their role,
    group rules under their group: components/history.py), then run today's program: the
    engine follows the aliases; nothing is created, deleted or replaced, ids are unchanged."""
    exported = json.loads(prod.pulumi("stack", "export", "--stack", STACK).stdout)
    resources = exported["deployment"]["resources"]
    by_name = {(r["type"], r["urn"].split("::")[-1]): r for r in resources}
    renamed: dict[str, tuple[str, str]] = {}  # today's urn -> (the urn it had, its parent then)
    ids: dict[str, str] = {}  # the urn it had -> id
    for r in resources:
        name = r["urn"].split("::")[-1]
        owner_type = {IAM_ROLE_POLICY: IAM_ROLE, OKTA_RULE: OKTA_GROUP}.get(r["type"])
        if owner_type is None:
            continue
        owner = by_name[(owner_type, name)]
        stack_and_project, owner_chain = "::".join(owner["urn"].split("::")[:2]), owner["urn"].split("::")[2]
        old = f"{stack_and_project}::{owner_chain}${r['type']}::{name}"
        renamed[r["urn"]] = (old, owner["urn"])
        ids[old] = r["id"]
    assert {u.split("::")[2].split("$")[-1] for u in ids} == {IAM_ROLE_POLICY, OKTA_RULE}
    text = json.dumps(exported)
    for new, (old, _) in renamed.items():  # the URN everywhere: the resource, its dependents
        text = text.replace(json.dumps(new), json.dumps(old))
    exported = json.loads(text)
    for r in exported["deployment"]["resources"]:
        if r["urn"] in ids:
            r["parent"] = next(parent for old, parent in renamed.values() if old == r["urn"])
    path = prod.dir.parent / "moved-state.json"
    path.write_text(json.dumps(exported))
    prod.pulumi("stack", "import", "--stack", STACK, "--file", str(path))
    assert set(ids) <= {r["urn"] for r in prod.resources(STACK)}  # the state now has the old shape

    preview = json.loads(prod.pulumi("preview", "--stack", STACK, "--json").stdout)
    changes = {op: n for op, n in preview.get("changeSummary", {}).items() if op != "same"}
    assert changes == {}, changes
    prod.pulumi("up", "--yes", "--skip-preview", "--stack", STACK)
    after = {(r["type"], r["urn"].split("::")[-1]): r for r in prod.resources(STACK)}
    for old_urn, resource_id in ids.items():
        kind, name = old_urn.split("::")[2].split("$")[-1], old_urn.split("::")[-1]
        now = after[(kind, name)]
        assert now["urn"] != old_urn  # under its component again
        assert now["id"] == resource_id  # the same resource, not a new one


def test_a_protected_namespace_cannot_be_deleted_by_removing_it(prod: Workspace, kube: Kube) -> None:
    data = prod_catalog()
    gone = data["teams"].pop()  # the last team, namespaces and all
    result = deploy(prod, data, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "protect" in output, output[-3000:]
    for ns in namespaces({**prod_catalog(), "teams": [gone]}):
        assert kube.get(f"/api/v1/namespaces/{ns}")["status"]["phase"] == "Active"
    deploy(prod, prod_catalog())  # back to the catalog as it was
    prod.pulumi("preview", "--expect-no-changes", "--stack", STACK)


class ArgoCDFinalizer(threading.Thread):
    """Argo CD's part in a deletion, which the tier's cluster does not run: an Application on
    its way out carries the cascade finalizer, and Argo CD removes it once it has pruned the
    app's resources. Without this the deletion (and `pulumi up`) would wait forever."""

    def __init__(self, kube: Kube, namespace: str = ARGOCD_NAMESPACE) -> None:
        super().__init__(daemon=True)
        self.kube, self.path = kube, f"/apis/argoproj.io/v1alpha1/namespaces/{namespace}/applications"
        self.stop = threading.Event()
        self.finalized: set[str] = set()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            for app in self.kube.get(self.path)["items"]:
                meta = app["metadata"]
                if meta.get("deletionTimestamp") and CASCADE_FINALIZER in (meta.get("finalizers") or []):
                    self.kube.request(
                        "PATCH",
                        f"{self.path}/{meta['name']}",
                        {"metadata": {"finalizers": [f for f in meta["finalizers"] if f != CASCADE_FINALIZER]}},
                        content_type="application/merge-patch+json",
                    )
                    self.finalized.add(meta["name"])


def test_two_step_decommissioning_removes_the_namespace(prod: Workspace, kube: Kube) -> None:
    data = prod_catalog()
    data["teams"][-1]["lifecycle"] = "decommissioning"
    team_namespaces = namespaces({**prod_catalog(), "teams": [prod_catalog()["teams"][-1]]})
    deploy(prod, data)  # step 1: unprotected, no longer retained
    unprotected = {r["urn"].split("::")[-1] for r in prod.resources(STACK) if not r.get("protect")}
    assert set(team_namespaces) <= unprotected
    gone = data["teams"].pop()
    argocd = ArgoCDFinalizer(kube)
    argocd.start()
    try:
        deploy(prod, data)  # step 2: removed from the catalog, deleted from the cluster
    finally:
        argocd.stop.set()
        argocd.join()
    # Its Applications were deleted through Argo CD's cascade (they carried the finalizer).
    assert argocd.finalized == {Names.application(gone["name"], app["name"]) for app in gone["apps"]}
    paths = [f"/api/v1/namespaces/{ns}" for ns in team_namespaces]
    assert kube.wait_gone(paths) == []
    remaining = set(namespaces(data))
    assert all(kube.exists(f"/api/v1/namespaces/{ns}") for ns in remaining)
