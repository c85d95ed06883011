"""The `fleet status` scenario, written into a real API server as Argo CD and a hurried human would.

Used by the live test (`tests/e2e/test_status_live.py`) and by `python -m tests.status_scenario`,
which records what the reader lists into `tests/data/status/` for the offline tests. Objects
are written with the official client's dynamic API (server-side apply), as the cluster's admin.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from kubernetes import config, dynamic
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from fleet.catalog.folder import catalog_data, read_catalog
from fleet.compiler import load_state
from fleet.render.state import FleetState

ROOT = Path(__file__).resolve().parent.parent
RECORDINGS = ROOT / "tests" / "data" / "status"
MANAGER = "status-scenario"

# Commits as Argo CD reports them: what dev validated (A), an older one (B), prod's (C).
REV_A = "4f2c9e1b7d3a8e6f0c5b2a9d8e7f6a5b4c3d2e1f"
REV_B = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
REV_C = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c"
STARTED, FINISHED = "2026-11-27T09:58:02Z", "2026-11-27T09:58:41Z"

# application -> (sync, health, revision, phase, conditions); absent ones are not written at all.
Written = tuple[str, str, str, str, list[dict[str, str]]]
DEGRADED_CONDITION = {
    "type": "SyncError",
    "message": "Failed sync attempt to 9a8b7c6: one or more objects failed to apply (Deployment/settlement: ImagePullBackOff)",
    "lastTransitionTime": FINISHED,
}
DEV: dict[str, Written] = {
    "payments-checkout": ("Synced", "Healthy", REV_A, "Succeeded", []),
    "payments-ledger": ("OutOfSync", "Healthy", REV_B, "Succeeded", []),
    "payments-settlement": ("Synced", "Degraded", REV_A, "Failed", [DEGRADED_CONDITION]),
    "search-indexer": ("Synced", "Progressing", REV_A, "Running", []),
    # search-query-api: never written, so Missing
    "identity-charts": ("Synced", "Healthy", REV_A, "Succeeded", []),
    "identity-sessions": ("Synced", "Healthy", REV_A, "Succeeded", []),
    "payments-gateway": ("Synced", "Healthy", REV_A, "Succeeded", []),  # multi-source (chart + values)
    "search-cache": ("Synced", "Healthy", REV_A, "Succeeded", []),  # a Helm chart
}
ABSENT = "search-query-api"
# (team, quota, key, value): the quota of the team's first namespace, raised by hand.
HAND_EDITED_QUOTA = ("payments", "fleet-quota", "requests.cpu", "64")


def hand_edited_namespace(state: FleetState) -> str:
    return next(t for t in state.teams if t.name == HAND_EDITED_QUOTA[0]).namespaces[0]


def others(state: FleetState) -> dict[str, Written]:
    """Every other environment: all Synced and Healthy; on dev's revision, but ledger on C (on
    each of its clusters)."""
    return {
        m.name: (
            "Synced",
            "Healthy",
            REV_C if (team.name, app.name) == ("payments", "ledger") else REV_A,
            "Succeeded",
            [],
        )
        for team in state.teams
        for app in team.apps
        for m in app.applications
    }


def derive(catalog: Path, environment: str) -> dict[str, Any]:
    """The catalog as another environment on the same API server: every team namespace and the
    Argo CD namespace get the environment as a suffix, so that two environments (and other
    tests' fleets) live side by side without sharing an object."""
    data = catalog_data(read_catalog(catalog))  # a catalog file or folder, as one file's data
    data["environment"] = environment
    data["cluster"].pop("context", None)  # read through the kubeconfig's current context
    data["argocd"]["namespace"] = f"{data['argocd'].get('namespace', 'argocd')}-{environment}"
    for team in data["teams"]:
        team["namespaces"] = [
            {**ns, "name": f"{ns['name']}-{environment}"} for ns in team.get("namespaces") or [{"name": team["name"]}]
        ]
        for app in team.get("apps") or []:
            if app.get("namespace"):
                app["namespace"] = f"{app['namespace']}-{environment}"
        # The AWS names keep the source environment's (acme-dev-…), which carry no team's prefix
        # in this one (acme-<environment>-…): its platform grants them to the same teams.
        for arn in (team.get("aws") or {}).get("owned_resources") or []:
            data["aws"].setdefault("resource_grants", {}).setdefault(arn, team["name"])
    return data


def application_status(sync: str, health: str, revision: str, phase: str, conditions: list[dict[str, str]]) -> dict:
    """The status Argo CD's controller writes (the fields `fleet status` reads, and their neighbours)."""
    status: dict[str, Any] = {
        "sync": {"status": sync, "revision": revision},
        "health": {"status": health, "lastTransitionTime": FINISHED},
        "reconciledAt": FINISHED,
        "sourceType": "Kustomize",
        "operationState": {
            "operation": {"sync": {"revision": revision}, "initiatedBy": {"automated": True}},
            "phase": phase,
            "startedAt": STARTED,
            "message": {"Succeeded": "successfully synced (all tasks run)", "Running": "waiting for healthy state"}.get(
                phase, "one or more objects failed to apply"
            ),
            "syncResult": {"revision": revision},
        },
    }
    if phase != "Running":
        status["operationState"]["finishedAt"] = FINISHED
    if conditions:
        status["conditions"] = conditions
    return status


class Cluster:
    """The admin's view of one API server, through the official client's dynamic API."""

    def __init__(self, kubeconfig: str, context: str | None = None) -> None:
        self.api = config.new_client_from_config(config_file=kubeconfig, context=context, persist_config=False)
        self.dyn = dynamic.DynamicClient(self.api)

    def close(self) -> None:
        self.api.close()

    def _resource(self, obj: Mapping[str, Any]) -> Any:
        return self.dyn.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])

    def serves(self, obj: Mapping[str, Any]) -> bool:
        try:
            self._resource(obj)
        except ResourceNotFoundError:
            return False
        return True

    def apply(self, obj: Mapping[str, Any]) -> None:
        meta = obj["metadata"]
        self._resource(obj).server_side_apply(
            body=dict(obj),
            name=meta["name"],
            namespace=meta.get("namespace"),
            field_manager=MANAGER,
            force_conflicts=True,
        )

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        resource = self.dyn.resources.get(api_version=api_version, kind=kind)
        return resource.get(name=name, namespace=namespace).to_dict()

    def replace(self, obj: Mapping[str, Any]) -> None:
        meta = obj["metadata"]
        self._resource(obj).replace(body=dict(obj), name=meta["name"], namespace=meta.get("namespace"))

    def install_argocd(self, crds: Path, namespace: str) -> None:
        for path in sorted(crds.glob("*-crd.yaml")):
            self.apply(yaml.safe_load(path.read_text()))
        self.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})


