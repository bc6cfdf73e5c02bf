"""An archive in; repaired articles and a manifest out. Resumable, paced, and never stopped
by one bad article.

    summary = repair.batch.run("archive/", "out/", config)     # or: await arun(...)

SRC is a folder of .txt, .md or .html files (the output mirrors its tree, each file in its
own format) or a JSONL file of `{"id": ..., "text": ...}` objects, with "html" or
"markdown" in place of "text" for those formats (the output is one JSONL file with every
field carried through, plus `repaired_text` (or `_html`, `_markdown`) and `repair_status`).
DIR also gets `manifest.jsonl`, one `ManifestEntry` per article in archive order, and the
job's store (store.py).

- One limit on requests in flight across all articles and their chunks, a shared even
  pace (requests and tokens per minute) and a shared pause on 429 (llm/pacing.py).
- Resumable: finished articles are skipped on a rerun, answered requests come from the
  store; outputs are written by rename and state is committed after, so a `kill -9` leaves
  no partial file and at worst redoes the articles that were in flight.
- A bad article (empty, binary, undecodable, oversize, duplicate or unsafe id, a name or
  text no UTF-8 file can hold, an output path that leads outside DIR) is `skipped` with
  its reason, a model failure makes it `failed`; the job goes on. A configuration error
  (401/403/404, no endpoint) or an output folder that cannot be written (disk full,
  read-only) stops the job, before more work is wasted; the store keeps what was done.
- An endpoint that keeps failing (refused, 5xx, timeouts) pauses the job and then stops it
  (breaker.py, exit status 3). An article the endpoint failed is `failed` only when the
  endpoint answered other requests after it (its bad luck, not an outage); during an
  outage it is redone once the endpoint answers again, or left pending for the next run.
- Memory does not grow with the archive: it is streamed, at most `in_flight` articles are
  held, and the manifest is written from the store, never held.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import BrokenExecutor, Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repair import prompts
from repair.aio import run_sync
from repair.batch.archive import Article, ArticleProblem, count_articles, is_jsonl, read_archive
from repair.batch.breaker import Breaker, GuardedChat, State
from repair.batch.checkers import checker_pool, discard
from repair.batch.models import (
    STATUSES,
    ArticleStatus,
    BatchOptions,
    BatchProgress,
    BatchSummary,
    FlaggedParagraph,
    ManifestEntry,
    Progress,
    Validation,
    article_format,
    check_paths,
    settings_fingerprint,
)
from repair.batch.models import fingerprint as article_fingerprint
from repair.batch.outcome import classify, findings_of, verdict
from repair.batch.outdir import OutputFolder
from repair.batch.store import CachedChat, ResponseCache, Store
from repair.batch.triage import Triage
from repair.config import RepairConfig
from repair.errors import ModelCallError, OutputError
from repair.llm import ChatModel, open_model
from repair.llm.pacing import LimitedChat, RateGate
from repair.pipeline import arepair_article
from repair.pricing import cost_of, price_for
from repair.results import CallRecord, ReasonCode, RepairResult, Usage

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.jsonl"
# How often one article may be redone because the endpoint was down (it recovered in
# between each time): past this, a flapping endpoint fails it for good.
MAX_HAND_BACKS = 3


# --- controlling a running job --------------------------------------------------------


class BatchControl:
    """Stop a running job from outside (a signal handler, a web app)."""

    def __init__(self) -> None:
        self.stopping = False
        self.abandoning = False
        self._workers: set[asyncio.Task[None]] = set()

    def stop(self) -> None:
        """Start no new article; the ones in flight finish."""
        self.stopping = True

    def abandon(self) -> None:
        """Stop now: articles in flight are dropped unfinished (the next run redoes them)."""
        self.stopping = self.abandoning = True
        for task in list(self._workers):
            task.cancel()

    @property
    def in_flight(self) -> int:
        return len(self._workers)

    def _track(self, task: asyncio.Task[None]) -> None:
        self._workers.add(task)
        task.add_done_callback(self._workers.discard)


# --- the library entry points ---------------------------------------------------------


async def arun(
    src: str | Path,
    out: str | Path,
    config: RepairConfig | None = None,
    *,
    options: BatchOptions | None = None,
    client: Any = None,
    on_progress: BatchProgress | None = None,
    control: BatchControl | None = None,
) -> BatchSummary:
    """Repair every article of `src` into `out`. `client`: a `ChatModel` or AsyncOpenAI."""
    config = config or RepairConfig.from_env()
    options = options or BatchOptions()
    src, out = Path(src), Path(out)
    check_paths(src, out)
    if client is None:
        config.endpoint()  # no endpoint configured: say so before touching anything
    store = Store.open(out)
    try:
        gate = RateGate(options.requests_per_minute, options.tokens_per_minute)
        model, owned = open_model(config, client, gate)
        try:
            job = _Job(src, out, config, options, model, store, gate, control, on_progress)
            return await job.run()
        finally:
            if owned:
                await model.aclose()
    finally:
        store.close()


def run(
    src: str | Path,
    out: str | Path,
    config: RepairConfig | None = None,
    *,
    options: BatchOptions | None = None,
    client: Any = None,
    on_progress: BatchProgress | None = None,
    control: BatchControl | None = None,
) -> BatchSummary:
    """Synchronous `arun`, for scripts; works under a running loop too (in a thread)."""
    return run_sync(
        arun(
            src,
            out,
            config,
            options=options,
            client=client,
            on_progress=on_progress,
            control=control,
        )
    )


def output_jsonl(src: Path, out: Path) -> Path:
    """Where the output JSONL of a JSONL archive goes: its own name, inside DIR."""
    name = src.name if src.name != MANIFEST_NAME else f"repaired-{src.name}"
    return out / name


# --- the job --------------------------------------------------------------------------


@dataclass(slots=True)
class _Work:
    article: Article
    text: str
    fingerprint: str
    read_cache: bool
    handed_back: int = 0  # times the endpoint failed it during an outage (triage.py)
    failure: ManifestEntry | None = None  # its entry, once the endpoint failed it


class _Job:
    def __init__(
        self,
        src: Path,
        out: Path,
        config: RepairConfig,
        options: BatchOptions,
        model: ChatModel,
        store: Store,
        gate: RateGate,
        control: BatchControl | None,
        on_progress: BatchProgress | None,
    ) -> None:
        self.src, self.out, self.config, self.options = src, out, config, options
        self.store, self.gate = store, gate
        self.control = control or BatchControl()
        self.on_progress = on_progress
        self.jsonl = is_jsonl(src)
        self.folder = OutputFolder(out)
        self.cache = ResponseCache(
            store,
            prompts.template_version(config.style),
            max_answer_chars=options.max_stored_answer_chars,
        )
        self.breaker = Breaker(
            failures=options.breaker_failures,
            pause_s=options.breaker_pause_s,
            pauses=options.breaker_pauses,
        )
        self.breaker.on_change = self._endpoint_changed
        self.triage: Triage[_Work] = Triage(self.breaker, max_hand_backs=MAX_HAND_BACKS)
        # The breaker inside the concurrency limit: a request queued for a slot while the
        # endpoint went down asks the breaker when its turn comes, not before (else every
        # queued request would go out, and fail, after the breaker opened).
        self.model = LimitedChat(GuardedChat(model, self.breaker), config.concurrency)
        # Where the fact checks run, off the event loop: started with the first article to
        # repair (a rerun with nothing left to do starts no process).
        self.checkers: Executor | None = None
        self.settings = settings_fingerprint(config, self.cache.template_version)
        self.in_flight = options.in_flight or 2 * config.concurrency
        self.started = time.perf_counter()
        self.run_id = 0
        self.total = 0
        self.met = self.done = self.reused = 0
        self.active = 0  # articles being repaired now (for progress: 0 at the end)
        self.exhausted = False  # the archive has no more articles
        self.wake = asyncio.Event()  # a worker ended, or the breaker spoke
        self.stop_reason: str | None = None
        self.statuses: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.usage = Usage()
        self.cost: float | None = 0.0
        self.unpriced: set[str] = set()
        self.live: Any = None

    async def run(self) -> BatchSummary:
        self.run_id = self.cache.run = self.store.begin_run()
        self.folder.remove_stray_temp_files()
        self.total = count_articles(self.src, exclude=self.out)
        # This run's entries as they finish, for `tail -f`; rewritten in archive order at
        # the end from the store (and by the next run, if this one is killed).
        self.live = self.folder.open_live(MANIFEST_NAME)
        outcome = "abandoned"
        try:
            try:
                await self._pump()
                self._last_word()
                outcome = "stopped" if self.control.stopping or self.stop_reason else "complete"
            except* ModelCallError as fatal:
                raise fatal.exceptions[0] from None
            except* OutputError as unwritable:
                raise unwritable.exceptions[0] from None
        except BaseException:
            # Already failing (the disk is full?): what can be written is, quietly; the
            # store holds every finished article whatever happens here.
            with contextlib.suppress(OutputError, OSError):
                self._wrap_up(outcome)
            raise
        self._wrap_up(outcome)
        return self._summary(interrupted=outcome != "complete")

    def _wrap_up(self, outcome: str) -> None:
        self.breaker.close()
        self.live.close()
        self._write_outputs(complete=outcome == "complete")
        self.store.end_run(self.run_id, outcome)

    async def _pump(self) -> None:
        slots = asyncio.Semaphore(self.in_flight)
        ticker = asyncio.create_task(self._tick())
        reading = read_archive(
            self.src,
            max_chars=self.options.max_chars,
            encoding=self.options.encoding,
            exclude=self.out,
        )
        try:
            with contextlib.closing(reading) as articles:
                async with asyncio.TaskGroup() as group:
                    while True:
                        await slots.acquire()  # before reading: at most `in_flight` held
                        work = await self._next(articles)
                        if work is None:
                            slots.release()
                            break
                        self.active += 1
                        self.control._track(group.create_task(self._repair(work, slots)))
        finally:
            ticker.cancel()

    async def _next(self, articles: Iterator[Article]) -> _Work | None:
        """The next article to repair, or None when none is left or the job stops.

        Stopping is checked after a slot was won: the first Ctrl-C, pressed while every
        slot is busy, used to start one more article when the next slot came free.
        """
        while not self.control.stopping:
            self._settle()
            if self.triage.retry:
                return self.triage.retry.popleft()
            if not self.exhausted:
                article = next(articles, None)
                if article is None:
                    self.exhausted = True
                    continue
                work = self._admit(article)
                if work is not None:
                    return work
                continue
            if not self.active:
                return None
            # Only articles in flight are left, and they may hand one back: wait for them.
            self.wake.clear()
            await self.wake.wait()
        return None

    # --- the endpoint failed an article (triage.py) ----------------------------------

    def _endpoint_changed(self, state: State) -> None:
        """The breaker's word, from inside some article's request: only lists change."""
        self.triage.changed(state)
        if state is State.TRIPPED:
            self.stop_reason = self.breaker.message()
            self.control.abandon()  # requests in flight would only fail after their retries
        self.wake.set()

    def _settle(self) -> None:
        """Record the articles the endpoint failed whose verdict is in: `failed`."""
        while self.triage.failed:
            work = self.triage.failed.popleft()
            assert work.failure is not None
            self._finish(work.article, work.failure, None, work.fingerprint)

    def _last_word(self) -> None:
        if self.stop_reason is None and self.triage.end():
            self.stop_reason = self.breaker.message()  # not one answer: the endpoint is down
        self._settle()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self._progress()

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(
                Progress(
                    total=self.total,
                    met=self.met,
                    done=self.done,
                    reused=self.reused,
                    statuses=self.statuses,
                    in_flight=self.active,
                    tokens=self.usage.total_tokens,
                    cost_usd=self.cost,
                    elapsed_s=time.perf_counter() - self.started,
                )
            )

    # --- one article ------------------------------------------------------------------

    def _admit(self, article: Article) -> _Work | None:
        """Record a bad or already finished article at once; return the rest as work."""
        self.met += 1
        previous = self.store.meet(article.origin, article.id, article.seq, self.run_id)
        problem = article.problem
        if problem is None and self.jsonl and article.id is not None:
            first = self.store.first_with_id(article.id, article.origin, self.run_id)
            if first is not None:
                problem = ArticleProblem(
                    "duplicate-id", f"the id {article.id!r} is taken by {first}"
                )
        if problem is None and not self.jsonl:
            problem = self.folder.escape(article.origin)  # refused before paying for it
        if problem is not None or article.text is None:
            problem = problem or ArticleProblem("empty", "no text")
            self._finish(article, self._problem_entry(article, problem), None)
            return None
        fingerprint = article_fingerprint(self.settings, article, self.options)
        if previous is not None and previous.entry and previous.fingerprint == fingerprint:
            redo = self.options.retry_failed and previous.status in ("failed", "flagged")
            if not redo and not self._output_missing(article, previous.status):
                self._count(ManifestEntry.model_validate_json(previous.entry), reused=True)
                self._live(previous.entry)
                return None
        # A flagged article's stored answers would only flag it again: ask afresh.
        fresh = self.options.retry_failed and previous is not None and previous.status == "flagged"
        return _Work(article, article.text, fingerprint, read_cache=not fresh)

    def _output_missing(self, article: Article, status: str | None) -> bool:
        """A finished article whose file was deleted since: redo it (from the store)."""
        written = status in ("repaired", "flagged")
        return written and not self.jsonl and not (self.out / article.origin).is_file()

    async def _repair(self, work: _Work, slots: asyncio.Semaphore) -> None:
        article = work.article
        working = True
        try:
            started = time.perf_counter()
            attempts = self.store.start(article.origin)
            chat = self._chat(work)
            result: RepairResult | None = None
            endpoint = False  # failed for the endpoint's sake, not the article's
            try:
                result = await self._attempt(work, chat)
                entry = self._result_entry(article, result, chat.hits)
                self._annotate(entry, chat)
                endpoint = entry.reason == ReasonCode.MODEL_UNREACHABLE.value
            except Exception as exc:
                failure = classify(exc, article.origin)  # re-raises what stops the job
                endpoint = failure.endpoint
                entry = self._problem_entry(article, failure.problem, failure.status)
            entry.attempts = attempts
            entry.duration_s = round(time.perf_counter() - started, 3)
            self.active, working = self.active - 1, False
            if endpoint:
                work.failure = entry
                self.triage.endpoint_failed(work)
            else:
                self._finish(article, entry, result, work.fingerprint)
            self._settle()
        finally:
            if working:
                self.active -= 1
            slots.release()
            self.wake.set()

    def _chat(self, work: _Work) -> Any:
        """The model one article calls: the job's cache over the endpoint (a way of
        running the job, such as the Batch API, gives its own)."""
        return CachedChat(self.cache, self.model, read=work.read_cache)

    def _annotate(self, entry: ManifestEntry, chat: Any) -> None:
        """What a way of running the job adds to an article's entry (nothing, live)."""

    async def _attempt(self, work: _Work, chat: Any) -> RepairResult:
        """The pipeline on one article, here in this process (ray_job.py runs it on Ray),
        its fact checks in the job's checker processes."""
        if self.checkers is None:
            self.checkers = checker_pool(self.options.workers)
        checkers = self.checkers
        try:
            return await arepair_article(
                work.text,
                self.config,
                client=chat,
                fmt=article_format(work.article, self.options),
                executor=checkers,
            )
        except BrokenExecutor:
            # A checker process died (killed, out of memory): this article fails and is
            # redone by the next run; the others go on with a new pool.
            if checkers is not None and checkers is self.checkers:  # not replaced yet
                discard(checkers)
                self.checkers = checker_pool(self.options.workers)
            raise

    def _finish(
        self,
        article: Article,
        entry: ManifestEntry,
        result: RepairResult | None,
        fingerprint: str | None = None,
    ) -> None:
        """Output first, then state: a crash between the two redoes the article, no harm."""
        text = (
            result.text if result is not None and entry.status in ("repaired", "flagged") else None
        )
        output_line = None
        if self.jsonl:
            output_line = _output_line(article, entry, text)
        elif text is not None:
            problem = self.folder.write(article.origin, text)
            if problem is None:
                entry.output = article.origin
            else:  # repaired, but the output cannot be there: a rerun redoes it
                entry.status, entry.reason, entry.error = "skipped", *problem
        else:
            self.folder.remove(article.origin)  # an earlier run's output no longer holds
        line = entry.model_dump_json()
        self.store.finish(
            article.origin,
            entry.status,
            line,
            fingerprint=fingerprint if entry.status != "skipped" else None,
            output=output_line,
        )
        self._count(entry, reused=False)
        self._live(line)

    def _result_entry(self, article: Article, result: RepairResult, hits: int) -> ManifestEntry:
        flagged = [FlaggedParagraph(id=p.id, reason=p.reason) for p in result.flagged]
        findings = findings_of(result)
        status, reason, error = verdict(result, findings)
        return ManifestEntry(
            id=article.id,
            source=article.origin,
            status=status,
            reason=reason,
            error=error,
            encoding=article.encoding,
            notes=article.notes,
            chunks=result.chunks,
            paragraphs=dict(Counter(p.status for p in result.paragraphs)),
            validation=Validation(ok=result.ok, flagged=flagged, findings=findings),
            suggestions=len(result.suggestions),
            calls=len(result.calls),
            cache_hits=hits,
            retries=sum(max(c.attempts - 1, 0) for c in result.calls),
            usage=result.usage,
            cost_usd=self._cost(result.calls),
        )

    def _cost(self, calls: list[CallRecord]) -> float | None:
        models = {c.model for c in calls}
        self.unpriced.update(m for m in models if price_for(m, self.options.prices) is None)
        return cost_of([(c.model, c.usage()) for c in calls], self.options.prices)

    def _problem_entry(
        self, article: Article, problem: ArticleProblem, status: ArticleStatus = "skipped"
    ) -> ManifestEntry:
        return ManifestEntry(
            id=article.id,
            source=article.origin,
            status=status,
            reason=problem.reason,
            error=problem.message,
            encoding=article.encoding,
            notes=article.notes,
            validation=Validation(ok=status != "failed"),
        )

    def _count(self, entry: ManifestEntry, *, reused: bool) -> None:
        self.done += 1
        self.reused += reused
        self.statuses[entry.status] += 1
        if entry.status in ("failed", "skipped") and entry.reason:
            self.reasons[entry.reason] += 1
        self.usage.add(entry.usage)
        if entry.usage.total_tokens and entry.cost_usd is None:
            self.cost = None
            if reused:  # which model lacked a price was not kept: most likely the main one
                self.unpriced.add(self.config.model)
        elif self.cost is not None and entry.cost_usd is not None:
            self.cost += entry.cost_usd
        if not reused:
            self._progress()

    def _live(self, line: str) -> None:
        try:
            self.live.write(line + "\n")
            self.live.flush()
        except OSError as exc:
            raise self.folder.error(exc, MANIFEST_NAME) from None

    # --- the end ----------------------------------------------------------------------

    def _write_outputs(self, *, complete: bool) -> None:
        self.folder.write_whole(MANIFEST_NAME, self.store.entries(self.run_id))
        # A partial output JSONL would pass for the whole archive: only whole runs write it.
        if self.jsonl and complete:
            name = output_jsonl(self.src, self.out).name
            self.folder.write_whole(name, self.store.outputs(self.run_id))

    def _summary(self, *, interrupted: bool) -> BatchSummary:
        stats = self.cache.stats
        billed = Usage()
        for usage in stats.billed.values():
            billed.add(usage)
        billing = list(stats.billed.items())
        unpriced = {m for m, _ in billing if price_for(m, self.options.prices) is None}
        return BatchSummary(
            src=str(self.src),
            out=str(self.out),
            manifest=str(self.out / MANIFEST_NAME),
            output=str(output_jsonl(self.src, self.out))
            if self.jsonl and not interrupted
            else None,
            total=self.total,
            articles=self.met,
            statuses={s: self.statuses.get(s, 0) for s in STATUSES},
            reasons=dict(self.reasons.most_common()),
            reused=self.reused,
            unfinished=self.store.unfinished(self.run_id),
            usage=self.usage,
            cost_usd=self.cost,
            requests=stats.sent,
            failed_requests=self.breaker.failed,
            cache_hits=stats.hits,
            shared=stats.shared,
            unstored=stats.unstored,
            billed=billed,
            billed_cost_usd=cost_of(billing, self.options.prices),
            unpriced=sorted(unpriced | self.unpriced),
            rate_limit_pauses=self.gate.pauses,
            paused_s=round(self.gate.paused_s, 3),
            duration_s=round(time.perf_counter() - self.started, 3),
            interrupted=interrupted,
            endpoint_down=self.stop_reason is not None,
            endpoint_pauses=self.breaker.pauses_taken,
            stop_reason=self.stop_reason,
        )


def _output_line(article: Article, entry: ManifestEntry, text: str | None) -> str:
    """The output JSONL line: every field of the input object, the repair added."""
    fields: dict[str, Any] = dict(article.fields) if article.fields else {"id": article.id}
    if article.fields is None:
        fields["repair_source"] = article.origin
    fields[f"repaired_{article.body_field}"] = text
    fields["repair_status"] = entry.status
    fields["repair_reason"] = entry.reason
    return json.dumps(fields, ensure_ascii=False)
