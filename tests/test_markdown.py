"""fleet.text.markdown and the review comment, judged by GitHub's own Markdown engine (cmark-gfm through
cmarkgfm, with GitHub's extensions: tables, autolinks, the tag filter): a hostile string must
render as text, and the document around it must keep exactly the structure it has around a
harmless word."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from typing import Any

import cmarkgfm
import pytest
import yaml
from cmarkgfm.cmark import Options

from fleet.compiler import state_from_text
from fleet.reports import diff
from fleet.text import markdown as md
from fleet.text import terminal
from fleet.text.problems import CatalogError
from tests.conftest import BASE

HOSTILE = {
    "newline": "x\n# Approved by security\n\n- [x] safe",
    "carriage return": "x\r\n\r\n<details open>",
    "line separator": "x\u2028## heading",
    "html comment": "x <!-- the rest is hidden",
    "details close": "x</summary></details>\n\n## LGTM",
    "mention": "ping @alice and @acme/platform-admins",
    "email": "alice@acme.example",
    "issue reference": "fixes #1 and acme/app#2",
    "image": "![ok](https://evil.example/pixel.png)",
    "link": "[approved](https://evil.example/)",
    "autolink": "https://evil.example/x and www.evil.example and <https://evil.example>",
    "code fence": "```\n</details>\n```",
    "tilde fence": "~~~\nx",
    "backticks": "``a`b``` `",
    "html tag": "<img src=x onerror=alert(1)><script>alert(1)</script>",
    "table": "| a | b |\n|---|---|",
    "emphasis": "**bold** _it_ ~~gone~~",
    "entity": "&lt;b&gt; &amp;",
    "control": "red\x1b[31m bell\x07 del\x7f",
    "heading": "# h1",
    "list": "1. one",
    "quote": "> quoted",
    "backslash": "\\",
}


class _Shape(HTMLParser):
    """Tags in order (no attributes) and the text outside <code>, where GitHub's filters run."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.live_text: list[str] = []
        self.text: list[str] = []
        self.comments: list[str] = []
        self._in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_code += tag == "code"

    def handle_endtag(self, tag: str) -> None:
        self.tags.append("/" + tag)
        self._in_code -= tag == "code"

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if not self._in_code:
            self.live_text.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def render(markdown: str) -> _Shape:
    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    shape = _Shape()
    shape.feed(html)
    shape.close()
    return shape


def document(value: str) -> str:
    """Every place a value goes in the comment: a heading, a list item, a table cell, a
    <summary>, prose, and a fenced block; a marker after each must survive."""
    return "\n".join(
        [
            f"### env {md.code(value)}: {md.code(value)} → {md.code(value)}",
            "",
            f"- **warning**: {md.text(value)} END1",
            f"- {md.code('kubernetes:core/v1:Namespace')} {md.text(value)}: {md.text(value)} END2",
            "",
            "| principal | gained | lost |",
            "|---|---:|---:|",
            f"| Okta group {md.text(value)} | 1 | {md.code(value, table=True)} |",
            "",
            "<details>",
            f"<summary>{md.html(value)}</summary>",
            "",
            f"- \\+ {md.text(value)}",
            "",
            "</details>",
            "",
            md.fenced(f"preview says: {value}\nand {value}"),
            "",
            "END3",
        ]
    )


HARMLESS = render(document("x"))

# What GitHub turns into a link or a notification when it meets it in text outside <code>.
_LIVE = re.compile(r"@[A-Za-z0-9]|#\d|\w://|\bwww\.", re.IGNORECASE)


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_value_cannot_change_the_structure(value: str) -> None:
    shape = render(document(value))
    assert shape.tags == HARMLESS.tags
    assert shape.comments == []
    assert not [t for t in shape.live_text if _LIVE.search(t)], shape.live_text
    assert "END1" in "".join(shape.text)
    assert "END3" in "".join(shape.text)


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_value_still_reads_as_itself(value: str) -> None:
    """Escaping must not eat what the reviewer needs to see: each form renders the characters
    of the value (line breaks shown as ␤, control characters as \\xNN, joiners invisible)."""
    expected = re.sub(r"\r\n|[\r\n\u2028]", "␤", value)
    expected = terminal.escape(expected)
    for form in (md.text(value), md.code(value)):
        rendered = "".join(render(f"a {form} b").text).replace("\u2060", "")
        assert rendered.strip() == f"a {expected} b".strip()
    fenced = "".join(render(md.fenced(value)).text)
    lines = value.replace("\r\n", "\n").replace("\r", "\n")
    assert fenced.rstrip("\n") == terminal.escape(lines, multiline=True).rstrip("\n")


