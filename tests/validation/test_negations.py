"""Negations: rewordings that keep the polarity pass, flipped negations are caught."""

from __future__ import annotations

import pytest

from repair.validation import validate_paragraph

# Each pair says the same thing with its negations worded differently: in prose, and
# inside a quote whose frame was left as it was.
KEEP_POLARITY = [
    (
        "Prices will not fall without a rate cut.",
        "It is hard for prices to fall without a rate cut.",
    ),
    (
        "It is hard for prices to fall without a rate cut.",
        "Prices will not fall without a rate cut.",
    ),
    (
        "Growth will not improve without new investment.",
        "It is difficult to improve growth without new investment.",
    ),
    ("A second vote is not ruled out.", "A second vote is possible."),
    ("A second vote is possible.", "A second vote is not ruled out."),
    ("A strike cannot be ruled out.", "A strike is possible."),
    ("The minister has not yet ruled out new taxes.", "New taxes are still possible."),
    ("He no longer works there.", "He does not work there any more."),
    ("He does not work there any more.", "He no longer works there."),
    ("He does not work there anymore.", "He no longer works there."),
    ("The council failed to approve the budget.", "The council did not approve the budget."),
    ("The council did not approve the budget.", "The council failed to approve the budget."),
    ("The result was not unexpected.", "The result was expected."),
    ("We do not know what offer he will bring.", "It is unclear what offer he will bring."),
    ("Such a deal is impossible.", "Such a deal is not possible."),
    ("Such a deal is not possible.", "Such a deal is impossible."),
    (
        "It was not left unnoticed that the mayor spoke on Sunday.",
        "It was noticed that the mayor spoke on Sunday.",
    ),
    (
        "“A second vote is not ruled out,” Ms Ortiz said.",
        "“A second vote is possible,” Ms Ortiz said.",
    ),
    (
        "“We no longer trust the board,” said Ms Ortiz.",
        "“We do not trust the board any more,” said Ms Ortiz.",
    ),
    (
        "“The club failed to pay the players,” Mr Lund said.",
        "“The club did not pay the players,” Mr Lund said.",
    ),
    (
        "“Prices will not fall without a rate cut,” the governor said.",
        "“It is hard for prices to fall without a rate cut,” the governor said.",
    ),
]


@pytest.mark.parametrize(("source", "repaired"), KEEP_POLARITY)
def test_rewordings_that_keep_the_polarity_pass(source: str, repaired: str) -> None:
    assert validate_paragraph(source, repaired) == []


FLIPPED = [
    ("A second vote is not ruled out.", "A second vote is ruled out.", "negation"),
    ("A second vote is possible.", "A second vote is not possible.", "negation"),
    (
        "“A second vote is possible,” Ms Ortiz said.",
        "“A second vote is not possible,” Ms Ortiz said.",
        "quote",
    ),
    ("He no longer works there.", "He still works there.", "negation"),
    ("He does not work there any more.", "He works there any more.", "negation"),
    ("The council did not approve the budget.", "The council approved the budget.", "negation"),
    ("The result was not unexpected.", "The result was unexpected.", "negation"),
    ("Such a deal is not possible.", "Such a deal is possible.", "negation"),
    (
        "Prices will not fall without a rate cut.",
        "Prices will fall without a rate cut.",
        "negation",
    ),
    (
        "The river might not peak until Monday evening.",
        "The river might peak on Monday evening.",
        "negation",
    ),
    (
        "“A second vote is not ruled out,” Ms Ortiz said.",
        "“A second vote is ruled out,” Ms Ortiz said.",
        "quote",
    ),
    (
        "“We no longer trust the board,” said Ms Ortiz.",
        "“We trust the board,” said Ms Ortiz.",
        "quote",
    ),
    (
        "“The club failed to pay the players,” Mr Lund said.",
        "“The club paid the players,” Mr Lund said.",
        "quote",
    ),
]


@pytest.mark.parametrize(("source", "repaired", "kind"), FLIPPED)
def test_a_flipped_negation_is_caught(source: str, repaired: str, kind: str) -> None:
    assert kind in {i.kind for i in validate_paragraph(source, repaired)}


@pytest.mark.parametrize(
    ("source", "repaired", "message"),
    [
        (
            "He did not want to stop.",
            "He wanted to stop.",
            "the negation 'not' of the source is missing from the repair: "
            "'He did not want to stop.' became 'He wanted to stop.'",
        ),
        (
            "Moscow is seeking a solution.",
            "Moscow is never seeking a solution.",
            "the repair adds the negation 'never': "
            "'Moscow is seeking a solution.' became 'Moscow is never seeking a solution.'",
        ),
        (
            "He no longer works there.",
            "He still works there.",
            "the negation 'no longer' of the source is missing from the repair: "
            "'He no longer works there.' became 'He still works there.'",
        ),
    ],
)
def test_a_negation_finding_names_the_word_and_quotes_both_sides(
    source: str, repaired: str, message: str
) -> None:
    (issue,) = validate_paragraph(source, repaired)
    assert issue.message == message
    assert issue.source is not None and issue.source.text == source
    assert issue.repaired is not None and issue.repaired.text == repaired
