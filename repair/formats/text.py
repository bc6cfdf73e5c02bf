"""Split an article into paragraphs (with a kind) and paragraphs into sentences.

Everything here is lossless: a `Document` keeps every byte of whitespace it did not put
into a paragraph, so `Document.join()` gives back the input exactly. That is what lets the
pipeline replace paragraph texts and leave the rest of the article untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from repair.formats.inline import Inline


class BlockKind(StrEnum):
    PARAGRAPH = "paragraph"
    HEADING = "heading"
    CAPTION = "caption"  # image caption or photo credit spliced into the text
    FURNITURE = "furniture"  # page chrome: "Source link", "Listen to this article"


@dataclass(frozen=True, slots=True)
class Paragraph:
    id: str
    kind: BlockKind
    text: str  # what the model sees; never starts or ends with whitespace
    tail: str  # what lies between this paragraph and the next (or the end)
    # HTML and Markdown: the inline markup behind `text`'s placeholders (see inline.py).
    # In plain text there is none: `text` is the source bytes themselves.
    inline: Inline | None = None

    @property
    def raw(self) -> str:
        """The paragraph's bytes in the article."""
        return self.inline.raw if self.inline else self.text

    def render(self, text: str) -> str:
        """The bytes of this paragraph with `text` (placeholders checked) as its words."""
        if self.inline is None:
            return text
        return self.inline.render(text)


@dataclass(frozen=True, slots=True)
class Document:
    # Plain text: whitespace before the first paragraph. HTML and Markdown: markup too;
    # a paragraph's tail then holds the markup that separates it from the next one.
    prefix: str
    paragraphs: list[Paragraph] = field(default_factory=list)

    def join(self, texts: dict[str, str] | None = None) -> str:
        """The article again, with paragraph texts replaced where `texts` says so."""
        texts = texts or {}
        parts = [self.prefix]
        for p in self.paragraphs:
            parts.append(p.render(texts[p.id]) if p.id in texts else p.raw)
            parts.append(p.tail)
        return "".join(parts)


# --- paragraphs -----------------------------------------------------------------------

_LINE = re.compile(
    r"[^\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]*(?:\r\n|[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029])?"
)
_SENTENCE_END = (".", "!", "?", ":", '"', "”", "’", "'", "…", ")")


def _content_spans(text: str) -> list[tuple[int, int] | None]:
    """One entry per line: the span of its non-whitespace content, or None if blank."""
    spans: list[tuple[int, int] | None] = []
    for m in _LINE.finditer(text):
        if m.start() == m.end():
            break
        line = m.group()
        stripped = line.strip()
        if not stripped:
            spans.append(None)
            continue
        start = m.start() + (len(line) - len(line.lstrip()))
        spans.append((start, start + len(stripped)))
    return spans


def _looks_hard_wrapped(lines: list[tuple[int, int]], text: str) -> bool:
    """A block of long lines that mostly break mid-sentence is one wrapped paragraph.

    Otherwise each line of a block is a paragraph of its own: scraped articles often put
    a byline, a caption and a credit on consecutive lines with no blank line between.
    """
    if len(lines) < 2:
        return False
    body = lines[:-1]
    if any(end - start < 40 for start, end in body):
        return False
    mid_sentence = sum(not text[start:end].endswith(_SENTENCE_END) for start, end in body)
    return mid_sentence * 2 >= len(body)


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    block: list[tuple[int, int]] = []
    for line in [*_content_spans(text), None]:
        if line is not None:
            block.append(line)
            continue
        if block:
            if _looks_hard_wrapped(block, text):
                spans.append((block[0][0], block[-1][1]))
            else:
                spans.extend(block)
            block = []
    return spans


# --- kinds ----------------------------------------------------------------------------

_FURNITURE = re.compile(
    r"(source link|read more|advertisement|share this (article|page)|share|skip to content"
    r"|related (topics|stories|articles)|more on this story|image source.*|image caption.*"
    r"|media caption.*|listen to .{0,60}|sign up .{0,80}|subscribe .{0,80}|follow us .{0,80}"
    r"|click here .{0,80}|getty images|copyright .{0,80}|©.{0,80})[.:]?",
    re.IGNORECASE,
)
# Photo agencies and the "Name/Agency" shape of a credit line.
_AGENCY = (
    r"Reuters|AFP|AP|EPA|EFE|Getty Images|Getty|Shutterstock|Alamy|PA Media|PA|Bloomberg"
    r"|Anadolu|TASS|Sputnik|Xinhua|CNP|Pool|BBC|NurPhoto|SOPA|ZUMA|Corbis|Press Association"
)
_CREDIT = re.compile(
    rf"(?:\b(?:{_AGENCY})\b\s*[/|]|[/|]\s*(?:{_AGENCY})\b|\bvia (?:{_AGENCY})\b"
    r"|\b(?:Image|Photo|Picture) (?:source|credit|caption)\b|^(?:Photo|Picture|Image):)",
    re.IGNORECASE,
)
_TERMINAL = re.compile(r"[.!?…:][\"”’')\]]*$")
_OPENS_QUOTE = re.compile(r"^[\"“‘'«]")


