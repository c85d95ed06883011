"""Reports for a person at a terminal: the one renderer of every command's text format.

The reports are written once, as the Markdown a pull request shows (`fleet.reports`, `fleet.status`,
`fleet.history`). For a terminal that Markdown is parsed (CommonMark with GFM tables, by
markdown-it, which rich itself uses) and drawn with rich: headings in colour, tables that fit
the width (long cells wrap inside their column), code in cyan, the backslashes and entities
that kept a value inert in Markdown gone. Where colour is not wanted (`NO_COLOR`, a pipe, a
file) the same drawing is plain text at the width of `COLUMNS` (80 if unset).

Nothing in a report is ever styled by what it says: every piece of text is escaped for the
terminal (`fleet.text.terminal`) and handed to rich as text, never as rich markup; a link shows
its text and its target as text, an image only its description, raw HTML its text.
"""

from __future__ import annotations

import html
import os
import re
import threading
from collections.abc import Iterator, Sequence
from typing import TextIO

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich import box, progress
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from fleet.text import terminal

_HEADING_STYLES = {"h1": "bold magenta", "h2": "bold cyan", "h3": "bold", "h4": "bold", "h5": "bold", "h6": "bold"}
_TAG = re.compile(r"<[^>]*>")
_PARSER = MarkdownIt("commonmark", {"html": True}).enable("table")


def is_terminal(stream: TextIO) -> bool:
    """A terminal a person reads (a TTY, TERM not dumb): the text format is the default there."""
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def for_people(stream: TextIO) -> bool:
    """A terminal, with colour wanted: not NO_COLOR (any value but empty), not TERM=dumb, a TTY."""
    return not os.environ.get("NO_COLOR") and is_terminal(stream)


def console(stream: TextIO, *, width: int | None = None, soft_wrap: bool = False) -> Console:
    """A console for `stream`: colour only on a terminal without NO_COLOR (rich reads NO_COLOR
    too); elsewhere plain text at the width of COLUMNS, else 80. `soft_wrap`: lines are never
    broken by rich (a problem's line stays whole, and clickable)."""
    colour = for_people(stream)
    return _console(stream, width, colour, "auto", soft_wrap)


def _console(stream: TextIO, width: int | None, colour: bool, system: str, soft_wrap: bool = False) -> Console:
    """Every console of ours: values as text (no markup, emoji or highlighting), colour only when asked."""
    return Console(
        file=stream,
        width=width,
        force_terminal=colour,
        no_color=not colour,
        color_system=system if colour else None,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=soft_wrap,
    )


def safe(text: str) -> str:
    return terminal.escape(text)


# --- inline ------------------------------------------------------------------------------------
def _inline(tokens: Sequence[Token] | None) -> Text:
    out = Text()
    styles: list[str] = []
    links: list[str] = []

    def add(text: str, style: str = "") -> None:
        out.append(safe(text), " ".join(s for s in (*styles, style) if s) or None)

    for token in tokens or ():
        kind = token.type
        if kind == "text":
            add(token.content)
        elif kind == "code_inline":
            add(token.content, "cyan")
        elif kind in ("softbreak", "hardbreak"):
            out.append(" " if kind == "softbreak" else "\n")
        elif kind == "strong_open":
            styles.append("bold")
        elif kind == "em_open":
            styles.append("italic")
        elif kind in ("strong_close", "em_close") and styles:
            styles.pop()
        elif kind == "link_open":
            links.append(str(token.attrGet("href") or ""))
            styles.append("underline")
        elif kind == "link_close":
            if styles:
                styles.pop()
            target = links.pop() if links else ""
            if target and target != out.plain[-len(target) :]:
                add(f" ({target})", "dim")
        elif kind == "image":  # a description, never a picture or a link
            add(f"[image: {token.content}]", "dim")
        elif kind == "html_inline":
            add(html.unescape(_TAG.sub("", token.content)))
        else:
            add(token.content)
    return out


# --- blocks ------------------------------------------------------------------------------------
def _until(tokens: list[Token], start: int, closing: str) -> int:
    """The index of the token closing the block opened at `start` (same nesting level)."""
    level = tokens[start].level
    for index in range(start + 1, len(tokens)):
        if tokens[index].type == closing and tokens[index].level == level:
            return index
    return len(tokens) - 1


