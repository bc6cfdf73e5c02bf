"""A Markdown article as paragraphs for the model, with every byte of syntax kept aside.

`markdown-it-py` finds the blocks and the lines each one covers (headings, paragraphs,
list items, block quotes, table rows; front matter, code blocks and HTML blocks are never
sent). Inside a block, a scanner that keeps offsets (markdown_inline.py; the library's
inline tokens have none) finds links, emphasis, code spans, images, inline HTML, footnote
references and hard line breaks, which become placeholders (inline.py); the markers of
continuation lines ("> ", list indentation) stay with the text around them. Because the
scanner is simpler than CommonMark, every repaired block is parsed again and must give
the same tokens as its source (`same_markup`).
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from repair.formats.inline import (
    ENTITY,
    Inline,
    InlineBuilder,
    collapse,
    keep_entities,
    plain,
    rewrap,
)
from repair.formats.markdown_inline import inline_items
from repair.formats.text import BlockKind, Document, Paragraph, classify, is_credit

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

    for kind, a, b, name in inline_items(text, references):
        if kind == "text":
            builder.text(raw(a, b), decode(text[a:b]))
        elif kind == "atom":
            builder.atom(raw(a, b))
        elif kind == "open":
            builder.open(raw(a, b), name)
        else:
            builder.close(raw(a, b), name)
    return builder.build() if builder.has_words else None


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
