from __future__ import annotations

import pytest

from repair.answer import ProblemCode, parse_answer, plausible_length
from repair.chunker import Unit
from repair.formats.text import BlockKind
from repair.results import ReasonCode

UNITS = [
    Unit("P1", "P1", BlockKind.PARAGRAPH, "The first paragraph of the garbled text.", "\n\n"),
    Unit("P2", "P2", BlockKind.PARAGRAPH, "The second paragraph of the garbled text.", "\n"),
]
LONG = Unit("P3", "P3", BlockKind.PARAGRAPH, "A long paragraph that goes on and on. " * 5, "")
GOOD = "[[P1]] The first paragraph, repaired.\n[[P2]] The second paragraph, repaired."


def test_a_good_answer_is_matched_by_id() -> None:
    parsed = parse_answer(GOOD, UNITS)
    assert parsed.texts == {
        "P1": "The first paragraph, repaired.",
        "P2": "The second paragraph, repaired.",
    }
    assert not parsed.problems


def test_order_does_not_matter_and_type_suffix_is_accepted() -> None:
    parsed = parse_answer("[[P2|caption]] Two here.\n[[P1]] One here.", UNITS)
    assert set(parsed.texts) == {"P1", "P2"}


@pytest.mark.parametrize(
    ("content", "code", "usable"),
    [
        (None, "empty", set()),
        ("   ", "empty", set()),
        ("I'm sorry, but I can't help with that.", "refusal", set()),
        ("The first paragraph, repaired. The second one.", "missing-id", set()),
        ("[[P1]] Only the first, repaired well enough.", "missing-id", {"P1"}),
        (GOOD + "\n[[P2]] Again.", "duplicate-id", {"P1"}),
        ("[[P1]] \n[[P2]] The second paragraph, repaired.", "empty", {"P2"}),
        (
            "[[P1]] Here is the repaired text: the first.\n[[P2]] The second, repaired.",
            "commentary",
            {"P2"},
        ),
        (GOOD + "\n[[P3]] Too short.", "implausible-length", {"P1", "P2"}),
        ("[[P1]] @@123456@@ passage\n[[P2]] The second, fixed.", "prompt-echo", set()),
        (
            "[[P1]] The first, repaired [[P2]] here.\n[[P2]] The second, fixed.",
            "prompt-echo",
            {"P2"},
        ),
    ],
)
def test_bad_answers_are_detected(content: str | None, code: str, usable: set[str]) -> None:
    parsed = parse_answer(content, [*UNITS, LONG] if "[[P3]]" in (content or "") else UNITS)
    assert code in {p.code for p in parsed.problems}
    assert set(parsed.texts) == usable


@pytest.mark.parametrize(
    ("content", "code", "kept_because"),
    [
        ("I'm sorry, but I can't help with that.", ProblemCode.REFUSAL, ReasonCode.MODEL_REFUSED),
        ("   ", ProblemCode.EMPTY, ReasonCode.ANSWER_UNUSABLE),
        (GOOD + "\n[[P2]] Again.", ProblemCode.DUPLICATE_ID, ReasonCode.ANSWER_UNUSABLE),
        ("[[P1]] One.\n[[P2]] <t1/>Two.", ProblemCode.PLACEHOLDER, ReasonCode.MARKUP_CHANGED),
    ],
)
def test_each_problem_says_what_it_makes_of_a_kept_paragraph(
    content: str, code: ProblemCode, kept_because: ReasonCode
) -> None:
    (problem,) = parse_answer(content, UNITS).problems
    assert problem.code is code
    assert problem.reason_code is kept_because


def test_commentary_around_the_paragraphs_is_dropped_not_pasted() -> None:
    content = f"Here is the repaired text:\n\n{GOOD}\n\nLet me know if you need more changes."
    parsed = parse_answer(content, UNITS)
    assert parsed.texts["P2"] == "The second paragraph, repaired."
    assert all("Let me know" not in t and "Here is" not in t for t in parsed.texts.values())
    assert len(parsed.notes) == 2


def test_a_truncated_answer_keeps_only_complete_paragraphs() -> None:
    parsed = parse_answer(
        "[[P1]] The first paragraph, repaired.\n[[P2]] The sec", UNITS, truncated=True
    )
    assert set(parsed.texts) == {"P1"}
    assert [p.code for p in parsed.problems] == ["length"]


