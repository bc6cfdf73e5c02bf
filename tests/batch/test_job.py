"""`repair batch` and `repair.batch.run`: an archive through the fake server over real HTTP.

Small archives (a few articles of two paragraphs each) keep every test to a second or two;
the 2,000-article run is in bench/.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from repair import batch
from repair.batch import BatchOptions, ManifestEntry, Progress
from repair.batch.archive import count_articles, read_archive, unsafe_id
from repair.batch.models import BATCH_DEFAULTS
from repair.cli import main
from repair.cli.common import ProgressPrinter, progress_line, progress_mode
from repair.config import RepairConfig
from repair.errors import ModelCallError
from repair.files import DecodeError, decode
from repair.llm import ChatReply, ChatRequest, OpenAIChat
from repair.results import Usage
from repair.testing.fake import FakeServer, Logged
from tests.conftest import TEST_KEY, config_for, golden_pair, small_article

PAIRS = [small_article(first, 2) for first in (1, 4, 7, 13, 16, 19, 22, 25)]
CYRILLIC = "Газета «Московский комсомолец» написала об этом.\n"


def make_folder(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return root


def three_articles(tmp_path: Path) -> Path:
    return make_folder(
        tmp_path / "src",
        {"a.txt": PAIRS[0][0], "world/b.md": PAIRS[1][0], "world/2024/c.txt": PAIRS[2][0]},
    )


def manifest(out: Path) -> list[dict[str, Any]]:
    lines = (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return [ManifestEntry.model_validate_json(line).model_dump() for line in lines]


def tree(out: Path) -> dict[str, bytes]:
    """The outputs (no store, lock or manifest), for comparing two runs byte for byte."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.startswith(".") and p.name != "manifest.jsonl"
    }


def requests(server: FakeServer) -> int:
    return len(server.chat_requests())


def assert_no_key_anywhere(out: Path) -> None:
    for path in out.rglob("*"):
        if path.is_file():
            assert TEST_KEY.encode() not in path.read_bytes(), path


# --- the happy paths ------------------------------------------------------------------


def test_folder_archive_mirrors_the_tree_and_writes_a_manifest(
    server: FakeServer, tmp_path: Path
) -> None:
    src, out = three_articles(tmp_path), tmp_path / "out"
    summary = batch.run(src, out, config_for(server))
    assert summary.exit_code == 0
    assert summary.statuses == {"repaired": 3, "flagged": 0, "failed": 0, "skipped": 0}
    assert tree(out) == {
        "a.txt": PAIRS[0][1].encode(),
        "world/2024/c.txt": PAIRS[2][1].encode(),
        "world/b.md": PAIRS[1][1].encode(),
    }
    entries = manifest(out)
    assert [e["source"] for e in entries] == ["a.txt", "world/b.md", "world/2024/c.txt"]
    for entry in entries:
        assert entry["status"] == "repaired" and entry["output"] == entry["source"]
        assert (
            entry["calls"] >= 1 and entry["usage"]["prompt_tokens"] > 0 and entry["attempts"] == 1
        )
        assert entry["validation"]["ok"] and entry["duration_s"] > 0
    assert summary.requests == requests(server)
    assert summary.usage.prompt_tokens == sum(e["usage"]["prompt_tokens"] for e in entries)
    assert_no_key_anywhere(out)


def test_jsonl_archive_carries_every_field_through(server: FakeServer, tmp_path: Path) -> None:
    records: list[dict[str, Any]] = [
        {"id": "x1", "text": PAIRS[0][0], "section": "world", "tags": ["a", "b"]},
        {"id": 2, "meta": {"author": "S. R."}, "text": PAIRS[1][0]},
    ]
    src = tmp_path / "articles.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in records) + "\n\n", encoding="utf-8")
    out = tmp_path / "out"
    summary = batch.run(src, out, config_for(server))
    assert summary.exit_code == 0 and summary.output == str(out / "articles.jsonl")
    lines = [json.loads(line) for line in (out / "articles.jsonl").read_text().splitlines()]
    for record, line, (_, expected) in zip(records, lines, PAIRS[:2], strict=True):
        assert line == {
            **record,
            "repaired_text": expected,
            "repair_status": "repaired",
            "repair_reason": None,
        }
    assert [e["id"] for e in manifest(out)] == ["x1", "2"]
    assert [e["source"] for e in manifest(out)] == ["line 1", "line 2"]