def write(
    cluster: Cluster,
    state: FleetState,
    written: Mapping[str, Written],
    hand_edits: bool,
    declared: Mapping[str, Cluster] | None = None,
) -> None:
    """Apply the rendered plan, then write what Argo CD and a human would. With declared clusters
    (`declared`: name -> its API server), each object goes where the plan places it; Argo CD's
    objects to `cluster`."""
    absent = {
        name
        for name in (m.name for t in state.teams for app in t.apps for m in app.applications)
        if name not in written
    }
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": state.argocd_namespace}})
    for place, manifest in state.placed():
        target = cluster if place is None else (declared or {})[place]
        if manifest.kind == "Application" and manifest.name in absent:
            continue
        if not target.serves(manifest.obj):
            continue  # a kind whose CRD this cluster lacks (ExternalSecret): fleet status never reads it
        target.apply(manifest.obj)
    for team in state.teams:
        for name in (m.name for app in team.apps for m in app.applications):
            if name in written:
                live = cluster.get("argoproj.io/v1alpha1", "Application", name, state.argocd_namespace)
                live["status"] = application_status(*written[name])
                cluster.replace(live)
    if not hand_edits:
        return
    argocd = state.argocd_namespace
    namespace = hand_edited_namespace(state)
    source = {"repoURL": "https://github.com/acme/payments-experiment", "path": "deploy", "targetRevision": "HEAD"}
    for name, project in (("payments-experiment", "payments"), ("scratch", "default")):
        cluster.apply(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {"name": name, "namespace": argocd},
                "spec": {
                    "project": project,
                    "source": source,
                    "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
                },
            }
        )
    cluster.apply(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": "sandbox", "namespace": argocd},
            "spec": {"sourceRepos": ["https://github.com/acme/sandbox"], "destinations": []},
        }
    )
    _, quota, key, value = HAND_EDITED_QUOTA
    live = cluster.get("v1", "ResourceQuota", quota, namespace)
    live["spec"]["hard"][key] = value
    cluster.replace(live)
    cluster.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "debug-admin", "namespace": namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "someone@acme.example"}],
        }
    )


