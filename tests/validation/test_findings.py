"""Findings a model can act on: what changed, on which side, both sides quoted, and never
"not in the source" for words that are in the source."""

from __future__ import annotations

import re

import pytest

from repair.formats import Format
from repair.testing.golden import GoldenCase, apply_mutation, load_cases
from repair.validation import check, validate_paragraph
from repair.validation.findings import changes, excerpt, read_pair
from repair.validation.paragraphs import paragraphs


def _span(text: str, word: str, nth: int = 0) -> tuple[int, int]:
    starts = [m.start() for m in re.finditer(re.escape(word), text)]
    return starts[nth], starts[nth] + len(word)


@pytest.mark.parametrize(
    ("source", "repaired", "message"),
    [
        (
            "Trump set a 50-day ultimatum.",
            "Trump set a 60-day ultimatum.",
            "'50-day ultimatum' became '60-day ultimatum'",
        ),
        (
            "The museum reopened on Monday. It had been shut for 14 months.",
            "The museum reopened on Monday. It had been shut for months.",
            "'14 months' is missing from the repair: 'It had been shut for 14 months.' became "
            "'It had been shut for months.'",
        ),
        (
            "The museum reopened on Monday.",
            "The museum reopened on Monday with 300 visitors.",
            "'300 visitors' appears in the repair but not in the source: 'The museum reopened on "
            "Monday.' became 'The museum reopened on Monday with 300 visitors.'",
        ),
        (
            "The ferry sails on Monday and again on Monday evening.",
            "The ferry sails on Monday evening.",
            "'Monday' is written twice in the source but only once in the repair: 'The ferry "
            "sails on Monday and again on Monday evening.' became 'The ferry sails on Monday "
            "evening.'",
        ),
        (
            "The ferry sails on Monday evening.",
            "The ferry sails on Monday and again on Monday evening.",
            "'Monday' is written twice in the repair but only once in the source: 'The ferry "
            "sails on Monday evening.' became 'The ferry sails on Monday and again on Monday "
            "evening.'",
        ),
    ],
)
def test_messages(source: str, repaired: str, message: str) -> None:
    assert [i.message for i in validate_paragraph(source, repaired)] == [message]


def test_a_fact_the_checks_could_not_match_is_not_said_to_be_absent() -> None:
    """An ordinal the number reader took differently on the two sides (as it may when the
    ordinal moves within its clause) is in both texts: the message must say so."""
    source = "For the second time the club won the cup."
    repaired = "The club won the cup for the second time."
    pair = read_pair(source, repaired, None)
    (added,) = changes(pair, lambda _m, _k: "number", [], [_span(repaired, "second")])
    assert added.message == (
        "'second' is in the source too, but not as the repair uses it: "
        f"'{source}' became '{repaired}'"
    )
    (missing,) = changes(pair, lambda _m, _k: "number", [_span(source, "second")], [])
    assert missing.message == (
        "'second' is still in the repair, but not as the source uses it: "
        f"'{source}' became '{repaired}'"
    )


def test_the_same_words_read_two_ways_are_not_said_to_have_become_themselves() -> None:
    source, repaired = "Lava buried the third of the town.", "Lava buried a third of the town."
    pair = read_pair(source, repaired, None)
    (finding,) = changes(
        pair, lambda _m, _k: "number", [_span(source, "third")], [_span(repaired, "third")]
    )
    assert finding.message == (
        f"'third' does not say the same in the repair: '{source}' became '{repaired}'"
    )


def test_long_sentences_are_quoted_around_the_change() -> None:
    text = " ".join(f"word{i}" for i in range(40)) + " the 50-day ultimatum " + "end " * 30
    focus = text.index("50-day")
    cut = excerpt(text, (0, len(text)), focus)
    assert "50-day ultimatum" in cut and cut.startswith("…") and cut.endswith("…")
    assert len(cut) <= 92


_NOT_IN_SOURCE = re.compile(r"^'(.+?)' appears in the repair but not in the source")
_NOT_IN_REPAIR = re.compile(r"^'(.+?)' is missing from the repair")


def _written(phrase: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.IGNORECASE) is not None


TEXT_CASES = [c for c in load_cases() if c.reference and c.format is Format.TEXT]


@pytest.mark.parametrize("case", TEXT_CASES, ids=[c.name for c in TEXT_CASES])
def test_no_finding_calls_absent_what_is_written(case: GoldenCase) -> None:
    """Over every planted change of the golden suite: a fact said to be missing from one
    side is not written in that side's paragraph."""
    assert case.reference is not None and case.mutations is not None
    for mutation in case.mutations.mutations:
        mutated = apply_mutation(case.reference, mutation)
        before, after = paragraphs(case.reference), paragraphs(mutated)
        if len(before) != len(after):
            continue  # a structure change: paragraphs do not pair by position
        for issue in check(case.reference, mutated).issues:
            k = next((n for n, p in enumerate(before) if p.id == issue.paragraph), None)
            if k is None:
                continue
            absent = _NOT_IN_SOURCE.match(issue.message)
            if absent:
                assert not _written(absent.group(1), before[k].text), issue.message
            gone = _NOT_IN_REPAIR.match(issue.message)
            if gone:
                assert not _written(gone.group(1), after[k].text), issue.message
