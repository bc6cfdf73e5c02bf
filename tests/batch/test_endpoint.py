"""The batch against an endpoint that fails, floods or is interrupted.

- A dead endpoint (a closed port) or one that answers 500 to everything: the circuit
  breaker pauses the job, then stops it with exit status 3; the articles are left pending,
  never failed, the requests sent are bounded, and a rerun against a healthy server does
  the rest. An outage that ends during a pause costs no article anything.
- Answers over a size cap are used but not kept in the store.
- Ctrl-C: no article starts after the first press; the second abandons within 2 s.
- The counters of a first run: nothing answered "from the store", nothing "in progress"
  at 100%.
"""

from __future__ import annotations

import asyncio
import functools
import signal
import socket
import time
from collections import deque
from pathlib import Path

import pytest

from repair import batch
from repair.batch import BatchOptions, Progress
from repair.batch.breaker import Breaker, GuardedChat, State
from repair.batch.store import STORE_NAME
from repair.cli import batch as cli_batch
from repair.cli import main
from repair.errors import ModelCallError, ModelOutputError
from repair.llm import ChatReply, ChatRequest
from repair.results import Usage
from repair.testing.fake import FakeServer
from tests.batch.test_job import (
    PAIRS,
    TimedServer,
    _batch_process,
    _wait_for_lines,
    make_folder,
    manifest,
    requests,
    tree,
)
from tests.conftest import TEST_KEY, config_for
from tests.hostile import HostileServer

# Small numbers, so that a test stops in a second: open after 3 failures in a row, pause
# 0.05 s then 0.1 s, then stop.
QUICK = BatchOptions(breaker_failures=3, breaker_pause_s=0.05, breaker_pauses=2)
CONCURRENCY = 2
# What may reach a failing endpoint: the failures that open the breaker, the requests
# already in flight then, and one trial request per pause.
MOST_REQUESTS = QUICK.breaker_failures + CONCURRENCY + QUICK.breaker_pauses


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again: nobody listens there


def eight_articles(tmp_path: Path) -> Path:
    return make_folder(tmp_path / "src", {f"{i}.txt": s for i, (s, _) in enumerate(PAIRS)})


def clean_tree(src: Path, tmp_path: Path) -> dict[str, bytes]:
    with FakeServer() as healthy:
        batch.run(src, tmp_path / "clean", config_for(healthy))
    return tree(tmp_path / "clean")


# --- a dead endpoint, a failing one ---------------------------------------------------


def test_a_closed_port_stops_the_job_with_exit_3_and_nothing_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    # The command has no options for the breaker: its defaults would take a minute here.
    quick = QUICK.model_dump(include={"breaker_failures", "breaker_pause_s", "breaker_pauses"})
    monkeypatch.setattr(cli_batch, "BatchOptions", functools.partial(BatchOptions, **quick))
    src, out = eight_articles(tmp_path), tmp_path / "out"
    url = f"http://127.0.0.1:{closed_port()}/v1"
    argv = ["batch", str(src), "--out", str(out), "--base-url", url, "--json"]
    argv += ["--concurrency", str(CONCURRENCY), "--max-attempts", "1", "--progress", "none"]
    started = time.monotonic()
    code = main(argv)
    elapsed = time.monotonic() - started
    printed, err = capsys.readouterr()
    assert code == 3 and elapsed < 10
    assert "stopped, the endpoint kept failing" in err and "could not connect" in err
    assert f"{url}/" in err and "rerun the same command" in err and TEST_KEY not in err
    summary = batch.BatchSummary.model_validate_json(printed)
    assert summary.endpoint_down and summary.exit_code == 3 and summary.endpoint_pauses == 2
    assert 0 < summary.failed_requests <= MOST_REQUESTS
    assert summary.statuses == {"repaired": 0, "flagged": 0, "failed": 0, "skipped": 0}
    assert manifest(out) == [] and tree(out) == {}  # pending, not failed
    with FakeServer() as healthy:
        resumed = batch.run(src, out, config_for(healthy), options=QUICK)
    assert resumed.exit_code == 0 and resumed.statuses["repaired"] == len(PAIRS)
    assert tree(out) == clean_tree(src, tmp_path)


