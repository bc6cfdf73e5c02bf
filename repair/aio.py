"""Run a coroutine from synchronous code, whether or not an event loop is running."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(job: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(job)`; under a running loop (a notebook, a sync helper called from
    async code) the job gets a loop of its own in a worker thread instead of failing."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(job)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, job).result()
