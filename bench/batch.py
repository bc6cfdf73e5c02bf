"""Throughput and memory of `repair batch`, against the fake server in a process of its own.

    python bench/batch.py                  # about three minutes on 2 cores
    python bench/batch.py --only fixed     # one part: throughput, fixed or memory

1. Throughput. A few hundred articles through the fake server's latency model (time to
   first token 0.2 s and 5 ms per output token, both scaled down by 2 to keep the run
   short) at --concurrency 8. The bound is what 8 requests in flight at every moment
   would achieve: the server's time summed over all requests, divided by 8. Prints the
   achieved fraction of that bound (target: at least 0.9).
2. Throughput at a fixed latency. Every request takes 0.1 s whatever its size, 16 in
   flight: the bound is 16 / 0.1 s = 160 requests a second, however little the client
   does. Prints requests per second over that bound (target: at least 0.9), the batch
   process's CPU per request, and the ceiling on these cores: the same requests sent at
   the same concurrency by a client that only makes the SDK calls (no repair at all),
   against the same server, so the fake server's own CPU and the machine's other load
   are in it. What repair does above that ceiling is its own cost.
3. Memory. Peak RSS (ru_maxrss) of one batch process for 10,000 tiny articles, divided by
   that for 1,000 (target: at most 1.2); each run in a fresh subprocess, against a server
   with no latency. To fit in the time, the tiny articles are drawn from the ~250 golden
   paragraphs, so after the first few hundred the answers come from the job's store:
   what grows or not is the job itself (archive reading, articles in flight, manifest,
   store), which is what the archive's size could inflate.

Prints a table and the ratios; it never fails on time or on a missed target.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout
sys.path.insert(0, str(HERE))

from make_archive import golden_paragraphs, make_jsonl  # noqa: E402

from repair.batch import checkers  # noqa: E402
from repair.batch.checkers import default_workers  # noqa: E402

SCALE = 2  # the latency model, scaled down
TTFT, PER_TOKEN = 0.2 / SCALE, 0.005 / SCALE
CONCURRENCY = 8
THROUGHPUT_ARTICLES = 240
MEMORY_SIZES = (1_000, 10_000)
FIXED_LATENCY, FIXED_CONCURRENCY, FIXED_ARTICLES = 0.1, 16, 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(argv: list[str]) -> int:
    """`python -m repair.fake`, with TCP_NODELAY on its sockets.

    The fake server writes a response's headers and body in two sends; without NODELAY,
    Nagle's algorithm holds the body until the client's delayed ACK (about 40 ms on
    Linux), which is ten times the overhead of the whole client and would be measured
    as the batch's. Harmless once repair/fake.py sets it itself.
    """
    from repair.testing import fake

    make_handler = fake._handler_for

    def handler_for(server: fake.FakeServer) -> Any:
        handler = make_handler(server)
        handler.disable_nagle_algorithm = True
        return handler

    fake._handler_for = handler_for
    return fake.main(argv)


class Server:
    """The fake server in its own process (the GIL stays with the batch)."""

    def __init__(self, ttft: float = 0.0, per_token: float = 0.0) -> None:
        self.port = free_port()
        argv = ["--port", str(self.port), "--ttft", str(ttft), "--per-token", str(per_token)]
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", json.dumps(argv)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        raise RuntimeError("the fake server did not start")

    def cpu_s(self) -> float:
        """The server process's CPU time so far (Linux: /proc), or NaN."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def run_batch(src: Path, out: Path, server: Server, *options: str) -> dict[str, Any]:
    """One `repair batch` in a fresh process: its summary, exit code and peak RSS."""
    argv = ["batch", str(src), "--out", str(out), "--base-url", server.base_url]
    argv += ["--model", "fake-repair", "--progress", "none", "--json", *options]
    env = {**os.environ, "OPENAI_API_KEY": "bench-not-a-key"}
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(argv)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the batch failed:\n{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.splitlines()[-1]))


def child(argv: list[str]) -> int:
    from repair.cli import main

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(argv)
    checkers.shutdown()  # so that their CPU time is counted among the children's
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # checker processes, if any
    summary = json.loads(printed.getvalue())
    print(
        json.dumps(
            {
                "code": code,
                "summary": summary,
                "peak_kb": usage.ru_maxrss,  # KiB on Linux
                "cpu_s": usage.ru_utime + usage.ru_stime,  # start-up included
                "children_cpu_s": children.ru_utime + children.ru_stime,
            }
        )
    )
    return 0


