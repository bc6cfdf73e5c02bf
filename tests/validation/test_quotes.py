"""Quotes: the words inside may be repaired; the speaker, the facts and the quote itself
must survive."""

from __future__ import annotations

import pytest

from repair.validation import validate_paragraph

# Garbled quotes and fair repairs of them. A paragraph that is one quotation has no words
# around the quote to show that it needed repair: its words are repaired like any others.
REPAIRED_INSIDE = [
    (
        "“Trump’s locomotive and Putin’s locomotive move on to each other.",
        "“Trump’s locomotive and Putin’s locomotive are heading towards each other.",
    ),
    (
        "“Trump’s locomotive and Putin’s locomotive move on to each other.",
        "“Trump’s locomotive and Putin’s locomotive are heading towards each other.”",
    ),
    (
        "“The river rose on the night so fast that we nothing could not take out of the house.",
        "“The river rose so fast in the night that we could not take anything out of the house.",
    ),
    (
        "“We are on a collision rate with the regulator.",
        "“We are on a collision course with the regulator.",
    ),
    (
        "“The vaccine is not a silver ball, but it gives a doctors time.”",
        "“The vaccine is not a silver bullet, but it gives doctors time.”",
    ),
    (
        "“In this season we played on heart, not on money.”",
        "“This season we played with heart, not for money.”",
    ),
    (
        "“Nobody from us expected of such result. We are tired, but happy.",
        "“None of us expected such a result. We are tired, but happy.",
    ),
    # Reworded freely, as a fluent repair does: few of its words survive.
    (
        "“And no one is going to turn off and stop and turn away.”",
        "“And nobody is going to switch tracks, stop or back down.”",
    ),
    # Broken marks cut the source's quotation in two; the repair mends them.
    (
        "“Putin will fight as much as he can, or if Ukraine does not say,” We are tired, "
        "we are ready to accept your conditions. “",
        "“Putin will fight for as long as he can, unless Ukraine says: ‘We are tired, we are "
        "ready to accept your terms.’”",
    ),
    # A sentence of a quote whose repair keeps no content word.
    (
        "“We made all what we could. The papers were submitted in May.",
        "“We did everything we could. The papers were filed in May.",
    ),
    # A quote framed by an attribution: the frame and the quote repaired together.
    (
        "“Recently, the collision seems inevitable,” said Moscow Komsomelets recently.",
        "“Lately, a collision has seemed inevitable,” Moskovsky Komsomolets said recently.",
    ),
    # Only the quote needed repair, and the repair also mended its grammar.
    (
        "“Recently, the collision seems inevitable,” Moskovsky Komsomolets said recently.",
        "“Lately, a collision has seemed inevitable,” Moskovsky Komsomolets said recently.",
    ),
]


@pytest.mark.parametrize(("source", "repaired"), REPAIRED_INSIDE)
def test_words_inside_a_quote_may_be_repaired(source: str, repaired: str) -> None:
    assert validate_paragraph(source, repaired) == []


WHOLE = "“The river rose so fast that we could not save the house, and four families left."

CHANGED = [
    # A paragraph that is one quotation: the speaker, invented words, a dropped quote,
    # a flipped negation and a changed number are still caught.
    (WHOLE, WHOLE + "”, Mayor Anna Kessler said.", "quote"),
    (WHOLE, WHOLE + " The town will pay for everything.", "addition"),
    (WHOLE, WHOLE.replace("“", "").replace("we could not", "nobody could"), "quote"),
    (WHOLE, WHOLE.replace("could not save", "could save"), "quote"),
    (WHOLE, WHOLE.replace("four families", "five families"), "quote"),
    # Replaced whole: the sentence is dropped and another made up.
    (
        "“We will lose the port and the jobs of the dockers.",
        "“We have won the lottery and everyone here is happy.",
        "omission",
    ),
    (
        "“We will lose the port and the jobs of the dockers.",
        "“The council will sell the harbour to a bank.",
        "addition",
    ),
    # Framed quotes, as before: reworded, moved to another speaker, made up, dropped.
    (
        "He called the attacks “disgusting”, she said.",
        "He called the attacks “disappointing”, she said.",
        "quote",
    ),
    (
        "“This is the best day of my career,” Wieczorek said.",
        "“This is the worst day of my career,” Wieczorek said.",
        "quote",
    ),
    (
        "“Poland is not the problem,” Mr Tusk said after meeting Mr Trump.",
        "“Poland is not the problem,” Mr Trump said after meeting Mr Tusk.",
        "quote",
    ),
    (
        "Mr Tusk was cautious. “Gas is important,” he said.",
        "Mr Tusk was cautious. “Gas is important,” he said. “I trust Trump,” he added.",
        "quote",
    ),
    (
        "Mr Tusk was cautious and said that “gas is important” for Poland.",
        "Mr Tusk was cautious and said that gas mattered for Poland.",
        "quote",
    ),
]


@pytest.mark.parametrize(("source", "repaired", "kind"), CHANGED)
def test_what_a_quote_says_and_who_said_it_is_kept(source: str, repaired: str, kind: str) -> None:
    assert kind in {i.kind for i in validate_paragraph(source, repaired)}


@pytest.mark.parametrize(
    ("source", "repaired", "message"),
    [
        (
            "“Poland is not the problem,” Mr Tusk said after meeting Mr Trump.",
            "“Poland is not the problem,” Mr Trump said after meeting Mr Tusk.",
            "the quote “Poland is not the problem,” is attributed to 'Mr Trump' in the repair "
            "but to 'Mr Tusk' in the source",
        ),
        (
            WHOLE,
            WHOLE + "”, Mayor Anna Kessler said.",
            f"the quote “{WHOLE[1:]}” is attributed to 'Mayor Anna Kessler' in the repair, "
            "but to no one in the source",
        ),
        (
            "“We will not close the school,” she said.",
            "“We will close the school,” she said.",
            "the negation 'not' of the quote “We will not close the school,” is missing from "
            "the repair, which has “We will close the school,”",
        ),
        (
            "“We lost 40 cows,” she said.",
            "“We lost 14 cows,” she said.",
            "the number '40' of the quote “We lost 40 cows,” is missing from the repair, "
            "which has “We lost 14 cows,”",
        ),
        (
            "The bishop called the plan “a gift” on Sunday.",
            "The bishop called the plan a gift on Sunday.",
            "the quote “a gift” is missing from the repair: 'The bishop called the plan “a gift” "
            "on Sunday.' became 'The bishop called the plan a gift on Sunday.'",
        ),
    ],
)
def test_quote_findings_name_the_change_and_both_sides(
    source: str, repaired: str, message: str
) -> None:
    assert message in [i.message for i in validate_paragraph(source, repaired)]
