"""The fake server's own rate limit, enforced the way providers enforce theirs.

Providers quote limits per minute but count them over a window of their choosing (a
minute, or a few seconds: OpenAI may enforce 60,000 requests a minute as 1,000 a second).
`WindowLimit` admits at most `requests` requests and `tokens` tokens per `window` seconds,
counting only what it admitted, and says what a provider says: 429 with how long until the
request would fit, and `x-ratelimit-*` headers on every answer.

- sliding (the default): every window of `window` seconds, whenever it starts; the
  stricter kind, so a client that passes it passes a fixed window too.
- fixed: windows that start at 0, `window`, 2×`window`... seconds after the server did,
  and forget everything when the next begins.

A request's tokens are counted when it arrives (prompt estimate plus `max_tokens`), as
OpenAI does. One larger than the whole token budget is let through into an empty window,
rather than refused forever.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a request is admitted, and the headers its answer carries."""

    admitted: bool
    retry_after: float  # seconds until it would fit; 0 when admitted
    headers: dict[str, str] = field(default_factory=dict)


class WindowLimit:
    """Thread-safe: the server answers each request in a thread of its own."""

    def __init__(
        self,
        requests: int | None = None,
        tokens: int | None = None,
        window: float = 60.0,
        *,
        fixed: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if requests is None and tokens is None:
            raise ValueError("a rate limit needs requests or tokens per window")
        if (
            window <= 0
            or (requests is not None and requests < 1)
            or (tokens is not None and tokens < 1)
        ):
            raise ValueError("the window and the limits must be positive")
        self.requests, self.tokens, self.window, self.fixed = requests, tokens, window, fixed
        self._clock = clock
        self._origin = clock()
        self._admitted: deque[tuple[float, int]] = deque()  # (when, tokens), oldest first
        self._tokens_in_window = 0
        self._window_start = self._origin
        self._lock = threading.Lock()

    def admit(self, tokens: int) -> Verdict:
        """Count a request of `tokens` tokens if it fits in the window, else refuse it."""
        with self._lock:
            now = self._clock()
            self._forget(now)
            wait = self._wait_for_room(tokens, now)
            if wait <= 0:
                self._admitted.append((now, tokens))
                self._tokens_in_window += tokens
            return Verdict(wait <= 0, max(wait, 0.0), self._headers(now))

    def _forget(self, now: float) -> None:
        """Drop what no longer counts: what left the sliding window, or the past fixed one."""
        if self.fixed:
            start = self._origin + (now - self._origin) // self.window * self.window
            if start > self._window_start:
                self._window_start = start
                self._admitted.clear()
                self._tokens_in_window = 0
            return
        while self._admitted and self._admitted[0][0] <= now - self.window:
            _, spent = self._admitted.popleft()
            self._tokens_in_window -= spent

    def _wait_for_room(self, tokens: int, now: float) -> float:
        """Seconds until a request of `tokens` fits (0 or less: it fits now)."""
        if not self._admitted:
            return 0.0
        requests_fit = self.requests is None or len(self._admitted) < self.requests
        tokens_fit = self.tokens is None or self._tokens_in_window + tokens <= self.tokens
        if requests_fit and tokens_fit:
            return 0.0
        if self.fixed:
            return self._window_start + self.window - now
        # How many of the oldest must leave the window before it fits.
        leave = 0
        if not requests_fit and self.requests is not None:
            leave = len(self._admitted) - self.requests + 1
        if not tokens_fit and self.tokens is not None:
            excess, count = self._tokens_in_window + tokens - self.tokens, 0
            for _, spent in self._admitted:
                count += 1
                excess -= spent
                if excess <= 0:
                    break
            leave = max(leave, count)
        leave = min(leave, len(self._admitted))
        return self._admitted[leave - 1][0] + self.window - now

    def _headers(self, now: float) -> dict[str, str]:
        """OpenAI's headers: the limit per minute, as providers quote it; what remains of
        the window enforced, and the time until it is empty again."""
        if self.fixed:
            reset = self._window_start + self.window - now if self._admitted else 0.0
        else:
            reset = self._admitted[-1][0] + self.window - now if self._admitted else 0.0
        headers: dict[str, str] = {}
        for kind, limit, used in (
            ("requests", self.requests, len(self._admitted)),
            ("tokens", self.tokens, self._tokens_in_window),
        ):
            if limit is None:
                continue
            headers[f"x-ratelimit-limit-{kind}"] = _number(limit * 60.0 / self.window)
            headers[f"x-ratelimit-remaining-{kind}"] = str(max(limit - used, 0))
            headers[f"x-ratelimit-reset-{kind}"] = f"{max(reset, 0.0):.3f}s"
        return headers


def retry_after_headers(seconds: float) -> dict[str, str]:
    """Retry-After in milliseconds (what OpenAI's SDK reads first) and in whole seconds."""
    return {
        "retry-after-ms": str(math.ceil(seconds * 1000)),
        "retry-after": str(max(1, math.ceil(seconds))),
    }


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.3f}"
