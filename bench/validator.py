"""How well and how fast the validator works, over the golden suite.

    python bench/validator.py

Prints detection recall per issue kind on the fact-changing mutations, the false-alarm
rate on fact-preserving edits and on the reference repairs (input vs reference), the
speed of one validation of the seed article (input vs reference): as a long-running
process meets a new article (word caches warmed by the other cases, nothing of the seed
cached), and in a fresh process with every cache empty; and time against length: the
seed's paragraphs joined into one (a wall of text), at 1, 2, 4 and 8 times its length,
with the ratio of each time to the first (linear: the ratio is the length).
"""

from __future__ import annotations

import importlib
import pkgutil
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import repair.facts
import repair.validation
from repair.formats.text import segment
from repair.testing.golden import GoldenCase, apply_mutation, load_cases
from repair.validation import check

SEED = "putin-trump"
RUNS = 20
LENGTHS = (1, 2, 4, 8)
LENGTH_RUNS = 5


def clear_caches() -> None:
    """Empty every cache of the fact readers and the checks, as in a fresh process."""
    modules = [
        importlib.import_module(info.name)
        for package in (repair.facts, repair.validation)
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + ".")
    ]
    for module in modules:
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def _timed(source: str, repaired: str) -> float:
    start = time.perf_counter()
    check(source, repaired)
    return time.perf_counter() - start


def main() -> int:
    cases = [c for c in load_cases() if c.reference is not None]
    caught: Counter[str] = Counter()
    planted: Counter[str] = Counter()
    missed: list[str] = []
    alarms: list[str] = []
    preserving = 0
    for case in cases:
        assert case.reference is not None
        for m in case.mutations.mutations if case.mutations else []:
            kinds = {
                i.kind
                for i in check(
                    case.reference, apply_mutation(case.reference, m), case.format
                ).issues
            }
            if m.kind == "none":
                preserving += 1
                if kinds:
                    alarms.append(f"{case.name}:{m.id} -> {sorted(kinds)}")
                continue
            planted[m.kind] += 1
            if m.kind in kinds:
                caught[m.kind] += 1
            else:
                missed.append(f"{case.name}:{m.id} ({m.kind}) -> {sorted(kinds) or 'no issue'}")
    flagged = [c.name for c in cases if not check(c.input, c.reference or "", c.format).ok]

    print(f"golden cases: {len(cases)}")
    print("\ndetection recall on fact-changing mutations")
    for kind in sorted(planted):
        print(
            f"  {kind:<10} {caught[kind]:>3}/{planted[kind]:<3} {caught[kind] / planted[kind]:6.1%}"
        )
    total = sum(planted.values())
    hits = sum(caught.values())
    print(f"  {'all':<10} {hits:>3}/{total:<3} {hits / max(total, 1):6.1%}")
    for line in missed:
        print(f"    missed {line}")
    print("\nfalse alarms")
    rate = len(alarms) / max(preserving, 1)
    print(f"  fact-preserving edits    {len(alarms):>3}/{preserving:<3} {rate:6.1%}")
    for line in alarms:
        print(f"    {line}")
    share = len(flagged) / len(cases)
    print(f"  reference repairs        {len(flagged):>3}/{len(cases):<3} {share:6.1%}")
    for name in flagged:
        print(f"    {name}")

    seed = next(c for c in cases if c.name == SEED)
    others = [c for c in cases if c.name != SEED]
    first_seen, cold = [], []
    for _ in range(RUNS):
        # A process that has checked other articles sees this one for the first time:
        # its caches know common words, not this article's texts, names or word pairs.
        clear_caches()
        for c in others:
            check(c.input, c.reference or "", c.format)
        first_seen.append(_timed(seed.input, seed.reference or ""))
        clear_caches()
        cold.append(_timed(seed.input, seed.reference or ""))
    mean = statistics.mean(first_seen)
    print(f"\nspeed on {SEED} (input vs reference, {len(seed.input):,} characters, {RUNS} runs)")
    print(
        f"  first sight, after other articles: mean {mean * 1000:.1f} ms, {1 / mean:.1f} per second"
    )
    print(f"  in a fresh process (caches empty): mean {statistics.mean(cold) * 1000:.1f} ms")
    time_against_length(seed, others)
    return 0


def one_paragraph(text: str, times: int) -> str:
    """An article's paragraphs joined into one, the whole `times` over."""
    return " ".join([" ".join(p.text for p in segment(text).paragraphs)] * times)


def time_against_length(seed: GoldenCase, others: list[GoldenCase]) -> None:
    """The seed as one paragraph, longer and longer: validation should grow with it."""
    print(f"\ntime against length: {SEED} as one paragraph (input vs reference), first sight")
    header = f"  {'length':>6} {'characters':>11} {'time':>10} {'ratio':>6}"
    print(f"{header}   (linear: ratio = length)")
    first = 0.0
    for times in LENGTHS:
        source = one_paragraph(seed.input, times)
        repaired = one_paragraph(seed.reference or "", times)
        runs = []
        for _ in range(LENGTH_RUNS):
            clear_caches()
            for c in others:
                check(c.input, c.reference or "", c.format)
            runs.append(_timed(source, repaired))
        took = statistics.median(runs)
        first = first or took
        print(f"  {times:>5}x {len(source):>11,} {took * 1000:>7.0f} ms {took / first:>6.1f}")


if __name__ == "__main__":
    raise SystemExit(main())
