"""The plain data of a batch: its options, manifest lines, summary, progress and estimate,
and the few pure helpers that the job (batch.py) and the dry run (batch_estimate.py) share.

Everything here is importable from `repair.batch` as well.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from repair.batch.archive import Article, is_jsonl
from repair.config import RepairConfig
from repair.errors import ConfigurationError, InputError
from repair.files import DecodeError, forced_encoding
from repair.pricing import Price
from repair.results import Usage

ArticleStatus = Literal["repaired", "flagged", "failed", "skipped"]
STATUSES: tuple[ArticleStatus, ...] = ("repaired", "flagged", "failed", "skipped")

# `repair batch`'s own defaults, below --flags and REPAIR_* variables. No one waits on one
# article in a batch, so chunks may be larger than `repair fix`'s: every call carries a
# fixed frame (fence and task lines, context, glossary lines), and fewer calls send it
# fewer times (bench/tokens.py --chunk-chars 4500: per-call extras 19% of the seed's
# tokens instead of 24%). Not larger: at 6000 the batch's last, longest requests left
# the concurrency idle (bench/batch.py throughput 0.86-0.87 of its bound; 0.91-0.92 at
# 3000 and at 4500).
BATCH_DEFAULTS: dict[str, Any] = {"chunk_chars": 4500}

# Exit statuses of `repair batch` (BatchSummary.exit_code); 2 is a configuration error or
# an output folder that cannot be written, raised before or instead of a summary.
EXIT_OK, EXIT_SOME_NOT_REPAIRED, EXIT_ENDPOINT_DOWN, EXIT_INTERRUPTED = 0, 1, 3, 130


# --- the shapes at the boundary -------------------------------------------------------


class BatchOptions(BaseModel):
    """What a batch needs beyond a `RepairConfig`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_chars: int = Field(default=2_000_000, ge=1, description="larger articles are skipped")
    encoding: str | None = Field(
        default=None, description='force one encoding (default None or "auto": detect per file)'
    )
    requests_per_minute: float | None = Field(default=None, gt=0)
    tokens_per_minute: float | None = Field(default=None, gt=0)
    in_flight: int | None = Field(
        default=None, ge=1, description="articles held at once (default: twice the concurrency)"
    )
    retry_failed: bool = Field(default=False, description="redo failed and flagged articles too")
    workers: int = Field(
        default=0,
        ge=0,
        description="processes that check facts (0: a thread of the job's own process); more "
        "than 0 needs the calling script's `if __name__ == '__main__':` guard, as any "
        "multiprocessing does. `repair batch` uses one fewer than the cores",
    )
    prices: dict[str, Price] = Field(
        default_factory=dict, description="model -> price, over the built-in table"
    )
    format: Literal["auto", "text", "markdown", "html"] = Field(
        default="auto", description="every article in this format (auto: its suffix or JSONL field)"
    )
    max_stored_answer_chars: int = Field(
        default=200_000,
        ge=0,
        description="a longer answer is used but not kept in the store (a rerun asks again); "
        "an honest answer is about as long as the passage asked about",
    )
    # The circuit breaker (breaker.py): with the client's own retries (5 attempts with
    # backoff per request), the defaults stop against a dead endpoint within about a
    # minute and wait out an outage of 35 s or so without stopping.
    breaker_failures: int = Field(
        default=5,
        ge=1,
        description="requests in a row that the endpoint failed (refused, timed out, 5xx, "
        "after the client's retries) before the job pauses",
    )
    breaker_pause_s: float = Field(
        default=5.0, ge=0, description="the first pause; each next one is twice as long"
    )
    breaker_pauses: int = Field(
        default=3,
        ge=0,
        description="pauses, each ended by one probing request, before the job stops "
        "(exit status 3) with the articles not finished left pending",
    )

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, name: str | None) -> str | None:
        # An unknown name would otherwise skip every article of the archive, one by one.
        try:
            return forced_encoding(name)
        except DecodeError as exc:
            raise ValueError(exc.message) from None


