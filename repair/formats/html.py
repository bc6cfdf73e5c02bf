"""An HTML article as paragraphs for the model, with every byte of markup kept aside.

The source is tokenised with the standard library's `html.parser` (tolerant of anything,
and it tells where each token starts, which a tree builder does not); the tokens are cut
into runs at every block-level tag, the way a browser lays them out. A run with words is
a paragraph: its inline markup becomes placeholders (inline.py), its text is decoded. What
the model must never see stays in the raw gaps between paragraphs: scripts, styles,
code, preformatted text, embeds, comments and every attribute. Joining the document again
with no text changed gives back the input byte for byte; `structure.py` checks with a
real HTML5 parser that a repaired document has the same markup as its source.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import NamedTuple

from repair.errors import InputError
from repair.formats.inline import InlineBuilder, collapse, keep_entities, plain, rewrap
from repair.formats.text import BlockKind, Document, Paragraph, classify, is_credit

# Inline elements around words: a pair of placeholders.
INLINE = frozenset(
    "a abbr acronym b bdi bdo big cite data del dfn em font i ins label mark nobr q rp rt "
    "ruby s small span strike strong time tt u var".split()
)
# Inline elements whose content the model never sees: one self-closing placeholder.
# `sup` and `sub` hold footnote markers and formulas ("CO2"): nothing to repair.
ATOMS = frozenset(
    "audio br button canvas code embed iframe img input kbd map math meter object output "
    "picture progress samp select sub sup svg textarea video wbr".split()
)
# Block elements whose whole content stays as it is, markup and text alike.
RAW_BLOCKS = frozenset(
    "head noembed noframes noscript plaintext pre script style template title xmp".split()
)
# No end tag: never wait for one.
VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr keygen".split()
)
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
CAPTIONS = frozenset({"figcaption", "caption"})


class _Token(NamedTuple):
    start: int
    kind: str  # "start", "end", "startend", "text", "other" (comment, doctype, pi)
    tag: str


_TEXT_CONTENT = frozenset("textarea title xmp iframe noembed noframes noscript plaintext".split())


class _Tokens(HTMLParser):
    """Where each token starts, and what it is; the bytes are sliced from the source."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self.tokens: list[_Token] = []
        self._line_starts = [0]
        self._line_starts += [i + 1 for i, c in enumerate(source) if c == "\n"]

    def _at(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def _add(self, kind: str, tag: str = "") -> None:
        self.tokens.append(_Token(self._at(), kind, tag))

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._add("start", tag)
        # Elements whose content is text, not markup, to a browser; `html.parser` knows
        # only script and style: a "</p>" inside a <textarea> must not end a paragraph.
        if tag in _TEXT_CONTENT and self.cdata_elem is None:
            self.set_cdata_mode(tag)

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        self._add("startend", tag)

    def handle_endtag(self, tag: str) -> None:
        self._add("end", tag)

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        # `html.parser` asserts on a "<![" it cannot name ("<![if !vml]>" from Word);
        # a browser reads it as a bogus comment up to the next ">": so do we.
        position = self.getpos()
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            self.lineno, self.offset = position  # it moved them before giving up
            end = self.rawdata.find(">", i)
            if end < 0:
                return -1  # incomplete: at the end of the input it becomes text
            self.unknown_decl(self.rawdata[i + 3 : end])
            return end + 1

    def handle_data(self, data: str) -> None:
        self._add("text")

    def handle_entityref(self, name: str) -> None:
        self._add("text")

    def handle_charref(self, name: str) -> None:
        self._add("text")

    def handle_comment(self, data: str) -> None:
        self._add("other")

    def handle_decl(self, decl: str) -> None:
        self._add("other")

    def handle_pi(self, data: str) -> None:
        self._add("other")

    def unknown_decl(self, data: str) -> None:
        self._add("other")


def tokens(source: str) -> list[tuple[str, str, str]]:
    """(kind, tag, bytes) for each token; the bytes of all of them make up `source`."""
    parser = _Tokens(source)
    try:
        parser.feed(source)
        parser.close()
    except (AssertionError, ValueError) as exc:  # a tokenizer corner no test has met yet
        raise InputError(f"could not read the HTML: {exc}", reason="html") from None
    found = [t for t in parser.tokens if t.start < len(source)]
    # Anything the parser passed over without a call belongs to the token before it.
    if not found or found[0].start > 0:
        found.insert(0, _Token(0, "text", ""))
    ends = [t.start for t in found[1:]] + [len(source)]
    out = [(t.kind, t.tag, source[t.start : end]) for t, end in zip(found, ends, strict=True)]
    # A tag or comment still open at the end of the input comes back as the text "<" and
    # the rest; a browser drops it or reads a comment: markup, never words for the model.
    tail = out[-2:]
    if (
        [k for k, _, _ in tail] == ["text", "text"]
        and tail[0][2] == "<"
        and _OPENS_MARKUP.match("<" + tail[1][2])
    ):
        out[-2:] = [("other", "", "<" + out[-1][2])]
    return out


_OPENS_MARKUP = re.compile(r"<[!/?A-Za-z]")


_LINE_BREAK = re.compile(r"\r?\n[ \t]*")


def escape(text: str, old: str = "") -> str:
    """Changed words as HTML text: `&`, `<` and `>` escaped; a character that the replaced
    stretch `old` wrote as an entity (`&nbsp;`, `&#8220;`) written the same way, and line
    breaks where `old` had them."""
    escaped = keep_entities(html.escape(collapse(text), quote=False), old)
    return rewrap(escaped, old, _LINE_BREAK)


def parse_html(source: str) -> Document:
    """The paragraphs of an HTML article or fragment; `parse_html(s).join() == s` always."""
    return _Reader(source).document()


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.gap: list[str] = []  # raw bytes since the last paragraph
        self.run: list[tuple[str, str, str]] = []  # inline tokens of the current run
        self.blocks: list[str] = []  # open block elements, innermost last
        self.paragraphs: list[Paragraph] = []
        self.tails: list[str] = []
        self.after_credit = False

    def document(self) -> Document:
        stream = tokens(self.source)
        i = 0
        while i < len(stream):
            kind, tag, raw = stream[i]
            if kind in ("start", "startend") and (tag in RAW_BLOCKS or tag in ATOMS):
                end = i if kind == "startend" or tag in VOID else _subtree_end(stream, i)
                whole = "".join(t[2] for t in stream[i : end + 1])
                if tag in ATOMS:
                    self.run.append(("atom", tag, whole))
                else:
                    self._flush()
                    self.gap.append(whole)
                i = end + 1
                continue
            if kind == "text" or (kind in ("start", "end", "startend") and tag in INLINE):
                self.run.append((kind, tag, raw))
            elif kind == "other":
                self.run.append(("atom", "", raw))  # a comment inside a paragraph stays put
            else:
                self._flush()
                self._track_block(kind, tag)
                self.gap.append(raw)
            i += 1
        self._flush()
        if not self.paragraphs:
            return Document(prefix=self.source)
        self.tails.append("".join(self.gap))
        paragraphs = [
            Paragraph(p.id, p.kind, p.text, tail, p.inline)
            for p, tail in zip(self.paragraphs, self.tails[1:], strict=True)
        ]
        return Document(prefix=self.tails[0], paragraphs=paragraphs)

    def _track_block(self, kind: str, tag: str) -> None:
        if kind == "start" and tag not in VOID:
            self.blocks.append(tag)
        elif kind == "end" and tag in self.blocks:
            del self.blocks[len(self.blocks) - 1 - self.blocks[::-1].index(tag) :]

    def _flush(self) -> None:
        """End the current run: a paragraph if it has words, raw bytes otherwise."""
        run, self.run = self.run, []
        if not run:
            return
        lead, run, trail = _trim(run)
        builder = InlineBuilder(escape)
        for kind, tag, raw in run:
            if kind == "text":
                builder.text(raw, html.unescape(raw))
            elif kind == "atom" or kind == "startend" or tag in VOID:
                builder.atom(raw)
            elif kind == "start":
                builder.open(raw, tag)
            else:
                builder.close(raw, tag)
        inline = builder.build() if builder.has_words else None
        if inline is None or inline.confusable:
            self.gap += [lead, *(raw for _, _, raw in run), trail]
            return
        self.gap.append(lead)
        self.tails.append("".join(self.gap))
        self.gap = [trail]
        view = inline.view
        kind = self._kind(plain(view))
        self.after_credit = is_credit(plain(view))
        number = len(self.paragraphs) + 1
        self.paragraphs.append(Paragraph(f"P{number}", kind, view, "", inline))

    def _kind(self, words: str) -> BlockKind:
        inner = self.blocks[-1] if self.blocks else ""
        if inner in HEADINGS:
            return BlockKind.HEADING
        if inner in CAPTIONS:
            return BlockKind.CAPTION
        kind = classify(words, self.after_credit)
        # A short line without a full stop is a heading in plain text; in HTML the tags
        # say what is a heading, and a table cell or list item is not one.
        return BlockKind.PARAGRAPH if kind is BlockKind.HEADING else kind


def _subtree_end(stream: list[tuple[str, str, str]], i: int) -> int:
    """Index of the end tag that closes the element opened at `i` (or the last token)."""
    tag, depth = stream[i][1], 0
    for j in range(i, len(stream)):
        kind, name, _ = stream[j]
        if name != tag:
            continue
        if kind == "start":
            depth += 1
        elif kind == "end":
            depth -= 1
            if depth == 0:
                return j
    return len(stream) - 1


def _trim(run: list[tuple[str, str, str]]) -> tuple[str, list[tuple[str, str, str]], str]:
    """Whitespace at either end of a run belongs to the gaps, not to the paragraph."""
    run = list(run)
    lead = trail = ""
    if run and run[0][0] == "text":
        kind, tag, raw = run[0]
        body = raw.lstrip(" \t\n\r\f")
        lead, run[0] = raw[: len(raw) - len(body)], (kind, tag, body)
    if run and run[-1][0] == "text":
        kind, tag, raw = run[-1]
        body = raw.rstrip(" \t\n\r\f")
        trail, run[-1] = raw[len(body) :], (kind, tag, body)
    return lead, [t for t in run if t[2]], trail
