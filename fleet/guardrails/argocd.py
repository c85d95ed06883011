"""Argo CD guardrails: what an AppProject may deploy where, and Applications inside it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlparse

import yaml

from fleet.guardrails.base import Rule, Settings, StackResource, StackRule, as_list, metadata, spec
from fleet.guardrails.reserved import reserved_reason
from fleet.naming import ARGOCD_ROLE_PATTERN

PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
# Kinds the platform owns inside a team namespace; a project must refuse them.
PLATFORM_OWNED_KINDS = (
    ("", "LimitRange"),
    ("", "ResourceQuota"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
)
_ROLE_NAME = re.compile(ARGOCD_ROLE_PATTERN)


# Argo CD matches sourceRepos and destinations as globs (gobwas/glob): '*', '?', classes '[…]'
# with '!' negation, alternatives '{a,b}'. Any of them turns an entry into a pattern.
GLOB_CHARACTERS = "*?[]{}!"


def has_wildcard(value: str) -> bool:
    return any(c in value for c in GLOB_CHARACTERS)


def url_decoded(value: str) -> str:
    """`value` with percent-encoding undone until nothing changes (%252A -> %2A -> *)."""
    for _ in range(8):
        decoded = unquote(value)
        if decoded == value:
            break
        value = decoded
    return value


def repo_path(url: str) -> str:
    """The part after the host: 'acme/' of https://github.com/acme/ or git@github.com:acme/."""
    if url.startswith("git@"):
        return url.partition(":")[2].strip("/")
    return urlparse(url).path.strip("/")


def repo_url_problem(url: str) -> str | None:
    """What makes a prefix comparison of repository URLs unsafe."""
    found = sorted({c for c in url_decoded(url) if c in GLOB_CHARACTERS})
    if found:
        return (
            f"repository URLs must not contain wildcards or glob characters ({' '.join(found)}, "
            "also when percent-encoded): Argo CD would match the URL as a pattern"
        )
    path = repo_path(url)
    if ".." in path.split("/") or any(c in path for c in "%#@\\"):
        return "the repository path must not contain '..', '%', '#', '@' or '\\' (a prefix check could be escaped)"
    return None


def repo_allowed(repo: str, allowed: Sequence[str]) -> bool:
    """An exact entry, or a prefix entry ending in '/'."""
    return any(repo == entry or (entry.endswith("/") and repo.startswith(entry)) for entry in allowed)


def destination_problem(namespace: str, argocd_namespace: str, reserved: Sequence[str] = ()) -> str | None:
    if has_wildcard(namespace):
        return "a wildcard namespace reaches every namespace, Argo CD's own included"
    return reserved_reason(namespace, argocd_namespace, reserved)


