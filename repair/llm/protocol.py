"""What the pipeline needs from a model, and what it gets back: plain data, no SDK.

Everything above `repair.llm` speaks these; only `client.py` knows the `openai` SDK, so a
test, a CMS or another provider can plug in any object with `complete` and `aclose`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from repair.errors import ModelCallError
from repair.results import Usage


@dataclass(frozen=True, slots=True)
class RequestTag:
    """Who asks: the call's purpose, its chunk (-1: the glossary) and its try (1, 2...).

    Never sent: a model that queues requests (the provider's Batch API) names them by it
    and may route them by it (re-asks live, say).
    """

    purpose: str
    chunk: int
    attempt: int


@dataclass(frozen=True, slots=True)
class ChatRequest:
    messages: Sequence[dict[str, str]]
    model: str
    temperature: float = 0.0
    max_tokens: int | None = None
    response_format: dict[str, Any] | None = None  # JSON schema for structured answers
    tag: RequestTag | None = field(default=None, compare=False)  # see RequestTag


@dataclass(frozen=True, slots=True)
class ChatReply:
    content: str | None
    finish_reason: str
    model: str
    usage: Usage
    refusal: str | None = None
    attempts: int = 1
    wait_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class ChatModel(Protocol):
    """What the pipeline needs from a model. Tests, a CMS or another provider can plug in."""

    async def complete(self, request: ChatRequest) -> ChatReply: ...

    async def aclose(self) -> None: ...


# One request in, one reply out: how the glossary and the meaning check are handed the
# pipeline's counted, rate-limited call.
Ask = Callable[[ChatRequest], Awaitable[ChatReply]]


async def ask_for_json(ask: Ask, request: ChatRequest) -> ChatReply:
    """`request` with its `response_format`; a server without structured output rejects
    that with a 400, and is asked again without it (the prompt must describe the JSON in
    words, and the caller validates the answer either way)."""
    try:
        return await ask(request)
    except ModelCallError as exc:
        if exc.context.get("status") != 400 or request.response_format is None:
            raise
        return await ask(replace(request, response_format=None))
