"""Repair as a Ray Data stage: a callable class for `Dataset.map_batches`.

    import ray
    from repair.batch.ray_stage import repair_dataset

    articles = ray.data.read_parquet("s3://bucket/articles/")   # id + text (or html, markdown)
    repaired = repair_dataset(articles, config, options=BatchOptions(requests_per_minute=500))
    repaired.write_parquet("s3://bucket/repaired/")

Each row needs an `id` and one of `text`, `html` or `markdown`; it comes out with every
column it had, plus `repaired_<field>` (the repair, in the row's own format; null when the
article was not repaired), `repair_status` and `repair_reason` (the manifest's codes),
`repair_error`, `repair_findings`, `repair_suggestions`, the token counts and `cost_usd`.
A row is checked as a line of a JSONL archive is (archive.py), repaired by the same
pipeline as the local job, and judged by the same rules (outcome.py).

One `RepairStage` per Ray actor holds one async client (one connection pool) and an event
loop of its own on a thread: the articles of a batch, and calls from several threads when
the job engine (ray_job.py) drives the actor, share them. Requests in flight are bounded
per actor by `config.concurrency`. The rate limits hold across all actors through one
limiter actor (ray_pace.py).

Ray and pyarrow are imported only when a stage is made: `import repair` never needs them.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import threading
import time
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

from repair.batch.archive import BODY_FIELDS, ArticleProblem, article_from_row
from repair.batch.models import BatchOptions, article_format
from repair.batch.outcome import classify, findings_of, verdict
from repair.batch.ray_pace import RemoteGate, limiter_actor
from repair.config import RepairConfig
from repair.llm import ChatModel, open_model
from repair.llm.pacing import LimitedChat, RateGate
from repair.pipeline import arepair_article
from repair.pricing import cost_usd
from repair.results import RepairResult

T = TypeVar("T")

# The columns a stage adds besides `repaired_<field>`, with their Arrow types (by name:
# pyarrow is imported only in a worker).
ADDED = {
    "repair_status": "string",
    "repair_reason": "string",
    "repair_error": "string",
    "repair_findings": "list<string>",
    "repair_suggestions": "int64",
    "prompt_tokens": "int64",
    "completion_tokens": "int64",
    "cached_tokens": "int64",
    "total_tokens": "int64",
    "cost_usd": "double",
}


class RepairStage:
    """`ds.map_batches(RepairStage, fn_constructor_kwargs={"config": config, ...})`.

    `limiter`: the handle `limiter_actor(...)` returned, so the requests and tokens per
    minute in `options` hold for the whole job; without one, each actor paces itself by
    `options` (the limit then holds per actor). `repair_dataset` passes one for you.
    """

    def __init__(
        self,
        config: RepairConfig,
        *,
        options: BatchOptions | None = None,
        limiter: Any = None,
    ) -> None:
        self.config = config
        self.options = options or BatchOptions()
        if limiter is not None:
            gate: RateGate | None = RemoteGate(limiter)
        elif self.options.requests_per_minute or self.options.tokens_per_minute:
            gate = RateGate(self.options.requests_per_minute, self.options.tokens_per_minute)
        else:
            gate = None
        _exit_with_the_raylet()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="repair-stage", daemon=True
        )
        self._thread.start()
        self._model = self._run(self._open(gate))

    async def _open(self, gate: RateGate | None) -> ChatModel:
        model, _ = open_model(self.config, None, gate)  # built on the loop that will use it
        return LimitedChat(model, self.config.concurrency)

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    # --- the job engine's call: one article, the result whole -------------------------

    def repair(self, text: str, fmt: str) -> RepairResult | Exception:
        """One article through the pipeline. An error comes back as a value: it crosses
        to the driver intact, and the job judges it as it judges a local one."""
        try:
            return self._run(arepair_article(text, self.config, client=self._model, fmt=fmt))
        except Exception as exc:
            return _portable(exc)

    def ready(self) -> bool:
        """Answered once the actor is up: its process started and `repair` imported."""
        return True

    def close(self) -> None:
        """Close the client's connections and stop the loop."""
        if self._loop.is_running():
            self._run(self._model.aclose())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)

    # --- Ray Data's call: a batch of rows ---------------------------------------------

    def __call__(self, batch: Any) -> Any:
        """A batch (a pyarrow Table, a pandas DataFrame or a dict of columns) -> a pyarrow
        Table of the same rows with the repair's columns added."""
        import pyarrow as pa  # comes with ray[data]

        if isinstance(batch, pa.Table):
            table = batch
        elif hasattr(batch, "to_dict"):  # pandas
            table = pa.Table.from_pandas(batch, preserve_index=False)
        else:
            table = pa.table({name: list(column) for name, column in batch.items()})
        rows = table.to_pylist()
        done = self._run(_gather([self._row(i, row) for i, row in enumerate(rows)]))
        for field in BODY_FIELDS:
            if field in table.column_names:
                name = f"repaired_{field}"
                values = [d.get(name) for d in done]
                table = _put(table, name, pa.array(values, type=pa.string()))
        for name, kind in ADDED.items():
            typed = pa.list_(pa.string()) if kind == "list<string>" else pa.type_for_alias(kind)
            table = _put(table, name, pa.array([d.get(name) for d in done], type=typed))
        return table

    async def _row(self, seq: int, row: dict[str, Any]) -> dict[str, Any]:
        article = article_from_row(seq, row, max_chars=self.options.max_chars)
        if article.problem is not None or article.text is None:
            problem = article.problem or ArticleProblem("empty", "no text")
            return {
                "repair_status": "skipped",
                "repair_reason": problem.reason,
                "repair_error": problem.message,
            }
        try:
            result = await arepair_article(
                article.text,
                self.config,
                client=self._model,
                fmt=article_format(article, self.options),
            )
        except Exception as exc:
            failure = classify(exc, article.origin)  # re-raises what must stop the job
            return {
                "repair_status": failure.status,
                "repair_reason": failure.problem.reason,
                "repair_error": failure.problem.message,
            }
        findings = findings_of(result)
        status, reason, error = verdict(result, findings)
        usage = result.usage
        return {
            f"repaired_{article.body_field}": result.text
            if status in ("repaired", "flagged")
            else None,
            "repair_status": status,
            "repair_reason": reason,
            "repair_error": error,
            "repair_findings": findings,
            "repair_suggestions": len(result.suggestions),
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "cached_tokens": usage.cached_tokens,
            "total_tokens": usage.total_tokens,
            "cost_usd": cost_usd(result, self.options.prices),
        }


