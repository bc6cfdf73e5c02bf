"""The model client: the only module that imports `openai` (and `httpx2`).

Both are imported when a client is made or an SDK error is read, never when this module
is imported: `import repair`, `repair check` and `repair --help` must not pay the ~0.5 s
the SDK takes to import.

Retries live here and only here: transport failures (connection dropped, timeout, 408,
409, 429, 5xx) are retried by tenacity with jittered exponential backoff that honours the
server's Retry-After; the SDK's own retries are switched off (`max_retries=0`) so attempts
never multiply. Content problems (a cut-off or unusable answer) are not retried here: the
pipeline re-asks with feedback, in its own bounded loop.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import urlsplit, urlunsplit

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from repair.config import RepairConfig
from repair.errors import ConfigurationError, ModelCallError, ModelOutputError
from repair.llm.completion import body_limit, read_completion
from repair.llm.pacing import GatedChat, RateGate
from repair.llm.protocol import ChatModel, ChatReply, ChatRequest
from repair.llm.recording import RecordedChat
from repair.llm.tokens import token_reservation

if TYPE_CHECKING:
    import httpx2
    import openai

# What a caller may hand the library as its client (see `open_model`).
ClientArg: TypeAlias = "ChatModel | openai.AsyncOpenAI | None"

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
_MAX_SERVER_WAIT = 60.0  # never sleep longer than this on a server's say-so


class RequestTimedOut(Exception):
    """One attempt ran past its deadline (`timeout`, or what is left of the retry budget).

    The HTTP client's own timeouts apply between reads, so a server that drips a byte a
    second would never trip them; this deadline covers the request from send to last byte.
    """


def open_model(
    config: RepairConfig, client: ClientArg = None, gate: RateGate | None = None
) -> tuple[ChatModel, bool]:
    """The one client factory: the model to call, and whether the caller must close it.

    `client` is None (an `OpenAIChat` is built from `config`), any `ChatModel` (used as it
    is, paced by `gate` when there is one), or an `openai.AsyncOpenAI` the caller built
    (wrapped, its own retries switched off).
    """
    model, owned = _model(config, client, gate)
    if config.request_log:
        return RecordedChat(model, Path(config.request_log), close_inner=owned), True
    return model, owned


def _model(
    config: RepairConfig, client: ClientArg, gate: RateGate | None
) -> tuple[ChatModel, bool]:
    if client is None:
        return OpenAIChat(config, gate=gate), True
    if isinstance(client, ChatModel):
        return (client if gate is None else GatedChat(client, gate)), False
    if not hasattr(client, "with_options"):
        raise ConfigurationError(
            "client= takes an openai.AsyncOpenAI or an object with async complete() and aclose()",
            client=type(client).__name__,
        )
    return OpenAIChat(config, client=client, gate=gate), True


class OpenAIChat:
    """`ChatModel` over any OpenAI-compatible endpoint (OpenAI, Azure v1, Ollama, vLLM...)."""

    def __init__(
        self,
        config: RepairConfig,
        *,
        client: openai.AsyncOpenAI | None = None,
        gate: RateGate | None = None,
    ) -> None:
        self._config = config
        self._gate = gate  # shared by a batch's workers: one pace, one pause on 429
        self._owned_http: httpx2.AsyncClient | None = None
        if client is not None:
            # The caller's client keeps its settings, but retrying is ours alone.
            self._client = client.with_options(max_retries=0)
            self._secret = ""
            self.url = public_url(str(self._client.base_url))
            return
        import httpx2
        import openai

        base_url, api_key = config.endpoint()
        self._secret = api_key
        self._owned_http = httpx2.AsyncClient(
            timeout=httpx2.Timeout(config.timeout, connect=config.connect_timeout),
            limits=httpx2.Limits(
                max_connections=config.concurrency * 2,
                max_keepalive_connections=config.concurrency,
            ),
        )
        self._client = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            max_retries=0,
            timeout=httpx2.Timeout(config.timeout, connect=config.connect_timeout),
            http_client=self._owned_http,
        )
        self.url = public_url(str(self._client.base_url))

    async def aclose(self) -> None:
        if self._owned_http is not None:
            await self._owned_http.aclose()

    async def complete(self, request: ChatRequest) -> ChatReply:
        import openai

        started = time.perf_counter()
        deadline = started + self._config.max_retry_seconds
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._config.max_attempts)
            | stop_before_delay(self._config.max_retry_seconds),
            wait=_wait_for_server,
            retry=retry_if_exception(is_retryable),
            before_sleep=_log_retry,
            reraise=True,
        )
        attempts = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    budget = min(self._config.timeout, deadline - time.perf_counter())
                    reply = await self._attempt(request, budget, attempts, started)
        except openai.APIStatusError as exc:
            raise self._status_error(exc, attempts) from None
        except (openai.APIConnectionError, RequestTimedOut) as exc:
            raise self._transport_error(exc, attempts) from None
        return reply

    async def _attempt(
        self, request: ChatRequest, budget: float, attempts: int, started: float
    ) -> ChatReply:
        """One attempt under its deadline; with a gate, paced by it and told of limits."""
        import openai

        if budget <= 0:
            raise RequestTimedOut("no time left of the retry budget")
        # Counting the prompt's tokens is CPU (a few hundred microseconds a request, and the
        # tokenizer's tables to load a second at start): only a gate that paces tokens
        # needs the exact count; an estimate keeps the books of one that does not.
        gate = self._gate
        reserved = token_reservation(request, exact=gate.paces_tokens) if gate is not None else 0
        if self._gate is not None:
            await self._gate.acquire(reserved)
        try:
            async with asyncio.timeout(budget):
                body, headers = await self._fetch(request)
        except TimeoutError:
            if self._gate is not None:
                self._gate.settle(reserved, 0, {})
            raise RequestTimedOut(f"no complete answer within {budget:.0f} s") from None
        except openai.APIStatusError as exc:
            if self._gate is not None:
                self._gate.settle(reserved, 0, exc.response.headers)
                if exc.status_code == 429:
                    self._gate.pause(retry_after(exc.response.headers))
            raise
        except BaseException:
            if self._gate is not None:
                self._gate.settle(reserved, 0, {})
            raise
        waited = time.perf_counter() - started
        try:
            reply = read_completion(
                body, request, attempts=attempts, waited=waited, headers=headers
            )
        except BaseException:
            if self._gate is not None:
                # Answered, so counted by the endpoint, but how much is not known.
                self._gate.settle(reserved, None, headers)
            raise
        if self._gate is not None:
            self._gate.settle(reserved, reply.usage.total_tokens, headers)
        return reply

    async def _fetch(self, request: ChatRequest) -> tuple[bytes, dict[str, str]]:
        """The answer's bytes and headers, cut off past what the request allows."""
        limit = body_limit(request)
        stream = self._client.chat.completions.with_streaming_response.create
        async with stream(**_create_args(request)) as response:
            body = bytearray()
            async for piece in response.iter_bytes():
                body += piece
                if len(body) > limit:
                    raise ModelOutputError(
                        f"the answer ran past {limit:,} bytes, far more than the "
                        f"{request.max_tokens or 'default'} tokens asked for; cut off",
                        reason="oversize-answer",
                    )
            return bytes(body), dict(response.headers)

    def _transport_error(self, exc: Exception, attempts: int) -> ModelCallError:
        """A connection that failed or an answer that never finished, after every retry."""
        import httpx2

        cause = exc.__cause__ or exc.__context__
        tries = f"after {attempts} attempt(s)"
        if isinstance(exc, RequestTimedOut) or type(exc).__name__ == "APITimeoutError":
            reason, detail = "timeout", self._scrub(str(exc))
            message = f"the model endpoint {self.url} timed out {tries}: {detail}"
        elif not isinstance(cause, httpx2.ConnectError):
            # The server was reached and then dropped the line: a flaky endpoint, not a
            # wrong one; the paragraphs are flagged and the next request may go through.
            reason, detail = "dropped", self._scrub(str(cause or exc))
            message = f"the model endpoint {self.url} dropped the connection {tries}: {detail}"
        else:
            reason, detail = "unreachable", self._scrub(str(cause))
            message = (
                f"could not connect to the model endpoint {self.url} {tries}: {detail}; "
                "check --base-url and that the server is running"
            )
        return ModelCallError(
            message, status=None, attempts=attempts, retryable=True, reason=reason, url=self.url
        )

    def _status_error(self, exc: openai.APIStatusError, attempts: int) -> Exception:
        status = exc.status_code
        detail = self._scrub(_server_message(exc))
        code = _error_code(exc)
        if status == 400 and code == "content_filter":
            # Azure rejects a filtered prompt with a 400: a content problem, not a bad call.
            return ModelOutputError(
                "the provider's content filter refused the text", reason="content-filter"
            )
        hint = {
            400: "the endpoint rejected the request; check --model and that the server speaks "
            "the OpenAI chat completions API",
            401: f"the endpoint rejected the API key; check {self._config.api_key_env} "
            "or --api-key-env",
            403: "the API key is not allowed to use this model or endpoint",
            404: "the endpoint or model was not found; check --base-url (it usually ends in /v1) "
            "and --model",
        }.get(status, "the model endpoint kept failing")
        return ModelCallError(
            f"{hint} (HTTP {status} after {attempts} attempt(s)): {detail}",
            status=status,
            attempts=attempts,
            retryable=status in RETRYABLE_STATUS,
        )

    def _scrub(self, text: str) -> str:
        """Never let the key reach a message, however the server echoes it."""
        return scrub(text, self._secret)


