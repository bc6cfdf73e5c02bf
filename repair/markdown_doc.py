"""A Markdown article as paragraphs for the model, with every byte of syntax kept aside.

`markdown-it-py` finds the blocks and the lines each one covers (headings, paragraphs,
list items, block quotes, table rows; front matter, code blocks and HTML blocks are never
sent). Inside a block, the text is read here, by a scanner that keeps offsets (the
library's inline tokens have none): links, emphasis, code spans, images, inline HTML,
footnote references and hard line breaks become placeholders (inline.py); the container
markers of continuation lines ("> ", list indentation) stay with the text around them.
Because the scanner is simpler than CommonMark, every repaired block is parsed again and
must give the same inline tokens as its source (`Inline.same_markup`).
"""

from __future__ import annotations

import html
import itertools
import re
import string
from dataclasses import dataclass
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import normalizeReference
from mdit_py_plugins.front_matter import front_matter_plugin

from repair.inline import Inline, InlineBuilder, collapse, plain, rewrap
from repair.segment import BlockKind, Document, Paragraph, classify, is_credit


@cache
def markdown() -> MarkdownIt:
    """CommonMark with the tables, strikethrough and front matter articles use."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(front_matter_plugin)


def parse_markdown(source: str) -> Document:
    """The paragraphs of a Markdown article; `parse_markdown(s).join() == s` always."""
    env: dict[str, Any] = {}
    found = markdown().parse(source, env)
    references = set(env.get("references", {}))
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    blocks: list[_Block] = []
    for i, token in enumerate(found):
        if token.type == "tr_open" and token.map:
            blocks += _row_cells(lines, starts, token.map[0])
        elif token.type == "inline" and token.map:
            if found[i - 1].type in ("th_open", "td_open"):
                continue  # cells are read with their row, above
            kind = BlockKind.HEADING if found[i - 1].type == "heading_open" else None
            block = _text_block(lines, starts, token.map[0], token.content, kind)
            if block:
                blocks.append(block)
    return _document(source, sorted(blocks, key=lambda b: b.start), references)


@dataclass(frozen=True, slots=True)
class _Block:
    start: int  # offset of the block's words in the source
    content: str  # its lines without container markers, joined by "\n"
    offsets: list[int]  # source offset of each character of `content`, and of its end
    kind: BlockKind | None  # None: guess from the words


def _text_block(
    lines: list[str], starts: list[int], first: int, content: str, kind: BlockKind | None
) -> _Block | None:
    """Place each line of an inline token's content in its source line, or give up."""
    offsets: list[int] = []
    for k, part in enumerate(content.split("\n")):
        if first + k >= len(lines):
            return None
        line = lines[first + k].rstrip("\r\n")
        at = line.rfind(part)
        if at < 0 or not part:
            return None  # not where markdown-it says: leave the block as it is
        base = starts[first + k] + at
        offsets += range(base, base + len(part) + 1)  # the last one: the "\n" or the end
    return _Block(offsets[0], content, offsets, kind)


_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def _row_cells(lines: list[str], starts: list[int], row: int) -> list[_Block]:
    """The cells of a table row: the text between unescaped pipes, trimmed."""
    line = lines[row].rstrip("\r\n")
    cells: list[_Block] = []
    bounds = [-1] + [m.start() for m in _CELL_SPLIT.finditer(line)] + [len(line)]
    for left, right in itertools.pairwise(bounds):
        cell = line[left + 1 : right]
        body = cell.strip()
        if not body:
            continue
        at = starts[row] + left + 1 + (len(cell) - len(cell.lstrip()))
        cells.append(_Block(at, body, list(range(at, at + len(body) + 1)), None))
    return cells


