"""Throughput and memory of `repair batch`, against the fake server in a process of its own.

    python bench/batch.py            # about a minute and a half on 2 cores

1. Throughput. A few hundred articles through the fake server's latency model (time to
   first token 0.2 s and 5 ms per output token, both scaled down by 2 to keep the run
   short) at --concurrency 8. The bound is what 8 requests in flight at every moment
   would achieve: the server's time summed over all requests, divided by 8. Prints the
   achieved fraction of that bound (target: at least 0.9).
2. Memory. Peak RSS (ru_maxrss) of one batch process for 10,000 tiny articles, divided by
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

SCALE = 2  # the latency model, scaled down
TTFT, PER_TOKEN = 0.2 / SCALE, 0.005 / SCALE
CONCURRENCY = 8
THROUGHPUT_ARTICLES = 240
MEMORY_SIZES = (1_000, 10_000)


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
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    summary = json.loads(printed.getvalue())
    print(json.dumps({"code": code, "summary": summary, "peak_kb": peak_kb}))
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
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))
    if args.serve:
        return serve(json.loads(args.serve))
    started = time.perf_counter()
    print(f"repair batch benchmark ({os.cpu_count()} cores)\n")
    with tempfile.TemporaryDirectory() as folder:
        throughput(Path(folder))
        memory(Path(folder))
    print(f"\n(took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