@pytest.mark.parametrize("answered", [0, 3])
def test_a_server_that_answers_500_stops_the_job_after_bounded_requests(
    tmp_path: Path, answered: int
) -> None:
    src, out = eight_articles(tmp_path), tmp_path / "out"
    config = {"concurrency": CONCURRENCY, "max_attempts": 2, "glossary_pass": False}
    with FakeServer(fault_rate=1.0, fault_mix=("500",)) as failing:
        failing.script(*["ok"] * answered)  # some answers first, then 500 for ever
        started = time.monotonic()
        summary = batch.run(src, out, config_for(failing, **config), options=QUICK)
        elapsed = time.monotonic() - started
        sent = requests(failing)
    assert summary.exit_code == 3 and elapsed < 10
    assert summary.stop_reason and "HTTP 500" in summary.stop_reason
    # Each request is tried twice by the client; the breaker bounds how many are made.
    assert sent <= answered + 2 * MOST_REQUESTS
    entries = manifest(out)
    assert all(e["status"] == "repaired" for e in entries)  # the rest: pending, not failed
    assert len(entries) == summary.statuses["repaired"] <= answered
    assert summary.unfinished + len(entries) <= summary.articles
    with FakeServer() as healthy:
        resumed = batch.run(src, out, config_for(healthy, **config), options=QUICK)
    assert resumed.exit_code == 0 and resumed.reused == len(entries)
    assert tree(out) == clean_tree(src, tmp_path) and len(manifest(out)) == len(PAIRS)


def test_an_outage_that_ends_during_a_pause_fails_no_article(tmp_path: Path) -> None:
    src, out = eight_articles(tmp_path), tmp_path / "out"
    options = BatchOptions(breaker_failures=3, breaker_pause_s=0.05, breaker_pauses=3)
    with FakeServer() as server:
        server.script(*["500"] * 5)  # then it answers again
        config = config_for(server, concurrency=CONCURRENCY, max_attempts=1, glossary_pass=False)
        summary = batch.run(src, out, config, options=options)
    assert summary.endpoint_pauses >= 1 and summary.failed_requests == 5
    assert summary.statuses["repaired"] == len(PAIRS) and summary.exit_code == 0
    assert tree(out) == clean_tree(src, tmp_path)
    # The articles that failed as it went down were redone, not marked failed.
    assert sum(e["attempts"] > 1 for e in manifest(out)) >= 3


# --- the breaker on its own -----------------------------------------------------------


class Scripted:
    """A ChatModel that plays outcomes in order, then answers."""

    def __init__(self, *outcomes: str) -> None:
        self.outcomes = deque(outcomes)
        self.calls = 0

    async def complete(self, request: ChatRequest) -> ChatReply:
        self.calls += 1
        await asyncio.sleep(0.001)
        outcome = self.outcomes.popleft() if self.outcomes else "ok"
        if outcome == "down":
            raise ModelCallError("refused", status=None, reason="unreachable")
        if outcome in ("500", "429", "400"):
            raise ModelCallError(f"HTTP {outcome}", status=int(outcome))
        if outcome == "empty":
            raise ModelOutputError("the answer was empty", reason="empty")
        return ChatReply("ok", "stop", request.model, Usage(calls=1))

    async def aclose(self) -> None:
        return None


REQUEST = ChatRequest([{"role": "user", "content": "x"}], "m", 0.0, 10)


async def _outcome(chat: GuardedChat) -> str:
    try:
        return (await chat.complete(REQUEST)).content or ""
    except (ModelCallError, ModelOutputError) as exc:
        return exc.message


