"""The move of a single stack into platform and team stacks, on exported deployments (plain data)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fleet.render.migration import (
    MigrationError,
    adopt,
    component_urn,
    emptied,
    leftovers,
    missing_providers,
    plan,
    rename,
    root_urn,
)

ENV = "dev"
P = "app-of-apps"
ROOT_URN = f"urn:pulumi:{ENV}::{P}::pulumi:pulumi:Stack::{P}-{ENV}"
AOA = "app-of-apps:index:AppOfApps"
TEAM = f"{AOA}$app-of-apps:index:Team"
APP = f"{TEAM}$app-of-apps:index:ChildApp"


def urn(types: str, name: str, stack: str = ENV) -> str:
    return f"urn:pulumi:{stack}::{P}::{types}::{name}"


def res(types: str, name: str, parent: str, custom: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "urn": urn(types, name),
        "type": types.split("$")[-1],
        "custom": custom,
        "parent": parent,
        **extra,
    }


def deployment() -> dict[str, Any]:
    fleet = component_urn(ENV)
    k8s = f"urn:pulumi:{ENV}::{P}::pulumi:providers:kubernetes::kubernetes::id-1"
    resources = [
        {"urn": ROOT_URN, "type": "pulumi:pulumi:Stack", "custom": False, "outputs": {"fleet": {}}},
        {"urn": k8s.rsplit("::", 1)[0], "type": "pulumi:providers:kubernetes", "custom": True, "id": "id-1"},
        res(AOA, "fleet", ROOT_URN, custom=False, outputs={"fleet": {"teams": {}}}),
        res(f"{AOA}$kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy", "acme-dev-nb", fleet),
        res(TEAM, "payments", fleet, custom=False),
        res(f"{TEAM}$kubernetes:core/v1:Namespace", "payments", urn(TEAM, "payments")),
        res(APP, "payments/checkout", urn(TEAM, "payments"), custom=False),
        res(f"{APP}$kubernetes:core/v1:ServiceAccount", "payments/checkout", urn(APP, "payments/checkout")),
        res(TEAM, "search", fleet, custom=False),
        res(f"{TEAM}$kubernetes:core/v1:Namespace", "search", urn(TEAM, "search")),
    ]
    return {"version": 3, "deployment": {"manifest": {}, "resources": resources}}


def test_each_resource_goes_to_its_stack_named_one_by_one() -> None:
    planned = plan(deployment(), ENV, ["payments", "search"])
    assert planned.moves == {
        "dev.platform": [
            urn(f"{AOA}$kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy", "acme-dev-nb")
        ],
        "dev.payments": [
            urn(TEAM, "payments"),
            urn(f"{TEAM}$kubernetes:core/v1:Namespace", "payments"),
            urn(APP, "payments/checkout"),
            urn(f"{APP}$kubernetes:core/v1:ServiceAccount", "payments/checkout"),
        ],
        "dev.search": [urn(TEAM, "search"), urn(f"{TEAM}$kubernetes:core/v1:Namespace", "search")],
    }
    assert planned.component["urn"] == component_urn(ENV)
    moved = [u for urns in planned.moves.values() for u in urns]
    stay = [r["type"] for r in deployment()["deployment"]["resources"] if r["urn"] not in moved]
    assert stay == ["pulumi:pulumi:Stack", "pulumi:providers:kubernetes", AOA]  # root, providers, component
    assert leftovers(deployment(), ENV) == moved


def test_a_team_missing_from_the_catalog_and_an_interrupted_update_refuse_the_move() -> None:
    broken = deployment()
    broken["deployment"]["pending_operations"] = [{"type": "creating"}]
    broken["deployment"]["resources"].append(res("kubernetes:core/v1:Namespace", "stray", ROOT_URN))
    with pytest.raises(MigrationError) as err:
        plan(broken, ENV, ["payments"])
    reasons = err.value.reasons
    assert len(reasons) == 4
    assert "pending operations" in reasons[0]
    assert "'search' is in stack dev but not in its catalog" in reasons[1]  # the team and its namespace
    assert "not under the AppOfApps component" in reasons[-1]


def test_a_state_without_the_component_has_nothing_to_move() -> None:
    with pytest.raises(MigrationError, match="holds no AppOfApps component"):
        plan({"deployment": {"resources": []}}, ENV, [])


def moved_to(stack: str, team: str, rechained: bool) -> dict[str, Any]:
    """What `pulumi state move` leaves in the new stack: URNs renamed, the top one re-parented to
    the root and (`rechained`, Pulumi 3.274) the component dropped from every type chain."""
    root = f"urn:pulumi:{stack}::{P}::pulumi:pulumi:Stack::{P}-{stack}"
    out = [{"urn": root, "type": "pulumi:pulumi:Stack", "custom": False}]

    def chain(u: str) -> str:
        u = rename(u, stack)
        return u.replace(f"::{AOA}$", "::", 1) if rechained else u

    for r in deployment()["deployment"]["resources"]:
        if r["urn"] in plan(deployment(), ENV, ["payments", "search"]).moves[f"dev.{team}"]:
            r = copy.deepcopy(r)
            r["urn"] = chain(r["urn"])
            r["parent"] = root if r["parent"] == component_urn(ENV) else chain(r["parent"])
            out.append(r)
    # a dependency inside the team, as the Application's on its namespace
    out[-1]["dependencies"] = [out[2]["urn"]]
    out[-1]["propertyDependencies"] = {"metadata": [out[2]["urn"]]}
    return {"deployment": {"resources": out}}


@pytest.mark.parametrize("rechained", [True, False])
def test_adopt_puts_the_moved_resources_back_under_their_own_component(rechained: bool) -> None:
    component = plan(deployment(), ENV, ["payments", "search"]).component
    moved = moved_to("dev.payments", "payments", rechained)
    adopted = adopt(moved, component, "dev.payments")
    resources = adopted["deployment"]["resources"]
    mine = component_urn("dev.payments")
    assert [r["urn"] for r in resources[:2]] == [moved["deployment"]["resources"][0]["urn"], mine]
    assert "outputs" not in resources[1]
    assert resources[1]["type"] == AOA
    assert resources[1]["custom"] is False
    parents = {(r["type"], r["urn"].split("::")[-1]): r["parent"] for r in resources[2:]}
    assert parents["app-of-apps:index:Team", "payments"] == mine  # the component's direct child
    assert parents["app-of-apps:index:ChildApp", "payments/checkout"] == rename(urn(TEAM, "payments"), "dev.payments")
    assert parents["kubernetes:core/v1:Namespace", "payments"] == rename(urn(TEAM, "payments"), "dev.payments")
    # every URN is the one the program registers in the new stack, and so is every reference
    expected = [
        rename(u, "dev.payments") for u in plan(deployment(), ENV, ["payments", "search"]).moves["dev.payments"]
    ]
    assert [r["urn"] for r in resources[2:]] == expected
    namespace = rename(urn(f"{TEAM}$kubernetes:core/v1:Namespace", "payments"), "dev.payments")
    assert resources[-1]["dependencies"] == [namespace]
    assert resources[-1]["propertyDependencies"] == {"metadata": [namespace]}
    assert adopt(adopted, component, "dev.payments") == adopted  # idempotent
    assert moved["deployment"]["resources"][1]["parent"].endswith(f"{P}-dev.payments")  # the input is untouched


def test_the_old_stack_is_emptied_only_when_nothing_else_is_left() -> None:
    with pytest.raises(MigrationError) as err:
        emptied(deployment(), ENV)
    assert len(err.value.reasons) == 7
    rest = deployment()
    rest["deployment"]["resources"] = [
        r
        for r in rest["deployment"]["resources"]
        if r["urn"] == ROOT_URN or r.get("type", "").startswith(("pulumi:providers", AOA))
    ]
    assert len(rest["deployment"]["resources"]) == 3
    assert [r["urn"] for r in emptied(rest, ENV)["deployment"]["resources"]] == [ROOT_URN]


def test_rename_changes_only_the_stack() -> None:
    assert rename(urn(APP, "payments/checkout"), "dev.payments") == urn(APP, "payments/checkout", "dev.payments")


def test_the_providers_a_new_stack_lacks_are_named_in_it() -> None:
    source = deployment()
    source["deployment"]["resources"].insert(
        2, {"urn": urn("pulumi:providers:aws", "aws"), "type": "pulumi:providers:aws", "custom": True, "id": "id-2"}
    )
    moved = moved_to("dev.payments", "payments", rechained=True)
    moved["deployment"]["resources"].append(
        {"urn": urn("pulumi:providers:kubernetes", "kubernetes", "dev.payments"), "type": "pulumi:providers:kubernetes"}
    )
    assert missing_providers(source, moved, "dev.payments") == [urn("pulumi:providers:aws", "aws", "dev.payments")]
    assert root_urn(moved) == f"urn:pulumi:dev.payments::{P}::pulumi:pulumi:Stack::{P}-dev.payments"
    with pytest.raises(MigrationError, match="0 root stack resources"):
        root_urn({"deployment": {"resources": []}})
