"""`repair batch --engine ray` beside `--engine local`, on this machine, in one run.

    python bench/ray.py --articles 300

1. Same answers: the archive (bench/make_archive.py) through `--engine local` and
   `--engine ray --ray-workers 2`, each against a fresh fake server that enforces a rate
   limit of its own (requests per window) while the job asks for 90% of it (--rpm).
   Compares the outputs byte for byte and the manifests entry by entry (less the clock
   and the fake's prompt cache), and prints the endpoint's peak requests per window and
   its 429s for each engine.
2. Killed midway: a Ray job's driver (`repair batch`, which started a local Ray) is
   killed with SIGKILL a third of the way in, then rerun to the end. Every article has a
   dateline of its own: no request of the rerun names an article finished before the
   kill. Outputs are compared with the uninterrupted Ray run.
3. Throughput: an endpoint that answers at once, no rate limit: the run is CPU work (the
   pipeline, mostly validation). Articles per second with the local engine (one process)
   and with 2 Ray workers, timed inside the job (Ray's start-up left out) and whole.
4. Overhead: a 10-article archive, whole command, local vs Ray (start-up included).
5. Validation alone (the CPU that more machines add): `repair.validate` over each article
   and its repair from step 1, in this process vs spread over 2 Ray actors (warm).

The fake server runs in this process (threads), sharing the machine's cores with the job:
figures are for comparing the engines side by side, not absolute.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from common import table  # noqa: E402
from make_archive import make_folder  # noqa: E402
from verify_batch import compare, verify  # noqa: E402

import repair  # noqa: E402
from repair.batch.archive import count_articles  # noqa: E402
from repair.batch.store import STORE_NAME  # noqa: E402
from repair.testing.fake import FakeServer, Logged  # noqa: E402

# This file is bench/ray.py: with its folder on the path, `import ray` would import it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

KEY = "bench-ray-not-a-key"
DATELINE = re.compile(r"Archive item (\d+), filed")


def command(src: Path, out: Path, server: FakeServer, engine: str, *extra: str) -> list[str]:
    argv = [sys.executable, "-m", "repair", "batch", str(src), "--out", str(out)]
    argv += ["--base-url", server.base_url, "--model", "fake-repair", "--engine", engine]
    argv += ["--max-chars", "20000", "--progress", "none", "--json", *extra]
    if engine == "ray":
        argv += ["--ray-workers", "2"]
    return argv


def start(argv: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "OPENAI_API_KEY": KEY}
    # A session of its own: a kill takes the driver, its local Ray and the workers at once.
    return subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def run(argv: list[str]) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    process = start(argv)
    stdout, _ = process.communicate(timeout=1800)
    wall = time.perf_counter() - started
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)}: exit {process.returncode}")
    return json.loads(stdout), wall


def chat(server: FakeServer) -> list[Logged]:
    return sorted(server.chat_requests(), key=lambda r: r.at)


def peak(times: list[float], window: float) -> int:
    """The most requests that arrived within any `window` seconds."""
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


def entries(out: Path) -> list[dict[str, Any]]:
    found = []
    for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        entry.pop("duration_s")
        entry["usage"].pop("cached_tokens")  # which request meets the prefix first varies
        found.append(entry)
    return found


def same_answers(work: Path, src: Path, args: argparse.Namespace) -> list[str]:
    limit, window = args.limit, args.window
    rpm = 0.9 * limit * 60 / window
    print(f"\n1. the same archive, both engines; the endpoint allows {limit} requests per")
    print(f"   {window:g} s ({limit * 60 / window:g} a minute); the job asks for --rpm {rpm:g}")
    rows, problems = [], []
    for engine in ("local", "ray"):
        with FakeServer(ttft=args.ttft, limit_requests=limit, limit_window=window) as server:
            argv = command(src, work / engine, server, engine, "--rpm", f"{rpm:g}")
            summary, wall = run([*argv, "--concurrency", "8"])
            sent = chat(server)
        top = peak([r.at for r in sent], window)
        refused = sum(r.status == 429 for r in sent)
        rows.append(
            [
                engine,
                f"{wall:.1f}",
                summary["statuses"]["repaired"],
                len(sent),
                f"{top} / {limit}",
                refused,
            ]
        )
        if top > limit:
            problems.append(f"{engine}: {top} requests in {window:g} s, over the limit {limit}")
    headers = ["engine", "wall s", "repaired", "requests", f"peak per {window:g} s", "429s"]
    print(table(headers, rows))
    problems += verify(src, work / "ray") + compare(src, work / "ray", work / "local")
    ray_entries, local_entries = entries(work / "ray"), entries(work / "local")
    differ: dict[str, int] = {}
    for mine, theirs in zip(ray_entries, local_entries, strict=False):
        for field in mine:
            differ[field] = differ.get(field, 0) + (mine[field] != theirs[field])
    differ = {field: n for field, n in differ.items() if n}
    print(
        f"manifest entries (less duration, cached tokens), fields that differ: {differ or 'none'}"
    )
    # `retries` counts transport retries (a 429, a timeout): which request met one is the
    # clock's doing, not the engine's. `cache_hits`: the local job answers a request that
    # another article already made from its store; Ray workers do not share the store.
    if set(differ) - {"retries", "cache_hits"} or len(ray_entries) != len(local_entries):
        problems.append(f"the manifests differ: {differ}")
    return problems


def finished_before(out: Path) -> dict[str, str]:
    """Origin -> status of every article the store holds as finished."""
    db = sqlite3.connect(f"file:{out / STORE_NAME}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT origin, status FROM articles WHERE entry IS NOT NULL")
        return {str(origin): str(status) for origin, status in rows.fetchall()}
    finally:
        db.close()


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _outlived(session: int, patience: float) -> tuple[list[str], float]:
    """The processes of `session` still running after `patience` s, and when they went."""
    started = time.monotonic()
    while True:
        left = [_name(pid) for pid in _pids() if _session(pid) == session]
        waited = time.monotonic() - started
        if not left or waited > patience:
            return left, waited
        time.sleep(0.2)


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()[-40:]
    except OSError:
        return "?"


def _session(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except OSError:
        return None


def number_of(origin: str) -> int | None:
    found = re.search(r"item-(\d+)\.", origin)
    return int(found.group(1)) if found else None


def entries_requests(out: Path) -> int:
    """Requests an uninterrupted run made: its manifest's calls (no retries here)."""
    return sum(e["calls"] for e in entries(out))


