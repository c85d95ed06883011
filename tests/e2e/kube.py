"""A small Kubernetes API client for the end-to-end tier: one kubeconfig context, JSON over HTTPS.

The tier talks to the API server directly (no kubectl, no client library): reading objects back
field for field, server-side apply of the vendored CRDs and thousands of SubjectAccessReviews
need nothing more than authenticated JSON requests. Supported credentials are those of
disposable clusters (kind, k3d, the engine kit): bearer tokens, client certificates, basic auth.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import yaml

# Where the tier may connect: the machine itself ("nothing beyond 127.0.0.1"). 0.0.0.0 is what
# k3d writes into kubeconfigs; connecting to it reaches the local host.
LOOPBACK_NAMES = {"localhost"}


class KubeError(Exception):
    def __init__(self, status: int, method: str, path: str, body: Any) -> None:
        message = body.get("message") if isinstance(body, dict) else body
        super().__init__(f"{method} {path}: HTTP {status}: {message}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Context:
    """The current context of a kubeconfig, resolved."""

    name: str
    cluster_name: str
    server: str
    cluster: dict[str, Any]
    user: dict[str, Any]


def read_context(kubeconfig: Path) -> Context:
    data = yaml.safe_load(kubeconfig.read_text()) or {}

    def named(key: str, field: str) -> dict[str, dict[str, Any]]:
        return {i["name"]: i.get(field) or {} for i in data.get(key) or [] if isinstance(i, dict) and "name" in i}

    name = data.get("current-context") or ""
    context = named("contexts", "context").get(name)
    if context is None:
        raise ValueError(f"{kubeconfig}: current-context {name!r} is not one of its contexts")
    cluster = named("clusters", "cluster").get(context.get("cluster", ""), {})
    if not cluster.get("server"):
        raise ValueError(f"{kubeconfig}: context {name!r} has no cluster server")
    user = named("users", "user").get(context.get("user", ""), {})
    return Context(name, context.get("cluster", ""), cluster["server"], cluster, user)


def is_loopback(server: str) -> bool:
    host = urlsplit(server).hostname or ""
    if host in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


class Kube:
    """JSON requests to the API server of one kubeconfig's current context (thread-safe)."""

    def __init__(self, kubeconfig: Path) -> None:
        self.context = read_context(kubeconfig)
        url = urlsplit(self.context.server)
        if url.scheme != "https":
            raise ValueError(f"{kubeconfig}: server {self.context.server} is not https")
        self.host, self.port, self.prefix = url.hostname or "", url.port or 443, url.path.rstrip("/")
        self._files = tempfile.TemporaryDirectory(prefix="e2e-kube-")
        self._ssl = self._tls(kubeconfig.parent)
        self._headers = self._auth(kubeconfig.parent)
        self._local = threading.local()

    # --- credentials ---------------------------------------------------------------------------
    def _material(self, entry: dict[str, Any], key: str, base: Path) -> Path | None:
        """A kubeconfig `key` (a file) or `key-data` (base64) as a file path."""
        if entry.get(f"{key}-data"):
            path = Path(self._files.name) / key
            path.write_bytes(base64.b64decode(entry[f"{key}-data"]))
            return path
        if entry.get(key):
            return base / entry[key]
        return None

    def _tls(self, base: Path) -> ssl.SSLContext:
        cluster, user = self.context.cluster, self.context.user
        if cluster.get("insecure-skip-tls-verify"):
            tls = ssl._create_unverified_context()
        else:
            ca = self._material(cluster, "certificate-authority", base)
            tls = ssl.create_default_context(cafile=str(ca) if ca else None)
        cert, key = self._material(user, "client-certificate", base), self._material(user, "client-key", base)
        if cert and key:
            tls.load_cert_chain(str(cert), str(key))
        return tls

    def _auth(self, base: Path) -> dict[str, str]:
        user = self.context.user
        if user.get("exec") or user.get("auth-provider"):
            raise ValueError(
                f"context {self.context.name}: exec/auth-provider credentials are not supported by the e2e tier "
                "(a disposable cluster's admin kubeconfig has a token or a client certificate)"
            )
        token = user.get("token") or (
            Path(base / user["tokenFile"]).read_text().strip() if user.get("tokenFile") else ""
        )
        if token:
            return {"Authorization": f"Bearer {token}"}
        if user.get("username"):
            pair = f"{user['username']}:{user.get('password', '')}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        return {}

    # --- requests ------------------------------------------------------------------------------
    def _connection(self) -> http.client.HTTPSConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPSConnection(self.host, self.port, context=self._ssl, timeout=60)
            self._local.conn = conn
        return conn

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Any:
        """The decoded JSON answer; KubeError for any status >= 400."""
        target = self.prefix + path + (f"?{urlencode(query)}" if query else "")
        payload = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        headers = {**self._headers, "Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = content_type
        for attempt in range(2):  # a keep-alive connection the server closed is reopened once
            conn = self._connection()
            try:
                conn.request(method, target, body=payload, headers=headers)
                response = conn.getresponse()
                raw = response.read()
                break
            # (over TLS, a connection the server closed while idle can also end in an SSL EOF)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ssl.SSLEOFError):
                conn.close()
                self._local.conn = None
                if attempt:
                    raise
        decoded: Any = json.loads(raw) if raw[:1] in (b"{", b"[") else raw.decode(errors="replace")
        if response.status >= 400:
            raise KubeError(response.status, method, path, decoded)
        return decoded

    def get(self, path: str, **query: str) -> Any:
        return self.request("GET", path, query=query or None)

    def exists(self, path: str) -> bool:
        try:
            self.get(path)
        except KubeError as err:
            if err.status == 404:
                return False
            raise
        return True

    def apply(self, path: str, obj: dict[str, Any], manager: str = "app-of-apps-e2e") -> Any:
        """Server-side apply (idempotent; no last-applied annotation, so large CRDs fit)."""
        return self.request(
            "PATCH",
            path,
            json.dumps(obj).encode(),
            query={"fieldManager": manager, "force": "true"},
            content_type="application/apply-patch+yaml",
        )

    def delete(self, path: str) -> None:
        try:
            self.request("DELETE", path)
        except KubeError as err:
            if err.status != 404:
                raise

    def delete_namespaces(self, names: list[str], timeout: float = 120) -> list[str]:
        """Delete the namespaces, with everything in them (a stack retains its namespaces on
        delete: a test removes them by hand), and wait until they are gone; the paths still there."""
        paths = [f"/api/v1/namespaces/{quote(name)}" for name in names]
        for path in paths:
            self.delete(path)
        return self.wait_gone(paths, timeout)

    def wait_gone(self, paths: list[str], timeout: float = 120) -> list[str]:
        """Wait until none of `paths` exists (namespaces finalize asynchronously); what is left."""
        deadline = time.monotonic() + timeout
        left = list(paths)
        while left and time.monotonic() < deadline:
            left = [p for p in left if self.exists(p)]
            if left:
                time.sleep(0.5)
        return left

    # --- paths ---------------------------------------------------------------------------------
    def path_of(self, api_version: str, kind: str, name: str | None = None, namespace: str | None = None) -> str:
        """The REST path of a kind (its plural from API discovery, cached)."""
        plural, namespaced = self._resource(api_version, kind)
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if namespaced and namespace:
            base += f"/namespaces/{quote(namespace)}"
        return f"{base}/{plural}" + (f"/{quote(name)}" if name else "")

    def _resource(self, api_version: str, kind: str) -> tuple[str, bool]:
        cache: dict[str, dict[str, tuple[str, bool]]] = self.__dict__.setdefault("_discovery", {})
        if api_version not in cache:
            listing = self.get("/api/v1" if api_version == "v1" else f"/apis/{api_version}")
            cache[api_version] = {
                r["kind"]: (r["name"], r["namespaced"]) for r in listing["resources"] if "/" not in r["name"]
            }
        if kind not in cache[api_version]:
            cache.pop(api_version)
            raise KubeError(404, "GET", f"{api_version} {kind}", "kind not served by the API server")
        return cache[api_version][kind]

    def close(self) -> None:
        self._files.cleanup()
