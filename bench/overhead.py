"""Local overhead: how much of a repair's wall time is our own code, not the endpoint.

1. The seed repaired against the fake server with a real endpoint's latency model
   (0.4 s to first token, 20 ms per output token, unscaled): time in segmenting,
   chunking, prompting, parsing and validating, as a share of the wall time.
2. Articles per second through segment + chunk + validate alone, on one core.

    python bench/overhead.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import table
from pydantic import SecretStr

from repair import RepairConfig, repair_article, validate
from repair.chunker import plan
from repair.testing.fake import FakeServer
from repair.testing.golden import load_case, load_cases


def main() -> None:
    seed = load_case("putin-trump")
    with FakeServer(ttft=0.4, per_token=0.020) as server:
        config = RepairConfig(model="bench", base_url=server.base_url, api_key=SecretStr("b"))
        result = repair_article(seed.input, config)
    share = result.timings.local_s / result.timings.total_s
    print("1. one article, real latency model")
    print(
        table(
            ["article", "wall", "our code", "share"],
            [
                [
                    "seed",
                    f"{result.timings.total_s:.2f}s",
                    f"{result.timings.local_s * 1000:.0f} ms",
                    f"{share:.1%}",
                ]
            ],
        )
    )
    print("target: at most 3%\n")

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


if __name__ == "__main__":
    main()
