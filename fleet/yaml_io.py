"""Reading YAML strictly and writing it reproducibly.

PyYAML keeps the last of two duplicate keys without a word; a catalog where `name:` appears
twice must be refused, so the node tree is walked for duplicates before it is constructed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from fleet.problems import CatalogError, Problem, UnreadableFileError, format_path

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _clean(root: yaml.Node) -> bool:
    """True when no mapping repeats a key and no node is reached twice (an alias)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return False
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys = [k.value for k, _ in node.value]
            if len(keys) != len(set(map(str, keys))):
                return False
            stack.extend(v for _, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return True


def _walk(node: yaml.Node, path: list[str | int], seen: set[int], found: list[Problem]) -> None:
    """Duplicate keys, and aliases (an alias is the anchored node met a second time)."""
    if id(node) in seen:
        found.append(
            Problem(
                f"line {node.start_mark.line + 1} column {node.start_mark.column + 1}",
                "YAML anchors and aliases are not supported: write each value out, so that every "
                "change shows in the diff of a pull request",
            )
        )
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in lines:
                found.append(
                    Problem(
                        format_path([*path, key]),
                        f"duplicate key (lines {lines[key]} and {line}); YAML would silently keep the last one",
                    )
                )
            else:
                lines[key] = line
            _walk(value_node, [*path, key], seen, found)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, [*path, index], seen, found)


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


def parse(text: str, source: str) -> Any:
    """Parse one YAML document; syntax errors, aliases and duplicate keys are CatalogErrors.

    One pass: the node tree is composed once, checked, then constructed."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise CatalogError(source, [Problem("(top level)", "the file is empty")])
        if not _clean(node):  # the walk with paths runs only to name what is wrong
            found: list[Problem] = []
            _walk(node, [], set(), found)
            raise CatalogError(source, found)
        return loader.construct_document(node)
    except yaml.YAMLError as err:  # tags such as !env, unhashable keys, …
        raise CatalogError(source, [_syntax_problem(err)]) from None
    finally:
        loader.dispose()


# Plain (unquoted) only when YAML cannot read the string as anything else; else JSON quoting,
# which YAML reads back as the same string. Faster than PyYAML's representer by ~10x.
_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./-]*$")
_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"})
# Characters a YAML reader takes as they are inside double quotes; anything else is escaped.
_UNSAFE = re.compile("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)  # shortest exact form; YAML 1.1 wants a dot before an exponent
        mantissa, e, exponent = text.partition("e")
        return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    return _UNSAFE.sub(_escape, json.dumps(text, ensure_ascii=False))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _emit(value: Any, indent: str, out: list[str]) -> None:
    """Block style for JSON-like data (dicts, lists, str, int, bool, None); keys sorted."""
    if isinstance(value, dict):
        for key in sorted(value):
            item = value[key]
            if isinstance(item, (dict, list)) and item:
                out.append(f"{indent}{_scalar(key)}:\n")
                _emit(item, indent + ("" if isinstance(item, list) else "  "), out)
            else:
                out.append(f"{indent}{_scalar(key)}: {_inline(item)}\n")
    else:
        for item in value:
            if isinstance(item, dict) and item:
                lines: list[str] = []
                _emit(item, indent + "  ", lines)
                lines[0] = f"{indent}- {lines[0][len(indent) + 2 :]}"
                out.extend(lines)
            elif isinstance(item, list) and item:
                out.append(f"{indent}-\n")
                _emit(item, indent + "  ", out)
            else:
                out.append(f"{indent}- {_inline(item)}\n")


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def dump(data: dict[str, Any]) -> str:
    """Deterministic block YAML of a JSON-like mapping: sorted keys, no aliases."""
    out: list[str] = []
    _emit(data, "", out)
    return "".join(out) if out else "{}\n"
