"""Numbers as values: words, digits, separators, money, percentages, ordinals, ranges."""

from __future__ import annotations

import pytest

from repair.facts.numbers import NumberMention, find_numbers, parse_number_words, unmatched


@pytest.mark.parametrize(
    ("phrase", "value"),
    [
        ("ten", 10),
        ("three and a half", 3.5),
        ("a dozen", 12),
        ("twenty-one", 21),
        ("ninety nine", 99),
        ("six hundred", 600),
        ("one hundred and fifty", 150),
        ("two thousand five hundred", 2500),
        ("half a million", 500_000),
        ("one and a half million", 1_500_000),
        ("two thirds", 2 / 3),
        ("a hundred", 100),
        ("fourteen", 14),
        ("second", 2),
        ("twenty-first", 21),
    ],
)
def test_number_words(phrase: str, value: float) -> None:
    assert parse_number_words(phrase) == pytest.approx(value)


@pytest.mark.parametrize("phrase", ["", "banana", "one two", "ten apples", "and"])
def test_not_a_number_phrase(phrase: str) -> None:
    assert parse_number_words(phrase) is None


def _values(text: str) -> list[tuple[float, str | None]]:
    return [(n.value, n.unit) for n in find_numbers(text) if not n.weak]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a 50-day ultimatum", [(50, "day")]),
        ("cut to ten days", [(10, "day")]),
        ("£310m", [(310e6, "GBP")]),
        ("£310 million", [(310e6, "GBP")]),
        ("$1.2bn", [(1.2e9, "USD")]),
        ("1.2 billion dollars", [(1.2e9, "USD")]),
        ("€4bn a year", [(4e9, "EUR")]),
        ("5%", [(5, "percent")]),
        ("5 per cent", [(5, "percent")]),
        ("five percent", [(5, "percent")]),
        ("2,4 million containers", [(2.4e6, None)]),
        ("4,7% of GDP", [(4.7, "percent")]),
        ("2,500 people", [(2500, None)]),
        ("6 500 people", [(6500, None)]),
        ("1,234,567", [(1234567, None)]),
        ("1.234.567", [(1234567, None)]),
        ("1.234,5", [(1234.5, None)]),
        ("between 3 and 4%", [(3, None), (4, "percent")]),
        ("3-4", [(3, None), (4, None)]),
        ("Trump's second presidency", [(2, None)]),
        ("the 87th minute", [(87, "minute")]),
        ("187mm of rain", [(187, "mm")]),
        ("30°C", [(30, "deg")]),
        ("7.3 mm Hg", [(7.3, "mmhg")]),
        ("three and a half years of war", [(3.5, "year")]),
        ("four years and six months", [(4.5, "year")]),
        ("at 10pm", [(22, None)]),
        ("hundreds of thousands", [(1e5, None)]),
        ("the 1990s", [(1990, None)]),
    ],
)
def test_find_numbers(text: str, expected: list[tuple[float, str | None]]) -> None:
    got = _values(text)
    assert [v for v, _ in got] == pytest.approx([v for v, _ in expected])
    assert [u for _, u in got] == [u for _, u in expected]


@pytest.mark.parametrize(
    "text",
    [
        "no one is going to stop",
        "the one who left",
        "at first, nobody came",
        "a man and an ape",
        "F-16 jets and COVID-19",
        "G7 leaders",
        "after the half-time break",
    ],
)
def test_not_counted_as_numbers(text: str) -> None:
    assert _values(text) == []


def test_ambiguous_separator_keeps_both_readings() -> None:
    (n,) = find_numbers("£412.750")
    assert set(n.values) == {412.75, 412750}


@pytest.mark.parametrize(
    ("text", "kind"),
    [("in 2018, they met", "year"), ("1300 tractors", "cardinal"), ("2027 for repairs", "year")],
)
def test_years_and_counts(text: str, kind: str) -> None:
    assert find_numbers(text)[0].kind == kind


def _diff(a: str, b: str) -> tuple[list[str], list[str]]:
    missing, added = unmatched(find_numbers(a), find_numbers(b), a, b)
    return [n.text for n in missing], [n.text for n in added]


@pytest.mark.parametrize(
    ("source", "repair"),
    [
        ("ten days", "10 days"),
        ("three and a half years", "3.5 years"),
        ("a 50-day ultimatum", "an ultimatum of 50 days"),
        ("$1.2bn", "1.2 billion dollars"),
        ("5%", "five per cent"),
        ("from two sides", "from both sides"),
        ("one day later", "a day later"),
        ("18.452 votes", "18,452 votes"),
        ("at 22.00", "at 10pm"),
        ("Service 24 Brigade/EPA. Service 24 Brigade/EPA", "Service of the 24th Brigade/EPA"),
    ],
)
def test_same_numbers(source: str, repair: str) -> None:
    assert _diff(source, repair) == ([], [])


@pytest.mark.parametrize(
    ("source", "repair", "missing", "added"),
    [
        ("a 50-day ultimatum", "a 60-day ultimatum", ["50-day"], ["60-day"]),
        ("two submarines", "three submarines", ["two"], ["three"]),
        ("5%", "5 days", ["5%"], ["5 days"]),
        ("two children", "children", ["two"], []),
        ("children", "12 children", [], ["12"]),
        ("fell by 8.2%", "fell by 2.8%", ["8.2%"], ["2.8%"]),
    ],
)
def test_changed_numbers(source: str, repair: str, missing: list[str], added: list[str]) -> None:
    assert _diff(source, repair) == (missing, added)


def test_weak_numbers_alone_are_not_findings() -> None:
    weak = [n for n in find_numbers("no one came at first") if n.weak]
    assert weak and all(isinstance(n, NumberMention) for n in weak)
    assert _diff("no one came at first", "nobody came initially") == ([], [])