def is_credit(text: str) -> bool:
    """A photo credit ("Reuters/Kevin Lamarque", "AFP via Getty Images") is in the text."""
    return len(text) <= 400 and _may_hold_credit(text) and _CREDIT.search(text) is not None


def _may_hold_credit(text: str) -> bool:
    """False only where `_CREDIT` cannot match: a cheap test that spares most paragraphs
    the regex (its agency alternatives are tried at every position).

    Every alternative of `_CREDIT` needs a "/" or "|", "via ", or "image", "photo" or
    "pictur" in any case. Under IGNORECASE the regex also reads "İ" (U+0130) and "ı"
    (U+0131) as "i", which `str.lower` does not: a text holding either goes to the regex.
    """
    if "/" in text or "|" in text or "\u0130" in text or "\u0131" in text:
        return True
    low = text.lower()
    return "via " in low or "image" in low or "photo" in low or "pictur" in low


def classify(text: str, after_credit: bool) -> BlockKind:
    """Guess a paragraph's role from its own words and whether a credit line precedes it."""
    if len(text) <= 120 and _FURNITURE.fullmatch(text):
        return BlockKind.FURNITURE
    if is_credit(text):
        return BlockKind.CAPTION
    unfinished = not _TERMINAL.search(text)
    # A caption follows its credit and, in news sites' style, has no full stop.
    if after_credit and unfinished and len(text) <= 300 and not _OPENS_QUOTE.match(text):
        return BlockKind.CAPTION
    short = len(text) <= 90 and len(text.split()) <= 12
    if unfinished and short and not text.endswith((",", ";")) and text[0].isupper():
        return BlockKind.HEADING
    return BlockKind.PARAGRAPH


def segment(text: str) -> Document:
    """Paragraphs of `text` with their kinds; `segment(t).join() == t` for every string."""
    spans = _paragraph_spans(text)
    if not spans:
        return Document(prefix=text)
    paragraphs: list[Paragraph] = []
    after_credit = False
    for number, (start, end) in enumerate(spans, 1):
        next_start = spans[number][0] if number < len(spans) else len(text)
        body = text[start:end]
        paragraphs.append(
            Paragraph(f"P{number}", classify(body, after_credit), body, text[end:next_start])
        )
        after_credit = is_credit(body)
    return Document(prefix=text[: spans[0][0]], paragraphs=paragraphs)


# --- sentences ------------------------------------------------------------------------

# Abbreviations after which a full stop does not end a sentence. Written here rather than
# taken from pysbd: we need exact offsets and this runs on every paragraph of every
# validation, where pysbd is two orders of magnitude slower.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr gen col lt sgt capt cmdr adm gov sen rep rev hon pres "
    "no nos vs etc inc ltd co corp dept univ approx est fig jan feb mar apr jun jul aug "
    "sep sept oct nov dec mt ft e.g i.e u.s u.k u.n a.m p.m".split()
)
_BOUNDARY = re.compile(r"[.!?…]+[\"”’')\]]*(?=\s+[\"“‘(\[]?[A-Z0-9À-ÖØ-Þ])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; the gaps between them are whitespace only."""
    spans: list[tuple[int, int]] = []
    start = _skip_space(text, 0)
    for m in _BOUNDARY.finditer(text):
        if m.end() <= start:
            continue
        if m.group().startswith(".") and _is_abbreviation(text, m.start()):
            continue
        spans.append((start, m.end()))
        start = _skip_space(text, m.end())
    end = len(text.rstrip())
    if start < end:
        spans.append((start, end))
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _is_abbreviation(text: str, dot: int) -> bool:
    word_start = dot
    while word_start > 0 and (text[word_start - 1].isalpha() or text[word_start - 1] == "."):
        word_start -= 1
    word = text[word_start:dot].lower()
    # A single capital letter is an initial ("Donald J. Trump").
    return word in _ABBREVIATIONS or (len(word) == 1 and text[word_start].isupper())
