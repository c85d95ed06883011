"""Characters that must never reach a terminal (or a reviewer's eye) as they are.

A catalog is written by people the platform does not fully trust. An escape sequence in a
value can rewrite a terminal's title or scroll-back, hide a line, or fake a `valid` verdict; a
bidi override (Trojan Source, CVE-2021-42574) or a zero-width space makes two different strings
look the same. One definition serves both sides: `fleet validate` refuses such characters in
every catalog field (`forbidden`), and every human-readable output escapes them (`escape`),
so that what is shown is what is there.

Markdown and HTML escaping of what goes into a pull-request comment is a different concern
(what a renderer interprets, not what a terminal does) and lives with the Markdown writers.
"""

from __future__ import annotations

import re
import unicodedata

# Unicode categories that are never legitimate text in a catalog or a report: controls (Cc),
# format characters (Cf: bidi embeddings/overrides/isolates, zero-width space/joiners, word
# joiner, BOM, soft hyphen, tag characters), line and paragraph separators (Zl, Zp),
# surrogates (Cs), private use (Co) and unassigned code points (Cn), which could be given any
# meaning by a later Unicode version or a font.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
# Free text keeps its line breaks and tabs; nothing else of the above.
TEXT_LAYOUT = frozenset("\t\n")
# Fast path: ASCII controls and DEL (most text is ASCII and needs no per-character lookup).
_ASCII_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def _unsafe(char: str, allowed: frozenset[str]) -> bool:
    return char not in allowed and unicodedata.category(char) in UNSAFE_CATEGORIES


def forbidden(text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """The unsafe characters of `text` (in order, each once), except those in `allowed`."""
    if text.isascii():
        found = _ASCII_UNSAFE.findall(text)
        return list(dict.fromkeys(c for c in found if c not in allowed))
    return list(dict.fromkeys(c for c in text if _unsafe(c, allowed)))


def describe(char: str) -> str:
    """'U+202E RIGHT-TO-LEFT OVERRIDE': how a refusal names a character it will not print."""
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "control character")
    return f"U+{ord(char):04X} {name}"


_CONTROL_NAMES = {
    "\0": "NULL",
    "\a": "BELL",
    "\b": "BACKSPACE",
    "\t": "TAB",
    "\n": "LINE FEED",
    "\v": "LINE TABULATION",
    "\f": "FORM FEED",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
    "\x85": "NEXT LINE",
    "\x9b": "CONTROL SEQUENCE INTRODUCER",
}


def _code(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def escape(text: str, *, multiline: bool = False) -> str:
    """`text` with every unsafe character written as a visible escape (`\\x1b`, `\\u202e`).

    A single line (a message) escapes line breaks and tabs too, so that a value cannot start a
    line of its own; `multiline=True` keeps them (a Markdown report, a summary)."""
    allowed = TEXT_LAYOUT if multiline else frozenset()
    if text.isascii():
        if not _ASCII_UNSAFE.search(text):
            return text
        return _ASCII_UNSAFE.sub(lambda m: m.group() if m.group() in allowed else _code(m.group()), text)
    return "".join(_code(c) if _unsafe(c, allowed) else c for c in text)