def _document(source: str, blocks: list[_Block], references: set[str]) -> Document:
    paragraphs: list[Paragraph] = []
    cuts: list[tuple[int, int]] = []
    after_credit = False
    for block in blocks:
        if cuts and block.start < cuts[-1][1]:
            continue  # overlapping blocks would not join back: keep the first
        inline = _inline(source, block, references)
        if inline is None or inline.confusable:
            continue
        words = plain(inline.view)
        kind = block.kind or classify(words, after_credit)
        if block.kind is None and kind is BlockKind.HEADING:
            kind = BlockKind.PARAGRAPH  # Markdown marks its headings itself
        after_credit = is_credit(words)
        cuts.append((block.start, block.offsets[-1]))
        paragraphs.append(Paragraph(f"P{len(paragraphs) + 1}", kind, inline.view, "", inline))
    if not paragraphs:
        return Document(prefix=source)
    tails = [source[end:nxt] for (_, end), (nxt, _) in itertools.pairwise(cuts)]
    tails.append(source[cuts[-1][1] :])
    return Document(
        prefix=source[: cuts[0][0]],
        paragraphs=[
            Paragraph(p.id, p.kind, p.text, tail, p.inline)
            for p, tail in zip(paragraphs, tails, strict=True)
        ],
    )


def _inline(source: str, block: _Block, references: set[str]) -> Inline | None:
    builder = InlineBuilder(escape, same_markup)
    text = block.content

    def raw(a: int, b: int) -> str:
        return source[block.offsets[a] : block.offsets[b]]

    for kind, a, b, name in _resolve(_Scanner(text, references).scan(0, len(text)), text):
        if kind == "text":
            builder.text(raw(a, b), decode(text[a:b]))
        elif kind == "atom":
            builder.atom(raw(a, b))
        elif kind == "open":
            builder.open(raw(a, b), name)
        else:
            builder.close(raw(a, b), name)
    return builder.build() if builder.has_words else None


# --- the inline scanner ---------------------------------------------------------------

_Item = tuple[str, int, int, str]  # (kind, start, end, name): text, atom, open, close, delim
_PUNCTUATION = frozenset(string.punctuation)
_SPECIAL = re.compile(r"[\\`!\[<*_~ ]")
_HARD_BREAK = re.compile(r" {2,}\n")
_AUTOLINK = re.compile(r"<(?:[A-Za-z][A-Za-z0-9.+-]{1,31}:[^<>\s]*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)>")
_HTML_OPEN = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*?)?(/?)>")
_HTML_CLOSE = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)\s*>")
_HTML_OTHER = re.compile(r"<!--.*?-->|<\?.*?\?>|<![A-Z][^>]*>|<!\[CDATA\[.*?\]\]>", re.DOTALL)
_VOID = frozenset("br hr img input wbr embed source track area col meta link".split())


# How far a construct may reach from where it opens (a link, a code span, a comment):
# beyond it the opener is text. It keeps hostile input ("[[[[..." by the thousand) linear.
_REACH = 2_000
_MAX_LINK_DEPTH = 8


