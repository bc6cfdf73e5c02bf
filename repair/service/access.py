"""The access log, one JSON line per request, and the request metrics: an ASGI middleware.

A line holds what an operator needs and nothing a client sent as content: method, path
(without the query), status, time, sizes, the request id, and the notes the handler left
(the error code, the article's length and format, model calls, cache hits, tokens,
flags). Never a header (the token), never article text: the handlers only note numbers
and codes, and this module only writes the fields named below.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from repair.service.errors import CLIENT_CLOSED
from repair.service.metrics import Metrics

log = logging.getLogger("repair.service.access")

NOTES = "repair.notes"  # the scope key where handlers leave their notes
# Notes a handler may leave, and nothing else reaches the line.
NOTE_FIELDS = (
    "code",
    "chars",
    "format",
    "calls",
    "cache_hits",
    "prompt_tokens",
    "completion_tokens",
    "paragraphs",
    "flagged",
)
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def notes_of(scope: Scope) -> MutableMapping[str, Any]:
    notes: MutableMapping[str, Any] = scope.setdefault(NOTES, {})
    return notes


class AccessLog:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        notes = notes_of(scope)
        sizes = {"in": 0, "out": 0}
        status = CLIENT_CLOSED  # stays so if no answer was sent: the client left

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                sizes["in"] += len(message.get("body", b""))
            return message

        async def tagging_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                sizes["out"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, tagging_send)
        finally:
            seconds = time.perf_counter() - started
            if notes.get("code") == "client-closed":
                status = CLIENT_CLOSED  # whatever was attempted, nobody received it
            path = str(scope.get("path", ""))
            self.metrics.answered(path, status, seconds)
            line: dict[str, Any] = {
                "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "id": request_id,
                "client": (scope.get("client") or ("", 0))[0],
                "method": scope.get("method"),
                "path": path,
                "status": status,
                "ms": round(seconds * 1000, 1),
                "bytes_in": sizes["in"],
                "bytes_out": sizes["out"],
            }
            line.update({k: notes[k] for k in NOTE_FIELDS if k in notes})
            log.info(json.dumps(line, ensure_ascii=False))


def _request_id(scope: Scope) -> str:
    """The client's X-Request-Id when it is a plain token (it ties our line to its log),
    else a new one; anything else a client sends there is not copied into the log."""
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            given = bytes(value).decode("latin-1")
            if _CLIENT_ID.match(given):
                return given
    return uuid.uuid4().hex
