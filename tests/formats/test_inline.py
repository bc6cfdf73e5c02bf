"""Inline markup as placeholders: the messages about a spoiled one, reading the words, and
re-wrapping changed words where the source broke its lines."""

from __future__ import annotations

import re

import pytest

from repair.formats import Format, parse
from repair.formats.html import escape as html_escape
from repair.formats.inline import placeholder_problem, plain, rewrap
from repair.formats.markdown import escape as markdown_escape
from tests.formats.helpers import assert_well_numbered, render


def test_plain_reads_words_and_separates_them_at_atoms() -> None:
    assert plain("Kyiv<t1/>Moscow and <t2>the report</t2>.") == "Kyiv Moscow and the report."


_SOURCE_VIEW = "Read <t1>the <t2>full</t2> report</t1> here.<t3/>"


@pytest.mark.parametrize(
    ("answer", "named", "why"),
    [
        ("Read the <t2>full</t2> report</t1> here.<t3/>", "<t1>", "missing"),
        ("Read <t1>the <t2>full</t2> report</t1> here.", "<t3/>", "missing"),
        ("Read <t1>the <t2>full</t2> report</t1> here.<t3/><t3/>", "<t3/>", "more than once"),
        ("Read <t1>the <t2>full</t2> report</t1> here.<t3/><t4/>", "<t4/>", "not in the source"),
        ("Read <t1>the <t2>full</t2> report</t1> <t5>x</t5>.<t3/>", "<t5>", "not in the source"),
        (
            "<t3/>Read <t1>the <t2>full</t2> report</t1> here.",
            "in the order <t1> <t2> </t2> </t1> <t3/>",
            "another order",
        ),
        ("Read <t1>the <t2>full report</t1></t2> here.<t3/>", "</t1> does not nest", "order"),
    ],
)
def test_placeholder_problem_names_the_placeholder(answer: str, named: str, why: str) -> None:
    message = placeholder_problem(_SOURCE_VIEW, answer)
    assert message is not None
    assert named in message and why in message


@pytest.mark.parametrize(
    "answer",
    [
        _SOURCE_VIEW,
        "READ <t1>THE <t2>FULL</t2> REPORT</t1> HERE, NOW.<t3/>",
        "<t1><t2></t2></t1><t3/>",
    ],
)
def test_placeholder_problem_is_none_for_the_same_placeholders(answer: str) -> None:
    assert placeholder_problem(_SOURCE_VIEW, answer) is None


def test_render_refuses_other_placeholders() -> None:
    paragraph = parse("<p>Read <em>this</em>.</p>", Format.HTML).paragraphs[0]
    with pytest.raises(ValueError, match="<t1>"):
        paragraph.render("Read this.")


@pytest.mark.parametrize(
    ("text", "old", "expected"),
    [
        ("alpha beta gamma delta", "aaaaa bbbbb\nccccc ddddd", "alpha beta\ngamma delta"),
        ("alpha beta gamma delta", "aaaaa\n> bbbbb ccccc", "alpha\n> beta gamma delta"),
        ("alphabetagamma delta", "aaa\nbbb", "alphabetagamma\ndelta"),  # no shorter cut
        ("alpha beta", "aaa bbb", "alpha beta"),  # the source had no break
        ("alpha", "aaa\nbbb", "alpha"),  # nowhere to break
    ],
)
def test_rewrap_breaks_where_the_source_did(text: str, old: str, expected: str) -> None:
    assert rewrap(text, old, re.compile(r"\n(?:> )?")) == expected


def test_escapers_leave_plain_words_alone() -> None:
    assert html_escape("Plain words, 2.5% up.") == "Plain words, 2.5% up."
    assert markdown_escape("Plain words, 2.5% up.") == "Plain words, 2.5% up."


@pytest.mark.parametrize(
    ("source", "fmt", "expected"),
    [
        ("<p>one two\r\nthree four</p>\r\n", Format.HTML, "<p>ONE TWO\r\nTHREE FOUR</p>\r\n"),
        ("one two\r\nthree four\r\n", Format.MARKDOWN, "ONE TWO\r\nTHREE FOUR\r\n"),
        ("> one two\r\n> three four\r\n", Format.MARKDOWN, "> ONE TWO\r\n> THREE FOUR\r\n"),
    ],
)
def test_rewrap_keeps_crlf_line_breaks(source: str, fmt: Format, expected: str) -> None:
    assert render(source, fmt, "ONE TWO THREE FOUR") == expected


@pytest.mark.parametrize(
    ("source", "fmt"),
    [
        ("<p>One <b>two <i>three</b> four</i>.</p>", Format.HTML),
        ("<p>One <b>two <i>three</b> four.</p>", Format.HTML),
        ("One <span>two <b>three</span> four.\n", Format.MARKDOWN),
    ],
)
def test_misnested_inline_markup(source: str, fmt: Format) -> None:
    (paragraph,) = parse(source, fmt).paragraphs
    assert paragraph.text.startswith("One <t1>two <t2/>three</t1> four")
    assert_well_numbered(paragraph.text)