def test_a_code_span_in_a_table_keeps_its_pipe() -> None:
    shape = render(f"| a | b |\n|---|---|\n| {md.code('x | y', table=True)} | 2 |\n")
    assert shape.tags.count("td") == 2
    assert "x | y" in shape.text


# What breaks a report's table row or starts markup of its own; `cell` leaves emphasis and links
# live by design (reports a person runs), so only these are its contract.
STRUCTURAL = ("newline", "carriage return", "line separator", "html comment", "details close", "html tag")
STRUCTURAL += ("table", "control", "heading", "list", "quote", "backslash")


def cell_row(value: str) -> str:
    return f"| value | after |\n|---|---|\n| {md.cell(value)} | END |\n\n- granted: {md.cell(value)} END2\n\nAFTER"


@pytest.mark.parametrize("name", STRUCTURAL)
def test_a_value_in_a_report_cell_stays_in_its_cell_and_reads_as_itself(name: str) -> None:
    value = HOSTILE[name]
    shape = render(cell_row(value))
    assert shape.tags == render(cell_row("x")).tags
    assert shape.comments == []
    assert "AFTER" in "".join(shape.text)
    expected = terminal.escape(re.sub(r"\r\n|[\r\n\u2028]", "␤", value))
    cells = [t for t in shape.text if t.strip()]
    assert cells[2] == expected  # the first body cell: the value, character for character


def test_a_cell_shows_wildcards_as_written_when_asked() -> None:
    assert "".join(render(md.cell("s3:* on arn:*:x*", escape="*")).text).strip() == "s3:* on arn:*:x*"
    assert md.cell("a*b*c") == "a*b*c"  # left as it is: `escape` says which characters to show literally
    with pytest.raises(ValueError, match="backslash"):
        md.cell("x", escape="\\")


def test_a_fence_info_string_is_a_plain_word() -> None:
    with pytest.raises(ValueError, match="plain word"):
        md.fenced("x", info="sh\n```")


# --- the comment that `fleet diff` builds, from a hostile catalog ---------------------------


def hostile_catalog(value: str) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["teams"][0]["members"]["viewer"] = value  # an Okta expression is free text
    data["teams"][0]["description"] = value
    return data


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_review_comment_keeps_its_structure(value: str) -> None:
    def comment(expression: str, label: str) -> str:
        base = state_from_text(yaml.safe_dump(BASE), "base.yaml")
        head = state_from_text(yaml.safe_dump(hostile_catalog(expression)), "head.yaml")
        return diff.markdown(diff.compute(base, head, label, label))

    if terminal.forbidden(value, terminal.TEXT_LAYOUT):
        # Control and invisible characters never get past the catalog (issue 9's rule); the
        # file-name label still carries them into the comment.
        with pytest.raises(CatalogError, match=r"\[catalog-plain-text\]"):
            comment(value, value)
        hostile_comment = comment("x", value)
    else:
        hostile_comment = comment(value, value)
    hostile, harmless = render(hostile_comment), render(comment("x", "x"))
    assert hostile.tags == harmless.tags
    assert hostile.comments == []
    assert not [t for t in hostile.live_text if _LIVE.search(t)], hostile.live_text
    # and the reviewer sees the expression that was added, and the file name as it is
    assert "members: everyone matching" in "".join(hostile.text)
    assert terminal.escape(re.sub(r"\r\n|[\r\n\u2028]", "␤", value)) in "".join(hostile.text).replace("\u2060", "")


def test_the_harness_would_notice_unescaped_values() -> None:
    """The structure check is not vacuous: the same document with raw values differs."""
    raw = document("x").replace("x", HOSTILE["details close"])
    assert render(raw).tags != HARMLESS.tags
    assert _LIVE.search("".join(render("ping @alice").live_text))


def test_a_membership_rule_with_backticks_stays_one_code_span_in_the_access_table() -> None:
    from fleet.reports import access

    data = copy.deepcopy(BASE)
    rule = 'user.title == "`x` | @ops"'
    data["teams"][0]["members"] = {"developer": rule}
    _, state = state_from_text(yaml.safe_dump(data), "catalog")
    (row,) = [line for line in access.markdown(access.matrix(state)).splitlines() if "-payments-developer |" in line]
    shape = render("| a | b | c | d | e | f | g |\n|---|---|---|---|---|---|---|\n" + row)
    assert shape.tags.count("td") == 7  # the pipe in the rule did not split the cell
    assert rule in "".join(shape.text)  # the rule reads as itself, inside <code>
    assert "@ops" not in "".join(shape.live_text)
