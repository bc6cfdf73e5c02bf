"""A long paragraph (a wall of text): validated in a time that grows with its length, its
facts looked for near where they stood."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repair.formats.text import segment
from repair.testing.golden import load_case
from repair.validation import align, quotes, validate_paragraph
from repair.validation.findings import NEAR, read_pair


def _seed(times: int = 1) -> tuple[str, str]:
    """The seed article's input and reference, each as one paragraph, `times` over."""
    case = load_case("putin-trump")
    assert case.reference is not None
    src = " ".join(p.text for p in segment(case.input).paragraphs)
    rep = " ".join(p.text for p in segment(case.reference).paragraphs)
    return " ".join([src] * times), " ".join([rep] * times)


def test_the_group_of_a_position_is_that_of_its_sentence() -> None:
    pair = read_pair(*_seed(), None)
    for side, pf in (("src", pair.src), ("rep", pair.rep)):
        for pos in range(len(pf.text)):
            expected = next(
                (
                    k
                    for k, g in enumerate(pair.groups)
                    for s in (g.src if side == "src" else g.rep)
                    if pf.sentences[s][0] <= pos < pf.sentences[s][1]
                ),
                -1,
            )
            assert pair.group_of(side, pos) == expected  # type: ignore[arg-type]


def test_a_paragraph_of_few_sentences_is_searched_whole() -> None:
    text = " ".join(f"Sentence {k} says “something”." for k in range(2 * NEAR + 1))
    pair = read_pair(text, text, None)
    assert len(pair.groups) == 2 * NEAR + 1
    assert pair.near("src", 0, 5) == (0, len(text))
    assert pair.near("rep", len(text) - 5, len(text)) == (0, len(text))


_FILLER = [
    f"The {w} council met on {d} to discuss the harbour plan again."
    for w, d in zip(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
        "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth".split(),
        "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split() * 3,
        strict=False,
    )
]


def test_a_quote_moved_far_across_a_long_paragraph_is_not_where_it_was() -> None:
    quote = "“We will never sell the harbour to anyone,” said Mr Okafor."
    source = " ".join([_FILLER[0], quote, *_FILLER[1:]])
    moved = " ".join([*_FILLER, quote])
    near = " ".join([*_FILLER[:2], quote, *_FILLER[2:]])  # one sentence on: still near
    assert {i.kind for i in validate_paragraph(source, near)} == set()
    found = validate_paragraph(source, moved)
    assert any("is missing from the repair" in i.message for i in found if i.kind == "quote")
    assert any("is not in the source" in i.message for i in found if i.kind == "quote")


def _components_by_merging(edges: set[tuple[int, int]]) -> list[tuple[list[int], list[int]]]:
    """`quotes._components` as it was, merging lists: the reference."""
    groups: list[tuple[set[int], set[int]]] = []
    for i, k in sorted(edges):
        hit = [g for g in groups if i in g[0] or k in g[1]]
        merged = ({i}, {k})
        for g in hit:
            merged[0].update(g[0])
            merged[1].update(g[1])
            groups.remove(g)
        groups.append(merged)
    return [(sorted(s), sorted(r)) for s, r in groups]


@given(st.sets(st.tuples(st.integers(0, 12), st.integers(0, 12)), max_size=30))
@settings(max_examples=500, deadline=None)
def test_quotes_are_grouped_as_by_merging_every_link(edges: set[tuple[int, int]]) -> None:
    assert quotes._components(edges) == _components_by_merging(edges)


def test_the_work_on_quotes_grows_with_the_length(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokens compared by the quote check, once and four times over: in proportion."""
    counted: list[int] = []
    match = align.match

    def counting(a: list[align.Tok], b: list[align.Tok]) -> tuple[set[int], set[int]]:
        counted[-1] += len(a) + len(b)
        return match(a, b)

    monkeypatch.setattr(quotes, "match", counting)
    for times in (1, 4):
        counted.append(0)
        quotes.check_quotes(read_pair(*_seed(times), None))
    assert counted[1] <= 5 * counted[0]


def test_a_wall_of_text_is_validated_in_a_time_that_grows_with_it() -> None:
    """Four times the seed as one paragraph took over a minute when the sentence table was
    filled whole; it takes a fraction of a second (a bound loose enough for a busy CI)."""
    source, repaired = _seed(4)
    started = time.perf_counter()
    validate_paragraph(source, repaired)
    assert time.perf_counter() - started < 10
