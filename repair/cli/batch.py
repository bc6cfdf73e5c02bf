"""`repair batch`: parse, call `repair.batch`, draw progress, print the summary, exit.

Ctrl-C once: no new article starts, the ones in flight finish, the manifest is written and
the next run resumes; twice: the articles in flight are abandoned (redone next time).
An endpoint that keeps failing stops the job too, with exit status 3 (breaker.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Coroutine
from typing import Any

from repair import batch as batch_job
from repair.batch import STATUSES, BatchControl, BatchOptions, BatchSummary, Estimate
from repair.batch.checkers import default_workers
from repair.batch.models import BATCH_DEFAULTS
from repair.cli import batchapi, batchray
from repair.cli.common import (
    ProgressPrinter,
    config_from,
    duration,
    model_options,
    progress_mode,
)
from repair.errors import ConfigurationError
from repair.pricing import Price, money

BATCH_EXAMPLES = """\
examples:
  # every .txt, .md and .html file under archive/, repaired into fixed/ (same tree, same
  # format: HTML and Markdown keep every tag, link and attribute) + fixed/manifest.jsonl
  repair batch archive/ --out fixed/

  # a JSONL archive, one {"id": ..., "text": ..., ...} per line (or "html" / "markdown"
  # instead of "text"); other fields carried through, the repair in "repaired_<field>"
  repair batch articles.jsonl --out fixed/ --model gpt-4o-mini --concurrency 16

  # what it will cost, without calling anything
  repair batch archive/ --out fixed/ --dry-run

  # stay under the account's limits; price a model the built-in table does not know
  repair batch archive/ --out fixed/ --rpm 500 --tpm 200000 --price my-model=0.5,1.5

  # after a crash or Ctrl-C: the same command resumes; then redo what failed or was flagged
  repair batch archive/ --out fixed/
  repair batch archive/ --out fixed/ --retry-failed

