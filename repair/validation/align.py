"""Token and sentence alignment between a source paragraph and its repair.

A sentence is reduced to what it says, one unit at a time (a content word's stem or a
number's value); two token lists are matched tolerantly ("Witcooff" / "Witkoff", "ten" /
"10"); the sentences of a paragraph and of its repair are aligned monotonically (one
source sentence may become two, or two one) by the tokens they share, a long paragraph
between anchors and in a band around the diagonal, so that its cost grows with its length;
and the edit regions of two word lists are found after a longest common subsequence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import accumulate, pairwise
from typing import NamedTuple

from rapidfuzz.distance import Indel

from repair.facts.ledger import ParagraphFacts
from repair.facts.names import same_name
from repair.facts.numbers import NumberMention, same_value
from repair.facts.spans import starting_in
from repair.facts.words import Word


class Tok(NamedTuple):
    """What a sentence says, one unit at a time: a content word or a number."""

    stem: str
    word: Word | None
    number: NumberMention | None


# --- tokens ---------------------------------------------------------------------------------


def sentence_tokens(pf: ParagraphFacts) -> list[list[Tok]]:
    """Content words and strong numbers of each sentence of a paragraph (each sentence
    takes its slice of the paragraph's words, found by bisection)."""
    return [
        [Tok(w.stem, w, None) for w in starting_in(pf.words, start, end)]
        + [Tok(f"#{n.value:g}", None, n) for n in starting_in(pf.numbers, start, end) if not n.weak]
        for start, end in pf.sentences
    ]


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
# Sentences either side of the diagonal searched at first. A repair splits, merges, drops
# or adds a sentence here and there, each of which moves the alignment one sentence off
# the diagonal; when the best path runs along the band's edge, the band is doubled (as in
# Moore's aligner), up to `_WIDEST`. A paragraph of up to `_BAND` sentences a side is
# searched whole, as is any stretch of a longer one between two anchors.
_BAND = 6
_WIDEST = 24


def align_sentences(src: list[list[Tok]], rep: list[list[Tok]]) -> list[Group]:
    """Monotone alignment of sentences minimising unmatched tokens (a Gale-Church walk).

    The table of a long paragraph is cut at anchors (`_anchors`) and each stretch between
    two is searched in a band around its diagonal: the cost grows with the paragraph's
    length, not with its square.
    """
    n, m = len(src), len(rep)
    if n == m and all(_close(s, r) for s, r in zip(src, rep, strict=True)):
        return [Group((i,), (i,)) for i in range(n)]  # the usual case: sentence for sentence
    pairing = _Pairing(src, rep)
    cuts = [(0, 0), *(_anchors(pairing) if max(n, m) > _BAND else []), (n, m)]
    return [g for (i, j), (p, q) in pairwise(cuts) for g in _search(pairing, i, p, j, q)]


def _anchors(pairing: _Pairing) -> list[tuple[int, int]]:
    """Points (i, j) the alignment passes through: between two source sentences in a row
    that each pair with one repair sentence, those two in a row too.

    A pair is a source sentence and a repair sentence near the diagonal that share half
    their tokens exactly (so `_close`), and neither shares as much with another sentence
    near it: where the fast path takes the paragraph sentence for sentence, this takes
    those stretches of it, and leaves the DP the rest.
    """
    n, m = len(pairing.src), len(pairing.rep)
    band = _Band(0, n, 0, m, _BAND)
    close = [
        (i, j)
        for i in range(n)
        for j in range(band.lo(i), min(band.hi(i), m - 1) + 1)
        if pairing.same_sentence(i, j)
    ]
    per_src = Counter(i for i, _ in close)
    per_rep = Counter(j for _, j in close)
    sure = {(i, j) for i, j in close if per_src[i] == 1 and per_rep[j] == 1}
    cuts: list[tuple[int, int]] = []
    for i, j in sorted(sure):
        if (i - 1, j - 1) in sure and (not cuts or j > cuts[-1][1]):
            cuts.append((i, j))
    return cuts


def _search(pairing: _Pairing, i: int, p: int, j: int, q: int) -> list[Group]:
    """The alignment of source sentences i..p-1 with repair sentences j..q-1."""
    width = _BAND
    while True:
        band = _Band(i, p, j, q, width)
        groups, on_edge = _walk(pairing, band)
        if not on_edge or band.whole or width >= _WIDEST:
            return groups
        width *= 2


class _Band:
    """The cells (i, j) searched of the table from (i0, j0) to (n, m): those near its
    diagonal.

    Row i spans from `width` before the diagonal at i to `width` past it at i + 1, so that
    each row overlaps the next and a path can always reach (n, m).
    """

    def __init__(self, i0: int, n: int, j0: int, m: int, width: int) -> None:
        self.i0, self.n, self.j0, self.m = i0, n, j0, m
        rows, cols = n - i0, m - j0
        self._lo: list[int] = []
        self._hi: list[int] = []
        for k in range(rows + 1):
            if rows == 0:
                self._lo.append(j0)
                self._hi.append(m)
                continue
            self._lo.append(j0 + max(0, k * cols // rows - width))
            self._hi.append(j0 + min(cols, -(-(k + 1) * cols // rows) + width))
        self.whole = all(lo == j0 for lo in self._lo) and all(hi == m for hi in self._hi)

    def lo(self, i: int) -> int:
        return self._lo[i - self.i0]

    def hi(self, i: int) -> int:
        return self._hi[i - self.i0]

    def edge(self, i: int, j: int) -> bool:
        """Whether (i, j) lies on a side of the band that cuts the table."""
        return (j == self.lo(i) and j > self.j0) or (j == self.hi(i) and j < self.m)


def _walk(pairing: _Pairing, band: _Band) -> tuple[list[Group], bool]:
    """The cheapest path through the band, and whether it touches the band's edge."""
    i0, n, j0, m = band.i0, band.n, band.j0, band.m
    inf = float("inf")
    # best[i - i0][j - lo(i)]: the cheapest way to align sentences up to i and j.
    lo = [band.lo(i) for i in range(i0, n + 1)]
    best = [[inf] * (band.hi(i) - lo[i - i0] + 1) for i in range(i0, n + 1)]
    back: dict[tuple[int, int], tuple[int, int]] = {}
    best[0][0] = 0.0
    s_upto, r_upto = pairing.s_upto, pairing.r_upto
    for i in range(i0, n + 1):
        row = best[i - i0]
        for j in range(lo[i - i0], band.hi(i) + 1):
            here = row[j - lo[i - i0]]
            if here == inf:
                continue
            for a, b in _SHAPES:
                p, q = i + a, j + b
                if p > n or q > m or q < lo[p - i0] or q > band.hi(p):
                    continue
                size = s_upto[p] - s_upto[i] + r_upto[q] - r_upto[j]
                if a == 0 or b == 0:
                    cost = _SKIP * size + 0.1
                else:
                    cost = size - 2 * pairing.pairs(i, p, j, q) + 0.5 * (a + b - 2)
                if here + cost < best[p - i0][q - lo[p - i0]]:
                    best[p - i0][q - lo[p - i0]] = here + cost
                    back[(p, q)] = (a, b)
    groups: list[Group] = []
    on_edge = False
    i, j = n, m
    while i > i0 or j > j0:
        on_edge = on_edge or band.edge(i, j)
        a, b = back[(i, j)]
        groups.append(Group(tuple(range(i - a, i)), tuple(range(j - b, j))))
        i, j = i - a, j - b
    return groups[::-1], on_edge


class _Pairing:
    """The sentences of both sides, with what the aligner asks of them again and again."""

    def __init__(self, src: list[list[Tok]], rep: list[list[Tok]]) -> None:
        self.src, self.rep = src, rep
        # Tokens in the first i sentences of each side, to size a group at once.
        self.s_upto = list(accumulate((len(s) for s in src), initial=0))
        self.r_upto = list(accumulate((len(r) for r in rep), initial=0))
        self._s_bags = [Counter(t.stem for t in s) for s in src]
        self._r_bags = [Counter(t.stem for t in r) for r in rep]
        self._pairs: dict[tuple[int, int, int, int], int] = {}  # kept when a band widens

    def pairs(self, i: int, p: int, j: int, q: int) -> int:
        """Tokens of source sentences i..p-1 that pair with repair sentences j..q-1."""
        got = self._pairs.get((i, p, j, q))
        if got is None:
            a = [t for k in range(i, p) for t in self.src[k]]
            b = [t for k in range(j, q) for t in self.rep[k]]
            got = self._pairs[(i, p, j, q)] = len(match(a, b)[0])
        return got

    def same_sentence(self, i: int, j: int) -> bool:
        """Whether source sentence i and repair sentence j share half their tokens exactly
        (and so are `_close`): one sentence and its repair."""
        s, r = self._s_bags[i], self._r_bags[j]
        return bool(s and r) and 4 * (s & r).total() >= s.total() + r.total()


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
    lcs = _suffix_lcs(a, b, first)
    regions: list[tuple[list[int], list[int]]] = []
    cur: tuple[list[int], list[int]] = ([], [])
    i = j = first
    while i < n or j < m:
        if i < n and j < m and a[i] == b[j]:
            if cur[0] or cur[1]:
                regions.append(cur)
                cur = ([], [])
            i, j = i + 1, j + 1
        elif j < m and (i == n or lcs(i, j + 1) >= lcs(i + 1, j)):
            cur[1].append(j)
            j += 1
        else:
            cur[0].append(i)
            i += 1
    if cur[0] or cur[1]:
        regions.append(cur)
    return regions


def _suffix_lcs(a: Sequence[str], b: Sequence[str], first: int) -> Callable[[int, int], int]:
    """The LCS length of a[i:] and b[j:], for i and j from `first`, as the walk of
    `edit_regions` reads it.

    Only the diagonals within `width` of the last cell's are filled: a path costing at
    most `width` insertions and deletions cannot leave them, so every cell whose suffixes
    are that close is exact, and the walk, which follows a cheapest path and compares the
    cells beside it, reads the same as from the whole table once the whole walk costs no
    more than `width`. Two texts that differ in a few words fill a few diagonals, not the
    square of their length; the width doubles until it holds the walk.
    """
    n, m = len(a), len(b)
    shift = m - n  # the diagonal (j - i) of the last cell
    width = abs(shift) + 16
    while True:
        rows = _banded_lcs(a, b, first, width)
        lo, row = rows[0]
        cost = (n - first) + (m - first) - 2 * row[first - lo]
        if cost <= width or width >= n + m:
            break
        width *= 2
    outside = -(n + m + 1)  # beyond the band: worse than any length

    def lcs(i: int, j: int) -> int:
        lo, row = rows[i - first]
        return row[j - lo] if lo <= j < lo + len(row) else outside

    return lcs


def _banded_lcs(
    a: Sequence[str], b: Sequence[str], first: int, width: int
) -> list[tuple[int, list[int]]]:
    """Rows `first`..n of the suffix LCS table, each as (its first j, its cells), filled
    within `width` diagonals of the last cell's (paths that leave them are not counted)."""
    n, m = len(a), len(b)
    shift = m - n
    outside = -(n + m + 1)
    lo = max(first, n + shift - width)
    below_lo, below = lo, [0] * (m - lo + 1)  # row n: nothing is left of a
    rows = [(below_lo, below)]
    for i in range(n - 1, first - 1, -1):
        lo, hi = max(first, i + shift - width), min(m, i + shift + width)
        row = [outside] * (hi - lo + 1)
        word = a[i]
        for j in range(hi, lo - 1, -1):
            if j == m:
                row[j - lo] = 0  # nothing is left of b
            elif word == b[j]:
                k = j + 1 - below_lo
                row[j - lo] = (below[k] if 0 <= k < len(below) else outside) + 1
            else:
                k = j - below_lo
                down = below[k] if 0 <= k < len(below) else outside
                right = row[j + 1 - lo] if j < hi else outside
                row[j - lo] = down if down > right else right
        below_lo, below = lo, row
        rows.append((lo, row))
    rows.reverse()
    return rows