async def test_the_breaker_opens_pauses_twice_as_long_and_closes_on_an_answer() -> None:
    breaker = Breaker(failures=2, pause_s=0.05, pauses=2)
    changes: list[State] = []
    breaker.on_change = changes.append
    inner = Scripted("down", "500", "429", "ok")
    chat = GuardedChat(inner, breaker)
    assert [await _outcome(chat), await _outcome(chat)] == ["refused", "HTTP 500"]
    assert breaker.state is State.OPEN
    started = time.monotonic()
    assert await _outcome(chat) == "HTTP 429"  # the trial request, after 0.05 s
    assert await _outcome(chat) == "ok"  # the next trial, after 0.1 s more
    assert time.monotonic() - started >= 0.15
    assert changes == [State.OPEN, State.OPEN, State.CLOSED] and breaker.state is State.CLOSED
    assert (breaker.failed, breaker.answered, breaker.pauses_taken) == (3, 1, 2)


async def test_any_answer_ends_a_streak_and_a_tripped_breaker_sends_nothing() -> None:
    breaker = Breaker(failures=2, pause_s=0.01, pauses=1)
    inner = Scripted("down", "400", "500", "empty", "down", "down", "down")
    chat = GuardedChat(inner, breaker)
    for _ in range(4):  # a 400 and an unusable answer are the endpoint working
        await _outcome(chat)
    assert breaker.state is State.CLOSED and breaker.streak == 0
    await _outcome(chat)
    await _outcome(chat)  # two in a row: open
    assert await _outcome(chat) == "refused"  # the one trial fails: tripped
    assert breaker.state is State.TRIPPED and inner.calls == 7
    message = await _outcome(chat)
    assert message.startswith("no answer from the model endpoint: 5 request(s) failed")
    assert "1 pause(s)" in message and message.endswith("last error: refused")
    assert inner.calls == 7  # nothing more was sent


async def test_while_open_one_request_probes_and_the_others_wait_for_it() -> None:
    breaker = Breaker(failures=1, pause_s=0.02, pauses=1)
    inner = Scripted("down", "ok")
    chat = GuardedChat(inner, breaker)
    await _outcome(chat)
    assert breaker.state is State.OPEN
    waiting = [asyncio.create_task(_outcome(chat)) for _ in range(5)]
    await asyncio.sleep(0.01)
    assert inner.calls == 1  # paused: nobody went
    assert await asyncio.gather(*waiting) == ["ok"] * 5
    assert inner.calls == 6 and breaker.state is State.CLOSED


async def test_a_cancelled_trial_request_lets_another_one_try() -> None:
    breaker = Breaker(failures=1, pause_s=0.01, pauses=1)

    class Hanging(Scripted):
        async def complete(self, request: ChatRequest) -> ChatReply:
            if self.calls == 1:
                self.calls += 1
                await asyncio.sleep(60)
            return await super().complete(request)

    chat = GuardedChat(Hanging("down"), breaker)
    await _outcome(chat)
    trial = asyncio.create_task(_outcome(chat))
    await asyncio.sleep(0.05)  # the trial is in flight, hanging
    other = asyncio.create_task(_outcome(chat))
    trial.cancel()
    assert await asyncio.wait_for(other, 1) == "ok"


# --- answers too large to keep --------------------------------------------------------


def test_a_huge_answer_never_fills_the_store(tmp_path: Path) -> None:
    src = make_folder(tmp_path / "src", {"a.txt": PAIRS[0][0], "b.txt": PAIRS[1][0]})
    out = tmp_path / "out"
    with HostileServer("huge") as server:  # 20 MB answers
        config = config_for(server, max_attempts=1)  # type: ignore[arg-type]
        summary = batch.run(src, out, config)
    assert summary.statuses["flagged"] == 2
    stored = sum(p.stat().st_size for p in out.glob(STORE_NAME + "*"))
    assert stored < 1_000_000  # was 84 MB
    assert server.requests <= 2 * (1 + 1 + config.max_reasks)  # glossary + chunk asks


class Padded:
    """A ChatModel whose every answer is 300,000 characters (no HTTP: no client cap)."""

    def __init__(self) -> None:
        self.calls = 0

    async def complete(self, request: ChatRequest) -> ChatReply:
        self.calls += 1
        return ChatReply("[[P1]] " + "word " * 60_000, "stop", request.model, Usage(calls=1))

    async def aclose(self) -> None:
        return None


