"""The bearer token: `Authorization: Bearer <REPAIR_SERVICE_TOKEN>`, compared in constant time.

`hmac.compare_digest` takes as long for a token wrong in its first byte as for one wrong
in its last, so the time of a 401 says nothing about how much of a guess was right.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from pydantic import SecretStr

from repair.service.errors import ServiceError


class BearerAuth:
    """`check(headers)` passes a request with the token, else raises a 401 ServiceError.

    No token (the settings allowed it: loopback with --no-auth): every request passes.
    """

    def __init__(self, token: SecretStr | None) -> None:
        self._token = token.get_secret_value().encode() if token is not None else None

    @property
    def required(self) -> bool:
        return self._token is not None

    def check(self, headers: Mapping[str, str]) -> None:
        if self._token is None:
            return
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise _unauthorized("send the token as 'Authorization: Bearer <token>'")
        if not hmac.compare_digest(given.strip().encode(), self._token):
            raise _unauthorized("the token is not the one this service was started with")


def _unauthorized(message: str) -> ServiceError:
    return ServiceError(401, "unauthorized", message, {"WWW-Authenticate": "Bearer"})
