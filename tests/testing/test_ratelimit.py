"""The fake server's own rate limit: sliding and fixed windows, Retry-After, headers.

A fake clock drives `WindowLimit`; one test goes through the server over HTTP.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from repair.llm.pacing import read_headers
from repair.testing.fake import FakeServer
from repair.testing.ratelimit import WindowLimit


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_a_sliding_window_admits_its_share_and_says_when_the_next_fits() -> None:
    clock = Clock()
    limit = WindowLimit(requests=3, window=10.0, clock=clock)
    for _ in range(3):
        assert limit.admit(0).admitted
        clock.now += 1.0
    refused = limit.admit(0)  # at 53: the first (at 50) leaves at 60
    assert not refused.admitted and refused.retry_after == pytest.approx(7.0)
    clock.now = 60.0
    assert limit.admit(0).admitted
    clock.now = 60.5  # 51, 52 and 60 are in the window
    assert not limit.admit(0).admitted


def test_a_refused_request_does_not_count() -> None:
    clock = Clock()
    limit = WindowLimit(requests=1, window=1.0, clock=clock)
    assert limit.admit(0).admitted
    for _ in range(5):
        assert not limit.admit(0).admitted
    clock.now += 1.0
    assert limit.admit(0).admitted


def test_a_fixed_window_forgets_everything_when_the_next_begins() -> None:
    clock = Clock()
    limit = WindowLimit(requests=2, window=10.0, fixed=True, clock=clock)  # from 50
    clock.now = 58.0
    assert limit.admit(0).admitted and limit.admit(0).admitted
    refused = limit.admit(0)
    assert not refused.admitted and refused.retry_after == pytest.approx(2.0)
    clock.now = 60.0  # a new window: both at once again, which a sliding one refuses
    assert limit.admit(0).admitted and limit.admit(0).admitted


def test_tokens_are_counted_and_wait_for_enough_to_leave() -> None:
    clock = Clock()
    limit = WindowLimit(tokens=1000, window=60.0, clock=clock)
    assert limit.admit(600).admitted
    clock.now += 10.0
    assert limit.admit(300).admitted
    refused = limit.admit(500)  # 900 in the window: the 600 must leave, at 110
    assert not refused.admitted and refused.retry_after == pytest.approx(50.0)
    clock.now = 110.0
    assert limit.admit(500).admitted
    clock.now = 500.0
    assert limit.admit(5000).admitted  # larger than the budget: into an empty window


def test_headers_quote_per_minute_and_count_the_window() -> None:
    clock = Clock()
    limit = WindowLimit(requests=100, tokens=20_000, window=10.0, clock=clock)
    limit.admit(1500)
    clock.now += 4.0
    headers = read_headers(limit.admit(500).headers)
    assert headers == {
        "limit-requests": 600.0,  # 100 per 10 s, quoted per minute
        "remaining-requests": 98.0,
        "reset-requests": pytest.approx(10.0),  # until the last one leaves
        "limit-tokens": 120_000.0,
        "remaining-tokens": 18_000.0,
        "reset-tokens": pytest.approx(10.0),
    }


def test_the_server_answers_429_past_its_limit_with_retry_after() -> None:
    with FakeServer(limit_requests=2, limit_window=30.0) as server:
        statuses, headers = [], []
        for _ in range(3):
            request = urllib.request.Request(
                f"{server.base_url}/chat/completions",
                data=json.dumps(
                    {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
                ).encode(),
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:
                    statuses.append(answer.status)
                    headers.append(dict(answer.headers))
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)
                headers.append(dict(exc.headers))
        assert statuses == [200, 200, 429]
        assert headers[1]["x-ratelimit-remaining-requests"] == "0"
        assert 29_000 < int(headers[2]["retry-after-ms"]) <= 30_000
        assert [e.fault for e in server.chat_requests()] == [None, None, "rate-limit"]


def test_no_limit_unless_asked() -> None:
    with FakeServer() as server:
        assert server.limit is None
    with pytest.raises(ValueError, match="requests or tokens"):
        WindowLimit()
