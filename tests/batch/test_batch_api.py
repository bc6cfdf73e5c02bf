"""`repair batch --batch-api`: the fake's Files and Batches endpoints, the job through them
(same outputs as live, batch prices, faults, bounded retries), resuming after a crash
between `batches.create` and its record, `--status`, `--cancel` and the dry run."""

from __future__ import annotations

import asyncio
import collections
import json
from pathlib import Path
from typing import Any

import pytest

from repair.batch import ManifestEntry, estimate, run
from repair.batch.apijob import acancel, arun_api, astatus, run_api
from repair.batch.rounds import Limits
from repair.cli.main import main
from repair.config import RepairConfig
from repair.llm.batches import BatchApi, read_lines, reply_of, request_line
from repair.llm.protocol import ChatReply, ChatRequest
from repair.pricing import price_for
from repair.testing.fake import FakeServer
from tests.conftest import TEST_KEY, config_for, small_article

FAST = Limits(poll_s=0.02, glossary="batch")


def archive(folder: Path, count: int) -> Path:
    src = folder / "src"
    src.mkdir()
    for n in range(count):
        text, _ = small_article(first=1 + n % 8, count=2 + n % 2)
        (src / f"a{n:02d}.txt").write_text(text, encoding="utf-8")
    (src / "empty.txt").write_text("", encoding="utf-8")
    return src


def outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.txt"))}


