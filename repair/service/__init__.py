"""`repair serve`: the repair as an HTTP service for a CMS in any language.

    POST /v1/repair, /v1/check, /v1/apply; GET /healthz, /openapi.json, /metrics

Starlette and uvicorn (the `serve` extra). The modules: `app` (the endpoints), `models`
(request and response bodies), `auth` (the bearer token), `limits` (body size, repairs at
once, deadline, a client that hangs up), `errors` (one error shape), `access` (the JSON
access log), `metrics` (Prometheus), `health` (the model endpoint, probed and cached),
`cache` (the batch's store of model answers), `openapi`, `settings`, `runner` (uvicorn).

Names are imported when first used (PEP 562), as in `repair/__init__.py`: the command line
imports this package on every run, and must neither pay for nor need the web stack unless
`repair serve` is what runs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ServiceSettings": "repair.service.settings",
    "create_app": "repair.service.app",
    "serve": "repair.service.runner",
}

__all__ = ["ServiceSettings", "create_app", "serve"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'repair.service' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from repair.service.app import create_app
    from repair.service.runner import serve
    from repair.service.settings import ServiceSettings
