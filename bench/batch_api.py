"""The Batch API path against the fake: side by side with live calls, and killed and resumed.

    python bench/batch_api.py faults --articles 500      # live vs --batch-api, with faults
    python bench/batch_api.py kills --articles 200       # kill -9 at four points, rerun

`faults`: one archive, repaired live (the fake with a per-request latency) and through the
Batch API (the fake's batches take `--batch-seconds` to run; the first batch fails, the
second has error lines, 2% of all other lines fail): every article in the manifest, the
outputs byte for byte the same, the cost at each rate, requests and wall time. Then the
same with the glossary call and the re-asks sent live, to measure that choice.

`kills`: `repair batch --batch-api` as a process, killed with SIGKILL while the provider
holds its answer to an upload, to a batch creation, while batches run (polling) and
while an output file downloads; rerun each time, then to the end. The fake must have
created each batch once and run each request once, and the outputs must equal an
uninterrupted run's.
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from make_archive import make_folder  # noqa: E402
from verify_batch import compare, verify  # noqa: E402

from repair.batch import BatchSummary, run  # noqa: E402
from repair.batch.apijob import run_api  # noqa: E402
from repair.batch.rounds import Limits  # noqa: E402
from repair.config import RepairConfig  # noqa: E402
from repair.pricing import money  # noqa: E402
from repair.testing.fake import FakeServer  # noqa: E402

MODEL = "gpt-4o-mini"  # priced in both tables; the fake answers any model the same way


def config_for(server: FakeServer) -> RepairConfig:
    return RepairConfig(base_url=server.base_url, model=MODEL, api_key="bench-not-a-key")


def line(name: str, s: BatchSummary, wall: float, extra: str = "") -> None:
    statuses = " ".join(f"{k} {v}" for k, v in s.statuses.items() if v)
    print(f"  {name:<22} {statuses:<42} cost {money(s.cost_usd):>8}  wall {wall:6.1f}s  {extra}")


def faults(args: argparse.Namespace) -> int:
    work = args.work or Path(tempfile.mkdtemp(prefix="batch-api-"))
    src = work / "archive"
    make_folder(src, args.articles, seed=5)
    print(
        f"archive {src}: {args.articles} files; fake latency {args.ttft}s a request, "
        f"batches run {args.batch_seconds}s"
    )
    problems: list[str] = []
    with FakeServer(ttft=args.ttft) as server:
        started = time.perf_counter()
        live = run(src, work / "live", config_for(server))
        live_wall = time.perf_counter() - started
        live_requests = len(server.chat_requests())
    line("live", live, live_wall, f"{live_requests} requests")
    results = {}
    for name, glossary, faulty in (
        ("batch-api, faults", "live", True),
        ("batch-api, gloss. live", "live", False),
        ("batch-api, gloss. batch", "batch", False),
    ):
        with FakeServer(ttft=args.ttft, seed=1) as server:
            fake = server.batch_api
            fake.in_progress_s = args.batch_seconds
            if faulty:
                fake.line_error_rate = 0.02
                fake.script("failed", "line-errors")
            limits = Limits(poll_s=args.poll, glossary=glossary)  # type: ignore[arg-type]
            out = work / name.replace(" ", "-").replace(".", "").replace(",", "")
            started = time.perf_counter()
            api = run_api(src, out, config_for(server), limits=limits)
            wall = time.perf_counter() - started
            seen = fake.seen()
            live_calls = len(server.chat_requests())
        statuses = collections.Counter(b["status"] for b in seen["batches"])
        line(
            name,
            api,
            wall,
            f"{seen['lines_answered']} lines run in {seen['created']} batches "
            f"({dict(statuses)}), {live_calls} live calls",
        )
        results[name] = (api, out)
        problems += compare(src, out, work / "live")
        problems += verify(src, out)
    api, out = results["batch-api, faults"]
    if api.cost_usd and live.cost_usd:
        print(f"  cost ratio batch/live: {api.cost_usd / live.cost_usd:.3f}")
    for name, summary in (("live", live), ("batch-api, faults", api)):
        u = summary.usage
        print(
            f"  tokens {name}: {u.prompt_tokens:,} prompt ({u.cached_tokens:,} cached), "
            f"{u.completion_tokens:,} completion"
        )
    for problem in problems:
        print("PROBLEM:", problem)
    print("ok: outputs identical to the live path's" if not problems else "FAILED")
    return 1 if problems else 0


def cli(src: Path, out: Path, server: FakeServer) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "repair", "batch", str(src), "--out", str(out), "--batch-api"]
    argv += ["--base-url", server.base_url, "--model", MODEL, "--poll", "0.1"]
    argv += ["--progress", "none", "--max-chars", "20000"]
    env = {**os.environ, "OPENAI_API_KEY": "kill-test-not-a-key"}
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kills(args: argparse.Namespace) -> int:
    work = args.work or Path(tempfile.mkdtemp(prefix="batch-api-kills-"))
    src = work / "archive"
    make_folder(src, args.articles, seed=5)
    with FakeServer() as server:
        server.batch_api.in_progress_s = args.batch_seconds
        started = time.perf_counter()
        code = cli(src, work / "clean", server).wait()
        clean = server.batch_api.seen()
    print(
        f"uninterrupted: exit {code}, {clean['created']} batches, "
        f"{clean['lines_answered']} requests run, {time.perf_counter() - started:.1f}s"
    )
    out = work / "killed"
    problems: list[str] = []
    with FakeServer() as server:
        fake = server.batch_api
        fake.in_progress_s = args.batch_seconds

        def count(what: str) -> int:
            seen = fake.seen()
            if what == "polling":
                return sum(b["status"] == "in_progress" for b in seen["batches"])
            return int(seen[what])

        for point, stall, watch in (
            ("after upload (the file stored, its id not yet recorded)", "upload", "uploads"),
            ("after create (the batch exists, its id not yet recorded)", "create", "created"),
            ("while polling (a batch in progress)", "", "polling"),
            ("while downloading an output file", "content", "contents"),
        ):
            before = count(watch) if watch != "polling" else 0
            fake.stall = {stall: 30.0} if stall else {}
            process = cli(src, out, server)
            while count(watch) <= before and process.poll() is None:
                time.sleep(0.005)
            if process.poll() is not None:
                print(f"kill {point}: the run had finished already")
                continue
            time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait()
            fake.stall = {}
            seen = fake.seen()
            print(f"killed {point}: {seen['created']} batches so far, {seen['uploads']} uploads")
        code = cli(src, out, server).wait()
        seen = fake.seen()
    per_submission = collections.Counter(
        (b["metadata"] or {}).get("repair_submission") for b in seen["batches"]
    )
    twice = [k for k, n in per_submission.items() if n > 1]
    ids = collections.Counter(c for b in seen["batches"] for c in b["custom_ids"])
    repeated = [c for c, n in ids.items() if n > 1]
    print(
        f"killed 4 times, then rerun: exit {code}; {seen['created']} batches created "
        f"({len(per_submission)} submissions), {seen['uploads']} uploads, "
        f"{seen['lines_answered']} requests run (uninterrupted: {clean['lines_answered']})"
    )
    if twice:
        problems.append(f"submissions created twice: {twice}")
    if repeated:
        problems.append(f"{len(repeated)} requests sent twice, e.g. {repeated[:3]}")
    if seen["lines_answered"] != clean["lines_answered"]:
        problems.append("the provider ran a different number of requests")
    problems += compare(src, out, work / "clean")
    problems += verify(src, out)
    for problem in problems:
        print("PROBLEM:", problem)
    print(
        "ok: each batch created once, each request run once, outputs identical"
        if not problems
        else "FAILED"
    )
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["faults", "kills"])
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--ttft", type=float, default=0.05, help="live: seconds a request")
    parser.add_argument("--batch-seconds", type=float, default=2.0, help="a batch's run time")
    parser.add_argument("--poll", type=float, default=0.2)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    return faults(args) if args.what == "faults" else kills(args)


if __name__ == "__main__":
    raise SystemExit(main())
