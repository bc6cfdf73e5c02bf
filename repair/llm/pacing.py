"""Pace a whole batch's requests: one shared pause on 429, requests and tokens per minute.

Every worker goes through one `RateGate` before each attempt (`OpenAIChat` calls it inside
its retry loop), so when the endpoint says "slow down" the whole job slows down, instead
of each worker finding out for itself with a 429 of its own.

- `pause(seconds)`: a 429 holds every worker for the time the server asked (Retry-After).
- requests and tokens per minute: token buckets that refill continuously and start full,
  as in OpenAI's cookbook example for parallel requests; a request reserves its prompt
  estimate plus `max_tokens` (what OpenAI counts against the limit when it arrives), and
  the unused part is given back once the usage is known.
- `settle(...)`: the `x-ratelimit-*` headers, when the endpoint sends them, correct the
  buckets (another process may share the key) and pause the job when a budget is spent.

Written by hand: the job needs a shared pause driven by server headers, which the small
rate-limit packages (aiolimiter, limits) do not offer; the buckets are a few lines.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping

from repair.errors import ModelCallError
from repair.llm.protocol import ChatModel, ChatReply, ChatRequest
from repair.llm.tokens import token_reservation

log = logging.getLogger(__name__)

DEFAULT_PAUSE = 1.0  # seconds, when a 429 does not say how long to wait
MAX_PAUSE = 120.0  # never hold the job longer than this on one header's say-so

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_SCALE = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class _Bucket:
    """`limit` units per minute, refilled continuously, at most one minute's worth banked."""

    def __init__(self, limit: float, now: float) -> None:
        self.limit = limit
        self.level = limit
        self._at = now

    def refill(self, now: float) -> None:
        self.level = min(self.limit, self.level + (now - self._at) * self.limit / 60.0)
        self._at = now

    def shortfall(self, amount: float) -> float:
        """Seconds until `amount` is there (more than the limit waits for a full bucket)."""
        missing = min(amount, self.limit) - self.level
        return max(0.0, missing * 60.0 / self.limit)

    def give_back(self, amount: float) -> None:
        self.level = min(self.limit, self.level + amount)


class RateGate:
    """Shared by every request of a job. Safe within one event loop (no threads)."""

    def __init__(
        self,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock, self._sleep = clock, sleep
        now = clock()
        self._requests = _Bucket(requests_per_minute, now) if requests_per_minute else None
        self._tokens = _Bucket(tokens_per_minute, now) if tokens_per_minute else None
        self._paused_until = 0.0
        self._lock = asyncio.Lock()  # waiters queue in order: a big request is not starved
        self.pauses = 0  # how often the job was held, for the summary
        self.paused_s = 0.0

    async def acquire(self, tokens: int = 0) -> None:
        """Wait until a request of about `tokens` tokens may go, and reserve it."""
        async with self._lock:
            while True:
                now = self._clock()
                wait = self._paused_until - now
                if wait <= 0:
                    wait = self._reserve(tokens, now)
                    if wait <= 0:
                        return
                await self._sleep(wait)

    def _reserve(self, tokens: int, now: float) -> float:
        for bucket in (self._requests, self._tokens):
            if bucket is not None:
                bucket.refill(now)
        wait = max(
            self._requests.shortfall(1) if self._requests else 0.0,
            self._tokens.shortfall(tokens) if self._tokens else 0.0,
        )
        if wait <= 0:
            if self._requests:
                self._requests.level -= 1
            if self._tokens:
                self._tokens.level -= min(tokens, self._tokens.limit)
        return wait

    def pause(self, seconds: float | None) -> None:
        """Hold every worker for `seconds` from now (the server's Retry-After)."""
        seconds = DEFAULT_PAUSE if seconds is None else min(max(seconds, 0.0), MAX_PAUSE)
        until = self._clock() + seconds
        if until > self._paused_until:
            added = until - max(self._paused_until, self._clock())
            self._paused_until = until
            self.pauses += 1
            self.paused_s += added
            log.info("rate limited: holding every request for %.2fs", seconds)

    def settle(self, reserved: int, used: int | None, headers: Mapping[str, str]) -> None:
        """After an answer: give back unused tokens, and heed the endpoint's rate headers."""
        if self._tokens is not None and used is not None:
            self._tokens.give_back(max(0, min(reserved, self._tokens.limit) - used))
        limits = read_headers(headers)
        now = self._clock()
        for kind in ("requests", "tokens"):
            remaining, reset = limits.get(f"remaining-{kind}"), limits.get(f"reset-{kind}")
            limit = limits.get(f"limit-{kind}")
            bucket = self._requests if kind == "requests" else self._tokens
            if bucket is None and limit:
                # The endpoint tells its limit and none was set: pace by the endpoint's.
                bucket = _Bucket(limit, now)
                if kind == "requests":
                    self._requests = bucket
                else:
                    self._tokens = bucket
            if bucket is not None and remaining is not None:
                bucket.refill(now)
                bucket.level = min(bucket.level, remaining)
            # A spent budget: wait for the server's reset rather than collect 429s.
            low = 1 if kind == "requests" else max(reserved, 1)
            if remaining is not None and remaining < low and reset is not None:
                self.pause(reset)


def read_headers(headers: Mapping[str, str]) -> dict[str, float]:
    """`x-ratelimit-{limit,remaining,reset}-{requests,tokens}` as numbers (reset in seconds)."""
    found: dict[str, float] = {}
    for name, value in headers.items():
        key = name.lower()
        if not key.startswith("x-ratelimit-"):
            continue
        key = key.removeprefix("x-ratelimit-")
        number = parse_duration(value) if key.startswith("reset-") else _number(value)
        if number is not None:
            found[key] = number
    return found


def parse_duration(value: str) -> float | None:
    """OpenAI's reset durations: "1s", "6m0s", "59.88s", "120ms", or plain seconds."""
    plain = _number(value)
    if plain is not None:
        return plain
    parts = _DURATION.findall(value.strip())
    if not parts or "".join(n + u for n, u in parts) != value.strip():
        return None
    return sum(float(n) * _SCALE[u] for n, u in parts)


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


class GatedChat:
    """The gate around a caller's own `ChatModel` (an `OpenAIChat` takes it per attempt)."""

    def __init__(self, inner: ChatModel, gate: RateGate) -> None:
        self._inner, self._gate = inner, gate

    async def complete(self, request: ChatRequest) -> ChatReply:
        reserved = token_reservation(request)
        await self._gate.acquire(reserved)
        try:
            reply = await self._inner.complete(request)
        except ModelCallError as exc:
            self._gate.settle(reserved, 0, {})
            if exc.context.get("status") == 429:
                self._gate.pause(None)
            raise
        self._gate.settle(reserved, reply.usage.total_tokens, reply.headers)
        return reply

    async def aclose(self) -> None:
        await self._inner.aclose()
