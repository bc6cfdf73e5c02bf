"""Running the pipeline's requests through the provider's Batch API, round by round.

Every article runs the one-article pipeline as it does live (`arepair_article`), with an
`ArticleChat` for its model: a request is not sent but queued, and the article waits.
When every article in flight waits (nothing else can move), the queue goes out as one or
more batches; when a batch ends, its answers are read exactly as live answers
(`llm.batches.reply_of`) and handed back, and the articles move on: parse, check,
validate, and where a check fails, re-ask, which queues the next round. An article is
finished when its last round is. The outputs are those of the live path for the same
answers, because the code that reads and judges them is the same.

Durable: answers go into the store's `responses` (under the request's identity, as a live
answer would), and what was submitted into its ledger (ledger.py) before the provider is
asked; a rerun replays each article from the stored answers in milliseconds and attaches
to the batches still running, so nothing is sent or paid twice.

Failed, expired and cancelled batches, and requests in the error file: only the requests
without an answer go out again, each at most `max_attempts` times in all (the live
client's bound); a request refused for good (400, 404...) fails as the live call would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from repair.batch.ledger import CANCELLED, Ledger, Submission
from repair.batch.store import Store, cache_key
from repair.errors import ModelCallError, ModelOutputError, OutputError
from repair.llm.batches import BatchApi, BatchInfo, read_lines, reply_of, request_line
from repair.llm.protocol import ChatModel, ChatReply, ChatRequest
from repair.results import Usage

log = logging.getLogger(__name__)

Route = Literal["batch", "live"]
META_JOB, META_SUBMISSION = "repair_job", "repair_submission"
# How far back to look for a batch created before a crash (clocks differ a little).
_CLOCK_SLACK_S = 600.0
# Loop turns with nothing new before the articles are taken to be all waiting.
_QUIET_TURNS = 30


@dataclass(frozen=True, slots=True)
class Limits:
    """The provider's per-batch limits (OpenAI: 50,000 requests, 200 MB a file)."""

    max_requests: int = 50_000
    max_bytes: int = 190_000_000
    poll_s: float = 10.0
    reask: Route = "batch"
    # Live by default: one small call per article with names, at the live price (3.6% more
    # in all on bench/batch_api.py), saves every such article a whole batch turnaround.
    glossary: Route = "live"


@dataclass(slots=True)
class BatchState:
    """A batch as last seen, for progress and `--status`."""

    id: str
    status: str
    total: int
    completed: int
    failed: int


BatchesProgress = Callable[[list[BatchState], float], None]


@dataclass(slots=True)
class _Asked:
    request: ChatRequest
    future: asyncio.Future[ChatReply]
    line: tuple[str, str] | None = None  # (custom_id, JSONL line) once queued


@dataclass(slots=True)
class RoundStats:
    submitted: int = 0  # requests sent in batches by this run
    answered: int = 0  # answers read from batches by this run
    resubmitted: int = 0  # requests sent again (error line, failed or expired batch)
    failed: int = 0  # requests whose retries ran out
    batches: list[str] = field(default_factory=list)  # created by this run
    attached: list[str] = field(default_factory=list)  # found running from an earlier run
    billed: dict[str, Usage] = field(default_factory=dict)  # per model, batch answers
    live: int = 0  # requests sent live (--glossary-calls live, --reask live)
    live_billed: dict[str, Usage] = field(default_factory=dict)  # per model


