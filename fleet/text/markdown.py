"""Catalog strings and file names, made inert for GitHub Markdown (the review comment, the drift issue).

A pull request controls what its catalogs say: descriptions, Okta expressions, repo URLs, paths,
ARNs and file names all reach the comment. None of them may change its structure: start a
line, close a `<details>`, open an HTML comment that hides the rest, draw an image, add a link,
ping a person or team, or open a code fence that swallows what follows. So every such value goes
through one of these functions, chosen by where it lands:

- `code(value)`: an inline code span. GitHub renders nothing inside one: no HTML, link,
  autolink, image, emphasis or @mention. Best for names, URLs, expressions.
- `text(value)`: prose. Every ASCII punctuation character is backslash-escaped (CommonMark
  allows it for all of them), so no construct can open; `@`, `#` and `://` get an invisible
  word joiner so that GitHub's mention, issue-reference and autolink filters do not fire.
- `cell(value)`: readable text in a report's table cell or list item, shown as written where
  the reader needs the exact characters (an ARN ending in `*`, a commit subject): only what
  breaks the document's structure is neutralized (the pipe that splits a row, `<` and `>` that
  open HTML, line breaks, controls); emphasis and links stay live, so it is for reports a
  person runs, not for what a pull request's author controls in a comment (use `text` there).
- `fenced(body)`: a multi-line block (a `pulumi preview` log) in a code fence longer than any
  backtick or tilde run inside it, so nothing inside can close it.

Line breaks (`\\n`, `\\r`, and the Unicode line and paragraph separators) become a visible `␤` in
the inline forms: a new line is where Markdown structure starts. Every other character that must
not reach a reader as it is (controls, bidi overrides, zero-width characters) is written as a
visible escape by `fleet.text.terminal.escape`, the one definition the terminal output uses too.
"""

from __future__ import annotations

import re
import string

from fleet.text import terminal

# U+2060 WORD JOINER: invisible, not a word character, so "@\u2060alice" is no mention.
_JOINER = "\u2060"
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_BACKTICKS = re.compile(r"`+")
_FENCE_RUN = re.compile(r"`{3,}|~{3,}")
# What GitHub links on its own in escaped prose: @user, @org/team, #123, scheme://, www.
_REFERENCES = re.compile(r"(\\[@#])|(\\:)(?=\\/\\/)|\b(www)(?=\\\.)", re.IGNORECASE)


def _flat(value: str) -> str:
    """One line, every unsafe character escaped."""
    return terminal.escape(_LINE_BREAKS.sub("␤", value))


def text(value: object) -> str:
    """Prose that renders as exactly these characters (plus invisible joiners), on one line,
    with nothing live in it; safe in a table cell too (the pipe is escaped like the rest)."""
    escaped = _PUNCTUATION.sub(r"\\\1", _flat(str(value)))
    # The joiner goes after the escape, so the backslash still escapes the character.
    return _REFERENCES.sub(lambda m: m.group() + _JOINER, escaped)


def code(value: object, *, table: bool = False) -> str:
    """An inline code span holding exactly `value` (on one line).

    The delimiter is one backtick longer than the longest run inside, and a space pads the
    content when it starts or ends with a backtick or a space, as CommonMark specifies. In a
    table cell (`table=True`) the pipe is escaped, which GFM removes again inside the span.
    """
    flat = _flat(str(value))
    if table:
        flat = flat.replace("|", "\\|")
    longest = max((len(run) for run in _BACKTICKS.findall(flat)), default=0)
    tick = "`" * (longest + 1)
    pad = " " if not flat or flat[0] in "` " or flat[-1] in "` " else ""
    return f"{tick}{pad}{flat}{pad}{tick}"


def cell(value: object, *, escape: str = "") -> str:
    """`value` on one line for a table cell or list item: the pipe backslash-escaped, `<` and
    `>` as entities, line breaks as `␤`, controls visible; each character of `escape` (Markdown
    punctuation, e.g. "*" for wildcards in prose) backslash-escaped too."""
    if "\\" in escape:
        raise ValueError("cell() escapes with a backslash; it cannot escape the backslash itself")
    flat = _flat(str(value))
    for char in ("|", *escape):
        flat = flat.replace(char, "\\" + char)
    return flat.replace("<", "&lt;").replace(">", "&gt;")


def html(value: object) -> str:
    """For a raw HTML block (`<summary>…</summary>`), where Markdown is not parsed: the value
    HTML-escaped inside `<code>`, so GitHub's mention and autolink filters leave it alone."""
    flat = _flat(str(value))
    escaped = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return f"<code>{escaped}</code>"


def fenced(body: str, info: str = "") -> str:
    """`body` in a code fence that nothing inside can close; `info` must be a plain word."""
    if info and not re.fullmatch(r"[a-z0-9-]+", info):
        raise ValueError(f"code fence info string must be a plain word, not {info!r}")
    body = terminal.escape(body.replace("\r\n", "\n").replace("\r", "\n"), multiline=True)
    longest = max((len(run) for run in _FENCE_RUN.findall(body)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{info}\n{body.rstrip(chr(10))}\n{fence}"


__all__ = ["cell", "code", "fenced", "html", "text"]