def is_retryable(exc: BaseException) -> bool:
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRYABLE_STATUS
    return isinstance(exc, openai.APIConnectionError | RequestTimedOut)


def scrub(text: str, secret: str) -> str:
    """`text` with `secret` masked, also in another case or split by white space (a server
    may echo the key upper-cased or wrapped), and with credentials cut from any URL."""
    text = _URL_USERINFO.sub(r"\1", text)
    if len(secret) < 4:
        return text
    spaced = r"\s*".join(re.escape(c) for c in secret)
    return re.sub(spaced, "***", text, flags=re.IGNORECASE)


_URL_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)


def public_url(url: str) -> str:
    """`url` as it may be shown: no user name or password, no query string."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def retry_after(headers: Any) -> float | None:
    """Seconds the server asked us to wait, from retry-after-ms or Retry-After."""
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue  # an HTTP date: rare from model APIs; fall back to our own backoff
        if 0 <= seconds <= _MAX_SERVER_WAIT:
            return seconds
    return None


_backoff = wait_random_exponential(multiplier=0.5, max=20)


def _wait_for_server(state: RetryCallState) -> float:
    import openai

    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, openai.APIStatusError):
        asked = retry_after(exc.response.headers)
        if asked is not None:
            return asked
    return float(_backoff(state))


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.info(
        "attempt %d failed (%s); retrying in %.2fs",
        state.attempt_number,
        type(exc).__name__,
        wait,
    )


def _create_args(request: ChatRequest) -> dict[str, Any]:
    args: dict[str, Any] = {
        "model": request.model,
        "messages": list(request.messages),
        "temperature": request.temperature,
    }
    if request.max_tokens:
        args["max_tokens"] = request.max_tokens
    if request.response_format:
        args["response_format"] = request.response_format
    return args


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
    return exc.message[:300]


def _error_code(exc: openai.APIStatusError) -> str | None:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            code = error.get("code")
            return str(code) if code else None
    return None
