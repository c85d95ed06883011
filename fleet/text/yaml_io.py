"""Reading YAML strictly and writing it reproducibly.

A catalog is written by people the platform does not fully trust, so reading one never
surprises: PyYAML keeps the last of two duplicate keys without a word (and `name` and
`name<zero-width space>` are two keys to it, one to a reviewer); it builds Python objects for
tags such as `!!binary`, `!!set` or `!!python/...`; and it raises plain Python exceptions for
scalars such as `2026-13-45`, `!!bool maybe` or a 5,000-digit integer. The node tree is
therefore composed once, checked (keys, tags, scalars), and only then constructed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from fleet.text import terminal
from fleet.text.problems import CatalogError, Problem, UnreadableFileError, format_path

# A catalog of 5,000 apps is about 1.5 MB; anything much larger is a mistake or an attack.
MAX_BYTES = 5 * 1024 * 1024

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_STR = _TAG + "str"
# The YAML 1.2 core schema: nothing else is a catalog value.
_CORE = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq"))


class _Loader(_Base):  # type: ignore[misc,valid-type]
    """SafeLoader without the YAML 1.1 implicit types no catalog field wants: an unquoted
    `2026-01-31` (or `2026-13-45`) and `=` are strings, as they read."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_TAG + "timestamp", _TAG + "value")]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


def normal_key(text: str) -> str:
    """How a reviewer reads a key: invisible characters (zero-width and bidi marks, the BOM)
    and non-breaking or other odd spaces removed, then Unicode NFKC (fullwidth
    letters and ligatures become plain ones), then surrounding spaces stripped."""
    if text.isascii():
        return text.strip()
    kept = "".join(
        c for c in text if not (unicodedata.category(c) == "Cf" or (unicodedata.category(c) == "Zs" and c != " "))
    )
    return unicodedata.normalize("NFKC", kept).strip()


FILE_LEVEL = "(file)"  # the path of a problem of the file as a whole (its YAML, not a field)
Child = tuple[yaml.Node, tuple[str | int, ...], Any]  # (node, path, where it is written)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _problem(path: tuple[str | int, ...] | str, reason: str, mark: Any) -> Problem:
    """A problem at a mark of the file (PyYAML's are 0-based; ours, as editors show them, 1-based)."""
    where = path if isinstance(path, str) else format_path(path)
    return Problem(where, reason, line=int(mark.line) + 1, column=int(mark.column) + 1)


def _construct_problem(loader: Any, node: yaml.Node, path: tuple[str | int, ...]) -> Problem | None:
    """A scalar that PyYAML would fail to construct with a plain Python exception."""
    try:
        loader.construct_object(node)
    except Exception as err:  # ValueError, KeyError, OverflowError, …: all bad input
        kind = _short_tag(node.tag)
        detail = "more than 4,300 digits" if "4300" in str(err) else "not readable as one"
        return _problem(path, f"{node.value[:80]!r} is not a valid {kind} ({detail})", node.start_mark)
    return None


def _check(loader: Any, root: yaml.Node) -> list[Problem]:
    """Aliases, non-core tags, unreadable scalars and duplicate keys (also after normalisation),
    each with the path and line of the offending node. Iterative: nesting depth is no limit."""
    found: list[Problem] = []
    seen: set[int] = set()
    # (node, its path, where it is written: a mapping value's key, else the node itself; an
    # alias is the node it names, so only its key tells where the alias is)
    stack: list[Child] = [(root, (), root.start_mark)]
    while stack:
        node, path, mark = stack.pop()
        if id(node) in seen:
            found.append(
                _problem(
                    path,
                    "YAML anchors and aliases are not supported: write each value out, so that every "
                    "change shows in the diff of a pull request",
                    mark,
                )
            )
            continue
        seen.add(id(node))
        if node.tag not in _CORE:
            reason = (
                "YAML merge keys (<<) are not supported: write each key out"
                if node.tag == _TAG + "merge"
                else f"invalid YAML: could not determine a constructor for the tag {_short_tag(node.tag)!r}: "
                "tags are not allowed, a catalog holds only strings, numbers, booleans, null, lists and mappings"
            )
            found.append(_problem(path, reason, node.start_mark))
            continue
        if isinstance(node, yaml.ScalarNode):
            if node.tag != _STR and (problem := _construct_problem(loader, node, path)) is not None:
                found.append(problem)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, i), item.start_mark) for i, item in reversed(list(enumerate(node.value))))
        elif isinstance(node, yaml.MappingNode):
            stack.extend(reversed(_mapping(loader, node, path, found)))
    return found


