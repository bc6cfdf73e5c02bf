"""`repair batch --rpm` against a server that enforces its limit over a window, as providers do.

    python bench/ratelimit.py                    # about a minute on 2 cores
    python bench/ratelimit.py --before 5a44987   # and the same with that commit's client

A few hundred short articles (bench/make_archive.py) go through `repair.batch.run`, in a
process of its own, against the fake server enforcing a rate limit itself: a sliding
window (any window of that length, the stricter kind) of 60 s, then of 10 s, and the
10-s window once more with no --rpm, the pace taken from the server's x-ratelimit headers.
The client is told the server's limit as --rpm, as a user would.

Time runs 10 times fast, so that the batch spans several windows in seconds: the limit is
120 requests a (scaled) minute, 1,200 a real one; a "60-s" window is 6 s of wall time
(120 requests) and a "10-s" one 1 s (20 requests). An even pace scales with time; what a
window sees of it does not change.

Prints for each: articles failed, 429s as a share of the requests the server saw, the
rate the server admitted (first to last admitted request) over its limit, and how bursty
the requests were: the most sent in any 6 (scaled) seconds over the share of 6 s. Targets:
0 failed, 429s <= 1%, rate >= 0.9. `--before REV` runs the same batches with the client
of another commit (its repair/ from `git archive`; the server is always this one's).
Never fails on a missed target.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# The batch child may run another commit's client (--before): it names that checkout.
# Imported before make_archive, which puts this checkout first on the path.
sys.path.insert(0, os.environ.get("REPAIR_BENCH_CLIENT", str(ROOT)))
import repair  # noqa: E402
from repair import batch  # noqa: E402
from repair.batch.models import BatchOptions  # noqa: E402
from repair.config import RepairConfig  # noqa: E402
from repair.testing.fake import FakeServer  # noqa: E402

sys.path.insert(0, str(HERE))
from make_archive import make_jsonl  # noqa: E402

SCALE = 10  # time runs this many times fast
LIMIT_RPM = 120 * SCALE  # requests a wall-clock minute
WINDOWS = (60.0, 10.0)  # seconds of scaled time
ARTICLES = 400
CONCURRENCY = 16
TTFT = 1.0 / SCALE  # a second to the first token, scaled
PER_TOKEN = 0.01 / SCALE
BURST = 6.0  # seconds of scaled time: a tenth of a minute


def child(args: dict[str, Any]) -> int:
    """One batch, in this process: print its summary as JSON."""
    config = RepairConfig(
        base_url=args["base_url"],
        model="fake-repair",
        concurrency=CONCURRENCY,
        api_key="bench-not-a-key",
    )
    options = BatchOptions(requests_per_minute=args["rpm"])
    summary = batch.run(args["src"], args["out"], config, options=options)
    print(json.dumps({"client": repair.__file__, **summary.model_dump(mode="json")}))
    return 0


def run(src: Path, out: Path, window: float, rpm: float | None, client: Path) -> dict[str, Any]:
    """A batch against a server enforcing LIMIT_RPM over `window` (scaled) seconds."""
    real_window = window / SCALE
    limit = round(LIMIT_RPM * real_window / 60.0)
    server = FakeServer(
        ttft=TTFT, per_token=PER_TOKEN, limit_requests=limit, limit_window=real_window
    )
    with server:
        args = {"base_url": server.base_url, "src": str(src), "out": str(out), "rpm": rpm}
        env = {**os.environ, "REPAIR_BENCH_CLIENT": str(client)}
        done = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(args)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the batch failed:\n{done.stderr[-2000:]}")
        summary = json.loads(done.stdout.splitlines()[-1])
        if not Path(summary["client"]).is_relative_to(client):
            raise RuntimeError(f"the batch ran {summary['client']}, not the client in {client}")
        requests = server.chat_requests()
    admitted = [r.at for r in requests if r.status != 429]
    span = admitted[-1] - admitted[0]
    sent = sorted(r.at for r in requests)
    burst = BURST / SCALE
    peak = max(bisect.bisect_left(sent, start + burst) - i for i, start in enumerate(sent))
    return {
        "failed": summary["statuses"]["failed"],
        "articles": summary["articles"],
        "requests": len(requests),
        "429s": len(requests) - len(admitted),
        "rate": (len(admitted) - 1) / span * 60.0 / LIMIT_RPM if span > 0 else 0.0,
        "peak": peak / (LIMIT_RPM * burst / 60.0),
        "wall": summary["duration_s"],
        "pauses": summary["rate_limit_pauses"],
    }


def checkout(rev: str, into: Path) -> Path:
    """`rev`'s package and data folders, unpacked from git into `into`."""
    archive = into / "before.tar"
    with archive.open("wb") as sink:
        subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev, "repair", "prompts", "golden"],
            stdout=sink,
            check=True,
        )
    target = into / "before"
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target


def report(name: str, results: list[tuple[str, dict[str, Any]]]) -> None:
    print(f"{name}:")
    print(
        f"  {'':<34} {'failed':>8} {'429s':>14} {'rate / limit':>13} "
        f"{'peak 6 s / share':>17} {'wall':>7} {'pauses':>7}"
    )
    for label, r in results:
        share = r["429s"] / r["requests"]
        failed = f"{r['failed']}/{r['articles']}"
        spent = f"{r['429s']}/{r['requests']} {share:>5.1%}"
        print(
            f"  {label:<34} {failed:>8} {spent:>14} {r['rate']:>13.2f} {r['peak']:>17.2f} "
            f"{r['wall']:>6.1f}s {r['pauses']:>7}"
        )
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description="repair batch under a server's rate limit.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--before", metavar="REV", help="also run this commit's client")
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))
    started = time.perf_counter()
    print(
        f"repair batch under a server's rate limit ({os.cpu_count()} cores): {ARTICLES} "
        f"articles, --concurrency {CONCURRENCY}, time {SCALE}x fast\n"
        f"limit {LIMIT_RPM // SCALE} requests a scaled minute ({LIMIT_RPM:,} rpm of wall "
        f"time), enforced over a sliding window\n"
        "targets: 0 failed, 429s <= 1% of requests, rate >= 0.9 of the limit\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        src = work / "articles.jsonl"
        make_jsonl(src, ARTICLES, seed=11, most=3, bad=False)
        clients = [("this client", ROOT)]
        if args.before:
            clients.append((f"client of {args.before}", checkout(args.before, work)))
        for which, (name, client) in enumerate(clients):
            results = []
            for number, (label, window, rpm) in enumerate(
                [
                    (f"{WINDOWS[0]:.0f}-s window, --rpm {LIMIT_RPM}", WINDOWS[0], LIMIT_RPM),
                    (f"{WINDOWS[1]:.0f}-s window, --rpm {LIMIT_RPM}", WINDOWS[1], LIMIT_RPM),
                    (f"{WINDOWS[1]:.0f}-s window, pace from headers", WINDOWS[1], None),
                ]
            ):
                out = work / f"out-{which}-{number}"
                results.append((label, run(src, out, window, rpm, client)))
            report(name, results)
    print(f"(took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
