"""Shared helpers for the benchmarks: articles of a given size, timing, tables."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from repair.formats.text import segment
from repair.testing.golden import load_case


def article_of_words(words: int, case: str = "putin-trump") -> str:
    """One long garbled article of about `words` words: a golden input's paragraphs, again
    and again. One story keeps the glossary the size a real article's would be."""
    source = [p.text for p in segment(load_case(case).input).paragraphs]
    paragraphs: list[str] = []
    count = 0
    while count < words:
        text = source[len(paragraphs) % len(source)]
        paragraphs.append(text)
        count += len(text.split())
    return "\n\n".join(paragraphs) + "\n"


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    started = time.perf_counter()
    elapsed: list[float] = []
    yield lambda: elapsed[0] if elapsed else time.perf_counter() - started
    elapsed.append(time.perf_counter() - started)


def table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [headers, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
