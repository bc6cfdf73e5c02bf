"""The library as a CMS uses it: sync and async calls, injected clients, settings."""

from __future__ import annotations

import asyncio
import pickle
import re

import httpx2
import openai
import pytest
from pydantic import SecretStr

import repair
from repair import ChatReply, ChatRequest, RepairConfig, Usage, arepair_article, repair_article
from repair.errors import ConfigurationError, InputError, ModelCallError
from repair.testing.fake import FakeServer
from tests.conftest import TEST_KEY, config_for, small_article

# A paragraph line of the prompt: its tag, then its text.
TAGGED = re.compile(r"^[PHC]\d+(?:\.\d+)?(?:\|[a-z]+)? ")

SOURCE, EXPECTED = small_article()


def test_public_api_is_explicit() -> None:
    for name in ("repair_article", "arepair_article", "RepairConfig", "RepairResult"):
        assert name in repair.__all__
        assert hasattr(repair, name)


def test_sync_and_async_give_the_same_result(server: FakeServer) -> None:
    config = config_for(server)
    sync_result = repair_article(SOURCE, config)
    async_result = asyncio.run(arepair_article(SOURCE, config))
    assert sync_result.text == async_result.text == EXPECTED
    assert sync_result.paragraphs == async_result.paragraphs


async def test_async_call_inside_a_running_loop(server: FakeServer) -> None:
    result = await arepair_article(SOURCE, config_for(server))
    assert result.text == EXPECTED


async def test_sync_call_from_inside_a_running_loop_still_works(server: FakeServer) -> None:
    # A CMS helper that is synchronous but runs under an event loop.
    result = repair_article(SOURCE, config_for(server))
    assert result.text == EXPECTED


async def test_an_injected_openai_client_is_used(server: FakeServer) -> None:
    seen: list[str] = []

    async def spy(request: httpx2.Request) -> None:
        seen.append(request.headers.get("x-cms", ""))

    http = httpx2.AsyncClient(event_hooks={"request": [spy]})
    client = openai.AsyncOpenAI(
        api_key="cms-key",
        base_url=server.base_url,
        http_client=http,
        default_headers={"x-cms": "yes"},
    )
    result = await arepair_article(SOURCE, RepairConfig(model="m", verify="rules"), client=client)
    await http.aclose()
    assert result.text == EXPECTED and seen == ["yes"]


async def test_any_chat_model_can_be_plugged_in() -> None:
    class Echo:
        def __init__(self) -> None:
            self.requests: list[ChatRequest] = []

        async def complete(self, request: ChatRequest) -> ChatReply:
            self.requests.append(request)
            user = request.messages[-1]["content"]
            lines = [line for line in user.splitlines() if TAGGED.match(line)]
            return ChatReply("\n".join(lines), "stop", "echo", Usage(calls=1))

        async def aclose(self) -> None:
            return None

    model = Echo()
    result = await arepair_article(SOURCE, RepairConfig(model="echo"), client=model)
    assert result.text == SOURCE
    assert {p.status for p in result.paragraphs} == {"unchanged"}
    assert model.requests[0].temperature == 0.0


def test_settings_precedence_explicit_then_environment_then_default() -> None:
    env = {
        "REPAIR_MODEL": "from-env",
        "OPENAI_BASE_URL": "http://127.0.0.1:1/v1",
        "REPAIR_CONCURRENCY": "7",
    }
    assert RepairConfig.from_env(env).model == "from-env"
    assert RepairConfig.from_env(env, model="explicit").model == "explicit"
    assert RepairConfig.from_env({}).model == "gpt-4o-mini"
    assert RepairConfig.from_env(env).concurrency == 7
    # A front door's own default (the batch's larger chunks) sits below both.
    larger = {"chunk_chars": 4500, "concurrency": 3}
    assert RepairConfig.from_env({}, defaults=larger).chunk_chars == 4500
    assert RepairConfig.from_env(env, defaults=larger).concurrency == 7
    assert RepairConfig.from_env(env, defaults=larger, chunk_chars=900).chunk_chars == 900
    assert RepairConfig.from_env(env).chunk_chars == 3000


def test_endpoint_needs_a_key_or_a_url() -> None:
    with pytest.raises(ConfigurationError, match="no model endpoint"):
        RepairConfig().endpoint({})
    assert RepairConfig().endpoint({"OPENAI_API_KEY": "k"}) == (None, "k")
    assert RepairConfig(api_key_env="OTHER").endpoint({"OTHER": "x"}) == (None, "x")
    base, key = RepairConfig(base_url="http://127.0.0.1:11434/v1").endpoint({})
    assert base and key  # a local server needs no key; a placeholder is sent


def test_the_key_never_shows_in_reprs_or_json() -> None:
    config = RepairConfig(api_key=SecretStr(TEST_KEY))
    assert TEST_KEY not in repr(config) + str(config) + config.model_dump_json()


def test_errors_pickle_with_their_context() -> None:
    error = ModelCallError("boom", status=503, attempts=3, retryable=True)
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, ModelCallError)
    assert str(copy) == "boom" and copy.context == {"status": 503, "attempts": 3, "retryable": True}


@pytest.mark.parametrize("text", ["", "   \n ", "abc\x00def"])
def test_bad_articles_raise_input_error(text: str) -> None:
    with pytest.raises(InputError):
        repair_article(text, RepairConfig(base_url="http://127.0.0.1:9/v1"))


def test_concurrency_is_bounded(server: FakeServer) -> None:
    from .conftest import golden_pair

    server.ttft = 0.05
    result = repair_article(golden_pair()[0], config_for(server, chunk_chars=400, concurrency=2))
    assert result.chunks > 4 and result.ok
    # One call per chunk, plus the glossary call (the seed spells Witkoff four ways).
    assert result.usage.calls == result.chunks + 1
    assert [c.chunk for c in result.calls].count(-1) == 1
    assert server.peak_in_flight == 2
