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
from functools import cache, partial
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import normalizeReference
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from repair.inline import (
    ENTITY,
    Inline,
    InlineBuilder,
    collapse,
    keep_entities,
    plain,
    rewrap,
)
from repair.segment import BlockKind, Document, Paragraph, classify, is_credit

Bone = tuple[str, ...]


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
    cell: bool = False  # a table cell: a "|" in its words must be escaped


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
        cells.append(_Block(at, body, list(range(at, at + len(body) + 1)), None, cell=True))
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
    builder = InlineBuilder(partial(escape, cell=block.cell), same_markup)
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
                if link and self.labels_itself(i, *link):
                    # "[Reuters]" or "[Reuters][]": the words are the link's label, which
                    # its definition must match; the model may not change them.
                    items.append(("atom", i, link[1], ""))
                    i = link[1]
                    continue
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

    def labels_itself(self, i: int, label_end: int, end: int) -> bool:
        """Is the link at `i` a shortcut or collapsed reference ("[x]", "[x][]")?"""
        return end == label_end + 1 or self.s[label_end + 1 : end] == "[]"

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


@dataclass(slots=True)
class _Run:
    """A run of `*`, `_` or `~` that may open or close emphasis, and what is left of it."""

    index: int  # of its item
    char: str
    start: int
    end: int  # what is left is start..end: an opener is used up from its end
    opens: bool
    closes: bool


def _resolve(items: list[_Item], s: str) -> list[_Item]:
    """Pair emphasis delimiters (`*`, `_`, `~~`) the way CommonMark does.

    A run opens or closes by what is on either side of it (the "flanking" rules). A
    closer takes the nearest opener of its character, two characters at a time when both
    have two (strong), else one; what is left of either may pair again, so "***" can
    close "*" and "**" at once. Emphasis pairs across a link but never into one. What
    is left unpaired is text. Each pair gets a name of its own for the placeholders.
    """
    pieces: dict[int, list[_Item]] = {}  # item index -> what the run became
    stack: list[_Run | None] = []  # None: a link's opening bracket, a barrier
    pair = 0
    for n, (kind, a, b, name) in enumerate(items):
        if kind in ("open", "close") and name == "[]":
            if kind == "open":
                stack.append(None)
            else:
                while stack and stack.pop() is not None:
                    pass  # openers inside the link text stay unpaired
            continue
        if kind != "delim":
            continue
        run = _delimiter_run(n, a, b, name, s)
        if run is None:
            continue
        while run.closes and run.start < run.end:
            k = _opener_for(stack, run.char)
            if k is None:
                break
            opener = stack[k]
            assert opener is not None
            use = 2 if opener.end - opener.start >= 2 and run.end - run.start >= 2 else 1
            if run.char == "~" and use == 1:
                break  # never half a "~~"
            pair += 1
            tag = f"{run.char}{pair}"
            pieces.setdefault(opener.index, []).append(("open", opener.end - use, opener.end, tag))
            pieces.setdefault(run.index, []).append(("close", run.start, run.start + use, tag))
            opener.end -= use
            run.start += use
            del stack[k + 1 :]  # openers between them stay unpaired
            if opener.start == opener.end:
                del stack[k]
        if run.opens and run.start < run.end:
            stack.append(run)
    out: list[_Item] = []
    for n, (kind, a, b, name) in enumerate(items):
        if kind != "delim":
            out.append((kind, a, b, name))
            continue
        used = sorted(pieces.get(n, []), key=lambda item: item[1])
        pos = a
        for piece in used:
            if piece[1] > pos:
                out.append(("text", pos, piece[1], ""))
            out.append(piece)
            pos = piece[2]
        if pos < b:
            out.append(("text", pos, b, ""))
    return out


