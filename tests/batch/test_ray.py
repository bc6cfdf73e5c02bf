"""`repair batch --engine ray` and the Ray Data stage, on a local Ray (2 CPUs) against
the fake server over real HTTP.

Ray starts once for the whole session (a few seconds); each job starts its own workers
(a second or two). Archives are small: the 300-article comparison is bench/ray.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray", reason="the Ray tests need the `ray` extra")

from repair import batch, repair_article  # noqa: E402
from repair.batch import BatchControl, BatchOptions, Progress  # noqa: E402
from repair.batch.ray_job import arun_on_ray  # noqa: E402
from repair.batch.ray_stage import repair_dataset  # noqa: E402
from repair.cli import main  # noqa: E402
from repair.errors import ConfigurationError, ModelCallError  # noqa: E402
from repair.testing.fake import FakeServer, Logged  # noqa: E402
from tests.batch.test_job import make_folder, tree  # noqa: E402
from tests.conftest import TEST_KEY, config_for, small_article  # noqa: E402

WORKERS = 2
# Ray Data copies its context by setting every option, its own deprecated ones too, when
# it reads Parquet: their warnings are not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context")


@pytest.fixture(scope="session")
def local_ray() -> Iterator[Any]:
    """One local Ray for every test here: starting it is the slow part."""
    if not ray.is_initialized():
        ray.init(
            num_cpus=WORKERS,
            include_dashboard=False,
            _node_ip_address="127.0.0.1",  # never look for a public address
            logging_level=logging.WARNING,
            log_to_driver=False,
        )
    yield ray
    ray.shutdown()


def article(number: int, first: int = 5, count: int = 2) -> str:
    """A small article the fake knows, under a line of its own: no two ask the same."""
    return f"Archive item {number}, filed in 2024.\n\n" + small_article(first, count)[0]


def mixed_folder(root: Path, good: int = 6) -> Path:
    files: dict[str, str | bytes] = {
        f"news/{i:02d}.txt": article(i, first=1 + 3 * i) for i in range(good)
    }
    files["news/empty.txt"] = "  \n"
    files["news/binary.txt"] = b"\x00\x01\x02binary"
    files["notes/page.md"] = "# Archive item 90\n\n" + small_article(7, 1)[0]
    files["web/page.html"] = "<h1>Archive item 91</h1>\n<p>" + small_article(9, 1)[0] + "</p>\n"
    return make_folder(root, files)


def jsonl_archive(path: Path) -> Path:
    lines = [
        {"id": f"a{i}", "text": article(i, first=2 + 3 * i), "desk": "world"} for i in range(5)
    ]
    lines.append({"id": "h1", "html": "<p>" + small_article(4, 1)[0] + "</p>"})
    lines.append({"id": "a0", "text": "a duplicate id"})
    lines.append({"text": "no id"})
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    return path


def entries(out: Path) -> list[dict[str, Any]]:
    """The manifest, less what depends on the clock and the fake's prompt cache."""
    found = []
    for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        entry.pop("duration_s")
        entry["usage"].pop("cached_tokens")
        found.append(entry)
    return found


def run_ray(src: Path, out: Path, config: Any, **kwargs: Any) -> batch.BatchSummary:
    return asyncio.run(arun_on_ray(src, out, config, workers=WORKERS, **kwargs))