def sdk_only(argv: list[str]) -> int:
    """The ceiling: `requests` chat calls through the SDK, `concurrency` at a time, and
    nothing else; prints requests per second and this process's CPU per request."""
    import asyncio

    import httpx2
    from openai import AsyncOpenAI

    base_url, requests, concurrency = argv[0], int(argv[1]), int(argv[2])
    messages = [
        {"role": "system", "content": "You are a copy editor. " * 300},
        {"role": "user", "content": "@@123@@ passage\nP1 " + "The council met. " * 120},
    ]

    async def run() -> float:
        limits = httpx2.Limits(max_connections=concurrency)
        async with httpx2.AsyncClient(limits=limits) as http:
            client = AsyncOpenAI(
                base_url=base_url, api_key="bench-not-a-key", http_client=http, max_retries=3
            )
            queue = iter(range(requests))

            async def worker() -> None:
                for _ in queue:
                    await client.chat.completions.create(
                        model="fake-repair",
                        messages=messages,
                        max_tokens=600,  # type: ignore[arg-type]
                    )

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return time.perf_counter() - started

    cpu = time.process_time()
    wall = asyncio.run(run())
    cpu = time.process_time() - cpu
    print(json.dumps({"rate": requests / wall, "cpu_ms": 1000 * cpu / requests}))
    return 0


def tiny_archive(path: Path, articles: int) -> None:
    """One golden paragraph per article, each with an id of its own."""
    paragraphs = [p for case in golden_paragraphs() for p in case if len(p) > 40]
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as lines:
        for number in range(articles):
            text = rng.choice(paragraphs) + "\n"
            lines.write(json.dumps({"id": f"tiny-{number:06d}", "text": text}) + "\n")


def throughput(work: Path) -> None:
    src = work / "throughput.jsonl"
    make_jsonl(src, THROUGHPUT_ARTICLES, seed=3, bad=False)
    with Server(TTFT, PER_TOKEN) as server:
        result = run_batch(src, work / "out-throughput", server, "--concurrency", str(CONCURRENCY))
    s = result["summary"]
    server_time = s["requests"] * TTFT + PER_TOKEN * s["billed"]["completion_tokens"]
    bound = server_time / CONCURRENCY
    wall = s["duration_s"]
    print(
        f"throughput: {THROUGHPUT_ARTICLES} articles, --concurrency {CONCURRENCY}, fake latency "
        f"{TTFT * 1000:.0f} ms + {PER_TOKEN * 1000:.2f} ms/token"
    )
    print(f"  (time to first token 0.2 s and 5 ms per token, scaled by 1/{SCALE})")
    rows = [
        ("articles repaired", f"{s['statuses']['repaired']:,}"),
        ("requests sent", f"{s['requests']:,}"),
        ("answered from the store", f"{s['cache_hits']:,}"),
        ("server time, summed", f"{server_time:.1f} s"),
        (f"bound (sum / {CONCURRENCY})", f"{bound:.1f} s"),
        ("wall", f"{wall:.1f} s"),
        ("requests per second", f"{s['requests'] / wall:.1f} (bound {s['requests'] / bound:.1f})"),
    ]
    for name, value in rows:
        print(f"  {name:<26} {value:>18}")
    print(f"  achieved / bound           {bound / wall:>18.2f}   target >= 0.9\n")