async def test_the_async_variant_runs_inside_a_loop(server: FakeServer, tmp_path: Path) -> None:
    summary = await batch.arun(three_articles(tmp_path), tmp_path / "out", config_for(server))
    assert summary.statuses["repaired"] == 3


def test_one_concurrency_limit_across_articles_and_chunks(tmp_path: Path) -> None:
    src = make_folder(tmp_path / "src", {f"{i}.txt": s for i, (s, _) in enumerate(PAIRS)})
    with FakeServer(ttft=0.03) as server:
        summary = batch.run(src, tmp_path / "out", config_for(server, concurrency=2))
        assert server.peak_in_flight == 2
    assert summary.statuses["repaired"] == len(PAIRS)


# --- bad articles ---------------------------------------------------------------------


def test_bad_articles_are_skipped_with_a_reason_and_the_rest_go_on(
    server: FakeServer, tmp_path: Path
) -> None:
    files: dict[str, str | bytes] = {
        "good.txt": PAIRS[0][0],
        "empty.txt": b"",
        "blank.md": b"  \n\t\n",
        "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)),
        "undecodable.txt": b"caf\x81 and \x98",
        "big.txt": "word " * 2000,  # 10,000 characters, over --max-chars 5000
        "huge.txt": b"x" * 30_000,  # over 4 bytes a character: not even read
        "cp1251.txt": (PAIRS[1][0] + CYRILLIC).encode("cp1251"),
        "latin1.txt": "The café in Zürich cost £5.\n".encode("latin-1"),
        "mojibake.txt": "The café in Zürich – “quoted”.\n".encode().decode("latin-1"),
        "notes.pdf": b"%PDF-1.4 not an article",
        ".hidden.txt": "a hidden draft",
    }
    src, out = make_folder(tmp_path / "src", files), tmp_path / "out"
    summary = batch.run(src, out, config_for(server), options=BatchOptions(max_chars=5000))
    by = {e["source"]: e for e in manifest(out)}
    assert len(by) == 10  # .pdf and hidden files are no articles
    expected = {
        "empty.txt": "empty",
        "blank.md": "empty",
        "binary.txt": "binary",
        "undecodable.txt": "undecodable",
        "big.txt": "oversize",
        "huge.txt": "oversize",
    }
    for name, reason in expected.items():
        assert (by[name]["status"], by[name]["reason"]) == ("skipped", reason), name
        assert by[name]["error"] and not (out / name).exists()
    assert "bytes" in by["huge.txt"]["error"] and "characters" in by["big.txt"]["error"]
    assert by["cp1251.txt"]["encoding"] == "cp1251"
    assert (out / "cp1251.txt").read_text(encoding="utf-8").endswith(CYRILLIC)
    assert by["latin1.txt"]["encoding"] == "cp1252"
    assert "café in Zürich cost £5" in (out / "latin1.txt").read_text(encoding="utf-8")
    assert any("mojibake" in note for note in by["mojibake.txt"]["notes"])
    assert "“quoted”" in (out / "mojibake.txt").read_text(encoding="utf-8")
    written = len(tree(out))
    assert written + summary.statuses["failed"] + summary.statuses["skipped"] == 10
    assert summary.reasons == {"empty": 2, "oversize": 2, "binary": 1, "undecodable": 1}
    assert summary.exit_code == 1


