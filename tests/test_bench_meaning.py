"""bench/meaning.py runs against the fake server, quickly, and prints its tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_meaning_bench_runs_against_the_fake() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "meaning.py")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "recall" in out and "false alarms" in out
    assert "check share of the repair's tokens" in out


def test_the_written_set_has_as_many_fair_pairs_as_changed_ones() -> None:
    lines = (ROOT / "bench" / "data" / "meaning_pairs.jsonl").read_text(encoding="utf-8")
    kinds = [line.split('"kind": "')[1].split('"')[0] for line in lines.splitlines() if line]
    changed = [k for k in kinds if k != "none"]
    assert len(changed) >= 60 and kinds.count("none") == len(changed)
