"""The service's endpoints on Starlette: `create_app(settings, config)` is an ASGI app.

    POST /v1/repair   {"text"|"markdown"|"html", "style"?, "glossary"?, "verify"?} -> RepairResult
    POST /v1/check    {"source", "repaired", "format"?, "glossary"?}             -> ValidationReport
    POST /v1/apply    {"result", "accept"?, "reject"?}                           -> ReviewOutcome
    GET  /healthz     up, and whether the model endpoint answers (no token needed)
    GET  /openapi.json, GET /metrics

Each handler reads and checks its body, calls the library exactly as the command line
does, and answers the library's own JSON. Every failure becomes one `ServiceError` shape.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from repair import formats
from repair.config import RepairConfig
from repair.errors import InputError, ModelCallError
from repair.formats import Format
from repair.glossary import pinned_mapping
from repair.llm import ChatModel, open_model
from repair.pipeline import arepair_article
from repair.results import ReasonCode, RepairResult
from repair.review import apply_choices
from repair.service.access import AccessLog, notes_of
from repair.service.auth import BearerAuth
from repair.service.cache import AnswerCache
from repair.service.errors import CLIENT_CLOSED, ServiceError, error_json, invalid, model_failed
from repair.service.health import EndpointHealth
from repair.service.limits import ClientGone, Inflight, guarded, read_body
from repair.service.metrics import CONTENT_TYPE, Metrics
from repair.service.models import (
    ApplyRequest,
    CheckRequest,
    GlossaryBody,
    Health,
    RepairRequest,
)
from repair.service.openapi import openapi
from repair.service.settings import ServiceSettings
from repair.validation import check

log = logging.getLogger(__name__)

JSON = "application/json"
M = TypeVar("M", bound=BaseModel)
Handler = Callable[[Request], Awaitable[Response]]


class Service:
    """The state the endpoints share: the model client, the cache, the limits, metrics."""

    def __init__(
        self,
        settings: ServiceSettings,
        config: RepairConfig,
        client: ChatModel | None = None,
        cache: AnswerCache | None = None,
    ) -> None:
        self.settings, self.config = settings, config
        self.auth = BearerAuth(settings.token)
        self.inflight = Inflight(settings.max_inflight)
        self.metrics = Metrics()
        self.metrics.inflight.set_function(lambda: self.inflight.count)
        self.health = EndpointHealth(
            config, ttl_s=settings.health_ttl_s, timeout_s=settings.health_timeout_s
        )
        self._client = client
        self._model: ChatModel | None = None
        self.cache = cache
        self._openapi = b""

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """One model client (one connection pool) for the service's life."""
        model, owned = open_model(self.config, self._client)
        self._model = model
        try:
            yield
        finally:
            if owned:
                await model.aclose()

    def routes(self) -> list[Route]:
        return [
            Route("/v1/repair", self._endpoint(self.repair), methods=["POST"]),
            Route("/v1/check", self._endpoint(self.check), methods=["POST"]),
            Route("/v1/apply", self._endpoint(self.apply), methods=["POST"]),
            Route("/healthz", self._endpoint(self.healthz, protected=False), methods=["GET"]),
            Route("/metrics", self._endpoint(self.metrics_page), methods=["GET"]),
            Route("/openapi.json", self._endpoint(self.openapi, protected=False), methods=["GET"]),
        ]

    def _endpoint(self, handler: Handler, *, protected: bool = True) -> Handler:
        """The handler behind the token check, with every failure in the error shape."""

        async def run(request: Request) -> Response:
            notes = notes_of(request.scope)
            try:
                if protected:
                    self.auth.check(request.headers)
                return await handler(request)
            except ServiceError as exc:
                notes["code"] = exc.code
                return Response(exc.body(), exc.status, exc.headers, media_type=JSON)
            except ClientGone:
                notes["code"] = "client-closed"
                return Response(b"", CLIENT_CLOSED)
            except Exception as exc:
                # The type only: a message or traceback may quote the article. -vv shows it.
                log.error("internal error on %s: %s", request.url.path, type(exc).__name__)
                log.debug("internal error", exc_info=True)
                notes["code"] = "internal-error"
                body = error_json(
                    "internal-error", "an internal error; the service's log has its X-Request-Id"
                )
                return Response(body, 500, media_type=JSON)

        return run

    # --- the endpoints ----------------------------------------------------------------

    async def repair(self, request: Request) -> Response:
        notes = notes_of(request.scope)
        body = await read_body(request, self.settings.max_body_bytes)
        asked = _parse(RepairRequest, body)
        text, fmt = asked.article
        notes.update(chars=len(text), format=fmt.value)
        self._check_length(len(text), "the article")
        config = self._config_for(asked)
        async with self.inflight.slot():
            result, hits = await guarded(
                self._repair(text, fmt, config), request, self.settings.deadline_s
            )
        flagged = result.flagged
        notes.update(
            calls=len(result.calls),
            cache_hits=hits,
            prompt_tokens=result.usage.prompt_tokens,
            completion_tokens=result.usage.completion_tokens,
            paragraphs=len(result.paragraphs),
            flagged=len(flagged),
        )
        self.metrics.repaired(result)
        down = [p for p in flagged if p.reason_code is ReasonCode.MODEL_UNREACHABLE]
        if down and len(down) == len(result.paragraphs):
            # Not one paragraph could be asked about: not a repair, an outage.
            raise ServiceError(502, ReasonCode.MODEL_UNREACHABLE.value, down[0].reason or "")
        # Stamped as `repair fix` stamps it (the report shows the date); no file name here.
        finished = datetime.now(UTC).replace(microsecond=0)
        return Response(
            result.model_copy(update={"finished_at": finished}).model_dump_json(),
            200,
            {"X-Repair-Cache-Hits": str(hits)},
            media_type=JSON,
        )

    async def _repair(
        self, text: str, fmt: Format, config: RepairConfig
    ) -> tuple[RepairResult, int]:
        """The library call, with the model answers of the cache; (result, cache hits)."""
        assert self._model is not None, "the lifespan opens the model first"
        chat = None if self.cache is None else self.cache.chat(self._model, config.style)
        try:
            result = await arepair_article(text, config, client=chat or self._model, fmt=fmt)
        except InputError as exc:
            raise ServiceError(422, "invalid-article", exc.message) from None
        except ModelCallError as exc:
            raise model_failed(exc) from None
        return result, chat.hits if chat is not None else 0

    async def check(self, request: Request) -> Response:
        notes = notes_of(request.scope)
        asked = _parse(CheckRequest, await read_body(request, self.settings.max_body_bytes))
        notes["chars"] = len(asked.source)
        self._check_length(len(asked.source), "source")
        self._check_length(len(asked.repaired), "repaired")
        fmt = formats.resolve(asked.format, asked.source)
        notes["format"] = fmt.value
        glossary = _glossary(asked.glossary)
        # The checks are CPU work of up to a second for a long article: off the loop, so
        # other requests (health checks above all) are still answered meanwhile.
        report = await asyncio.to_thread(
            check, asked.source, asked.repaired, fmt, glossary=glossary
        )
        return Response(report.model_dump_json(), 200, media_type=JSON)

    async def apply(self, request: Request) -> Response:
        asked = _parse(ApplyRequest, await read_body(request, self.settings.max_body_bytes))
        self._check_length(len(asked.result.text), "result.text")
        try:
            # What `repair apply --accept ... --reject ...` calls; checks run off the loop.
            outcome = await asyncio.to_thread(
                apply_choices, asked.result, asked.accept, set(asked.reject)
            )
        except InputError as exc:  # an id or number the result lacks, a stale span
            raise ServiceError(422, "invalid-choice", exc.message) from None
        return Response(outcome.model_dump_json(), 200, media_type=JSON)

    async def healthz(self, request: Request) -> Response:
        endpoint = await self.health.current()
        health = Health(
            status="ok" if endpoint.reachable and (endpoint.status or 0) < 400 else "degraded",
            inflight=self.inflight.count,
            max_inflight=self.inflight.limit,
            model_endpoint=endpoint,
        )
        return Response(health.model_dump_json(), 200, media_type=JSON)

    async def metrics_page(self, request: Request) -> Response:
        return Response(self.metrics.render(), 200, media_type=CONTENT_TYPE)

    async def openapi(self, request: Request) -> Response:
        if not self._openapi:
            self._openapi = json.dumps(openapi(_version())).encode()
        return Response(self._openapi, 200, media_type=JSON)

    # --- helpers ----------------------------------------------------------------------

    def _check_length(self, chars: int, what: str) -> None:
        if chars > self.settings.max_chars:
            raise ServiceError(
                413,
                "article-too-large",
                f"{what}: {chars:,} characters is over the limit of "
                f"{self.settings.max_chars:,} (--max-chars)",
            )

    def _config_for(self, asked: RepairRequest) -> RepairConfig:
        """The service's settings, with what this request may choose."""
        # The service's own model client records requests when asked (--log-requests);
        # the per-article copy must not record them a second time.
        update: dict[str, Any] = {"request_log": None}
        if asked.style is not None:
            update["style"] = asked.style
        if asked.verify is not None:
            update["verify"] = asked.verify
        pins = _glossary(asked.glossary)
        if pins:
            update["glossary"] = {**self.config.glossary, **pins}
        return self.config.model_copy(update=update)


