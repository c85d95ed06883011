"""Argo CD guardrails: what an AppProject may deploy where, and Applications inside it."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlparse

import yaml

from fleet.apis.pulumi_types import APP_PROJECT, APPLICATION, any_version, kubernetes_kind
from fleet.catalog import tenancy
from fleet.catalog.naming import ARGOCD_DEFAULT_PROJECT, ARGOCD_ROLE_PATTERN
from fleet.catalog.platform import ARGO, PLATFORM_OWNED_KINDS
from fleet.guardrails.base import (
    Rule,
    Settings,
    StackResource,
    StackRule,
    as_list,
    metadata,
    spec,
)
from fleet.guardrails.reserved import reserved_reason

PROJECT_TYPES = (any_version(ARGO, "AppProject"),)
APPLICATION_TYPES = (any_version(ARGO, "Application"),)
APPLICATION_SET_TYPES = (any_version(ARGO, "ApplicationSet"),)
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


def helm_host_root(url: str) -> bool:
    """`https://host` with nothing after the host: where many Helm repositories are served
    (https://charts.jetstack.io). Allowed only as an exact allow-list entry and only for chart
    sources; `https://host/` (with the '/') would be a prefix of every repository on the host."""
    parsed = urlparse(url)
    return parsed.scheme == "https" and bool(parsed.netloc) and url == f"https://{parsed.netloc}"


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


def owned_destination_problem(namespace: str, project: str, settings: Settings) -> str | None:
    """A project (named after its team) deploys only into namespaces that carry the team's
    ownership; the 'default' project is judged by argocd-default-project."""
    if not project or project == ARGOCD_DEFAULT_PROJECT or has_wildcard(project) or "{{" in project:
        return None
    return tenancy.ownership_problem(namespace, project, settings.grants, settings.teams)


def _destinations(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    project = str(metadata(props).get("name", ""))
    if settings.team and project != settings.team:
        yield f"metadata.name: AppProject {project!r} in team {settings.team!r}'s stack: a team's stack holds only its own project"
    for i, destination in enumerate(as_list(spec(props).get("destinations"))):
        if not isinstance(destination, Mapping):
            continue
        namespace = str(destination.get("namespace", ""))
        if not namespace:
            yield f"destinations[{i}] has no namespace (cluster-scoped deployment)"
        elif (
            reason := destination_problem(namespace, settings.argocd_namespace, settings.reserved_namespaces)
        ) is not None or (reason := owned_destination_problem(namespace, project, settings)) is not None:
            yield f"destinations[{i}]: {reason}"
        for field in ("server", "name"):
            value = str(destination.get(field, ""))
            if has_wildcard(value):
                yield f"destinations[{i}].{field} {value!r} is a glob: every cluster Argo CD knows that matches it"
    for i, namespace in enumerate(as_list(spec(props).get("sourceNamespaces"))):
        if has_wildcard(str(namespace)) or str(namespace) == settings.argocd_namespace:
            yield (
                f"sourceNamespaces[{i}] {str(namespace)!r}: Applications of that namespace could use this project; "
                "name the team's own namespaces, without globs"
            )


def _pattern_matches(pattern: str, value: str, unsure: bool) -> bool:
    """Argo CD matches resource lists with Go's filepath.Match. Patterns of '*', '?' and plain
    characters mean the same in Python's fnmatch; for anything else ('[' or a backslash) the
    answer is `unsure`: the reading that cannot let a platform kind through."""
    if "[" in pattern or "\\" in pattern:
        return unsure
    return fnmatch.fnmatchcase(value, pattern)


def _in_list(entries: Any, group: str, name: str, unsure: bool) -> bool:
    """Whether an AppProject resource list covers (group, kind)."""
    return any(
        isinstance(entry, Mapping)
        and _pattern_matches(str(entry.get("group", "")), group, unsure)
        and _pattern_matches(str(entry.get("kind", "")), name, unsure)
        for entry in as_list(entries)
    )


def _cluster_resources(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    body = spec(props)
    if as_list(body.get("clusterResourceWhitelist")):
        yield "clusterResourceWhitelist must be empty: team projects create no cluster-scoped objects"
    if settings.patch and "namespaceResourceBlacklist" not in body and "namespaceResourceWhitelist" not in body:
        return  # a patch that leaves both lists as they are
    if "destinations" in body and not as_list(body.get("destinations")):
        return  # a project that deploys nowhere (Argo CD's hardened 'default' project)
    whitelist = as_list(body.get("namespaceResourceWhitelist"))
    blacklist = body.get("namespaceResourceBlacklist")
    # Argo CD admits a namespaced kind when it is whitelisted (or no whitelist is set) and not blacklisted.
    missing = [
        f"{group or 'core'}/{name}"
        for group, name in PLATFORM_OWNED_KINDS
        if not _in_list(blacklist, group, name, unsure=False)
        and (not whitelist or _in_list(whitelist, group, name, unsure=True))
    ]
    if missing:
        yield (
            f"namespaceResourceBlacklist lacks platform-owned kinds {', '.join(missing)}: apps could replace the quota, limits, "
            "network policy, RBAC or ServiceAccounts, point Services at other namespaces, or create Argo CD objects"
        )


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
        if not repo and settings.patch:
            pass  # a patch that leaves the repository as it is
        elif (problem := repo_url_problem(repo)) is not None:
            yield f"{where}.repoURL {repo!r}: {problem}"
        elif settings.allowed_repos and not repo_allowed(repo, settings.allowed_repos):
            yield f"{where}.repoURL {repo!r} is outside the allowed repositories"
        if source.get("path") is not None and (problem := path_problem(str(source["path"]))) is not None:
            yield f"{where}.path: {problem}"
        helm = source.get("helm") if isinstance(source.get("helm"), Mapping) else {}
        for value_file in as_list(helm.get("valueFiles")):
            if (problem := value_file_problem(str(value_file), refs)) is not None:
                yield f"{where}.helm.valueFiles: {problem}"
        if namespace or not settings.patch:  # a patch without a destination keeps the app's namespace
            yield from (f"{where}.helm: {p}" for p in values_namespace_problems(_helm_values(helm), namespace))


# A revision that names one commit: a full SHA-1 commit id (what Argo CD takes as a commit), a
# semantic-version tag, or any tag named in full. Every other name may be a branch, which moves.
FULL_SHA = re.compile(r"^[0-9a-fA-F]{40}$")
SEMVER_TAG = re.compile(r"^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
TAG_REF = "refs/tags/"
PINNED_REVISION = "argocd-revision-pinned"
_PIN_HINT = "pin a full 40-character commit SHA or a tag (v1.2.3, or any tag as refs/tags/<name>)"


def unpinned_revision(revision: str) -> str | None:
    """Why `revision` may point at another commit tomorrow, or None when it is pinned."""
    if FULL_SHA.match(revision) or SEMVER_TAG.match(revision):
        return None
    if revision.startswith(TAG_REF) and len(revision) > len(TAG_REF) and not any(c.isspace() for c in revision):
        return None
    if revision == "HEAD":
        return f"HEAD follows the repository's default branch; {_PIN_HINT}"
    if re.fullmatch(r"[0-9a-fA-F]{7,39}", revision):
        return (
            f"{revision!r} is a short commit SHA, which Argo CD cannot tell from a branch name; write all 40 characters"
        )
    return f"{revision!r} is a branch, or a tag not named as one; {_PIN_HINT}"


def _pinned_revisions(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    if not settings.require_pinned_revisions:
        return
    body = spec(props)
    sources = [("source", body.get("source"))] if body.get("source") is not None else []
    sources += [(f"sources[{i}]", s) for i, s in enumerate(as_list(body.get("sources")))]
    for where, source in sources:
        if not isinstance(source, Mapping) or source.get("chart"):
            continue  # a Helm chart's targetRevision is a chart version, judged by the chart rules
        if settings.patch and "targetRevision" not in source:
            continue  # a patch that leaves the revision as it is
        revision = str(source.get("targetRevision") or "HEAD")
        if (reason := unpinned_revision(revision)) is not None:
            yield f"{where}.targetRevision: {reason}"


def project_problem(project: Any) -> str | None:
    """What is wrong with the project an Application (or an ApplicationSet's template) names."""
    name = str(project if project is not None else "").strip()
    if name.lower() in ("", ARGOCD_DEFAULT_PROJECT):
        return f"project {name or '(none)'!r}: the 'default' project allows every repository and destination; name the team's project"
    if has_wildcard(name) or "{{" in name:
        return f"project {name!r} is not a plain name (a glob or a template): name the team's project"
    return None


def _application_project(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    body = spec(props)
    if settings.patch and "project" not in body:
        return
    if (problem := project_problem(body.get("project"))) is not None:
        yield problem
    elif settings.team and str(body.get("project")) != settings.team:
        yield (
            f"spec.project {body.get('project')!r} is another team's: an Application of team {settings.team!r}'s "
            f"stack belongs to project {settings.team!r}"
        )


def _templates(value: Any, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every Application template of an ApplicationSet, generators' own templates included."""
    if isinstance(value, Mapping):
        for key, child in value.items():
            if key == "template" and isinstance(child, Mapping):
                yield f"{path}.template", child
            yield from _templates(child, f"{path}.{key}")
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        for i, child in enumerate(value):
            yield from _templates(child, f"{path}[{i}]")


def _application_set(props: Mapping[str, Any], settings: Settings) -> Iterator[str]:
    body = spec(props)
    if "templatePatch" in body:
        yield "spec.templatePatch can set any field of the generated Applications (their project too); use spec.template"
    found = False
    for path, template in _templates(body, "spec"):
        template_spec = template.get("spec") if isinstance(template.get("spec"), Mapping) else {}
        if "project" not in template_spec and path != "spec.template":
            continue  # a generator's template that keeps the main template's project
        found = True
        if (problem := project_problem(template_spec.get("project"))) is not None:
            yield f"{path}.spec: {problem}"
        elif settings.team and str(template_spec.get("project")) != settings.team:
            yield (
                f"{path}.spec.project {template_spec.get('project')!r} is another team's: the Applications of "
                f"team {settings.team!r}'s stack belong to project {settings.team!r}"
            )
        destination = template_spec.get("destination")
        namespace = destination.get("namespace") if isinstance(destination, Mapping) else None
        reason = (
            destination_problem(namespace, settings.argocd_namespace, settings.reserved_namespaces)
            if isinstance(namespace, str) and "{{" not in namespace
            else None
        )
        if reason is not None:
            yield f"{path}.spec.destination: {reason}"
    if not found and not settings.patch:
        yield "spec.template names no project: the generated Applications would fall into 'default'"


def _default_project(props: Mapping[str, Any], _: Settings) -> Iterator[str]:
    if str(metadata(props).get("name", "")).strip() != ARGOCD_DEFAULT_PROJECT:
        return
    body = spec(props)
    for field in ("sourceRepos", "destinations", "clusterResourceWhitelist", "namespaceResourceWhitelist"):
        if as_list(body.get(field)):
            yield (
                f"the 'default' project has {field}: every Application that names no project lands in it; "
                "keep it empty and give each team its own project"
            )


def _applications_inside_projects(
    resources: Sequence[StackResource], settings: Settings
) -> Iterator[tuple[StackResource, str]]:
    projects = {str(metadata(r.props).get("name")): r for r in resources if r.type == APP_PROJECT}
    for r in resources:
        found = kubernetes_kind(r.type)
        if found is not None and found[:2] == (ARGO, "Application") and found[2] == "Patch":
            # A patch that moves an Application: its destination is judged, its project by the resource rule.
            patched = spec(r.props).get("destination")
            namespace = patched.get("namespace") if isinstance(patched, Mapping) else None
            reason = (
                destination_problem(str(namespace), settings.argocd_namespace, settings.reserved_namespaces)
                if namespace is not None
                else None
            )
            if reason is not None:
                yield r, f"destination namespace: {reason}"
            continue
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
        elif namespace and (reason := owned_destination_problem(namespace, name, settings)) is not None:
            yield r, f"destination namespace of project {name!r}: {reason}"
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
        PROJECT_TYPES,
        _sources,
    ),
    Rule(
        "argocd-project-destinations",
        "destinations only the team's own namespaces (named <project>, <project>-…, or granted): never a glob, "
        "the Argo CD namespace, kube-*, default or another reserved namespace",
        "argo-cd declarative-setup.md (projects that deploy to the Argo CD namespace grant admin)",
        PROJECT_TYPES,
        _destinations,
    ),
    Rule(
        "argocd-project-cluster-resources",
        "clusterResourceWhitelist empty; platform-owned kinds blacklisted",
        "argo-cd projects.md",
        PROJECT_TYPES,
        _cluster_resources,
    ),
    Rule(
        "argocd-project-roles",
        "role names valid, groups plain names, policies scoped to <project>/*",
        "argo-cd app_project_types.go ValidateProject",
        PROJECT_TYPES,
        _roles,
    ),
    Rule(
        "argocd-application-sources",
        "every source of an Application: repo allowed, paths and value files inside their repo, "
        "Helm values keep the app's namespace",
        "CVE-2022-24348; argo-cd multiple_sources.md, helm.md",
        APPLICATION_TYPES,
        _application_sources,
    ),
    Rule(
        "argocd-application-project",
        "Applications name a real team project, never 'default'",
        "argo-cd#2785, #3474",
        APPLICATION_TYPES,
        _application_project,
    ),
    Rule(
        "argocd-applicationset-project",
        "ApplicationSets generate Applications of one named project, never 'default', a glob or a template; no templatePatch",
        "argo-cd ApplicationSet security docs (templated project fields)",
        APPLICATION_SET_TYPES,
        _application_set,
    ),
    Rule(
        "argocd-default-project",
        "the 'default' AppProject stays empty: no repositories, destinations or whitelisted kinds",
        "argo-cd projects.md (the default project)",
        PROJECT_TYPES,
        _default_project,
    ),
    Rule(
        PINNED_REVISION,
        "with deletion protection, Applications deploy a full commit SHA or a tag, never a branch or HEAD",
        "argo-cd tracking_strategies.md (a branch or HEAD moves without a change in Git here)",
        APPLICATION_TYPES,
        _pinned_revisions,
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
