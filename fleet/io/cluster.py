"""The one part of `fleet status` that does I/O: list calls against an environment's API server.

Read-only by construction: it only issues `list` requests, one per kind (paged), never one per
app, for exactly the kinds in `fleet.apis.kubernetes.READ_KINDS` (cluster-wide) and Argo CD's
Applications and AppProjects (in the Argo CD namespace): what the `fleet-status` ClusterRole and
Role grant. The official `kubernetes` client resolves the kubeconfig (contexts, TLS, tokens,
exec plugins) and sends the requests; the lists are read raw and parsed with orjson, because its
typed API classes cost seconds to import and to deserialize at 1,000 apps (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from fleet.apis.argocd import ARGOCD_KINDS
from fleet.apis.kubernetes import READ_KINDS
from fleet.render.state import FleetState
from fleet.status import report as status
from fleet.text.problems import UsageError

try:  # the optional extra: the offline commands install and run without it
    from kubernetes import config
    from kubernetes.client.api_client import ApiClient
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config.config_exception import ConfigException
    from urllib3.exceptions import HTTPError
except ModuleNotFoundError as missing:
    raise UsageError(
        f"reading a cluster needs the Kubernetes client, which is not installed ({missing.name}): "
        "pip install 'app-of-apps[status]'"
    ) from None

PAGE = 500  # objects per list call; the API server pages larger lists with continue tokens
TIMEOUT = (5, 60)  # seconds: connect, read


class ReadError(Exception):
    """The API server could not be read: a usage or connection error (exit 2)."""


@dataclass(frozen=True)
class Target:
    """How to reach one environment's API server."""

    kubeconfig: str | None  # None: $KUBECONFIG, else ~/.kube/config
    context: str | None  # None: the kubeconfig's current-context
    as_user: str | None = None  # impersonate (kubectl --as), e.g. to see what the CI identity sees
    as_group: str | None = None  # kubectl --as-group
    # The environment's declared clusters: (name, kubeconfig context), each read for its objects.
    clusters: tuple[tuple[str, str], ...] = ()


def _kubeconfig_path(target: Target) -> str:
    if target.kubeconfig:
        return target.kubeconfig
    # Read at call time: the client reads $KUBECONFIG once, when it is imported.
    return os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")


def connect(target: Target) -> tuple[ApiClient, str, str]:
    """(client, context name, server URL), or a ReadError naming the kubeconfig and context."""
    path = _kubeconfig_path(target)
    first = path.split(os.pathsep)[0]
    if not Path(first).is_file():
        raise ReadError(f"kubeconfig {first} does not exist (give --kubeconfig or set KUBECONFIG)")
    try:
        contexts, current = config.list_kube_config_contexts(config_file=path)
        names = [c["name"] for c in contexts]
        context = target.context or (current or {}).get("name")
        if context not in names:
            raise ReadError(
                f"kubeconfig {path} has no context {context!r}; it has: {', '.join(names) or 'none'}"
                if context
                else f"kubeconfig {path} has no current-context; name one with --context or cluster.context"
            )
        api = config.new_client_from_config(config_file=path, context=context, persist_config=False)
    except ConfigException as err:
        raise ReadError(f"kubeconfig {path}, context {target.context or '(current)'}: {err}") from None
    if target.as_user:
        api.set_default_header("Impersonate-User", target.as_user)
    if target.as_group:
        api.set_default_header("Impersonate-Group", target.as_group)
    return api, str(context), str(api.configuration.host)


def _get(api: ApiClient, path: str, query: list[tuple[str, Any]]) -> bytes:
    """One GET through the client (its auth, TLS and token refresh), the body unparsed."""
    method, url, headers, _, _ = api.param_serialize(
        "GET", path, query_params=query, header_params={"Accept": "application/json"}, auth_settings=["BearerToken"]
    )
    response = api.call_api(method, url, headers, _request_timeout=TIMEOUT)
    data = response.read()
    if not 200 <= response.status <= 299:
        raise ApiException(status=response.status, reason=response.reason, body=data.decode(errors="replace"))
    return data


