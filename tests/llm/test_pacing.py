"""The shared gate of a batch: pause on 429, requests and tokens per minute, rate headers.

A fake clock drives it: `sleep` moves the clock instead of waiting.
"""

from __future__ import annotations

import asyncio

import pytest

from repair.llm.pacing import RateGate, parse_duration, read_headers


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def gate(clock: Clock, rpm: float | None = None, tpm: float | None = None) -> RateGate:
    return RateGate(rpm, tpm, clock=clock, sleep=clock.sleep)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("59.88s", 59.88),
        ("120ms", 0.12),
        ("1h2m3s", 3723.0),
        ("2.5", 2.5),
        ("soon", None),
        ("5x", None),
    ],
)
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == (pytest.approx(seconds) if seconds is not None else None)


def test_read_headers_keeps_only_rate_limit_numbers() -> None:
    headers = {
        "X-RateLimit-Limit-Requests": "500",
        "x-ratelimit-remaining-tokens": "1200",
        "x-ratelimit-reset-tokens": "6m0s",
        "x-ratelimit-remaining-requests": "many",
        "content-type": "application/json",
    }
    assert read_headers(headers) == {
        "limit-requests": 500.0,
        "remaining-tokens": 1200.0,
        "reset-tokens": 360.0,
    }


async def test_no_limits_never_waits() -> None:
    clock = Clock()
    g = gate(clock)
    for _ in range(100):
        await g.acquire(10_000)
    assert clock.slept == []


async def test_requests_per_minute_start_full_then_pace() -> None:
    clock = Clock()
    g = gate(clock, rpm=2)
    await g.acquire()
    await g.acquire()
    assert clock.slept == []
    await g.acquire()  # the bucket is empty: one request refills in 30 s
    assert sum(clock.slept) == pytest.approx(30.0)


async def test_tokens_per_minute_reserve_and_give_back() -> None:
    clock = Clock()
    g = gate(clock, tpm=1000)
    await g.acquire(800)
    g.settle(800, 200, {})  # 600 unused tokens come back: 800 left
    await g.acquire(800)
    assert clock.slept == []
    await g.acquire(500)  # none left: 500 refill in 30 s
    assert sum(clock.slept) == pytest.approx(30.0)


async def test_a_request_larger_than_the_limit_waits_for_a_full_bucket() -> None:
    clock = Clock()
    g = gate(clock, tpm=100)
    await g.acquire(5000)  # capped at the limit: it must not wait forever
    await g.acquire(5000)
    assert sum(clock.slept) == pytest.approx(60.0)


async def test_pause_holds_every_waiter_until_it_ends() -> None:
    clock = Clock()
    g = gate(clock)
    g.pause(0.3)
    await g.acquire()
    assert clock.now == pytest.approx(100.3)
    assert g.pauses == 1 and g.paused_s == pytest.approx(0.3)
    g.pause(None)  # no Retry-After: a default pause
    await g.acquire()
    assert clock.now == pytest.approx(101.3)


async def test_a_shorter_pause_does_not_cut_a_longer_one() -> None:
    clock = Clock()
    g = gate(clock)
    g.pause(2.0)
    g.pause(0.5)
    await g.acquire()
    assert clock.now == pytest.approx(102.0)
    assert g.pauses == 1


async def test_concurrent_waiters_all_wait_out_the_pause() -> None:
    clock = Clock()
    g = gate(clock)
    g.pause(1.0)
    woke: list[float] = []

    async def worker() -> None:
        await g.acquire()
        woke.append(clock.now)

    await asyncio.gather(*(worker() for _ in range(5)))
    assert len(woke) == 5 and min(woke) >= 101.0


async def test_spent_budget_in_headers_pauses_until_reset() -> None:
    clock = Clock()
    g = gate(clock)
    g.settle(0, None, {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s"})
    await g.acquire()
    assert clock.now == pytest.approx(102.0)


async def test_headers_give_the_limit_when_none_was_set() -> None:
    clock = Clock()
    g = gate(clock)
    g.settle(
        0,
        None,
        {"x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "1"},
    )
    await g.acquire()  # the one left
    assert clock.slept == []
    await g.acquire()  # then one a second, the endpoint's pace
    assert sum(clock.slept) == pytest.approx(1.0)
