"""One article, start to finish: plan -> prompt -> model -> parse -> check -> stitch.

Chunks are repaired concurrently (bounded by `concurrency`). A unit whose answer fails a
check is asked again with the exact findings, at most `max_reasks` times; after that it
keeps its original text and is flagged. Nothing is dropped and nothing unchecked is
passed off as repaired.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import ParamSpec, TypeVar

from repair import formats, prompts
from repair.aio import run_sync
from repair.answer import AnswerProblem, ParsedAnswer, ProblemCode, parse_answer
from repair.chunker import Chunk, Plan, Unit, plan
from repair.config import RepairConfig
from repair.edits import compute_edits
from repair.errors import FactError, InputError, ModelCallError, ModelOutputError
from repair.files import lone_surrogate
from repair.formats import Format
from repair.formats.inline import plain
from repair.formats.text import Paragraph
from repair.glossary import (
    NameCluster,
    build_glossary,
    find_clusters,
    relevant,
    spellings,
    with_pins,
)
from repair.llm import ChatModel, ChatReply, ChatRequest, ClientArg, open_model
from repair.llm.protocol import RequestTag
from repair.results import (
    CallPurpose,
    CallRecord,
    Edit,
    Glossary,
    ParagraphResult,
    ParagraphStatus,
    ReasonCode,
    RepairResult,
    Timings,
    Usage,
    ValidationReport,
    Verification,
)
from repair.suggest import Candidate, Proposal, from_glossary, parse_block, resolve, split_answer
from repair.validation import check, validate_paragraph
from repair.verify import Pair, Verdict, verify_pairs, worth_checking

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# Where the fact checks run unless the caller gives an executor: one thread, shared by
# every article of the process (its thread starts with the first check). The checks hold
# the GIL while they run, so more threads would only take it from each other and from
# the event loop; what a thread buys is a loop that answers in between (a web handler,
# the batch's other requests), not more checks a second: `repair batch` passes a pool of
# processes for that (repair/batch/checkers.py).
_CHECKER = ThreadPoolExecutor(1, thread_name_prefix="repair-checks")

ChunkProgress = Callable[[int, int], None]  # called with (chunks done, chunks in all)

# Statuses that make a fatal configuration problem: re-asking cannot help, stop the article.
_FATAL_STATUS = frozenset({400, 401, 403, 404})
# Parse problems that, covering every unit asked for, speak for the answer as a whole.
_WHOLE_ANSWER = frozenset({ProblemCode.REFUSAL, ProblemCode.PROMPT_ECHO})


@dataclass(slots=True)
class _UnitOutcome:
    text: str | None = None  # the accepted repair, if any
    code: ReasonCode | None = None  # why it was not repaired...
    reason: str | None = None  # ...and the same in words
    findings: list[str] = field(default_factory=list)
    attempts: int = 0
    # The wording a check refused, shown to the editor beside the kept original; it
    # belongs to `reason`, so a later problem with no wording of its own clears it.
    rejected: str | None = None

    def keep(self, code: ReasonCode, reason: str, rejected: str | None = None) -> None:
        """Not repaired (yet): a later answer may still be accepted."""
        self.code, self.reason, self.rejected = code, reason, rejected

    def accept(self, text: str) -> None:
        self.text, self.code, self.reason, self.findings = text, None, None, []
        self.rejected = None


@dataclass(slots=True)
class _Run:
    """State shared by the chunks of one article."""

    config: RepairConfig
    model: ChatModel
    semaphore: asyncio.Semaphore
    started: float = field(default_factory=time.perf_counter)
    usage: Usage = field(default_factory=Usage)
    calls: list[CallRecord] = field(default_factory=list)
    model_wait_s: float = 0.0
    local_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    glossary: Glossary = field(default_factory=Glossary)
    format: Format = Format.TEXT
    paragraphs: dict[str, Paragraph] = field(default_factory=dict)
    verification: Verification = field(default_factory=Verification)
    # (source, repair) words of the units accepted: the final check need not compare a
    # paragraph that is one of them again.
    clean: set[tuple[str, str]] = field(default_factory=set)
    # The suggestions of each unit's latest usable answer (see suggest.py), by unit id.
    proposals: dict[str, list[Proposal]] = field(default_factory=dict)
    # Where the CPU-heavy steps run, off the event loop (`_CHECKER` when None).
    executor: Executor | None = None

    @contextmanager
    def local(self) -> Iterator[None]:
        """Count the time spent in our own code, to keep it small (see bench/)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.local_s += time.perf_counter() - started

    async def offload(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`work(*args)` in the executor, its run time counted as our own (not the wait).

        The fact checks are the CPU-heavy part of a repair: on the event loop a wall of
        text would hold up every request in flight. `work` and its arguments must pickle
        when the executor is a process pool.
        """
        loop = asyncio.get_running_loop()
        call = functools.partial(_timed, work, *args, **kwargs)
        result, seconds = await loop.run_in_executor(self.executor or _CHECKER, call)
        self.local_s += seconds
        return result


def _timed(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> tuple[T, float]:
    started = time.perf_counter()
    result = work(*args, **kwargs)
    return result, time.perf_counter() - started


async def arepair_article(
    text: str,
    config: RepairConfig | None = None,
    *,
    client: ClientArg = None,
    on_progress: ChunkProgress | None = None,
    fmt: Format | str | None = None,
    executor: Executor | None = None,
) -> RepairResult:
    """Repair one article. Safe to await inside a running event loop (a web handler).

    `fmt` is "text", "markdown" or "html" (None or "auto": told from the content); the
    repaired article comes back in the same format, its markup untouched. The fact checks
    run in `executor` (when None, one thread the articles of the process share), so the
    loop serves other requests meanwhile; `repair batch` passes a pool of processes.
    """
    config = config or RepairConfig.from_env()
    started = time.perf_counter()
    check_article(text)
    article_format = formats.resolve(fmt, text)
    document = formats.parse(text, article_format)
    article_plan = plan(document, config.chunk_chars, config.context_chars)
    model, owned = open_model(config, client)  # our time too: the SDK loads here
    local_plan_s = time.perf_counter() - started
    run = _Run(
        config,
        model,
        asyncio.Semaphore(config.concurrency),
        started=started,
        local_s=local_plan_s,
        format=article_format,
        paragraphs={p.id: p for p in document.paragraphs},
        verification=Verification(mode=config.verify),
        executor=executor,
    )
    # Reading every name of the article is CPU-heavy too: off the loop, as the checks.
    words = formats.words(document) if document.paragraphs else text
    clusters = await run.offload(find_clusters, words)
    with run.local():
        names = spellings(clusters, config.glossary)
    try:
        outcomes: dict[str, _UnitOutcome] = {}
        done = 0

        async def one(chunk: Chunk, glossary: asyncio.Task[Glossary]) -> None:
            nonlocal done
            # Only a chunk that mentions a clustered name waits for the glossary call;
            # the others start at once, which keeps that call off most critical paths.
            chunk_text = "\n".join(u.text for u in chunk.units)
            needed = any(name in chunk_text for name in names)
            chunk_glossary = relevant(await glossary, chunk_text) if needed else Glossary()
            outcomes.update(await _repair_chunk(run, chunk, chunk_glossary))
            done += 1
            if on_progress:
                on_progress(done, len(article_plan.chunks))

        async with asyncio.TaskGroup() as group:
            glossary = group.create_task(_glossary(run, clusters))
            for chunk in article_plan.chunks:
                group.create_task(one(chunk, glossary))
        run.glossary = glossary.result()
    except* ModelCallError as failures:
        raise failures.exceptions[0] from None
    except* Exception as failures:
        # Anything else (a bug) reaches the caller as itself, not wrapped in a group.
        raise failures.exceptions[0] from None
    finally:
        if owned:
            await model.aclose()
    result = await _stitch(text, article_plan, outcomes, run)
    # Read after the call: the final check inside _stitch is our time too.
    result.timings.local_s = run.local_s
    result.timings.total_s = time.perf_counter() - started
    return result


def repair_article(
    text: str,
    config: RepairConfig | None = None,
    *,
    client: ClientArg = None,
    on_progress: ChunkProgress | None = None,
    fmt: Format | str | None = None,
) -> RepairResult:
    """Synchronous `arepair_article`, for scripts. Works even under a running loop."""
    return run_sync(arepair_article(text, config, client=client, on_progress=on_progress, fmt=fmt))


async def _glossary(run: _Run, clusters: list[NameCluster]) -> Glossary:
    """One spelling per name across the article (see glossary.py); the editor's pins win."""
    if not run.config.glossary_pass:
        return with_pins(Glossary(), run.config.glossary)

    async def ask(request: ChatRequest) -> ChatReply:
        return await _call(run, request, -1, [], purpose="glossary")

    glossary, notes = await build_glossary(clusters, ask, run.config.model, run.config.glossary)
    run.notes.extend(notes)
    return glossary


def endpoint_is_wrong(exc: ModelCallError) -> bool:
    """The call failed for every request alike (the endpoint cannot be reached, or refuses
    the key, the model or the request): stop the article, do not flag it paragraph by
    paragraph as if the text were at fault."""
    return exc.unreachable or exc.context.get("status") in _FATAL_STATUS


def check_article(text: str) -> None:
    if not text.strip():
        raise InputError("the article is empty (nothing but whitespace)", reason="empty")
    if "\x00" in text:
        raise InputError(
            "the article contains NUL bytes: it looks like a binary file", reason="binary"
        )
    broken = lone_surrogate(text)
    if broken is not None:  # the paid repair could not be written at the very end
        raise InputError(
            f"the article holds a broken character (a lone surrogate) at {broken}",
            reason="bad-text",
        )


# --- one chunk ------------------------------------------------------------------------


async def _repair_chunk(run: _Run, chunk: Chunk, glossary: Glossary) -> dict[str, _UnitOutcome]:
    config = run.config
    outcomes = {u.id: _UnitOutcome() for u in chunk.units}
    pending = [u.id for u in chunk.units]
    feedback: list[str] = []
    model = config.model
    requests_left = 1 + config.max_reasks
    attempt = 0
    while pending and requests_left:
        requests_left -= 1
        attempt += 1
        with run.local():
            request = _request(run, chunk, pending, feedback, model, glossary)
        try:
            reply = await _call(run, request, chunk.index, pending, attempt=attempt)
            with run.local():
                content, block = split_answer(reply.content)
                # Cut off in the block after the paragraphs: they were all written in full.
                cut = reply.finish_reason == "length" and block is None
                finish = "length" if cut else "stop"
                parsed = _parse(
                    replace(reply, content=content, finish_reason=finish), chunk, pending
                )
            problem = _whole_answer_problem(reply, parsed, pending)
        except ModelCallError as exc:
            if endpoint_is_wrong(exc):
                raise
            reason = f"model call failed: {exc.message}"
            _mark(outcomes, pending, ReasonCode.MODEL_UNREACHABLE, reason)
            break  # the transport layer already retried: asking again would multiply
        except ModelOutputError as exc:
            problem = AnswerProblem(_output_code(exc), exc.message, tuple(pending))
        _count_attempt(outcomes, pending)
        if problem is None:
            run.notes.extend(f"chunk {chunk.index + 1}: {note}" for note in parsed.notes)
            _collect(run, chunk, pending, block)
            feedback = await _accept(run, parsed, chunk, outcomes, glossary.mapping())
            if config.verify == "model":
                feedback += await _verify(run, chunk, pending, outcomes, attempt)
            pending = [i for i in pending if outcomes[i].text is None]
            continue
        # Nothing in this answer is usable.
        _mark(outcomes, pending, problem.reason_code, problem.message)
        feedback = [problem.message]
        if problem.reason_code is ReasonCode.MODEL_REFUSED:
            if not config.fallback_model or model == config.fallback_model:
                break  # re-asking the same model the same question gets the same refusal
            model = config.fallback_model
            requests_left = max(requests_left, 1)  # the fallback gets its one try
            run.notes.append(f"chunk {chunk.index + 1}: {problem.message}; trying {model}")
    return outcomes


def _request(
    run: _Run,
    chunk: Chunk,
    pending: list[str],
    feedback: list[str],
    model: str,
    glossary: Glossary,
) -> ChatRequest:
    config = run.config
    asked = pending if len(pending) < len(chunk.units) else None
    size = sum(len(u.text) for u in chunk.units if asked is None or u.id in asked)
    return ChatRequest(
        messages=prompts.messages(
            chunk, config.style, unit_ids=asked, glossary=glossary, findings=feedback or None
        ),
        model=model,
        temperature=config.temperature,
        # About twice the tokens the passage should need: room to repair, none to ramble.
        max_tokens=size // 2 + 256,
    )


async def _verify(
    run: _Run, chunk: Chunk, asked: list[str], outcomes: dict[str, _UnitOutcome], attempt: int
) -> list[str]:
    """The meaning check of the units this answer repaired and the ledger accepted.

    One request for all of them. A unit the verifier shows to say something else goes back
    to pending with the difference as feedback; an unusable answer leaves the ledger's word.
    """
    texts = {u.id: u.text for u in chunk.units}
    pairs = [
        Pair.of(uid, texts[uid], text)
        for uid in asked
        if (text := outcomes[uid].text) is not None and worth_checking(texts[uid], text)
    ]
    if not pairs:
        return []
    ids = [p.id for p in pairs]

    async def ask(request: ChatRequest) -> ChatReply:
        return await _call(run, request, chunk.index, ids, purpose="verify", attempt=attempt)

    verdict: Verdict = await verify_pairs(pairs, ask, run.config.verify_model or run.config.model)
    stats = run.verification
    stats.paragraphs += len(pairs)
    stats.discarded += verdict.discarded
    if verdict.discarded:
        run.notes.append(
            f"chunk {chunk.index + 1}: verification: {verdict.discarded} difference(s) "
            "quoted text that is not there, ignored"
        )
    if verdict.failure:
        stats.failures += 1
        run.notes.append(
            f"chunk {chunk.index + 1}: verification: {verdict.failure}; the ledger's word stands"
        )
    feedback: list[str] = []
    for uid, differences in verdict.differences.items():
        messages = [d.message for d in differences]
        stats.findings += len(messages)
        outcome = outcomes[uid]
        refused, outcome.text = outcome.text, None
        outcome.findings = messages
        reason = f"the repair changed the meaning: {messages[0]}"
        outcome.keep(ReasonCode.MEANING_CHANGED, reason, rejected=refused)
        feedback.extend(f"{uid}: {m}" for m in messages)
    return feedback


async def _call(
    run: _Run,
    request: ChatRequest,
    chunk: int,
    pending: list[str],
    *,
    purpose: CallPurpose = "repair",
    attempt: int = 1,
) -> ChatReply:
    """One request, counted: usage, timing and a call record (chunk -1 is the glossary)."""
    request = replace(request, tag=RequestTag(purpose, chunk, attempt))
    async with run.semaphore:
        started = time.perf_counter()
        reply = await run.model.complete(request)
    run.usage.add(reply.usage)
    run.model_wait_s += reply.wait_s
    if purpose == "verify":
        run.verification.calls += 1
        run.verification.usage.add(reply.usage)
    run.calls.append(
        CallRecord(
            chunk=chunk,
            model=request.model,
            units=list(pending),
            purpose=purpose,
            attempts=reply.attempts,
            finish_reason=reply.finish_reason,
            prompt_tokens=reply.usage.prompt_tokens,
            completion_tokens=reply.usage.completion_tokens,
            cached_tokens=reply.usage.cached_tokens,
            started_s=started - run.started,
            wait_s=reply.wait_s,
        )
    )
    return reply


def _parse(reply: ChatReply, chunk: Chunk, pending: list[str]) -> ParsedAnswer:
    units = [u for u in chunk.units if u.id in pending]
    return parse_answer(reply.content, units, truncated=reply.finish_reason == "length")


def _collect(run: _Run, chunk: Chunk, asked: list[str], block: str | None) -> None:
    """Keep this answer's suggestions for the units it answered (a re-ask's replace them)."""
    proposals, notes = parse_block(block, set(asked)) if block is not None else ([], [])
    run.notes.extend(f"chunk {chunk.index + 1}: {note}" for note in notes)
    for uid in asked:
        run.proposals[uid] = [p for p in proposals if p.paragraph == uid]


def _whole_answer_problem(
    reply: ChatReply, parsed: ParsedAnswer, pending: list[str]
) -> AnswerProblem | None:
    ids = tuple(pending)
    if reply.finish_reason == "content_filter":
        message = "the provider's content filter stopped the answer"
        return AnswerProblem(ProblemCode.CONTENT_FILTER, message, ids)
    if reply.refusal:
        return AnswerProblem(ProblemCode.REFUSAL, f"the model refused: {reply.refusal[:120]}", ids)
    if reply.finish_reason not in ("stop", "length", "eos", "end_turn"):
        message = f"the answer ended with '{reply.finish_reason}'"
        return AnswerProblem(ProblemCode.FINISH_REASON, message, ids)
    # Parse-level problems that cover the whole answer (a refusal in words, an echo).
    for problem in parsed.problems:
        if problem.code in _WHOLE_ANSWER and set(problem.unit_ids) >= set(ids):
            return problem
    return None


def _output_code(exc: ModelOutputError) -> ProblemCode:
    """The answer problem an unusable reply names (the client says content-filter, empty)."""
    try:
        return ProblemCode(str(exc.context.get("reason")))
    except ValueError:
        return ProblemCode.UNUSABLE


async def _accept(
    run: _Run,
    parsed: ParsedAnswer,
    chunk: Chunk,
    outcomes: dict[str, _UnitOutcome],
    glossary: Mapping[str, str],
) -> list[str]:
    """Keep the units whose answer passed every check, noting their words in `run.clean`;
    return feedback for the rest. The fact checks run off the loop, in one call."""
    with run.local():
        by_id = {u.id: u for u in chunk.units}
        feedback: list[str] = []
        for problem in parsed.problems:
            _mark(outcomes, problem.unit_ids, problem.reason_code, problem.message)
            feedback.append(problem.message)
        markups: dict[str, str | None] = {}
        for unit_id, text in parsed.texts.items():
            # A whole paragraph's markup can be checked now; a piece of one, once stitched.
            paragraph = run.paragraphs.get(unit_id)
            inline = paragraph.inline if paragraph is not None else None
            markups[unit_id] = inline.problem(text) if inline else None
    answers = [(by_id[i], text) for i, text in parsed.texts.items() if not markups[i]]
    verdicts = iter(await run.offload(check_repairs, answers, dict(glossary)) if answers else [])
    with run.local():
        for unit_id, text in parsed.texts.items():
            outcome = outcomes[unit_id]
            markup = markups[unit_id]
            if markup:
                reason = f"the repair changed the markup: {markup}"
                outcome.keep(ReasonCode.MARKUP_CHANGED, reason, rejected=text)
                feedback.append(f"{unit_id}: {markup}")
                continue
            findings = next(verdicts)
            if isinstance(findings, str):
                # Unread facts prove nothing either way: keep the original rather than lose
                # the whole article; another answer may read better, so it stays pending.
                outcome.keep(
                    ReasonCode.FACTS_UNCHECKED, f"the facts could not be compared: {findings}"
                )
                continue
            if findings:
                outcome.findings = findings
                outcome.keep(
                    ReasonCode.FACTS_CHANGED,
                    f"the repair changed facts: {'; '.join(findings)}",
                    rejected=text,
                )
                feedback.extend(f"{unit_id}: {f}" for f in findings)
            else:
                outcome.accept(text)
                run.clean.add((plain(by_id[unit_id].text), plain(text)))
    return feedback


def check_repairs(
    answers: list[tuple[Unit, str]], glossary: Mapping[str, str]
) -> list[list[str] | str]:
    """`check_repair` for each unit and its repair: the findings, or, when the facts could
    not be compared, why (a string). One call per answer, for an executor to run."""
    out: list[list[str] | str] = []
    for unit, repaired in answers:
        try:
            out.append(check_repair(unit, repaired, glossary))
        except FactError as exc:
            out.append(str(exc))
    return out


def check_repair(unit: Unit, repaired: str, glossary: Mapping[str, str]) -> list[str]:
    """Findings that forbid using `repaired` for `unit` (empty when it may be used).

    The fact ledger of the unit and of its repair must agree (see validator.py): any
    number, date, name, quote or negation that moved is a finding, sent back as feedback.
    In HTML and Markdown the words are compared without their placeholders.
    """
    issues = validate_paragraph(
        plain(unit.text), plain(repaired), glossary=glossary, paragraph_id=unit.id
    )
    return [issue.message for issue in issues]


def _mark(
    outcomes: dict[str, _UnitOutcome], unit_ids: Iterable[str], code: ReasonCode, reason: str
) -> None:
    for unit_id in unit_ids:
        outcomes[unit_id].keep(code, reason)


def _count_attempt(outcomes: dict[str, _UnitOutcome], unit_ids: list[str]) -> None:
    for unit_id in unit_ids:
        outcomes[unit_id].attempts += 1


# --- stitching ------------------------------------------------------------------------


def _paragraph_code(failed: list[_UnitOutcome]) -> ReasonCode | None:
    """One code for a paragraph whose pieces may have failed for different reasons.

    A piece the model could not be asked about outweighs the rest: that is what makes the
    article `failed`, to be tried again, rather than flagged for an editor.
    """
    codes = [o.code for o in failed if o.code is not None]
    if ReasonCode.MODEL_UNREACHABLE in codes:
        return ReasonCode.MODEL_UNREACHABLE
    return codes[0] if codes else None


def _rejected(
    paragraph: Paragraph,
    units: list[Unit],
    outcomes: dict[str, _UnitOutcome],
    accepted: dict[str, str],
    article_plan: Plan,
) -> str | None:
    """A kept paragraph as the model last wrote it, where a check refused its wording:
    the refused pieces, with the accepted pieces and the untouched ones around them."""
    refused = {
        u.id: o.rejected for u in units if (o := outcomes.get(u.id)) and o.rejected is not None
    }
    if not refused:
        return None
    view = article_plan.paragraph_texts({**accepted, **refused})[paragraph.id]
    try:
        return paragraph.render(view)
    except ValueError:  # the markup was what broke: show its words
        return plain(view)


async def _stitch(
    source: str, article_plan: Plan, outcomes: dict[str, _UnitOutcome], run: _Run
) -> RepairResult:
    with run.local():
        text, paragraphs = _assemble(article_plan, outcomes)
    # Whole paragraphs were compared as the model returned them: what is left is the
    # article's structure, its markup and paragraphs repaired in pieces.
    report, edits = await run.offload(
        final_check, source, text, run.format, run.glossary.mapping(), run.clean, paragraphs
    )
    with run.local():
        candidates = [Candidate(p) for found in run.proposals.values() for p in found]
        glossary_candidates = from_glossary(run.glossary, paragraphs)
        suggestions, notes = resolve(candidates + glossary_candidates, paragraphs)
        run.notes.extend(notes)
    return RepairResult(
        text=text,
        format=run.format.value,
        report=report,
        paragraphs=paragraphs,
        usage=run.usage,
        model=run.config.model,
        template_version=prompts.template_version(run.config.style),
        style=run.config.style,
        chunks=len(article_plan.chunks),
        timings=Timings(model_wait_s=run.model_wait_s),
        calls=sorted(run.calls, key=lambda c: c.started_s),
        glossary=run.glossary,
        edits=edits,
        suggestions=suggestions,
        notes=run.notes,
        verification=run.verification,
    )


def final_check(
    source: str,
    text: str,
    fmt: Format,
    glossary: Mapping[str, str],
    clean: Collection[tuple[str, str]],
    paragraphs: list[ParagraphResult],
) -> tuple[ValidationReport, list[Edit]]:
    """The article's report and its edits: the CPU-heavy end of a repair, for an executor."""
    return check(source, text, fmt, glossary=glossary, clean=clean), compute_edits(paragraphs)


def _assemble(
    article_plan: Plan, outcomes: dict[str, _UnitOutcome]
) -> tuple[str, list[ParagraphResult]]:
    """The repaired article and its paragraphs: each repaired, unchanged or kept original."""
    texts = {uid: o.text for uid, o in outcomes.items() if o.text is not None}
    originals = article_plan.paragraph_texts()
    repairs = article_plan.paragraph_texts(texts)
    accepted: dict[str, str] = {}  # paragraph id -> its repaired text, where it changed
    paragraphs: list[ParagraphResult] = []
    at = len(article_plan.document.prefix)
    units_of = article_plan.by_paragraph()
    for paragraph in article_plan.document.paragraphs:
        pid, units = paragraph.id, units_of[paragraph.id]
        failed = [outcomes[u.id] for u in units if u.id in outcomes and outcomes[u.id].text is None]
        view = repairs[pid]
        # Pieces of one paragraph were checked one by one; their markup only now, whole.
        markup = paragraph.inline.problem(view) if paragraph.inline and not failed else None
        if markup:
            failed.append(
                _UnitOutcome(
                    code=ReasonCode.MARKUP_CHANGED,
                    reason=f"the repair changed the markup: {markup}",
                )
            )
        raw = paragraph.raw if failed else paragraph.render(view)
        status: ParagraphStatus
        if failed:
            status = "kept-original"
        elif " ".join(raw.split()) == " ".join(paragraph.raw.split()):
            status = "unchanged"
        else:
            status = "repaired"
        if not failed and view != originals[pid]:
            accepted[pid] = view
        paragraphs.append(
            ParagraphResult(
                id=pid,
                kind=paragraph.kind.value,
                status=status,
                source=paragraph.raw,
                repaired=raw,
                at=at,
                reason="; ".join(dict.fromkeys(o.reason or "" for o in failed)) or None,
                reason_code=_paragraph_code(failed),
                findings=[f for o in failed for f in o.findings],
                attempts=max(
                    (outcomes[u.id].attempts for u in units if u.id in outcomes), default=0
                ),
                rejected=_rejected(paragraph, units, outcomes, texts, article_plan)
                if failed
                else None,
            )
        )
        at += len(raw) + len(paragraph.tail)
    return article_plan.document.join(accepted), paragraphs
