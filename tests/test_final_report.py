"""The report of a repair is the whole article checked, though a paragraph the pipeline
already compared is not compared again."""

from __future__ import annotations

import re
from typing import Any

import pytest

from repair import ChatReply, ChatRequest, RepairResult, Usage, repair_article
from repair.results import ValidationIssue
from repair.testing.fake import FakeServer
from repair.testing.golden import GoldenCase, load_cases
from repair.validation import check, validate_paragraph
from repair.validation import compare as compare_module
from tests.conftest import config_for

CASES = [c for c in load_cases() if c.reference is not None]


def _full_check(case: GoldenCase, result: RepairResult) -> list[tuple[str, str | None, str]]:
    report = check(case.input, result.text, case.format, glossary=result.glossary.mapping())
    return [(i.kind, i.paragraph, i.message) for i in report.issues]


def _issues(result: RepairResult) -> list[tuple[str, str | None, str]]:
    assert result.report is not None
    return [(i.kind, i.paragraph, i.message) for i in result.report.issues]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_report_is_that_of_the_whole_article_checked(
    case: GoldenCase, server: FakeServer
) -> None:
    result = repair_article(case.input, config_for(server), fmt=case.format)
    assert _issues(result) == _full_check(case, result)


class _SpellsNames:
    """A model that mends the seed's garbled spellings of Witkoff and nothing else."""

    async def complete(self, request: ChatRequest) -> ChatReply:
        asked = request.messages[-1]["content"].splitlines()
        units = [line for line in asked if re.match(r"[PHC]\d+(?:\.\d+)?(?:\|[a-z]+)? ", line)]
        answer = re.sub(r"\b(?:Witcooff|Witcoof|Vitcoof)\b", "Witkoff", "\n".join(units))
        return ChatReply(answer, "stop", "m", Usage(calls=1))

    async def aclose(self) -> None:
        return None


def test_only_paragraphs_repaired_in_pieces_are_compared_again(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each unit was compared as the model returned it; a paragraph split into pieces was
    not compared whole, and is, at the end. No other paragraph is compared twice."""
    case = next(c for c in CASES if c.name == "putin-trump")
    compared: list[str] = []
    validate_one = compare_module.validate_paragraph

    def recording(source: str, repaired: str, **kw: Any) -> list[ValidationIssue]:
        compared.append(source)
        return validate_one(source, repaired, **kw)

    # The final check calls it through `compare`; the pipeline's own per unit is not this.
    monkeypatch.setattr(compare_module, "validate_paragraph", recording)
    config = config_for(server, chunk_chars=200, glossary_pass=False)
    result = repair_article(case.input, config, client=_SpellsNames())
    in_pieces = {u.rsplit(".", 1)[0] for c in result.calls for u in c.units if "." in u}
    repaired = {p.id: p.source for p in result.paragraphs if p.status == "repaired"}
    assert set(repaired) - in_pieces  # whole paragraphs were repaired...
    assert set(repaired) & in_pieces  # ...and paragraphs in pieces
    assert sorted(compared) == sorted(repaired[i] for i in set(repaired) & in_pieces)
    assert _issues(result) == _full_check(case, result)


def test_answers_that_change_facts_leave_the_report_whole(server: FakeServer) -> None:
    """Units the model got wrong are kept as they were: the report still says what the
    whole check says."""
    case = next(c for c in CASES if c.name == "putin-trump")
    server.script(*["change-number"] * 4)
    result = repair_article(case.input, config_for(server, max_reasks=0))
    assert any(p.status == "kept-original" for p in result.paragraphs)
    assert any(p.status == "repaired" for p in result.paragraphs)
    assert _issues(result) == _full_check(case, result)


def test_a_glossary_only_excuses_names() -> None:
    """What makes the shortcut sound: a paragraph clean with part of a glossary is clean
    with all of it (the pipeline compares a unit with its chunk's glossary, the article with
    the whole)."""
    source = "Mr Witcooff met Mr Tusc in Warsaw, and Vitcoof flew on to Moscow."
    repaired = "Mr Witkoff met Mr Tusk in Warsaw, and Witkoff flew on to Moscow."
    whole = {"Witcooff": "Witkoff", "Vitcoof": "Witkoff", "Tusc": "Tusk", "Izvestia": "Izvestiya"}
    for drop in [*whole, None]:
        part = {k: v for k, v in whole.items() if k != drop}
        if validate_paragraph(source, repaired, glossary=part) == []:
            assert validate_paragraph(source, repaired, glossary=whole) == []
