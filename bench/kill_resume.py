"""`kill -9` a batch at random moments, rerun it, and compare with an uninterrupted run.

    python bench/kill_resume.py --articles 300 --kills 3

1. Builds an archive (bench/make_archive.py), starts the fake server with no random faults
   (so the answers are deterministic) and a request log, and runs the batch once, whole.
2. Starts a fresh fake server, runs the same batch into another folder and kills it with
   SIGKILL at random moments (after a random number of finished articles, plus a random
   few milliseconds, so kills land mid-request); after each kill it notes how many
   requests the server had received but not yet answered. Then reruns it to the end.
3. Compares the two output trees byte for byte (bench/verify_batch.py) and the request
   counts: the killed job may repeat at most the requests in flight at each kill.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from make_archive import make_folder  # noqa: E402
from verify_batch import compare, verify  # noqa: E402

from repair.batch.archive import count_articles  # noqa: E402
from repair.batch.store import STORE_NAME  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(self, log: Path, ttft: float) -> None:
        self.port, self.log = free_port(), log
        argv = ["--port", str(self.port), "--ttft", str(ttft), "--log", str(log)]
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "batch.py"), "--serve", json.dumps(argv)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # connections reset by the killed client, as expected
        )
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port)).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the fake server did not start")

    def answered(self) -> int:
        """Chat requests answered (the --log file has a line per finished request)."""
        return len(self.log.read_text().splitlines()) if self.log.exists() else 0

    def received(self) -> int:
        url = f"http://127.0.0.1:{self.port}/_fake/log"
        with urllib.request.urlopen(url) as reply:
            entries = json.load(reply)
        return sum(e["path"].endswith("/chat/completions") for e in entries)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def batch(src: Path, out: Path, server: Server, concurrency: int) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "repair", "batch", str(src), "--out", str(out)]
    argv += ["--base-url", f"http://127.0.0.1:{server.port}/v1", "--model", "fake-repair"]
    argv += ["--concurrency", str(concurrency), "--max-chars", "20000", "--progress", "none"]
    env = {**os.environ, "OPENAI_API_KEY": "kill-test-not-a-key"}
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stored(out: Path) -> int:
    """Answers in the job's store: a request is in flight until its answer is stored."""
    path = out / STORE_NAME
    if not path.exists():
        return 0
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT count(*) FROM responses").fetchone()[0])
    finally:
        db.close()


def finished(out: Path) -> int:
    manifest = out / "manifest.jsonl"
    return len(manifest.read_text().splitlines()) if manifest.exists() else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--ttft", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--work", type=Path, help="keep everything here (default: a temp dir)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = args.work or Path(tempfile.mkdtemp(prefix="kill-resume-"))
    src = work / "archive"
    make_folder(src, args.articles, seed=5)
    total = count_articles(src)
    print(f"archive {src}: {total} articles; seed {args.seed}; concurrency {args.concurrency}")

    server = Server(work / "clean.log", args.ttft)
    started = time.monotonic()
    code = batch(src, work / "clean", server, args.concurrency).wait()
    clean_requests = server.answered()
    server.stop()
    print(
        f"uninterrupted: exit {code}, {clean_requests} requests, {time.monotonic() - started:.1f}s"
    )

    server = Server(work / "killed.log", args.ttft)
    out = work / "killed"
    in_flight_total = 0
    for kill in range(1, args.kills + 1):
        done = finished(out)
        target = rng.randint(done + 1, max(done + 1, done + (total - done) // 2))
        received, kept = server.received(), stored(out)
        process = batch(src, out, server, args.concurrency)
        while finished(out) < target and process.poll() is None:
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.2))
        if process.poll() is not None:
            print(f"kill {kill}: the run had finished already")
            continue
        process.send_signal(signal.SIGKILL)
        process.wait()
        at_server = server.received() - server.answered()
        # Sent by this process but never stored: answered too late, or not at all.
        in_flight = (server.received() - received) - (stored(out) - kept)
        in_flight_total += in_flight
        print(
            f"kill {kill}: SIGKILL after {finished(out)} manifest lines; {in_flight} request(s) "
            f"in flight (sent, answer not yet stored; {at_server} still at the server)"
        )
        time.sleep(args.ttft * 4 + 0.5)  # let the server finish (and log) the orphans
    code = batch(src, out, server, args.concurrency).wait()
    time.sleep(0.2)
    killed_requests = server.answered()
    server.stop()
    print(f"rerun to the end: exit {code}")
    print(
        f"requests: uninterrupted {clean_requests}, killed + resumed {killed_requests} "
        f"(bound {clean_requests} + {in_flight_total} in flight at the kills = "
        f"{clean_requests + in_flight_total})"
    )
    problems = verify(src, out) + compare(src, out, work / "clean")
    if killed_requests > clean_requests + in_flight_total:
        problems.append("more requests than the bound")
    for problem in problems:
        print(f"  PROBLEM {problem}")
    print("byte-identical outputs, requests within the bound" if not problems else "FAILED")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
