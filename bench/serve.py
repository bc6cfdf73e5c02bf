"""What `repair serve` costs over the library call it wraps: latency and requests per second.

Side by side in one run, against one fake server in a process of its own (no model
latency: what is left is our own time, so the service's share is as large as it can ever
look; and neither side shares its interpreter with the fake):

- library: `arepair_article` in this process, one article after another for latency, then
  `--concurrency` at once for throughput;
- service: the same articles through `repair serve` (a child process, uvicorn, JSON over
  HTTP, the token checked, the access log written), its answer cache off;
- service, cached: the same requests again with the cache on (the CMS that saves twice).

    python bench/serve.py [--requests 40] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import table
from pydantic import SecretStr

from repair import OpenAIChat, RepairConfig, arepair_article
from repair.formats.text import segment
from repair.testing.golden import load_case
from repair.testing.served import ServedRepair, free_port

TOKEN = "bench-token-0123456789abcdef"
MODEL = ["--model", "fake-repair", "--verify", "rules"]


def articles(count: int) -> list[str]:
    """Three consecutive paragraphs of the seed, a different window for each request."""
    paragraphs = [p.text for p in segment(load_case("putin-trump").input).paragraphs]
    windows = [paragraphs[i : i + 3] for i in range(4, len(paragraphs) - 3)]
    return ["\n\n".join(windows[n % len(windows)]) + "\n" for n in range(count)]


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=20, method="inclusive")
    return statistics.median(samples), cuts[18]  # p50, p95


@contextmanager
def fake_process() -> Iterator[str]:
    """`python -m repair.fake` on a free port; its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "repair.fake", "--port", str(port)]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL) as process:
        try:
            for _ in range(200):
                with contextlib.suppress(OSError):
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                time.sleep(0.05)
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            process.terminate()


def library(texts: list[str], base_url: str, concurrency: int) -> tuple[list[float], float]:
    config = RepairConfig(
        model="fake-repair", base_url=base_url, api_key=SecretStr("bench"), verify="rules"
    )

    async def run() -> tuple[list[float], float]:
        # One client for every call, as the service keeps one (and as a Python CMS should):
        # a client per call would add a connection setup the service does not pay.
        model = OpenAIChat(config)

        async def one(text: str) -> float:
            started = time.perf_counter()
            await arepair_article(text, config, client=model)
            return time.perf_counter() - started

        await one(texts[0])  # warm: the SDK's import, the word lists
        latencies = [await one(t) for t in texts]
        slots = asyncio.Semaphore(concurrency)

        async def limited(text: str) -> float:
            async with slots:
                return await one(text)

        started = time.perf_counter()
        await asyncio.gather(*(limited(t) for t in texts))
        rate = len(texts) / (time.perf_counter() - started)
        await model.aclose()
        return latencies, rate

    return asyncio.run(run())


def service(texts: list[str], served: ServedRepair, concurrency: int) -> tuple[list[float], float]:
    def one(text: str) -> float:
        started = time.perf_counter()
        status, _, _ = served.call("POST", "/v1/repair", {"text": text})
        assert status == 200, status
        return time.perf_counter() - started

    one(texts[0])
    latencies = [one(t) for t in texts]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, texts))
    return latencies, len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    texts = articles(args.requests)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "REPAIR_"))}
    env["OPENAI_API_KEY"] = "bench"
    inflight = ["--max-inflight", str(args.concurrency)]
    rows = []
    with fake_process() as base_url:
        lib_lat, lib_rps = library(texts, base_url, args.concurrency)
        base = ["--base-url", base_url, *MODEL, *inflight]
        with ServedRepair([*base, "--no-cache"], token=TOKEN, env=env) as served:
            svc_lat, svc_rps = service(texts, served, args.concurrency)
        with ServedRepair(base, token=TOKEN, env=env) as served:
            service(texts, served, args.concurrency)  # fills the cache
            hit_lat, hit_rps = service(texts, served, args.concurrency)
    lib50, lib95 = percentiles(lib_lat)
    for name, lat, rps in (
        ("library call", lib_lat, lib_rps),
        ("repair serve, no cache", svc_lat, svc_rps),
        ("repair serve, cached", hit_lat, hit_rps),
    ):
        p50, p95 = percentiles(lat)
        rows.append(
            [
                name,
                f"{p50 * 1000:.0f}",
                f"{p95 * 1000:.0f}",
                f"{(p50 - lib50) * 1000:+.0f}",
                f"{(p95 - lib95) * 1000:+.0f}",
                f"{rps:.1f}",
            ]
        )
    print(
        f"{args.requests} articles of 3 paragraphs (~{len(texts[0].split())} words), fake model "
        f"with no latency; throughput with {args.concurrency} at once\n"
    )
    headers = ["", "p50 ms", "p95 ms", "p50 over library", "p95 over library", "requests/s"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
