"""Telling plain text, Markdown and HTML apart: by suffix, else by content."""

from __future__ import annotations

import pytest

from repair.formats import Format, detect

_NEWS = (
    "The minister said on Monday that the budget would be cut by a third.\n\n"
    "He listed the measures:\n- the cuts are temporary, he said.\n\n"
    "Officials said the deficit would fall below 3% next year.\n"
)


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("Plain words.", "article.html", Format.HTML),
        ("Plain words.", "ARTICLE.HTM", Format.HTML),
        ("Plain words.", "article.md", Format.MARKDOWN),
        ("Plain words.", "article.markdown", Format.MARKDOWN),
        ("<p>One</p><p>Two</p>", "article.txt", Format.TEXT),  # the suffix wins
        ("# Title\n\n**Bold** words", "notes.unknown", Format.MARKDOWN),  # unknown suffix: content
        ("<!DOCTYPE html>\n<title>x</title>", None, Format.HTML),
        ("  <html lang=en><body>x", None, Format.HTML),
        ("<!-- saved page -->\nText", None, Format.HTML),
        ("<div><p>One</p><p>Two <em>three</em></p></div>", None, Format.HTML),
        ("---\ntitle: X\n---\n# Heading\n\nText.\n", None, Format.MARKDOWN),
        ("# Title\n\nSome **bold** words and [a link](https://x.y).", None, Format.MARKDOWN),
        (_NEWS, None, Format.TEXT),  # one "- " line is not Markdown
        ("Officials said 3 < 4 in a memo, and left.\n\nNo more.\n", None, Format.TEXT),
        ("He used <b>bold</b> once.", None, Format.TEXT),  # two tags are not a page
        ("", None, Format.TEXT),
    ],
)
def test_detect(text: str, name: str | None, expected: Format) -> None:
    assert detect(text, name) is expected
