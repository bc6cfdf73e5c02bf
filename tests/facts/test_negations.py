"""Negation cues and their counts: lexical negatives as phrases, double negatives."""

from __future__ import annotations

import pytest

from repair.facts.negations import Polarity, find_negations, negation_profile, total_polarity


def polarity(text: str) -> Polarity:
    return total_polarity(negation_profile(text, find_negations(text), 0, len(text)))


@pytest.mark.parametrize(
    ("text", "cues"),
    [
        ("A strike cannot be ruled out.", [("cannot", "not"), ("ruled out", "weak")]),
        ("The ruling party won.", []),  # "ruling" without "out" is no negative
        ("It is hard for prices to fall.", [("hard", "weak")]),
        ("It was a hard winter and difficult work.", []),
        ("Such a deal is impossible.", [("impossible", "weak")]),
        ("He no longer works there.", [("no longer", "nword")]),
    ],
)
def test_lexical_negatives_are_read_as_phrases(text: str, cues: list[tuple[str, str]]) -> None:
    assert [(c.text, c.group) for c in find_negations(text)] == cues


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # (strong, weak, bare strong, bare weak, pairs)
        ("A second vote is not ruled out.", (1, 1, 0, 0, 1)),
        ("It has not yet been ruled out.", (1, 1, 0, 0, 1)),
        ("It was not left unnoticed.", (1, 1, 0, 0, 1)),
        ("The result was not unexpected.", (1, 1, 0, 0, 1)),
        # "until" and "unless" say when and on what terms: no double negative.
        ("The river might not peak until Monday.", (1, 1, 1, 1, 0)),
        ("He will not sign unless he is paid.", (1, 1, 1, 1, 0)),
        # Too far apart to be one double negative; apart in two clauses, never.
        ("He did not read the long list of unpaid bills.", (1, 1, 1, 1, 0)),
        ("It was not a surprise, and it was unexpected.", (1, 1, 1, 1, 0)),
    ],
)
def test_double_negatives_are_counted_both_ways(
    text: str, expected: tuple[int, int, int, int, int]
) -> None:
    assert polarity(text) == expected
