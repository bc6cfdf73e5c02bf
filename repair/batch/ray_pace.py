"""One pace for a whole Ray job: requests and tokens per minute, and the 429 pause, held
by one limiter actor that every worker asks before each request.

Why one actor rather than a share of the limit per worker: a share holds the sum under
the limit only while every worker is equally busy (a worker short of articles leaves its
share unused, and one with long articles waits on its own), the x-ratelimit headers
describe the key's budget, which only a single holder can act on, and a 429 seen by one
worker must hold the others too, or each finds the limit for itself with a 429 of its
own. The price is one round trip to the actor per request (about a millisecond, against
model answers of a second or more), and the actor is one more process to keep alive.

The actor holds the same `RateGate` the local job uses (llm/pacing.py); `RemoteGate` is
what a worker's `OpenAIChat` holds in its place. Ray is imported here only when an actor
is made, so `import repair` never needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from repair.llm.pacing import RateGate


class Limiter:
    """The body of the limiter actor (`limiter_actor` makes it one): a `RateGate`."""

    def __init__(self, requests_per_minute: float | None, tokens_per_minute: float | None) -> None:
        self._gate = RateGate(requests_per_minute, tokens_per_minute)

    async def acquire(self, tokens: int) -> None:
        await self._gate.acquire(tokens)

    async def settle(self, reserved: int, used: int | None, headers: dict[str, str]) -> None:
        self._gate.settle(reserved, used, headers)

    async def pause(self, seconds: float | None) -> None:
        self._gate.pause(seconds)

    async def stats(self) -> tuple[int, float]:
        """Rate-limit pauses taken and seconds paused, for the job's summary."""
        return self._gate.pauses, self._gate.paused_s


def limiter_actor(
    requests_per_minute: float | None, tokens_per_minute: float | None, *, name: str | None = None
) -> Any:
    """Start the limiter actor (an async actor: waiting workers do not block each other).

    It needs no CPU of its own: it only sleeps and counts.
    """
    import ray  # the optional extra: only a Ray job gets here

    actor = ray.remote(num_cpus=0, max_restarts=-1)(Limiter)
    options: dict[str, Any] = {"name": name} if name else {}
    return actor.options(**options).remote(requests_per_minute, tokens_per_minute)


class RemoteGate(RateGate):
    """A `RateGate` whose pace lives in the limiter actor, for a worker's `OpenAIChat`.

    `acquire` waits for the actor's word. `settle` and `pause` are plain functions to the
    client, so they are sent without waiting for an answer: Ray runs a task whose result
    nobody reads all the same, and an async actor starts one caller's tasks in the order
    they were sent, so a 429's pause is in place before this worker's next `acquire`.
    """

    def __init__(self, limiter: Any) -> None:
        super().__init__()  # no pace of its own: the actor's is the one that counts
        self._limiter = limiter

    async def acquire(self, tokens: int = 0) -> None:
        await self._limiter.acquire.remote(tokens)

    def settle(self, reserved: int, used: int | None, headers: Mapping[str, str]) -> None:
        self._limiter.settle.remote(reserved, used, dict(headers))

    def pause(self, seconds: float | None) -> None:
        self._limiter.pause.remote(seconds)
