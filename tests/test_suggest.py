"""Suggestions for the editor, one function at a time: the block split off the answer, each
line parsed strictly, each proposal checked against its repaired paragraph; every bad
one dropped with a note."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from repair import ChatReply, ChatRequest, Usage, repair_article
from repair.results import Glossary, GlossaryEntry, ParagraphResult, Suggestion
from repair.suggest import (
    Candidate,
    Proposal,
    accepted_ids,
    from_glossary,
    parse_block,
    resolve,
    split_answer,
)
from repair.testing.fake import FakeServer
from tests.conftest import config_for


def paragraph(pid: str, text: str, source: str | None = None) -> ParagraphResult:
    return ParagraphResult(
        id=pid, kind="paragraph", status="repaired", source=source or text, repaired=text
    )


def line(**overrides: Any) -> str:
    entry = {
        "paragraph": "P2",
        "span": "Cao Cao",
        "replacement": "Gong Zheng",
        "kind": "name",
        "confidence": "high",
        "reason": "P1 names the deputy mayor Gong Zheng",
    }
    entry.update(overrides)
    return json.dumps({k: v for k, v in entry.items() if v is not None})


def proposal(**overrides: Any) -> Candidate:
    return Candidate(Proposal.model_validate_json(line(**overrides)))


PARAGRAPHS = [
    paragraph("P1", "The deputy mayor, Gong Zheng, opened the fair."),
    paragraph("P2", "Cao Cao, the deputy mayor, said 40 companies had not registered."),
    paragraph("P3", "Cao Cao met Cao Cao's guests, about 10 thousand people."),
]


# --- the block, split off the answer --------------------------------------------------


@pytest.mark.parametrize(
    "marker", ["SUGGESTIONS", "Suggestions:", "**Suggestions:**", "## SUGGESTIONS"]
)
def test_the_block_is_split_off_whatever_its_dress(marker: str) -> None:
    answer = f"P1 One.\nP2 Two.\n{marker}\n{line()}"
    paragraphs, block = split_answer(answer)
    assert paragraphs == "P1 One.\nP2 Two."
    assert block is not None and block.strip() == line()


def test_an_answer_without_a_block_is_left_alone() -> None:
    answer = "P1 Suggestions for the town's budget were made.\nP2 Two."
    assert split_answer(answer) == (answer, None)
    assert split_answer(None) == (None, None)


# --- each line, strictly --------------------------------------------------------------


def test_a_good_line_is_a_proposal() -> None:
    found, notes = parse_block(line(), {"P2"})
    assert notes == []
    assert found == [Proposal.model_validate_json(line())]


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("{paragraph: P2, span: Cao Cao}", "not the JSON asked for"),
        (line(kind="colour"), "kind"),
        (line(confidence="certain"), "confidence"),
        (line(replacement=None), "replacement"),
        (line(span=""), "span"),
        (line(extra="field"), "extra"),
        (line(paragraph="Paragraph two"), "paragraph"),
        (line(paragraph="P7"), "P7 is not a paragraph of the passage"),
    ],
)
def test_a_bad_line_is_dropped_with_a_note(bad: str, says: str) -> None:
    found, notes = parse_block(f"{line()}\n{bad}", {"P2"})
    assert len(found) == 1  # the good line survives its bad neighbour
    assert len(notes) == 1 and says in notes[0] and notes[0].startswith("suggestion dropped")


def test_an_empty_block_or_none_or_code_fences_are_no_suggestions_and_no_notes() -> None:
    for block in ("", "\n", "none", "[]", "```\n```"):
        assert parse_block(block, {"P2"}) == ([], [])
    found, notes = parse_block(f"```json\n{line()}\n```", {"P2"})
    assert len(found) == 1 and notes == []


def test_a_block_of_prose_is_dropped_line_by_line() -> None:
    found, notes = parse_block("I would change Cao Cao.\nAnd maybe Xiamen.", {"P2"})
    assert found == [] and len(notes) == 2


# --- each proposal, against its repaired paragraph -------------------------------------


def test_good_proposals_are_numbered_in_article_order_with_their_spans() -> None:
    candidates = [
        proposal(paragraph="P3", span="10 thousand", replacement="10 million", kind="number"),
        proposal(),
    ]
    suggestions, notes = resolve(candidates, PARAGRAPHS)
    assert notes == []
    assert [(s.id, s.paragraph, s.original, s.replacement) for s in suggestions] == [
        ("S1", "P2", "Cao Cao", "Gong Zheng"),
        ("S2", "P3", "10 thousand", "10 million"),
    ]
    for s in suggestions:
        text = next(p.repaired for p in PARAGRAPHS if p.id == s.paragraph)
        assert text[s.start : s.end] == s.original


def test_every_occurrence_in_the_paragraph_is_offered() -> None:
    suggestions, _ = resolve([proposal(paragraph="P3")], PARAGRAPHS)
    assert [(s.paragraph, s.start) for s in suggestions] == [("P3", 0), ("P3", 12)]


def test_a_piece_of_a_paragraph_speaks_for_its_paragraph() -> None:
    suggestions, notes = resolve([proposal(paragraph="P2.1")], PARAGRAPHS)
    assert notes == [] and [s.paragraph for s in suggestions] == ["P2"]


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"span": "Liu Bei"}, "not in the repaired paragraph"),
        ({"replacement": "Cao  Cao"}, "the replacement is the span itself"),
        ({"paragraph": "P9"}, "no paragraph P9"),
        ({"span": "had not registered", "replacement": "had registered"}, "negation"),
        ({"span": "40 companies", "replacement": "400 companies", "kind": "term"}, "figures"),
        ({"span": "40 companies", "replacement": "4 companies", "kind": "number"}, "figures"),
        (
            {"span": "the deputy mayor", "replacement": "the deputy mayor", "kind": "office"},
            "itself",
        ),
        (
            {
                "span": "Cao Cao, the deputy mayor, said 40 companies had",
                "replacement": "Gong Zheng, the mayor, said 40 firms had",
            },
            "longer than",
        ),
    ],
)
def test_a_bad_proposal_is_dropped_with_a_note(changes: dict[str, str], says: str) -> None:
    suggestions, notes = resolve([proposal(**changes)], PARAGRAPHS)
    assert suggestions == []
    assert len(notes) == 1 and says in notes[0], notes


def test_a_duplicate_or_an_overlap_is_dropped_and_the_first_kept() -> None:
    candidates = [
        proposal(),
        proposal(reason="again"),
        proposal(span="Cao Cao, the deputy mayor", replacement="Gong Zheng, the deputy mayor"),
    ]
    suggestions, notes = resolve(candidates, PARAGRAPHS)
    assert [(s.original, s.reason) for s in suggestions] == [
        ("Cao Cao", "P1 names the deputy mayor Gong Zheng")
    ]
    assert "proposed twice" in notes[0] and "overlaps" in notes[1]


def test_a_term_whose_words_change_may_change_its_figures() -> None:
    """'the 9/2 consensus' is the 1992 Consensus: a term, not a number changed alone."""
    text = [paragraph("P1", "Both sides must return to the 9/2 consensus, he said.")]
    candidate = proposal(paragraph="P1", span="9/2 consensus", replacement="1992 Consensus")
    suggestions, notes = resolve([candidate], text)
    assert notes == [] and suggestions[0].kind == "name"


# --- a glossary cluster given another name ---------------------------------------------


def test_a_glossary_name_that_is_none_of_the_spellings_becomes_suggestions() -> None:
    entry = GlossaryEntry(
        canonical="Witcooff",
        variants=["Vitcoof", "Witcooff"],
        role="US envoy",
        proposed="Jared Kushner",
    )
    text = [
        paragraph("P1", "Steve Witkoff met the president."),
        paragraph("P2", "Mr Vitcoof said nothing. Mr Vitcoof left."),
        paragraph("P3", "Nobody else was there."),
    ]
    suggestions, notes = resolve(from_glossary(Glossary(entries=[entry]), text), text)
    assert notes == []
    assert [(s.paragraph, s.original, s.replacement, s.origin) for s in suggestions] == [
        ("P1", "Steve Witkoff", "Jared Kushner", "glossary"),
        ("P2", "Vitcoof", "Kushner", "glossary"),
        ("P2", "Vitcoof", "Kushner", "glossary"),
    ]
    assert "US envoy" in suggestions[0].reason
    pinned = entry.model_copy(update={"source": "editor"})
    assert from_glossary(Glossary(entries=[pinned]), text) == []


# --- which ones the editor accepts ------------------------------------------------------


def _suggestion(n: int, confidence: str) -> Suggestion:
    return Suggestion.model_validate(
        {
            "id": f"S{n}",
            "paragraph": "P1",
            "start": 0,
            "end": 1,
            "original": "a",
            "replacement": "b",
            "kind": "name",
            "reason": "",
            "confidence": confidence,
        }
    )


def test_accepted_ids() -> None:
    suggestions = [_suggestion(1, "high"), _suggestion(2, "low"), _suggestion(3, "high")]
    assert accepted_ids("s1, S3,S1", suggestions) == ["S1", "S3"]
    assert accepted_ids("all-high", suggestions) == ["S1", "S3"]
    assert accepted_ids("all-high,S2", suggestions) == ["S1", "S3", "S2"]
    assert accepted_ids("", suggestions) == []
    assert accepted_ids("S9", suggestions) == ["S9"]  # refused by apply_choices, by name


# --- in the pipeline: a block cut off by the length limit -------------------------------


class _CutInTheBlock:
    """A model whose answer runs out of tokens inside its suggestions block."""

    def __init__(self, block: str) -> None:
        self.block = block

    async def complete(self, request: ChatRequest) -> ChatReply:
        asked = request.messages[-1]["content"].splitlines()
        units = [ln for ln in asked if re.match(r"P\d+(?:\.\d+)? ", ln)]
        return ChatReply("\n".join(units) + self.block, "length", "m", Usage(calls=1))

    async def aclose(self) -> None:
        return None


def test_a_block_cut_off_keeps_the_paragraphs_and_its_whole_lines(server: FakeServer) -> None:
    article = "Cao Cao, the deputy mayor, opened the fair.\n\nGuests came from Mansion Gate.\n"
    good = line(paragraph="P1")
    cut = line(paragraph="P2", span="Mansion Gate", replacement="Xiamen")[:40]
    config = config_for(server, glossary_pass=False)
    result = repair_article(article, config, client=_CutInTheBlock(f"\nSUGGESTIONS\n{good}\n{cut}"))
    assert [p.status for p in result.paragraphs] == ["unchanged", "unchanged"]
    assert result.text == article and result.ok
    assert [(s.paragraph, s.original) for s in result.suggestions] == [("P1", "Cao Cao")]
    assert any("not the JSON asked for" in n for n in result.notes)


def test_a_heading_or_caption_tag_names_its_paragraph() -> None:
    """The passage tags a heading H7 and a caption C7 (prompts.tag); a model that names the
    paragraph by that tag means P7."""
    line = '{"paragraph": "C7", "span": "a", "replacement": "b", "kind": "name", '
    line += '"confidence": "high", "reason": "r"}'
    proposals, notes = parse_block(line, {"P7"})
    assert [p.paragraph for p in proposals] == ["P7"] and not notes
