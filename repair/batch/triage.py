"""What becomes of an article the endpoint failed: the breaker's next word decides.

An article whose request failed after the client's retries (refused, timed out, 5xx) is
not at fault by itself; whether the endpoint is is known only later:

- The endpoint answered another request since: it was that article's bad luck. It is
  `failed`, as before the breaker (`--retry-failed` redoes it).
- The endpoint failed since, but not yet enough to pause: the article is held until the
  breaker either closes the streak (an answer: failed) or opens (an outage).
- An outage (the breaker is open): the article is handed back, to be redone once the
  endpoint answers again; at most `max_hand_backs` times, for an endpoint that flaps.
- The breaker tripped, or the run ends with held articles and not one answer: they are
  dropped here, which leaves them pending in the store for the next run. Never `failed`
  because the endpoint was down.

Only lists change here: the job records the verdicts (a write may fail and must stop the
job, which it cannot from inside another article's request, where the breaker speaks).
"""

from __future__ import annotations

from collections import deque
from typing import Generic, Protocol, TypeVar

from repair.batch.breaker import Breaker, State


class _Work(Protocol):
    handed_back: int  # times it was handed back during an outage


W = TypeVar("W", bound=_Work)


class Triage(Generic[W]):
    def __init__(self, breaker: Breaker, *, max_hand_backs: int) -> None:
        self.breaker = breaker
        self.max_hand_backs = max_hand_backs
        self.held: list[W] = []  # waiting for the endpoint's next outcome
        self.failed: deque[W] = deque()  # judged: record them as failed
        self.retry: deque[W] = deque()  # handed back: redo them

    def endpoint_failed(self, work: W) -> None:
        state = self.breaker.state
        if state is State.TRIPPED:
            return  # the job is stopping: pending
        if state is State.OPEN:
            self._hand_back(work)
        elif self.breaker.streak:
            self.held.append(work)
        else:
            self.failed.append(work)  # it answered another request since

    def changed(self, state: State) -> None:
        """The breaker's `on_change`: closed after failures, opened, or tripped."""
        held, self.held = self.held, []
        if state is State.CLOSED:
            self.failed.extend(held)
        elif state is State.OPEN:
            for work in held:
                self._hand_back(work)
        else:
            self.retry.clear()  # pending, with the held ones

    def end(self) -> bool:
        """The run is over: held articles are failed, unless the endpoint never answered
        in this run; then they stay pending and this returns True (the endpoint is down)."""
        held, self.held = self.held, []
        if held and not self.breaker.answered:
            return True
        self.failed.extend(held)
        return False

    def _hand_back(self, work: W) -> None:
        work.handed_back += 1
        if work.handed_back > self.max_hand_backs:
            self.failed.append(work)
        else:
            self.retry.append(work)
