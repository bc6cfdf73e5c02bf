"""The readers: plain text, Markdown and HTML articles, which one an article is and how
to read it.

Every format reads into the same `Document` (`text.py`): paragraphs for the model and the
bytes between them. For HTML and Markdown a paragraph's text carries placeholders for its
inline markup (`inline.py`). Readers only: checking a repair is `repair.validation`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import PurePath

from repair.formats.html import parse_html
from repair.formats.inline import plain
from repair.formats.markdown import parse_markdown
from repair.formats.text import Document, segment


class Format(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"


FORMAT_CHOICES = ("auto", *(f.value for f in Format))

SUFFIXES = {
    ".txt": Format.TEXT,
    ".text": Format.TEXT,
    ".md": Format.MARKDOWN,
    ".markdown": Format.MARKDOWN,
    ".mdown": Format.MARKDOWN,
    ".html": Format.HTML,
    ".htm": Format.HTML,
    ".xhtml": Format.HTML,
}

_HTML_START = re.compile(r"\A\s*(?:<!doctype html|<html[\s>]|<!--)", re.IGNORECASE)
_HTML_TAG = re.compile(
    r"</?(?:p|div|h[1-6]|article|section|br|ul|ol|li|table|tr|td|figure|figcaption|"
    r"blockquote|span|a|em|strong|b|i|img)\b[^<>]*>",
    re.IGNORECASE,
)
# Signs of Markdown, each of which plain prose hardly ever shows; two kinds make a case.
_MARKDOWN_SIGNS = (
    re.compile(r"\A---\r?\n.*?\r?\n---\r?\n", re.DOTALL),  # front matter
    re.compile(r"^#{1,6} \S", re.MULTILINE),  # ATX heading
    re.compile(r"!?\[[^\]\n]+\]\((?:https?://|/|#|mailto:)[^)\s]*[^)]*\)"),  # link, image
    re.compile(r"^(?:```|~~~)", re.MULTILINE),  # fenced code
    re.compile(r"(?<![*\w])\*\*\S[^*\n]*\S\*\*(?![*\w])"),  # strong
    re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)]) \S", re.MULTILINE),  # list item
    re.compile(r"^\s{0,3}> \S", re.MULTILINE),  # block quote
    re.compile(r"^\|.*\|\s*$\n^\|?\s*:?-{3,}", re.MULTILINE),  # table
)


def detect(text: str, name: str | None = None) -> Format:
    """The format of an article: from its file name's suffix if it has a known one, else
    from its content (HTML tags, then Markdown syntax, else plain text)."""
    if name:
        by_suffix = SUFFIXES.get(PurePath(name).suffix.lower())
        if by_suffix:
            return by_suffix
    head = text[:100_000]
    if _HTML_START.match(head) or len(_HTML_TAG.findall(head)) >= 3:
        return Format.HTML
    if sum(1 for sign in _MARKDOWN_SIGNS if sign.search(head)) >= 2:
        return Format.MARKDOWN
    return Format.TEXT


def resolve(chosen: str | Format | None, text: str, name: str | None = None) -> Format:
    """`--format` as given ("auto" or None: detect it)."""
    if chosen is None or chosen == "auto":
        return detect(text, name)
    return Format(chosen)


def parse(text: str, fmt: Format = Format.TEXT) -> Document:
    """Paragraphs of an article in its format; `parse(t, f).join() == t` always."""
    if fmt is Format.HTML:
        return parse_html(text)
    if fmt is Format.MARKDOWN:
        return parse_markdown(text)
    return segment(text)


def words(document: Document, texts: Mapping[str, str] | None = None) -> str:
    """The article's words without markup, a paragraph per block: what facts are read from."""
    texts = texts or {}
    return "\n\n".join(plain(texts.get(p.id, p.text)) for p in document.paragraphs)