def _mapping(loader: Any, node: yaml.MappingNode, path: tuple[str | int, ...], found: list[Problem]) -> list[Child]:
    """The children to check; duplicate and malformed keys go to `found`."""
    children: list[Child] = []
    first: dict[Any, tuple[int, str]] = {}
    for key_node, value_node in node.value:
        line = _line(key_node)
        if not isinstance(key_node, yaml.ScalarNode):
            found.append(
                _problem(
                    path,
                    "invalid YAML: found unhashable key: a key is a plain value, not a list or mapping",
                    key_node.start_mark,
                )
            )
            continue
        key = str(key_node.value)
        if key_node.tag not in _CORE:
            children.append((key_node, (*path, key), key_node.start_mark))  # reported as a tag problem
            continue
        if key_node.tag == _STR:
            identity: Any = ("str", normal_key(key))
        else:
            if (problem := _construct_problem(loader, key_node, (*path, key))) is not None:
                found.append(problem)
                continue
            # 1, 0x1 and true are one key to Python (True == 1): so to us.
            identity = ("value", loader.construct_object(key_node))
        earlier = first.get(identity)
        if earlier is not None:
            how = ""
            if earlier[1] != key:
                how = (
                    f": {key!r} reads as {earlier[1]!r} (keys are compared without invisible characters "
                    "and odd spaces, after Unicode NFKC)"
                    if identity[0] == "str"
                    else f": {key!r} and {earlier[1]!r} are the same value"
                )
            found.append(
                _problem(
                    (*path, key),
                    f"duplicate key (lines {earlier[0]} and {line}){how}; YAML would silently keep the last one",
                    key_node.start_mark,
                )
            )
        else:
            first[identity] = (line, key)
        children.append((value_node, (*path, key), key_node.start_mark))
    return children


def read_text(path: str | Path) -> str:
    """A catalog file's text. Refused at once (exit 2): anything that is not a regular file
    (a FIFO is opened without blocking, /dev/zero is never read), more than MAX_BYTES, not UTF-8."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as err:
        raise UnreadableFileError(f"{path}: cannot read: {err.strerror or err}") from err
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFileError(f"{path}: cannot read: {_file_kind(info.st_mode)}, not a regular file")
        if info.st_size > MAX_BYTES:
            raise UnreadableFileError(
                f"{path}: cannot read: {info.st_size:,} bytes; a catalog is at most {MAX_BYTES:,}"
            )
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES and (chunk := os.read(fd, min(1 << 20, MAX_BYTES + 1 - size))):
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_BYTES:  # it grew while being read
            raise UnreadableFileError(f"{path}: cannot read: more than {MAX_BYTES:,} bytes")
    except OSError as err:
        raise UnreadableFileError(f"{path}: cannot read: {err.strerror or err}") from err
    finally:
        os.close(fd)
    return decode(b"".join(chunks), str(path))


def decode(data: bytes, source: str) -> str:
    if len(data) > MAX_BYTES:
        raise UnreadableFileError(f"{source}: cannot read: {len(data):,} bytes; a catalog is at most {MAX_BYTES:,}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UnreadableFileError(f"{source}: cannot read: not UTF-8 ({err.reason} at byte {err.start})") from err


def _file_kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "a special file"


def _syntax_problem(err: yaml.YAMLError, text: str) -> Problem:
    if isinstance(err, yaml.reader.ReaderError):
        # A raw control character in the file: name it and where it is, not PyYAML's position.
        position = int(err.position)
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        char = err.character if isinstance(err.character, str) else chr(int(err.character))
        reason = f"{terminal.describe(char)} is not allowed in a catalog file"
        return Problem(FILE_LEVEL, reason, line=line, column=column)
    mark = getattr(err, "problem_mark", None)
    reason = f"invalid YAML: {getattr(err, 'problem', None) or err}"
    return _problem(FILE_LEVEL, reason, mark) if mark else Problem(FILE_LEVEL, reason)


def parse(text: str, source: str) -> Any:
    """Parse one YAML document; syntax errors, aliases, non-core tags, unreadable scalars and
    duplicate keys are CatalogErrors. One pass: composed once, checked, then constructed."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise CatalogError(source, [Problem(FILE_LEVEL, "the file is empty", line=1, column=1)])
        found = _check(loader, node)
        if found:
            raise CatalogError(source, found)
        return loader.construct_document(node)
    except yaml.YAMLError as err:  # syntax, unhashable keys, …
        raise CatalogError(source, [_syntax_problem(err, text)]) from None
    except RecursionError:
        raise CatalogError(source, [Problem(FILE_LEVEL, "nested too deeply")]) from None
    finally:
        loader.dispose()


