"""Numbered edits: word-level diff, undoing any of them, and the original given back exactly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from repair.config import RepairConfig
from repair.edits import (
    apply_edits,
    compute_edits,
    diff_words,
    edits_of,
    original_text,
    tokenize,
)
from repair.errors import InputError
from repair.formats.text import segment
from repair.pipeline import repair_article
from repair.results import ParagraphResult, RepairResult, Timings, Usage
from repair.review import apply_choices
from repair.testing.fake import FakeServer
from tests.conftest import golden_pair


def make_result(
    source: str, repairs: dict[str, str], kept: dict[str, str] | None = None
) -> RepairResult:
    """A result as the pipeline shapes it: `repairs` by paragraph id, `kept` id -> reason."""
    kept = kept or {}
    doc = segment(source)
    paragraphs = []
    for p in doc.paragraphs:
        repaired = p.text if p.id in kept else repairs.get(p.id, p.text)
        status = (
            "kept-original" if p.id in kept else "unchanged" if repaired == p.text else "repaired"
        )
        paragraphs.append(
            ParagraphResult(
                id=p.id,
                kind=p.kind.value,
                status=status,
                source=p.text,
                repaired=repaired,
                reason=kept.get(p.id),
            )
        )
    return RepairResult(
        text=doc.join({p.id: p.repaired for p in paragraphs}),
        paragraphs=paragraphs,
        usage=Usage(calls=1, prompt_tokens=1000, completion_tokens=200),
        model="gpt-4o-mini",
        template_version="repair@1",
        style="minimal",
        chunks=1,
        timings=Timings(),
    )


def demo_result() -> RepairResult:
    """What `repair demo` produces for the seed article (the same fake server and model)."""
    with FakeServer() as fake:
        config = RepairConfig(
            model="fake-repair", base_url=fake.base_url, api_key=SecretStr("demo-not-a-key")
        )
        return repair_article(golden_pair()[0], config)


@pytest.fixture(scope="module")
def seed() -> RepairResult:
    return demo_result()


# --- the diff -------------------------------------------------------------------------


def test_tokens_keep_every_character() -> None:
    text = "  Don’t say “no”,\tU.S. 1,200 km\n—ok?  "
    assert "".join(tokenize(text)) == text
    assert "Don’t" in tokenize(text)


def test_neighbouring_changes_are_one_edit() -> None:
    source, repaired = "Were there relations from the origin?", "Have relations gone off the rails?"
    changes = diff_words(source, repaired)
    assert [(source[a:b], new) for a, b, new in changes] == [
        ("Were there", "Have"),
        ("from", "gone off"),
        ("origin", "rails"),
    ]


def test_an_unchanged_paragraph_has_no_edits() -> None:
    assert diff_words("Same words.", "Same words.") == []


def test_edits_are_numbered_across_the_article() -> None:
    result = make_result("One two.\n\nThree four.\n", {"P1": "One 2.", "P2": "Three 4."})
    edits = compute_edits(result.paragraphs)
    assert [(e.number, e.paragraph, e.original, e.replacement) for e in edits] == [
        (1, "P1", "two", "2"),
        (2, "P2", "four", "4"),
    ]


_WORDS = st.sampled_from(["the", "a", "Putin", "10", "ten", ",", ".", "’s", "not", "said"])
_SPACE = st.sampled_from([" ", "  ", "\n", "\t", " \u00a0"])


@st.composite
def sentences(draw: st.DrawFn) -> str:
    words = draw(st.lists(_WORDS, min_size=1, max_size=12))
    gaps = draw(st.lists(_SPACE, min_size=len(words), max_size=len(words)))
    return "".join(w + g for w, g in zip(words, gaps, strict=True)).strip()


@settings(max_examples=300, deadline=None)
@given(source=sentences(), repaired=sentences(), data=st.data())
def test_any_subset_of_edits_is_well_defined(
    source: str, repaired: str, data: st.DataObject
) -> None:
    result = make_result(source + "\n", {"P1": repaired})
    edits = edits_of(result)
    numbers = [e.number for e in edits]
    assert apply_edits(result) == result.text
    assert apply_edits(result, reject=numbers) == source + "\n"
    some = data.draw(st.sets(st.sampled_from(numbers)) if numbers else st.just(set[int]()))
    mixed = apply_edits(result, reject=some)
    for edit in edits:  # each edit's own words are where the others leave them
        assert (edit.original if edit.number in some else edit.replacement) in mixed


_ARTICLES = st.lists(
    st.tuples(sentences(), st.sampled_from(["\n\n", "\n", "\r\n\r\n", " \n\n\t", "\n\n\n"])),
    min_size=1,
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(parts=_ARTICLES, prefix=st.sampled_from(["", "\n", "  \n\n"]), data=st.data())
def test_the_original_article_comes_back_byte_for_byte(
    parts: list[tuple[str, str]], prefix: str, data: st.DataObject
) -> None:
    source = prefix + "".join(text + gap for text, gap in parts)
    doc = segment(source)
    repairs = {p.id: data.draw(sentences()) for p in doc.paragraphs}
    result = make_result(source, repairs)
    assert original_text(result) == source
    assert apply_edits(result) == result.text
    assert apply_edits(result, reject=[e.number for e in edits_of(result)]) == source


# --- the seed -------------------------------------------------------------------------


def test_the_seed_edits_give_the_repair_and_the_original(seed: RepairResult) -> None:
    original = golden_pair()[0]
    edits = edits_of(seed)
    assert len(edits) > 100
    assert apply_edits(seed) == seed.text
    assert original_text(seed) == original
    assert apply_edits(seed, reject={e.number for e in edits}) == original


def test_rejecting_two_seed_edits_restores_just_those_words(seed: RepairResult) -> None:
    edits = edits_of(seed)
    rails = next(e for e in edits if (e.original, e.replacement) == ("origin", "rails"))
    aside = next(e for e in edits if (e.original, e.replacement) == ("away", "aside"))
    # The places, as the repaired article reads them: each occurs once.
    assert seed.text.count("the rails?") == 1 and seed.text.count("turn aside.") == 1
    expected = seed.text.replace("the rails?", "the origin?").replace("turn aside.", "turn away.")

    outcome = apply_choices(seed, reject={rails.number, aside.number})
    text, report = outcome.text, outcome.report

    assert text == expected
    assert "the origin?" in text and "turn away." in text
    assert "gone off the" in text  # the neighbouring edit of the same paragraph is kept
    assert report.ok, report.issues


def test_unknown_edit_numbers_are_refused(seed: RepairResult) -> None:
    with pytest.raises(InputError, match="no edit numbered 100000"):
        apply_edits(seed, reject={1, 100000})


def test_an_edit_that_does_not_match_its_paragraph_is_refused(seed: RepairResult) -> None:
    edits = compute_edits(seed.paragraphs)
    edits[0] = edits[0].model_copy(update={"original": "something else"})
    tampered = seed.model_copy(update={"edits": edits})
    with pytest.raises(InputError, match="edit 1 does not match"):
        apply_edits(tampered)


def test_a_result_whose_text_does_not_match_its_paragraphs_is_refused(seed: RepairResult) -> None:
    broken = seed.model_copy(update={"text": seed.text.replace("rails", "tracks")})
    with pytest.raises(InputError, match="inconsistent"):
        original_text(broken)


def test_rejecting_part_of_a_wrong_repair_is_checked_again() -> None:
    result = make_result("Prices rose 5% in March.\n", {"P1": "Prices rose 7% in May."})
    edits = edits_of(result)
    assert [(e.original, e.replacement) for e in edits] == [("5", "7"), ("March", "May")]
    outcome = apply_choices(result, reject={2})
    text, report = outcome.text, outcome.report
    assert text == "Prices rose 7% in March.\n"
    assert [i.kind for i in report.issues] == ["number"]
    assert apply_choices(result, reject={1, 2}).report.ok