A rerun skips finished articles and answers every request it has already made from
DIR/.repair-batch.sqlite, so it neither pays twice nor writes anything twice.
Each file is decoded as 'repair fix' and 'repair check' decode one: UTF-8, UTF-16 with a
byte-order mark, else Windows-1252 or Windows-1251, whichever reads better (the manifest
notes it), mojibake undone; --encoding NAME forces one for every file (a byte-order mark
still wins). Outputs are UTF-8.
Statuses in the manifest: repaired, flagged (some paragraphs kept their original text),
failed (the model could not be reached for it while it answered other requests;
--retry-failed redoes it), skipped (empty, binary, undecodable, oversize, duplicate or
unsafe id, a name or text no UTF-8 file can hold, an unreadable entry, an output path
that leads outside DIR; the reason is given).
An endpoint that keeps failing (refused, timed out, 5xx) pauses the job a few times, each
pause twice as long and ended by one trial request, then stops it: the articles it did
not finish stay pending, never failed, and the same command resumes them.
exit status: 0 every article repaired, 1 some flagged, failed or skipped, 2 bad usage or
configuration (no endpoint, a rejected key) or an output folder that cannot be written
(disk full, read-only): the job stops at once, 3 stopped: the endpoint kept failing,
130 interrupted.
"""


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `batch` to the `repair` command line."""
    batch = commands.add_parser(
        "batch",
        help="repair an archive (a folder or a JSONL file), resumably",
        description="Repair every article of an archive; resumable, paced, with a manifest.",
        epilog=BATCH_EXAMPLES + "\n" + batchapi.EXAMPLES + "\n" + batchray.EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    batch.add_argument(
        "src", metavar="SRC", help="a folder of .txt/.md/.html files, or a .jsonl file"
    )
    batch.add_argument("--out", metavar="DIR", help="where outputs go (required)")
    batch.add_argument(
        "--dry-run",
        action="store_true",
        help="count articles, calls, tokens and cost; call nothing",
    )
    batch.add_argument(
        "--retry-failed", action="store_true", help="redo failed and flagged articles as well"
    )
    batch.add_argument("--rpm", type=float, help="at most this many requests per minute")
    batch.add_argument("--tpm", type=float, help="at most this many tokens per minute")
    batch.add_argument(
        "--in-flight", type=int, help="articles held at once (default: twice --concurrency)"
    )
    batch.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="processes that check facts (default: one fewer than the cores, at least one; "
        "0: a thread of this process)",
    )
    batch.add_argument(
        "--price",
        action="append",
        default=[],
        metavar="MODEL=IN,OUT[,CACHED]",
        help="US dollars per million tokens (input, output, cached input); repeatable",
    )
    batch.add_argument(
        "--progress",
        choices=["auto", "bar", "log", "none"],
        default="auto",
        help="a live line on a terminal, log lines elsewhere (auto), or none",
    )
    batch.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    model_options(batch)
    batchapi.add_options(batch)
    batchray.add_options(batch)
    batch.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    options = BatchOptions(
        max_chars=args.max_chars,
        encoding=args.encoding,  # None: detected file by file, as archives mix encodings
        requests_per_minute=args.rpm,
        tokens_per_minute=args.tpm,
        in_flight=args.in_flight,
        workers=args.workers,
        retry_failed=args.retry_failed,
        prices=parse_prices(args.price),
        format=args.format,
    )
    config = config_from(args, BATCH_DEFAULTS)
    if args.status or args.cancel:
        return batchapi.status_or_cancel(args, config)
    if not args.out:
        raise ConfigurationError("repair batch: --out DIR is required", setting="out")
    if args.dry_run:
        found = batch_job.estimate(args.src, args.out, config, options=options)
        table = dry_run_table(found, batch_api=args.batch_api)
        print(found.model_dump_json(indent=2) if args.json else table)
        return 0
    config.endpoint()  # no endpoint: exit 2 before anything is read or written
    control = BatchControl()
    mode = progress_mode(args.progress, sys.stderr, os.environ)
    with ProgressPrinter(sys.stderr, mode) as printer:
        if args.engine == "ray":
            job = batchray.job(args, options, config, printer, control)
        elif args.batch_api:
            job = batchapi.job(args, options, config, printer, control)
        else:
            job = batch_job.arun(
                args.src,
                args.out,
                config,
                options=options,
                on_progress=printer.articles,
                control=control,
            )
        summary = asyncio.run(_with_signals(job, control))
    if args.json:
        print(summary.model_dump_json(indent=2))
    print(summary_table(summary), file=sys.stderr)
    if args.batch_api:
        print(batchapi.summary_lines(summary), file=sys.stderr)
    return summary.exit_code


async def _with_signals(
    job: Coroutine[Any, Any, BatchSummary], control: BatchControl
) -> BatchSummary:
    loop = asyncio.get_running_loop()
    presses = 0

    def interrupted() -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            control.stop()
            print(
                f"\nrepair batch: stopping; finishing {control.in_flight} article(s) in flight "
                "(Ctrl-C again to abandon them)",
                file=sys.stderr,
            )
        else:
            control.abandon()
            print("\nrepair batch: abandoning the articles in flight", file=sys.stderr)

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Not on Windows: there Ctrl-C is a KeyboardInterrupt, and cli exits 130.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, interrupted)
            installed.append(sig)
    try:
        return await job
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def parse_prices(specs: list[str]) -> dict[str, Price]:
    """`MODEL=IN,OUT[,CACHED]` (US dollars per million tokens) -> prices by model."""
    prices: dict[str, Price] = {}
    for spec in specs:
        model, _, numbers = spec.partition("=")
        try:
            values = [float(v) for v in numbers.split(",")]
            if not model.strip() or len(values) not in (2, 3) or min(values) < 0:
                raise ValueError
        except ValueError:
            raise ConfigurationError(
                f"--price {spec!r}: expected MODEL=IN,OUT or MODEL=IN,OUT,CACHED, "
                "in US dollars per million tokens (e.g. gpt-4o-mini=0.15,0.6,0.075)",
                setting="price",
            ) from None
        cached = values[2] if len(values) == 3 else values[0]  # unknown: no discount
        prices[model.strip()] = Price(input=values[0], output=values[1], cached_input=cached)
    return prices


# --- tables ---------------------------------------------------------------------------


