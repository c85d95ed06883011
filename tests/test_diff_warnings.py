"""`fleet diff` in production names what a reviewer must not miss, with old → new values; the
narrowing neighbour of each change warns nothing of its kind; and `--fail-on warnings` gates."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.cli.main import run
from fleet.compiler import state_from_text
from fleet.reports import diff
from tests.conftest import BASE

Mutation = Callable[[dict[str, Any]], Any]
SAML = "arn:aws:iam::111111111111:saml-provider/okta"
BOUNDARY = "arn:aws:iam::111111111111:policy/fleet-boundary"
ALLOWED = [
    "arn:aws:iam::111111111111:policy/payments-read",
    "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
]


def production() -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["deletion_protection"] = True
    for team in data["teams"]:
        for app in team["apps"]:
            app["source"]["revision"] = "v1.0.0"  # deletion protection requires pinned revisions
    data["aws"].update(
        saml_provider_arn=SAML,
        permissions_boundary_arn=BOUNDARY,
        allowed_managed_policy_arns=[*ALLOWED, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
        human_permissions_boundary_arn=BOUNDARY,
        shared_resources=[{"arn": "arn:aws:sqs:eu-west-1:111111111111:shared-events", "teams": ["payments"]}],
    )
    data["teams"][1]["aws"] = {"owned_resources": ["arn:aws:s3:::acme-dev-search-*"]}
    data["personas"] = {
        "admin": {"kubernetes": "admin", "argocd": ["get", "sync", "delete"]},
        "developer": {
            "kubernetes": "edit",
            "argocd": ["get", "sync"],
            "aws_managed_policy_arns": ["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"],
        },
        "viewer": {"kubernetes": "view", "argocd": ["get"]},
    }
    data["defaults"] = {
        "network": {"ingress_from_namespaces": ["ingress-nginx"], "egress_https_cidrs": ["10.20.0.0/16"]},
        "sync": {"automated": True, "prune": False, "self_heal": False},
    }
    data["teams"][0]["sync_windows"] = [
        {"kind": "deny", "schedule": "0 18 * * 5", "duration": "62h", "timezone": "Europe/Amsterdam"}
    ]
    data["teams"][1]["apps"][0]["sync"] = {"automated": False, "prune": True}
    data["teams"][0]["members"] = {
        "developer": 'user.department == "Payments"',
        "viewer": 'user.department == "Finance"',
    }
    data["teams"][0]["namespaces"] = [{"name": "payments"}, {"name": "payments-jobs"}]
    data["teams"][0]["apps"][0]["aws"]["managed_policy_arns"] = ["arn:aws:iam::111111111111:policy/payments-read"]
    return data


def app(d: dict[str, Any]) -> dict[str, Any]:
    return d["teams"][0]["apps"][0]


def compute(mutate: Mutation, base_mutate: Mutation | None = None) -> diff.Diff:
    base = production()
    if base_mutate:
        base_mutate(base)
    head = copy.deepcopy(base)
    mutate(head)
    return diff.compute(
        state_from_text(yaml.safe_dump(base), "base.yaml"), state_from_text(yaml.safe_dump(head), "head.yaml"), "b", "h"
    )


def _pop(d: dict[str, Any], *path: Any) -> None:
    for part in path[:-1]:
        d = d[part]
    d.pop(path[-1])


# (name, change of the production catalog, warning kind, fragment of its message: old → new)
WIDENING: list[tuple[str, Mutation, str, str]] = [
    (
        "team decommissioning",
        lambda d: d["teams"][1].update(lifecycle="decommissioning"),
        "decommissioning",
        "team search: lifecycle active → decommissioning",
    ),
    (
        "app decommissioning",
        lambda d: app(d).update(lifecycle="decommissioning"),
        "decommissioning",
        "app payments/checkout: lifecycle active → decommissioning",
    ),
    (
        "team removed",
        lambda d: d["teams"].pop(1),
        "removal",
        "team search is removed (lifecycle was active, not decommissioning)",
    ),
    ("app removed", lambda d: d["teams"][0]["apps"].pop(0), "removal", "app payments/checkout is removed"),
    (
        "deletion protection off",
        lambda d: d.update(deletion_protection=False),
        "deletion-protection-off",
        "deletion_protection true → false",
    ),
    (
        "boundary removed",
        lambda d: _pop(d, "aws", "permissions_boundary_arn"),
        "permissions-boundary-changed",
        f"aws.permissions_boundary_arn: {BOUNDARY} → none",
    ),
    (
        "boundary changed",
        lambda d: d["aws"].update(permissions_boundary_arn="arn:aws:iam::111111111111:policy/loose"),
        "permissions-boundary-changed",
        f"{BOUNDARY} → arn:aws:iam::111111111111:policy/loose",
    ),
    (
        "ingress namespace added by default",
        lambda d: d["defaults"]["network"]["ingress_from_namespaces"].append("monitoring"),
        "network-opened",
        "payments/payments, payments/payments-jobs, search/search opens: ingress from namespace monitoring",
    ),
    (
        "egress CIDR added to one namespace",
        lambda d: d["teams"][0]["namespaces"][1].update(network={"egress_https_cidrs": ["0.0.0.0/0"]}),
        "network-opened",
        "payments/payments-jobs opens: egress to 0.0.0.0/0 (HTTPS) (before: egress to 10.20.0.0/16 (HTTPS); ingress from namespace ingress-nginx)",
    ),
    (
        "new namespace opened wider than the defaults",
        lambda d: d["teams"][1].update(
            namespaces=[{"name": "search"}, {"name": "search-x", "network": {"egress_https_cidrs": ["10.0.0.0/8"]}}]
        ),
        "network-opened",
        "search/search-x opens: egress to 10.0.0.0/8 (HTTPS)",
    ),
    (
        "managed policy on a workload role",
        lambda d: app(d)["aws"]["managed_policy_arns"].append("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"),
        "managed-policy-added",
        "IAM role acme-dev-payments-checkout: managed policy added: arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess (before: arn:aws:iam::111111111111:policy/payments-read)",
    ),
    (
        "managed policy on a persona",
        lambda d: d["personas"]["developer"]["aws_managed_policy_arns"].append(
            "arn:aws:iam::aws:policy/ReadOnlyAccess"
        ),
        "managed-policy-added",
        "IAM role acme-dev-payments-developer: managed policy added: arn:aws:iam::aws:policy/ReadOnlyAccess",
    ),
    (
        "managed policy on a new app",
        lambda d: d["teams"][1]["apps"][0].update(
            aws={"managed_policy_arns": ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]}
        ),
        "managed-policy-added",
        "(before: a new role)",
    ),
    (
        "persona level widened",
        lambda d: d["personas"]["viewer"].update(kubernetes="edit"),
        "persona-widened",
        "persona viewer: Kubernetes level view → edit",
    ),
    (
        "persona level to admin",
        lambda d: d["personas"]["developer"].update(kubernetes="admin"),
        "persona-widened",
        "persona developer: Kubernetes level edit → admin",
    ),
    (
        "persona Argo CD override",
        lambda d: d["personas"]["developer"]["argocd"].append("override"),
        "persona-widened",
        "persona developer: Argo CD actions get, sync → get, override, sync",
    ),
    (
        "new admin persona",
        lambda d: d["personas"].update(root={"kubernetes": "admin"}),
        "persona-widened",
        "persona root: Kubernetes level none → admin (a new persona",
    ),
    (
        "ownership widened",
        lambda d: d["teams"][1]["aws"]["owned_resources"].append(
            "arn:aws:dynamodb:eu-west-1:111111111111:table/acme-dev-search-*"
        ),
        "ownership-changed",
        "team search: aws.owned_resources: arn:aws:s3:::acme-dev-search-* → arn:aws:dynamodb:eu-west-1:111111111111:table/acme-dev-search-*, arn:aws:s3:::acme-dev-search-*",
    ),
    (
        "ownership moved to another prefix",
        lambda d: d["teams"][1]["aws"].update(owned_resources=["arn:aws:s3:::acme-dev-search-archive-*"]),
        "ownership-changed",
        "team search: aws.owned_resources: arn:aws:s3:::acme-dev-search-* → arn:aws:s3:::acme-dev-search-archive-*",
    ),
    (
        "ownership of a new team",
        lambda d: d["teams"].append(
            {
                "name": "ledger",
                "owners": ["l@acme.example"],
                "aws": {"owned_resources": ["arn:aws:s3:::acme-dev-ledger"]},
            }
        ),
        "ownership-changed",
        "team ledger: aws.owned_resources: none → arn:aws:s3:::acme-dev-ledger",
    ),
    (
        "a resource granted to a team",
        lambda d: d["aws"].setdefault("resource_grants", {}).update({"arn:aws:s3:::legacy-reports": "search"}),
        "ownership-changed",
        "aws.resource_grants arn:aws:s3:::legacy-reports: granted to no team → search",
    ),
    (
        "resource shared with one more team",
        lambda d: d["aws"]["shared_resources"][0].update(teams=["payments", "search"]),
        "ownership-changed",
        "aws.shared_resources arn:aws:sqs:eu-west-1:111111111111:shared-events: shared with payments → payments, search",
    ),
    (
        "platform allow-list widened",
        lambda d: d["aws"]["allowed_managed_policy_arns"].append("arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"),
        "managed-policy-added",
        "every team may now attach arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess",
    ),
    (
        "member rule widened",
        lambda d: d["teams"][0]["members"].update(viewer='user.department != ""'),
        "member-rule-changed",
        'team payments: members.viewer: `user.department == "Finance"` → `user.department != ""`',
    ),
    (
        "member rule added",
        lambda d: d["teams"][1].update(members={"admin": "true"}),
        "member-rule-changed",
        "team search: members.admin: by hand only → `true`",
    ),
]

WIDENING += [
    (
        "automated prune on by default",
        lambda d: d["defaults"]["sync"].update(prune=True),
        "automated-prune-on",
        "automated prune turned on for payments/checkout: Argo CD deletes a live object as soon as it leaves Git",
    ),
    (
        "automated sync turned on for an app that prunes",
        lambda d: d["teams"][1]["apps"][0]["sync"].update(automated=True),
        "automated-prune-on",
        "automated prune turned on for search/indexer",
    ),
    (
        "self-heal on for one app",
        lambda d: app(d).update(sync={"self_heal": True}),
        "self-heal-on",
        "self-heal turned on for payments/checkout: Argo CD reverts every change made in the cluster",
    ),
    (
        "Replace=true by default",
        lambda d: d["defaults"]["sync"].update(options=["Replace=true"]),
        "replace-sync-option",
        "Replace=true turned on for payments/checkout, search/indexer: Argo CD replaces objects",
    ),
    (
        "sync window removed",
        lambda d: d["teams"][0].update(sync_windows=[]),
        "sync-window-removed",
        "team payments: sync window deny `0 18 * * 5` for 62h (Europe/Amsterdam) removed or changed: "
        "payments/checkout may now sync during it",
    ),
    (
        "sync window moved",
        lambda d: d["teams"][0]["sync_windows"][0].update(schedule="0 20 * * 5"),
        "sync-window-removed",
        "sync window deny `0 18 * * 5` for 62h (Europe/Amsterdam) removed or changed",
    ),
    (
        "sync window narrowed to a new app",
        lambda d: (
            d["teams"][0]["apps"].append(
                {"name": "ledger", "source": {"repo": "https://github.com/acme/l", "path": "p", "revision": "v1.0.0"}}
            ),
            d["teams"][0]["sync_windows"][0].update(applications=["ledger"]),
        ),
        "sync-window-removed",
        "no longer covers payments/checkout: they may now sync during it",
    ),
    (
        "deny window opened to manual syncs",
        lambda d: d["teams"][0]["sync_windows"][0].update(manual_sync=True),
        "sync-window-removed",
        "now allows manual syncs of payments/checkout during it",
    ),
]

# Narrowing neighbours: the same fields, changed the safe way: no warning of the kind.
NARROWING: list[tuple[str, Mutation, str]] = [
    ("decommissioning undone", lambda d: d["teams"][1].update(lifecycle="active"), "decommissioning"),
    ("deletion protection stays on", lambda d: d.update(deletion_protection=True), "deletion-protection-off"),
    (
        "boundary unchanged",
        lambda d: d["aws"].update(permissions_boundary_arn=BOUNDARY),
        "permissions-boundary-changed",
    ),
    (
        "ingress namespace removed",
        lambda d: d["defaults"]["network"].update(ingress_from_namespaces=[]),
        "network-opened",
    ),
    ("egress CIDR narrowed away", lambda d: d["defaults"]["network"].update(egress_https_cidrs=[]), "network-opened"),
    (
        "new namespace with the defaults",
        lambda d: d["teams"][1].update(namespaces=[{"name": "search"}, {"name": "search-x"}]),
        "network-opened",
    ),
    (
        "sibling namespace added",
        lambda d: d["teams"][0]["namespaces"].append({"name": "payments-batch"}),
        "network-opened",
    ),
    ("managed policy removed", lambda d: app(d)["aws"].update(managed_policy_arns=[]), "managed-policy-added"),
    ("persona level narrowed", lambda d: d["personas"]["developer"].update(kubernetes="view"), "persona-widened"),
    ("persona Argo CD action removed", lambda d: d["personas"]["admin"].update(argocd=["get"]), "persona-widened"),
    (
        "ownership unchanged, reordered",
        lambda d: d["teams"][1]["aws"].update(owned_resources=["arn:aws:s3:::acme-dev-search-*"]),
        "ownership-changed",
    ),
    ("allow-list narrowed", lambda d: d["aws"]["allowed_managed_policy_arns"].pop(), "managed-policy-added"),
    ("decommissioned app removed", lambda d: d["teams"][1]["apps"].pop(0), "removal"),
    ("member rule removed", lambda d: d["teams"][0]["members"].pop("viewer"), "member-rule-changed"),
    (
        "member rule unchanged, description changed",
        lambda d: d["teams"][0].update(description="Payments"),
        "member-rule-changed",
    ),
    ("automated sync turned off", lambda d: app(d).update(sync={"automated": False}), "self-heal-on"),
    (
        "prune stays off, options added",
        lambda d: app(d).update(sync={"options": ["PruneLast=true"]}),
        "automated-prune-on",
    ),
    (
        "a new app that prunes (reviewed as a new app)",
        lambda d: d["teams"][1]["apps"].append(
            {
                "name": "ranker",
                "source": {"repo": "https://github.com/acme/search-deploy", "path": "r", "revision": "v1.0.0"},
                "sync": {"prune": True, "self_heal": True},
            }
        ),
        "automated-prune-on",
    ),
    (
        "server-side apply, not Replace",
        lambda d: app(d).update(sync={"options": ["ServerSideApply=true"]}),
        "replace-sync-option",
    ),
    ("Replace=false", lambda d: app(d).update(sync={"options": ["Replace=false"]}), "replace-sync-option"),
    (
        "another window added",
        lambda d: d["teams"][0]["sync_windows"].append({"kind": "deny", "schedule": "0 12 * * *", "duration": "1h"}),
        "sync-window-removed",
    ),
    (
        "window over all apps gains a new app",
        lambda d: d["teams"][0]["apps"].append(
            {"name": "ledger", "source": {"repo": "https://github.com/acme/l", "path": "p", "revision": "v1.0.0"}}
        ),
        "sync-window-removed",
    ),
    (
        "window description changed",
        lambda d: d["teams"][0]["sync_windows"][0].update(description="Weekend freeze"),
        "sync-window-removed",
    ),
]


@pytest.mark.parametrize(("mutate", "kind", "fragment"), [w[1:] for w in WIDENING], ids=[w[0] for w in WIDENING])
def test_production_change_is_a_warning_with_old_and_new(mutate: Mutation, kind: str, fragment: str) -> None:
    result = compute(mutate)
    found = [w.message for w in result.warnings if w.kind == kind]
    assert any(fragment in message for message in found), [(w.kind, w.message) for w in result.warnings]
    assert f"**{kind}**" in diff.markdown(result)


@pytest.mark.parametrize(("mutate", "kind"), [n[1:] for n in NARROWING], ids=[n[0] for n in NARROWING])
def test_narrowing_neighbour_warns_nothing_of_its_kind(mutate: Mutation, kind: str) -> None:
    base_mutate = (
        (lambda d: d["teams"][1].update(lifecycle="decommissioning"))
        if kind in ("decommissioning", "removal")
        else None
    )
    result = compute(mutate, base_mutate)
    assert [w.message for w in result.warnings if w.kind == kind] == []


@pytest.mark.parametrize(("mutate", "kind"), [(w[1], w[2]) for w in WIDENING if w[2] != "deletion-protection-off"])
def test_outside_production_the_reviewer_warnings_are_not_raised(mutate: Mutation, kind: str) -> None:
    result = compute(mutate, lambda d: d.update(deletion_protection=False))
    assert [w.message for w in result.warnings if w.kind == kind] == []


def test_fail_on_warnings_exits_1_for_a_widening_and_0_for_a_narrowing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, widened, narrowed = production(), production(), production()
    widened["personas"]["viewer"]["argocd"].append("override")
    narrowed["personas"]["admin"]["argocd"] = ["get"]
    files = {}
    for name, data in (("base", base), ("widened", widened), ("narrowed", narrowed)):
        files[name] = tmp_path / f"{name}.yaml"
        files[name].write_text(yaml.safe_dump(data))
    assert run(["diff", str(files["base"]), str(files["widened"]), "--fail-on", "warnings", "--format", "json"]) == 1
    assert "persona viewer: Argo CD actions get → get, override" in capsys.readouterr().out
    assert run(["diff", str(files["base"]), str(files["narrowed"]), "--fail-on", "warnings"]) == 0


def test_the_access_report_counts_argocd_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = production()
    data["personas"]["viewer"]["argocd"] = ["get", "override", "create"]
    catalog = tmp_path / "c.yaml"
    catalog.write_text(yaml.safe_dump(data))
    assert run(["access", str(catalog)]) == 0
    rows = {
        line.split("|")[1].strip(): line for line in capsys.readouterr().out.splitlines() if line.startswith("| acme-")
    }
    assert (
        "payments: write 2; applications create, applications get, applications override"
        in rows["acme-dev-payments-viewer"]
    )
    assert "payments: write 1; applications delete" in rows["acme-dev-payments-admin"]
    assert "payments: write 0; applications get, applications sync" in rows["acme-dev-payments-developer"]
    assert run(["access", str(catalog), "--format", "html"]) == 0
    assert "write 2; applications create" in capsys.readouterr().out
