"""Every fault the fake server can play, through the real SDK over real HTTP.

Each test shows the outcome a user should get: recovered when a retry or a re-ask can
fix it, otherwise the paragraph keeps its original text and is flagged. Never a wrong
text, never a crash, never the key in any output.
"""

from __future__ import annotations

import pytest

from repair import (
    ChatReply,
    ChatRequest,
    ModelCallError,
    ModelOutputError,
    ReasonCode,
    RepairResult,
    repair_article,
)
from repair.testing.fake import FakeServer
from tests.conftest import TEST_KEY, config_for, small_article

SOURCE, EXPECTED = small_article()


def _repair(server: FakeServer, **overrides: object) -> RepairResult:
    result = repair_article(SOURCE, config_for(server, **overrides))
    assert TEST_KEY not in result.model_dump_json()
    return result


@pytest.mark.parametrize("fault", ["429", "500", "503", "drop", "slow"])
def test_transport_faults_are_retried_and_recovered(server: FakeServer, fault: str) -> None:
    server.script(fault)
    result = _repair(server)
    assert result.text == EXPECTED
    assert result.ok
    requests = server.chat_requests()
    assert [r.fault for r in requests] == [fault, None]
    assert [call.attempts for call in result.calls] == [2]


def test_retries_stop_at_the_policy_limit_and_the_chunk_is_kept(server: FakeServer) -> None:
    server.script(*["503"] * 10)
    result = _repair(server, max_attempts=3)
    assert len(server.chat_requests()) == 3  # exactly max_attempts, no layer multiplies them
    assert result.text == SOURCE
    assert all(p.status == "kept-original" for p in result.paragraphs)
    assert "HTTP 503 after 3 attempt(s)" in (result.paragraphs[0].reason or "")
    assert all(p.reason_code is ReasonCode.MODEL_UNREACHABLE for p in result.paragraphs)


def test_a_failed_call_keeps_the_paragraphs_as_model_unreachable(server: FakeServer) -> None:
    server.script("500")
    result = _repair(server, max_attempts=1)
    assert result.text == SOURCE
    assert [p.reason_code for p in result.paragraphs] == [ReasonCode.MODEL_UNREACHABLE] * 3
    # The code is for programs; the words stay for people, and in the JSON both read plainly.
    assert all(p.reason and p.reason.startswith("model call failed") for p in result.paragraphs)
    assert '"reason_code":"model-unreachable"' in result.model_dump_json()


def test_a_dropped_connection_flags_the_paragraphs_but_does_not_stop_the_article(
    server: FakeServer,
) -> None:
    # The server was reached and then hung up: a flaky endpoint, not a wrong one. Unlike a
    # refused connection (see the test below), the article goes on, those paragraphs kept.
    server.script("drop")
    result = _repair(server, max_attempts=1)
    assert result.text == SOURCE
    assert [p.reason_code for p in result.paragraphs] == [ReasonCode.MODEL_UNREACHABLE] * 3
    assert all("dropped the connection" in (p.reason or "") for p in result.paragraphs)


def test_retry_after_is_honoured(server: FakeServer) -> None:
    server.retry_after_ms = 400
    server.script("429")
    result = _repair(server)
    assert result.ok
    assert result.timings.total_s >= 0.4


@pytest.mark.parametrize(
    "fault", ["length", "missing-id", "duplicate-id", "empty", "echo", "commentary"]
)
def test_unusable_answers_are_reasked_and_recovered(server: FakeServer, fault: str) -> None:
    server.script(fault)
    result = _repair(server)
    assert result.text == EXPECTED
    assert result.ok
    requests = server.chat_requests()
    if fault == "commentary":
        # The paragraphs inside the commentary are usable as they are; the chatter is dropped.
        assert len(requests) == 1
        assert any("ignored text" in note for note in result.notes)
    else:
        assert len(requests) == 2
        assert requests[0].fault == fault


@pytest.mark.parametrize("fault", ["length", "missing-id", "duplicate-id", "empty", "echo"])
def test_persistent_bad_answers_keep_the_original_flagged(server: FakeServer, fault: str) -> None:
    server.script(*[fault] * 5)
    result = _repair(server, max_reasks=2)
    assert len(server.chat_requests()) == 3
    flagged = result.flagged
    assert flagged, "a paragraph with no usable answer must be flagged"
    for paragraph in flagged:
        assert paragraph.repaired == paragraph.source
        assert paragraph.reason
        assert paragraph.reason_code is ReasonCode.ANSWER_UNUSABLE
    # Paragraphs that did come back usable are kept; nothing is lost either way.
    assert len(result.paragraphs) == 3
    for paragraph in result.paragraphs:
        assert paragraph.repaired in (
            paragraph.source,
            EXPECTED.split("\n\n")[int(paragraph.id[1:]) - 1].strip(),
        )