class Rounds:
    """The queue, the submissions and the polling for one job."""

    def __init__(
        self,
        api: BatchApi,
        store: Store,
        live: ChatModel,
        template_version: str,
        *,
        limits: Limits,
        max_attempts: int,
        run: int,
        on_batches: BatchesProgress | None = None,
    ) -> None:
        self.api, self.store, self.live = api, store, live
        self.ledger = Ledger(store)
        self.template_version = template_version
        self.limits, self.max_attempts, self.run = limits, max_attempts, run
        self.on_batches = on_batches
        self.job = self.ledger.job_id()
        self.stats = RoundStats()
        self.asks = 0  # requests asked by articles: a sign of progress
        self.live_in_flight = 0
        self.waiting: dict[str, _Asked] = {}  # ident -> the article(s) waiting for it
        self.queue: dict[str, _Asked] = {}  # ident -> not yet submitted
        self.flights: dict[str, asyncio.Future[ChatReply]] = {}  # live calls under way
        self.seen: dict[str, BatchState] = {}
        self.started = time.perf_counter()

    # --- the articles' side -----------------------------------------------------------

    async def ask(self, ident: str, request: ChatRequest, custom_id: str) -> ChatReply:
        """The answer to `request` (identity `ident`): from a batch, or live if routed so."""
        self.asks += 1
        if self._route(request) == "live":
            return await self._live(ident, request)
        asked = self.waiting.get(ident)
        if asked is None:
            asked = _Asked(request, asyncio.get_running_loop().create_future())
            self.waiting[ident] = asked
            row = self.ledger.request(ident)
            if row is not None and row.state == "submitted":
                pass  # an earlier run sent it; its batch will answer
            elif row is not None and row.state == "failed":
                self._resolve(ident, _error_of(row.error))
            else:
                asked.line = (custom_id, request_line(custom_id, request))
                self.queue[ident] = asked
        return await asyncio.shield(asked.future)

    def _route(self, request: ChatRequest) -> Route:
        tag = request.tag
        if tag is None:
            return "batch"
        if tag.purpose == "glossary":
            return self.limits.glossary
        return self.limits.reask if tag.attempt > 1 else "batch"

    async def _live(self, ident: str, request: ChatRequest) -> ChatReply:
        """A live call; identical requests of two articles at once share it (as live)."""
        flight = self.flights.get(ident)
        if flight is None:
            flight = asyncio.ensure_future(self._send_live(ident, request))
            self.flights[ident] = flight
            flight.add_done_callback(lambda _: self.flights.pop(ident, None))
        return await asyncio.shield(flight)

    async def _send_live(self, ident: str, request: ChatRequest) -> ChatReply:
        self.live_in_flight += 1
        try:
            reply = await self.live.complete(request)
        finally:
            self.live_in_flight -= 1
        self.stats.live += 1
        self.stats.live_billed.setdefault(request.model, Usage()).add(reply.usage)
        with contextlib.suppress(OutputError):  # only a cache: a rerun asks again
            self.store.remember(ident, reply, self.run)
        return reply

    def _resolve(self, ident: str, outcome: ChatReply | Exception) -> None:
        asked = self.waiting.pop(ident, None)
        if asked is None or asked.future.done():
            return
        if isinstance(outcome, Exception):
            asked.future.set_exception(outcome)
            asked.future.exception()  # retrieved: a twin may have gone
        else:
            asked.future.set_result(outcome)

    # --- the driver -------------------------------------------------------------------

    async def drive(self, busy: Callable[[], int]) -> None:
        """Submit, poll and hand back until cancelled (the job cancels it when its
        articles are all finished). `busy` is a count that changes while articles move."""
        await self._reattach()
        while True:
            await self._quiet(busy)
            try:
                if self.queue and not self.ledger.flag(CANCELLED):  # --cancel: send no more
                    await self._submit()
                open_ = self.ledger.submissions(open_only=True)
                if not open_:
                    await asyncio.sleep(0.01)  # articles in live calls, or none left
                    continue
                await self._poll(open_)
            except ModelCallError as exc:
                if not exc.context.get("retryable"):
                    raise  # a refused key, a missing endpoint: the job stops (exit 2)
                # The endpoint failed after the client's retries: a batch runs for hours,
                # so wait a poll period and go on; what was recorded is picked up again.
                log.warning("the Batch API failed, trying again: %s", exc.message)
                await asyncio.sleep(self.limits.poll_s)

    async def _quiet(self, busy: Callable[[], int]) -> None:
        """Return once nothing moves: every article in flight waits for an answer."""
        last, turns = (self.asks, busy()), 0
        while turns < _QUIET_TURNS or self.live_in_flight:
            await asyncio.sleep(0 if not self.live_in_flight else 0.005)
            now = (self.asks, busy())
            turns = 0 if now != last else turns + 1
            last = now

    async def _submit(self) -> None:
        queue, self.queue = self.queue, {}
        groups: list[list[tuple[str, str, str]]] = [[]]
        size = 0
        for ident, asked in queue.items():
            if asked.future.done() or asked.line is None:
                continue
            custom_id, line = asked.line
            bytes_ = len(line.encode()) + 1
            group = groups[-1]
            if group and (
                len(group) >= self.limits.max_requests or size + bytes_ > self.limits.max_bytes
            ):
                groups.append([])
                size = 0
            groups[-1].append((ident, custom_id, line))
            size += bytes_
        for number, group in enumerate(groups):
            if not group:
                continue
            try:
                await self._send(group)
            except BaseException:
                # Not recorded yet: back in the queue for the next try (a recorded one is
                # picked up from the ledger).
                for later in groups[number + 1 :]:
                    for ident, _, _ in later:
                        self.queue[ident] = queue[ident]
                raise

    async def _send(self, group: list[tuple[str, str, str]]) -> None:
        # Two idents may have made the same custom_id (a twin asked in another article's
        # words): the provider wants them unique within a file.
        names: Counter[str] = Counter()
        unique = []
        for ident, custom_id, line in group:
            names[custom_id] += 1
            if names[custom_id] > 1:
                custom_id = f"{custom_id}~{names[custom_id]}"
                line = request_line(custom_id, self.waiting[ident].request)
            unique.append((ident, custom_id, line))
        submission = self.ledger.intend(self.job, unique)  # before the provider hears of it
        self.stats.submitted += len(unique)
        await self._advance(submission, fresh=True)

    async def _advance(self, submission: Submission, *, fresh: bool) -> None:
        """Upload and create what `submission` still lacks; a rerun first looks for what a
        killed run may have made without recording it."""
        key = submission.key
        if not fresh:
            found = await self.api.find(META_SUBMISSION, key, submission.intent_at - _CLOCK_SLACK_S)
            if found is not None:
                self.ledger.created(key, found.id, found.status)
                self.stats.attached.append(found.id)
                return
        file_id = submission.file_id
        name = f"repair-{key}.jsonl"
        if file_id is None:
            file_id = None if fresh else await self.api.find_file(name)
            if file_id is None:
                lines = [row.line for row in self.ledger.members(key)]
                file_id = await self.api.upload(name, ("\n".join(lines) + "\n").encode())
            self.ledger.uploaded(key, file_id)
        info = await self.api.create(file_id, {META_JOB: self.job, META_SUBMISSION: key})
        self.ledger.created(key, info.id, info.status)
        self.stats.batches.append(info.id)
        self._show(info)

    async def _reattach(self) -> None:
        """A rerun: finish what a killed run left between intent and creation."""
        for submission in self.ledger.submissions(open_only=True):
            if submission.state in ("intent", "uploaded"):
                await self._advance(submission, fresh=False)
            elif submission.batch_id:
                self.stats.attached.append(submission.batch_id)

    async def _poll(self, open_: list[Submission]) -> None:
        """Look at every open batch; read the ones that ended; else wait a poll period."""
        ended = False
        for submission in open_:
            if submission.batch_id is None:
                await self._advance(submission, fresh=False)
                continue
            info = await self.api.retrieve(submission.batch_id)
            counts = info.request_counts
            self.ledger.progress(submission.key, info.status, counts.completed, counts.failed)
            self._show(info)
            if info.terminal:
                await self._read(submission, info)
                ended = True
        if not ended:
            await asyncio.sleep(self.limits.poll_s)

    def _show(self, info: BatchInfo) -> None:
        counts = info.request_counts
        state = BatchState(info.id, info.status, counts.total, counts.completed, counts.failed)
        if self.seen.get(info.id) != state:
            self.seen[info.id] = state
            if self.on_batches is not None:
                self.on_batches(list(self.seen.values()), time.perf_counter() - self.started)

    async def _read(self, submission: Submission, info: BatchInfo) -> None:
        """Take in an ended batch: its answers, its errors, and what it never ran."""
        members = {row.custom_id: row for row in self.ledger.members(submission.key)}
        lines = []
        for file_id in (info.output_file_id, info.error_file_id):
            if file_id:
                found, broken = read_lines(await self.api.content(file_id))
                lines += found
                if broken:
                    log.warning("batch %s: %d line(s) could not be read", info.id, broken)
        answered: list[tuple[str, str]] = []
        again: list[str] = []
        failed: list[tuple[str, str]] = []
        outcomes: dict[str, ChatReply | Exception] = {}
        # A user's cancel is no fault of the requests: it costs them no try.
        tried = [r.ident for r in members.values()] if info.status != "cancelled" else []
        for line in lines:
            row = members.pop(line.custom_id, None)
            if row is None:
                continue  # not ours, or read twice
            asked = self.waiting.get(row.ident)
            request = asked.request if asked else _request_of(row.line)
            outcome = reply_of(line, request)
            if isinstance(outcome, ChatReply):
                self.store.remember(row.ident, outcome, self.run)
                answered.append((row.ident, info.id))
                self.stats.answered += 1
                self.stats.billed.setdefault(request.model, Usage()).add(outcome.usage)
                outcomes[row.ident] = outcome
            elif isinstance(outcome, ModelOutputError):
                # Unreadable, as a live answer can be: the pipeline re-asks, within its bound.
                answered.append((row.ident, info.id))
                outcomes[row.ident] = outcome
            elif outcome.context.get("retryable") and row.tries + 1 < self.max_attempts:
                again.append(row.ident)
            else:
                failed.append((row.ident, _error_record(outcome)))
                outcomes[row.ident] = outcome
        # Requests the batch never ran (failed, expired, cancelled): send them again.
        for row in members.values():
            if info.status == "cancelled" or row.tries + 1 < self.max_attempts:
                again.append(row.ident)
            else:
                message = f"the batch {info.id} ended {info.status} {row.tries + 1} time(s)"
                error = ModelCallError(message, status=None, attempts=row.tries + 1, retryable=True)
                failed.append((row.ident, _error_record(error)))
                outcomes[row.ident] = error
        self.ledger.settle(
            submission.key, answered=answered, again=again, failed=failed, tried=tried
        )
        self.stats.resubmitted += len(again)
        self.stats.failed += len(failed)
        for ident, result in outcomes.items():
            self._resolve(ident, result)
        for ident in again:
            asked = self.waiting.get(ident)
            row = self.ledger.request(ident)
            if asked is not None and row is not None:
                asked.line = (row.custom_id, row.line)
                self.queue[ident] = asked