def test_jsonl_bad_lines_duplicates_and_ids_that_escape(server: FakeServer, tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "text": PAIRS[0][0]}),
        json.dumps({"id": "a", "text": PAIRS[1][0]}),
        json.dumps({"id": "../../etc/passwd", "text": PAIRS[2][0]}),
        json.dumps({"id": "/etc/passwd", "text": PAIRS[2][0]}),
        json.dumps({"text": PAIRS[3][0]}),
        json.dumps({"id": "b", "text": ""}),
        json.dumps({"id": "c", "text": "\u0000\u0001binary\u0000"}),
        json.dumps({"id": "d", "body": "no text field"}),
        '{"id": "e", "text": "unterminated',
        '["not", "an", "object"]',
    ]
    cp1251 = json.dumps({"id": "f", "text": PAIRS[4][0] + CYRILLIC}, ensure_ascii=False)
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join([*(line.encode() for line in lines), cp1251.encode("cp1251")]))
    out = tmp_path / "out"
    summary = batch.run(src, out, config_for(server))
    reasons = [(e["source"], e["status"], e["reason"]) for e in manifest(out)]
    assert reasons == [
        ("line 1", "repaired", None),
        ("line 2", "skipped", "duplicate-id"),
        ("line 3", "skipped", "unsafe-id"),
        ("line 4", "skipped", "unsafe-id"),
        ("line 5", "skipped", "no-id"),
        ("line 6", "skipped", "empty"),
        ("line 7", "skipped", "binary"),
        ("line 8", "skipped", "no-text"),
        ("line 9", "skipped", "bad-json"),
        ("line 10", "skipped", "bad-json"),
        ("line 11", "repaired", None),
    ]
    assert "line 1" in manifest(out)[1]["error"]  # which article has the id
    output = [json.loads(line) for line in (out / "in.jsonl").read_text().splitlines()]
    assert len(output) == len(lines) + 1  # one output line per input line, in order
    assert output[1]["repair_status"] == "skipped" and output[1]["repaired_text"] is None
    assert output[10]["repaired_text"].endswith(CYRILLIC)
    assert not (tmp_path / "etc").exists() and not (out.parent.parent / "etc").exists()
    assert summary.exit_code == 1


def test_a_jsonl_line_over_the_limit_is_skipped_unread(tmp_path: Path) -> None:
    src = tmp_path / "big.jsonl"
    huge = json.dumps({"id": "huge", "text": "x" * 70_000})
    src.write_text(f"{huge}\n" + json.dumps({"id": "next", "text": "fine"}) + "\n")
    found = list(read_archive(src, max_chars=100))
    assert [(a.origin, a.problem.reason if a.problem else None) for a in found] == [
        ("line 1", "oversize"),
        ("line 2", None),
    ]
    assert count_articles(src) == 2


@pytest.mark.parametrize(
    ("ident", "safe"),
    [
        ("item-1", True),
        ("2024/world/a", True),
        ("../../etc/passwd", False),
        ("a/../../b", False),
        ("/etc/passwd", False),
        ("C:evil", False),
        ("a\\..\\b", False),
        ("~root", False),
        ("", False),
        ("line\nbreak", False),
        ("x" * 201, False),
    ],
)
def test_unsafe_ids(ident: str, safe: bool) -> None:
    assert (unsafe_id(ident) is None) is safe


@pytest.mark.parametrize(
    ("data", "encoding", "text"),
    [
        ("plain “quotes”".encode(), "utf-8", "plain “quotes”"),
        (b"\xef\xbb\xbfwith BOM", "utf-8", "with BOM"),
        ("Hello “world”".encode("utf-16"), "utf-16", "Hello “world”"),
        (codecs.BOM_UTF16_BE + "Big “end”".encode("utf-16-be"), "utf-16", "Big “end”"),
        ("Газета «Правда»".encode("cp1251"), "cp1251", "Газета «Правда»"),
        ("crème brûlée for £5".encode("latin-1"), "cp1252", "crème brûlée for £5"),
        ("“quoted” – dash".encode("cp1252"), "cp1252", "“quoted” – dash"),
    ],
)
def test_decode_detects_the_encoding(data: bytes, encoding: str, text: str) -> None:
    decoded, used, _ = decode(data)
    assert (decoded, used) == (text, encoding)


def test_decode_with_a_forced_encoding() -> None:
    cyrillic = CYRILLIC.encode("cp1251")
    assert decode(cyrillic, "cp1252") == (cyrillic.decode("cp1252"), "cp1252", [])
    assert decode(cyrillic, "auto") == (CYRILLIC, "cp1251", ["decoded as cp1251"])
    text, used, notes = decode(CYRILLIC.encode("utf-16"), "cp1251")
    assert (text, used) == (CYRILLIC, "utf-16")  # the byte-order mark wins
    assert notes == ["read as utf-16 by its byte-order mark, not as cp1251"]
    with pytest.raises(DecodeError, match=r"not valid utf-8 \(byte 0\)"):
        decode(cyrillic, "utf-8")
    with pytest.raises(DecodeError, match="unknown encoding 'klingon'"):
        decode(b"text", "klingon")
    with pytest.raises(ValidationError, match="unknown encoding 'klingon'"):
        BatchOptions(encoding="klingon")
    assert BatchOptions(encoding="auto").encoding is None