def _delimiter_run(n: int, a: int, b: int, char: str, s: str) -> _Run | None:
    before = s[a - 1] if a > 0 else " "  # a block's edges count as whitespace
    after = s[b] if b < len(s) else " "
    opens, closes = _flanking(before, after)
    if char == "~":
        # Strikethrough goes by "~~": a longer run is several of them, an odd "~" is text.
        if b - a < 2:
            return None
        a += (b - a) % 2
    if char == "_":
        opens, closes = (
            opens and (not closes or before in _PUNCTUATION),
            closes and (not opens or after in _PUNCTUATION),
        )
    return _Run(n, char, a, b, opens, closes) if opens or closes else None


def _opener_for(stack: list[_Run | None], char: str) -> int | None:
    """The nearest opener of `char` this side of a link's opening bracket."""
    for k in range(len(stack) - 1, -1, -1):
        opener = stack[k]
        if opener is None:
            return None
        if opener.char == char:
            return k
    return None


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


def decode(text: str) -> str:
    """What Markdown text reads as: backslash escapes and entities resolved."""
    text = ENTITY.sub(lambda m: html.unescape(m.group()), text)
    return _ESCAPED.sub(r"\1", text)


_MARKUP_CHARS = re.compile(r"([\\`*_\[\]<>~])")
_ENTITY_START = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
# What opens a block when it starts a line: a heading, a setext underline, a list item,
# a rule (a quote's ">" and a fence's "`" or "~" are escaped wherever they are).
_LINE_START = re.compile(r"(^|\n[ \t>]*)(?:([#+=-])|(\d+)([.)])(?=[ \t\r\n]|$))")
_LINE_BREAK = re.compile(r"\r?\n[ \t>]*")


def escape(text: str, old: str = "", *, cell: bool = False) -> str:
    """Changed words as Markdown text: anything that could start syntax, escaped; wrapped
    at the source's line breaks (`old` is the stretch it replaces). A "|" is escaped in a
    table cell only: elsewhere "\\|" could make a heading line a table's header."""
    text = _ENTITY_START.sub(r"\\&", _MARKUP_CHARS.sub(r"\\\1", collapse(text)))
    if cell:
        text = text.replace("|", "\\|")
    if text.endswith("!"):
        text = text[:-1] + "\\!"  # before a link's "[", a "!" would make it an image
    text = rewrap(keep_entities(text, old), old, _LINE_BREAK)
    return _LINE_START.sub(_escape_line_start, text)


def _escape_line_start(m: re.Match[str]) -> str:
    if m.group(3):
        return f"{m.group(1)}{m.group(3)}\\{m.group(4)}"
    return f"{m.group(1)}\\{m.group(2)}"


_CONTINUATION = re.compile(r"\n[ \t>]*")


def same_markup(source: str, repaired: str) -> bool:
    """Do two Markdown blocks parse to the same tokens, text aside?

    The blocks are parsed on their own, their continuation lines' markers ("> ", list
    indentation) taken out: what is compared is what their words could have made.
    """
    return skeleton(_CONTINUATION.sub("\n", source)) == skeleton(_CONTINUATION.sub("\n", repaired))


def skeleton(text: str) -> list[Bone]:
    """The tokens of a Markdown text, words left out: what its markup is."""
    bones: list[Bone] = []
    for token in markdown().parse(text, {}):
        if token.type == "inline":
            for child in token.children or []:
                if child.type not in ("text", "softbreak"):
                    bones.append(_bone(child))
        else:
            bones.append(_bone(token))
    return bones


def _bone(token: Token) -> Bone:
    attrs = " ".join(f'{k}="{v}"' for k, v in token.attrs.items())
    verbatim = token.type in (
        "code_inline",
        "code_block",
        "fence",
        "html_block",
        "html_inline",
        "front_matter",
        "image",
    )
    content = token.content if verbatim else ""
    shown = f"{token.markup}{token.info}{content}" or token.type
    label = f"{token.type} {attrs} {shown!r}" if attrs else f"{token.type} {shown!r}"
    return (token.type, attrs, token.markup, token.info, content, label)
