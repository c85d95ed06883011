"""What `fleet validate` found in each catalog, written for people and for tools.

- `text`: the contract lines, `FILE:LINE:COLUMN: path: reason` (`FILE: path: reason` when a
  problem has no place in a file), as editors and terminals read them;
- `json`: the same as data (`schemas/validate.v1.json`, generated from the models below);
- `sarif`: a SARIF 2.1.0 log, for code scanning and editors (valid against the OASIS schema,
  `vendor/sarif/`);
- `github`: GitHub Actions workflow commands, one `::error file=…,line=…,col=…::…` annotation
  per problem, shown on the pull request's lines.

A catalog is written by people the platform does not fully trust: every message is escaped for
the terminal first (`fleet.text.terminal`), then for the format (JSON's and the workflow
commands' own encodings), so that no value starts a line, a command or an escape sequence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

from fleet import __version__, guardrails
from fleet.text import terminal
from fleet.text.problems import Problem

FORMATS = ("text", "json", "sarif", "github")
TOOL = "app-of-apps"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# A reason that ends in a guardrail's id: `… [iam-no-wildcard-action]`.
_RULE = re.compile(r" \[([a-z0-9]+(?:-[a-z0-9]+)*)\]$")

# What a problem that names no guardrail is about: the catalog contract (fields, types, names,
# references, uniqueness) or the YAML it is written in.
CONTRACT_RULE = "catalog-contract"
YAML_RULE = "catalog-yaml"
_OWN_RULES = {
    CONTRACT_RULE: "The catalog follows its contract: known fields of the right types, valid names, "
    "references that resolve, names unique where they must be.",
    YAML_RULE: "The catalog is one plain YAML document: no duplicate keys, anchors, aliases, merge "
    "keys, tags or control characters.",
}


@dataclass(frozen=True)
class FileResult:
    """One catalog as `validate` judged it: valid (`summary`), invalid (`problems`, each naming
    its own file when the catalog is a folder), or unreadable (`error`)."""

    file: str
    summary: str | None = None
    problems: tuple[Problem, ...] = field(default=())
    error: str | None = None

    @property
    def valid(self) -> bool:
        return self.summary is not None


def rule_of(problem: Problem) -> str:
    """The guardrail a problem names, or what kind of problem it is."""
    match = _RULE.search(problem.reason)
    if match:
        return match.group(1)
    yaml_problem = problem.path == "(file)" or problem.reason.startswith(("invalid YAML", "duplicate key", "YAML "))
    return YAML_RULE if yaml_problem else CONTRACT_RULE


def rationale(rule_id: str) -> str | None:
    """A rule's one-line reason: a guardrail's, or one of validate's own."""
    for rule in (*guardrails.RESOURCE_RULES, *guardrails.STACK_RULES, *guardrails.CATALOG_RULES):
        if rule.id == rule_id:
            return rule.rationale
    return _OWN_RULES.get(rule_id)


def _line(text: str) -> str:
    return terminal.escape(text)


# --- text ----------------------------------------------------------------------------------------
def text(results: Sequence[FileResult]) -> tuple[str, str]:
    """(standard output, standard error): a line per valid catalog on the one; every problem,
    then a count per invalid catalog, and every unreadable file on the other."""
    out: list[str] = []
    err: list[str] = []
    for result in results:
        if result.error is not None:
            err.append(_line(f"error: {result.error}"))
        elif result.valid:
            out.append(_line(f"{result.file}: {result.summary}"))
        else:
            err += [problem.line_text(result.file) for problem in result.problems]
            err.append(_line(f"{result.file}: {len(result.problems)} problem(s); nothing was written"))
    if len(results) > 1:
        valid = sum(r.valid for r in results)
        unreadable = sum(r.error is not None for r in results)
        counts = f"{len(results)} catalogs: {valid} valid, {len(results) - valid - unreadable} invalid"
        (out if valid == len(results) else err).append(counts + (f", {unreadable} unreadable" if unreadable else ""))
    return "".join(f"{line}\n" for line in out), "".join(f"{line}\n" for line in err)


