"""What the providers would refuse half-way through `pulumi up`, refused by `fleet validate`.

A value that the Okta, AWS or Kubernetes API rejects at apply time leaves a stack partly
deployed (some groups created, a role missing, an Application pointing nowhere). Each limit
below is one the provider documents; the catalog path that causes it is named, so the author
fixes it before review. Also here: source fields that a tool would read as an option.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import orjson

from fleet.catalog.models import Catalog, Source, present
from fleet.catalog.naming import partition
from fleet.guardrails.base import Rule
from fleet.render import iam_policies
from fleet.render.layers import okta_group_description
from fleet.text import terminal
from fleet.text.problems import Path, Problem

PROVIDER_LIMITS = "provider-apply-limits"
SOURCE_OPTIONS = "argocd-source-options"
PLAIN_TEXT = "catalog-plain-text"

# Okta: a group's description is at most 1,024 characters (Groups API, profile.description).
OKTA_DESCRIPTION_MAX = 1024
# IAM quotas (IAM User Guide, "IAM and AWS STS quotas"): inline policies of a role together at
# most 10,240 characters (whitespace not counted); 10 managed policies per role by default.
IAM_INLINE_POLICY_MAX = 10240
IAM_MANAGED_POLICIES_MAX = 10
IAM_POLICY_NAME_MAX, IAM_POLICY_PATH_MAX = 128, 512
# Kubernetes: all annotations of an object together at most 256 KiB (apimachinery
# ValidateAnnotations, TotalAnnotationSizeLimitB).
K8S_ANNOTATIONS_MAX = 256 * 1024
# Kubernetes creates a ServiceAccount `default` in every namespace.
BUILT_IN_SERVICE_ACCOUNT = "default"
# git check-ref-format: what a branch, tag or revision never contains.
_BAD_REVISION = re.compile(r"[~^:?*\[\\]|\.\.|@\{|//|/\.|^\.|^/|/$|\.$|\.lock$|\.lock/|^@$")


def _problem(path: Path, reason: str, rule: str = PROVIDER_LIMITS) -> Problem:
    return Problem.at(path, f"{reason} [{rule}]")


def okta_descriptions(catalog: Catalog) -> Iterator[Problem]:
    for t, team in present(catalog.teams):
        longest = max(
            (okta_group_description(catalog, team, persona) for persona in catalog.personas), key=len, default=""
        )
        if len(longest) > OKTA_DESCRIPTION_MAX:
            yield _problem(
                ["teams", t, "description"],
                f"is {len(team.description):,} characters; the Okta group description made from it is "
                f"{len(longest):,} and Okta allows {OKTA_DESCRIPTION_MAX:,}",
            )
        annotations = len(",".join(team.owners)) + len(team.description) + 128  # + the keys
        if annotations > K8S_ANNOTATIONS_MAX:
            yield _problem(
                ["teams", t, "owners"],
                f"owners and description make {annotations:,} bytes of namespace annotations; "
                f"Kubernetes allows {K8S_ANNOTATIONS_MAX:,}",
            )


def _policy_arn(catalog: Catalog, arn: str, path: Path) -> Iterator[Problem]:
    parts = arn.split(":")
    expected = partition(catalog.aws.region)
    policy_path, _, name = parts[5].removeprefix("policy").rpartition("/")
    if len(name) > IAM_POLICY_NAME_MAX or len(policy_path) + 1 > IAM_POLICY_PATH_MAX:
        yield _problem(
            path,
            f"{arn[:80]}…: IAM policy names are at most {IAM_POLICY_NAME_MAX} characters and paths "
            f"at most {IAM_POLICY_PATH_MAX}: no such policy can exist",
        )
    elif parts[1] != expected:
        yield _problem(path, f"{arn} is in partition {parts[1]}, but {catalog.aws.region} is in {expected}")
    elif parts[4] not in ("aws", catalog.aws.account_id):
        yield _problem(
            path,
            f"{arn} belongs to account {parts[4]}: IAM attaches only AWS managed policies and the "
            f"account's own (aws.account_id {catalog.aws.account_id})",
        )


def _too_many(arns: tuple[str, ...], path: Path, what: str) -> Iterator[Problem]:
    if len(set(arns)) > IAM_MANAGED_POLICIES_MAX:
        yield _problem(
            path,
            f"{len(set(arns))} managed policies on {what}; IAM attaches at most {IAM_MANAGED_POLICIES_MAX} "
            "to a role (the default quota): merge them or use statements",
        )


def iam_limits(catalog: Catalog) -> Iterator[Problem]:
    expected = partition(catalog.aws.region)
    for name, persona in catalog.personas.items():
        base = ["personas", name, "aws_managed_policy_arns"]
        for p, arn in enumerate(persona.aws_managed_policy_arns):
            yield from _policy_arn(catalog, arn, [*base, p])
        yield from _too_many(persona.aws_managed_policy_arns, base, "each human role of the persona")
    for t, team in present(catalog.teams):
        for a, app in present(team.apps):
            if app.aws is None:
                continue
            base = ["teams", t, "apps", a, "aws"]
            for p, arn in enumerate(app.aws.managed_policy_arns):
                yield from _policy_arn(catalog, arn, [*base, "managed_policy_arns", p])
            yield from _too_many(app.aws.managed_policy_arns, [*base, "managed_policy_arns"], "the app's role")
            for s, statement in enumerate(app.aws.statements):
                for r, resource in enumerate(statement.resources):
                    if resource.startswith("arn:") and resource.split(":")[1] != expected:
                        yield _problem(
                            [*base, "statements", s, "resources", r],
                            f"{resource!r} is in partition {resource.split(':')[1]}, but the role is in "
                            f"{expected}: IAM refuses the policy (MalformedPolicyDocument)",
                        )
            document = iam_policies.inline_policy(app.aws.statements)
            size = len(re.sub(r"\s", "", json.dumps(document))) if document else 0
            if size > IAM_INLINE_POLICY_MAX:
                yield _problem(
                    [*base, "statements"],
                    f"the role's inline policy is {size:,} characters; IAM allows {IAM_INLINE_POLICY_MAX:,} "
                    "(whitespace not counted): group resources under a prefix you own, or split the app",
                )


def kubernetes_names(catalog: Catalog) -> Iterator[Problem]:
    for t, team in present(catalog.teams):
        for a, app in present(team.apps):
            if app.name == BUILT_IN_SERVICE_ACCOUNT:
                yield _problem(
                    ["teams", t, "apps", a, "name"],
                    "an app named 'default' would own the ServiceAccount 'default' that Kubernetes creates "
                    "in every namespace: creating it fails, and every pod that names no ServiceAccount "
                    "would run as the app (and with its AWS role)",
                )


def _okta_expression_problem(expression: str) -> str | None:
    """Okta parses a group rule's expression when the rule is created: unbalanced quotes or
    parentheses fail there. A full parser is Okta's; this catches the half-finished ones."""
    depth, quote, escaped = 0, "", False
    for char in expression:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return "a ')' closes nothing"
    if quote:
        return f"a {quote} quote is never closed"
    if depth:
        return f"{depth} '(' never closed"
    return None