def killed(work: Path, src: Path, args: argparse.Namespace) -> list[str]:
    total = count_articles(src)
    print("\n2. a Ray job's driver killed with SIGKILL a third of the way in, then rerun")
    out = work / "killed"
    problems = []
    with FakeServer(ttft=args.ttft) as server:
        # Connections the killed workers leave half-sent are expected: no traceback.
        server._httpd.handle_error = lambda *_: None  # type: ignore[method-assign]
        argv = [*command(src, out, server, "ray"), "--concurrency", "8"]
        process = start(argv)
        live = out / "manifest.jsonl"
        while process.poll() is None:
            lines = len(live.read_text().splitlines()) if live.exists() else 0
            if lines >= total // 3:
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)  # the driver: `kill -9` of the command
        process.wait()
        at_kill = len(server.user_messages)
        time.sleep(3.0)  # requests already on the wire finish; nothing else may come
        orphans = len(server.user_messages) - at_kill
        left, gone_after = _outlived(process.pid, 30.0)
        done = {o for o, status in finished_before(out).items() if status != "skipped"}
        gone = f"all gone 3 + {gone_after:.1f} s after it" if not left else f"left: {left}"
        print(
            f"killed after {len(done)} of {total} articles finished; {at_kill} requests so "
            f"far; {orphans} arrived in the 3 s after the kill; its Ray processes {gone}"
        )
        before_rerun = len(server.user_messages)
        summary, _ = run(argv)
        asked = server.user_messages[before_rerun:]
        rerun_requests = len(asked)
        total_requests = len(server.user_messages)
        # Ray's own agents (no requests) may take a minute to go; a worker may not linger.
        workers = [name for name in left if "RepairStage" in name or "Limiter" in name]
        if workers:
            problems.append(f"workers of the killed job still running after 30 s: {workers}")
    again = {int(m.group(1)) for message in asked for m in DATELINE.finditer(message)} & {
        n for n in map(number_of, done) if n is not None
    }
    print(
        f"rerun: {summary['reused']} articles reused, {rerun_requests} requests; "
        f"articles finished before the kill and asked about again: {len(again)}"
    )
    clean = entries_requests(work / "ray")
    print(
        f"requests, killed + rerun: {total_requests}; uninterrupted: {clean}; asked twice: "
        f"{total_requests - clean} (the articles in flight at the kill, redone whole)"
    )
    if again:
        problems.append(f"{len(again)} finished articles were asked about again")
    if summary["reused"] != len(done):
        problems.append(f"reused {summary['reused']} but {len(done)} were finished")
    return problems + verify(src, out) + compare(src, out, work / "ray")


def throughput(work: Path, src: Path, args: argparse.Namespace) -> None:
    print("\n3. throughput with an endpoint that answers at once (CPU-bound: pipeline, validation)")
    rows = []
    base: float | None = None
    for engine in ("local", "ray"):
        with FakeServer() as server:
            argv = command(src, work / f"fast-{engine}", server, engine, "--concurrency", "16")
            summary, wall = run(argv)
        done = summary["statuses"]["repaired"] + summary["statuses"]["flagged"]
        rate = done / summary["duration_s"]
        base = base or rate
        rows.append(
            [
                engine if engine == "local" else "ray, 2 workers",
                done,
                f"{summary['duration_s']:.1f}",
                f"{rate:.1f}",
                f"{rate / base:.2f}",
                f"{wall:.1f}",
            ]
        )
    headers = ["engine", "articles", "job s", "articles/s", "ratio", "wall s"]
    print(table(headers, rows))


