"""The validator: tolerant of rewording, strict about facts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repair.errors import FactError
from repair.results import ValidationReport
from repair.validation import validate, validate_paragraph
from tests.conftest import NEWS_WORDS


def kinds(source: str, repaired: str, **kw: object) -> set[str]:
    return {i.kind for i in validate_paragraph(source, repaired, **kw)}  # type: ignore[arg-type]


# Garbled sources and fluent repairs that keep every fact.
ACCEPTED = [
    (
        "Subsequently, it decreased to ten days. The deadline should end at the end of this week.",
        "It was subsequently cut to 10 days. The deadline expires at the end of this week.",
    ),
    (
        "Meanwhile, Donald Trump’s Messenger Steve Witcooff has become a permanent visitors "
        "to Russia.",
        "Meanwhile, Donald Trump’s envoy Steve Witkoff has become a regular visitor to Russia.",
    ),
    (
        "Donald Trump and Prime Minister of Poland Donald Tusc on Wednesday agreed about a "
        "twelve-year deal at cost of 8 billion dollars, but did not manage to settle the dispute.",
        "Donald Trump and the Polish prime minister, Donald Tusk, agreed on Wednesday to a "
        "12-year deal worth $8bn, but failed to settle the dispute.",
    ),
    (
        '“Nobody is not thrown overboard," she said.',
        "“Nobody is being thrown overboard,” she said.",
    ),
    (
        "Mr Tramp assumed that part could be moved if European allies will not pay more.",
        "Mr Trump has suggested that some could be moved unless European allies pay more.",
    ),
    (
        "The turnout was 41.3 percent, up from 36.8 percent on last election in 2021.",
        "Turnout was 41.3%, up from 36.8% at the last election in 2021.",
    ),
    (
        "Polling stations closed at 22.00 on Thursday.",
        "Polls closed at 10pm on Thursday.",
    ),
    (
        "The same newspaper was held next month:",
        "The same newspaper declared the following month:",
    ),
]


@pytest.mark.parametrize(("source", "repaired"), ACCEPTED)
def test_repairs_that_keep_the_facts(source: str, repaired: str) -> None:
    assert validate_paragraph(source, repaired) == []


# Each changes exactly one fact; the validator must name the kind.
CAUGHT = [
    ("Trump announced a 50-day ultimatum.", "Trump announced a 60-day ultimatum.", "number"),
    ("It was cut to ten days.", "It was cut to five days.", "number"),
    ("They met in Helsinki in 2018.", "They met in Helsinki in 2019.", "date"),
    ("Trump said on Sunday that it was over.", "Trump said on Saturday that it was over.", "date"),
    ("Izvestia wrote last month.", "Izvestia wrote this month.", "date"),
    ("His envoy, Steve Witkoff, flew in.", "His envoy, Steve Whitaker, flew in.", "entity"),
    ("Donald Tusk met Mr Biden.", "Donald Trump met Mr Biden.", "entity"),
    (
        "The US sided with Russia, condemning Russia’s war in Ukraine.",
        "The US sided with Ukraine, condemning Russia’s war in Ukraine.",
        "entity",
    ),
    ("He did not want to stop.", "He wanted to stop.", "negation"),
    ("Moscow is seeking a solution.", "Moscow is not seeking a solution.", "negation"),
    (
        "The project was not without controversy.",
        "The project was without controversy.",
        "negation",
    ),
    (
        "He called the attacks “disgusting”, she said.",
        "He called the attacks “disappointing”, she said.",
        "quote",
    ),
    (
        "Mr Tusk was cautious. “Gas is important,” he said.",
        "Mr Tusk was cautious. “Gas is important,” he said. “I trust Trump completely,” he added.",
        "quote",
    ),
    (
        "“I hear such promises for 30 years,” Mr Okafor said.",
        "“I hear such promises for 30 years,” Ms Marsh said.",
        "entity",
    ),
    (
        "The library reopened. Entry to the library and the exhibition is free.",
        "The library reopened.",
        "omission",
    ),
    (
        "The library reopened on Saturday.",
        "The library reopened on Saturday. It will close again for repairs in 2027.",
        "addition",
    ),
]


@pytest.mark.parametrize(("source", "repaired", "kind"), CAUGHT)
def test_fact_changes_are_caught(source: str, repaired: str, kind: str) -> None:
    assert kind in kinds(source, repaired)


def test_message_names_both_sides() -> None:
    (issue,) = validate_paragraph("Trump set a 50-day ultimatum.", "Trump set a 60-day ultimatum.")
    assert issue.message == "'50-day ultimatum' became '60-day ultimatum'"
    assert issue.source is not None and issue.source.text == "50-day ultimatum"
    assert issue.repaired is not None and issue.repaired.start == 12


def test_glossary_declares_a_legal_name_change() -> None:
    source, repaired = (
        "Officials of the Union of Dock Workers met.",
        "Officials of the Harbour Guild met.",
    )
    assert "entity" in kinds(source, repaired)
    assert (
        validate_paragraph(source, repaired, glossary={"Union of Dock Workers": "Harbour Guild"})
        == []
    )


def test_paragraph_id_is_carried() -> None:
    (issue,) = validate_paragraph("It cost £5m.", "It cost £6m.", paragraph_id="P7")
    assert issue.paragraph == "P7"


SOURCE = "Headline\n\nFirst paragraph with 3 facts.\n\nSecond one, in 2018.\n\nThird, on Monday.\n"


def test_article_offsets_point_into_both_texts() -> None:
    repaired = SOURCE.replace("2018", "2019")
    report = validate(SOURCE, repaired)
    assert not report.ok
    (issue,) = report.issues
    assert issue.kind == "date" and issue.paragraph == "P3"
    assert issue.source is not None and issue.repaired is not None
    assert SOURCE[issue.source.start : issue.source.end] == issue.source.text
    assert repaired[issue.repaired.start : issue.repaired.end] == issue.repaired.text


@pytest.mark.parametrize(
    ("repaired", "expected"),
    [
        (SOURCE.replace("facts.\n\nSecond", "facts. Second"), {"structure"}),
        (SOURCE.replace("Second one, in 2018.\n\n", ""), {"structure", "omission"}),
        (
            SOURCE.replace("Third", "Inserted paragraph about 12 ministers.\n\nThird"),
            {"structure", "addition"},
        ),
    ],
)
def test_paragraph_structure(repaired: str, expected: set[str]) -> None:
    assert expected <= {i.kind for i in validate(SOURCE, repaired).issues}


def test_report_round_trips_as_json() -> None:
    report = validate(SOURCE, SOURCE.replace("3 facts", "4 facts"))
    assert ValidationReport.model_validate_json(report.model_dump_json()) == report


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_a_text_is_its_own_faithful_repair(text: str) -> None:
    assert validate_paragraph(text, text) == []


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(NEWS_WORDS),
        max_size=60,
    ).map(" ".join)
)
def test_news_like_text_is_its_own_faithful_repair(text: str) -> None:
    assert validate_paragraph(text, text) == []
    assert validate(text, text).ok


def test_what_cannot_be_compared_is_a_fact_error() -> None:
    with pytest.raises(FactError):
        validate_paragraph(None, "text")  # type: ignore[arg-type]
    with pytest.raises(FactError):
        validate("text", b"bytes")  # type: ignore[arg-type]