def _lean(obj: dict[str, Any]) -> dict[str, Any]:
    # managedFields are the bulk of every object and nothing reads them: left out of the file.
    return {**obj, "metadata": {k: v for k, v in obj["metadata"].items() if k != "managedFields"}}


def record(observed: Any, path: Path) -> None:
    """What the reader listed, as it listed it (kind and apiVersion set on each item)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "context": observed.context,
        "server": observed.server,
        "observed_at": observed.observed_at,
        "objects": [_lean(o) for o in observed.objects],
        "applications": [_lean(o) for o in observed.applications],
        "projects": [_lean(o) for o in observed.projects],
    }
    if observed.clusters:
        data["clusters"] = [
            {"name": c.name, "context": c.context, "server": c.server, "objects": [_lean(o) for o in c.objects]}
            for c in observed.clusters
        ]
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("catalog", type=Path)
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--crds", type=Path, default=ROOT / "vendor" / "argocd")
    parser.add_argument("--record", type=Path, help="write what the reader lists afterwards to this JSON file")
    parser.add_argument(
        "--cluster",
        action="append",
        default=[],
        metavar="NAME=KUBECONFIG",
        help="the API server of each cluster the catalog declares (repeat; default: --kubeconfig's)",
    )
    args = parser.parse_args()
    from fleet.io import cluster as status_reader

    catalog, state = load_state(args.catalog)
    given = dict(value.split("=", 1) for value in args.cluster)
    names = [t.name for t in catalog.targets() if t.name is not None]
    # One kubeconfig for the reader: the current context (Argo CD's cluster) and one context per
    # declared cluster, named like it.
    kubeconfig = merged_kubeconfig(args.kubeconfig, {name: given.get(name, args.kubeconfig) for name in names})
    cluster = Cluster(kubeconfig)
    declared = {name: Cluster(kubeconfig, context=name) for name in names}
    try:
        cluster.install_argocd(args.crds, state.argocd_namespace)
        dev = state.environment == "dev"
        write(cluster, state, DEV if dev else others(state), hand_edits=dev, declared=declared)
    finally:
        for each in (cluster, *declared.values()):
            each.close()
    if args.record:
        target = status_reader.Target(kubeconfig, None, clusters=tuple((name, name) for name in names))
        record(status_reader.read(state, target), args.record)
    return 0


def merged_kubeconfig(hub: str, clusters: Mapping[str, str]) -> str:
    """`hub`'s kubeconfig with one more context per declared cluster (named like it), each to the
    current context of that cluster's kubeconfig; written beside `hub`. `hub` itself without any."""
    if not clusters:
        return hub
    data = yaml.safe_load(Path(hub).read_text())
    for name, path in clusters.items():
        other = yaml.safe_load(Path(path).read_text())
        context = next(c for c in other["contexts"] if c["name"] == other["current-context"])["context"]
        entry = next(c for c in other["clusters"] if c["name"] == context["cluster"])["cluster"]
        user = next(u for u in other["users"] if u["name"] == context["user"])["user"]
        data["clusters"].append({"name": f"declared-{name}", "cluster": entry})
        data["users"].append({"name": f"declared-{name}", "user": user})
        data["contexts"].append({"name": name, "context": {"cluster": f"declared-{name}", "user": f"declared-{name}"}})
    out = Path(hub).with_name(f"{Path(hub).name}.clusters")
    out.write_text(yaml.safe_dump(data))
    out.chmod(0o600)
    return str(out)


if __name__ == "__main__":
    sys.exit(main())