_INDEX = re.compile(r"\[([0-9]+)\]")


def _step(node: yaml.Node, rest: str) -> tuple[yaml.Node, Any, str] | None:
    """One step down a path written as `format_path` writes it: (the child, where it is
    written, the rest of the path), or None when `node` has no such child. A key is matched
    against the keys the mapping really has (the longest that fits), so a key holding '.' or
    '[' is found too."""
    if isinstance(node, yaml.SequenceNode):
        match = _INDEX.match(rest)
        if match is None or int(match.group(1)) >= len(node.value):
            return None
        item = node.value[int(match.group(1))]
        return item, item.start_mark, rest[match.end() :].removeprefix(".")
    if not isinstance(node, yaml.MappingNode):
        return None
    best: tuple[int, yaml.Node, yaml.Node] | None = None
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        key = str(key_node.value)
        for token in (key, f"[{key}]"):  # format_path writes an integer key as [n]
            fits = rest == token or (rest.startswith(token) and rest[len(token)] in ".[")
            if fits and (best is None or len(token) > best[0]):
                best = (len(token), key_node, value_node)
    if best is None:
        return None
    length, key_node, value_node = best
    return value_node, key_node.start_mark, rest[length:].removeprefix(".")


def _position(root: yaml.Node, path: str) -> tuple[int, int] | None:
    """Line and column of `path` in the tree: of the key of a mapping entry, of a list's item;
    for a path that is not written (a missing field), of the nearest node that holds it."""
    if path.startswith("(") and path != "(top level)":
        return None  # (rendered) …: not a place in the file
    node, mark, rest = root, root.start_mark, "" if path == "(top level)" else path
    while rest:
        step = _step(node, rest)
        if step is None:
            break
        node, mark, rest = step
    return int(mark.line) + 1, int(mark.column) + 1


def positions(text: str, paths: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Where each path (`teams[3].apps[1].aws.statements[0].resources[0]`) is written in a
    catalog's text, as (line, column), 1-based. Paths that name no place are left out; so is
    everything when the text is not one YAML document (its own problems say where)."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except (yaml.YAMLError, RecursionError):
        return {}
    finally:
        loader.dispose()
    if root is None:
        return {}
    found = {path: _position(root, path) for path in set(paths)}
    return {path: where for path, where in found.items() if where is not None}


def locate(error: CatalogError, texts: Mapping[str, str]) -> CatalogError:
    """The error with each problem's line and column filled in from the text of its file
    (`texts`: file name -> text), and the problems in the order they are written: file by
    file, top to bottom; those without a place (a rendered resource) after them."""
    wanted: dict[str, set[str]] = {}
    for problem in error.problems:
        if not problem.line and problem.file(error.source) in texts:
            wanted.setdefault(problem.file(error.source), set()).add(problem.path)
    found = {file: positions(texts[file], paths) for file, paths in wanted.items()}
    located = []
    for problem in error.problems:
        where = None if problem.line else found.get(problem.file(error.source), {}).get(problem.path)
        located.append(problem if where is None else dataclasses.replace(problem, line=where[0], column=where[1]))
    files = {file: i for i, file in enumerate(dict.fromkeys(p.file(error.source) for p in located))}
    located.sort(key=lambda p: (files[p.file(error.source)], not p.line, p.line, p.column))
    return CatalogError(error.source, located)


# Plain (unquoted) only when YAML cannot read the string as anything else; else JSON quoting,
# which YAML reads back as the same string. Faster than PyYAML's representer by ~10x.
_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./-]*$")
_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"})
# Characters a YAML reader takes as they are inside double quotes; anything else is escaped.
_UNSAFE = re.compile("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# Each string's scalar, once: a plan's manifests repeat the same keys and values (6,261
# distinct strings in 6,207 manifests at 1,000 apps; half the emitter's time). Bounded.
_STRINGS: dict[str, str] = {}
_STRINGS_KEPT = 100_000


def _scalar(value: Any) -> str:
    if type(value) is str:
        known = _STRINGS.get(value)
        if known is None:
            if len(_STRINGS) >= _STRINGS_KEPT:
                _STRINGS.clear()
            known = _STRINGS[value] = _string(value)
        return known
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
    return _string(str(value))


def _string(text: str) -> str:
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    return _UNSAFE.sub(_escape, json.dumps(text, ensure_ascii=False))


def scalar(value: str | int | bool | None) -> str:
    """One value as YAML reads it back, unquoted when that is safe, for text written by hand
    around it (comments kept): `fleet init` writes its values into its templates with this."""
    return _scalar(value)


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
