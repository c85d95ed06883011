"""The effective Argo CD policy: what each group may do, decided by Argo CD's own model.

Argo CD allows a request when its default role (`policy.default`) or any of the user's groups
is allowed by Casbin, with the model and built-in roles vendored in `fleet/apis/data/argocd-rbac/`, over
the built-in policy, `policy.csv`, and, for an application of a project, that project's roles
(`p, proj:<project>:<role>, …` and a `g, <group>, proj:<project>:<role>` line per bound group).
This module builds exactly that per project with the `casbin` package and asks it; nothing
here re-implements the matching, except the `globOrRegexMatch` function Argo CD itself
registers with Casbin (shared with the guardrails).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import casbin
from casbin.model import Model

from fleet.apis.argocd import POLICY_CSV, POLICY_DEFAULT, glob_match, policy_lines

# Package data (fleet/apis/data/argocd-rbac/SOURCE.md says where from), so an installed wheel has it.
VENDORED = resources.files("fleet.apis") / "data" / "argocd-rbac"
# What the report asks about, per project (`<project>/*`: every application of it) ...
PROJECT_REQUESTS: tuple[tuple[str, str], ...] = (
    *(("applications", action) for action in ("get", "create", "update", "delete", "sync", "override", "action/*")),
    ("logs", "get"),
    ("exec", "create"),
)
# ... and outside projects (`*`: every object of the kind).
GLOBAL_RESOURCES = ("accounts", "certificates", "clusters", "gpgkeys", "projects", "repositories")
GLOBAL_REQUESTS: tuple[tuple[str, str], ...] = tuple(
    (resource, action) for resource in GLOBAL_RESOURCES for action in ("get", "create", "update", "delete")
)


@cache
def model_text() -> str:
    return (VENDORED / "model.conf").read_text(encoding="utf-8")


@cache
def builtin_lines() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(p) for p in policy_lines((VENDORED / "builtin-policy.csv").read_text(encoding="utf-8")))


class _Enforcer(casbin.Enforcer):
    """casbin.Enforcer, its matcher parsed once instead of on every request. Casbin's Python
    package parses the model's matcher into a new evaluator on every `enforce` (its
    `_get_expression`; it has no API to keep one): over the 5,400 requests of a 1,000-app access
    report, that was a third of Casbin's time (benchmarks/RESULTS.md). The evaluator is kept per
    matcher text and handed each request's functions, as a new one would get them; the answers
    are Casbin's (tests/test_argocd_rbac.py compares them with a plain enforcer's, and checks
    that this method is still the one Casbin calls)."""

    def __init__(self, model: Model) -> None:
        self._expressions: dict[str, Any] = {}
        super().__init__(model)

    def _get_expression(self, expr: str, functions: Any = None) -> Any:  # type: ignore[override]
        kept = self._expressions.get(expr)
        if kept is None:
            kept = self._expressions[expr] = casbin.Enforcer._get_expression(expr, functions)
        else:
            kept.functions = functions  # this request's g() functions, over the same role links
        return kept


def _enforcer(lines: Iterable[Sequence[str]]) -> casbin.Enforcer:
    model = Model()
    model.load_model_from_text(model_text())
    enforcer = _Enforcer(model)
    enforcer.add_function("globOrRegexMatch", glob_match)
    policies = [list(p[1:6]) + ["allow"] * (6 - len(p)) for p in lines if p[0] == "p" and len(p) >= 5]
    links = [list(p[1:3]) for p in lines if p[0] == "g" and len(p) >= 3]
    if policies:
        enforcer.add_policies(policies)
    if links:
        enforcer.add_grouping_policies(links)
    return enforcer


@dataclass(frozen=True)
class Grants:
    """What one subject may do: per project, and outside projects."""

    projects: dict[str, list[str]] = field(default_factory=dict)  # project -> ['applications get', …]
    global_: list[str] = field(default_factory=list)  # ['clusters get', …]


@dataclass(frozen=True)
class Project:
    name: str
    policies: tuple[str, ...]  # the AppProject roles' policy lines
    bindings: tuple[tuple[str, str], ...]  # (group, proj:<project>:<role>)


def projects_of(project_objs: Iterable[Mapping[str, Any]]) -> list[Project]:
    out = []
    for obj in project_objs:
        name = str(obj["metadata"]["name"])
        policies, bindings = [], []
        for role in obj["spec"].get("roles", []):
            subject = f"proj:{name}:{role['name']}"
            policies += role.get("policies", [])
            bindings += [(group, subject) for group in role.get("groups", [])]
        out.append(Project(name, tuple(policies), tuple(bindings)))
    return out


def _subjects(lines: Iterable[Sequence[str]]) -> set[str]:
    """Who the lines name: the only subjects besides the default role that can be allowed anything."""
    return {p[1] for p in lines if len(p) >= 2 and p[0] in ("p", "g")}


def _reachable(subject: str, links: Mapping[str, set[str]]) -> set[str]:
    """`subject` and every role its `g` lines lead to, at any depth: every `p.sub` for which the
    model's `g(r.sub, p.sub)` can hold (Casbin's role manager stops at a depth of 10, so this is
    the same set or more)."""
    seen, todo = {subject}, [subject]
    while todo:
        for role in links.get(todo.pop(), ()):
            if role not in seen:
                seen.add(role)
                todo.append(role)
    return seen


class _Judge:
    """Casbin over `lines`, asked one subject at a time. The matcher starts with
    `g(r.sub, p.sub)`, so a policy line whose subject the asked subject cannot reach never
    matches and, under `some(allow) && !some(deny)`, never counts: each subject is asked of an
    enforcer holding every `g` line but only the policy lines it can reach (a team's group: its
    project's few lines, not the 45 built-in ones), built once per distinct set of lines. The
    answer is Casbin's, with the model and functions unchanged."""

    def __init__(self, lines: Sequence[Sequence[str]]) -> None:
        self.lines = lines
        self.links: dict[str, set[str]] = {}
        for p in lines:
            if p[0] == "g" and len(p) >= 3:
                self.links.setdefault(p[1], set()).add(p[2])
        self.policy_subjects = {p[1] for p in lines if p[0] == "p" and len(p) >= 2}
        self._reach: dict[str, frozenset[str]] = {}
        self._enforcers: dict[frozenset[str], casbin.Enforcer] = {}

    def enforce(self, subject: str, res: str, act: str, obj: str) -> bool:
        reach = self._reach.get(subject)
        if reach is None:
            reach = self._reach[subject] = frozenset(_reachable(subject, self.links) & self.policy_subjects)
        enforcer = self._enforcers.get(reach)
        if enforcer is None:
            kept = [p for p in self.lines if p[0] != "p" or (len(p) >= 2 and p[1] in reach)]
            enforcer = self._enforcers[reach] = _enforcer(kept)
        return bool(enforcer.enforce(subject, res, act, obj))


def evaluate(data: Mapping[str, Any], projects: Sequence[Project], groups: Iterable[str]) -> dict[str, Grants]:
    """Effective grants of each group, and of every logged-in user ('*' key: policy.default)."""
    default = str(data.get(POLICY_DEFAULT, "")).strip()
    global_lines = [*builtin_lines(), *(tuple(p) for p in policy_lines(str(data.get(POLICY_CSV, ""))))]
    wanted = sorted(set(groups))
    out: dict[str, Grants] = {g: Grants() for g in [*wanted, "*"]}

    def ask(judge: _Judge, named: set[str], requests: Sequence[tuple[str, str]], obj: str) -> dict[str, list[str]]:
        # What the default role may do, every logged-in user may; a subject no line names gets
        # that and nothing more: ask once for all.
        every = [f"{r} {a}" for r, a in requests if default and judge.enforce(default, r, a, obj)]
        return {
            subject: (
                [
                    f"{r} {a}"
                    for r, a in requests
                    if f"{r} {a}" in every or (subject != "*" and judge.enforce(subject, r, a, obj))
                ]
                if subject in named
                else list(every)
            )
            for subject in out
        }

    for subject, granted in ask(_Judge(global_lines), _subjects(global_lines), GLOBAL_REQUESTS, "*").items():
        out[subject].global_.extend(granted)
    for project in projects:
        lines = [*global_lines, *(tuple(f.strip() for f in p.split(",")) for p in project.policies)]
        lines += [("g", group, role) for group, role in project.bindings]
        for subject, granted in ask(_Judge(lines), _subjects(lines), PROJECT_REQUESTS, f"{project.name}/*").items():
            if granted:
                out[subject].projects[project.name] = granted
    return out
