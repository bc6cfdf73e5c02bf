"""Check a finished `repair batch` run against its archive, and compare two runs.

    python bench/verify_batch.py SRC DIR                 # every article accounted for
    python bench/verify_batch.py SRC DIR --same-as DIR2  # and DIR2's outputs are identical

Checks that the manifest has one line per article of SRC, each with a status, and a reason
for every article not repaired; that repaired and flagged articles have an output and the
others none; that outputs + failed + skipped = articles; that no temporary file is left.
Exits 1 on any failure, and prints the counts either way.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from repair.batch import MANIFEST_NAME, ManifestEntry, output_jsonl
from repair.batch.archive import count_articles, is_jsonl


def outputs(out: Path, src: Path) -> dict[str, str]:
    """Output name -> sha256 of its bytes (no store, lock, manifest or hidden file)."""
    found = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and not path.name.startswith(".") and path.name != MANIFEST_NAME:
            found[path.relative_to(out).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def verify(src: Path, out: Path) -> list[str]:
    problems = []
    entries = [
        ManifestEntry.model_validate_json(line)
        for line in (out / MANIFEST_NAME).read_text(encoding="utf-8").splitlines()
    ]
    articles = count_articles(src, exclude=out)
    statuses = Counter(e.status for e in entries)
    reasons = Counter(e.reason for e in entries if e.status != "repaired")
    print(f"{src}: {articles:,} articles; {out}/{MANIFEST_NAME}: {len(entries):,} lines")
    for status in ("repaired", "flagged", "failed", "skipped"):
        print(f"  {status:<10} {statuses[status]:>7,}")
    print("  reasons    " + " · ".join(f"{r} {n:,}" for r, n in reasons.most_common()))
    if len(entries) != articles or len({e.source for e in entries}) != articles:
        problems.append(f"{articles} articles but {len(entries)} manifest lines")
    for e in entries:
        if e.status != "repaired" and not (e.reason and e.error):
            problems.append(f"{e.source}: {e.status} without a reason")
    written = outputs(out, src)
    if is_jsonl(src):
        lines = output_jsonl(src, out).read_text(encoding="utf-8").splitlines()
        with_text = sum(json.loads(line)["repaired_text"] is not None for line in lines)
        print(f"  output     {output_jsonl(src, out).name}: {len(lines):,} lines")
        if len(lines) != articles:
            problems.append(f"{len(lines)} output lines for {articles} articles")
    else:
        with_text = len(written)
        for e in entries:
            has = e.source in written
            if has != (e.status in ("repaired", "flagged")):
                problems.append(
                    f"{e.source}: {e.status} but output {'present' if has else 'absent'}"
                )
    total = with_text + statuses["failed"] + statuses["skipped"]
    print(
        f"  outputs {with_text:,} + failed {statuses['failed']:,} + skipped "
        f"{statuses['skipped']:,} = {total:,} (articles {articles:,})"
    )
    if total != articles:
        problems.append("outputs + failed + skipped != articles")
    leftovers = [p for p in out.rglob("*.tmp")]
    if leftovers:
        problems.append(f"{len(leftovers)} temporary files left, e.g. {leftovers[0]}")
    return problems


def compare(src: Path, out: Path, other: Path) -> list[str]:
    mine, theirs = outputs(out, src), outputs(other, src)
    differ = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))

    def statuses(folder: Path) -> dict[str, str]:
        lines = (folder / MANIFEST_NAME).read_text(encoding="utf-8").splitlines()
        entries = [ManifestEntry.model_validate_json(line) for line in lines]
        return {e.source: f"{e.status}/{e.reason}" for e in entries}

    mine_status, their_status = statuses(out), statuses(other)
    moved = sorted(s for s, v in mine_status.items() if their_status.get(s) != v)
    print(
        f"compared with {other}: {len(mine):,} vs {len(theirs):,} output files, "
        f"{len(differ)} differ; {len(moved)} manifest statuses differ"
    )
    return [f"differs: {name}" for name in differ[:10]] + [f"status: {s}" for s in moved[:10]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--same-as", type=Path, help="another run's DIR, to compare outputs")
    args = parser.parse_args(argv)
    problems = verify(args.src, args.out)
    if args.same_as:
        problems += compare(args.src, args.out, args.same_as)
    for problem in problems:
        print(f"  PROBLEM {problem}")
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