def repair_dataset(
    dataset: Any,
    config: RepairConfig,
    *,
    options: BatchOptions | None = None,
    workers: int = 2,
    batch_size: int = 16,
    num_cpus: float = 1.0,
) -> Any:
    """`dataset` with every row repaired by `workers` actors, under one rate limit.

    `num_cpus`: what each actor reserves (validation is CPU work; the model calls are
    not). Leave the cluster CPUs for reading and writing too: actors that hold every CPU
    leave none for the read tasks, and the job waits for ever.
    Lazy, as Ray Data is: nothing runs until the result is written or read.
    """
    import ray.data  # the optional extra

    options = options or BatchOptions()
    limiter = None
    if options.requests_per_minute or options.tokens_per_minute:
        limiter = limiter_actor(options.requests_per_minute, options.tokens_per_minute)
    return dataset.map_batches(
        RepairStage,
        fn_constructor_kwargs={"config": config, "options": options, "limiter": limiter},
        batch_size=batch_size,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=num_cpus,
    )


def _exit_with_the_raylet() -> None:
    """In a Ray worker: exit as soon as the node's raylet is gone.

    When a job's driver is killed with a local Ray (`repair batch --engine ray` on one
    machine), the raylet dies with it, but the workers took a second or two to notice and
    went on sending requests whose answers nobody would record (60 in one trial); the
    rerun then asked them again. A worker's parent is its raylet: when the parent
    changes, it has died. On a cluster whose raylet outlives the driver, Ray itself ends
    the actors of a driver that died.
    """
    raylet = os.environ.get("RAY_RAYLET_PID")
    if raylet is None or os.getppid() != int(raylet):
        return  # not a Ray worker (a test, a notebook): nothing to watch

    def watch() -> None:
        while os.getppid() == int(raylet):
            time.sleep(0.1)
        os._exit(1)

    threading.Thread(target=watch, name="repair-raylet-watch", daemon=True).start()


async def _gather(work: list[Awaitable[T]]) -> list[T]:
    return list(await asyncio.gather(*work))


def _put(table: Any, name: str, values: Any) -> Any:
    """Add a column, or replace one of that name (a row that went through twice)."""
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)


def _portable(exc: Exception) -> Exception:
    """`exc` if it can cross to another process (the package's errors can), else its words."""
    try:
        pickle.dumps(exc)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
