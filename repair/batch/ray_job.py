"""`repair batch --engine ray`: the same job, its articles repaired by Ray actors.

    summary = await arun_on_ray("archive/", "out/", config, address="auto")

The driver (this process) does what the local job does, with the same code (job.py):
it reads the archive (folders, JSONL), skips what an earlier run finished, writes each
output atomically and then its state to the store, and writes the manifest. Only the
pipeline itself (chunking, the model calls, validation) runs elsewhere: on `workers`
actors, each a `RepairStage` (ray_stage.py) with its own client and connections. So the
outputs and the manifest are those of the local engine, byte for byte, and a run killed
midway resumes as a local one does, from the same store.

What differs:
- Limits: one limiter actor paces every request of every worker (ray_pace.py): the
  requests and tokens per minute and the pause on 429 hold for the job, not per worker.
- `--concurrency` bounds requests in flight per worker; articles held at once default to
  twice that, times the workers.
- The store's answer cache is not used: requests go from the workers. A rerun skips the
  finished articles; the ones in flight at a kill are asked again.
- The circuit breaker counts articles, not requests: an article the endpoint failed is
  one failure. The job still pauses, probes and stops as the local one does.
"""

from __future__ import annotations

import asyncio
import logging
import math
from pathlib import Path
from typing import Any

from repair.batch.breaker import endpoint_failed
from repair.batch.job import BatchControl, _Job, _Work
from repair.batch.models import (
    BatchOptions,
    BatchProgress,
    BatchSummary,
    article_format,
    check_paths,
)
from repair.batch.ray_pace import limiter_actor
from repair.batch.ray_stage import RepairStage
from repair.batch.store import CachedChat, Store
from repair.config import RepairConfig
from repair.errors import ConfigurationError, ModelCallError
from repair.llm import ChatReply, ChatRequest
from repair.llm.pacing import RateGate
from repair.pricing import cost_of
from repair.results import ReasonCode, RepairResult, Usage

log = logging.getLogger(__name__)


async def arun_on_ray(
    src: str | Path,
    out: str | Path,
    config: RepairConfig | None = None,
    *,
    options: BatchOptions | None = None,
    address: str | None = None,
    workers: int | None = None,
    on_progress: BatchProgress | None = None,
    control: BatchControl | None = None,
) -> BatchSummary:
    """Repair every article of `src` into `out` on Ray; `address`: a cluster to join
    (None: the one this process is connected to, or a new local one)."""
    config = config or RepairConfig.from_env()
    options = options or BatchOptions()
    src, out = Path(src), Path(out)
    check_paths(src, out)
    config.endpoint()  # no endpoint configured: say so before starting a cluster
    ray = _ray()
    started = connect(ray, address, workers)
    try:
        workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        in_flight = options.in_flight or 2 * config.concurrency * workers
        options = options.model_copy(update={"in_flight": in_flight})
        store = Store.open(out)  # locked by another run: said before any worker starts
        limiter = limiter_actor(options.requests_per_minute, options.tokens_per_minute)
        pool = _Pool(ray, config, options, limiter, workers, math.ceil(in_flight / workers))
        try:
            # Workers up before the job's clock starts; one that cannot start (repair not
            # installed on the cluster) fails here, before any article is taken.
            await _started(pool)
            job = _RayJob(pool, src, out, config, options, store, control, on_progress)
            summary = await job.run()
            pauses, paused_s = await limiter.stats.remote()
        finally:
            store.close()
            await pool.aclose()
            ray.kill(limiter)
        return summary.model_copy(
            update={"rate_limit_pauses": pauses, "paused_s": round(paused_s, 3)}
        )
    finally:
        if started:
            ray.shutdown()


async def _started(pool: _Pool) -> None:
    try:
        await asyncio.gather(*(actor.ready.remote() for actor in pool.actors))
    except Exception as exc:  # RayActorError and kin: the worker's own words
        raise ConfigurationError(
            f"the Ray workers did not start (is repair installed on every node?): {exc}",
            setting="engine",
        ) from None


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigurationError(
            "--engine ray needs Ray: pip install 'repair[ray]'", setting="engine"
        ) from None
    return ray