class _Table:
    """A Markdown table drawn to fit: columns side by side where they fit (long cells wrap in
    their column, every word whole); where they would be too narrow to read, one record per row
    (its first cell, then each other column's header and value)."""

    MIN_COLUMN = 16  # below this, side by side is harder to read than records

    def __init__(self, headers: list[Text], rows: list[list[Text]]) -> None:
        self.headers = headers
        self.rows = rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        words = sum(self._longest_word(i) + 3 for i in range(len(self.headers)))
        if len(self.headers) > 2 and max(words, len(self.headers) * self.MIN_COLUMN) > options.max_width:
            yield from self._records()  # side by side, some column could not show its longest word
            return
        shown = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold", pad_edge=False)
        # The first column names the row (a group, a rule, an app): kept whole where the other
        # columns still fit (each needs at least its longest word, and the space between columns).
        first = max((cell_len(row[0].plain) for row in self.rows if row), default=0)
        others = sum(self._longest_word(i) + 3 for i in range(1, len(self.headers)))
        least = min(first, options.max_width - others - 1)
        for i, header in enumerate(self.headers):
            shown.add_column(header, overflow="fold", min_width=least if i == 0 and least > 0 else None)
        for row in self.rows:
            shown.add_row(*row)
        yield shown

    def _longest_word(self, column: int) -> int:
        cells = [self.headers[column], *(row[column] for row in self.rows if len(row) > column)]
        return max((cell_len(word) for cell in cells for word in cell.plain.split()), default=1)

    def _records(self) -> Iterator[RenderableType]:
        for number, row in enumerate(self.rows):
            if number:
                yield Text("")
            first = row[0].copy() if row else Text()
            first.stylize("bold cyan")
            yield first
            grid = Table.grid(padding=(0, 1))
            grid.add_column(style="dim", no_wrap=True)
            grid.add_column(overflow="fold")
            for header, cell in zip(self.headers[1:], row[1:], strict=False):
                grid.add_row(Text.assemble(header, ":"), cell)
            yield Padding(grid, (0, 0, 0, 2))


def _table(tokens: list[Token]) -> _Table:
    headers: list[Text] = []
    rows: list[list[Text]] = []
    row: list[Text] = []
    for token in tokens:
        if token.type == "inline":
            row.append(_inline(token.children))
        elif token.type == "tr_close":
            if not headers:
                headers = row
            else:
                rows.append(row)
            row = []
    return _Table(headers, rows)


class _Verbatim(Text):
    """A line shown as it is (code, a message): never wrapped by us, so that it can be copied
    or clicked whole; the terminal wraps it if it must."""


def blocks(markdown: str) -> Iterator[RenderableType]:
    """The rich renderables of a Markdown report, in order."""
    tokens = _PARSER.parse(markdown)
    index = 0
    bullets: list[int | None] = []  # per open list: None (bullets) or the next number
    first = True
    while index < len(tokens):
        token = tokens[index]
        kind = token.type
        indent = "  " * max(len(bullets) - 1, 0)
        if kind == "heading_open":
            text = _inline(tokens[index + 1].children)
            text.stylize(_HEADING_STYLES.get(token.tag, "bold"))
            if not first:
                yield Text("")
            yield text
            index += 3
        elif kind == "paragraph_open":
            text = _inline(tokens[index + 1].children)
            if bullets and tokens[index - 1].type != "list_item_open":  # a list item's next paragraph
                yield Text(indent + "  ").append_text(text)
            elif bullets:
                number = bullets[-1]
                marker = "• " if number is None else f"{number}. "
                if number is not None:
                    bullets[-1] = number + 1
                yield Text(indent).append(marker, "bold").append_text(text)
            else:
                if not first:
                    yield Text("")
                yield text
            index += 3
        elif kind in ("bullet_list_open", "ordered_list_open"):
            if not bullets and not first:
                yield Text("")
            bullets.append(None if kind == "bullet_list_open" else int(token.attrGet("start") or 1))
            index += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            bullets.pop()
            index += 1
        elif kind == "table_open":
            end = _until(tokens, index, "table_close")
            yield Text("")
            yield _table(tokens[index:end])
            index = end + 1
        elif kind in ("fence", "code_block"):
            yield Text("")
            for line in token.content.rstrip("\n").split("\n"):
                yield _Verbatim(f"{indent}    {safe(line)}".rstrip(), style="green")
            index += 1
        elif kind == "html_block":
            for line in html.unescape(_TAG.sub("", token.content)).splitlines():
                if line.strip():
                    yield Text(indent + safe(line.strip()), style="bold")
            index += 1
        elif kind == "hr":
            yield Rule(style="dim")
            index += 1
        else:  # list items, blockquotes: their paragraphs are drawn above
            index += 1
        first = False


