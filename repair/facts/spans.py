"""Positions and spans of a text, looked up by bisection.

Which word falls inside a number, which quote a token is in, which words a sentence has:
asked of every token against every span, these questions cost a paragraph the square of
its length. `Spans` and `starting_in` answer them in the logarithm of it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import Protocol, TypeVar


class Spans:
    """A set of (start, end) spans, which may overlap; `pos in spans` when one holds it."""

    __slots__ = ("_reach", "_starts")

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self._starts = [a for a, _ in ordered]
        # The furthest end of the spans that start at or before each one: a position is
        # held when some span starting at or before it ends after it.
        self._reach = list(accumulate((b for _, b in ordered), max))

    def __contains__(self, pos: int) -> bool:
        k = bisect_right(self._starts, pos) - 1
        return k >= 0 and self._reach[k] > pos

    def overlap(self, start: int, end: int) -> bool:
        """Whether some span shares a position with [start, end)."""
        k = bisect_left(self._starts, end) - 1
        return k >= 0 and self._reach[k] > start

    def __bool__(self) -> bool:
        return bool(self._starts)


class _Placed(Protocol):
    @property
    def start(self) -> int: ...


P = TypeVar("P", bound=_Placed)


def _start(item: _Placed) -> int:
    return item.start


def starting_in(items: Sequence[P], start: int, end: int) -> Sequence[P]:
    """The items that start in [start, end), of items in order of their start (the words,
    numbers, names, quotes and negations of a paragraph, as they are read)."""
    which = indices_in(items, start, end)
    return items[which.start : which.stop]


def indices_in(items: Sequence[_Placed], start: int, end: int) -> range:
    """The indices of the items that start in [start, end), as `starting_in`."""
    first = bisect_left(items, start, key=_start)
    return range(first, bisect_left(items, end, lo=first, key=_start))
