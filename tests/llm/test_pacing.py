"""The shared gate of a batch: an even pace under requests and tokens per minute, a pause
on 429, rate headers.

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


async def granted(g: RateGate, clock: Clock, count: int, tokens: int = 0) -> list[float]:
    """When each of `count` workers, all asking at once, was let through."""
    times: list[float] = []

    async def worker() -> None:
        await g.acquire(tokens)
        times.append(clock.now)

    await asyncio.gather(*(worker() for _ in range(count)))
    return times


async def test_requests_are_spread_evenly_from_the_start() -> None:
    clock = Clock()
    g = gate(clock, rpm=60)
    # Twenty asking at once: one a second, never the minute's quota in a burst.
    times = await granted(g, clock, 20)
    assert times == pytest.approx([100.0 + i for i in range(20)])


async def test_every_window_sees_at_most_its_share() -> None:
    clock = Clock()
    g = gate(clock, rpm=480)  # an interval of 1/8 s: exact in binary, so the sums are too
    times = await granted(g, clock, 300)
    for window in (0.125, 1.0, 10.0):
        share = round(window * 480 / 60)
        most = max(sum(1 for t in times if start <= t < start + window) for start in times)
        assert most <= share


async def test_an_idle_spell_is_not_banked_for_a_burst() -> None:
    clock = Clock()
    g = gate(clock, rpm=60)
    await g.acquire()
    clock.now += 30.0  # nobody asked for half a minute
    times = await granted(g, clock, 3)
    assert times == pytest.approx([130.0, 131.0, 132.0])


async def test_tokens_per_minute_pace_by_the_tokens_sent() -> None:
    clock = Clock()
    g = gate(clock, tpm=6000)  # 100 tokens a second
    times = await granted(g, clock, 3, tokens=500)
    assert times == pytest.approx([100.0, 105.0, 110.0])  # each holds the next back 5 s


async def test_unused_tokens_are_given_back() -> None:
    clock = Clock()
    g = gate(clock, tpm=6000)
    await g.acquire(800)
    g.settle(800, 200, {})  # 600 unused: the next waits for the 200 used, 2 s
    await g.acquire(800)
    assert clock.now == pytest.approx(102.0)


async def test_both_paces_hold_a_request() -> None:
    clock = Clock()
    g = gate(clock, rpm=60, tpm=6000)
    times = await granted(g, clock, 3, tokens=200)
    assert times == pytest.approx([100.0, 102.0, 104.0])  # the tokens are the slower


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
    g.pause(None)  # no Retry-After and no pace: a default pause
    await g.acquire()
    assert clock.now == pytest.approx(101.3)


async def test_a_429_without_retry_after_pauses_one_interval_of_the_pace() -> None:
    clock = Clock()
    g = gate(clock, rpm=600)
    await g.acquire()
    g.pause(None)
    await g.acquire()
    assert clock.now == pytest.approx(100.1)
    assert g.paused_s == pytest.approx(0.1)


async def test_after_a_pause_the_pace_goes_on_without_a_burst() -> None:
    clock = Clock()
    g = gate(clock, rpm=60)
    await g.acquire()
    g.pause(5.0)
    times = await granted(g, clock, 3)
    assert times == pytest.approx([105.0, 106.0, 107.0])


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
    woke = await granted(g, clock, 5)
    assert len(woke) == 5 and min(woke) >= 101.0


SPENT = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "60s"}


async def test_a_spent_budget_holds_one_interval_not_until_the_reset() -> None:
    clock = Clock()
    g = gate(clock, rpm=60)
    await g.acquire()
    clock.now += 0.3
    g.settle(0, None, SPENT)  # the window resets in a minute; one request frees in 1 s
    await g.acquire()
    assert clock.now == pytest.approx(101.0)
    assert g.pauses == 0


async def test_a_429_with_a_spent_budget_waits_for_retry_after_not_the_reset() -> None:
    clock = Clock()
    g = gate(clock, rpm=60)
    await g.acquire()
    g.settle(0, 0, SPENT)
    g.pause(0.4)  # what the client does with a 429's Retry-After
    await g.acquire()
    assert clock.now == pytest.approx(101.0)  # the next slot, not a minute later


async def test_spent_budgets_in_every_answer_do_not_slow_an_even_pace() -> None:
    clock = Clock()
    g = gate(clock, rpm=60)
    times: list[float] = []
    for _ in range(10):
        await g.acquire()
        times.append(clock.now)
        # At the limit, a window is full after every request: "remaining 0" is the rule,
        # and it arrives with an answer, some time after the request went.
        clock.now += 0.7
        g.settle(0, None, SPENT)
    assert times == pytest.approx([100.0 + i for i in range(10)])


async def test_spent_tokens_from_a_shared_key_slow_the_pace() -> None:
    clock = Clock()
    g = gate(clock, tpm=6000)  # 100 tokens a second
    await g.acquire(300)  # at 100; the next may go at 103
    await g.acquire(100)  # at 103; the next may go at 104
    clock.now += 0.5
    # The first one's answer: someone else spent the rest. Another 300 come back 3 s
    # after the last request went, not a minute later when the window resets.
    headers = {"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "1m"}
    g.settle(300, 300, headers)
    await g.acquire(300)
    assert clock.now == pytest.approx(106.0)


async def test_a_spent_budget_waits_at_the_endpoint_s_lower_pace() -> None:
    clock = Clock()
    g = gate(clock, rpm=120)
    await g.acquire()
    g.settle(0, None, {"x-ratelimit-limit-requests": "30", **SPENT})
    await g.acquire()
    assert clock.now == pytest.approx(102.0)


async def test_a_lower_limit_in_the_headers_slows_the_pace() -> None:
    clock = Clock()
    g = gate(clock, rpm=120)
    g.settle(0, None, {"x-ratelimit-limit-requests": "60"})  # the key allows less
    times = await granted(g, clock, 3)
    assert times == pytest.approx([100.0, 101.0, 102.0])
    g.settle(0, None, {"x-ratelimit-limit-requests": "6000"})  # never faster than asked
    times = await granted(g, clock, 2)
    assert times == pytest.approx([103.0, 104.0])


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


async def test_a_limit_learned_from_the_headers_counts_the_requests_out() -> None:
    clock = Clock()
    g = gate(clock)
    for _ in range(5):  # no pace yet: they all go at once
        await g.acquire()
    g.settle(0, None, {"x-ratelimit-limit-requests": "60"})
    times = await granted(g, clock, 2)
    assert times == pytest.approx([105.0, 106.0])  # as if the five had gone a second apart


async def test_a_spent_budget_and_no_pace_known_pause_briefly() -> None:
    clock = Clock()
    g = gate(clock)
    g.settle(0, None, SPENT)
    await g.acquire()
    assert clock.now == pytest.approx(101.0)  # DEFAULT_PAUSE, not the minute