def summary_table(s: BatchSummary) -> str:
    earlier = f", {s.reused:,} finished by an earlier run" if s.reused else ""
    done = sum(s.statuses.values())
    if s.endpoint_down:
        head = f"repair batch: stopped, the endpoint kept failing, after {done:,} of {s.total:,}"
        head += " article(s)"
    elif s.interrupted:
        head = f"repair batch: stopped after {done:,} of {s.total:,} article(s)"
    else:
        head = f"repair batch: done: {done:,} article(s)"
    lines = [f"{head} in {duration(s.duration_s)}{earlier}"]
    if s.stop_reason:
        lines.append(f"  endpoint   {s.stop_reason}")
    for status in STATUSES:
        lines.append(f"  {status:<10} {s.statuses.get(status, 0):>8,}")
    if s.interrupted:
        when = " once the endpoint answers" if s.endpoint_down else ""
        lines.append(
            f"  {'left':<10} {s.total - done:>8,}   rerun the same command{when} to resume"
        )
    if s.reasons:
        reasons = " · ".join(f"{reason} {n:,}" for reason, n in s.reasons.items())
        lines.append(f"  reasons    {reasons}")
    t = s.usage
    lines.append(
        f"  tokens     {t.prompt_tokens:,} prompt ({t.cached_tokens:,} cached) + "
        f"{t.completion_tokens:,} completion"
        f" · cost {_cost(s.cost_usd, s.unpriced)}"
    )
    asked = [f"{s.requests:,} request(s) answered"]
    if s.failed_requests:
        asked.append(f"{s.failed_requests:,} failed")
    asked.append(f"{s.cache_hits:,} answered from the store")
    if s.shared:
        asked.append(f"{s.shared:,} shared by identical requests")
    lines.append(
        f"  this run   {', '.join(asked)}"
        f" · {s.billed.total_tokens:,} tokens billed, {_cost(s.billed_cost_usd, s.unpriced)}"
    )
    if s.rate_limit_pauses:
        lines.append(
            f"  paced      {s.rate_limit_pauses} rate-limit pause(s), {s.paused_s:.1f}s in all"
        )
    if s.endpoint_pauses:
        lines.append(f"  paused     {s.endpoint_pauses} time(s) while the endpoint failed")
    if s.unstored:
        lines.append(f"  unstored   {s.unstored:,} answer(s) too large to keep in the store")
    lines.append(f"  manifest   {s.manifest}")
    if s.output:
        lines.append(f"  output     {s.output}")
    return "\n".join(lines)


def dry_run_table(e: Estimate, *, batch_api: bool = False) -> str:
    skipped = ", ".join(f"{reason} {n:,}" for reason, n in e.reasons.items())
    lines = [
        f"repair batch --dry-run: {e.src} with {e.model} (no request made)",
        f"  articles       {e.articles:>12,}   {e.to_repair:,} to repair, "
        f"{e.done_before:,} done before, {e.skipped:,} skipped{': ' + skipped if skipped else ''}",
        f"  chunks         {e.chunks:>12,}",
        f"  calls          {e.calls:>12,}   first requests; re-asks after failed checks add more",
        f"  prompt tokens  {e.usage.prompt_tokens:>12,}   {e.usage.cached_tokens:,} of them cached",
        f"  output tokens  {e.usage.completion_tokens:>12,}",
        *(
            [
                f"  verification   {e.verification.total_tokens:>12,}   tokens of the above, "
                f"in {e.verification.calls:,} meaning checks (--verify model)"
            ]
            if e.verification.calls
            else []
        ),
        f"  cost           {_cost(e.cost_usd, [e.model] if e.cost_usd is None else []):>12}",
    ]
    if batch_api:
        batch = _cost(e.batch_cost_usd, [e.model] if e.batch_cost_usd is None else [])
        lines[-1] += "   live calls"
        lines.append(f"  cost           {batch:>12}   the Batch API (--batch-api)")
    return "\n".join(lines)


def _cost(value: float | None, unpriced: list[str]) -> str:
    if value is not None:
        return money(value)
    missing = ", ".join(unpriced) or "a model"
    return f"unknown (no price for {missing}: pass --price MODEL=IN,OUT)"