class _Scanner:
    """Inline syntax of one block, with every code span and bracket pair found up front."""

    def __init__(self, s: str, references: set[str]) -> None:
        self.s, self.references = s, references
        self.code_spans = _code_spans(s)
        self.pairs = _bracket_pairs(s, self.code_spans)

    def scan(self, i: int, end: int, depth: int = 0) -> list[_Item]:
        s, items = self.s, []
        while i < end:
            c = s[i]
            nxt = s[i + 1] if i + 1 < end else ""
            if c == "\\":
                if nxt == "\n":
                    items.append(("atom", i, i + 2, ""))  # a backslash hard break
                    i += 2
                else:
                    j = i + 2 if nxt and nxt in _PUNCTUATION else i + 1
                    items.append(("text", i, j, ""))
                    i = j
                continue
            if c == " ":
                m = _HARD_BREAK.match(s, i, end)
                j = m.end() if m else i + 1
                items.append(("atom" if m else "text", i, j, ""))
                i = j
                continue
            if c == "`":
                span = self.code_spans.get(i)  # an unclosed run of backticks is text
                span = span if span is not None and span <= end else None
                j = span or _run_end(s, i, end)
                items.append(("atom" if span else "text", i, j, ""))
                i = j
                continue
            if c == "!" and nxt == "[":
                link = self.link(i + 1, end)
                j = link[1] if link else i + 1
                items.append(("atom" if link else "text", i, j, ""))
                i = j
                continue
            if c == "[":
                close = self.pairs.get(i)
                if nxt == "^" and close is not None and close < end:
                    items.append(("atom", i, close + 1, ""))  # a footnote reference
                    i = close + 1
                    continue
                link = self.link(i, end) if depth < _MAX_LINK_DEPTH else None
                if link:
                    label_end, j = link
                    items.append(("open", i, i + 1, "[]"))
                    items += self.scan(i + 1, label_end, depth + 1)
                    items.append(("close", label_end, j, "[]"))
                    i = j
                    continue
                items.append(("text", i, i + 1, ""))
                i += 1
                continue
            if c == "<":
                item = _angle(s, i, min(end, i + _REACH))
                items.append(item)
                i = item[2]
                continue
            if c in "*_~":
                j = _run_end(s, i, end)
                items.append(("delim", i, j, c))
                i = j
                continue
            m = _SPECIAL.search(s, i + 1, end)
            j = m.start() if m else end
            items.append(("text", i, j, ""))
            i = j
        return items

    def link(self, i: int, end: int) -> tuple[int, int] | None:
        """(end of the link text, end of the link) for a link whose "[" is at `i`."""
        label_end = self.pairs.get(i)
        if label_end is None or label_end >= end:
            return None
        after = label_end + 1
        if after < end and self.s[after] in "([":
            close = self.pairs.get(after)
            return (label_end, close + 1) if close is not None and close < end else None
        if normalizeReference(self.s[i + 1 : label_end]) in self.references:
            return (label_end, after)  # a shortcut reference: [Reuters]
        return None


def _angle(s: str, i: int, end: int) -> _Item:
    for pattern in (_AUTOLINK, _HTML_OTHER):
        m = pattern.match(s, i, end)
        if m:
            return ("atom", i, m.end(), "")
    m = _HTML_CLOSE.match(s, i, end)
    if m:
        return ("close", i, m.end(), m.group(1).lower())
    m = _HTML_OPEN.match(s, i, end)
    if m:
        name = m.group(1).lower()
        kind = "atom" if m.group(2) or name in _VOID else "open"
        return (kind, i, m.end(), name)
    return ("text", i, i + 1, "")


def _run_end(s: str, i: int, end: int) -> int:
    j = i
    while j < end and s[j] == s[i]:
        j += 1
    return j


_BACKTICKS = re.compile(r"`+")


def _code_spans(s: str) -> dict[int, int]:
    """Start -> end of each code span: a backtick run closed by the next run of its length."""
    runs = [m for m in _BACKTICKS.finditer(s) if not _escaped(s, m.start())]
    later: dict[int, list[int]] = {}  # run length -> indexes into `runs`, last first
    for k in range(len(runs) - 1, -1, -1):
        later.setdefault(len(runs[k].group()), []).append(k)
    spans: dict[int, int] = {}
    free_from = 0  # runs before this offset are inside a span already found
    for run in runs:
        same = later[len(run.group())]
        same.pop()  # this run itself: runs are visited in order, the next one is last
        if run.start() < free_from:
            continue
        if same and runs[same[-1]].start() - run.start() <= _REACH:
            closer = runs[same[-1]]
            spans[run.start()] = closer.end()
            free_from = closer.end()
        else:
            free_from = run.end()
    return spans


def _escaped(s: str, i: int) -> bool:
    backslashes = 0
    while i - backslashes > 0 and s[i - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _bracket_pairs(s: str, code_spans: dict[int, int]) -> dict[int, int]:
    """Opening "[" or "(" -> its closing one, escapes and code spans skipped: one pass."""
    pairs: dict[int, int] = {}
    open_: dict[str, list[int]] = {"[": [], "(": []}
    partner = {"]": "[", ")": "("}
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "`" and i in code_spans:
            i = code_spans[i]
            continue
        if c in open_:
            open_[c].append(i)
        elif c in partner and open_[partner[c]]:
            start = open_[partner[c]].pop()
            if i - start <= _REACH:
                pairs[start] = i
        i += 1
    return pairs


def _resolve(items: list[_Item], s: str) -> list[_Item]:
    """Pair emphasis delimiters (`*`, `_`, `~~`) as CommonMark would in the common cases.

    A run opens or closes by what is on either side of it (the "flanking" rules); it
    closes the nearest open run of the same character and length. What is left unpaired
    is text. Links are barriers: emphasis never pairs across one.
    """
    out = list(items)
    stack: list[int] = []
    for n, (kind, a, b, name) in enumerate(items):
        if kind in ("open", "close") and name == "[]":
            stack.clear()
            continue
        if kind != "delim" or (name == "~" and b - a != 2):
            continue
        before = s[a - 1] if a > 0 else " "  # a block's edges count as whitespace
        after = s[b] if b < len(s) else " "
        opens, closes = _flanking(before, after)
        if name == "_":
            opens, closes = (
                opens and (not closes or before in _PUNCTUATION),
                closes and (not opens or after in _PUNCTUATION),
            )
        if closes:
            match = next(
                (
                    k
                    for k in range(len(stack) - 1, -1, -1)
                    if items[stack[k]][3] == name and _length(items[stack[k]]) == b - a
                ),
                None,
            )
            if match is not None:
                o = stack[match]
                out[o] = ("open", items[o][1], items[o][2], name * (b - a))
                out[n] = ("close", a, b, name * (b - a))
                del stack[match:]
                continue
        if opens:
            stack.append(n)
    return [("text", a, b, "") if kind == "delim" else (kind, a, b, x) for kind, a, b, x in out]


def _length(item: _Item) -> int:
    return item[2] - item[1]


def _flanking(before: str, after: str) -> tuple[bool, bool]:
    left = not after.isspace() and (
        after not in _PUNCTUATION or before.isspace() or before in _PUNCTUATION
    )
    right = not before.isspace() and (
        before not in _PUNCTUATION or after.isspace() or after in _PUNCTUATION
    )
    return left, right


# --- text ------------------------------------------------------------------------------

_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def decode(text: str) -> str:
    """What Markdown text reads as: backslash escapes and entities resolved."""
    text = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
    return _ESCAPED.sub(r"\1", text)


_MARKUP_CHARS = re.compile(r"([\\`*_\[\]<>|~])")
_ENTITY_START = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
# What opens a block when it starts a line: a heading, a quote, a list item, a rule.
_LINE_START = re.compile(r"(^|\n[ \t>]*)(?:([#+=-])(?=[ \t]|$)|(\d+)([.)])(?=[ \t]|$))")
_LINE_BREAK = re.compile(r"\n[ \t>]*")


def escape(text: str, old: str = "") -> str:
    """Changed words as Markdown text: anything that could start syntax, escaped; wrapped
    at the source's line breaks (`old` is the stretch it replaces)."""
    text = _ENTITY_START.sub(r"\\&", _MARKUP_CHARS.sub(r"\\\1", collapse(text)))
    text = rewrap(text, old, _LINE_BREAK)
    return _LINE_START.sub(_escape_line_start, text)


def _escape_line_start(m: re.Match[str]) -> str:
    if m.group(3):
        return f"{m.group(1)}{m.group(3)}\\{m.group(4)}"
    return f"{m.group(1)}\\{m.group(2)}"


def same_markup(source: str, repaired: str) -> bool:
    """Do two Markdown blocks have the same inline tokens, text aside?"""
    return _inline_skeleton(source) == _inline_skeleton(repaired)


def _inline_skeleton(text: str) -> list[tuple[str, str, str]]:
    skeleton: list[tuple[str, str, str]] = []
    for block in markdown().parseInline(text, {}):
        for token in block.children or []:
            if token.type in ("text", "softbreak"):
                continue
            attrs = " ".join(f"{k}={v}" for k, v in sorted(token.attrs.items()))
            code = token.content if token.type in ("code_inline", "html_inline", "image") else ""
            skeleton.append((token.type, attrs, code))
    return skeleton
