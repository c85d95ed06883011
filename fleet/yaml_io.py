"""Reading YAML strictly and writing it reproducibly.

PyYAML keeps the last of two duplicate keys without a word; a catalog where `name:` appears
twice must be refused, so the node tree is walked for duplicates before it is constructed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from fleet.problems import CatalogError, Problem, UnreadableFileError, format_path

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _duplicate_keys(node: yaml.Node, path: list[str | int], found: list[Problem]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                found.append(
                    Problem(
                        format_path([*path, key]),
                        f"duplicate key (lines {seen[key]} and {line}); YAML would silently keep the last one",
                    )
                )
            else:
                seen[key] = line
            _duplicate_keys(value_node, [*path, key], found)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _duplicate_keys(item, [*path, index], found)


def read_text(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UnreadableFileError(f"{path}: cannot read: {getattr(err, 'strerror', None) or err}") from err


def _syntax_problem(err: yaml.YAMLError) -> Problem:
    mark = getattr(err, "problem_mark", None)
    where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "(document)"
    reason = getattr(err, "problem", None) or str(err)
    return Problem(where, f"invalid YAML: {reason}")


def _aliases(text: str) -> list[Problem]:
    """Anchors and aliases hide what a pull request changes (and can expand without bound)."""
    return [
        Problem(
            f"line {event.start_mark.line + 1} column {event.start_mark.column + 1}",
            "YAML anchors and aliases are not supported: write each value out, so that every "
            "change shows in the diff of a pull request",
        )
        for event in yaml.parse(text, Loader=_Loader)
        if isinstance(event, yaml.AliasEvent)
    ]


def parse(text: str, source: str) -> Any:
    """Parse one YAML document; syntax errors, aliases and duplicate keys are CatalogErrors."""
    try:
        aliases = _aliases(text)
        if aliases:
            raise CatalogError(source, aliases)
        node = yaml.compose(text, Loader=_Loader)
        if node is None:
            raise CatalogError(source, [Problem("(top level)", "the file is empty")])
        duplicates: list[Problem] = []
        _duplicate_keys(node, [], duplicates)
        if duplicates:
            raise CatalogError(source, duplicates)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as err:  # tags such as !env, unhashable keys, …
        raise CatalogError(source, [_syntax_problem(err)]) from None


def dump(data: Any) -> str:
    """Deterministic YAML: sorted keys, block style, no aliases."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True)
