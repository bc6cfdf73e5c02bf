"""`POST /v1/apply`: the editor's choices on a saved result, through the library's apply.

This is the one place the service calls it. Undoing edits (`reject`) is
`repair.edits.apply_and_validate`, as `repair apply --reject` uses it. Taking suggested
fact corrections (`accept`, ids S1, S2, ... already checked against the result by
`ApplyRequest`) is handed to that function when it takes an `accept` argument; a library
without it answers 422 `accept-unsupported`, so a suggestion is never silently dropped.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from repair.edits import apply_and_validate, edits_of
from repair.results import RepairResult, ValidationReport
from repair.service.errors import ServiceError
from repair.service.models import ApplyResponse

Apply = Callable[..., tuple[str, ValidationReport]]


def apply_choices(
    result: RepairResult,
    reject: list[int],
    accept: list[str],
    apply: Apply = apply_and_validate,
) -> ApplyResponse:
    """The article with `reject` undone and `accept` taken, checked against the original.

    An edit number the result does not have is the library's InputError (a 422 upstream).
    """
    options: dict[str, Any] = {}
    if accept:
        if "accept" not in inspect.signature(apply).parameters:
            raise ServiceError(
                422,
                "accept-unsupported",
                "this service cannot apply suggestions yet; send reject only",
            )
        options["accept"] = list(accept)
    text, report = apply(result, set(reject), **options)
    return ApplyResponse(
        text=text,
        report=report,
        edits=len(edits_of(result)),
        undone=sorted(set(reject)),
        accepted=list(accept),
    )