def test_cli_batch_reads_cp1251_latin1_and_utf16_files(
    server: FakeServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    latin = "The café in Zürich cost £5.\n"
    short = small_article(5, 1)
    src = make_folder(
        tmp_path / "src",
        {
            "cp1251.txt": (PAIRS[0][0] + "\n" + CYRILLIC).encode("cp1251"),
            "latin1.txt": (short[0] + "\n" + latin).encode("latin-1"),
            "utf16.txt": PAIRS[1][0].encode("utf-16"),
        },
    )
    argv = ["batch", str(src), "--base-url", server.base_url, "--progress", "none"]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 0
    by = {e["source"]: e for e in manifest(tmp_path / "out")}
    assert {name: (e["encoding"], e["notes"]) for name, e in by.items()} == {
        "cp1251.txt": ("cp1251", ["decoded as cp1251"]),
        "latin1.txt": ("cp1252", ["decoded as cp1252"]),
        "utf16.txt": ("utf-16", []),
    }
    assert tree(tmp_path / "out") == {
        "cp1251.txt": (PAIRS[0][1] + "\n" + CYRILLIC).encode(),
        "latin1.txt": (short[1] + "\n" + latin).encode(),
        "utf16.txt": PAIRS[1][1].encode(),
    }
    assert main([*argv, "--out", str(tmp_path / "forced"), "--encoding", "cp1252"]) == 0
    by = {e["source"]: e for e in manifest(tmp_path / "forced")}
    assert by["cp1251.txt"]["encoding"] == "cp1252" and by["cp1251.txt"]["notes"] == []
    assert by["utf16.txt"]["encoding"] == "utf-16"  # its byte-order mark still decides
    assert "repair batch: done: 3 article(s)" in capsys.readouterr().err


# --- resuming -------------------------------------------------------------------------


def test_a_rerun_skips_finished_work_and_makes_no_request(
    server: FakeServer, tmp_path: Path
) -> None:
    src, out = three_articles(tmp_path), tmp_path / "out"
    batch.run(src, out, config_for(server))
    sent, before = requests(server), manifest(out)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.txt")}
    again = batch.run(src, out, config_for(server))
    assert requests(server) == sent
    assert (again.reused, again.requests, again.exit_code) == (3, 0, 0)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.txt")} == stamps  # nothing rewritten
    assert manifest(out) == before
    (out / "a.txt").unlink()  # someone deleted an output: it comes back, from the store
    again = batch.run(src, out, config_for(server))
    assert (out / "a.txt").read_text() == PAIRS[0][1] and requests(server) == sent


def test_a_changed_article_or_setting_is_redone_from_the_cache(
    server: FakeServer, tmp_path: Path
) -> None:
    src, out = three_articles(tmp_path), tmp_path / "out"
    batch.run(src, out, config_for(server))
    sent = requests(server)
    (src / "a.txt").write_text(PAIRS[3][0], encoding="utf-8")
    summary = batch.run(src, out, config_for(server))
    assert summary.reused == 2 and (out / "a.txt").read_text() == PAIRS[3][1]
    assert requests(server) > sent
    sent = requests(server)
    summary = batch.run(src, out, config_for(server, max_reasks=1))  # the repair may differ
    assert summary.reused == 0 and summary.cache_hits > 0 and requests(server) == sent


class CancelAfter:
    """A ChatModel that does what Ctrl-C does to `asyncio.run` after `after` requests: it
    cancels the main task (or, with `control`, abandons the articles in flight)."""

    def __init__(self, inner: OpenAIChat, after: int, cancel: Callable[[], Any]) -> None:
        self.inner, self.after, self.cancel, self.calls = inner, after, cancel, 0

    async def complete(self, request: ChatRequest) -> ChatReply:
        self.calls += 1
        if self.calls == self.after:
            self.cancel()
        return await self.inner.complete(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize("how", ["cancel", "abandon"])
def test_an_interrupted_run_resumes_to_the_same_outputs(tmp_path: Path, how: str) -> None:
    src = make_folder(tmp_path / "src", {f"{i}.txt": s for i, (s, _) in enumerate(PAIRS)})
    with FakeServer(ttft=0.01) as server:
        config = config_for(server, concurrency=2)
        clean = batch.run(src, tmp_path / "clean", config)
        clean_requests = requests(server)
        out = tmp_path / "out"

        async def interrupted_run() -> batch.BatchSummary:
            control = batch.BatchControl()
            task = asyncio.current_task()
            assert task is not None
            cancel = task.cancel if how == "cancel" else control.abandon
            client = CancelAfter(OpenAIChat(config), 5, cancel)
            try:
                return await batch.arun(src, out, config, client=client, control=control)
            finally:
                await client.aclose()  # the caller's client: the caller closes it

        if how == "cancel":  # asyncio.run's own Ctrl-C handling
            with pytest.raises(asyncio.CancelledError):
                asyncio.run(interrupted_run())
        else:  # the command line's second Ctrl-C
            summary = asyncio.run(interrupted_run())
            assert summary.interrupted and summary.exit_code == 130
        finished = manifest(out)
        assert 0 < len(finished) < len(PAIRS)  # the finished ones, consistent JSON
        resumed = batch.run(src, out, config)
        assert tree(out) == tree(tmp_path / "clean")
        assert resumed.cache_hits > 0 and resumed.reused == len(finished)
        # Requests: the clean run's, plus at most those in flight at the interruption.
        assert requests(server) - clean_requests <= clean_requests + config.concurrency
    assert clean.exit_code == resumed.exit_code == 0
    assert not list(out.rglob("*.tmp"))


def _batch_process(src: Path, out: Path, server: FakeServer, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "OPENAI_API_KEY": TEST_KEY, "PYTHONUNBUFFERED": "1"}
    argv = [sys.executable, "-m", "repair", "batch", str(src), "--out", str(out)]
    argv += ["--base-url", server.base_url, "--model", "main-model", "--progress", "none"]
    # As config_for: the same settings, the same fingerprint (the library's chunk size,
    # not the batch command's larger default).
    argv += ["--verify", "rules", "--chunk-chars", str(RepairConfig().chunk_chars)]
    return subprocess.Popen(
        [*argv, *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for_lines(path: Path, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists() and len(path.read_text(encoding="utf-8").splitlines()) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"the batch did not get to {count} articles: {process.poll()}")


def test_kill_9_then_rerun_gives_the_same_outputs(tmp_path: Path) -> None:
    src = make_folder(tmp_path / "src", {f"{i}.txt": s for i, (s, _) in enumerate(PAIRS)})
    with FakeServer(ttft=0.15) as server:
        config = config_for(server, concurrency=2)
        batch.run(src, tmp_path / "clean", config)
        clean_requests = requests(server)
        out = tmp_path / "out"
        process = _batch_process(src, out, server, "--concurrency", "2")
        _wait_for_lines(out / "manifest.jsonl", 2, process)
        process.send_signal(signal.SIGKILL)
        process.communicate()
        assert process.returncode == -signal.SIGKILL
        for name, data in tree(out).items():  # whatever is there is whole
            assert data == dict(PAIRS)[(src / name).read_text(encoding="utf-8")].encode()
        summary = batch.run(src, out, config)
        assert tree(out) == tree(tmp_path / "clean")
        assert not list(out.rglob("*.tmp"))
        assert 2 <= summary.reused < len(PAIRS)
        assert requests(server) - clean_requests <= clean_requests + config.concurrency


def test_ctrl_c_finishes_the_articles_in_flight_and_exits_130(tmp_path: Path) -> None:
    src = make_folder(tmp_path / "src", {f"{i}.txt": s for i, (s, _) in enumerate(PAIRS)})
    with FakeServer(ttft=0.15) as server:
        out = tmp_path / "out"
        process = _batch_process(src, out, server, "--concurrency", "2", "--no-glossary")
        _wait_for_lines(out / "manifest.jsonl", 1, process)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
        assert process.returncode == 130, err
        assert "stopping" in err and "to resume" in err and TEST_KEY not in err
        entries = manifest(out)
        assert all(e["status"] == "repaired" for e in entries)  # finished, not abandoned
        assert len(tree(out)) == len(entries) < len(PAIRS)
        summary = batch.run(src, out, config_for(server, glossary_pass=False))
        assert summary.reused == len(entries) and summary.exit_code == 0


def test_retry_failed_redoes_failed_and_flagged_articles_only(
    server: FakeServer, tmp_path: Path
) -> None:
    src, out = three_articles(tmp_path), tmp_path / "out"
    config = config_for(server, glossary_pass=False, max_attempts=1, concurrency=1)
    one_at_a_time = BatchOptions(in_flight=1)
    # a.txt: its only request fails; world/b.md: fine; world/2024/c.txt: three empty answers.
    server.script("500", "ok", "empty", "empty", "empty")
    first = batch.run(src, out, config, options=one_at_a_time)
    statuses = {e["source"]: (e["status"], e["reason"]) for e in manifest(out)}
    assert statuses == {
        "a.txt": ("failed", "model-unreachable"),
        "world/b.md": ("repaired", None),
        "world/2024/c.txt": ("flagged", "answer-unusable"),
    }
    assert first.exit_code == 1 and not (out / "a.txt").exists()
    sent = requests(server)
    assert batch.run(src, out, config, options=one_at_a_time).requests == 0  # nothing to redo
    retried = batch.run(src, out, config, options=BatchOptions(in_flight=1, retry_failed=True))
    assert requests(server) - sent == 2  # one per redone article; b.md is left alone
    assert retried.exit_code == 0 and retried.reused == 1
    assert tree(out) == {
        "a.txt": PAIRS[0][1].encode(),
        "world/b.md": PAIRS[1][1].encode(),
        "world/2024/c.txt": PAIRS[2][1].encode(),
    }
    assert {e["source"]: e["attempts"] for e in manifest(out)} == {
        "a.txt": 2,
        "world/b.md": 1,
        "world/2024/c.txt": 2,
    }


def test_an_endpoint_that_is_down_leaves_the_articles_pending_not_failed(
    server: FakeServer, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nobody listens there
    config = config_for(server, base_url=f"http://127.0.0.1:{port}/v1", max_attempts=1)
    src, out = three_articles(tmp_path), tmp_path / "out"
    summary = batch.run(src, out, config)
    # Fewer failures than the breaker's threshold, but not one answer: the endpoint is down.
    assert summary.statuses["failed"] == 0 and summary.exit_code == 3
    assert summary.stop_reason and "could not connect" in summary.stop_reason
    assert manifest(out) == [] and summary.unfinished == 3
    assert batch.run(src, out, config_for(server)).statuses["repaired"] == 3  # resumed


class DownForP2:
    """A ChatModel that answers nothing usable for P1 and cannot be reached for P2."""

    async def complete(self, request: ChatRequest) -> ChatReply:
        if "\nP2 " in request.messages[-1]["content"]:
            raise ModelCallError("HTTP 503 after 1 attempt(s)", status=503, attempts=1)
        return ChatReply("", "stop", request.model, Usage(calls=1))

    async def aclose(self) -> None:
        return None


def test_an_article_is_failed_by_the_code_of_any_paragraph_the_model_could_not_do(
    tmp_path: Path,
) -> None:
    # Paragraphs long enough that each is a chunk of its own (chunk_chars is 200).
    first = " ".join(["The council met on Monday to discuss the budget."] * 3)
    second = " ".join(["The mayor said on Tuesday that the vote would wait a week."] * 3)
    src = make_folder(tmp_path / "src", {"a.txt": f"{first}\n\n{second}\n"})
    with FakeServer() as server:
        config = config_for(server, glossary_pass=False, chunk_chars=200, max_reasks=1)
    summary = batch.run(src, tmp_path / "out", config, client=DownForP2())
    (entry,) = manifest(tmp_path / "out")
    # P1 comes first, kept for an unusable answer; P2's unreachable model still decides.
    flagged = entry["validation"]["flagged"]
    assert [p["id"] for p in flagged] == ["P1", "P2"]
    assert flagged[0]["reason"] == "the answer was empty"
    assert entry["status"] == "failed" and entry["reason"] == "model-unreachable"
    assert "HTTP 503" in entry["error"]
    assert summary.reasons == {"model-unreachable": 1} and summary.exit_code == 1


# --- pacing ---------------------------------------------------------------------------


class TimedServer(FakeServer):
    """The fake server, noting when each chat request arrived."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.arrivals: list[tuple[float, str | None]] = []

    def _record(self, entry: Logged, *, chat: bool = True) -> None:
        if chat:
            self.arrivals.append((time.monotonic(), entry.fault))
        super()._record(entry, chat=chat)


def test_a_429_pauses_every_worker_for_the_time_asked(tmp_path: Path) -> None:
    src = make_folder(tmp_path / "src", {f"{i}.txt": s for i, (s, _) in enumerate(PAIRS)})
    server = TimedServer(ttft=0.1, retry_after_ms=300)
    with server:
        server.script("429")
        config = config_for(server, concurrency=4, glossary_pass=False)
        summary = batch.run(src, tmp_path / "out", config)
    assert summary.statuses["repaired"] == len(PAIRS) and summary.rate_limit_pauses >= 1
    limited = next(t for t, fault in server.arrivals if fault == "429")
    # Requests already sent may arrive just after; then nobody asks until the pause ends,
    # although the other workers' answers came back 0.1 s after the 429.
    during = [t - limited for t, _ in server.arrivals if 0.03 < t - limited < 0.29]
    assert during == []
    assert any(t - limited >= 0.3 for t, _ in server.arrivals)


def test_a_server_enforcing_its_limit_over_a_short_window_fails_no_article(
    tmp_path: Path,
) -> None:
    # 5 requests per half second: 600 a minute, over a window that more workers than that
    # would overrun at once. Distinct articles, so none is answered from the store.
    articles = {f"{i:02d}.txt": small_article(first, 1)[0] for i, first in enumerate(range(5, 29))}
    src = make_folder(tmp_path / "src", articles)
    with FakeServer(ttft=0.05, limit_requests=5, limit_window=0.5) as server:
        config = config_for(server, concurrency=8, glossary_pass=False)
        options = BatchOptions(requests_per_minute=600)
        summary = batch.run(src, tmp_path / "out", config, options=options)
        sent = server.chat_requests()
    assert summary.statuses["failed"] == 0
    assert summary.statuses["repaired"] + summary.statuses["flagged"] == len(articles)
    refused = [r for r in sent if r.status == 429]
    # An even pace fits the window; a stray late packet may meet a full one. A burst
    # of the quota would be refused most of the time.
    assert len(refused) < len(sent) // 4


# --- the command line -----------------------------------------------------------------


def test_cli_batch_prints_a_summary_and_exits_0(
    server: FakeServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    src, out = three_articles(tmp_path), tmp_path / "out"
    argv = ["batch", str(src), "--out", str(out), "--base-url", server.base_url]
    code = main([*argv, "--rpm", "6000", "--tpm", "10000000", "--in-flight", "2"])
    _, err = capsys.readouterr()
    assert code == 0
    assert "repair batch: done: 3 article(s)" in err and "repaired" in err
    assert "manifest" in err and TEST_KEY not in err
    assert "repair batch: 3/3 (100%)" in err  # not a terminal: plain log lines


def test_dry_run_counts_the_work_and_makes_no_request(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, out = three_articles(tmp_path), tmp_path / "out"
    argv = ["batch", str(src), "--out", str(out), "--base-url", server.base_url]
    argv += ["--model", "main-model", "--price", "main-model=1,2,0.5", "--verify", "rules"]
    code = main([*argv, "--dry-run"])
    printed, _ = capsys.readouterr()
    assert code == 0 and requests(server) == 0 and not out.exists()
    assert "3 to repair" in printed and "calls" in printed and "$" in printed
    code = main([*argv, "--dry-run", "--json"])
    estimate = batch.Estimate.model_validate_json(capsys.readouterr()[0])
    summary = batch.run(src, out, config_for(server, **BATCH_DEFAULTS))  # as the CLI's
    # With no faults and no re-asks, the estimate is the fake server's own count.
    assert estimate.calls == summary.requests
    assert (
        abs(estimate.usage.prompt_tokens - summary.billed.prompt_tokens)
        <= 0.05 * summary.billed.prompt_tokens
    )
    assert main([*argv, "--dry-run"]) == 0
    assert "3 done before" in capsys.readouterr()[0]


def test_batch_chunks_are_larger_than_fix_chunks_unless_set(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, _ = golden_pair()  # about 7,900 characters to repair
    src, out = make_folder(tmp_path / "src", {"seed.txt": source}), tmp_path / "out"
    argv = ["batch", str(src), "--out", str(out), "--base-url", server.base_url]
    argv += ["--no-glossary", "--dry-run", "--json"]
    assert main(argv) == 0
    assert batch.Estimate.model_validate_json(capsys.readouterr()[0]).chunks == 2
    assert main([*argv, "--chunk-chars", "3000"]) == 0
    assert batch.Estimate.model_validate_json(capsys.readouterr()[0]).chunks == 3


def test_a_rejected_key_stops_the_job_with_exit_2(
    server: FakeServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    src = make_folder(tmp_path / "src", {f"{i}.txt": s for i, (s, _) in enumerate(PAIRS)})
    out = tmp_path / "out"
    server.script("401")
    argv = ["batch", str(src), "--out", str(out), "--base-url", server.base_url]
    code = main([*argv, "--concurrency", "2"])
    err = capsys.readouterr()[1]
    assert code == 2 and "rejected the API key" in err and TEST_KEY not in err
    assert requests(server) <= 4  # stopped at once, not after every article
    assert all(e["status"] != "failed" for e in manifest(out))  # nothing blamed on articles
    assert main(argv) == 0  # fixed: the same command finishes the job


def test_no_endpoint_and_bad_paths_exit_2_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = three_articles(tmp_path)
    assert main(["batch", str(src), "--out", str(tmp_path / "out")]) == 2
    assert "no model endpoint" in capsys.readouterr()[1] and not (tmp_path / "out").exists()
    base = ["--base-url", "http://127.0.0.1:9/v1"]
    assert main(["batch", str(src), "--out", str(src), *base]) == 2
    assert main(["batch", str(src), "--out", str(tmp_path), *base]) == 2  # it holds SRC
    assert main(["batch", str(tmp_path / "missing"), "--out", str(tmp_path / "o"), *base]) == 2
    assert main(["batch", str(src / "a.txt"), "--out", str(tmp_path / "o"), *base]) == 2
    assert main(["batch", str(src), "--out", str(tmp_path / "o"), "--price", "x=1", *base]) == 2


def test_an_output_folder_inside_the_archive_is_not_read_back(
    server: FakeServer, tmp_path: Path
) -> None:
    src = three_articles(tmp_path)
    batch.run(src, src / "fixed", config_for(server))
    again = batch.run(src, src / "fixed", config_for(server))
    assert again.articles == 3 and again.reused == 3


# --- progress -------------------------------------------------------------------------


def _progress(done: int) -> Progress:
    from collections import Counter

    return Progress(
        total=100,
        met=done,
        done=done,
        reused=0,
        statuses=Counter(repaired=done),
        in_flight=3,
        tokens=12_345,
        cost_usd=0.5,
        elapsed_s=10.0,
    )


def test_progress_is_a_line_on_a_terminal_and_log_lines_elsewhere(tmp_path: Path) -> None:
    class Tty:
        def __init__(self, tty: bool) -> None:
            self.tty, self.text = tty, ""

        def isatty(self) -> bool:
            return self.tty

        def write(self, text: str) -> int:
            self.text += text
            return len(text)

        def flush(self) -> None:
            return None

    assert progress_mode("auto", Tty(True), {}) == "bar"  # type: ignore[arg-type]
    assert progress_mode("auto", Tty(True), {"CI": "true"}) == "log"  # type: ignore[arg-type]
    assert progress_mode("auto", Tty(False), {}) == "log"  # type: ignore[arg-type]
    line = progress_line(_progress(40))
    assert "40/100 (40%)" in line and "ETA 15s" in line and "12.3k tokens" in line
    assert "$0.5000" in line and "240.0/min" in line
    log = Tty(False)
    printer = ProgressPrinter(log, "log")  # type: ignore[arg-type]
    for done in range(1, 101):
        printer.articles(_progress(done))
    assert 15 <= log.text.count("\n") <= 21  # every 5%, not every article
    bar = Tty(True)
    printer = ProgressPrinter(bar, "bar")  # type: ignore[arg-type]
    printer.articles(_progress(100))
    printer.close()
    assert bar.text.startswith("\r\x1b[K") and bar.text.endswith("\n")
