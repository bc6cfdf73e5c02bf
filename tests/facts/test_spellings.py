"""Spellings of one name: the pairs that must be one name and the pairs that must not."""

from __future__ import annotations

import pytest

from repair.facts.spellings import same_name
from repair.facts.words import fold

# One name through different romanisations, case endings, hyphens or typos.
SAME = [
    ("Eltsin", "Yeltsin"),
    ("Prigojin", "Prigozhin"),
    ("Tchaikovskiy", "Tchaikovsky"),
    ("Chaikovsky", "Tchaikovsky"),
    ("Hodorkovsky", "Khodorkovsky"),
    ("Kharkiv", "Harkiv"),
    ("Scholtz", "Scholz"),
    ("Chunsan", "Chunshan"),
    ("Chun-shan", "Chunsan"),
    ("Yevgeny", "Evgeny"),
    ("Zelenskiy", "Zelensky"),
    ("Navalnyi", "Navalny"),
    ("Dostoevsky", "Dostoyevsky"),
    ("Gorbachov", "Gorbachev"),
    ("Medwedew", "Medvedev"),
    ("Witcooff", "Witkoff"),
    ("Tusc", "Tusk"),
    ("Tramp", "Trump"),
    ("Ельцин", "Yeltsin"),
    ("Trumpists", "Trump"),
    ("Poland", "Polish"),
    ("Türkiye", "Turkey"),
]

# Different people, places and things, however alike they look.
DIFFERENT = [
    ("Pushkin", "Pushilin"),
    ("Slovenia", "Slovakia"),
    ("Iran", "Iraq"),
    ("Trump", "Tusk"),
    ("Stalin", "Stallone"),
    ("Georgia", "George"),
    ("Niger", "Nigeria"),
    ("Austria", "Australia"),
    ("India", "Indonesia"),
    ("Sweden", "Swiss"),
    ("Khrushchev", "Khrushcheva"),
    ("Witkoff", "Whitaker"),
    ("Marsh", "Marshall"),
    ("EU", "Europe"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_one_name_written_two_ways(a: str, b: str) -> None:
    assert same_name(fold(a), fold(b)) and same_name(fold(b), fold(a))


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_two_names_stay_apart(a: str, b: str) -> None:
    assert not same_name(fold(a), fold(b)) and not same_name(fold(b), fold(a))