class FlaggedParagraph(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    reason: str | None


class Validation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ok: bool = True
    flagged: list[FlaggedParagraph] = Field(default_factory=list)
    findings: list[str] = Field(default_factory=list, description="whole-article fact check")


class ManifestEntry(BaseModel):
    """One article's line in manifest.jsonl."""

    model_config = ConfigDict(extra="forbid")

    id: str | None
    source: str = Field(description='path relative to SRC, or "line N" of the JSONL file')
    status: ArticleStatus
    reason: str | None = Field(
        default=None, description="short code: empty, binary, model-unreachable, facts-changed, ..."
    )
    error: str | None = Field(default=None, description="the reason in words")
    output: str | None = Field(default=None, description="the repaired file, relative to DIR")
    encoding: str | None = None
    notes: list[str] = Field(default_factory=list)
    chunks: int = 0
    paragraphs: dict[str, int] = Field(default_factory=dict)
    validation: Validation = Field(default_factory=Validation)
    suggestions: int = Field(default=0, description="fact corrections offered, none applied")
    calls: int = 0
    cache_hits: int = Field(
        default=0, description="calls answered from the store, not the endpoint"
    )
    retries: int = Field(default=0, description="transport retries over all calls")
    attempts: int = Field(default=0, description="runs that worked on this article")
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None
    duration_s: float = 0.0
    batches: list[str] = Field(
        default_factory=list, description="the Batch API batches that answered it (--batch-api)"
    )


class BatchSummary(BaseModel):
    """What a run did; `exit_code` is the command's."""

    model_config = ConfigDict(extra="forbid")

    src: str
    out: str
    manifest: str
    output: str | None = Field(
        default=None, description="the output JSONL (JSONL input, whole runs)"
    )
    total: int = Field(default=0, description="articles in the archive")
    articles: int = Field(
        default=0, description="articles this run met (all of them, unless stopped)"
    )
    statuses: dict[str, int] = Field(default_factory=dict)
    reasons: dict[str, int] = Field(default_factory=dict, description="skipped and failed")
    reused: int = Field(default=0, description="finished by an earlier run, not redone")
    unfinished: int = Field(default=0, description="met but not finished (the run was stopped)")
    usage: Usage = Field(default_factory=Usage, description="tokens of the articles met")
    cost_usd: float | None = None
    requests: int = Field(
        default=0, description="requests this run sent to the endpoint and it answered"
    )
    failed_requests: int = Field(
        default=0,
        description="requests the endpoint failed (refused, timed out, 5xx) after retries",
    )
    cache_hits: int = Field(default=0, description="requests answered by an earlier run's answer")
    shared: int = Field(
        default=0, description="requests answered by an identical one this run sent (duplicates)"
    )
    unstored: int = Field(default=0, description="answers used but not kept (over the size cap)")
    billed: Usage = Field(default_factory=Usage, description="tokens this run sent")
    billed_cost_usd: float | None = None
    unpriced: list[str] = Field(default_factory=list, description="models with no price")
    rate_limit_pauses: int = 0
    paused_s: float = 0.0
    duration_s: float = 0.0
    interrupted: bool = Field(default=False, description="stopped before the end (any cause)")
    endpoint_down: bool = Field(
        default=False,
        description="stopped because the endpoint kept failing; the articles it failed are "
        "left pending (not failed) for the next run",
    )
    endpoint_pauses: int = Field(default=0, description="pauses while the endpoint failed")
    stop_reason: str | None = Field(default=None, description="why the job stopped, in words")
    batches: list[str] = Field(
        default_factory=list, description="Batch API batches this run created (--batch-api)"
    )
    batches_attached: list[str] = Field(
        default_factory=list, description="batches an earlier, killed run left running"
    )

    @property
    def exit_code(self) -> int:
        if self.endpoint_down:
            return EXIT_ENDPOINT_DOWN
        if self.interrupted:
            return EXIT_INTERRUPTED
        bad = sum(self.statuses.get(s, 0) for s in ("flagged", "failed", "skipped"))
        return EXIT_SOME_NOT_REPAIRED if bad else EXIT_OK


@dataclass(slots=True)
class Progress:
    """A snapshot for a progress display."""

    total: int
    met: int
    done: int  # finished (any status), this run or before
    reused: int
    statuses: Counter[str]
    in_flight: int
    tokens: int
    cost_usd: float | None
    elapsed_s: float

    @property
    def rate(self) -> float:
        """Articles finished per second in this run (those done before pass quickly too)."""
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        return (self.total - self.done) / self.rate if self.rate > 0 else None


BatchProgress = Callable[[Progress], None]  # called with a snapshot as articles finish


class Estimate(BaseModel):
    """What `repair batch --dry-run` prints: the work and its cost, no request made."""

    model_config = ConfigDict(extra="forbid")

    src: str
    model: str
    articles: int = 0
    to_repair: int = 0
    done_before: int = Field(default=0, description="finished in DIR by an earlier run")
    skipped: int = 0
    reasons: dict[str, int] = Field(default_factory=dict)
    chunks: int = 0
    calls: int = Field(
        default=0, description="first requests; re-asks after failed checks add more"
    )
    usage: Usage = Field(default_factory=Usage)
    verification: Usage = Field(
        default_factory=Usage, description="the meaning check's part of `usage` (--verify model)"
    )
    cost_usd: float | None = None
    batch_cost_usd: float | None = Field(
        default=None, description="the same requests through the Batch API (--batch-api)"
    )


# --- shared by the job and the estimate -----------------------------------------------


def article_format(article: Article, options: BatchOptions) -> str:
    """`--format` if given, else what the file's suffix or JSONL field says."""
    return article.format.value if options.format == "auto" else options.format


def fingerprint(settings: str, article: Article, options: BatchOptions) -> str:
    """What a finished article's output depends on: a rerun redoes it when this changes."""
    key = f"{settings}\0{article_format(article, options)}\0{article.text}"
    return hashlib.sha256(key.encode()).hexdigest()


def check_paths(src: Path, out: Path) -> None:
    """SRC must be readable, and DIR must not overwrite it."""
    if not src.exists():
        raise InputError(f"{src}: no such file or folder")
    if src.is_file() and not is_jsonl(src):
        raise InputError(f"{src}: SRC must be a folder of article files or a .jsonl file")
    if out.exists() and not out.is_dir():
        raise ConfigurationError(f"--out {out}: exists and is not a folder", setting="out")
    if src.resolve().is_relative_to(out.resolve()):
        # Outputs and the store would land among the articles, or overwrite them.
        raise ConfigurationError(
            f"--out {out} holds SRC {src}; choose a folder outside it", setting="out"
        )


def settings_fingerprint(config: RepairConfig, template_version: str) -> str:
    """What makes a finished article's repair still valid: the settings that shape it."""
    shaping = config.model_dump(
        include={
            "model",
            "fallback_model",
            "style",
            "temperature",
            "chunk_chars",
            "context_chars",
            "max_reasks",
            "glossary",
            "glossary_pass",
            "verify",
            "verify_model",
        }
    )
    shaping["template"] = template_version
    return json.dumps(shaping, sort_keys=True)
