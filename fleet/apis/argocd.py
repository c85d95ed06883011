"""Facts of Argo CD's API: its kinds, its RBAC ConfigMap keys, how its policy lines read and match.

Pure line parsing and glob matching, no Casbin: the policy pack's environment has neither the
`casbin` package nor the vendored model. The report side (`fleet.reports.argocd_policy`) evaluates the
same policy with Casbin and Argo CD's model; a test proves the two agree on the built-in roles.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from functools import lru_cache

from fleet.apis.kubernetes import APP_PROJECT, APPLICATION

POLICY_DEFAULT = "policy.default"


POLICY_CSV = "policy.csv"


SCOPES = "scopes"


@lru_cache(maxsize=4096)
def _glob(pattern: str) -> re.Pattern[str]:
    """Argo CD's glob (`policy.matchMode: glob`, the default): `*` any characters, `/` included;
    `?` one; `[...]` a class (`[!...]` negated); `{a,b}` alternatives."""
    out, i, depth = [], 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end]
                negate = body.startswith("!")
                body = body[1:] if negate else body
                out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
                i = end
        elif c == "{":
            depth += 1
            out.append("(?:")
        elif c == "}" and depth:
            depth -= 1
            out.append(")")
        elif c == "," and depth:
            out.append("|")
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    out.append(")" * depth)
    return re.compile("".join(out), re.S)


def glob_match(value: str, pattern: str) -> bool:
    try:
        return _glob(pattern).fullmatch(value) is not None
    except re.error:
        return value == pattern


def policy_lines(csv_text: str) -> list[list[str]]:
    """`policy.csv` as Argo CD loads it (argo-cd util/rbac `loadPolicyLine`): split on "\n" only,
    each line trimmed, blank and `#` lines skipped, the rest read by a CSV reader that trims the
    space before a field and honours quotes (`"role:admin"` is role:admin; `"a,b"` one field).
    A line the CSV reader refuses (a stray quote) makes Argo CD refuse the whole policy: it is
    kept as one field, which grants nothing here either."""
    out = []
    for raw in csv_text.split("\n"):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            out.append(next(csv.reader([line], skipinitialspace=True, strict=True)))
        except csv.Error:
            out.append([line])
    return out


def scopes_value(scopes: Sequence[str]) -> str:
    """`scopes` as Argo CD writes it: '[groups, email]'."""
    return "[" + ", ".join(scopes) + "]"


# Argo CD's kinds (in fleet.apis.kubernetes with every other kind the fleet knows).
ARGOCD_KINDS = (APPLICATION, APP_PROJECT)
