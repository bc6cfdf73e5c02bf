"""`repair batch --batch-api` against a server that is not ours: llmock, a third-party mock
of the OpenAI API with Files and Batches (`pip install 'repair[llmock]'`; skipped without).

llmock answers in its "echo" style ("Hello! You said: ..."), which is no repair: every
article must come back flagged with its original text, after a re-ask round, and every
request and answer must have gone through llmock's Files and Batches endpoints in the
shapes the real API uses (multipart upload, JSONL lines, batch objects, output files).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from repair.batch import ManifestEntry
from repair.batch.apijob import run_api
from repair.batch.rounds import Limits
from repair.config import RepairConfig
from tests.conftest import TEST_KEY, small_article

pytest.importorskip("llmock")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def llmock_url() -> Iterator[str]:
    port = _free_port()
    command = shutil.which("llmock") or str(Path(sys.executable).parent / "llmock")
    argv = [command, "serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--response-style", "echo", "--log-level", "warning"]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(300):
            if process.poll() is not None:
                message = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"llmock did not start: {message[-500:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def test_batch_api_job_through_llmock(llmock_url: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    originals = {}
    for n in range(3):
        text, _ = small_article(first=1 + 2 * n, count=2)
        (src / f"a{n}.txt").write_text(text, encoding="utf-8")
        originals[f"a{n}.txt"] = text
    config = RepairConfig(
        base_url=llmock_url,
        api_key=TEST_KEY,
        model="gpt-4o-mini",
        max_reasks=1,  # one re-ask round: llmock's batches take 3 s each
        glossary_pass=False,
        verify="rules",
    )
    rounds: list[str] = []
    summary = run_api(
        src,
        tmp_path / "out",
        config,
        limits=Limits(poll_s=0.25),
        on_batches=lambda batches, _: rounds.extend(b.status for b in batches),
    )
    lines = (tmp_path / "out" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    entries = [ManifestEntry.model_validate_json(line) for line in lines]
    print(f"\nllmock: {len(summary.batches)} batches {summary.batches}")
    for entry in entries:
        print(f"  {entry.source}: {entry.status} ({entry.reason}) {entry.error}")
        print(
            f"    calls {entry.calls}, {entry.usage.total_tokens} tokens, batches {entry.batches}"
        )
    # Two rounds (the first asks, the echo fails the check, the re-ask), one batch each.
    assert len(summary.batches) == 2
    assert all(b.startswith("batch_") for b in summary.batches)
    assert "completed" in rounds
    assert len(entries) == 3
    for entry in entries:
        assert entry.status == "flagged"
        assert entry.calls == 2  # the first ask and the re-ask, both answered by llmock
        assert sorted(entry.batches) == sorted(summary.batches)
        assert entry.usage.prompt_tokens > 0
        # Nothing llmock said was taken for a repair: the article keeps its text.
        assert (tmp_path / "out" / entry.source).read_text(encoding="utf-8") == originals[
            entry.source
        ]
