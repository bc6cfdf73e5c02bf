"""Every error the service answers, in one shape: `{"error": {"code", "message"}}`.

The message is written for the person reading the CMS's log. It never carries article text
(pydantic's own "input" of a failed field is left out: it may be the whole article), a
traceback, or the API key (the model client scrubs it from its own errors already).
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from repair.errors import ModelCallError
from repair.results import ReasonCode
from repair.service.models import ErrorBody, ErrorDetail

# Statuses the model endpoint answers when our settings are wrong, not when it is down.
_REJECTED = frozenset({400, 401, 403, 404})
# HTTP's "client closed request" (nginx's 499): logged, never sent, as nobody is there.
CLIENT_CLOSED = 499


class ServiceError(Exception):
    """A request the service answers with an error: status, code, message, extra headers."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})

    def body(self) -> bytes:
        return error_json(self.code, self.message)


def error_json(code: str, message: str) -> bytes:
    return ErrorBody(error=ErrorDetail(code=code, message=message)).model_dump_json().encode()


def invalid(exc: ValidationError, what: str = "the request") -> ServiceError:
    """422 naming every field that is wrong and why, without echoing what was sent."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in error["loc"])
        problems.append(f"{where}: {error['msg']}" if where else error["msg"])
    shown = "; ".join(problems[:10])
    if len(problems) > 10:
        shown += f"; and {len(problems) - 10} more"
    return ServiceError(422, "invalid-request", f"{what} is not valid: {shown}")


def model_failed(exc: ModelCallError) -> ServiceError:
    """502: the model endpoint is down, or refuses our settings (the key, the model)."""
    status = exc.context.get("status")
    if status in _REJECTED:
        return ServiceError(502, "model-rejected", exc.message)
    return ServiceError(502, ReasonCode.MODEL_UNREACHABLE.value, exc.message)
