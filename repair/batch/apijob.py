"""`repair batch --batch-api`: the same job (job.py), its requests run through the
provider's Batch API at the batch price (rounds.py), plus `--status` and `--cancel`.

    summary = await repair.batch.apijob.arun_api("archive/", "out/", config)

Everything else is the live job's: which articles are pending, the checks, the outputs,
the manifest (with each article's batch ids), resuming. What changes is the model each
article calls, how long it takes (a batch runs within 24 hours) and what it costs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from repair.aio import run_sync
from repair.batch.breaker import GuardedChat
from repair.batch.job import BatchControl, _Job, _Work
from repair.batch.ledger import CANCELLED, Ledger
from repair.batch.models import (
    BatchOptions,
    BatchProgress,
    BatchSummary,
    ManifestEntry,
    check_paths,
)
from repair.batch.rounds import ArticleChat, BatchesProgress, BatchState, Limits, Rounds
from repair.batch.store import STORE_NAME, Store
from repair.config import RepairConfig
from repair.errors import ConfigurationError
from repair.llm import open_model
from repair.llm.batches import TERMINAL_STATUSES, BatchApi
from repair.llm.pacing import LimitedChat, RateGate
from repair.pricing import cost_of
from repair.results import Usage

# Articles held at once: each waits for its batch, so many more than live (a held article
# is its text and the pipeline's state, a few tens of kB).
DEFAULT_IN_FLIGHT = 5_000
# Requests of one article in flight at once: all of its chunks go into the same round.
ROUND_CONCURRENCY = 256


async def arun_api(
    src: str | Path,
    out: str | Path,
    config: RepairConfig | None = None,
    *,
    options: BatchOptions | None = None,
    limits: Limits | None = None,
    client: Any = None,
    on_progress: BatchProgress | None = None,
    on_batches: BatchesProgress | None = None,
    control: BatchControl | None = None,
) -> BatchSummary:
    """Repair every article of `src` into `out` through the Batch API. `client`: an
    `openai.AsyncOpenAI` (a plain `ChatModel` cannot make batches)."""
    config = config or RepairConfig.from_env()
    options = options or BatchOptions()
    src, out = Path(src), Path(out)
    check_paths(src, out)
    if client is None:
        config.endpoint()
    # Every chunk of an article asks at once: its requests go out in the same round. Live
    # calls (--glossary-calls/--reask live) keep the user's limit.
    live_limit = config.concurrency
    config = config.model_copy(update={"concurrency": max(config.concurrency, ROUND_CONCURRENCY)})
    if options.in_flight is None:
        options = options.model_copy(update={"in_flight": DEFAULT_IN_FLIGHT})
    store = Store.open(out)
    try:
        gate = RateGate(options.requests_per_minute, options.tokens_per_minute)
        model, owned = open_model(config, client, gate)  # live calls: --reask/--glossary live
        api = BatchApi(config, client)
        try:
            job = ApiJob(src, out, config, options, model, store, gate, control, on_progress)
            job.model = LimitedChat(GuardedChat(model, job.breaker), live_limit)
            job.api, job.limits, job.on_batches = api, limits or Limits(), on_batches
            return await job.run()
        finally:
            await api.aclose()
            if owned:
                await model.aclose()
    finally:
        store.close()


def run_api(
    src: str | Path, out: str | Path, config: RepairConfig | None = None, **kw: Any
) -> BatchSummary:
    """Synchronous `arun_api`, for scripts."""
    return run_sync(arun_api(src, out, config, **kw))


class ApiJob(_Job):
    api: BatchApi
    limits: Limits
    on_batches: BatchesProgress | None = None
    rounds: Rounds
    hits = 0
    cancelled = False

    async def _pump(self) -> None:
        self.rounds = Rounds(
            self.api,
            self.store,
            self.model,
            self.cache.template_version,
            limits=self.limits,
            max_attempts=self.config.max_attempts,
            run=self.run_id,
            on_batches=self.on_batches,
        )
        ledger = self.rounds.ledger
        ledger.set_flag(CANCELLED, None)  # a rerun after --cancel means: go on
        if self.options.retry_failed:
            ledger.reset_failed()
        pump = asyncio.create_task(super()._pump())
        driver = asyncio.create_task(self.rounds.drive(self._moving))
        watch = asyncio.create_task(self._watch(ledger))
        try:
            done, _ = await asyncio.wait({pump, driver}, return_when=asyncio.FIRST_COMPLETED)
            if driver in done:
                self.control.abandon()  # the provider refused us: articles cannot move
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pump
                driver.result()  # its error, as the job's (exit 2 for a refused key)
            await pump
        finally:
            for task in (driver, watch):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _moving(self) -> int:
        return self.met + self.done + self.active + len(self.triage.retry)

    async def _watch(self, ledger: Ledger) -> None:
        """Stop at once on Ctrl-C or `--cancel`: articles in flight wait for batches that
        may take hours; the batches go on at the provider, and a rerun attaches to them."""
        while True:
            await asyncio.sleep(0.2)
            if ledger.flag(CANCELLED) and not self.cancelled:
                self.cancelled = True
                self.stop_reason = "the batches were cancelled (repair batch --cancel)"
            if (self.control.stopping or self.cancelled) and not self.control.abandoning:
                self.control.abandon()

    def _chat(self, work: _Work) -> Any:
        return ArticleChat(self.rounds, work.article.seq, read=work.read_cache)

    def _annotate(self, entry: ManifestEntry, chat: Any) -> None:
        assert isinstance(chat, ArticleChat)
        entry.batches = sorted(chat.batches)
        entry.cost_usd = _cost(chat.billing, self.options)
        self.hits += chat.hits

    def _summary(self, *, interrupted: bool) -> BatchSummary:
        summary = super()._summary(interrupted=interrupted)
        stats = self.rounds.stats
        billed = Usage()
        for usage in [*stats.billed.values(), *stats.live_billed.values()]:
            billed.add(usage)
        summary.requests = stats.answered + stats.live
        summary.cache_hits = self.hits
        summary.billed = billed
        costs = (
            cost_of(list(stats.billed.items()), self.options.prices, batch=True),
            cost_of(list(stats.live_billed.items()), self.options.prices),
        )
        summary.billed_cost_usd = None if None in costs else sum(c or 0.0 for c in costs)
        summary.batches = stats.batches
        summary.batches_attached = stats.attached
        summary.endpoint_down = False  # a cancel is not an outage: exit 130, resumable
        return summary


def _cost(billing: list[tuple[str, Usage, bool]], options: BatchOptions) -> float | None:
    """An article's calls, each at the rate it was billed: batch answers at the batch
    price, live ones (re-asks or the glossary sent live, an earlier live run) at the live."""
    total = 0.0
    for model, usage, batch in billing:
        cost = cost_of([(model, usage)], options.prices, batch=batch)
        if cost is None:
            return None
        total += cost
    return total


# --- --status and --cancel ------------------------------------------------------------


class BatchRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    submission: str
    batch_id: str | None
    state: str = Field(description="ours: intent, uploaded, created, done")
    status: str | None = Field(description="the provider's, as last seen")
    requests: int
    completed: int
    failed: int


class ApiStatus(BaseModel):
    """What `repair batch DIR --status` prints."""

    model_config = ConfigDict(extra="forbid")

    out: str
    batches: list[BatchRow] = Field(default_factory=list)
    requests: dict[str, int] = Field(default_factory=dict, description="by state")
    articles: dict[str, int] = Field(default_factory=dict, description="by status")
    cost_usd: float = Field(default=0.0, description="of the articles finished so far")
    refreshed: bool = Field(default=False, description="the provider was asked just now")
    cancelled: bool = False


def _open_ledger(out: Path) -> tuple[Store, Ledger]:
    """The store of `out`, beside a job that may be running (SQLite in WAL mode lets a
    second connection read, and write a little, while the job's holds the lock)."""
    if not (out / STORE_NAME).is_file():
        raise ConfigurationError(f"{out}: no batch job here (no {STORE_NAME})", setting="out")
    store = Store(out / STORE_NAME)
    return store, Ledger(store)


async def astatus(
    out: str | Path, config: RepairConfig | None = None, *, client: Any = None
) -> ApiStatus:
    """The job's batches and costs; with an endpoint, open batches are asked afresh."""
    out = Path(out)
    store, ledger = _open_ledger(out)
    try:
        result = ApiStatus(out=str(out), cancelled=ledger.flag(CANCELLED))
        api = _api_or_none(config, client)
        try:
            for sub in ledger.submissions():
                row = BatchRow(
                    submission=sub.key,
                    batch_id=sub.batch_id,
                    state=sub.state,
                    status=sub.status,
                    requests=sub.requests,
                    completed=sub.completed,
                    failed=sub.failed,
                )
                if api is not None and sub.batch_id and sub.status not in TERMINAL_STATUSES:
                    info = await api.retrieve(sub.batch_id)
                    row.status, row.completed = info.status, info.request_counts.completed
                    row.failed = info.request_counts.failed
                    result.refreshed = True
                result.batches.append(row)
        finally:
            if api is not None:
                await api.aclose()
        result.requests = ledger.counts()
        for status, n, cost in store.db.execute(
            "SELECT status, count(*), sum(json_extract(entry, '$.cost_usd')) FROM articles "
            "WHERE status IS NOT NULL GROUP BY status"
        ):
            result.articles[str(status)] = int(n)
            result.cost_usd += float(cost or 0.0)
        return result
    finally:
        store.close()


async def acancel(
    out: str | Path, config: RepairConfig | None = None, *, client: Any = None
) -> list[BatchState]:
    """Cancel the job's open batches at the provider, and tell a running job to stop.
    Rerunning the job later sends what the cancelled batches did not answer."""
    out = Path(out)
    store, ledger = _open_ledger(out)
    try:
        config = config or RepairConfig.from_env()
        api = BatchApi(config, client)
        cancelled: list[BatchState] = []
        try:
            ledger.set_flag(CANCELLED, str(time.time()))
            for sub in ledger.submissions(open_only=True):
                if sub.batch_id is None or sub.status in TERMINAL_STATUSES:
                    continue
                info = await api.retrieve(sub.batch_id)
                if not info.terminal and info.status != "cancelling":
                    info = await api.cancel(sub.batch_id)
                counts = info.request_counts
                cancelled.append(
                    BatchState(info.id, info.status, counts.total, counts.completed, counts.failed)
                )
        finally:
            await api.aclose()
        return cancelled
    finally:
        store.close()


def _api_or_none(config: RepairConfig | None, client: Any) -> BatchApi | None:
    try:
        config = config or RepairConfig.from_env()
        if client is None:
            config.endpoint()
        return BatchApi(config, client)
    except ConfigurationError:
        return None  # no key: the stored view is still worth showing
