"""Spans and positions looked up by bisection answer as a scan of them all would."""

from __future__ import annotations

from typing import NamedTuple

from hypothesis import given, settings
from hypothesis import strategies as st

from repair.facts.spans import Spans, indices_in, starting_in

_SPANS = st.lists(
    st.tuples(st.integers(0, 60), st.integers(0, 12)).map(lambda s: (s[0], s[0] + s[1])),
    max_size=12,
)


@given(_SPANS, st.integers(-2, 80))
@settings(max_examples=500, deadline=None)
def test_a_position_is_in_spans_when_one_holds_it(spans: list[tuple[int, int]], pos: int) -> None:
    """Overlapping, nested, empty or repeated spans alike."""
    assert (pos in Spans(spans)) == any(a <= pos < b for a, b in spans)


@given(_SPANS, st.integers(-2, 80), st.integers(0, 10))
@settings(max_examples=500, deadline=None)
def test_a_stretch_overlaps_spans_when_one_shares_a_position_with_it(
    spans: list[tuple[int, int]], start: int, length: int
) -> None:
    end = start + length
    assert Spans(spans).overlap(start, end) == any(a < end and start < b for a, b in spans)


class _At(NamedTuple):
    start: int


@given(
    st.lists(st.integers(0, 60), max_size=20).map(sorted),
    st.integers(-2, 70),
    st.integers(-2, 70),
)
@settings(max_examples=500, deadline=None)
def test_the_items_starting_in_a_stretch_are_its_slice(
    starts: list[int], start: int, end: int
) -> None:
    items = [_At(s) for s in starts]
    assert list(starting_in(items, start, end)) == [i for i in items if start <= i.start < end]
    assert [items[k] for k in indices_in(items, start, end)] == list(starting_in(items, start, end))
