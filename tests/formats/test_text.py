from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repair.formats.text import BlockKind, segment, split_sentences
from tests.conftest import golden_pair

# Text drawn from the awkward corners: CRLF, tabs, emoji, right-to-left scripts.
_PIECES = [
    *'ab .,!?\n\r\t"“”’-',
    "\r\n",
    "😀",
    "👩🏽‍🚀",
    "שלום",
    "مرحبا",
    "\u2028",
    "\u00a0",
    "Ab.",
]
awkward_text = st.lists(st.sampled_from(_PIECES), max_size=200).map("".join)


@given(awkward_text | st.text(max_size=300))
@settings(max_examples=300)
def test_segment_is_lossless(text: str) -> None:
    document = segment(text)
    assert document.join() == text
    for paragraph in document.paragraphs:
        assert paragraph.text == paragraph.text.strip() and paragraph.text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n  ",
        "one line, no newline",
        "crlf\r\n\r\nsecond\r\n",
        "\ttabbed\n\n\tagain\t\n",
        "x" * 100_000,
        "word " * 20_000,
        "emoji 😀 paragraph.\n\nمرحبا بالعالم. שלום עולם.",
    ],
)
def test_segment_round_trips_edge_cases(text: str) -> None:
    assert segment(text).join() == text


def test_seed_paragraph_kinds() -> None:
    source, _ = golden_pair()
    kinds = {p.text[:25]: p.kind for p in segment(source).paragraphs}
    assert kinds["Listen to Steve, read thi"] is BlockKind.FURNITURE
    assert kinds["Source link"] is BlockKind.FURNITURE
    assert kinds["Reuters/Kevin Lamarque Pr"] is BlockKind.CAPTION
    assert kinds["Will Oliver/EPA/Shuttertt"] is BlockKind.CAPTION
    # The caption after a credit has no full stop, in the house style of news sites.
    assert kinds["Both men met and personal"] is BlockKind.CAPTION
    assert kinds["A warm start after Trump’"] is BlockKind.HEADING
    assert kinds["Donald Trump wants a deal"] is BlockKind.PARAGRAPH


def test_lines_of_a_block_are_separate_paragraphs_unless_hard_wrapped() -> None:
    byline = "Image Profile Steve Rosenberg\nBBC two processed images"
    assert len(segment(byline).paragraphs) == 2
    wrapped = (
        "The minister said on Monday that the budget would be cut by a third and that\n"
        "no department would be spared, though schools and hospitals would see smaller\n"
        "cuts than the rest."
    )
    assert len(segment(wrapped).paragraphs) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two.", ["One.", "Two."]),
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        ("Donald J. Trump spoke at 3 p.m. Monday.", ["Donald J. Trump spoke at 3 p.m. Monday."]),
        ("“Why?” he asked. Nobody knew.", ["“Why?” he asked.", "Nobody knew."]),
        ("It rose 2.5%. Then fell.", ["It rose 2.5%.", "Then fell."]),
        ("no full stop at all", ["no full stop at all"]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected
