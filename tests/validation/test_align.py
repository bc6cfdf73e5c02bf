"""Sentence alignment: a long paragraph costs its length, not its square, and is aligned as
the whole table would align it."""

from __future__ import annotations

import pytest

from repair.facts.ledger import read_paragraph
from repair.formats.text import segment
from repair.testing.golden import load_case
from repair.validation import align
from repair.validation.align import Group, Tok, align_sentences, sentence_tokens


def _sentences(text: str, evidence: str) -> list[list[Tok]]:
    pf = read_paragraph(text, evidence=evidence)
    return [sentence_tokens(pf, a, b) for a, b in pf.sentences]


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
