"""Forms of one name and of one currency, from data; ordinary words told from names."""

from __future__ import annotations

import pytest

from repair.facts.forms import abbreviation, compact, equivalents, is_place, spelled_out
from repair.facts.lexicon import ordinary_word
from repair.facts.money import name_unit, same_currency, symbol_unit
from repair.facts.numbers import find_numbers, units_agree
from repair.facts.words import tokens


@pytest.mark.parametrize(
    ("form", "other"),
    [
        ("US", "United States"),
        ("US", "United States of America"),
        ("USA", "America"),
        ("UK", "Britain"),
        ("Russia", "Russian Federation"),
        ("Czechia", "Czech Republic"),
        ("Türkiye", "Turkey"),
        ("Vietnam", "Socialist Republic of Viet Nam"),
        ("RMB", "yuan"),
        ("TV", "television"),
        ("EU", "European Union"),
        ("SGD", "Singapore dollars"),
    ],
)
def test_forms_of_one_thing(form: str, other: str) -> None:
    assert compact(other) in {f.key for f in equivalents(compact(form))}


def test_codes_count_in_capitals_only() -> None:
    us = {f for f in equivalents(compact("United States")) if f.key == "us"}
    assert us and all(f.caps for f in us)


@pytest.mark.parametrize(("form", "other"), [("EU", "Europe"), ("Niger", "Nigeria")])
def test_forms_of_different_things(form: str, other: str) -> None:
    assert compact(other) not in {f.key for f in equivalents(compact(form))}


@pytest.mark.parametrize(
    ("written", "letters", "text", "plural"),
    [
        ("LAN", "lan", "The local area network failed.", False),
        ("ICs", "ic", "Integrated circuits are scarce.", True),
        ("FBI", "fbi", "the Federal Bureau of Investigation", False),
        ("EU", "eu", "leaders of the European Union", False),
    ],
)
def test_abbreviations_spelled_out(written: str, letters: str, text: str, plural: bool) -> None:
    assert abbreviation(written) == letters
    assert spelled_out(letters, tokens(text), plural)


def test_two_small_words_do_not_spell_an_abbreviation() -> None:
    assert not spelled_out("eu", tokens("every user"))


@pytest.mark.parametrize("place", ["poland", "us", "moscow", "lagos", "kyiv"])
def test_places(place: str) -> None:
    assert is_place(place)


@pytest.mark.parametrize(
    ("symbol", "code"),
    [("S$", "SGD"), ("HK$", "HKD"), ("NT$", "TWD"), ("CN¥", "CNY"), ("€", "EUR"), ("SGD", "SGD")],
)
def test_currency_symbols_and_codes(symbol: str, code: str) -> None:
    unit = symbol_unit(symbol)
    assert unit is not None and code in unit.split("|")


def test_an_ambiguous_symbol_keeps_every_reading() -> None:
    assert symbol_unit("¥") == "CNY|JPY"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Singapore dollars", "SGD"),
        ("Hong Kong dollars", "HKD"),
        ("RMB", "CNY"),
        ("renminbi", "CNY"),
    ],
)
def test_currency_names(name: str, code: str) -> None:
    assert name_unit(name) == code


def test_a_lower_case_word_is_no_currency_code() -> None:
    assert name_unit("all") is None


def test_currencies_agree() -> None:
    assert same_currency("SGD", "USD")  # any two dollars: "$" is the local one as often
    assert same_currency("CNY|JPY", "CNY")
    assert not same_currency("CNY", "JPY")
    assert not same_currency("EUR", "USD")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("S$500 million", "500 million Singapore dollars"),
        ("RMB 5 billion", "5 billion yuan"),
        ("¥3,000", "3,000 yen"),
        ("SGD 2m", "S$2m"),
    ],
)
def test_amounts_in_one_currency(a: str, b: str) -> None:
    (x,), (y,) = find_numbers(a), find_numbers(b)
    assert x.values[0] == y.values[0] and units_agree(x, y)


# Words that open sentences: ordinary English words, and names.
ORDINARY = ["meanwhile", "officials", "homeowners", "subsequently", "police", "former",
            "main", "residents", "speaking", "experts", "forecasters", "ex", "later"]  # fmt: skip
NAMES = ["merkel", "harris", "watson", "crick", "okonkwo", "zelensky", "tusk", "samsung",
         "smith", "johnson", "roberts", "williams", "xi"]  # fmt: skip


@pytest.mark.parametrize("word", ORDINARY)
def test_ordinary_words(word: str) -> None:
    assert ordinary_word(word)


@pytest.mark.parametrize("word", NAMES)
def test_names_are_no_ordinary_words(word: str) -> None:
    assert not ordinary_word(word)
