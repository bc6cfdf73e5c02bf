"""The batch against an endpoint that floods or is interrupted.

- Answers over a size cap are used but not kept in the store.
- Ctrl-C: no article starts after the first press; the second abandons within 2 s.
- The counters of a first run: nothing answered "from the store", nothing "in progress"
  at 100%.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from repair import batch
from repair.batch import BatchOptions, Progress
from repair.batch.store import STORE_NAME
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
from tests.conftest import config_for
from tests.hostile import HostileServer


def eight_articles(tmp_path: Path) -> Path:
    return make_folder(tmp_path / "src", {f"{i}.txt": s for i, (s, _) in enumerate(PAIRS)})


def clean_tree(src: Path, tmp_path: Path) -> dict[str, bytes]:
    with FakeServer() as healthy:
        batch.run(src, tmp_path / "clean", config_for(healthy))
    return tree(tmp_path / "clean")


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
        time.sleep(0.2)  # the articles that took the freed slots have sent their requests
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