@pytest.mark.parametrize("layout", ["folder", "jsonl"])
def test_the_ray_engine_writes_what_the_local_engine_writes(
    local_ray: Any, tmp_path: Path, layout: str
) -> None:
    src = (
        mixed_folder(tmp_path / "src")
        if layout == "folder"
        else jsonl_archive(tmp_path / "a.jsonl")
    )
    # A fresh server for each engine: the same answers, the same prompt-cache state.
    with FakeServer() as server:
        local = batch.run(src, tmp_path / "local", config_for(server, timeout=5))
    with FakeServer() as server:
        remote = run_ray(src, tmp_path / "ray", config_for(server, timeout=5))
        asked = len(server.chat_requests())
    assert tree(tmp_path / "ray") == tree(tmp_path / "local")
    assert entries(tmp_path / "ray") == entries(tmp_path / "local")
    assert remote.statuses == local.statuses and remote.statuses["repaired"] >= 5
    assert remote.statuses["skipped"] >= 2  # the bad ones are judged alike, not sent
    assert remote.requests == asked == local.requests
    assert remote.usage.total_tokens == local.usage.total_tokens
    assert remote.exit_code == local.exit_code == 1
    for path in (tmp_path / "ray").rglob("*"):
        if path.is_file():
            assert TEST_KEY.encode() not in path.read_bytes(), path


def arrivals(server: FakeServer) -> list[Logged]:
    return sorted(server.chat_requests(), key=lambda r: r.at)


def most_in_a_window(times: list[float], window: float) -> int:
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_one_pace_holds_for_all_workers(local_ray: Any, tmp_path: Path) -> None:
    # The server allows 6 requests a second; the job asks for 240 a minute (4 a second)
    # over 2 workers, a margin for the jitter of a loaded machine. A share of 240 a minute
    # per worker would send 8 a second.
    src = make_folder(
        tmp_path / "src", {f"{i:02d}.txt": article(i, first=1 + i, count=1) for i in range(16)}
    )
    with FakeServer(ttft=0.02, limit_requests=6, limit_window=1.0) as server:
        config = config_for(server, timeout=5, concurrency=8, glossary_pass=False)
        options = BatchOptions(requests_per_minute=240)
        summary = run_ray(src, tmp_path / "out", config, options=options)
        sent = arrivals(server)
    assert summary.statuses["repaired"] == 16
    assert len(sent) >= 16
    times = [round(r.at, 3) for r in sent]
    assert [r for r in sent if r.status == 429] == [], times
    assert most_in_a_window(times, 1.0) <= 6


def test_a_429_pauses_every_worker(local_ray: Any, tmp_path: Path) -> None:
    src = make_folder(
        tmp_path / "src", {f"{i:02d}.txt": article(i, first=1 + i, count=1) for i in range(12)}
    )
    with FakeServer(ttft=0.05, retry_after_ms=2000) as server:
        config = config_for(server, timeout=5, concurrency=4, glossary_pass=False)
        # Let both workers get going before the 429, so the other one has work to hold.
        server.script("ok", "ok", "ok", "429")
        summary = run_ray(src, tmp_path / "out", config)
        sent = arrivals(server)
    assert summary.statuses["repaired"] == 12
    assert summary.rate_limit_pauses >= 1  # counted by the one limiter, for the job
    limited = next(r.at for r in sent if r.status == 429)
    # Requests sent before the pause reached the limiter may still arrive; after that
    # nobody asks until the 2 s are over, though both workers had articles waiting.
    assert [r.at - limited for r in sent if 0.6 < r.at - limited < 1.9] == []
    assert any(r.at - limited >= 2.0 for r in sent)