def _print(out: Console, markdown: str) -> None:
    for renderable in blocks(markdown):
        out.print(renderable, soft_wrap=isinstance(renderable, _Verbatim))


def show(out: Console, markdown: str) -> None:
    """A Markdown report, drawn for the terminal (or as plain text at its width, without the
    spaces that pad its lines)."""
    if out.is_terminal:
        _print(out, markdown)
        return
    with out.capture() as captured:
        _print(out, markdown)
    out.file.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


def table(out: Console, headers: Sequence[str], rows: Sequence[Sequence[str]], title: str | None = None) -> None:
    """Rows as a table that fits the terminal's width: long cells wrap inside their column,
    the first column (an id) never wraps."""
    shown = Table(title=title, show_lines=False, expand=False, header_style="bold")
    for i, header in enumerate(headers):
        shown.add_column(header, style="cyan" if i == 0 else None, no_wrap=i == 0, overflow="fold")
    for row in rows:
        shown.add_row(*(Text(safe(cell)) for cell in row))
    out.print(shown, soft_wrap=False)


def rendered(markdown: str, *, width: int = 80, colour: bool = False) -> str:
    """A report as the terminal shows it, as a string (tests, and the docs' examples)."""
    from io import StringIO

    stream = StringIO()
    shown = _console(stream, width, colour, "standard")
    show(shown, markdown)
    return stream.getvalue()


class Progress:
    """A progress bar on standard error for what can take a while (the audit over a long history,
    status over several environments): drawn only on a terminal, only once `delay` seconds
    have passed (a quick run shows nothing), and gone when done (transient). Elsewhere, and
    for pipes and CI logs, it does nothing at all."""

    def __init__(self, stream: TextIO, label: str, *, delay: float = 2.0) -> None:
        self.label = label
        self.delay = delay
        self._live: progress.Progress | None = None
        self._task: progress.TaskID | None = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._done, self._total, self._what = 0, 0, ""
        if is_terminal(stream):
            self._live = progress.Progress(
                progress.TextColumn("{task.description}"),
                progress.BarColumn(),
                progress.MofNCompleteColumn(),
                progress.TimeElapsedColumn(),
                console=console(stream),
                transient=True,
            )

    def __enter__(self) -> Progress:
        if self._live is not None:
            self._timer = threading.Timer(self.delay, self._start)
            self._timer.daemon = True
            self._timer.start()
        return self

    def _start(self) -> None:
        with self._lock:
            if self._live is None or self._task is not None:
                return
            self._task = self._live.add_task(self._description(), total=self._total or None, completed=self._done)
            self._live.start()

    def _description(self) -> str:
        return safe(f"{self.label} {self._what}".strip())

    def update(self, done: int, total: int, what: str = "") -> None:
        """`done` of `total` finished; `what` is under way (a name, escaped before it is shown)."""
        with self._lock:
            self._done, self._total, self._what = done, total, what
            if self._live is not None and self._task is not None:
                self._live.update(self._task, completed=done, total=total, description=self._description())

    @property
    def shown(self) -> bool:
        return self._task is not None

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            if self._live is not None and self._task is not None:
                self._live.stop()


def summary(out: Console, text: str) -> None:
    """A summary such as `plan`'s: its first line in bold, each indented `label  value` line with
    its label in colour, a last `wrote …` line in green; the words as they are."""
    rows = text.rstrip("\n").split("\n")
    for i, row in enumerate(rows):
        label = re.match(r"^(  )(\S+)(\s+)(.*)$", row)
        if i == 0:
            out.print(Text(safe(row), style="bold"))
        elif label:
            indent, name, gap, rest = label.groups()
            out.print(Text.assemble(indent, (safe(name), "cyan"), gap, safe(rest)))
        else:
            out.print(Text(safe(row), style="green" if row.startswith("wrote ") else None))


def lines(out: Console, items: Sequence[tuple[str, str]]) -> None:
    """A few lines, each with its style (a verdict, a note): the text escaped, never markup."""
    for text, style in items:
        out.print(Text(safe(text), style=style or None))


__all__: list[str] = [
    "Progress",
    "blocks",
    "console",
    "for_people",
    "is_terminal",
    "lines",
    "rendered",
    "safe",
    "show",
    "summary",
    "table",
]
