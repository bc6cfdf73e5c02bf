"""Token and sentence alignment between a source paragraph and its repair.

A sentence is reduced to what it says, one unit at a time (a content word's stem or a
number's value); two token lists are matched tolerantly ("Witcooff" / "Witkoff", "ten" /
"10"); the sentences of a paragraph and of its repair are aligned monotonically (one
source sentence may become two, or two one) by the tokens they share; and the edit
regions of two word lists are found after a longest common subsequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz.distance import Indel

from repair.facts.ledger import ParagraphFacts
from repair.facts.names import same_name
from repair.facts.numbers import NumberMention, same_value
from repair.facts.words import Word


class Tok(NamedTuple):
    """What a sentence says, one unit at a time: a content word or a number."""

    stem: str
    word: Word | None
    number: NumberMention | None


# --- tokens ---------------------------------------------------------------------------------


def sentence_tokens(pf: ParagraphFacts, start: int, end: int) -> list[Tok]:
    """Content words and strong numbers of text[start:end]."""
    out = [Tok(w.stem, w, None) for w in pf.words if start <= w.start < end]
    out += [
        Tok(f"#{n.value:g}", None, n) for n in pf.numbers if start <= n.start < end and not n.weak
    ]
    return out


# --- matching tokens ------------------------------------------------------------------------

_NEGATING_PREFIXES = ("un", "in", "im", "non", "dis", "ir", "il")


def _alike(a: Tok, b: Tok) -> bool:
    if a.number is not None or b.number is not None:
        return a.number is not None and b.number is not None and same_value(a.number, b.number)
    assert a.word is not None and b.word is not None
    return alike_words(a.word.folded, b.word.folded, a.word.capitalised or b.word.capitalised)


@lru_cache(maxsize=65536)
def alike_words(x: str, y: str, capitalised: bool) -> bool:
    """Two spellings of one word (or of one name, when either is capitalised)."""
    short, long = sorted((x, y), key=len)
    if len(short) >= 5 and Indel.normalized_similarity(x, y) >= 0.8:
        # "convincing" / "unconvincing" are opposites, not two spellings.
        return not any(long == p + short for p in _NEGATING_PREFIXES)
    return capitalised and same_name(x, y)


def _fuzzy(t: Tok) -> bool:
    return t.number is not None or (
        t.word is not None and (t.word.capitalised or len(t.word.folded) >= 5)
    )


def match(a: list[Tok], b: list[Tok]) -> tuple[set[int], set[int]]:
    """Indices of `a` and of `b` that pair up, each token used once."""
    free: dict[str, list[int]] = {}
    for j, t in enumerate(b):
        bucket = free.get(t.stem)
        if bucket is None:
            free[t.stem] = [j]
        else:
            bucket.append(j)
    got_a: set[int] = set()
    got_b: set[int] = set()
    for i, t in enumerate(a):
        bucket = free.get(t.stem)
        if bucket:
            got_a.add(i)
            got_b.add(bucket.pop())
    if len(got_a) == len(a) or len(got_b) == len(b):
        return got_a, got_b  # one side is used up: nothing is left to pair
    # Only numbers, long words and names can match without being equal.
    rest_b = [j for j in range(len(b)) if j not in got_b and _fuzzy(b[j])]
    if not rest_b:
        return got_a, got_b
    for i, t in enumerate(a):
        if i in got_a or not _fuzzy(t):
            continue
        for j in rest_b:
            if j not in got_b and _alike(t, b[j]):
                got_a.add(i)
                got_b.add(j)
                break
    return got_a, got_b


def _close(s: list[Tok], r: list[Tok]) -> bool:
    """Two sentences that share at least half their tokens are a sentence and its repair."""
    if not s and not r:
        return True
    got_s, got_r = match(s, r)
    return len(got_s) + len(got_r) >= 0.5 * (len(s) + len(r))


# --- aligning sentences ---------------------------------------------------------------------


class Group(NamedTuple):
    """Source sentences and the repair sentences they became."""

    src: tuple[int, ...]  # sentence indices; empty for an added sentence
    rep: tuple[int, ...]  # empty for a dropped sentence


_SHAPES = ((1, 1), (1, 2), (2, 1), (2, 2), (1, 3), (3, 1), (1, 0), (0, 1))
_SKIP = 0.75  # cost of leaving one token unaligned by dropping its whole sentence


def align_sentences(src: list[list[Tok]], rep: list[list[Tok]]) -> list[Group]:
    """Monotone alignment of sentences minimising unmatched tokens (a Gale-Church walk)."""
    n, m = len(src), len(rep)
    if n == m and all(_close(s, r) for s, r in zip(src, rep, strict=True)):
        return [Group((i,), (i,)) for i in range(n)]  # the usual case: sentence for sentence
    inf = float("inf")
    best = [[inf] * (m + 1) for _ in range(n + 1)]
    back: dict[tuple[int, int], tuple[int, int]] = {}
    best[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if best[i][j] == inf:
                continue
            for a, b in _SHAPES:
                if i + a > n or j + b > m:
                    continue
                s = [t for k in range(i, i + a) for t in src[k]]
                r = [t for k in range(j, j + b) for t in rep[k]]
                if a == 0 or b == 0:
                    cost = _SKIP * (len(s) + len(r)) + 0.1
                else:
                    got_s, got_r = match(s, r)
                    cost = (len(s) - len(got_s)) + (len(r) - len(got_r)) + 0.5 * (a + b - 2)
                if best[i][j] + cost < best[i + a][j + b]:
                    best[i + a][j + b] = best[i][j] + cost
                    back[(i + a, j + b)] = (a, b)
    groups: list[Group] = []
    i, j = n, m
    while i or j:
        a, b = back[(i, j)]
        groups.append(Group(tuple(range(i - a, i)), tuple(range(j - b, j))))
        i, j = i - a, j - b
    return groups[::-1]


# --- edit regions ---------------------------------------------------------------------------


def edit_regions(a: Sequence[str], b: Sequence[str]) -> list[tuple[list[int], list[int]]]:
    """Runs of unequal tokens between two token lists, after a longest common subsequence.

    An LCS rather than difflib: difflib anchors on the longest block and can swallow two
    separate small edits into one large one.
    """
    n, m = len(a), len(b)
    # The walk below takes a common prefix as it comes, and never looks back: the table of
    # LCS lengths (of the suffixes from i and j) is needed only after that prefix.
    first = 0
    while first < n and first < m and a[first] == b[first]:
        first += 1
    lcs = [[0] * (m + 1) for _ in range(n + 1)]
    below = lcs[n]
    for i in range(n - 1, first - 1, -1):
        row, word = lcs[i], a[i]
        for j in range(m - 1, first - 1, -1):
            if word == b[j]:
                row[j] = below[j + 1] + 1
            else:
                down, right = below[j], row[j + 1]
                row[j] = down if down > right else right
        below = row
    regions: list[tuple[list[int], list[int]]] = []
    cur: tuple[list[int], list[int]] = ([], [])
    i = j = first
    while i < n or j < m:
        if i < n and j < m and a[i] == b[j]:
            if cur[0] or cur[1]:
                regions.append(cur)
                cur = ([], [])
            i, j = i + 1, j + 1
        elif j < m and (i == n or lcs[i][j + 1] >= lcs[i + 1][j]):
            cur[1].append(j)
            j += 1
        else:
            cur[0].append(i)
            i += 1
    if cur[0] or cur[1]:
        regions.append(cur)
    return regions