def okta_rules(catalog: Catalog) -> Iterator[Problem]:
    for t, team in present(catalog.teams):
        for persona, expression in team.members.items():
            if (problem := _okta_expression_problem(expression)) is not None:
                yield _problem(
                    ["teams", t, "members", persona], f"Okta would refuse this group rule expression: {problem}"
                )


def source_options(catalog: Catalog) -> Iterator[Problem]:
    """git and the manifest tools take a leading '-' as an option (`--upload-pack=…`)."""
    for t, team in present(catalog.teams):
        for a, app in present(team.apps):
            for where, source in app.all_sources():
                yield from _source_options(source, ["teams", t, "apps", a, *where])


def _source_options(source: Source, base: Path) -> Iterator[Problem]:
    for field in ("path", "revision"):
        value: str | None = getattr(source, field)
        if value is None:
            continue
        if value.startswith("-"):
            yield _problem(
                [*base, field],
                f"{value!r} starts with '-', which git or a manifest tool would read as an option",
                SOURCE_OPTIONS,
            )
        # A chart's revision is a version (range), judged by argocd-chart-version.
        elif field == "revision" and source.chart is None and _BAD_REVISION.search(value):
            yield _problem(
                [*base, field],
                f"{value!r} is not a git revision (a branch, tag or commit: no spaces, '..', '@{{', "
                "'~^:?*[\\', no leading or trailing '/' or '.', no '.lock' ending)",
                SOURCE_OPTIONS,
            )


