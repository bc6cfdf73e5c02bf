"""Local overhead: how much of a repair's wall time is our own code, not the endpoint.

1. The seed repaired against the fake server with a real endpoint's latency model
   (0.4 s to first token, 20 ms per output token, unscaled): time in segmenting,
   chunking, prompting, parsing and validating (the final check included), as a share of
   the wall time; once through the library, once as a whole `repair fix` process, where
   start-up (imports), reading and writing count as our time too.
2. Articles per second through segment + chunk + validate alone, on one core.

    python bench/overhead.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import table
from pydantic import SecretStr

from repair import RepairConfig, RepairResult, repair_article, validate
from repair.chunker import plan
from repair.results import Timings
from repair.testing.fake import FakeServer
from repair.testing.golden import load_case, load_cases


def main() -> None:
    seed = load_case("putin-trump")
    with FakeServer(ttft=0.4, per_token=0.020) as server:
        config = RepairConfig(model="bench", base_url=server.base_url, api_key=SecretStr("b"))
        result = repair_article(seed.input, config)
        process = _whole_process(seed.path / "input.txt", server.base_url)
    lib = result.timings
    outside = process.wall_s - process.timings.total_s  # start-up, reading, writing
    rows = [
        ["library call", f"{lib.total_s:.2f}s", f"{lib.local_s * 1000:.0f} ms",
         f"{lib.local_s / lib.total_s:.1%}"],
        ["repair fix process", f"{process.wall_s:.2f}s",
         f"{(process.timings.local_s + outside) * 1000:.0f} ms "
         f"({outside * 1000:.0f} ms start-up and I/O)",
         f"{(process.timings.local_s + outside) / process.wall_s:.1%}"],
    ]  # fmt: skip
    print("1. the seed, real latency model")
    print(table(["run", "wall", "our code", "share"], rows))
    print("target: at most 3% (library call)\n")

    cases = load_cases()
    rounds = 5
    started = time.perf_counter()
    for _ in range(rounds):
        for case in cases:
            plan(case.input)
            validate(case.input, case.reference)
    elapsed = time.perf_counter() - started
    articles = rounds * len(cases)
    print("2. segment + chunk + validate, one core, golden inputs against references")
    print(
        table(
            ["articles", "seconds", "articles/s"],
            [[articles, f"{elapsed:.2f}", f"{articles / elapsed:.1f}"]],
        )
    )


@dataclass
class _Process:
    wall_s: float
    timings: Timings


def _whole_process(article: Path, base_url: str) -> _Process:
    """`repair fix` in a process of its own, timed from outside, its timings from --json."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "repair", "fix", str(article), "--base-url", base_url, "--json"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OPENAI_API_KEY": "bench"},
    )
    wall = time.perf_counter() - started
    return _Process(wall, RepairResult.model_validate_json(done.stdout).timings)


if __name__ == "__main__":
    main()