@pytest.mark.parametrize("fault", ["refusal", "content-filter"])
def test_refusals_keep_the_original_without_a_fallback(server: FakeServer, fault: str) -> None:
    server.script(fault)
    result = _repair(server)
    assert len(server.chat_requests()) == 1  # the same model would refuse the same question
    assert result.text == SOURCE
    assert all(p.status == "kept-original" for p in result.paragraphs)
    assert all(p.reason_code is ReasonCode.MODEL_REFUSED for p in result.paragraphs)


@pytest.mark.parametrize("fault", ["refusal", "content-filter"])
def test_refusals_are_retried_once_on_the_fallback_model(server: FakeServer, fault: str) -> None:
    server.script(fault)
    result = _repair(server, fallback_model="backup-model")
    assert result.text == EXPECTED
    assert [r.model for r in server.chat_requests()] == ["main-model", "backup-model"]


def test_a_model_that_always_refuses_falls_back_then_keeps_original(server: FakeServer) -> None:
    server.refuse_models = {"main-model", "backup-model"}
    result = _repair(server, fallback_model="backup-model", max_reasks=3)
    assert len(server.chat_requests()) == 2
    assert result.text == SOURCE and not result.ok


@pytest.mark.parametrize("status", ["400", "401", "403", "404"])
def test_client_errors_fail_fast_with_advice_and_no_key(server: FakeServer, status: str) -> None:
    server.script(status)
    with pytest.raises(ModelCallError) as caught:
        _repair(server)
    assert len(server.chat_requests()) == 1  # never retried
    message = str(caught.value)
    assert f"HTTP {status}" in message and TEST_KEY not in message
    if status == "401":
        assert "OPENAI_API_KEY" in message


class UnusableReplies:
    """A ChatModel whose every reply the client could not read, for the reason given."""

    def __init__(self, reason: str) -> None:
        self.reason, self.calls = reason, 0

    async def complete(self, request: ChatRequest) -> ChatReply:
        self.calls += 1
        raise ModelOutputError("the reply could not be read", reason=self.reason)

    async def aclose(self) -> None:
        return None


@pytest.mark.parametrize(
    ("reason", "code", "calls"),
    [
        # Azure's 400 for a filtered prompt: a refusal, so the same model is not asked again.
        ("content-filter", ReasonCode.MODEL_REFUSED, 1),
        ("empty", ReasonCode.ANSWER_UNUSABLE, 3),
        ("something-new", ReasonCode.ANSWER_UNUSABLE, 3),
    ],
)
def test_an_unreadable_reply_keeps_the_original_with_the_matching_code(
    server: FakeServer, reason: str, code: ReasonCode, calls: int
) -> None:
    model = UnusableReplies(reason)
    result = repair_article(SOURCE, config_for(server, max_reasks=2), client=model)
    assert model.calls == calls
    assert result.text == SOURCE
    assert all(p.reason_code is code for p in result.paragraphs)
    assert all(p.reason == "the reply could not be read" for p in result.paragraphs)


def test_an_unreachable_endpoint_stops_the_article_with_one_error() -> None:
    with FakeServer() as server:
        config = config_for(server, max_attempts=2)
    # The server is gone: connections are refused. Flagging every paragraph would pass a
    # wrong --base-url off as an article the model could not repair.
    with pytest.raises(ModelCallError) as caught:
        repair_article(SOURCE, config)
    assert caught.value.unreachable and caught.value.context["attempts"] == 2
    assert server.base_url in str(caught.value) and "could not connect" in str(caught.value)


def test_random_faults_at_thirty_percent_still_give_the_reference() -> None:
    from .conftest import golden_pair

    source, reference = golden_pair()
    with FakeServer(fault_rate=0.3, fault_mix=("429", "503", "drop"), seed=7) as server:
        result = repair_article(source, config_for(server, max_attempts=6, chunk_chars=800))
        requests = server.chat_requests()
    assert result.text == reference
    assert any(r.fault for r in requests)
    # Per chunk: at most max_attempts requests.
    assert len(requests) <= 6 * result.chunks
