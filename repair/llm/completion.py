"""Reading an endpoint's answer: the body of a chat completion, checked before use.

A server that answers 200 is not yet a server that answered: the body may be an HTML
error page, JSON cut off mid-way, a choice without a message, token counts that are not
numbers, text with lone surrogates that no file can hold, or far more bytes than the
request allowed. Each of those becomes a `ModelOutputError` with a reason code (the
pipeline re-asks, within its bound), never an exception from deep inside a parser.

The body is read here rather than by the SDK's own parser, which trusts the server: its
models are built without validation, so a wrong type surfaces later, anywhere.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from repair.errors import ModelOutputError
from repair.files import lone_surrogate
from repair.llm.protocol import ChatReply, ChatRequest
from repair.llm.tokens import count_tokens, token_reservation
from repair.results import Usage

log = logging.getLogger(__name__)

# A token is about four characters; JSON escapes a non-ASCII character as up to twelve
# bytes ("\ud83d\ude00"), so 64 bytes a token is room for any honest answer.
BYTES_PER_TOKEN = 64
BODY_OVERHEAD = 64 * 1024  # the envelope: ids, usage, logprobs some servers add
DEFAULT_MAX_TOKENS = 16_384  # when a request sets none
MAX_REPORTED_TOKENS = 10_000_000  # a count above this for one call is not a count


def body_limit(request: ChatRequest) -> int:
    """The most bytes an answer to `request` may take before it is cut off and refused."""
    return BODY_OVERHEAD + BYTES_PER_TOKEN * (request.max_tokens or DEFAULT_MAX_TOKENS)


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    content: str | None = None
    refusal: str | None = None


class _Choice(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message: _Message
    finish_reason: str | None = None


class _Completion(BaseModel):
    model_config = ConfigDict(extra="ignore")

    choices: list[_Choice]
    model: str | None = None
    usage: dict[str, Any] | None = None


def read_completion(
    body: bytes,
    request: ChatRequest,
    *,
    attempts: int = 1,
    waited: float = 0.0,
    headers: dict[str, str] | None = None,
) -> ChatReply:
    """The reply in `body`, or a `ModelOutputError` saying what is wrong with it."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ModelOutputError(
            f"the endpoint's answer is not JSON (it starts {_preview(body)})",
            reason="unreadable-answer",
        ) from None
    try:
        completion = _Completion.model_validate(data)
    except ValidationError as exc:
        where = ".".join(map(str, exc.errors()[0]["loc"])) or "the body"
        raise ModelOutputError(
            f"the endpoint's answer is not a chat completion ({where}: {exc.errors()[0]['msg']})",
            reason="unreadable-answer",
        ) from None
    if not completion.choices:
        raise ModelOutputError("the endpoint answered with no choices", reason="empty")
    choice = completion.choices[0]
    content = choice.message.content
    if content is not None and lone_surrogate(content) is not None:
        # Valid JSON ("\ud800") but not text: it would crash the first writer it met.
        raise ModelOutputError(
            "the answer holds a broken character (a lone UTF-16 surrogate)", reason="bad-text"
        )
    return ChatReply(
        content=content,
        finish_reason=choice.finish_reason or "stop",
        model=completion.model or "",
        usage=read_usage(completion.usage, request, content),
        refusal=choice.message.refusal,
        attempts=attempts,
        wait_s=waited,
        headers={
            k.lower(): v for k, v in (headers or {}).items() if k.lower().startswith("x-ratelimit")
        },
    )


def read_usage(raw: dict[str, Any] | None, request: ChatRequest, content: str | None) -> Usage:
    """The token counts the endpoint reported, where they are counts; estimated where not.

    A negative, fractional, textual or absurd count would become a negative or an absurd
    cost in every report and manifest downstream.
    """
    raw = raw or {}
    prompt = _count(raw.get("prompt_tokens"))
    completion = _count(raw.get("completion_tokens"))
    details = raw.get("prompt_tokens_details")
    cached = _count(details.get("cached_tokens")) if isinstance(details, dict) else 0
    if raw and (prompt is None or completion is None or cached is None):
        log.warning("the endpoint reported token counts that are not counts: %.200r", raw)
    if prompt is None:
        prompt = token_reservation(request) - (request.max_tokens or 0)
    if completion is None:
        completion = count_tokens(content or "")
    return Usage(
        calls=1,
        prompt_tokens=prompt,
        completion_tokens=completion,
        cached_tokens=min(cached or 0, prompt),
    )


def _count(value: object) -> int | None:
    """`value` if it is a whole number of tokens one call can use, else None."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_REPORTED_TOKENS else None


def _preview(body: bytes) -> str:
    text = body[:60].decode("utf-8", "replace")
    return repr(" ".join(text.split())) if text.strip() else "empty"
