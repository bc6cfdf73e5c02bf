from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repair.chunker import plan
from repair.formats.text import BlockKind
from tests.conftest import golden_pair
from tests.formats.test_text import awkward_text


@given(awkward_text | st.text(max_size=600), st.integers(min_value=1, max_value=120))
@settings(max_examples=300)
def test_plan_is_lossless_and_within_budget(text: str, budget: int) -> None:
    article = plan(text, budget)
    assert article.join() == text
    for unit in article.units:
        assert len(unit.text) <= budget
    sent = [u.id for c in article.chunks for u in c.units]
    assert sent == [u.id for u in article.units if u.repairable]


@pytest.mark.parametrize(
    "text",
    [
        "x" * 100_000,  # a 100,000-character paragraph with no full stop and no space
        ("a clause, " * 10_000).strip(),  # one sentence, only clause breaks
        ("word " * 20_000).strip(),
        "Line one.\r\nLine two.\r\n\r\n\tTabbed 😀 paragraph.\r\n",
        "RTL: مرحبا بالعالم. שלום עולם.",
    ],
)
def test_oversized_paragraphs_split_losslessly(text: str) -> None:
    article = plan(text, 1500)
    assert article.join() == text
    assert all(len(u.text) <= 1500 for u in article.units)


def test_replacing_texts_keeps_everything_else() -> None:
    article = plan("First para.\r\n\r\n  Second para.\n", 100)
    ids = [u.id for u in article.units]
    assert article.join({ids[1]: "Replaced."}) == "First para.\r\n\r\n  Replaced.\n"


def test_split_prefers_sentence_then_clause_boundaries() -> None:
    sentences = " ".join(f"Sentence number {i} is here." for i in range(60))
    article = plan(sentences, 300)
    assert all(u.text.endswith(".") for u in article.units)
    clauses = ", ".join(f"clause {i} goes on" for i in range(80)) + "."
    article = plan(clauses, 300)
    assert all(u.text.endswith((",", ".")) for u in article.units)


def test_chunks_are_balanced_with_no_tiny_tail() -> None:
    source, _ = golden_pair()
    for budget in (800, 1500, 2500):
        sizes = [c.size for c in plan(source, budget).chunks]
        assert max(sizes) <= budget
        mean = sum(sizes) / len(sizes)
        assert min(sizes) >= 0.5 * mean, (budget, sizes)


def test_a_paragraph_is_split_only_when_over_budget() -> None:
    source, _ = golden_pair()
    article = plan(source, 2000)
    assert all("." not in u.id for u in article.units)
    assert {u.paragraph for u in article.units} == {u.id for u in article.units}


def test_furniture_is_never_sent_and_context_is_given() -> None:
    source, _ = golden_pair()
    article = plan(source, 1500)
    sent = {u.id for c in article.chunks for u in c.units}
    furniture = {u.id for u in article.units if u.kind is BlockKind.FURNITURE}
    assert furniture and not sent & furniture
    assert article.chunks[0].before == ""
    assert article.chunks[1].before and article.chunks[0].after


def test_context_is_the_one_sentence_next_to_the_edge_in_whole_words() -> None:
    first = "The council met on Monday. It agreed on nothing at all."
    last = "Talks resume in May. Nobody expects a deal before the summer, officials said."
    text = f"{first}\n\nSource link\n\n{'Middle paragraph words. ' * 8}\n\nSource link\n\n{last}"
    article = plan(text, 200, context_chars=120)
    middle = next(c for c in article.chunks if c.units[0].text.startswith("Middle"))
    # The nearest sentence, not the page furniture between ("Source link" carries nothing).
    assert middle.before == "It agreed on nothing at all."
    assert middle.after == "Talks resume in May."
    short = plan(text, 200, context_chars=16)
    middle = next(c for c in short.chunks if c.units[0].text.startswith("Middle"))
    assert middle.before == "…nothing at all."
    assert middle.after == "Talks resume in…"
