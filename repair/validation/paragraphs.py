"""Paragraph alignment between an article and its repair.

The paragraphs of both articles (from `segment`, with their offsets in the article) are
aligned monotonically by the words and numbers they share, so that a paragraph dropped,
added, split in two or merged with the next is placed, and every other paragraph is paired
with its repair.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from repair.facts.words import tokens
from repair.formats.text import segment


@dataclass(frozen=True, slots=True)
class Para:
    id: str
    text: str
    start: int  # offset in the article


def paragraphs(text: str) -> list[Para]:
    """The paragraphs of an article, with their ids and offsets."""
    doc = segment(text)
    out: list[Para] = []
    pos = len(doc.prefix)
    for p in doc.paragraphs:
        out.append(Para(p.id, p.text, pos))
        pos += len(p.text) + len(p.tail)
    return out


def _bag(text: str) -> Counter[str]:
    """The words of a paragraph by their first five letters, and its digit runs."""
    bag = Counter([t.folded[:5] for t in tokens(text)])
    bag.update(["#" + d for d in _DIGITS.findall(text)])
    return bag


_DIGITS = re.compile(r"\d+")


def align_paragraphs(src: list[Para], rep: list[Para]) -> list[tuple[list[int], list[int]]]:
    """Monotone alignment of paragraphs by shared words, in a band around the diagonal."""
    n, m = len(src), len(rep)
    bags: dict[str, Counter[str]] = {}  # a paragraph left as it was is read once

    def bag(text: str) -> Counter[str]:
        if text not in bags:
            bags[text] = _bag(text)
        return bags[text]

    # A paragraph left as it was is alike its repair without being read.
    if n == m and all(
        a.text == b.text or _alike_paragraphs(bag(a.text), bag(b.text))
        for a, b in zip(src, rep, strict=True)
    ):
        return [([i], [i]) for i in range(n)]
    bags_s = [bag(p.text) for p in src]
    bags_r = [bag(p.text) for p in rep]
    band = abs(n - m) + 3
    inf = float("inf")
    best: dict[tuple[int, int], float] = {(0, 0): 0.0}
    back: dict[tuple[int, int], tuple[int, int]] = {}
    for i in range(n + 1):
        for j in range(max(0, i - band), min(m, i + band) + 1):
            here = best.get((i, j), inf)
            if here == inf:
                continue
            for a, b in ((1, 1), (2, 1), (1, 2), (1, 0), (0, 1)):
                if i + a > n or j + b > m:
                    continue
                s = bags_s[i] if a == 1 else _merge([bags_s[k] for k in range(i, i + a)])
                r = bags_r[j] if b == 1 else _merge([bags_r[k] for k in range(j, j + b)])
                size = s.total() + r.total()
                if a and b:
                    common = (s & r).total()
                    cost = size - 2 * common + 2.0 * (a + b - 2)
                else:
                    cost = 0.75 * size + 1.0
                if here + cost < best.get((i + a, j + b), inf):
                    best[(i + a, j + b)] = here + cost
                    back[(i + a, j + b)] = (a, b)
    groups: list[tuple[list[int], list[int]]] = []
    i, j = n, m
    while i or j:
        a, b = back[(i, j)]
        groups.append((list(range(i - a, i)), list(range(j - b, j))))
        i, j = i - a, j - b
    return groups[::-1]


def _alike_paragraphs(a: Counter[str], b: Counter[str]) -> bool:
    """Enough words in common to be one paragraph and its repair (or both empty)."""
    size = a.total() + b.total()
    return size == 0 or 2 * (a & b).total() >= 0.3 * size


def _merge(bags: list[Counter[str]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for bag in bags:
        out.update(bag)
    return out


def joined(paras: list[Para]) -> tuple[str, list[tuple[int, int]]]:
    """Paragraphs as one text, with (offset in that text, offset in the article) pieces."""
    pieces: list[tuple[int, int]] = []
    parts: list[str] = []
    pos = 0
    for p in paras:
        pieces.append((pos, p.start))
        parts.append(p.text)
        pos += len(p.text) + 2
    return "\n\n".join(parts), pieces