def test_answers_over_the_cap_are_used_but_not_stored(tmp_path: Path) -> None:
    src = make_folder(tmp_path / "src", {"a.txt": PAIRS[0][0], "b.txt": PAIRS[1][0]})
    out = tmp_path / "out"
    with FakeServer() as server:
        config = config_for(server, glossary_pass=False)
    model = Padded()
    summary = batch.run(src, out, config, client=model)
    assert summary.statuses["flagged"] == 2 and model.calls > 2
    assert summary.unstored == model.calls
    stored = sum(p.stat().st_size for p in out.glob(STORE_NAME + "*"))
    assert stored < 200_000
    kept = batch.run(
        src,
        tmp_path / "kept",
        config,
        client=Padded(),
        options=BatchOptions(max_stored_answer_chars=1_000_000),
    )
    assert kept.unstored == 0


# --- Ctrl-C ---------------------------------------------------------------------------


def test_no_article_starts_after_the_first_ctrl_c(tmp_path: Path) -> None:
    src = eight_articles(tmp_path)
    with TimedServer(ttft=1.0) as server:
        out = tmp_path / "out"
        process = _batch_process(
            src, out, server, "--concurrency", "2", "--in-flight", "2", "--no-glossary"
        )
        _wait_for_lines(out / "manifest.jsonl", 1, process)
        # The articles that took the freed slots have sent their requests: none came for a
        # while (a fixed pause was too short on a loaded machine, their names and facts
        # being read in a checker process first).
        quiet_since, seen = time.monotonic(), len(server.arrivals)
        deadline = quiet_since + 10
        while time.monotonic() - quiet_since < 0.3 and time.monotonic() < deadline:
            time.sleep(0.02)
            if len(server.arrivals) != seen:
                quiet_since, seen = time.monotonic(), len(server.arrivals)
        pressed = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
        late = [t - pressed for t, _ in server.arrivals if t - pressed > 0.1]
    assert process.returncode == 130, err
    assert late == []  # the two in flight finished; none started after them
    entries = manifest(out)
    assert all(e["status"] == "repaired" for e in entries)
    assert len(entries) == len(server.arrivals) < len(PAIRS)


def test_the_second_ctrl_c_abandons_within_2_s_and_the_resume_is_exact(tmp_path: Path) -> None:
    src = eight_articles(tmp_path)
    expected = clean_tree(src, tmp_path)
    out = tmp_path / "out"
    with TimedServer(ttft=30.0) as slow:
        process = _batch_process(src, out, slow, "--concurrency", "2", "--no-glossary")
        deadline = time.monotonic() + 20
        while len(slow.arrivals) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        time.sleep(0.3)
        pressed = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=40)
        took = time.monotonic() - pressed
        arrived = len(slow.arrivals)
    assert process.returncode == 130 and took < 2, (took, err)
    assert "abandoning" in err and "to resume" in err
    assert arrived == 2  # nothing started after the first press, nor after the second
    assert manifest(out) == []
    with FakeServer() as healthy:
        resumed = batch.run(src, out, config_for(healthy, glossary_pass=False))
    assert resumed.exit_code == 0 and tree(out) == expected


# --- the counters ---------------------------------------------------------------------


def test_a_first_run_answers_nothing_from_the_store(tmp_path: Path) -> None:
    # Two copies of one article: the second is answered by the first one's request.
    src = make_folder(
        tmp_path / "src",
        {"a.txt": PAIRS[0][0], "copy.txt": PAIRS[0][0], "b.txt": PAIRS[1][0]},
    )
    seen: list[Progress] = []
    with FakeServer(ttft=0.02) as server:
        first = batch.run(src, tmp_path / "out", config_for(server), on_progress=seen.append)
        assert first.requests == requests(server)
    assert first.cache_hits == 0 and first.shared > 0
    assert sum(e["calls"] for e in manifest(tmp_path / "out")) == first.requests + first.shared
    finished = [p for p in seen if p.done == p.total]
    assert finished and all(p.in_flight == 0 for p in finished)
    with FakeServer(ttft=0.02) as server:
        again = batch.run(src, tmp_path / "out", config_for(server, max_reasks=1))
    assert again.cache_hits > 0 and again.requests == 0  # an earlier run's answers