# --- json ----------------------------------------------------------------------------------------
class _Report(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class ProblemReport(_Report):
    file: str
    """The file the problem is written in (a catalog folder's problems name their own file)."""
    line: int | None
    """1-based; null when the problem has no place in a file (a rendered resource)."""
    column: int | None
    """1-based, in Unicode code points; null with `line`."""
    path: str
    """The field, as `teams[1].apps[0].source.repo`; `(file)` for the file's YAML as a whole."""
    reason: str
    """Why, and what to do: the text the terminal shows."""
    rule: str
    """The guardrail's id, or `catalog-contract` / `catalog-yaml` for the contract and the YAML."""


class FileReport(_Report):
    file: str
    """The catalog as given on the command line."""
    valid: bool
    summary: str | None
    """For a valid catalog: what it declares (`valid: 3 teams, 9 apps, …`)."""
    error: str | None
    """Why the file could not be read (exit 2); null otherwise."""
    problems: list[ProblemReport]
    """Every problem, in the order they are written."""


class ValidateReport(_Report):
    """`fleet validate --format json`: every catalog given, valid or with its problems."""

    version: Literal[1]
    valid: bool
    """Every catalog is valid (the exit code is 0)."""
    files: list[FileReport]


def report(results: Sequence[FileResult]) -> ValidateReport:
    files = [
        FileReport(
            file=r.file,
            valid=r.valid,
            summary=r.summary,
            error=r.error,
            problems=[
                ProblemReport(
                    file=p.file(r.file),
                    line=p.line or None,
                    column=p.column or None,
                    path=p.path,
                    reason=p.reason,
                    rule=rule_of(p),
                )
                for p in r.problems
            ],
        )
        for r in results
    ]
    return ValidateReport(version=1, valid=all(r.valid for r in results), files=files)


def to_json(results: Sequence[FileResult]) -> str:
    return report(results).model_dump_json(indent=2) + "\n"


def json_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://app-of-apps.io/schemas/validate.v1.json",
        **ValidateReport.model_json_schema(),
    }


# --- SARIF ---------------------------------------------------------------------------------------
def artifact_uri(file: str) -> str:
    """A file as a SARIF artifact URI: relative paths stay relative (code scanning resolves them
    against the repository's root), '/'-separated and percent-encoded; absolute ones are file URIs."""
    path = PurePath(file)
    if path.is_absolute():
        return path.as_uri()
    return quote(path.as_posix(), safe="/")


def _result(problem: Problem, file: str, index: dict[str, int]) -> dict[str, object]:
    physical: dict[str, object] = {"artifactLocation": {"uri": artifact_uri(problem.file(file))}}
    if problem.line:
        physical["region"] = {"startLine": problem.line, "startColumn": problem.column or 1}
    rule = rule_of(problem)
    return {
        "ruleId": rule,
        "ruleIndex": index[rule],
        "level": "error",
        "message": {"text": _line(f"{problem.path}: {problem.reason}")},
        "locations": [{"physicalLocation": physical}],
    }


def to_sarif(results: Sequence[FileResult]) -> str:
    """One run of `fleet validate` over the catalogs as a SARIF 2.1.0 log. An unreadable file is
    a tool execution notification (the run did not judge it), not a result."""
    problems = [(p, r.file) for r in results for p in r.problems]
    rule_ids = list(dict.fromkeys(rule_of(p) for p, _ in problems))
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    rules = []
    for rule_id in rule_ids:
        rule: dict[str, object] = {"id": rule_id}
        if (reason := rationale(rule_id)) is not None:
            rule["shortDescription"] = {"text": _line(reason)}
        rules.append(rule)
    notifications = [
        {"level": "error", "message": {"text": _line(r.error)}, "locations": [_artifact(r.file)]}
        for r in results
        if r.error is not None
    ]
    run: dict[str, object] = {
        "tool": {"driver": {"name": TOOL, "version": __version__, "rules": rules}},
        "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
        "artifacts": [{"location": {"uri": artifact_uri(r.file)}} for r in results],
        "results": [_result(p, file, index) for p, file in problems],
        "columnKind": "unicodeCodePoints",
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _artifact(file: str) -> dict[str, object]:
    return {"physicalLocation": {"artifactLocation": {"uri": artifact_uri(file)}}}


# --- GitHub workflow commands --------------------------------------------------------------------
def _data(value: str) -> str:
    """A workflow command's message: '%', CR and LF encoded, as the runner decodes them."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: str) -> str:
    """A workflow command's property value: also ':' and ',', which end a property."""
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def github(results: Sequence[FileResult]) -> str:
    """An `::error` annotation per problem (and per unreadable file), on the line and column
    where it is written, titled with its rule."""
    lines = []
    for result in results:
        if result.error is not None:
            lines.append(f"::error file={_property(result.file)},title={TOOL}::{_data(_line(result.error))}")
        for problem in result.problems:
            where = [f"file={_property(problem.file(result.file))}"]
            if problem.line:
                where += [f"line={problem.line}", f"col={problem.column or 1}"]
            where.append(f"title={_property(rule_of(problem))}")
            message = _data(_line(f"{problem.path}: {problem.reason}"))
            lines.append(f"::error {','.join(where)}::{message}")
    return "".join(f"{line}\n" for line in lines)
