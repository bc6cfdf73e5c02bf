"""What the reader tests share: round-trip assertions and small hypothesis strategies."""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar, cast

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from repair.formats import Format, parse
from repair.formats.inline import PLACEHOLDER
from repair.formats.text import BlockKind, Document
from repair.validation import check

T = TypeVar("T")

# Enough examples to find the corners, few enough that the file runs in seconds. (Each
# generated property passed 1,500 examples when this file was written.)
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

RANDOM = settings(PROPERTY, max_examples=300)  # random text is cheap to draw


def texts_of(document: Document) -> dict[str, str]:
    return {p.id: p.text for p in document.paragraphs}


def louder(view: str) -> str:
    """A repair that keeps every placeholder: the words uppercased, one word added."""
    parts = PLACEHOLDER.split(view)
    # split() yields text, then the 3 groups of each placeholder, then text again.
    out = []
    for i in range(0, len(parts), 4):
        out.append(parts[i].upper())
        if i + 1 < len(parts):
            out.append(f"<{parts[i + 1]}t{parts[i + 2]}{parts[i + 3]}>")
    return "".join(out) + " indeed"


def structure_issues(source: str, repaired: str, fmt: Format) -> list[str]:
    """The `structure` issues `check` finds in a repair."""
    return [i.message for i in check(source, repaired, fmt).issues if i.kind == "structure"]


def assert_well_numbered(view: str) -> None:
    """Placeholders are numbered in order from 1; each number is a pair that nests, or
    stands alone (`<tN/>`: an end tag with no start, a start tag never ended)."""
    tokens = [(m.group(1), int(m.group(2)), m.group(3)) for m in PLACEHOLDER.finditer(view)]
    numbers = list(dict.fromkeys(n for _, n, _ in tokens))
    assert numbers == list(range(1, len(numbers) + 1)), view
    open_: list[int] = []
    for closing, number, alone in tokens:
        if alone:
            assert [n for _, n, _ in tokens].count(number) == 1, view
        elif closing:
            assert open_.pop() == number, view
        else:
            open_.append(number)
    assert not open_, view


def assert_round_trip(source: str, fmt: Format) -> Document:
    """`source` joins back byte for byte, as it is and through the render path; its
    paragraphs have no markup whitespace at either end and well-formed placeholders."""
    document = parse(source, fmt)
    assert document.join() == source
    assert document.join(texts_of(document)) == source
    for paragraph in document.paragraphs:
        assert paragraph.text and paragraph.text == paragraph.text.strip(" \t\n\r\f")
        assert_well_numbered(paragraph.text)
    return document


@cache
def ints(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(min_value=low, max_value=high)


@cache
def one_of(*options: str) -> st.SearchStrategy[str]:
    return st.sampled_from(options)


def list_of(elements: st.SearchStrategy[T], low: int, high: int) -> st.SearchStrategy[list[T]]:
    return cast(st.SearchStrategy[list[T]], lists_of(elements, low, high))


@cache  # a strategy made once is drawn from faster than one made at every draw
def lists_of(elements: st.SearchStrategy[Any], low: int, high: int) -> st.SearchStrategy[Any]:
    return st.lists(elements, min_size=low, max_size=high)


BOOL = st.booleans()

# News words with the marks a repair meets: quotes, dashes, numbers, an agency.
WORDS = (
    "The minister said on Monday that 2.5% Kyiv $1.2bn it’s “quoted” (AFP) Mr. Zelensky "
    "and — not ten"
).split()

P, H, C = BlockKind.PARAGRAPH, BlockKind.HEADING, BlockKind.CAPTION


def render(source: str, fmt: Format, view: str) -> str:
    document = parse(source, fmt)
    assert len(document.paragraphs) == 1
    return document.join({"P1": view})


LOUD = "ONE TWO THREE FOUR FIVE SIX"