# Free text (a team's description, an Okta expression) may span lines; no other field may.
_FREE_TEXT = frozenset({"description", "members"})


def unsafe_text(data: Any) -> list[Problem]:
    """Control, bidi, zero-width and other invisible characters, in every key and value.
    They make a value read differently from what it is (Trojan Source) or rewrite a terminal."""
    if _plainly_safe(data):
        return []
    found: list[Problem] = []
    stack: list[tuple[Any, tuple[str | int, ...], bool]] = [(data, (), False)]
    while stack:
        value, path, free = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and (chars := terminal.forbidden(key)):
                    found.append(Problem.at([*path, key], _unsafe_reason(chars, "key")))
                stack.append((item, (*path, key), free or key in _FREE_TEXT))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, (*path, i), free) for i, item in enumerate(value))
        elif isinstance(value, str):
            allowed = terminal.TEXT_LAYOUT if free else frozenset()
            if chars := terminal.forbidden(value.strip(" \t\n"), allowed):
                found.append(Problem.at(path, _unsafe_reason(chars, "value")))
    return sorted(found)


# In JSON (orjson), every control character is an escape (\b \t \n \f \r \u00XX) except DEL.
_JSON_CONTROL = re.compile(rb"\\[btnfr]|\\u00|\x7f")


def _plainly_safe(data: Any) -> bool:
    """The fast path for the common catalog (measured: a third of the walk at 5,000 apps): all
    ASCII and no control character anywhere. Anything else (also a literal backslash-n, or a key
    orjson cannot write) takes the walk that names each field."""
    try:
        blob = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return False
    return blob.isascii() and not _JSON_CONTROL.search(blob)


def _unsafe_reason(chars: list[str], where: str) -> str:
    named = ", ".join(terminal.describe(c) for c in chars[:3]) + (" …" if len(chars) > 3 else "")
    return (
        f"the {where} contains {named}: control, bidi, zero-width and other invisible characters "
        f"are not allowed (they make text read differently from what it is) [{PLAIN_TEXT}]"
    )


CHECKS = (okta_descriptions, iam_limits, kubernetes_names, okta_rules, source_options)


def check(catalog: Catalog) -> list[Problem]:
    return [problem for check in CHECKS for problem in check(catalog)]


def _catalog_rule(rule_id: str, rationale: str, anchor: str) -> Rule:
    return Rule(rule_id, rationale, anchor, (), lambda props, settings: iter(()))


RULES: tuple[Rule, ...] = (
    _catalog_rule(
        PLAIN_TEXT,
        "no control, bidi, zero-width or other invisible characters in any key or value",
        "CVE-2021-42574 (Trojan Source); Unicode TR36",
    ),
    _catalog_rule(
        PROVIDER_LIMITS,
        "values Okta, IAM or Kubernetes would refuse half-way through pulumi up: sizes, foreign "
        "policy ARNs, the built-in ServiceAccount, unparseable Okta rules",
        "Okta Groups API; IAM quotas; Kubernetes apimachinery validation",
    ),
    _catalog_rule(
        SOURCE_OPTIONS,
        "source paths and revisions never start with '-'; revisions are git ref names or commits",
        "git check-ref-format; CVE-2017-1000117 (option injection through git arguments)",
    ),
)
