"""The processes that check a batch's facts, beside the one that talks to the endpoint.

A batch is bound by the endpoint's latency only while the client keeps up; comparing the
facts of every answer is most of the client's own work, and in a thread it would still
share one core with the event loop (the GIL). A pool of processes gives it the other
cores. The pool is shared by the jobs of a process and started once: a worker imports
the validator and loads its word lists before its first check, and exits if the job's
process dies without shutting it down. `repair batch` starts one (`--workers`: one fewer
than the cores); the library's `run` only when asked (`BatchOptions.workers`), since a
process pool needs the calling script to guard its top level (`if __name__ ==
"__main__":`), as all multiprocessing does.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor

from repair.validation import validate_paragraph

_pools: dict[int, ProcessPoolExecutor] = {}


def default_workers() -> int:
    """One process fewer than the cores this one may use (the event loop has one), at
    least one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 2) - 1)


def checker_pool(workers: int) -> Executor | None:
    """A pool of `workers` processes, or None for 0: the checks then run in a thread of
    the job's own process."""
    if workers == 0:
        return None
    pool = _pools.get(workers)
    if pool is None:
        # Spawned, not forked: a fork would copy whatever locks the threads of this process
        # (the event loop's, the pool's own) held at that moment. Spawned workers are this
        # process's children, so they can tell when it is gone.
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start, initargs=(os.getpid(),)
        )
        _pools[workers] = pool
        pool.submit(os.getpid)  # start the workers now, while the first requests are out
    return pool


def shutdown() -> None:
    """Stop every pool and wait for its workers to exit (a bench that counts their CPU
    time waits for them; a job's process otherwise leaves that to its exit)."""
    while _pools:
        _, pool = _pools.popitem()
        pool.shutdown(wait=True)


def discard(pool: Executor) -> None:
    """Forget a pool that broke (a worker was killed): the next `checker_pool` starts
    another."""
    for count, known in list(_pools.items()):
        if known is pool:
            del _pools[count]
            known.shutdown(wait=False, cancel_futures=True)


def _start(job_pid: int) -> None:
    """In a new worker: watch the job's process, and load what every check reads."""
    # Ctrl-C at a terminal reaches the whole process group: the job stops by finishing the
    # articles in flight, whose checks these workers still have to run.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch, args=(job_pid,), name="job-watch", daemon=True).start()
    # Word frequencies, country and currency names: loaded on first use, so now.
    validate_paragraph("Mr Smith said on Monday that 3 ships left Poland.", "Mr Smith said so.")


def _watch(job_pid: int) -> None:
    """Exit once the job's process is gone (`kill -9`): a worker waits on a queue that only
    that process writes to and would otherwise never learn, holding its terminal open."""
    while os.getppid() == job_pid:
        time.sleep(_WATCH_S)
    os._exit(1)


_WATCH_S = 0.25
