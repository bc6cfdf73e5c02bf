"""`repair batch --batch-api`, `--status` and `--cancel`: the options, the job, the tables.

The live job's command (batch.py) stays the front door; this module adds the Batch API's
options to it and runs the job through `repair.batch.apijob` when asked.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TextIO

from repair.batch import BatchControl, BatchOptions, BatchSummary
from repair.batch.apijob import ApiStatus, acancel, arun_api, astatus
from repair.batch.rounds import BatchState, Limits
from repair.cli.common import ProgressPrinter, duration
from repair.config import RepairConfig
from repair.pricing import money

EXAMPLES = """\
the Batch API (half the price; answers within 24 hours):
  repair batch archive/ --out fixed/ --batch-api --dry-run    # its price beside the live one
  repair batch archive/ --out fixed/ --batch-api              # submit, wait, write; resumable
  repair batch fixed/ --status                                # batches, counts, cost so far
  repair batch fixed/ --cancel                                # cancel the batches; rerun resumes
"""


def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("the Batch API")
    group.add_argument(
        "--batch-api",
        action="store_true",
        help="send the requests as batches through the provider's Batch API (Files API "
        "upload, /v1/batches): half the price, answers within 24 hours; kill and rerun "
        "at any moment, nothing is sent twice",
    )
    group.add_argument(
        "--reask",
        choices=["batch", "live"],
        default="batch",
        help="re-asks after a failed check: as further batches (default) or live calls",
    )
    group.add_argument(
        "--glossary-calls",
        choices=["batch", "live"],
        default="live",
        help="the one glossary call of an article with names: live (default: a small call "
        "that spares those articles a whole batch round), or in a batch before the chunks "
        "that need it",
    )
    group.add_argument(
        "--batch-max-requests",
        type=int,
        default=50_000,
        metavar="N",
        help="requests per batch (OpenAI: 50,000)",
    )
    group.add_argument(
        "--batch-max-bytes",
        type=int,
        default=190_000_000,
        metavar="N",
        help="bytes per batch input file (OpenAI: 200 MB)",
    )
    group.add_argument(
        "--poll",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how often to ask after running batches (default 10)",
    )
    group.add_argument(
        "--status",
        action="store_true",
        help="show the job in DIR (or SRC, given alone): batches, their state and counts, "
        "cost so far",
    )
    group.add_argument(
        "--cancel", action="store_true", help="cancel the job's running batches (rerun resumes)"
    )


def limits_from(args: argparse.Namespace) -> Limits:
    return Limits(
        max_requests=max(1, args.batch_max_requests),
        max_bytes=max(1024, args.batch_max_bytes),
        poll_s=max(0.0, args.poll),
        reask=args.reask,
        glossary=args.glossary_calls,
    )


def status_or_cancel(args: argparse.Namespace, config: RepairConfig) -> int:
    """`--status` / `--cancel` on the job in DIR."""
    out = args.out or args.src
    if args.cancel:
        states = asyncio.run(acancel(out, config))
        for state in states:
            print(f"  {state.id}  {state.status}  {state.completed}/{state.total}", file=sys.stderr)
        print(
            f"repair batch --cancel: {len(states)} batch(es) cancelled; rerun the job to "
            "send what they did not answer",
            file=sys.stderr,
        )
        return 0
    found = asyncio.run(astatus(out, config))
    print(found.model_dump_json(indent=2) if args.json else status_table(found))
    return 0


def job(
    args: argparse.Namespace,
    options: BatchOptions,
    config: RepairConfig,
    printer: ProgressPrinter,
    control: BatchControl,
) -> Coroutine[Any, Any, BatchSummary]:
    return arun_api(
        args.src,
        args.out,
        config,
        options=options,
        limits=limits_from(args),
        on_progress=printer.articles,
        on_batches=BatchLines(sys.stderr, printer.mode != "none"),
        control=control,
    )


class BatchLines:
    """A line when a batch changes state, and at most every `every_s` seconds while its
    counts move (a 24-hour batch polled every 10 s would print thousands)."""

    def __init__(self, stream: TextIO, enabled: bool, every_s: float = 30.0) -> None:
        self.stream, self.enabled, self.every_s = stream, enabled, every_s
        self._shown: dict[str, tuple[str, float]] = {}

    def __call__(self, batches: list[BatchState], elapsed_s: float) -> None:
        if not self.enabled:
            return
        for b in batches:
            status, at = self._shown.get(b.id, ("", -self.every_s))
            if b.status == status and elapsed_s - at < self.every_s:
                continue
            self._shown[b.id] = (b.status, elapsed_s)
            print(
                f"  batch {b.id}: {b.status:<11} {b.completed:,}/{b.total:,} done, "
                f"{b.failed:,} failed · {duration(elapsed_s)}",
                file=self.stream,
                flush=True,
            )


def summary_lines(s: BatchSummary) -> str:
    lines = [f"  batches    {len(s.batches):,} created by this run"]
    if s.batches_attached:
        lines[0] += f", {len(s.batches_attached):,} left running by an earlier run, attached"
    return "\n".join(lines)


def status_table(s: ApiStatus) -> str:
    state = "cancelled" if s.cancelled else "as last seen" if not s.refreshed else "now"
    lines = [f"repair batch --status: {s.out} ({state})"]
    for b in s.batches:
        lines.append(
            f"  {b.batch_id or '(not created)':<32} {b.status or b.state:<11} "
            f"{b.completed:>7,}/{b.requests:<7,} done, {b.failed:,} failed"
        )
    requests = " · ".join(f"{k} {v:,}" for k, v in sorted(s.requests.items()))
    articles = " · ".join(f"{k} {v:,}" for k, v in sorted(s.articles.items()))
    lines.append(f"  requests   {requests or 'none'}")
    lines.append(f"  articles   {articles or 'none finished'}")
    lines.append(f"  cost       {money(s.cost_usd)} so far (finished articles, batch rate)")
    return "\n".join(lines)
