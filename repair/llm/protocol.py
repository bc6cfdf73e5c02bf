"""What the pipeline needs from a model, and what it gets back: plain data, no SDK.

Everything above `repair.llm` speaks these; only `client.py` knows the `openai` SDK, so a
test, a CMS or another provider can plug in any object with `complete` and `aclose`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from repair.results import Usage


@dataclass(frozen=True, slots=True)
class ChatRequest:
    messages: Sequence[dict[str, str]]
    model: str
    temperature: float = 0.0
    max_tokens: int | None = None
    response_format: dict[str, Any] | None = None  # JSON schema for structured answers


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