def manifest(out: Path) -> list[ManifestEntry]:
    lines = (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return [ManifestEntry.model_validate_json(line) for line in lines]


def api_config(server: FakeServer, **overrides: Any) -> RepairConfig:
    return config_for(server, model="gpt-4o-mini", **overrides)


# --- the fake's endpoints, through the client -----------------------------------------


def test_fake_batch_moves_through_its_statuses_and_answers_as_chat(server: FakeServer) -> None:
    # Windows wide enough that a poll every 20 ms sees each, even on a loaded machine.
    fake = server.batch_api
    fake.validating_s = fake.in_progress_s = fake.finalizing_s = 0.5
    request = ChatRequest([{"role": "user", "content": "hello"}], "gpt-4o-mini", max_tokens=20)

    async def go() -> tuple[list[str], list[ChatReply | Exception]]:
        api = BatchApi(api_config(server))
        try:
            data = "\n".join(request_line(f"r{i}", request) for i in range(4)).encode()
            file_id = await api.upload("in.jsonl", data)
            assert await api.find_file("in.jsonl") == file_id
            info = await api.create(file_id, {"repair_submission": "k1"})
            statuses = [info.status]
            while not info.terminal:
                await asyncio.sleep(0.02)
                info = await api.retrieve(info.id)
                if statuses[-1] != info.status:
                    statuses.append(info.status)
            assert info.request_counts.total == 4 and info.request_counts.completed == 4
            found = await api.find("repair_submission", "k1", 0)
            assert found is not None and found.id == info.id
            assert info.output_file_id is not None
            lines, broken = read_lines(await api.content(info.output_file_id))
            assert broken == 0
            return statuses, [reply_of(line, request) for line in lines]
        finally:
            await api.aclose()

    statuses, replies = asyncio.run(go())
    assert statuses == ["validating", "in_progress", "finalizing", "completed"]
    assert len(replies) == 4
    assert all(isinstance(r, ChatReply) and r.content == "OK" for r in replies)


@pytest.mark.parametrize(
    ("fault", "status", "answered", "errors"),
    [
        ("failed", "failed", 0, 0),
        ("expired", "expired", 3, 3),
        ("line-errors", "completed", 5, 1),
        ("slow-finalizing", "finalizing", 0, 0),  # still finalizing long after the rest
    ],
)
def test_fake_batch_faults(
    server: FakeServer, fault: str, status: str, answered: int, errors: int
) -> None:
    server.batch_api.script(fault)
    server.batch_api.slow_finalizing_s = 60.0
    request = ChatRequest([{"role": "user", "content": "hi"}], "m", max_tokens=20)

    async def go() -> tuple[str, int, int]:
        api = BatchApi(api_config(server))
        try:
            data = "\n".join(request_line(f"r{i}", request) for i in range(6)).encode()
            info = await api.create(await api.upload("f.jsonl", data), {})
            while not info.terminal:
                await asyncio.sleep(0.02)
                info = await api.retrieve(info.id)
                if info.status == "finalizing" and fault == "slow-finalizing":
                    await asyncio.sleep(0.3)  # a normal batch would have completed by now
                    info = await api.retrieve(info.id)
                    assert info.request_counts.completed == 6
                    break
            got = [
                len(read_lines(await api.content(f))[0]) if f else 0
                for f in (info.output_file_id, info.error_file_id)
            ]
            return info.status, got[0], got[1]
        finally:
            await api.aclose()

    assert asyncio.run(go()) == (status, answered, errors)


# --- the job --------------------------------------------------------------------------


def test_batch_api_job_matches_live_outputs_at_the_batch_price(tmp_path: Path) -> None:
    src = archive(tmp_path, 8)
    with FakeServer() as live_server:
        live = run(src, tmp_path / "live", api_config(live_server))
    with FakeServer() as server:
        # The first batch fails outright, the second loses a request in five.
        server.batch_api.script("failed", "line-errors")
        summary = run_api(src, tmp_path / "api", api_config(server), limits=FAST)
        seen = server.batch_api.seen()
        assert server.chat_requests() == []  # nothing went live
    assert summary.statuses == live.statuses
    assert outputs(tmp_path / "api") == outputs(tmp_path / "live")
    assert len(outputs(tmp_path / "api")) == 8
    entries = manifest(tmp_path / "api")
    assert len(entries) == 9
    made = {b["id"] for b in seen["batches"]}
    price = price_for("gpt-4o-mini", batch=True)
    assert price is not None
    for entry in entries:
        if entry.status == "skipped":
            continue
        assert entry.batches and set(entry.batches) <= made
        assert entry.cost_usd == pytest.approx(price.cost(entry.usage))
    assert summary.batches == [b["id"] for b in seen["batches"]]
    assert [b["status"] for b in seen["batches"]][:2] == ["failed", "completed"]
    # Only what had no answer went out again: the failed batch's requests and the second
    # batch's error lines (every fifth), each once more.
    first, second = seen["batches"][0]["custom_ids"], seen["batches"][1]["custom_ids"]
    sent = collections.Counter(c for b in seen["batches"] for c in b["custom_ids"])
    again = len(first) + len([i for i in range(len(second)) if i % 5 == 2])
    assert sum(sent.values()) == len(sent) + again
    assert summary.requests == len(sent)


def test_batches_are_split_under_the_request_limit(tmp_path: Path) -> None:
    src = archive(tmp_path, 5)
    with FakeServer() as live_server:
        run(src, tmp_path / "live", api_config(live_server))
    with FakeServer() as server:
        limits = Limits(poll_s=0.02, glossary="batch", max_requests=2)
        run_api(src, tmp_path / "api", api_config(server), limits=limits)
        sizes = [b["total"] for b in server.batch_api.seen()["batches"]]
    assert max(sizes) == 2 and len(sizes) >= 3
    assert outputs(tmp_path / "api") == outputs(tmp_path / "live")


def test_glossary_and_reasks_can_go_live(tmp_path: Path) -> None:
    src = archive(tmp_path, 8)
    with FakeServer() as live_server:
        run(src, tmp_path / "live", api_config(live_server))
    with FakeServer() as server:
        # Answers that leave out a paragraph: those chunks are asked again.
        server.batch_api.answer_faults.extend(["missing-id"] * 3)
        limits = Limits(poll_s=0.02, glossary="live", reask="live")
        summary = run_api(src, tmp_path / "api", api_config(server), limits=limits)
        live_asks = server.chat_requests()
        seen = server.batch_api.seen()
    assert outputs(tmp_path / "api") == outputs(tmp_path / "live")
    glossary = [e for e in live_asks if not e.units]  # a glossary call names no paragraph
    reasks = [e for e in live_asks if e.units]
    assert glossary and reasks
    # Only first asks went in batches.
    assert all("-r1-repair-" in c for b in seen["batches"] for c in b["custom_ids"])
    assert summary.requests == seen["lines_answered"] + len(live_asks)


def test_requests_that_keep_failing_fail_their_articles_after_max_attempts(
    tmp_path: Path,
) -> None:
    src = archive(tmp_path, 2)
    with FakeServer() as server:
        server.batch_api.line_error_rate = 1.0
        config = api_config(server, max_attempts=2, glossary_pass=False)
        summary = run_api(src, tmp_path / "out", config, limits=FAST)
        seen = server.batch_api.seen()
    assert summary.statuses["failed"] == 2
    assert {e.reason for e in manifest(tmp_path / "out") if e.status == "failed"} == {
        "model-unreachable"
    }
    sent = collections.Counter(c for b in seen["batches"] for c in b["custom_ids"])
    assert set(sent.values()) == {2}  # each request: its two attempts, no more


def test_a_run_killed_after_create_finds_its_batch_and_creates_none_again(
    tmp_path: Path,
) -> None:
    src = archive(tmp_path, 3)
    out = tmp_path / "out"
    with FakeServer() as clean_server:
        run_api(src, tmp_path / "clean", api_config(clean_server), limits=FAST)
        clean = clean_server.batch_api.seen()
    with FakeServer() as server:
        fake = server.batch_api
        fake.stall = {"create": 2.0}  # the batch exists; its id is late

        async def killed() -> None:
            job = asyncio.create_task(arun_api(src, out, api_config(server), limits=FAST))
            while fake.created == 0:
                await asyncio.sleep(0.005)
            job.cancel()  # before the create's reply is read: the id is never recorded
            with pytest.raises(asyncio.CancelledError):
                await job

        asyncio.run(killed())
        fake.stall = {}
        summary = run_api(src, out, api_config(server), limits=FAST)
        seen = fake.seen()
    assert summary.batches_attached  # the first batch, found by its metadata
    keys = collections.Counter(b["metadata"]["repair_submission"] for b in seen["batches"])
    assert set(keys.values()) == {1}
    assert seen["lines_answered"] == clean["lines_answered"]
    assert outputs(out) == outputs(tmp_path / "clean")


def test_lost_replies_to_upload_and_create_cost_no_second_batch(tmp_path: Path) -> None:
    src = archive(tmp_path, 3)
    with FakeServer() as live_server:
        run(src, tmp_path / "live", api_config(live_server))
    with FakeServer() as server:
        fake = server.batch_api
        # The file is stored and the batch made, each time with a 500 for an answer.
        fake.fail_after = {"upload": 1, "create": 2}
        config = api_config(server, max_attempts=1)
        summary = run_api(src, tmp_path / "api", config, limits=FAST)
        seen = fake.seen()
    keys = collections.Counter(b["metadata"]["repair_submission"] for b in seen["batches"])
    assert set(keys.values()) == {1}  # found by its metadata, never made twice
    assert seen["uploads"] == len(keys)  # found by its name, never sent twice
    assert summary.statuses["repaired"] == 3
    assert outputs(tmp_path / "api") == outputs(tmp_path / "live")


def test_status_and_cancel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = archive(tmp_path, 3)
    out = tmp_path / "out"
    with FakeServer() as server:
        fake = server.batch_api
        fake.in_progress_s = 30.0  # long enough to cancel
        config = api_config(server)

        async def cancelled() -> None:
            job = asyncio.create_task(arun_api(src, out, config, limits=FAST))
            while not any(b["status"] == "in_progress" for b in fake.seen()["batches"]):
                await asyncio.sleep(0.01)
            states = await acancel(out, config)
            # One batch, or two when an article whose live glossary answer came later
            # queued its requests after the first went out: every one is cancelled.
            assert states and {s.status for s in states} == {"cancelling"}
            summary = await asyncio.wait_for(job, 10)
            assert summary.interrupted and summary.exit_code == 130
            # A provider says "cancelling" for a while before "cancelled" (the fake for
            # its finalizing time): ask again, as a user would, until it settles.
            status = await astatus(out, config)
            for _ in range(500):
                if all(b.status != "cancelling" for b in status.batches):
                    break
                await asyncio.sleep(0.01)
                status = await astatus(out, config)
            assert status.cancelled
            assert len(status.batches) == len(states)
            assert {b.status for b in status.batches} == {"cancelled"}

        asyncio.run(cancelled())
        code = main(["batch", str(out), "--status", "--base-url", server.base_url])
        shown = capsys.readouterr().out
        assert code == 0
        assert fake.seen()["batches"][0]["id"] in shown and "cancelled" in shown
        fake.in_progress_s = 0.05
        summary = run_api(src, out, config, limits=FAST)  # a rerun goes on
    assert summary.statuses["repaired"] == 3
    assert len(outputs(out)) == 3


def test_dry_run_prices_the_batch_api_beside_live(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    src = archive(tmp_path, 3)
    found = estimate(src, tmp_path / "out", RepairConfig(model="gpt-4o-mini"))
    assert found.cost_usd and found.batch_cost_usd
    assert found.batch_cost_usd < found.cost_usd
    argv = ["batch", str(src), "--out", str(tmp_path / "out"), "--dry-run", "--batch-api"]
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    assert main([*argv, "--model", "gpt-4o-mini", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["batch_cost_usd"] == pytest.approx(found.batch_cost_usd)
    assert main([*argv, "--model", "gpt-4o-mini"]) == 0
    assert "the Batch API" in capsys.readouterr().out


def test_batch_prices_are_half_the_live_ones_for_openai_models() -> None:
    for model in ("gpt-4o-mini", "gpt-4.1", "gpt-5"):
        live, batch = price_for(model), price_for(model, batch=True)
        assert live is not None and batch is not None
        assert batch.input == pytest.approx(live.input / 2)
        assert batch.output == pytest.approx(live.output / 2)


def test_a_request_the_provider_refuses_is_not_sent_again(tmp_path: Path) -> None:
    src = archive(tmp_path, 8)
    with FakeServer() as server:
        server.batch_api.script("line-refusals")  # every fifth line: HTTP 400
        summary = run_api(src, tmp_path / "out", api_config(server), limits=FAST)
        seen = server.batch_api.seen()
    first = seen["batches"][0]["custom_ids"]
    refused = {c for i, c in enumerate(first) if i % 5 == 2}
    sent = collections.Counter(c for b in seen["batches"] for c in b["custom_ids"])
    assert refused and all(sent[c] == 1 for c in refused)  # a 400 is final, as live
    entries = {e.source: e for e in manifest(tmp_path / "out")}
    for custom_id in refused:
        if "-repair-" in custom_id:  # the chunk could not be asked: the article failed
            article = sorted(p.name for p in src.glob("*.txt"))[int(custom_id[1:].split("-")[0])]
            assert entries[article].status == "failed"
    assert summary.statuses["failed"] >= 1
