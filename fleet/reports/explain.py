"""`fleet explain RULE-ID`: a rule's reason, an example it refuses (with what it says of it) and
the example fixed.

The examples are shipped in the package, one file a rule, in `fleet/guardrails/examples/`
(`<rule-id>.yaml`): a new rule adds its own file there, and a test fails until it does. The docs'
guardrail reference is generated from the same files, so there is one place for them.

A guardrail's example is judged here, by the rule itself, each time it is shown: what `explain`
prints as the rule's answer is what the rule says today, never a copy. The rules that are no
guardrails (validate's own, the pipeline's) carry their reason and answer in their file
(`kind: file`); a test keeps those answers equal to what the code says.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from fleet import guardrails
from fleet.compiler import validate
from fleet.guardrails.base import Settings, StackResource
from fleet.reports import findings
from fleet.text import markdown as md
from fleet.text.problems import CatalogError

EXAMPLES = "examples"  # the folder of fleet/guardrails/ that holds them
BASE_FILE = "base.yaml"  # the small valid catalog a catalog rule's fragment is laid over
SETTINGS_FILE = "settings.yaml"  # the policy config the resource and stack examples are judged under
CATALOG_SOURCE = "catalog.yaml"  # the name the catalog examples are judged under


class UnknownRuleError(Exception):
    """No rule has that id (the message names the closest ones)."""


@dataclass(frozen=True)
class Explanation:
    rule_id: str
    kind: str  # "resource", "stack", "catalog" (guardrails), "validate" or "file" (the pipeline's)
    reason: str
    anchor: str
    judges: str  # what it judges: resource kinds, "the whole stack", "the catalog", a file
    refused: str  # the example, as shown (YAML or text)
    says: tuple[str, ...]  # what the rule says of it
    fix: str  # how to fix it, in a sentence
    fixed: str  # the example, fixed


def _folder() -> Any:
    return resources.files("fleet.guardrails").joinpath(EXAMPLES)


@cache
def _file(name: str) -> Any:
    return yaml.safe_load(_folder().joinpath(name).read_text(encoding="utf-8"))


@cache
def _example_ids() -> frozenset[str]:
    names = (entry.name for entry in _folder().iterdir())
    return frozenset(
        n.removesuffix(".yaml") for n in names if n.endswith(".yaml") and n not in (BASE_FILE, SETTINGS_FILE)
    )


def _guardrail(rule_id: str) -> tuple[str, Any] | None:
    for kind, rules in (
        ("resource", guardrails.RESOURCE_RULES),
        ("stack", guardrails.STACK_RULES),
        ("catalog", guardrails.CATALOG_RULES),
    ):
        for rule in rules:
            if rule.id == rule_id:
                return kind, rule
    return None


def guardrail_ids() -> list[str]:
    """Every guardrail's id, in the order of the reference."""
    rules = (*guardrails.RESOURCE_RULES, *guardrails.STACK_RULES, *guardrails.CATALOG_RULES)
    return [rule.id for rule in rules]


def rule_ids() -> list[str]:
    """Every rule `explain` knows: the guardrails, then validate's own and the pipeline's."""
    known = guardrail_ids()
    return known + sorted(_example_ids() - set(known))


def settings() -> Settings:
    return Settings.from_config(_file(SETTINGS_FILE))


def base_catalog() -> dict[str, Any]:
    return copy.deepcopy(_file(BASE_FILE))


def merge(base: Any, over: Any) -> Any:
    """A fragment laid over the base catalog: mappings key by key, lists item by item."""
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: merge(base.get(k), v) for k, v in over.items()}}
    if isinstance(base, list) and isinstance(over, list):
        return [merge(b, o) for b, o in zip(base, over, strict=False)] + base[len(over) :] + over[len(base) :]
    return over


def _kinds(rule: Any) -> str:
    return ", ".join(sorted({t.rsplit(":", 1)[-1] + ("*" if "/*:" in t else "") for t in rule.types}))


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, width=100)


def _stack(items: list[dict[str, Any]]) -> list[StackResource]:
    return [StackResource(item["type"], item["name"], item["inputs"]) for item in items]


def judge_catalog(fragment: str, rule_id: str) -> list[str]:
    """What `fleet validate` says of the base catalog with `fragment` laid over it, for `rule_id`."""
    data = merge(base_catalog(), yaml.safe_load(fragment))
    try:
        validate(data, CATALOG_SOURCE)
    except CatalogError as err:
        return [
            line
            for problem, line in zip(err.problems, err.lines(), strict=True)
            if findings.rule_of(problem) == rule_id
        ]
    return []