def connect(ray: Any, address: str | None, workers: int | None) -> bool:
    """Join `address`, or start a local Ray with `workers` CPUs; True when started here."""
    if ray.is_initialized():
        return False
    settings: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING}
    if address is None:
        settings["num_cpus"] = workers
    try:
        ray.init(address=address, **settings)
    except Exception as exc:  # Ray's own mix (ConnectionError, RuntimeError, ImportError...)
        raise ConfigurationError(
            f"--ray-address {address}: cannot join the Ray cluster: {exc}", setting="ray_address"
        ) from None
    return True


class _NoModel:
    """The driver's model: never called, the workers send every request."""

    async def complete(self, request: ChatRequest) -> ChatReply:
        raise AssertionError("a Ray job sends its requests from the workers")

    async def aclose(self) -> None:
        return None


class _Pool:
    """`workers` actors; each article goes to the one with the fewest in hand."""

    def __init__(
        self,
        ray: Any,
        config: RepairConfig,
        options: BatchOptions,
        limiter: Any,
        workers: int,
        threads: int,
    ) -> None:
        self._ray = ray
        actor = ray.remote(num_cpus=1)(RepairStage).options(max_concurrency=threads)
        self.actors = [
            actor.remote(config, options=options, limiter=limiter) for _ in range(workers)
        ]
        self.load = [0] * workers

    def take(self) -> int:
        chosen = min(range(len(self.actors)), key=self.load.__getitem__)
        self.load[chosen] += 1
        return chosen

    def give_back(self, chosen: int) -> None:
        self.load[chosen] -= 1

    async def aclose(self) -> None:
        closing = asyncio.gather(*(a.close.remote() for a in self.actors))
        try:
            await asyncio.wait_for(closing, timeout=10)
        except Exception as exc:  # closing connections of workers gone already
            log.debug("closing the Ray workers: %s", exc)
        for actor in self.actors:
            self._ray.kill(actor)


class _RayJob(_Job):
    """The local job (job.py, private to the batch package), with the pipeline of each
    article run by a worker of the pool: one code path for reading, resuming and writing."""

    def __init__(
        self,
        pool: _Pool,
        src: Path,
        out: Path,
        config: RepairConfig,
        options: BatchOptions,
        store: Store,
        control: BatchControl | None,
        on_progress: BatchProgress | None,
    ) -> None:
        # The gate here only counts for the summary: the limiter actor paces the requests.
        gate = RateGate()
        super().__init__(src, out, config, options, _NoModel(), store, gate, control, on_progress)
        self.pool = pool
        self.sent = 0  # requests the workers made (from each result's calls)
        self.billed: dict[str, Usage] = {}

    async def _attempt(self, work: _Work, chat: CachedChat) -> RepairResult:
        # The breaker, as GuardedChat uses it around a request, around the whole article.
        probe = await self.breaker.admit()
        chosen = self.pool.take()
        try:
            ref = self.pool.actors[chosen].repair.remote(
                work.text, article_format(work.article, self.options)
            )
            outcome = await ref
        except BaseException:
            if probe:
                self.breaker.release_probe()
            raise
        finally:
            self.pool.give_back(chosen)
        if isinstance(outcome, Exception):
            failure = (
                outcome
                if isinstance(outcome, ModelCallError) and endpoint_failed(outcome)
                else None
            )
            self.breaker.record(failure, probe=probe)
            raise outcome
        result: RepairResult = outcome
        self.breaker.record(_unreachable(result), probe=probe)
        self._bill(result)
        return result

    def _bill(self, result: RepairResult) -> None:
        for call in result.calls:
            self.sent += 1
            self.billed.setdefault(call.model, Usage()).add(call.usage())

    def _summary(self, *, interrupted: bool) -> BatchSummary:
        summary = super()._summary(interrupted=interrupted)
        billing = list(self.billed.items())
        total = Usage()
        for _, usage in billing:
            total.add(usage)
        return summary.model_copy(
            update={
                "requests": self.sent,
                "billed": total,
                "billed_cost_usd": cost_of(billing, self.options.prices),
            }
        )


def _unreachable(result: RepairResult) -> ModelCallError | None:
    """An endpoint failure for the breaker when the pipeline kept paragraphs for it."""
    for paragraph in result.flagged:
        if paragraph.reason_code is ReasonCode.MODEL_UNREACHABLE:
            return ModelCallError(paragraph.reason or "the endpoint failed", reason="unreachable")
    return None
