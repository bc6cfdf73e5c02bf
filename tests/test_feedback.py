"""A repair that changes a fact is asked again with the findings, then kept original."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from repair import FactError, ReasonCode, pipeline, repair_article
from repair.cli import main
from repair.testing.fake import FakeServer
from tests.conftest import config_for, small_article

# A paragraph line of the prompt: its tag, then its text.
TAGGED = re.compile(r"^[PHC]\d+(?:\.\d+)?(?:\|[a-z]+)? ")

# Seed paragraphs 39-41: "Last month, Donald Trump announced a 50-day ultimatum ..."
SOURCE, EXPECTED = small_article(first=39, count=3)


def test_a_changed_number_is_fixed_by_the_feedback_round(server: FakeServer) -> None:
    server.script("change-number")
    result = repair_article(SOURCE, config_for(server))
    requests = server.chat_requests()
    assert len(requests) == 2 and requests[0].fault == "change-number"
    assert requests[1].units == ["P1"]  # only the failing paragraph is asked again
    assert result.text == EXPECTED
    assert result.ok and result.report is not None and result.report.ok
    assert result.usage.calls == 2  # the re-ask is counted in usage


def test_the_feedback_names_the_changed_fact(server: FakeServer) -> None:
    import asyncio

    from repair import ChatReply, ChatRequest, Usage, arepair_article

    asked: list[str] = []

    class ChangesFifty:
        async def complete(self, request: ChatRequest) -> ChatReply:
            asked.append(request.messages[-1]["content"])
            lines = [x for x in request.messages[-1]["content"].splitlines() if TAGGED.match(x)]
            return ChatReply(
                "\n".join(lines).replace("50-day", "60-day"), "stop", "m", Usage(calls=1)
            )

        async def aclose(self) -> None:
            return None

    result = asyncio.run(
        arepair_article(SOURCE, config_for(server, max_reasks=1), client=ChangesFifty())
    )
    assert len(asked) == 2
    assert "could not be used" in asked[1] and "50" in asked[1] and "60" in asked[1]
    flagged = result.flagged
    assert [p.id for p in flagged] == ["P1"]
    assert flagged[0].repaired == flagged[0].source
    assert any("50" in f and "60" in f for f in flagged[0].findings)


def test_a_number_changed_every_time_keeps_the_original_flagged(server: FakeServer) -> None:
    server.script(*["change-number"] * 3)
    result = repair_article(SOURCE, config_for(server, max_reasks=2))
    assert len(server.chat_requests()) == 3
    first = result.paragraphs[0]
    assert first.status == "kept-original" and first.repaired == first.source
    assert first.reason_code is ReasonCode.FACTS_CHANGED
    assert first.findings and "50" in first.findings[0]
    # The other paragraphs were fine the first time and stay repaired.
    assert [p.status for p in result.paragraphs[1:]] == ["repaired", "repaired"]
    assert [p.reason_code for p in result.paragraphs[1:]] == [None, None]


def test_repair_fix_exits_1_when_a_fact_keeps_changing(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = tmp_path / "a.txt"
    article.write_text(SOURCE, encoding="utf-8")
    server.script(*["change-number"] * 3)
    code = main(["fix", str(article), "--base-url", server.base_url, "--verify", "rules"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "50-day" in out  # the original paragraph, not the changed one
    assert "flagged P1" in err and "50" in err


def test_facts_that_cannot_be_compared_keep_the_original_not_lose_the_article(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(source: str, repaired: str, **_: object) -> list[object]:
        raise FactError("could not compare paragraph: a bug met on unusual input")

    monkeypatch.setattr(pipeline, "validate_paragraph", unreadable)
    result = repair_article(SOURCE, config_for(server, max_reasks=1))
    assert len(server.chat_requests()) == 2  # another answer might have read better
    assert result.text == SOURCE
    assert all(p.reason_code is ReasonCode.FACTS_UNCHECKED for p in result.paragraphs)
    assert all("could not compare" in (p.reason or "") for p in result.paragraphs)


def test_the_feedback_quotes_the_source_wording_to_restore(server: FakeServer) -> None:
    """A dropped negation is sent back with the article's sentence, so the model sees
    what to restore, and told which side of 'A became B' is the article's."""
    import asyncio

    from repair import ChatReply, ChatRequest, Usage, arepair_article

    asked: list[str] = []

    class DropsTheNot:
        async def complete(self, request: ChatRequest) -> ChatReply:
            asked.append(request.messages[-1]["content"])
            lines = [x for x in request.messages[-1]["content"].splitlines() if TAGGED.match(x)]
            answer = "\n".join(lines).replace("there is no sign", "there is a sign")
            return ChatReply(answer, "stop", "m", Usage(calls=1))

        async def aclose(self) -> None:
            return None

    asyncio.run(arepair_article(SOURCE, config_for(server, max_reasks=1), client=DropsTheNot()))
    assert len(asked) == 2
    feedback = asked[1].split("could not be used:")[1]
    assert "P1: the negation 'no' of the source is missing from the repair:" in feedback
    assert "'So far, there is no sign that Vladimir Putin will pressure Washington.'" in feedback
    assert "'So far, there is a sign that Vladimir Putin will pressure Washington.'" in feedback
    assert "A is the article's wording and B is yours" in feedback