def judge(kind: str, rule: Any, example: Any) -> list[str]:
    """What a guardrail says of one of its examples (empty: it passes)."""
    if kind == "resource":  # a fix may be another type of resource, which the rule does not judge
        if not rule.applies_to(example["type"]):
            return []
        return list(rule.judge(example["type"], example["inputs"], settings()))
    if kind == "stack":
        return [f"{r.type} {r.name}: {message}" for r, message in rule.check(_stack(example), settings())]
    return judge_catalog(example, rule.id)


def _shown(kind: str, example: Any) -> str:
    return example if isinstance(example, str) else _yaml(example)


def explain(rule_id: str) -> Explanation:
    """A rule's explanation; UnknownRuleError (with the closest ids) for an unknown one."""
    wanted = rule_id.strip().strip("[]")
    known = rule_ids()
    if wanted not in known:
        raise UnknownRuleError(unknown(rule_id, known))
    if wanted not in _example_ids():  # a new guardrail without its example: the test says so too
        raise UnknownRuleError(f"{wanted}: its example is missing (fleet/guardrails/{EXAMPLES}/{wanted}.yaml)")
    data = _file(f"{wanted}.yaml")
    found = _guardrail(wanted)
    if found is not None:
        kind, rule = found
        judges = {"resource": _kinds(rule) if kind == "resource" else "", "stack": "the whole stack"}.get(
            kind, "the catalog"
        )
        return Explanation(
            wanted,
            kind,
            rule.rationale,
            rule.anchor,
            judges,
            _shown(kind, data["refused"]),
            tuple(judge(kind, rule, data["refused"])),
            data["fix"],
            _shown(kind, data["fixed"]),
        )
    if data.get("kind") == "file":
        return Explanation(
            wanted,
            "file",
            data["reason"],
            data.get("anchor", ""),
            data["file"],
            data["refused"],
            tuple(data["says"]),
            data["fix"],
            data["fixed"],
        )
    # validate's own rules (catalog-contract, a name check): a catalog fragment, judged as the catalog rules are
    return Explanation(
        wanted,
        "validate",
        data.get("reason") or findings.rationale(wanted) or "",
        "",
        "the catalog",
        data["refused"],
        tuple(judge_catalog(data["refused"], wanted)),
        data["fix"],
        data["fixed"],
    )


def unknown(rule_id: str, known: list[str]) -> str:
    close = difflib.get_close_matches(rule_id.strip().strip("[]"), known, n=3, cutoff=0.6)
    names = [repr(c) for c in close]
    either = ", ".join(names[:-1]) + (" or " if len(names) > 1 else "") + names[-1] if names else ""
    hint = f" (did you mean {either}?)" if close else ""
    return f"unknown rule {rule_id!r}{hint}; `guardrails` lists the guardrails, `explain --list` every rule"


def markdown(found: Explanation) -> str:
    """The explanation as Markdown (`--format md`); the terminal draws the same."""
    lines = [f"# {md.code(found.rule_id)}", "", md.cell(_sentence(found.reason), escape="*_"), ""]
    lines.append(f"- **judges:** {md.cell(found.judges, escape='*_')}")
    if found.anchor:
        lines.append(f"- **follows:** {md.cell(found.anchor, escape='*_')}")
    lines += ["", "## It refuses, for example", "", md.fenced(found.refused, _language(found)), ""]
    lines += ["## and says", "", md.fenced("\n".join(found.says), "text"), ""]
    lines += ["## The fix", "", md.cell(found.fix, escape="*_"), "", md.fenced(found.fixed, _language(found)), ""]
    return "\n".join(lines)


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _language(found: Explanation) -> str:
    return (
        "text"
        if found.kind == "file" and not found.refused.lstrip().startswith(("config:", "environment:"))
        else "yaml"
    )


def rule_list() -> str:
    """Every rule id with its reason, as Markdown (`explain --list`)."""
    lines = ["| rule id | what it refuses |", "|---|---|"]
    for rule_id in rule_ids():
        reason = explain(rule_id).reason if rule_id in _example_ids() else "(no example yet)"
        lines.append(f"| {md.code(rule_id, table=True)} | {md.cell(reason, escape='*_')} |")
    return "\n".join(lines) + "\n"


__all__ = [
    "Explanation",
    "UnknownRuleError",
    "explain",
    "guardrail_ids",
    "judge",
    "markdown",
    "merge",
    "rule_ids",
    "rule_list",
]
