"""`GET /openapi.json`: the service described for a CMS in any language (it can generate
a client from this), made from the very pydantic models that check each request.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from repair.results import RepairResult, ValidationReport
from repair.review import ReviewOutcome
from repair.service.models import (
    ApplyRequest,
    CheckRequest,
    ErrorBody,
    Health,
    RepairRequest,
)

REF = "#/components/schemas/{model}"

# (path, method, summary, request model, response model, error statuses it may answer)
_OPERATIONS: list[tuple[str, str, str, type[BaseModel] | None, type[BaseModel] | None, str]] = [
    (
        "/v1/repair",
        "post",
        "Repair one article; the RepairResult of `repair fix --json`",
        RepairRequest,
        RepairResult,
        "401 413 422 502 503 504",
    ),
    (
        "/v1/check",
        "post",
        "Compare an article with its repair, fact by fact (`repair check --json`)",
        CheckRequest,
        ValidationReport,
        "401 413 422",
    ),
    (
        "/v1/apply",
        "post",
        "Undo some edits (and take suggestions) of a saved result, checked again",
        ApplyRequest,
        ReviewOutcome,
        "401 413 422",
    ),
    ("/healthz", "get", "Up, and whether the model endpoint answers", None, Health, ""),
    ("/metrics", "get", "Prometheus metrics (text format)", None, None, "401"),
]
_OPEN = {"/healthz", "/openapi.json"}  # no token needed


def openapi(version: str) -> dict[str, Any]:
    models: list[type[BaseModel]] = [ErrorBody]
    for _, _, _, request, response, _ in _OPERATIONS:
        models += [m for m in (request, response) if m is not None]
    keyed: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "validation" if m.__name__.endswith("Request") else "serialization") for m in models
    ]
    refs, defs = models_json_schema(keyed, ref_template=REF)
    paths: dict[str, Any] = {}
    for path, method, summary, request, response, errors in _OPERATIONS:
        answers: dict[str, Any] = {
            "200": {
                "description": "OK",
                "content": (
                    {"application/json": {"schema": refs[(response, "serialization")]}}
                    if response is not None
                    else {"text/plain": {"schema": {"type": "string"}}}
                ),
            }
        }
        for status in errors.split():
            answers[status] = {
                "description": "an error",
                "content": {"application/json": {"schema": refs[(ErrorBody, "serialization")]}},
            }
        operation: dict[str, Any] = {"summary": summary, "responses": answers}
        if request is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(request, "validation")]}},
            }
        if path in _OPEN:
            operation["security"] = []
        paths[path] = {method: operation}
    return {
        "openapi": "3.1.0",
        "info": {"title": "repair", "version": version},
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