def test_an_abandoned_run_resumes_without_repairing_anything_twice(
    local_ray: Any, tmp_path: Path
) -> None:
    numbers = range(10)
    src = make_folder(
        tmp_path / "src", {f"{i:02d}.txt": article(i, first=1 + 2 * i) for i in numbers}
    )
    out = tmp_path / "out"
    with FakeServer() as server:
        batch.run(src, tmp_path / "clean", config_for(server, timeout=5))
    with FakeServer(ttft=0.05) as server:
        config = config_for(server, timeout=5, concurrency=2)
        control = BatchControl()

        def stop_after_three(progress: Progress) -> None:
            if progress.done >= 3:
                control.abandon()  # the command line's second Ctrl-C

        first = run_ray(src, out, config, control=control, on_progress=stop_after_three)
    assert first.interrupted and first.exit_code == 130
    lines = (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    finished = [json.loads(line)["source"] for line in lines]
    assert 3 <= len(finished) < len(numbers)
    with FakeServer(ttft=0.05) as server:
        second = run_ray(src, out, config_for(server, timeout=5))
        asked = "\n".join(server.user_messages)
    assert second.reused == len(finished) and not second.interrupted
    for source in finished:  # not one request about an article finished before
        number = int(Path(source).stem)
        assert f"Archive item {number}," not in asked
    assert f"Archive item {numbers[-1]}," in asked
    assert tree(out) == tree(tmp_path / "clean")
    assert not list(out.rglob("*.tmp"))


def test_a_rejected_key_stops_the_ray_job(local_ray: Any, tmp_path: Path) -> None:
    src = make_folder(tmp_path / "src", {f"{i}.txt": article(i) for i in range(4)})
    with FakeServer() as server:
        server.script(*["401"] * 20)
        with pytest.raises(ModelCallError) as stopped:
            run_ray(src, tmp_path / "out", config_for(server, timeout=5))
    assert stopped.value.context.get("status") == 401
    assert TEST_KEY not in str(stopped.value)


def test_the_data_stage_repairs_rows_as_the_library_does(local_ray: Any, tmp_path: Path) -> None:
    rows = [
        {"id": "t", "text": article(1), "html": None, "markdown": None},
        {
            "id": "h",
            "text": None,
            "html": "<p>" + small_article(4, 1)[0] + "</p>",
            "markdown": None,
        },
        {"id": "m", "text": None, "html": None, "markdown": "# Title\n\n" + small_article(8, 1)[0]},
        {"id": "e", "text": "   ", "html": None, "markdown": None},
        {"id": None, "text": article(2), "html": None, "markdown": None},
    ]
    source = tmp_path / "in.parquet"
    ray.data.from_items(rows).write_parquet(str(source))
    with FakeServer() as server:
        config = config_for(server, timeout=5)
        expected = repair_article(rows[0]["text"], config)
        # The documented example: read_parquet -> repair -> write_parquet.
        # Half a CPU each: the reads and the writes need the rest of the two. A block for
        # each worker (one small file is one block).
        articles = ray.data.read_parquet(str(source)).repartition(WORKERS)
        repaired = repair_dataset(articles, config, workers=WORKERS, num_cpus=0.5, batch_size=2)
        repaired.write_parquet(str(tmp_path / "out"))
    got = {r["id"]: r for r in ray.data.read_parquet(str(tmp_path / "out")).take_all()}
    assert set(got) == {"t", "h", "m", "e", None}
    assert got["t"]["repaired_text"] == expected.text and got["t"]["repair_status"] == "repaired"
    assert got["t"]["repair_suggestions"] == len(expected.suggestions)
    assert got["t"]["total_tokens"] == expected.usage.total_tokens > 0
    assert got["h"]["repaired_html"].startswith("<p>") and got["h"]["repaired_text"] is None
    assert got["m"]["repaired_markdown"].startswith("# Title")
    assert (got["e"]["repair_status"], got["e"]["repair_reason"]) == ("skipped", "empty")
    assert (got[None]["repair_status"], got[None]["repair_reason"]) == ("skipped", "no-id")
    assert list(got["t"]["repair_findings"]) == []


def test_the_cli_runs_on_ray(
    local_ray: Any, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_folder(tmp_path / "src", {f"{i}.txt": article(i) for i in range(3)})
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    with FakeServer() as server:
        argv = ["batch", str(src), "--out", str(tmp_path / "out"), "--engine", "ray"]
        argv += ["--ray-workers", "2", "--base-url", server.base_url]
        code = main([*argv, "--model", "m", "--progress", "none", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["statuses"]["repaired"] == 3


def test_without_ray_the_engine_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_folder(tmp_path / "src", {"a.txt": article(1)})
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    with FakeServer() as server, pytest.raises(ConfigurationError, match=r"repair\[ray\]"):
        asyncio.run(arun_on_ray(src, tmp_path / "out", config_for(server)))
