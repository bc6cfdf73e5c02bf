"""The processes that check a batch's facts: the same outputs as threads, and gone with
the job's process."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

import pytest

from repair import batch
from repair.batch import BatchOptions
from repair.batch import job as job_module
from repair.testing.fake import FakeServer
from tests.batch.test_job import PAIRS, make_folder, manifest, tree
from tests.conftest import config_for

T = TypeVar("T")


def test_checking_in_processes_gives_what_threads_give(server: FakeServer, tmp_path: Path) -> None:
    src = make_folder(tmp_path / "src", {f"{i}.txt": s for i, (s, _) in enumerate(PAIRS)})
    config = config_for(server)
    threads = batch.run(src, tmp_path / "threads", config, options=BatchOptions(workers=0))
    processes = batch.run(src, tmp_path / "processes", config, options=BatchOptions(workers=1))
    assert tree(tmp_path / "processes") == tree(tmp_path / "threads")
    assert [e["status"] for e in manifest(tmp_path / "processes")] == [
        e["status"] for e in manifest(tmp_path / "threads")
    ]
    assert processes.statuses == threads.statuses


class _BreaksOnce(ThreadPoolExecutor):
    """A pool whose first task finds a worker killed, as a process pool reports it."""

    def __init__(self) -> None:
        super().__init__(1)
        self.broke = False

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        if not self.broke:
            self.broke = True
            raise BrokenProcessPool("a worker was killed")
        return super().submit(fn, *args, **kwargs)


def test_a_broken_pool_fails_its_article_and_the_job_goes_on_with_another(
    server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools: list[ThreadPoolExecutor] = []

    def pool(workers: int) -> ThreadPoolExecutor:
        pools.append(_BreaksOnce() if not pools else ThreadPoolExecutor(workers))
        return pools[-1]

    monkeypatch.setattr(job_module, "checker_pool", pool)
    src = make_folder(tmp_path / "src", {f"{i}.txt": s for i, (s, _) in enumerate(PAIRS)})
    summary = batch.run(src, tmp_path / "out", config_for(server), options=BatchOptions(workers=1))
    assert len(pools) == 2  # the broken one, and the one that replaced it
    assert summary.statuses["failed"] == 1  # redone by the next run
    assert summary.statuses["repaired"] == len(PAIRS) - 1
    assert [e["reason"] for e in manifest(tmp_path / "out") if e["status"] == "failed"] == [
        "internal-error"
    ]
    for made in pools:
        made.shutdown()


_KILLED_WITH_ITS_POOL = """
import os, signal
from repair.batch.checkers import checker_pool

if __name__ == "__main__":
    pool = checker_pool(1)
    print(pool.submit(os.getpid).result(), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_workers_leave_when_the_job_process_is_killed() -> None:
    """A worker holds its parent's terminal (stdout, stderr): were it to stay after a
    `kill -9`, whoever reads that terminal would wait for ever."""
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_WITH_ITS_POOL],
        capture_output=True,
        text=True,
        timeout=60,  # returns once every process holding the pipes is gone
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert done.stdout.strip().isdigit()  # a worker did run
