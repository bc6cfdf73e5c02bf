"""Pace a whole batch's requests: evenly under requests and tokens per minute, one shared
pause on 429.

Every worker goes through one `RateGate` before each attempt (`OpenAIChat` calls it inside
its retry loop), so when the endpoint says "slow down" the whole job slows down, instead
of each worker finding out for itself with a 429 of its own.

- requests and tokens per minute are spent evenly: the next request may go `60/rpm`
  seconds after the last one (and a request of n tokens holds the next one back by
  `60*n/tpm`), with no burst allowance beyond the one request. Providers enforce their
  per-minute limits over windows of a minute or of a few seconds; only an even pace keeps
  every such window under its share. A bucket that starts full sends a minute's quota in
  a few seconds, which a 10-s window rejects and a 60-s window answers with an idle minute.
  A request reserves its prompt estimate plus `max_tokens` (what OpenAI counts against
  the limit when it arrives); the unused part is given back once the usage is known.
- `pause(seconds)`: a 429 holds every worker for the time the server asked (Retry-After),
  or one interval of the pace when it did not say: the next request may be allowed then.
- `settle(...)`: the `x-ratelimit-*` headers, when the endpoint sends them, correct the pace
  (another process may share the key): a lower limit slows it, and a spent budget holds
  the next request until what it needs comes back at that pace, counted from the last
  request sent, never until the whole window resets (that idle would be followed by a
  burst).

Written by hand: the job needs a shared pause driven by server headers, which the small
rate-limit packages (aiolimiter, limits) do not offer; the pace is a few lines.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Mapping

from repair.errors import ModelCallError
from repair.llm.protocol import ChatModel, ChatReply, ChatRequest
from repair.llm.tokens import token_reservation

log = logging.getLogger(__name__)

DEFAULT_PAUSE = 1.0  # seconds, when a 429 does not say how long and no pace is known
MAX_PAUSE = 120.0  # never hold the job longer than this on one header's say-so

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_SCALE = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class _Pace:
    """`limit` units a minute, evenly: after n units the next may go `60*n/limit` s later.

    A virtual schedule (the generic cell rate algorithm with no burst tolerance): `due` is
    when the next unit may go. Time not used is not banked, so an idle spell never turns
    into a burst; a late start moves the schedule on rather than letting the next catch up.
    """

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.due = -math.inf  # nothing sent yet: the first request goes at once

    @property
    def interval(self) -> float:
        """Seconds one unit holds the next back."""
        return 60.0 / self.limit

    def wait(self, now: float) -> float:
        return max(0.0, self.due - now)

    def spend(self, units: float, now: float) -> None:
        # More than a minute's worth waits a minute: a huge request must not block forever.
        self.due = max(self.due, now) + min(units, self.limit) * self.interval

    def give_back(self, units: float) -> None:
        self.due -= units * self.interval

    def hold(self, until: float) -> None:
        self.due = max(self.due, until)


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
        self._requests = _Pace(requests_per_minute) if requests_per_minute else None
        self._tokens = _Pace(tokens_per_minute) if tokens_per_minute else None
        self._paused_until = 0.0
        self._last_sent = -math.inf
        self._out_requests = self._out_tokens = 0  # sent and not answered yet
        self._lock = asyncio.Lock()  # waiters go in order: a big request is not starved
        self.pauses = 0  # how often the job was held, for the summary
        self.paused_s = 0.0

    @property
    def paces_tokens(self) -> bool:
        """Whether a token limit is paced (set, or learnt from the endpoint's headers): only
        then must a request's tokens be counted exactly."""
        return self._tokens is not None

    async def acquire(self, tokens: int = 0) -> None:
        """Wait until a request of about `tokens` tokens may go, and count it."""
        async with self._lock:
            while True:
                now = self._clock()
                wait = max(
                    self._paused_until - now,
                    self._requests.wait(now) if self._requests else 0.0,
                    self._tokens.wait(now) if self._tokens else 0.0,
                )
                if wait <= 0:
                    break
                await self._sleep(wait)
            self._last_sent = now
            self._out_requests += 1
            self._out_tokens += tokens
            if self._requests:
                self._requests.spend(1, now)
            if self._tokens:
                self._tokens.spend(tokens, now)

    def pause(self, seconds: float | None) -> None:
        """Hold every worker for `seconds` from now (the server's Retry-After), or for one
        interval of the pace when the server did not say."""
        if seconds is None:
            seconds = self._requests.interval if self._requests else DEFAULT_PAUSE
        seconds = min(max(seconds, 0.0), MAX_PAUSE)
        now = self._clock()
        until = now + seconds
        if until > self._paused_until:
            added = until - max(self._paused_until, now)
            self._paused_until = until
            self.pauses += 1
            self.paused_s += added
            log.info("rate limited: holding every request for %.2fs", seconds)

    def settle(self, reserved: int, used: int | None, headers: Mapping[str, str]) -> None:
        """After an answer: give back unused tokens, and heed the endpoint's rate headers."""
        if self._tokens is not None and used is not None:
            self._tokens.give_back(max(0, min(reserved, self._tokens.limit) - used))
        limits = read_headers(headers)
        self._requests = self._correct(self._requests, "requests", 1, self._out_requests, limits)
        self._tokens = self._correct(
            self._tokens, "tokens", max(reserved, 1), self._out_tokens, limits
        )
        self._out_requests = max(0, self._out_requests - 1)
        self._out_tokens = max(0, self._out_tokens - reserved)

    def _correct(
        self, pace: _Pace | None, kind: str, need: float, out: int, limits: dict[str, float]
    ) -> _Pace | None:
        """`pace` as the endpoint's headers for `kind` leave it (a new one if none was set).

        `need`: what the next request will likely take; `out`: what was sent and not
        answered yet, this answer's request included.
        """
        limit = limits.get(f"limit-{kind}")
        if limit:
            if pace is None:
                # None was set: pace by the endpoint's own limit, as if what is still out
                # (a burst, as many as the concurrency allows) had been paced already.
                pace = _Pace(limit)
                pace.hold(self._last_sent + min(out, limit) * pace.interval)
            elif limit < pace.limit:
                pace.limit = limit  # the key allows less than we were told
        remaining, reset = limits.get(f"remaining-{kind}"), limits.get(f"reset-{kind}")
        if remaining is None or remaining >= need:
            return pace
        # A spent budget: the next request waits until `need` comes back at the pace, at
        # most until the reset. Waiting for the whole reset would idle a window's length
        # and then let a window's quota go at once. Counted from the last request sent,
        # not from this answer: at the limit, a window is full after every request, and
        # an answer that took a while must not push back requests the pace already spaced.
        if pace is not None:
            wait = (min(need, pace.limit) - remaining) * pace.interval
            pace.hold(self._last_sent + (wait if reset is None else min(wait, reset)))
        elif reset is not None:
            self.pause(min(reset, DEFAULT_PAUSE))  # no pace to go by: a short pause
        return pace


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
        reserved = token_reservation(request, exact=self._gate.paces_tokens)
        await self._gate.acquire(reserved)
        try:
            reply = await self._inner.complete(request)
        except ModelCallError as exc:
            self._gate.settle(reserved, 0, {})
            if exc.context.get("status") == 429:
                self._gate.pause(None)
            raise
        except BaseException:
            self._gate.settle(reserved, None, {})  # answered, but unusable: it counted
            raise
        self._gate.settle(reserved, reply.usage.total_tokens, reply.headers)
        return reply

    async def aclose(self) -> None:
        await self._inner.aclose()


class LimitedChat:
    """At most `limit` requests of the wrapped model in flight, whichever caller asks: a
    batch job's articles and chunks, or one Ray actor's, share it."""

    def __init__(self, inner: ChatModel, limit: int) -> None:
        self._inner = inner
        self._slots = asyncio.Semaphore(limit)

    async def complete(self, request: ChatRequest) -> ChatReply:
        async with self._slots:
            return await self._inner.complete(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