def test_unknown_ids_are_ignored() -> None:
    parsed = parse_answer(GOOD + "\n[[P9]] Something else entirely.", UNITS)
    assert set(parsed.texts) == {"P1", "P2"}
    assert any("P9" in note for note in parsed.notes)


_CREDITED = (
    "Reuters/Kevin Lamarque President Trump and President Putin shook his hands during "
    "a joint press conference Reuters/Kevin Lamarque"
)


@pytest.mark.parametrize(
    ("source", "repaired", "caption", "ok"),
    [
        ("a" * 200, "a" * 150, False, True),
        ("a" * 200, "a" * 60, False, False),
        ("a" * 200, "a" * 450, False, False),
        ("Short head", "A short heading here", False, True),
        (_CREDITED, "Reuters/Kevin Lamarque: Trump and Putin shook hands", True, True),
        (_CREDITED, "Reuters/Kevin Lamarque: Trump and Putin shook hands", False, False),
    ],
)
def test_plausible_length(source: str, repaired: str, caption: bool, ok: bool) -> None:
    assert plausible_length(source, repaired, caption=caption) is ok


MARKED = Unit(
    "P4",
    "P4",
    BlockKind.PARAGRAPH,
    "The envoy <t1>Steve Witcooff</t1> has flown<t2/>to Moscow<t3/>.",
    "",
)


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ("The envoy <t1>Steve Witkoff</t1> flew<t2/>to Moscow<t3/>.", None),
        # Spacing and case models use for tags are read as the placeholder sent.
        ("The envoy < t1 >Steve Witkoff</ T1> flew<t2 />to Moscow<t3/>.", None),
        ("The envoy Steve Witkoff</t1> flew<t2/>to Moscow<t3/>.", "placeholder"),
        ("The envoy <t1>Steve Witkoff</t1> flew<t2/><t2/>to Moscow<t3/>.", "placeholder"),
        ("The envoy <t1>Steve Witkoff</t1> flew<t3/>to Moscow<t2/>.", "placeholder"),
        ("The envoy <t1>Steve Witkoff</t1> flew<t2/>to <b>Moscow</b><t3/>.", "markup"),
        ("The envoy <t1>Steve Witkoff</t1> flew<t2/>to **Moscow**<t3/>.", "markup"),
    ],
)
def test_placeholders_must_come_back_once_in_order(answer: str, code: str | None) -> None:
    parsed = parse_answer(f"[[P4]] {answer}", [MARKED])
    if code is None:
        assert not parsed.problems
        assert parsed.texts["P4"] == "The envoy <t1>Steve Witkoff</t1> flew<t2/>to Moscow<t3/>."
    else:
        assert [p.code for p in parsed.problems] == [code]
        assert "P4" not in parsed.texts


def test_plain_text_that_mentions_tags_may_keep_them() -> None:
    unit = Unit("P5", "P5", BlockKind.PARAGRAPH, "Editors wrote <b> around the name.", "")
    parsed = parse_answer("[[P5]] The editors wrote <b> around the name.", [unit])
    assert not parsed.problems


def test_a_tag_letter_names_the_kind_and_the_id_is_the_paragraphs() -> None:
    units = [
        Unit("P1", "P1", BlockKind.HEADING, "A heading of some words", "\n\n"),
        Unit("P2", "P2", BlockKind.CAPTION, "Photo: a garbled caption credit", "\n\n"),
    ]
    parsed = parse_answer("H1 A heading, repaired\nC2 Photo: a caption credit", units)
    assert parsed.texts == {"P1": "A heading, repaired", "P2": "Photo: a caption credit"}
    # The letter is not part of the id: C2 and P2 are one paragraph, answered twice.
    parsed = parse_answer("H1 A heading, repaired\nC2 Photo: a credit\nP2 Photo: a credit", units)
    assert set(parsed.texts) == {"P1"}
    assert [p.code for p in parsed.problems] == [ProblemCode.DUPLICATE_ID]
    # "H2 is cheap" inside a paragraph is text: only the start of a line is a tag.
    parsed = parse_answer("P1 The heading says H2 is cheap", units[:1])
    assert parsed.texts == {"P1": "The heading says H2 is cheap"}
