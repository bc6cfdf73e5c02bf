"""An endpoint that misbehaves after accepting the connection: every answer that cannot be
used becomes the library's own error, every request ends by its deadline, and the key
never shows, however the server echoes it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from repair import (
    InputError,
    ModelCallError,
    ModelOutputError,
    OpenAIChat,
    RepairConfig,
    arepair_article,
    repair_article,
)
from repair.llm import ChatRequest
from repair.llm.completion import MAX_REPORTED_TOKENS
from tests.conftest import TEST_KEY, small_article
from tests.hostile import BODIES, HostileServer

REQUEST = ChatRequest(
    messages=[{"role": "user", "content": "[[P1]] Fine."}], model="m", max_tokens=500
)


def _config(server: HostileServer, **overrides: float) -> RepairConfig:
    settings = {"timeout": 5.0, "max_attempts": 3, "max_retry_seconds": 20.0} | overrides
    return RepairConfig(
        base_url=server.base_url,
        api_key=SecretStr(TEST_KEY),
        **settings,  # type: ignore[arg-type]
    )


UNUSABLE = {
    "invalid-json": "unreadable-answer",
    "html": "unreadable-answer",
    "truncated": "unreadable-answer",
    "no-message": "unreadable-answer",
    "no-choices": "empty",
    "surrogate": "bad-text",
    "huge": "oversize-answer",
}


@pytest.mark.parametrize(("mode", "reason"), sorted(UNUSABLE.items()))
async def test_an_unusable_answer_is_a_model_output_error(mode: str, reason: str) -> None:
    with HostileServer(mode) as server:
        chat = OpenAIChat(_config(server))
        try:
            with pytest.raises(ModelOutputError) as caught:
                await chat.complete(REQUEST)
        finally:
            await chat.aclose()
    assert caught.value.context["reason"] == reason
    assert server.requests == 1  # a content problem: re-asked by the pipeline, not retried here
    assert TEST_KEY not in str(caught.value)


@pytest.mark.parametrize("mode", [m for m in BODIES if m.startswith("usage-")])
async def test_token_counts_that_are_not_counts_are_estimated(mode: str) -> None:
    with HostileServer(mode) as server:
        chat = OpenAIChat(_config(server))
        try:
            reply = await chat.complete(REQUEST)
        finally:
            await chat.aclose()
    usage = reply.usage
    for count in (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens):
        assert 0 <= count <= MAX_REPORTED_TOKENS
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0  # estimated, not zero
    assert reply.content == "[[P1]] Fine."


@pytest.mark.parametrize("mode", ["drip", "no-headers", "stall-after-headers"])
async def test_a_request_ends_by_its_deadline_whatever_the_server_does(mode: str) -> None:
    with HostileServer(mode) as server:
        chat = OpenAIChat(_config(server, timeout=1.0, max_attempts=5, max_retry_seconds=2.5))
        started = time.monotonic()
        try:
            with pytest.raises(ModelCallError) as caught:
                await chat.complete(REQUEST)
        finally:
            await chat.aclose()
    elapsed = time.monotonic() - started
    assert elapsed < 4.0, f"the request ran {elapsed:.1f} s past a 2.5 s budget"
    assert caught.value.context["reason"] == "timeout"
    assert server.base_url in str(caught.value)
    assert server.requests >= 2  # timed out attempts are retried within the budget


async def test_a_key_echoed_in_another_case_or_spaced_out_never_shows() -> None:
    with HostileServer("echo-key") as server:
        chat = OpenAIChat(_config(server))
        try:
            with pytest.raises(ModelCallError) as caught:
                await chat.complete(REQUEST)
        finally:
            await chat.aclose()
    message = str(caught.value)
    assert caught.value.context["status"] == 401
    squeezed = "".join(message.split()).lower()
    assert TEST_KEY.lower() not in squeezed
    assert "***" in message


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _repair(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "repair", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "OPENAI_API_KEY": TEST_KEY, **(env or {})},
    )


def test_a_dead_endpoint_is_one_line_exit_2_and_no_output(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text(small_article()[0], encoding="utf-8")
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    out = tmp_path / "fixed.txt"
    done = _repair("fix", str(article), "--base-url", url, "-o", str(out))
    assert done.returncode == 2
    assert done.stdout == "" and not out.exists()
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and url in lines[0] and "could not connect" in lines[0]
    assert TEST_KEY not in done.stderr


async def test_the_library_raises_its_own_error_for_a_dead_endpoint() -> None:
    config = RepairConfig(
        base_url=f"http://127.0.0.1:{_closed_port()}/v1", api_key=SecretStr(TEST_KEY)
    )
    with pytest.raises(ModelCallError) as caught:
        await arepair_article(small_article()[0], config)
    assert caught.value.unreachable


@pytest.mark.parametrize("mode", sorted(UNUSABLE))
def test_unusable_answers_keep_the_article_flagged_never_a_traceback(
    mode: str, tmp_path: Path
) -> None:
    article = tmp_path / "a.txt"
    article.write_text(small_article()[0], encoding="utf-8")
    with HostileServer(mode) as server:
        done = _repair("fix", str(article), "--base-url", server.base_url, "--no-glossary")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == small_article()[0]  # every paragraph kept, nothing lost
    assert "flagged" in done.stderr


def test_credentials_in_the_base_url_are_refused_and_never_shown(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text(small_article()[0], encoding="utf-8")
    done = _repair("-v", "fix", str(article), "--base-url", "http://editor:hunter2@127.0.0.1:9/v1")
    assert done.returncode == 2
    assert "hunter2" not in done.stderr + done.stdout
    assert "user name or password" in done.stderr


def test_an_article_with_a_lone_surrogate_is_refused_before_any_call() -> None:
    config = RepairConfig(base_url="http://127.0.0.1:9/v1", api_key=SecretStr(TEST_KEY))
    with pytest.raises(InputError) as caught:
        repair_article("The mayor said \ud800 nothing.", config)
    assert caught.value.context["reason"] == "bad-text"