def _error_record(error: ModelCallError) -> str:
    """A failed request's error as the ledger keeps it: a replay must raise the same
    (its status decides what the pipeline does: a 400 re-asks without a JSON schema)."""
    return json.dumps({"message": error.message, "status": error.context.get("status")})


def _error_of(record: str | None) -> ModelCallError:
    try:
        data = json.loads(record or "")
    except ValueError:
        data = {"message": record or "the batch request failed", "status": None}
    status = data.get("status")
    return ModelCallError(
        str(data.get("message")), status=status, attempts=1, retryable=status is None
    )


def _request_of(line: str) -> ChatRequest:
    """A request rebuilt from its JSONL line: the answer of a request no article waits
    for (it was asked by a run that was killed) is stored all the same."""
    body = json.loads(line)["body"]
    return ChatRequest(
        messages=body["messages"],
        model=body["model"],
        temperature=body.get("temperature", 0.0),
        max_tokens=body.get("max_tokens"),
        response_format=body.get("response_format"),
    )


class ArticleChat:
    """The `ChatModel` one article's pipeline calls in a Batch API job."""

    def __init__(self, rounds: Rounds, seq: int, *, read: bool = True) -> None:
        self._rounds, self._seq, self._read = rounds, seq, read
        self._asked: Counter[str] = Counter()
        self.hits = 0
        self.batches: set[str] = set()
        self.billing: list[tuple[str, Usage, bool]] = []  # (model, usage, at the batch rate)

    async def complete(self, request: ChatRequest) -> ChatReply:
        rounds = self._rounds
        key = cache_key(request, rounds.template_version)
        self._asked[key] += 1
        # The same request twice from one article is a deliberate re-ask: its own identity.
        ident = key if self._asked[key] == 1 else f"{key}#{self._asked[key]}"
        if not self._read:
            ident = f"{ident}@run{rounds.run}"  # --retry-failed: fresh answers
        found = rounds.store.lookup(ident)
        if found is not None:
            self.hits += 1
            reply = found[0]
        else:
            tag = request.tag
            where = f"c{tag.chunk}-r{tag.attempt}-{tag.purpose}" if tag else "x"
            reply = await rounds.ask(ident, request, f"a{self._seq}-{where}-{ident[:8]}")
        batch = rounds.ledger.batch_of(ident)
        if batch is not None:
            self.batches.add(batch)
        self.billing.append((request.model, reply.usage, batch is not None))
        return reply

    async def aclose(self) -> None:
        return None  # the job owns the rounds
