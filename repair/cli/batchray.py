"""`repair batch --engine ray`: the options and the job (repair/batch/ray_job.py).

The live job's command (batch.py) stays the front door; this module adds the Ray engine's
options to it. Ray itself is imported only when the job starts.
"""

from __future__ import annotations

import argparse
from collections.abc import Coroutine
from typing import Any

from repair.batch import BatchControl, BatchOptions, BatchSummary
from repair.batch.ray_job import arun_on_ray
from repair.cli.common import ProgressPrinter
from repair.config import RepairConfig
from repair.errors import ConfigurationError

EXAMPLES = """\
on Ray (pip install 'repair[ray]'): the same outputs, manifest and resume, the pipeline on
Ray workers, one rate limit (--rpm, --tpm, the pause on 429) for all of them:
  repair batch archive/ --out fixed/ --engine ray --ray-workers 2           # a local Ray
  repair batch articles.jsonl --out fixed/ --engine ray --ray-address auto --rpm 500
"""


def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Ray")
    group.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="repair in this process (local), or on Ray workers (pip install 'repair[ray]')",
    )
    group.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="the Ray cluster to join: auto (this node's), HOST:6379, or ray://HOST:10001 "
        "(needs ray[client]); default: a new local Ray",
    )
    group.add_argument(
        "--ray-workers",
        type=positive_int,
        metavar="N",
        help="Ray workers, each with its own client (default: one per CPU of the cluster)",
    )


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value}: must be 1 or more")
    return number


def job(
    args: argparse.Namespace,
    options: BatchOptions,
    config: RepairConfig,
    printer: ProgressPrinter,
    control: BatchControl,
) -> Coroutine[Any, Any, BatchSummary]:
    if getattr(args, "batch_api", False):
        raise ConfigurationError(
            "--batch-api and --engine ray are two ways to run a batch: choose one",
            setting="engine",
        )
    return arun_on_ray(
        args.src,
        args.out,
        config,
        options=options,
        address=args.ray_address,
        workers=args.ray_workers,
        on_progress=printer.articles,
        control=control,
    )