def _page(get: Callable[[str, list[tuple[str, Any]]], bytes], path: str) -> list[dict[str, Any]]:
    """Every item of a list, PAGE at a time (the API server's continue tokens)."""
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        body = orjson.loads(get(path, [("limit", PAGE), *([("continue", token)] if token else [])]))
        items += body.get("items") or []
        token = (body.get("metadata") or {}).get("continue")
        if not token:
            return items


def _explain(err: ApiException, what: str, where: str) -> str:
    if err.status == 401:
        return f"{where}: the API server refused the credentials (401 Unauthorized)"
    if err.status == 403:
        return (
            f"{where}: not allowed to list {what} (403 Forbidden): bind the identity to the fleet-status group, "
            "which the program grants read access (docs/operator/status.md)"
        )
    if err.status == 404 and "argoproj.io" in what:
        return f"{where}: {what} not found (404): are Argo CD's CRDs installed?"
    return f"{where}: listing {what} failed ({err.status} {err.reason})"


def _read_kinds(api: ApiClient, where: str) -> list[dict[str, Any]]:
    """The READ_KINDS, cluster-wide, from one API server."""
    objects: list[dict[str, Any]] = []
    what = ""
    try:
        for kind in READ_KINDS:
            what = kind.plural
            page = _page(lambda path, query: _get(api, path, query), f"/{kind.path()}")
            objects += status.items_of({"items": page}, kind.name, kind.api_version)
    except ApiException as err:
        raise ReadError(_explain(err, what, where)) from None
    except (HTTPError, OSError) as err:
        raise ReadError(f"{where}: cannot reach the API server: {err}") from None
    return objects


def _read_cluster(state: FleetState, target: Target, name: str, context: str) -> status.ClusterObserved:
    """One declared cluster: its READ_KINDS, through its own context (the same identity flags)."""
    try:
        api, context, server = connect(
            Target(target.kubeconfig, context, as_user=target.as_user, as_group=target.as_group)
        )
    except ReadError as err:
        raise ReadError(f"environment {state.environment}, cluster {name}: {err}") from None
    try:
        objects = _read_kinds(api, f"environment {state.environment}, cluster {name} (context {context}, {server})")
    finally:
        api.close()
    return status.ClusterObserved(name=name, context=context, server=server, objects=tuple(objects))


def read(state: FleetState, target: Target) -> status.Observed:
    """List what `fleet status` needs from the environment's API server: with declared clusters,
    Argo CD's objects from Argo CD's cluster and the READ_KINDS from each declared cluster."""
    try:
        api, context, server = connect(target)
    except ReadError as err:
        raise ReadError(f"environment {state.environment}: {err}") from None
    where = f"environment {state.environment} (context {context}, {server})"

    def get(path: str, query: list[tuple[str, Any]]) -> bytes:
        return _get(api, path, query)

    observed_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    objects: list[dict[str, Any]] = []
    argocd: dict[str, list[dict[str, Any]]] = {}
    what = ""
    try:
        if not target.clusters:
            objects = _read_kinds(api, where)
        for kind in ARGOCD_KINDS:
            what = f"{kind.plural}.{kind.group} in namespace {state.argocd_namespace}"
            page = _page(get, f"/{kind.path(state.argocd_namespace)}")
            argocd[kind.name] = status.items_of({"items": page}, kind.name, kind.api_version)
    except ApiException as err:
        raise ReadError(_explain(err, what, where)) from None
    except (HTTPError, OSError) as err:
        raise ReadError(f"{where}: cannot reach the API server: {err}") from None
    finally:
        api.close()
    clusters = tuple(_read_cluster(state, target, name, cluster_context) for name, cluster_context in target.clusters)
    return status.Observed(
        context=context,
        server=server,
        observed_at=observed_at,
        objects=tuple(objects),
        applications=tuple(argocd["Application"]),
        projects=tuple(argocd["AppProject"]),
        clusters=clusters,
    )
