"""`--log-requests FILE`: what the model was asked and what it answered, one JSON line per
request, for an editor or a developer who wants to see why a paragraph came out as it did.

The messages are the prompt as sent (article text included: the file is as private as the
article); the API key is never part of a request, and errors are logged as the library's
own messages, which are scrubbed of it.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from repair.errors import ConfigurationError, RepairError
from repair.llm.protocol import ChatModel, ChatReply, ChatRequest


class RecordedChat:
    """A `ChatModel` that appends every request and its outcome to a JSON-lines file."""

    def __init__(self, inner: ChatModel, path: Path, *, close_inner: bool = True) -> None:
        self._inner, self._close_inner = inner, close_inner
        try:
            self._file = path.open("a", encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(
                f"--log-requests {path}: cannot write there: {exc.strerror or exc}",
                setting="log_requests",
            ) from None
        self._lock = threading.Lock()  # one line at a time from concurrent requests

    async def complete(self, request: ChatRequest) -> ChatReply:
        started = time.time()
        try:
            reply = await self._inner.complete(request)
        except RepairError as exc:
            self._write(request, started, {"error": str(exc), "code": exc.context.get("reason")})
            raise
        self._write(
            request,
            started,
            {
                "answer": reply.content,
                "finish_reason": reply.finish_reason,
                "answered_by": reply.model,
                "usage": reply.usage.model_dump(),
                "attempts": reply.attempts,
            },
        )
        return reply

    async def aclose(self) -> None:
        try:
            if self._close_inner:
                await self._inner.aclose()
        finally:
            self._file.close()

    def _write(self, request: ChatRequest, started: float, outcome: dict[str, Any]) -> None:
        line = {
            "time": round(started, 3),
            "seconds": round(time.time() - started, 3),
            "model": request.model,
            "messages": list(request.messages),
            **outcome,
        }
        # ASCII escapes: a lone surrogate in an article is written as \\udXXX, never a crash.
        text = json.dumps(line) + "\n"
        with self._lock:
            self._file.write(text)
            self._file.flush()
