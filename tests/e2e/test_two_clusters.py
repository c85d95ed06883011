"""Two clusters as one environment (issue 20): the dev catalog with `clusters: [a, b]`, deployed for
real by `pulumi up` through one Kubernetes provider per cluster.

Cluster a is the tier's disposable API server, which is also Argo CD's cluster (the one of
`cluster`); cluster b is a second API server from the engine kit on other loopback ports
(`E2E_SECOND_KUBECONFIG` names another disposable one instead). Team payments is on both (the
default), team identity only on a. Then: every object of the offline plan is on the cluster the
plan puts it on, field for field, and nowhere else; a second preview finds nothing to do; the
access report (per cluster) is what each cluster's authorizer decides, by SubjectAccessReviews on
both; `fleet status` reads both clusters, one row per app per cluster, with no drift, and names the
cluster of an object removed by hand. `up` runs under the policy pack.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.catalog.naming import ARGOCD_SECRET_TYPE_LABEL, CLUSTER_LABEL, TEAM_LABEL
from tests.conftest import ROOT
from tests.e2e.conftest import disposable_reason
from tests.e2e.engine import Workspace
from tests.e2e.kube import Kube, is_loopback, read_context
from tests.e2e.test_dev_stack import mismatches, namespaces_of, split_resource

STACK = "dev"
ENGINE_KIT = ROOT.parent / "shared" / "engine"
# The second API server's ports (the engine kit's README): beside the first, never on it.
SECOND = {
    "CLUSTER_DIR": str(Path(os.environ.get("ENGINE_DIR", Path.home() / "engine")) / "cluster-b"),
    "API_PORT": "26444",
    "ETCD_PORT": "23793",
    "ETCD_PEER_PORT": "23794",
    "KCM_PORT": "26258",
}
ONLY_ON_A = "identity"  # a team placed on one cluster: nothing of it may reach b
PROBE_USER = "e2e-probe@acme.example"


def _apiserver(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ENGINE_KIT / "apiserver.sh"), command],
        env={**os.environ, **SECOND},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def second_kubeconfig() -> Iterator[Path]:
    """An admin kubeconfig of cluster b: given, or the engine kit's second API server (started
    here and stopped at the end if this module started it)."""
    given = os.environ.get("E2E_SECOND_KUBECONFIG")
    started = False
    if given:
        path = Path(given)
    else:
        if not (ENGINE_KIT / "apiserver.sh").is_file():
            pytest.skip(f"no second cluster: set E2E_SECOND_KUBECONFIG or provide the engine kit at {ENGINE_KIT}")
        started = "kube-apiserver: running" not in _apiserver("status").stdout
        if started:  # from an empty store, as scripts/e2e.sh starts the first: a stopped run's objects go
            reset = _apiserver("reset")
            assert reset.returncode == 0, f"the second API server's store was not reset:\n{reset.stderr}"
        result = _apiserver("start")
        assert result.returncode == 0, f"the second API server did not start:\n{result.stdout}\n{result.stderr}"
        path = Path(result.stdout.strip().splitlines()[-1])
    context = read_context(path)
    assert is_loopback(context.server), f"the second cluster {context.server} is not on loopback"
    assert given is None or disposable_reason(context.name, context.cluster_name), "not marked disposable"
    try:
        yield path
    finally:
        if started:
            _apiserver("stop")


def _merged_kubeconfig(first: Path, second: Path, dest: Path) -> tuple[Path, dict[str, str]]:
    """One kubeconfig: the tier's current context (Argo CD's cluster), and contexts `a` (the same
    API server) and `b` (the second), each with its own cluster and user entries."""
    merged: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}
    first_context = read_context(first)
    servers = {}
    for name, path in (("hub", first), ("a", first), ("b", second)):
        context = read_context(path)
        cluster = dict(context.cluster)
        if "certificate-authority" in cluster:  # a file beside its kubeconfig: inline it
            ca = (path.parent / cluster.pop("certificate-authority")).read_bytes()
            cluster["certificate-authority-data"] = base64.b64encode(ca).decode()
        context_name = first_context.name if name == "hub" else name
        merged["clusters"].append({"name": f"{name}-cluster", "cluster": cluster})
        merged["users"].append({"name": f"{name}-user", "user": context.user})
        merged["contexts"].append(
            {"name": context_name, "context": {"cluster": f"{name}-cluster", "user": f"{name}-user"}}
        )
        servers[name] = context.server
    merged["current-context"] = first_context.name
    dest.write_text(yaml.safe_dump(merged))
    dest.chmod(0o600)
    return dest, servers


def _declare_clusters(platform: Path, servers: dict[str, str], ca_of_a: str | None) -> None:
    data = yaml.safe_load(platform.read_text())
    role = f"arn:aws:iam::{data['aws']['account_id']}:role/argocd-deployer"
    a = {
        "name": "a",
        "server": servers["a"],
        "region": data["aws"]["region"],
        "eks_cluster_name": "acme-dev-a",
        "argocd_role_arn": role,
    }
    if ca_of_a:
        a["ca_data"] = ca_of_a
    b = {
        "name": "b",
        "server": servers["b"],
        "region": "eu-central-1",  # another region: its own AWS provider for the associations
        "eks_cluster_name": "acme-dev-b",
        "argocd_role_arn": role,
    }
    data["clusters"] = [a, b]
    platform.write_text(yaml.safe_dump(data, sort_keys=False))


def _place_team_on_a(team_file: Path) -> None:
    data = yaml.safe_load(team_file.read_text())
    teams = data.get("teams", [data])
    for team in teams:
        namespaces = team.get("namespaces") or [{"name": team["name"]}]
        team["namespaces"] = [{**ns, "clusters": ["a"]} for ns in namespaces]
    team_file.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture(scope="module")
def fleet(
    pulumi_env: dict[str, str],
    argocd_crds: list[str],
    kubeconfig: str,
    second_kubeconfig: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("two-clusters")
    merged, servers = _merged_kubeconfig(Path(kubeconfig), second_kubeconfig, folder / "kubeconfig")
    ws = Workspace.platform(folder / "app-of-apps", {**pulumi_env, "KUBECONFIG": str(merged)})
    catalog = ws.dir / "stacks" / STACK
    assert (catalog / "platform.yaml").is_file(), "the shipped dev catalog is a folder"
    ca = read_context(Path(kubeconfig)).cluster.get("certificate-authority-data")
    _declare_clusters(catalog / "platform.yaml", servers, ca)
    _place_team_on_a(catalog / "teams" / f"{ONLY_ON_A}.yaml")
    plan = folder / "plan"
    subprocess.run([sys.executable, "-m", "fleet", "plan", str(catalog), "--out", str(plan)], check=True, cwd=ROOT)
    kubes = {"a": Kube(Path(kubeconfig)), "b": Kube(second_kubeconfig)}
    # What the plan puts on each cluster: Argo CD's (kubernetes/) is cluster a's API server.
    planned: dict[str, list[dict[str, Any]]] = {"a": [], "b": []}
    for path in sorted(plan.rglob("*.yaml")):
        relative = path.relative_to(plan).parts
        if relative[0] == "kubernetes":
            planned["a"].append(yaml.safe_load(path.read_text()))
        elif relative[0] == "clusters":
            planned[relative[1]].append(yaml.safe_load(path.read_text()))
    # b has no Argo CD and no argocd namespace of its own: nothing of Argo CD's may be planned there.
    assert planned["b"]
    assert not [o for o in planned["b"] if o["metadata"].get("namespace") == "argocd"]
    ws.init(STACK, {})
    try:
        # Under the policy pack: the same guardrails judge every cluster's objects.
        ws.pulumi("up", "--yes", "--skip-preview", "--stack", STACK, "--policy-pack", "policies", timeout=1800)
        yield {
            "ws": ws,
            "kubes": kubes,
            "planned": planned,
            "plan": plan,
            "catalog": catalog,
            "kubeconfig": merged,
            "hub": read_context(merged).name,
        }
    finally:
        try:
            ws.remove(STACK)
        finally:  # namespaces are retained on delete: removed by hand on both clusters
            for name, kube in kubes.items():
                assert kube.delete_namespaces(namespaces_of(planned[name])) == [], name
                kube.close()


def test_every_planned_object_is_on_its_cluster_field_for_field(fleet: dict[str, Any]) -> None:
    problems = []
    counts = {}
    for name, objects in fleet["planned"].items():
        kube = fleet["kubes"][name]
        counts[name] = len(objects)
        for obj in objects:
            meta = obj["metadata"]
            if obj["kind"] == "Secret":  # stringData is written into data, base64-encoded
                encoded = {k: base64.b64encode(v.encode()).decode() for k, v in obj.get("stringData", {}).items()}
                obj = {**{k: v for k, v in obj.items() if k != "stringData"}, "data": encoded}
            live = kube.get(kube.path_of(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace")))
            problems += [
                f"{name}: {obj['kind']} {meta.get('namespace', '')}/{meta['name']}{m}" for m in mismatches(obj, live)
            ]
    assert problems == []
    assert counts["b"] > 0


def test_a_team_on_one_cluster_has_nothing_on_the_other(fleet: dict[str, Any]) -> None:
    b = fleet["kubes"]["b"]
    on_a = [
        o
        for o in fleet["planned"]["a"]
        if o["kind"] == "Namespace" and o["metadata"]["labels"].get(TEAM_LABEL) == ONLY_ON_A
    ]
    assert on_a, "the team has a namespace on a"
    for obj in on_a:
        assert not b.exists(f"/api/v1/namespaces/{obj['metadata']['name']}")
    payments = [o for o in fleet["planned"]["b"] if o["kind"] == "Namespace" and o["metadata"]["name"] == "payments"]
    assert payments, "payments is on b too"


def test_argo_cd_reaches_each_cluster_through_its_secret_and_each_app_has_an_application_per_cluster(
    fleet: dict[str, Any],
) -> None:
    a = fleet["kubes"]["a"]
    secrets = a.get("/api/v1/namespaces/argocd/secrets", labelSelector=f"{ARGOCD_SECRET_TYPE_LABEL}=cluster")["items"]
    servers = {}
    for secret in secrets:
        data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
        config = json.loads(data["config"])
        assert set(config) == {"awsAuthConfig", "tlsClientConfig"}  # no token, no password, no key
        assert config["tlsClientConfig"]["insecure"] is False
        servers[data["name"]] = data["server"]
    assert set(servers) == {"a", "b"}
    applications = a.get("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications")["items"]
    by_app: dict[str, set[str]] = {}
    for application in applications:
        labels = application["metadata"]["labels"]
        by_app.setdefault(application["metadata"]["name"].rsplit("-", 1)[0], set()).add(labels[CLUSTER_LABEL])
        assert application["spec"]["destination"]["server"] == servers[labels[CLUSTER_LABEL]]
    assert by_app["payments-checkout"] == {"a", "b"}
    assert all(places == {"a"} for app, places in by_app.items() if app.startswith(f"{ONLY_ON_A}-"))
    project = a.get("/apis/argoproj.io/v1alpha1/namespaces/argocd/appprojects/payments")
    assert {(d["server"], d["namespace"]) for d in project["spec"]["destinations"]} >= {
        (servers["a"], "payments"),
        (servers["b"], "payments"),
    }


def test_a_second_preview_finds_nothing_to_do(fleet: dict[str, Any]) -> None:
    fleet["ws"].pulumi("preview", "--expect-no-changes", "--stack", STACK)


def test_the_access_report_per_cluster_is_what_each_authorizer_decides(fleet: dict[str, Any]) -> None:
    """Every grant of the report (`<cluster>/<namespace>`) is allowed by that cluster's API server
    and, where the namespace is not on the other cluster, denied there; reading Secrets is allowed
    exactly where the report says so."""
    access = json.loads((fleet["plan"] / "access.json").read_text())
    kubes = fleet["kubes"]
    api_groups = {g["name"] for g in kubes["a"].get("/apis")["groups"]}
    questions: list[tuple[str, str, str, str, tuple[str, str, str], bool]] = []
    placed = {
        name: {o["metadata"]["name"] for o in objs if o["kind"] == "Namespace"}
        for name, objs in fleet["planned"].items()
    }
    for group in access["groups"]:
        subject = group["kubernetes_group"]
        if not subject:
            continue
        for place, resources in group["kubernetes"].items():
            cluster, _, namespace = place.partition("/")
            assert cluster in kubes, f"the report names {place}, not <cluster>/<namespace>"
            other = "b" if cluster == "a" else "a"
            for key, verbs in resources.items():
                gr = split_resource(key, api_groups)
                for verb in verbs:
                    questions.append((cluster, subject, namespace, verb, gr, True))
                    if namespace not in placed[other]:
                        questions.append((other, subject, namespace, verb, gr, False))
            # Reading Secrets: exactly as the report says (admins may, the others may not).
            secrets = "get" in resources.get("secrets", [])
            questions.append((cluster, subject, namespace, "get", ("", "secrets", ""), secrets))

    def ask(q: tuple[str, str, str, str, tuple[str, str, str], bool]) -> bool:
        cluster, subject, namespace, verb, gr, _ = q
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": PROBE_USER,
                "groups": [subject, "system:authenticated"],
                "resourceAttributes": {
                    "verb": verb,
                    "group": gr[0],
                    "resource": gr[1],
                    "subresource": gr[2],
                    "namespace": namespace,
                },
            },
        }
        answer = kubes[cluster].request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", review)
        return bool(answer["status"].get("allowed"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(ask, questions))
    wrong = [q for q, yes in zip(questions, answers, strict=True) if yes != q[5]]
    assert wrong == []
    asked = {q[0] for q in questions if q[5]}
    assert asked == {"a", "b"}, "grants were checked on both clusters"
    assert any(not q[5] and q[0] == "b" and q[4][1] != "secrets" for q in questions), "a denial on b had teeth"
    assert any(not q[5] and q[4][1] == "secrets" for q in questions), "some persona may not read Secrets"


def _status(fleet: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """`fleet status --format json` over both clusters, through Argo CD's (the hub's) context."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "fleet",
            "status",
            str(fleet["catalog"]),
            "--kubeconfig",
            str(fleet["kubeconfig"]),
            "--context",
            fleet["hub"],
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_fleet_status_reads_both_clusters(fleet: dict[str, Any]) -> None:
    result = _status(fleet)
    assert result.returncode == 0, result.stderr
    (env,) = json.loads(result.stdout)["environments"]
    assert [(c["name"], c["context"]) for c in env["clusters"]] == [("a", "a"), ("b", "b")]
    planned_applications = sorted(o["metadata"]["name"] for o in fleet["planned"]["a"] if o["kind"] == "Application")
    assert sorted(a["application"] for a in env["applications"]) == planned_applications
    assert all(a["found"] for a in env["applications"])
    rows = {(a["team"], a["app"], a["cluster"]) for a in env["applications"]}
    assert {("payments", "checkout", "a"), ("payments", "checkout", "b")} <= rows
    assert env["drift"] == []
    assert env["unexpected"] == []
    # A hand-made change on b is seen on b, and only there.
    b = fleet["kubes"]["b"]
    quota = copy.deepcopy(b.get("/api/v1/namespaces/payments/resourcequotas"))["items"][0]
    name = quota["metadata"]["name"]
    b.request("DELETE", f"/api/v1/namespaces/payments/resourcequotas/{name}")
    try:
        again = _status(fleet)
        assert again.returncode == 0, again.stderr
        (env,) = json.loads(again.stdout)["environments"]
        assert [(d["kind"], d["namespace"], d["name"], d["cluster"], d["state"]) for d in env["drift"]] == [
            ("ResourceQuota", "payments", name, "b", "missing")
        ]
    finally:
        fleet["ws"].pulumi("up", "--yes", "--skip-preview", "--stack", STACK, "--refresh", timeout=1800)
