"""Build a test archive for `repair batch` from the golden inputs.

    python bench/make_archive.py /tmp/archive --articles 2000            # a folder tree
    python bench/make_archive.py /tmp/archive.jsonl --articles 2000      # a JSONL file

Articles are runs of consecutive paragraphs of the golden inputs (so the fake server knows
their repairs), each under a dateline of its own (so no two ask the same thing), spread
over nested folders (year/month/section). About 2% are bad on purpose: empty, whitespace
only, binary, undecodable, oversize (for --max-chars 20000), and some decode only with
care: Windows-1251, Latin-1, Windows-1252, UTF-8 mojibake. The JSONL variant adds duplicate
ids, an id that climbs out of the folder ("../../etc/passwd"), a missing id, a line that
is not JSON and one that is JSON but not an object. Prints what it made, by kind.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from repair.formats.text import segment
from repair.resources import data_dir

SECTIONS = ("world", "business", "politics", "sport", "science", "culture")
OVERSIZE_CHARS = 30_000  # over the 20,000 the demonstration passes as --max-chars
RUSSIAN = "Газета написала: «Локомотив Трампа и локомотив Путина идут навстречу друг другу»."
ACCENTED = "The café owner in Zürich paid £40 for a crème brûlée, the señora said."


def golden_paragraphs() -> list[list[str]]:
    root = data_dir("golden")
    cases = sorted(p for p in root.iterdir() if (p / "input.txt").is_file())
    return [
        [p.text for p in segment((c / "input.txt").read_text(encoding="utf-8")).paragraphs]
        for c in cases
    ]


def article_text(
    rng: random.Random, cases: list[list[str]], number: int, most: int | None = None
) -> str:
    paragraphs = rng.choice(cases)
    size = rng.randint(1, min(len(paragraphs), most or len(paragraphs)))
    start = rng.randint(0, len(paragraphs) - size)
    dateline = f"Archive item {number}, filed {2018 + number % 7}-{1 + number % 12:02d}."
    return "\n\n".join([dateline, *paragraphs[start : start + size]]) + "\n"


def bad_kind(number: int, bad: bool = True) -> str | None:
    """Every 50th article is bad, cycling through the kinds (2% of the archive)."""
    kinds = (
        "empty",
        "whitespace",
        "binary",
        "cp1251",
        "latin-1",
        "cp1252",
        "mojibake",
        "oversize",
        "undecodable",
    )
    if not bad or number % 50 != 7:
        return None
    return kinds[(number // 50) % len(kinds)]


def encoded(kind: str | None, text: str, rng: random.Random) -> bytes:
    if kind is None:
        return text.encode("utf-8")
    if kind == "empty":
        return b""
    if kind == "whitespace":
        return b"  \n\n\t \n"
    if kind == "binary":
        return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(600)
    if kind == "undecodable":
        return b"Text that is \x81 no \x98 known encoding.\n"
    if kind == "oversize":
        body = text * (OVERSIZE_CHARS // len(text) + 1)
        return body.encode("utf-8")
    if kind == "cp1251":
        return (text + "\n" + RUSSIAN + "\n").encode("cp1251", "replace")
    if kind == "latin-1":
        straight: dict[str, str | int | None] = {"“": '"', "”": '"', "’": "'", "‘": "'", "–": "-"}
        plain = text.translate(str.maketrans(straight))
        return (plain + "\n" + ACCENTED + "\n").encode("latin-1", "replace")
    if kind == "cp1252":
        return (text + "\n" + ACCENTED + "\n").encode("cp1252", "replace")
    if kind == "mojibake":  # UTF-8 once read as Latin-1, then saved as UTF-8 again
        return (text + "\n" + ACCENTED + "\n").encode("utf-8").decode("latin-1").encode("utf-8")
    raise ValueError(kind)


def make_folder(
    out: Path, articles: int, seed: int, most: int | None = None, bad: bool = True
) -> Counter[str]:
    rng = random.Random(seed)
    cases = golden_paragraphs()
    made: Counter[str] = Counter()
    for number in range(articles):
        kind = bad_kind(number, bad)
        year, month = 2018 + number % 7, 1 + (number // 7) % 12
        folder = out / str(year) / f"{month:02d}" / SECTIONS[number % len(SECTIONS)]
        suffix = ".md" if number % 5 == 0 else ".txt"
        path = folder / f"item-{number:05d}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encoded(kind, article_text(rng, cases, number, most), rng))
        made[kind or "good"] += 1
    # Files a walk must leave alone: not articles.
    (out / "2018" / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + rng.randbytes(100))
    (out / "2018" / ".draft.txt").write_text("a hidden editor's draft\n", encoding="utf-8")
    return made


def make_jsonl(
    out: Path, articles: int, seed: int, most: int | None = None, bad: bool = True
) -> Counter[str]:
    rng = random.Random(seed)
    cases = golden_paragraphs()
    made: Counter[str] = Counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as lines:
        for number in range(articles):
            kind = bad_kind(number, bad)
            text = article_text(rng, cases, number, most)
            record: dict[str, object] = {
                "id": f"item-{number:05d}",
                "section": SECTIONS[number % len(SECTIONS)],
                "published": f"{2018 + number % 7}-{1 + number % 12:02d}-01",
                "text": text,
            }
            line: bytes
            if bad and number % 97 == 13:
                kind = "duplicate-id"
                record["id"] = f"item-{number - 1:05d}"
            if bad and number % 500 == 250:
                kind = "unsafe-id"
                record["id"] = "../../etc/passwd"
            if bad and number % 500 == 251:
                kind = "no-id"
                del record["id"]
            if kind in ("empty", "whitespace"):
                record["text"] = "" if kind == "empty" else " \n\t\n"
            if kind == "binary":
                record["text"] = "\x00\x01\x02PNG\x00" * 20
            if kind == "oversize":
                record["text"] = text * (OVERSIZE_CHARS // len(text) + 1)
            if kind == "mojibake":
                record["text"] = (text + ACCENTED).encode("utf-8").decode("latin-1")
            if kind == "cp1251":
                record["text"] = text + RUSSIAN
                line = json.dumps(record, ensure_ascii=False).encode("cp1251", "replace")
            elif kind == "undecodable":
                line = b'{"id": "item-' + str(number).encode() + b'", "text": "\x81\x98"}'
            elif kind in ("latin-1", "cp1252"):
                record["text"] = text + ACCENTED
                line = json.dumps(record, ensure_ascii=False).encode(kind, "replace")
            else:
                line = json.dumps(record, ensure_ascii=False).encode("utf-8")
            if bad and number % 500 == 252:
                kind, line = "bad-json", b'{"id": "broken", "text": "unterminated'
            if bad and number % 500 == 253:
                kind, line = "not-an-object", b'["a", "list"]'
            lines.write(line + b"\n")
            made[kind or "good"] += 1
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="a folder, or a file ending in .jsonl")
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-paragraphs", type=int, help="at most this many per article")
    parser.add_argument("--no-bad", action="store_true", help="good articles only")
    args = parser.parse_args(argv)
    make = make_jsonl if args.out.suffix == ".jsonl" else make_folder
    made = make(args.out, args.articles, args.seed, args.max_paragraphs, not args.no_bad)
    print(f"{args.out}: {sum(made.values())} articles")
    for kind, n in sorted(made.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {kind:<14} {n:>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
