"""The service's limits: body size (413), repairs at once (503 + Retry-After), one
request's deadline (504), and a client that hangs up (the repair is cancelled).

The body is read in pieces and refused as soon as it is over the limit, so a client cannot
make the service hold more than `max_body_bytes` for it. Repairs beyond `max_inflight`
are refused at once rather than queued: a queue only moves the timeout into the CMS,
while a 503 with Retry-After lets it back off, or go to another instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from starlette.requests import ClientDisconnect, Request

from repair.service.errors import ServiceError

T = TypeVar("T")


class ClientGone(Exception):
    """The client hung up before its answer was ready: there is nobody to answer."""


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The request's body, or a 413 as soon as it is over `max_bytes`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large(int(declared), max_bytes)
    body = bytearray()
    try:
        async for piece in request.stream():
            body += piece
            if len(body) > max_bytes:
                raise too_large(None, max_bytes)
    except ClientDisconnect:
        raise ClientGone from None
    return bytes(body)


def too_large(size: int | None, max_bytes: int) -> ServiceError:
    what = f"{size:,} bytes" if size is not None else "the body"
    return ServiceError(
        413, "body-too-large", f"{what} is over the limit of {max_bytes:,} bytes (--max-body)"
    )


class Inflight:
    """At most `limit` repairs at once; one more gets a 503 with a Retry-After that is
    how long a repair has lately taken (a slot is likely free by then)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self._typical_s = 1.0  # a moving average of repair times, seeded low

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self.count >= self.limit:
            raise ServiceError(
                503,
                "busy",
                f"{self.count} repair(s) running, the most this service runs at once "
                "(--max-inflight); try again after Retry-After seconds",
                {"Retry-After": str(self.retry_after())},
            )
        self.count += 1
        started = time.monotonic()
        try:
            yield
        finally:
            self.count -= 1
            self._typical_s = 0.8 * self._typical_s + 0.2 * (time.monotonic() - started)

    def retry_after(self) -> int:
        return max(1, min(120, math.ceil(self._typical_s)))


async def until_disconnect(receive: Callable[[], Awaitable[Any]]) -> None:
    """Return when the client hangs up. Call only after the body was read: from then on the
    server has nothing else to deliver but the disconnect."""
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            return


async def guarded(job: Coroutine[Any, Any, T], request: Request, deadline_s: float) -> T:
    """Run `job` until it ends, the deadline passes (504) or the client hangs up
    (`ClientGone`); in the last two cases `job` is cancelled and awaited, so nothing it
    started (requests to the model, their connections) outlives the request."""
    work = asyncio.ensure_future(job)
    watch = asyncio.ensure_future(until_disconnect(request.receive))
    try:
        done, _ = await asyncio.wait(
            {work, watch}, timeout=deadline_s, return_when=asyncio.FIRST_COMPLETED
        )
        if work in done:
            return work.result()
        if watch in done:
            raise ClientGone
        raise ServiceError(
            504,
            "deadline",
            f"the repair took longer than {deadline_s:g} s (--deadline) and was stopped",
        )
    finally:
        for task in (work, watch):
            if not task.done():
                task.cancel()
        # Wait for the cancellations to land: the model client closes its requests.
        await asyncio.gather(work, watch, return_exceptions=True)