def _parse(model: type[M], body: bytes) -> M:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise invalid(exc) from None


def _glossary(given: GlossaryBody | None) -> dict[str, str] | None:
    if given is None:
        return None
    try:
        return pinned_mapping(given, "glossary")
    except InputError as exc:
        raise ServiceError(422, "invalid-request", exc.message) from None


def _version() -> str:
    try:
        return version("repair")
    except PackageNotFoundError:  # a checkout run without installing
        return "unknown"


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405, in the service's error shape."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code = {404: "not-found", 405: "method-not-allowed"}.get(status, "http-error")
    message = f"no {request.method} {request.url.path} here; see /openapi.json"
    return Response(error_json(code, message), status, media_type=JSON)


def create_app(
    settings: ServiceSettings,
    config: RepairConfig,
    *,
    client: ChatModel | None = None,
    cache: AnswerCache | None = None,
) -> ASGIApp:
    """The service as an ASGI app (for uvicorn, or any ASGI server).

    `client`: a `ChatModel` to use instead of one built from `config` (tests, a CMS's
    own); `cache`: the store of model answers (its opener closes it), None for none.
    """
    service = Service(settings, config, client, cache)
    app = Starlette(
        routes=service.routes(),
        exception_handlers={HTTPException: _http_error},
        lifespan=service.lifespan,
    )
    return AccessLog(app, service.metrics)
