"""Sentence alignment: a long paragraph costs its length, not its square, and is aligned as
the whole table would align it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repair.facts.ledger import read_paragraph
from repair.formats.text import segment
from repair.testing.golden import load_case
from repair.validation import align
from repair.validation.align import Group, Tok, align_sentences, edit_regions, sentence_tokens


def _sentences(text: str, evidence: str) -> list[list[Tok]]:
    return sentence_tokens(read_paragraph(text, evidence=evidence))


def _seed(times: int = 1) -> tuple[list[list[Tok]], list[list[Tok]]]:
    """The seed article's input and reference, each as one paragraph, `times` over."""
    case = load_case("putin-trump")
    assert case.reference is not None
    src = " ".join([" ".join(p.text for p in segment(case.input).paragraphs)] * times)
    rep = " ".join([" ".join(p.text for p in segment(case.reference).paragraphs)] * times)
    return _sentences(src, rep), _sentences(rep, src)


def _whole(src: list[list[Tok]], rep: list[list[Tok]]) -> list[Group]:
    """The alignment the whole table gives: no anchors, a band wider than the table."""
    pairing = align._Pairing(src, rep)
    n, m = len(src), len(rep)
    groups, _ = align._walk(pairing, align._Band(0, n, 0, m, max(n, m)))
    return groups


def test_a_long_paragraph_is_aligned_as_the_whole_table_aligns_it() -> None:
    src, rep = _seed()
    assert len(src) > 4 * align._BAND  # long enough to be cut and banded
    groups = align_sentences(src, rep)
    assert groups == _whole(src, rep)
    assert [g for g in groups if len(g.src) != 1 or len(g.rep) != 1] == [
        Group((43,), (43, 44))  # the one sentence the reference splits in two
    ]


def test_sentences_moved_far_from_the_diagonal_widen_the_band(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    src, rep = _seed()
    rep = rep[9:] + rep[:9]  # the first nine sentences moved to the end: off the first band
    widths: list[int] = []
    band = align._Band

    def recording(i0: int, n: int, j0: int, m: int, width: int) -> align._Band:
        widths.append(width)
        return band(i0, n, j0, m, width)

    monkeypatch.setattr(align, "_Band", recording)
    groups = align_sentences(src, rep)
    assert max(widths) > align._BAND  # the first band was too narrow, and was widened
    assert groups == _whole(src, rep)
    assert groups[:9] == [Group((i,), ()) for i in range(9)]  # dropped here, added there
    assert groups[-9:] == [Group((), (j,)) for j in range(len(rep) - 9, len(rep))]


def test_a_short_paragraph_is_searched_whole() -> None:
    assert align._Band(0, align._BAND, 0, align._BAND - 1, align._BAND).whole
    assert not align._Band(0, 40, 0, 40, align._BAND).whole


@pytest.mark.parametrize("times", [4])
def test_the_work_grows_with_the_length(times: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Groups compared, once and `times` over: in proportion, not in the square."""
    counted: list[int] = []
    pairs = align._Pairing.pairs

    def counting(self: align._Pairing, i: int, p: int, j: int, q: int) -> int:
        counted[-1] += 1
        return pairs(self, i, p, j, q)

    monkeypatch.setattr(align._Pairing, "pairs", counting)
    for n in (1, times):
        counted.append(0)
        align_sentences(*_seed(n))
    assert counted[0] > 0
    assert counted[1] <= 1.25 * times * counted[0]


# --- edit regions ---------------------------------------------------------------------------


def _regions_from_the_whole_table(a: list[str], b: list[str]) -> list[tuple[list[int], list[int]]]:
    """`edit_regions` as it was, from the whole table of LCS lengths: the reference."""
    n, m = len(a), len(b)
    lcs = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            lcs[i][j] = lcs[i + 1][j + 1] + 1 if a[i] == b[j] else max(lcs[i + 1][j], lcs[i][j + 1])
    regions: list[tuple[list[int], list[int]]] = []
    cur: tuple[list[int], list[int]] = ([], [])
    i = j = 0
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


_WORDS = st.lists(st.sampled_from("a b c d e".split()), max_size=40)


@given(_WORDS, _WORDS)
@settings(max_examples=400, deadline=None)
def test_edit_regions_are_those_of_the_whole_table(a: list[str], b: list[str]) -> None:
    assert edit_regions(a, b) == _regions_from_the_whole_table(a, b)


@given(
    st.lists(st.sampled_from("the a of to war peace said".split()), min_size=50, max_size=200),
    st.lists(st.tuples(st.integers(0, 199), st.sampled_from(["", "x", "y z", "of"])), max_size=6),
)
@settings(max_examples=200, deadline=None)
def test_edit_regions_of_a_long_text_with_a_few_edits(
    a: list[str], edits: list[tuple[int, str]]
) -> None:
    """Long texts a few words apart: the band is narrower than the table, and widens."""
    b = list(a)
    for at, words in edits:
        at = min(at, len(b) - 1)
        b[at : at + 1] = words.split()
    assert edit_regions(a, b) == _regions_from_the_whole_table(a, b)


def test_edit_regions_of_a_long_paragraph_fill_a_band() -> None:
    words = [f"w{k % 97}" for k in range(20_000)]
    changed = [*words[:10], "x", *words[11:19_990], "y", *words[19_991:]]
    assert edit_regions(words, changed) == [([10], [10]), ([19_990], [19_990])]
