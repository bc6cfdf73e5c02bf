"""The provider's Files and Batches endpoints, over the same SDK client as live calls.

OpenAI, Azure OpenAI (v1) and others take a JSONL file of chat requests (Files API,
`purpose="batch"`), run it within `completion_window` at a lower price, and leave an
output file (one line per answer) and an error file (one line per failed request).

What is sent for a request is built by the same function as a live call's body, and an
answer line is read by the same reader as a live answer (`completion.read_completion`):
a batch answer is parsed and checked exactly as a live one.

Transport failures of the calls that change nothing are retried here, as
`client.OpenAIChat` retries chat calls (tenacity, Retry-After honoured). An upload or a
batch creation is never retried blindly: a timeout or a 500 may come after the provider
made the batch, and a second one would be paid twice. The caller looks first (a batch by
its metadata, a file by its name), then makes it again only if it is not there.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from repair.config import RepairConfig
from repair.errors import ModelCallError, ModelOutputError
from repair.llm.client import (
    RETRYABLE_STATUS,
    ClientArg,
    OpenAIChat,
    _create_args,
    _wait_for_server,
    is_retryable,
)
from repair.llm.completion import read_completion
from repair.llm.protocol import ChatReply, ChatRequest

ENDPOINT = "/v1/chat/completions"
COMPLETION_WINDOW = "24h"
# A batch that can still change, and one that cannot.
OPEN_STATUSES = frozenset({"validating", "in_progress", "finalizing", "cancelling"})
TERMINAL_STATUSES = frozenset({"completed", "failed", "expired", "cancelled"})

T = TypeVar("T")


class RequestCounts(BaseModel):
    model_config = ConfigDict(extra="ignore")

    total: int = 0
    completed: int = 0
    failed: int = 0


class BatchInfo(BaseModel):
    """What the provider says of one batch (the fields we use; others are ignored)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    status: str
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    created_at: int = 0
    request_counts: RequestCounts = Field(default_factory=RequestCounts)
    metadata: dict[str, str] | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


def request_line(custom_id: str, request: ChatRequest) -> str:
    """One line of a batch input file: the body a live call would send, as JSON."""
    line = {
        "custom_id": custom_id,
        "method": "POST",
        "url": ENDPOINT,
        "body": _create_args(request),
    }
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


class LineResult(BaseModel):
    """One line of an output or error file, as the provider wrote it."""

    model_config = ConfigDict(extra="ignore")

    custom_id: str
    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    @property
    def status(self) -> int | None:
        """The HTTP status of the request (None: it never ran, see `error`)."""
        if self.response is None:
            return None
        code = self.response.get("status_code")
        return code if isinstance(code, int) else None

    def message(self) -> str:
        """The provider's words for a failed request, short."""
        error = self.error
        if error is None and self.response is not None:
            body = self.response.get("body")
            error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            text = error.get("message") or error.get("code") or "no reason given"
            return str(text)[:300]
        return "no reason given"


def read_lines(data: bytes) -> tuple[list[LineResult], int]:
    """The lines of an output or error file, and how many could not be read at all."""
    results: list[LineResult] = []
    broken = 0
    for raw in data.splitlines():
        if not raw.strip():
            continue
        try:
            results.append(LineResult.model_validate_json(raw))
        except ValidationError:
            broken += 1  # no custom_id to tie it to: its request stays unanswered
    return results, broken


def reply_of(
    line: LineResult, request: ChatRequest
) -> ChatReply | ModelCallError | ModelOutputError:
    """The answer a line holds, read as a live answer; or the error the live call would
    have raised after its retries (retryable statuses are for the caller to resubmit)."""
    status = line.status
    if status == 200 and line.response is not None:
        body = json.dumps(line.response.get("body"), ensure_ascii=False).encode()
        try:
            return read_completion(body, request, attempts=1, waited=0.0, headers={})
        except ModelOutputError as exc:
            return exc
    retryable = status is None or status in RETRYABLE_STATUS
    return ModelCallError(
        f"the batch request failed (HTTP {status or 'none'}): {line.message()}",
        status=status,
        attempts=1,
        retryable=retryable,
        reason="batch-request",
    )


class BatchApi:
    """Files and Batches calls for one endpoint; close with `aclose()`."""

    def __init__(self, config: RepairConfig, client: ClientArg = None) -> None:
        self._config = config
        # The chat client holds the SDK client, its key and its error wording.
        self._chat = OpenAIChat(config, client=client if hasattr(client, "with_options") else None)  # type: ignore[arg-type]
        self.url = self._chat.url

    async def aclose(self) -> None:
        await self._chat.aclose()

    async def upload(self, name: str, data: bytes) -> str:
        """Upload a batch input file; its id."""
        created = await self._call(
            lambda sdk: sdk.files.create(file=(name, data, "application/jsonl"), purpose="batch"),
            retry=False,
        )
        return str(created.id)

    async def find_file(self, name: str) -> str | None:
        """The id of an uploaded batch file of this name, if the provider lists files
        (some compatible servers do not: then None, and the caller uploads again)."""
        try:
            page = await self._call(lambda sdk: sdk.files.list(purpose="batch"))
        except ModelCallError:
            return None
        async for item in page:
            if getattr(item, "filename", None) == name:
                return str(item.id)
        return None

    async def create(self, file_id: str, metadata: dict[str, str]) -> BatchInfo:
        created = await self._call(
            lambda sdk: sdk.batches.create(
                input_file_id=file_id,
                endpoint=ENDPOINT,
                completion_window=COMPLETION_WINDOW,
                metadata=metadata,
            ),
            retry=False,
        )
        return BatchInfo.model_validate(created.model_dump())

    async def retrieve(self, batch_id: str) -> BatchInfo:
        found = await self._call(lambda sdk: sdk.batches.retrieve(batch_id))
        return BatchInfo.model_validate(found.model_dump())

    async def find(self, key: str, value: str, since: float) -> BatchInfo | None:
        """The batch whose metadata has `key` = `value`, created after `since` (Unix time):
        newest first, so the scan stops at the first older batch."""
        page = await self._call(lambda sdk: sdk.batches.list(limit=100))
        async for item in page:
            info = BatchInfo.model_validate(item.model_dump())
            if (info.metadata or {}).get(key) == value:
                return info
            if info.created_at and info.created_at < since:
                return None
        return None

    async def cancel(self, batch_id: str) -> BatchInfo:
        found = await self._call(lambda sdk: sdk.batches.cancel(batch_id))
        return BatchInfo.model_validate(found.model_dump())

    async def content(self, file_id: str) -> bytes:
        response = await self._call(lambda sdk: sdk.files.content(file_id))
        return bytes(response.content)

    async def _call(self, make: Callable[[Any], Awaitable[T]], *, retry: bool = True) -> T:
        """One SDK call with the transport retries of a chat call (`retry`); errors as ours."""
        import openai

        # The chat client's SDK client and error wording: one key, one way to report.
        sdk = self._chat._client
        attempts = 0
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self._config.max_attempts if retry else 1),
                wait=_wait_for_server,
                retry=retry_if_exception(is_retryable),
                reraise=True,
            ):
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    return await make(sdk)
        except openai.APIStatusError as exc:
            raise self._chat._status_error(exc, attempts) from None
        except openai.APIConnectionError as exc:
            raise self._chat._transport_error(exc, attempts) from None
        raise AssertionError("tenacity neither returned nor raised")