def fixed_latency(work: Path, variants: list[tuple[str, list[str]]], rounds: int) -> None:
    src = work / "fixed.jsonl"
    make_jsonl(src, FIXED_ARTICLES, seed=5, bad=False)
    bound = FIXED_CONCURRENCY / FIXED_LATENCY
    print(
        f"fixed latency: {FIXED_ARTICLES} articles, --concurrency {FIXED_CONCURRENCY}, "
        f"{FIXED_LATENCY * 1000:.0f} ms per request whatever its size: bound {bound:.0f}/s; "
        f"{rounds} round(s), side by side"
    )
    print(
        f"  {'client':<32} {'req/s':>6} {'CPU ms a request: client':>25} {'checkers':>9} "
        f"{'server':>7} {'cores at bound':>15} {'/ bound':>8} {'/ ceiling':>10}"
    )
    ratios: dict[str, list[tuple[float, float]]] = {}
    for _ in range(rounds):
        with Server(FIXED_LATENCY) as server:
            requests = FIXED_ARTICLES * 2
            before = server.cpu_s()
            argv = [server.base_url, str(requests), str(FIXED_CONCURRENCY)]
            done = subprocess.run(
                [sys.executable, __file__, "--sdk-only", json.dumps(argv)],
                env={**os.environ, "OPENAI_API_KEY": "bench-not-a-key"},
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"the SDK-only client failed:\n{done.stderr[-2000:]}")
            sdk = json.loads(done.stdout.splitlines()[-1])
            ceiling = sdk["rate"]
            server_ms = 1000 * (server.cpu_s() - before) / requests
            rows = [("SDK calls only (the ceiling)", ceiling, sdk["cpu_ms"], 0.0, server_ms)]
            for name, options in variants:
                before = server.cpu_s()
                out = work / f"out-fixed-{time.monotonic_ns()}"
                concurrency = ["--concurrency", str(FIXED_CONCURRENCY)]
                result = run_batch(src, out, server, *concurrency, *options)
                s = result["summary"]
                count = max(s["requests"], 1)
                server_ms = 1000 * (server.cpu_s() - before) / count
                client_ms = 1000 * result["cpu_s"] / count
                checker_ms = 1000 * result["children_cpu_s"] / count
                rate = s["requests"] / s["duration_s"]
                rows.append((name, rate, client_ms, checker_ms, server_ms))
                ratios.setdefault(name, []).append((rate / bound, rate / ceiling))
        for name, rate, client_ms, checker_ms, server_ms in rows:
            cores = (client_ms + checker_ms + server_ms) * bound / 1000
            print(
                f"  {name:<32} {rate:>6.1f} {client_ms:>22.1f} ms {checker_ms:>6.1f} ms "
                f"{server_ms:>4.1f} ms {cores:>15.2f} {rate / bound:>8.2f} "
                f"{rate / ceiling:>10.2f}"
            )
    for name, pairs in ratios.items():
        to_bound = [a for a, _ in pairs]
        to_ceiling = [b for _, b in pairs]
        print(
            f"  {name}: achieved / bound {min(to_bound):.2f}-{max(to_bound):.2f}, "
            f"/ ceiling {min(to_ceiling):.2f}-{max(to_ceiling):.2f}"
        )
    print(
        f"  CPU ms a request: the batch process's own (start-up included), its checker "
        f"processes', the fake server's; cores at bound: what those take at {bound:.0f} "
        f"requests a second ({os.cpu_count()} cores here, shared with whatever else runs). "
        "Target: achieved / bound >= 0.9\n"
    )


def memory(work: Path) -> None:
    print("memory: peak RSS of one batch process, tiny articles, no latency")
    print(f"  {'articles':>8} {'wall':>8} {'peak RSS':>10} {'requests':>9} {'from store':>11}")
    peaks = []
    with Server() as server:
        for size in MEMORY_SIZES:
            src = work / f"tiny-{size}.jsonl"
            tiny_archive(src, size)
            options = ["--concurrency", "16", "--no-glossary"]
            result = run_batch(src, work / f"out-{size}", server, *options)
            s = result["summary"]
            peaks.append(result["peak_kb"])
            print(
                f"  {size:>8,} {s['duration_s']:>7.1f}s {result['peak_kb'] / 1024:>8.1f}MB "
                f"{s['requests']:>9,} {s['cache_hits']:>11,}"
            )
    print(
        f"  {MEMORY_SIZES[1]:,} / {MEMORY_SIZES[0]:,} peak RSS"
        f"{peaks[1] / peaks[0]:>14.2f}   target <= 1.2"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="Throughput and memory of repair batch.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--sdk-only", help=argparse.SUPPRESS)
    parser.add_argument(
        "--only", choices=("throughput", "fixed", "memory"), help="run one part of the bench"
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="rounds of the fixed-latency part (default 2)"
    )
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))
    if args.sdk_only:
        return sdk_only(json.loads(args.sdk_only))
    if args.serve:
        return serve(json.loads(args.serve))
    started = time.perf_counter()
    print(f"repair batch benchmark ({os.cpu_count()} cores)\n")
    fixed_variants = [
        ("checks in a thread (--workers 0)", ["--workers", "0"]),
        (f"checks in {default_workers()} process(es)", []),  # repair batch's default
    ]
    with tempfile.TemporaryDirectory() as folder:
        if args.only in (None, "throughput"):
            throughput(Path(folder))
        if args.only in (None, "fixed"):
            fixed_latency(Path(folder), fixed_variants, args.rounds)
        if args.only in (None, "memory"):
            memory(Path(folder))
    print(f"\n(took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