def _sources(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    repos = [str(r) for r in as_list(spec(props).get("sourceRepos"))]
    for repo in repos:
        if has_wildcard(repo):
            yield f"sourceRepos has {repo!r}: a wildcard lets the project deploy from anywhere"
        elif (problem := repo_url_problem(repo)) is not None:
            yield f"sourceRepos has {repo!r}: {problem}"
        elif settings.allowed_repos and not repo_allowed(repo, settings.allowed_repos):
            yield f"sourceRepos has {repo!r}, outside the allowed repositories"


def _destinations(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    for i, destination in enumerate(as_list(spec(props).get("destinations"))):
        if not isinstance(destination, Mapping):
            continue
        namespace = str(destination.get("namespace", ""))
        if not namespace:
            yield f"destinations[{i}] has no namespace (cluster-scoped deployment)"
        elif (
            reason := destination_problem(namespace, settings.argocd_namespace, settings.reserved_namespaces)
        ) is not None:
            yield f"destinations[{i}]: {reason}"
        for field in ("server", "name"):
            if has_wildcard(str(destination.get(field, ""))):
                yield f"destinations[{i}].{field} is a wildcard: every cluster Argo CD knows"


def _cluster_resources(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    body = spec(props)
    if as_list(body.get("clusterResourceWhitelist")):
        yield "clusterResourceWhitelist must be empty: team projects create no cluster-scoped objects"
    denied = {
        (str(k.get("group", "")), str(k.get("kind", "")))
        for k in as_list(body.get("namespaceResourceBlacklist"))
        if isinstance(k, Mapping)
    }
    missing = [f"{group or 'core'}/{kind}" for group, kind in PLATFORM_OWNED_KINDS if (group, kind) not in denied]
    if missing:
        yield f"namespaceResourceBlacklist lacks platform-owned kinds {', '.join(missing)}: apps could replace the quota, limits, policy or RBAC"


def _roles(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    project = str(metadata(props).get("name", ""))
    for i, role in enumerate(as_list(spec(props).get("roles"))):
        if not isinstance(role, Mapping):
            continue
        name = str(role.get("name", ""))
        if not _ROLE_NAME.match(name):
            yield f"roles[{i}].name {name!r} does not match {ARGOCD_ROLE_PATTERN}"
        for group in as_list(role.get("groups")):
            if any(c in str(group) for c in "\"',\n") or not str(group):
                yield f"roles[{i}].groups has {group!r}: no quotes, commas or newlines"
        for line in as_list(role.get("policies")):
            parts = [p.strip() for p in str(line).split(",")]
            if len(parts) != 6 or parts[0] != "p":
                yield f"roles[{i}].policies has {line!r}: expected 'p, <subject>, <resource>, <action>, <object>, <effect>'"
                continue
            subject, obj = parts[1], parts[4]
            if subject != f"proj:{project}:{name}":
                yield f"roles[{i}].policies names {subject!r}, not proj:{project}:{name}"
            if obj != f"{project}/*" and not obj.startswith(f"{project}/"):
                yield f"roles[{i}].policies reaches {obj!r}, outside {project}/*"


# --- sources: Git paths, Helm charts, Kustomize overlays, multi-source refs ----------------------
CHART_VERSION = re.compile(r"^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
# Helm values that move a chart's objects to another namespace (the chart's own convention).
NAMESPACE_VALUES = (("namespaceOverride",), ("global", "namespace"))


def path_problem(path: str) -> str | None:
    """A path must stay inside its repository (CVE-2022-24348: value files escaping the repo)."""
    if not path or path.startswith("/") or ".." in path.replace("\\", "/").split("/") or "\\" in path:
        return f"{path!r} must be a relative path inside the repository, without '..'"
    if "://" in path:
        return f"{path!r} is a URL: files come from the source's own repository"
    return None


def value_file_problem(value_file: str, refs: Sequence[str]) -> str | None:
    """A value file is relative to its source, or `$<ref>/…` inside a ref source of the same app."""
    if value_file.startswith("$"):
        ref, _, rest = value_file[1:].partition("/")
        if ref not in refs:
            known = ", ".join(f"${r}" for r in refs) or "none"
            return f"{value_file!r} names ${ref}, not a ref of this app's sources (known: {known})"
        return path_problem(rest)
    return path_problem(value_file)


def chart_version_problem(version: str, pinned: bool) -> str | None:
    """A chart's targetRevision is a version or a range; production pins exact versions."""
    if version == "HEAD" or not version.strip():
        return "a chart needs revision: its version (Git's HEAD means nothing to a Helm repository)"
    if pinned and not CHART_VERSION.match(version):
        return f"chart version {version!r} is a range or wildcard; production pins an exact version (e.g. 1.4.2)"
    return None


def values_namespace_problems(values: Any, namespace: str) -> Iterator[str]:
    """Helm values that put a chart's objects in another namespace than the app's."""
    if not isinstance(values, Mapping):
        return
    for keys in NAMESPACE_VALUES:
        node: Any = values
        for key in keys:
            node = node.get(key) if isinstance(node, Mapping) else None
        if node is not None and str(node) != namespace:
            yield (
                f"values {'.'.join(keys)}={node!r} moves objects out of the app's namespace {namespace!r} "
                "(cross-namespace, outside the project's destinations)"
            )


def _source_list(body: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(field path, source) of a single- or multi-source Application."""
    out = [("source", body["source"])] if isinstance(body.get("source"), Mapping) else []
    out += [(f"sources[{i}]", s) for i, s in enumerate(as_list(body.get("sources"))) if isinstance(s, Mapping)]
    return out


def _helm_values(helm: Mapping[str, Any]) -> Any:
    if isinstance(helm.get("valuesObject"), Mapping):
        return helm["valuesObject"]
    if isinstance(helm.get("values"), str):
        try:
            return yaml.safe_load(helm["values"])
        except yaml.YAMLError:
            return None
    return None


def _application_sources(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    body = spec(props)
    destination = body.get("destination") if isinstance(body.get("destination"), Mapping) else {}
    namespace = str(destination.get("namespace", ""))
    sources = _source_list(body)
    refs = [str(s["ref"]) for _, s in sources if s.get("ref")]
    for where, source in sources:
        repo = str(source.get("repoURL", ""))
        if (problem := repo_url_problem(repo)) is not None:
            yield f"{where}.repoURL {repo!r}: {problem}"
        elif settings.allowed_repos and not repo_allowed(repo, settings.allowed_repos):
            yield f"{where}.repoURL {repo!r} is outside the allowed repositories"
        if source.get("path") is not None and (problem := path_problem(str(source["path"]))) is not None:
            yield f"{where}.path: {problem}"
        helm = source.get("helm") if isinstance(source.get("helm"), Mapping) else {}
        for value_file in as_list(helm.get("valueFiles")):
            if (problem := value_file_problem(str(value_file), refs)) is not None:
                yield f"{where}.helm.valueFiles: {problem}"
        yield from (f"{where}.helm: {p}" for p in values_namespace_problems(_helm_values(helm), namespace))


def _application_project(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    if spec(props).get("project") in (None, "", "default"):
        yield "the 'default' project allows every repository and destination; name the team's project"


def _applications_inside_projects(
    resources: Sequence[StackResource], settings: Settings
) -> Iterator[tuple[StackResource, str]]:
    projects = {str(metadata(r.props).get("name")): r for r in resources if r.type == PROJECT}
    for r in resources:
        if r.type != APPLICATION:
            continue
        body = spec(r.props)
        name = str(body.get("project", ""))
        destination = body.get("destination") if isinstance(body.get("destination"), Mapping) else {}
        namespace = str(destination.get("namespace", ""))
        if (
            reason := destination_problem(namespace, settings.argocd_namespace, settings.reserved_namespaces)
        ) is not None:
            yield r, f"destination namespace: {reason}"
        project = projects.get(name)
        if project is None:
            continue  # a project of another stack: the resource rules judge it there
        allowed = {
            (str(d.get("server", "")), str(d.get("namespace", "")))
            for d in as_list(spec(project.props).get("destinations"))
            if isinstance(d, Mapping)
        }
        if (str(destination.get("server", "")), namespace) not in allowed:
            yield (
                r,
                f"deploys to {destination.get('server')} {namespace!r}, outside the destinations of project {name!r}",
            )
        allowed_repos = [str(s) for s in as_list(spec(project.props).get("sourceRepos"))]
        # One source, or several (multi-source Applications).
        for source in [body.get("source"), *as_list(body.get("sources"))]:
            repo = str(source.get("repoURL", "")) if isinstance(source, Mapping) else ""
            if repo and repo not in allowed_repos:
                yield r, f"deploys from {repo!r}, not one of project {name!r}'s sourceRepos"


RULES: tuple[Rule, ...] = (
    Rule(
        "argocd-project-sources",
        "sourceRepos only inside the allow-list, never a wildcard",
        "argo-cd docs: security.md, declarative-setup.md",
        (PROJECT,),
        _sources,
    ),
    Rule(
        "argocd-project-destinations",
        "destinations only team namespaces: never a glob, the Argo CD namespace, kube-*, default or another reserved namespace",
        "argo-cd declarative-setup.md (projects that deploy to the Argo CD namespace grant admin)",
        (PROJECT,),
        _destinations,
    ),
    Rule(
        "argocd-project-cluster-resources",
        "clusterResourceWhitelist empty; platform-owned kinds blacklisted",
        "argo-cd projects.md",
        (PROJECT,),
        _cluster_resources,
    ),
    Rule(
        "argocd-project-roles",
        "role names valid, groups plain names, policies scoped to <project>/*",
        "argo-cd app_project_types.go ValidateProject",
        (PROJECT,),
        _roles,
    ),
    Rule(
        "argocd-application-sources",
        "every source of an Application: repo allowed, paths and value files inside their repo, "
        "Helm values keep the app's namespace",
        "CVE-2022-24348; argo-cd multiple_sources.md, helm.md",
        (APPLICATION,),
        _application_sources,
    ),
    Rule(
        "argocd-application-project",
        "Applications name a real team project, never 'default'",
        "argo-cd#2785, #3474",
        (APPLICATION,),
        _application_project,
    ),
)

STACK_RULES: tuple[StackRule, ...] = (
    StackRule(
        "argocd-application-destinations",
        "Applications deploy only into their project's destinations, from its repos",
        "argo-cd#2785, #3474",
        _applications_inside_projects,
    ),
)
