"""What one article's repair makes of it in the manifest, whichever engine ran it.

The local job (job.py) and the Ray stage (ray_stage.py) both end an article here: a
`RepairResult` gets its status from `verdict`, an exception its status and reason from
`classify`. One place, so the two engines cannot drift apart on what `flagged` or
`failed` means.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from repair.batch.archive import ArticleProblem
from repair.batch.breaker import endpoint_failed
from repair.batch.models import ArticleStatus
from repair.errors import InputError, ModelCallError, RepairError
from repair.results import ReasonCode, RepairResult

log = logging.getLogger(__name__)

# Statuses that mean the settings are wrong, not the article: stop the job.
FATAL_STATUS = frozenset({401, 403, 404})


class Failure(NamedTuple):
    """An article whose repair raised: its status, reason, and whether the endpoint did it."""

    status: ArticleStatus
    problem: ArticleProblem
    endpoint: bool  # failed for the endpoint's sake (refused, 5xx...), not the article's


def verdict(
    result: RepairResult, findings: list[str]
) -> tuple[ArticleStatus, str | None, str | None]:
    """The article's status, with the manifest's reason (a code) and error (in words).

    Any paragraph the model could not be asked about makes the article `failed`: a later
    run may repair it, from the store for the rest. Other kept paragraphs, or whole-article
    findings, are for an editor: `flagged`.
    """
    kept = result.flagged
    unreachable = [p for p in kept if p.reason_code is ReasonCode.MODEL_UNREACHABLE]
    if unreachable:
        return "failed", ReasonCode.MODEL_UNREACHABLE.value, unreachable[0].reason
    if kept:
        code = kept[0].reason_code
        return "flagged", code.value if code else None, kept[0].reason
    if findings:
        return "flagged", "findings", findings[0]
    return "repaired", None, None


def findings_of(result: RepairResult) -> list[str]:
    """The whole-article fact check's findings, in words."""
    return [issue.message for issue in result.report.issues] if result.report else []


def classify(exc: Exception, origin: str) -> Failure:
    """What an exception raised while repairing the article at `origin` makes of it.

    Re-raises the ones that must stop the whole job: a rejected key or an unknown model
    (401/403/404) would fail every article alike.
    """
    if isinstance(exc, ModelCallError):
        if exc.context.get("status") in FATAL_STATUS:
            raise exc
        endpoint = endpoint_failed(exc)
        code = ReasonCode.MODEL_UNREACHABLE.value if endpoint else "model-call"
        return Failure("failed", ArticleProblem(code, exc.message), endpoint)
    if isinstance(exc, InputError):
        reason = str(exc.context.get("reason", "input"))
        return Failure("skipped", ArticleProblem(reason, exc.message), False)
    if isinstance(exc, RepairError):
        return Failure("failed", ArticleProblem("error", exc.message), False)
    # A bug must not stop the other articles.
    log.error("article %s", origin, exc_info=exc)
    problem = ArticleProblem("internal-error", f"{type(exc).__name__}: {exc}")
    return Failure("failed", problem, False)
