"""A circuit breaker between a batch and its endpoint: when it keeps failing, stop asking.

Without one, a dead endpoint failed every article one by one (30 in 34 s), and a server
that answered 500 to everything got 400 requests for 40 articles. The client retries each
request (llm/client.py); a request that still fails is one endpoint failure here, and the
breaker counts them across all articles:

- closed: requests go. `failures` in a row, with no answer between them, open it.
- open: no request goes for a pause (`pause_s`, twice as long each time); those asked for
  wait. Then one request, the probe, goes: an answer closes the breaker and every waiting
  request goes on; a failure opens it again. After `pauses` pauses it trips instead: the
  job stops (exit status 3) and the articles not finished stay pending for the next run.

A failure is a connection refused or dropped, a timeout, a 5xx, or a 408/409/429 left
after the client's retries. Any answer, even an unusable one or a 400, means the endpoint
works. 401/403/404 are the settings' fault: the job stops on them at once, without this.

The breaker knows nothing of articles: the job listens (`on_change`) to decide what an
article the endpoint failed becomes (failed, redone, or left pending).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable

from repair.errors import ModelCallError, ModelOutputError
from repair.llm.protocol import ChatModel, ChatReply, ChatRequest

log = logging.getLogger(__name__)

# HTTP statuses that say the endpoint is in trouble rather than the request wrong.
_TROUBLE = frozenset({408, 409, 429})


class State(enum.Enum):
    CLOSED = "closed"  # requests go
    OPEN = "open"  # paused: requests wait, then one probes
    TRIPPED = "tripped"  # the endpoint kept failing: the job stops


def endpoint_failed(exc: ModelCallError) -> bool:
    """Whether the call failed for the endpoint's sake (not for the request or the key)."""
    status = exc.context.get("status")
    return status is None or status >= 500 or status in _TROUBLE


class Breaker:
    """Counts endpoint failures across a job; `GuardedChat` asks it before every request."""

    def __init__(self, *, failures: int, pause_s: float, pauses: int) -> None:
        self.failures, self.pause_s, self.pauses = failures, pause_s, pauses
        self.state = State.CLOSED
        self.streak = 0  # endpoint failures since the last answer
        self.answered = 0  # requests answered this run (any answer)
        self.failed = 0  # requests that failed for the endpoint's sake this run
        self.paused = 0  # pauses in the current outage (an answer resets it)
        self.pauses_taken = 0  # pauses in the whole run
        self.paused_s = 0.0
        self.last_error: ModelCallError | None = None
        # Told of each change, and with CLOSED when an answer ends a streak of failures.
        self.on_change: Callable[[State], None] | None = None
        self._probe_ready = False
        self._wake = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None

    async def admit(self) -> bool:
        """Wait until a request may go; True when it goes as the probe of an open breaker.

        Raises ModelCallError once the breaker has tripped: the pipeline stops the article
        at once (reason "unreachable"), as it would for a refused connection.
        """
        while True:
            if self.state is State.TRIPPED:
                raise self.stopped()
            if self.state is State.CLOSED:
                return False
            if self._probe_ready:
                self._probe_ready = False
                return True
            await self._wake.wait()

    def record(self, failure: ModelCallError | None, *, probe: bool) -> None:
        """The outcome of one request: None when the endpoint answered."""
        if self.state is State.TRIPPED:
            return
        if failure is None:
            self.answered += 1
            failing = self.streak > 0 or self.state is State.OPEN
            self.streak = self.paused = 0
            if self.state is State.OPEN:
                log.warning("the model endpoint answered again; going on")
                self._set(State.CLOSED)
            elif failing:
                self._tell(State.CLOSED)
            return
        self.failed += 1
        self.last_error = failure
        if self.state is State.OPEN:
            if probe:  # requests sent before the pause end as they may: only the probe counts
                self._pause_or_trip()
            return
        self.streak += 1
        if self.streak >= self.failures:
            self._pause_or_trip()

    def release_probe(self) -> None:
        """The probe was cancelled before it had an answer: let another request probe."""
        if self.state is State.OPEN:
            self._probe_ready = True
            self._notify()

    def stopped(self) -> ModelCallError:
        return ModelCallError(
            self.message(),
            status=None,
            attempts=0,
            retryable=True,
            reason="unreachable",
            stopped=True,
        )

    def message(self) -> str:
        """Why the job stopped, in one line, for the summary and the user."""
        last = self.last_error.message if self.last_error else "none"
        waited = ""
        if self.pauses_taken:
            waited = f", the last after {self.pauses_taken} pause(s), {self.paused_s:.3g} s in all"
        failed = f"{self.failed} request(s) failed{waited}"
        return f"no answer from the model endpoint: {failed}; last error: {last}"

    def close(self) -> None:
        """The job is over: no timer may fire after it."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _pause_or_trip(self) -> None:
        if self.paused >= self.pauses:
            self._set(State.TRIPPED)
            return
        pause = self.pause_s * 2**self.paused
        what = "the trial request failed too" if self.paused else f"{self.streak} in a row"
        self.paused += 1
        self.pauses_taken += 1
        self.paused_s += pause
        self._probe_ready = False
        log.warning(
            "the model endpoint keeps failing (%s); pause %d of %d: no request for %.1f s, "
            "then one trial request. Last error: %s",
            what,
            self.paused,
            self.pauses,
            pause,
            self.last_error.message if self.last_error else "none",
        )
        self._set(State.OPEN)
        self._timer = asyncio.get_running_loop().call_later(pause, self._let_one_through)

    def _let_one_through(self) -> None:
        self._timer = None
        if self.state is State.OPEN:
            self._probe_ready = True
            self._notify()

    def _set(self, state: State) -> None:
        self.state = state
        if state is not State.OPEN:
            self.close()
        self._notify()
        self._tell(state)

    def _tell(self, state: State) -> None:
        if self.on_change is not None:
            self.on_change(state)

    def _notify(self) -> None:
        # Every waiter looks at the state again; an Event per change needs no lock.
        self._wake.set()
        self._wake = asyncio.Event()


class GuardedChat:
    """A `ChatModel` that asks the breaker before each request and tells it the outcome."""

    def __init__(self, inner: ChatModel, breaker: Breaker) -> None:
        self._inner, self._breaker = inner, breaker

    async def complete(self, request: ChatRequest) -> ChatReply:
        probe = await self._breaker.admit()
        try:
            reply = await self._inner.complete(request)
        except ModelCallError as exc:
            self._breaker.record(exc if endpoint_failed(exc) else None, probe=probe)
            raise
        except ModelOutputError:
            self._breaker.record(None, probe=probe)  # an answer, if not a usable one
            raise
        except BaseException:
            if probe:
                self._breaker.release_probe()
            raise
        self._breaker.record(None, probe=probe)
        return reply

    async def aclose(self) -> None:
        await self._inner.aclose()