class Validator:
    """A Ray actor's body for the validation bench: `repair.validate` over pairs."""

    def __init__(self) -> None:
        repair.validate("Warm up: word lists load once.", "Warm up: word lists load once.")

    def run(self, pairs: list[tuple[str, str]]) -> int:
        return sum(repair.validate(source, repaired).ok for source, repaired in pairs)


def _warm() -> None:
    repair.validate("Warm up: word lists load once.", "Warm up: word lists load once.")


def _validate(pairs: list[tuple[str, str]]) -> int:
    return sum(repair.validate(source, repaired).ok for source, repaired in pairs)


def validation(work: Path, src: Path) -> None:
    """The CPU part alone: each article against its repair, one process vs 2 Ray actors."""
    import ray

    pairs = []
    for path in sorted((work / "local").rglob("*")):
        relative = path.relative_to(work / "local")
        if path.is_file() and not path.name.startswith(".") and path.name != "manifest.jsonl":
            try:
                source = (src / relative).read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # the odd encodings: decoded by the job, not here
            pairs.append((source, path.read_text(encoding="utf-8")))
    pairs *= 2
    print(f"\n5. validation alone: {len(pairs)} (article, repair) pairs, repair.validate;")
    print("   best of 3 rounds, side by side")
    local = Validator()
    parts = [pairs[i : i + 20] for i in range(0, len(pairs), 20)]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    # The control, without Ray: what the machine gives two plain processes right now.
    pool = multiprocessing.get_context("spawn").Pool(2, initializer=_warm)
    try:
        actors = [ray.remote(num_cpus=1)(Validator).remote() for _ in range(2)]
        ray.get([a.run.remote([]) for a in actors])  # both up and warm
        pool.map(_validate, [[]] * 2)
        times: dict[str, list[float]] = {"one": [], "ray": [], "plain": []}
        for _ in range(3):  # rounds, side by side; the best of each (the machine is shared)
            started = time.perf_counter()
            local.run(pairs)
            times["one"].append(time.perf_counter() - started)
            started = time.perf_counter()
            ray.get([actors[i % 2].run.remote(part) for i, part in enumerate(parts)])
            times["ray"].append(time.perf_counter() - started)
            started = time.perf_counter()
            pool.map(_validate, parts)
            times["plain"].append(time.perf_counter() - started)
    finally:
        pool.terminate()
        ray.shutdown()
    one, two, plain = min(times["one"]), min(times["ray"]), min(times["plain"])
    rows = [
        ["one process", f"{one:.1f}", f"{len(pairs) / one:.1f}", "1.00"],
        ["2 Ray workers", f"{two:.1f}", f"{len(pairs) / two:.1f}", f"{one / two:.2f}"],
        ["2 processes, no Ray", f"{plain:.1f}", f"{len(pairs) / plain:.1f}", f"{one / plain:.2f}"],
    ]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average during the bench (1, 5, 15 min): {load}")
    print(table(["validation", "s", "pairs/s", "ratio"], rows))


def overhead(work: Path) -> None:
    small = work / "small"
    make_folder(small, 10, seed=9, most=3, bad=False)
    print("\n4. Ray's overhead on a 10-article archive (whole command, start-up included)")
    rows = []
    for engine in ("local", "ray"):
        with FakeServer() as server:
            summary, wall = run(command(small, work / f"small-{engine}", server, engine))
        rows.append([engine, f"{summary['duration_s']:.1f}", f"{wall:.1f}"])
    print(table(["engine", "job s", "wall s"], rows))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--limit", type=int, default=20, help="requests the endpoint allows")
    parser.add_argument("--window", type=float, default=1.0, help="... per this many seconds")
    parser.add_argument("--ttft", type=float, default=0.05)
    parser.add_argument("--work", type=Path, help="keep everything here (default: a temp dir)")
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=["same", "kill", "speed", "small", "validate"]
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-ray-"))
    src = work / "archive"
    if not src.exists():
        make_folder(src, args.articles, seed=5)
    print(f"archive {src}: {count_articles(src)} articles ({os.cpu_count()} CPUs here)")
    problems = []
    if "same" not in args.skip:
        problems += same_answers(work, src, args)
    if "kill" not in args.skip:
        problems += killed(work, src, args)
    if "speed" not in args.skip:
        throughput(work, src, args)
    if "small" not in args.skip:
        overhead(work)
    if "validate" not in args.skip and (work / "local").exists():
        validation(work, src)
    for problem in problems:
        print(f"  PROBLEM {problem}")
    print("\nall checks passed" if not problems else "\nFAILED")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
