"""Read an archive lazily: a folder of article files, or a JSONL file of articles.

Nothing is loaded ahead: the folder is walked one directory at a time (sorted, so every run
meets the articles in the same order), the JSONL file is read line by line, and a file or
line over the size limit is skipped without being read whole. Every article comes out,
good or bad: a bad one carries an `ArticleProblem` (a short reason and a sentence) instead
of text, so the batch records it and goes on. That holds for entries that are hostile
rather than merely bad: a file name that is not UTF-8, a link loop, a pipe or a folder
that cannot be listed, and JSONL text with lone surrogates (`"\\ud800"`), which no UTF-8
file or SQLite row can hold: one such entry used to stop the whole batch, on every rerun.
"""

from __future__ import annotations

import json
import os
import re
import stat
import unicodedata
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, NamedTuple

from repair.files import DecodeError, clean_text, decode
from repair.formats import SUFFIXES as FORMAT_SUFFIXES
from repair.formats import Format

SUFFIXES = tuple(FORMAT_SUFFIXES)  # .txt, .md, .html and their kin
# The JSONL fields that may hold an article's body, and the format of each.
BODY_FIELDS = {"text": Format.TEXT, "markdown": Format.MARKDOWN, "html": Format.HTML}
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonlines")
MAX_ID_CHARS = 200


class ArticleProblem(NamedTuple):
    """Why an article gets no repair: a code for the manifest's `reason`, and its words."""

    reason: str  # empty, binary, undecodable, oversize, ...; the job adds its own failures
    message: str


@dataclass(slots=True)
class Article:
    seq: int  # position in the archive, from 0
    origin: str  # where it came from: "news/a.txt" (relative to SRC) or "line 12"
    id: str | None
    text: str | None = None  # None when `problem` is set
    format: Format = Format.TEXT  # from the file's suffix, or the JSONL field it came from
    body_field: str = "text"  # JSONL: the field that holds the article
    fields: dict[str, Any] | None = None  # JSONL: the whole object, carried to the output
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    problem: ArticleProblem | None = None


def is_jsonl(src: Path) -> bool:
    return src.is_file() and src.suffix.lower() in JSONL_SUFFIXES


def read_archive(
    src: Path,
    *,
    max_chars: int,
    encoding: str | None = None,
    exclude: Path | None = None,
) -> Generator[Article, None, None]:
    """Every article of `src` in a stable order; `exclude` is a folder not to walk (DIR)."""
    if is_jsonl(src):
        yield from _read_jsonl(src, max_chars, encoding)
    else:
        for seq, (path, error) in enumerate(walk(src, exclude)):
            if error is not None:
                yield _unlistable(seq, src, path, error)
            else:
                yield _read_file(seq, src, path, max_chars, encoding)


def count_articles(src: Path, exclude: Path | None = None) -> int:
    """How many articles `read_archive` will yield (for progress), reading no article."""
    if is_jsonl(src):
        with src.open("rb") as lines:
            return sum(1 for _ in _lines(lines, 1 << 16) if _.strip())
    return sum(1 for _ in walk(src, exclude))


def walk(src: Path, exclude: Path | None = None) -> Iterator[tuple[Path, OSError | None]]:
    """The .txt, .md and .html files under `src`, sorted per folder, hidden ones left out,
    with None; and each folder that could not be listed, with its error, in walk order.

    os.walk passes over such a folder in silence by default; its articles would be lost
    without a word, so it becomes an entry of its own (skipped, with the reason).
    """
    skip = exclude.resolve() if exclude is not None else None
    failed: list[OSError] = []
    for folder, dirs, files in os.walk(src, onerror=failed.append):
        while failed:
            error = failed.pop(0)
            yield Path(error.filename or folder), error
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and _real(here / d) != skip)
        for name in sorted(files):
            if not name.startswith(".") and name.lower().endswith(SUFFIXES):
                yield here / name, None
    for error in failed:  # the last folder walked, or SRC itself
        yield Path(error.filename or src), error


def _real(path: Path) -> Path | None:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a link loop: Python 3.11 says RuntimeError
        return None


# --- files ----------------------------------------------------------------------------


def _read_file(seq: int, src: Path, path: Path, max_chars: int, encoding: str | None) -> Article:
    origin, named = _origin(src, path)
    fmt = FORMAT_SUFFIXES.get(path.suffix.lower(), Format.TEXT)
    article = Article(seq=seq, origin=origin, id=origin, format=fmt)
    if not named:
        # The name would reach the store, the manifest and the output path: none of them
        # can hold it. The origin shows the odd bytes as \xNN escapes instead.
        article.problem = ArticleProblem(
            "bad-name", "the file name is not valid UTF-8; rename the file to include it"
        )
        return article
    try:
        if path.is_symlink():
            real = _real(path)
            if real is None:
                article.problem = ArticleProblem("unreadable", "a link that leads round in a loop")
                return article
            if not real.is_relative_to(src.resolve()):
                article.problem = ArticleProblem("unsafe-path", "a link to a file outside SRC")
                return article
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            # A named pipe would block the batch for ever on read; a device never ends.
            article.problem = ArticleProblem("not-a-file", "not a regular file (a pipe or device)")
            return article
        # UTF-8 takes at most 4 bytes a character: a larger file is over the limit unread.
        if info.st_size > max_chars * 4:
            article.problem = _oversize(info.st_size, max_chars, "bytes")
            return article
        data = path.read_bytes()
    except OSError as exc:
        article.problem = ArticleProblem(
            "unreadable", f"cannot read the file: {exc.strerror or exc}"
        )
        return article
    return _checked(article, data, max_chars, encoding)


def _unlistable(seq: int, src: Path, path: Path, error: OSError) -> Article:
    origin, _ = _origin(src, path)
    origin = origin.rstrip("/") + "/"  # a folder: never the name of an output file
    return Article(
        seq=seq,
        origin=origin,
        id=origin,
        problem=ArticleProblem(
            "unreadable",
            f"cannot list the folder: {error.strerror or error}; its articles were not read",
        ),
    )


def _origin(src: Path, path: Path) -> tuple[str, bool]:
    """The path relative to SRC as text that UTF-8 can hold, and whether it is the name.

    os.walk hands a name that is not UTF-8 over with its odd bytes as lone surrogates
    (Python's surrogateescape); they are shown as \\xNN escapes instead.
    """
    relative = path.relative_to(src).as_posix() if path != src else "."
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(relative).decode("utf-8", "backslashreplace"), False
    return relative, True


def _checked(article: Article, data: bytes | str, max_chars: int, encoding: str | None) -> Article:
    try:
        if isinstance(data, bytes):
            text, used, notes = decode(data, encoding)
        else:
            (text, notes), used = clean_text(data), None
    except DecodeError as exc:
        article.problem = ArticleProblem(exc.reason, exc.message)
        return article
    article.encoding, article.notes = used, notes
    if _LONE_SURROGATE.search(text):  # a forced UTF-7 can decode to them
        article.problem = _surrogates()
    elif not text.strip():
        article.problem = ArticleProblem("empty", "the article is empty (nothing but whitespace)")
    elif len(text) > max_chars:
        article.problem = _oversize(len(text), max_chars, "characters")
    else:
        article.text = text
    return article


def _oversize(size: int, limit: int, unit: str) -> ArticleProblem:
    return ArticleProblem("oversize", f"{size:,} {unit} is over the limit of {limit:,} characters")


# --- JSONL ----------------------------------------------------------------------------


def _read_jsonl(src: Path, max_chars: int, encoding: str | None) -> Iterator[Article]:
    # A JSON string may spell a character as \\uXXXX (6 bytes): allow that, and a margin
    # for the other fields, before calling a line over the limit.
    limit = max_chars * 6 + (1 << 16)
    seq = 0
    with src.open("rb") as stream:
        for number, line in enumerate(_lines(stream, limit), 1):
            if not line.strip():
                continue  # a blank line is no article
            yield _jsonl_article(seq, number, line, max_chars, encoding)
            seq += 1


def _lines(stream: BinaryIO, limit: int) -> Iterator[bytes]:
    """Lines of at most `limit` bytes; a longer one comes out as b"\\0" (read, never held)."""
    while True:
        line = stream.readline(limit)
        if not line:
            return
        if len(line) == limit and not line.endswith(b"\n"):
            while (rest := stream.readline(limit)) and not rest.endswith(b"\n"):
                pass
            yield b"\0"
            continue
        yield line


def _jsonl_article(
    seq: int, number: int, line: bytes, max_chars: int, encoding: str | None
) -> Article:
    article = Article(seq=seq, origin=f"line {number}", id=None)
    if line == b"\0":
        article.problem = ArticleProblem("oversize", f"the line is over the limit of {max_chars:,}")
        return article
    try:
        raw, _, _ = decode(line, encoding)
        value = json.loads(raw)
    except DecodeError as exc:
        article.problem = ArticleProblem(exc.reason, exc.message)
        return article
    except ValueError as exc:
        article.problem = ArticleProblem("bad-json", f"not a JSON object: {exc}")
        return article
    if not isinstance(value, dict):
        article.problem = ArticleProblem("bad-json", "the line is JSON but not an object")
        return article
    if _has_surrogates(value):
        # Checked on the whole object: every field goes to the output line and the store.
        article.problem = _surrogates()
        return article
    article.fields = value
    ident = value.get("id")
    if isinstance(ident, bool) or not isinstance(ident, str | int):
        article.problem = ArticleProblem("no-id", 'the object has no "id" (a string or a number)')
        return article
    article.id = str(ident)
    unsafe = unsafe_id(article.id)
    if unsafe:
        article.problem = ArticleProblem("unsafe-id", unsafe)
        return article
    bodies = [name for name in BODY_FIELDS if isinstance(value.get(name), str)]
    if len(bodies) != 1:
        fields = '"text", "markdown" or "html"'
        article.problem = (
            ArticleProblem("no-text", f"the object has no {fields} string")
            if not bodies
            else ArticleProblem(
                "ambiguous-body", f"the object has {len(bodies)} of {fields}: keep one"
            )
        )
        return article
    article.body_field, article.format = bodies[0], BODY_FIELDS[bodies[0]]
    return _checked(article, value[bodies[0]], max_chars, encoding)


# Python joins a valid pair ("\\ud83d\\ude00") into one character: any left are lone.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogates(value: Any) -> bool:
    if isinstance(value, str):
        return _LONE_SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_surrogates(k) or _has_surrogates(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogates(item) for item in value)
    return False


def _surrogates() -> ArticleProblem:
    return ArticleProblem(
        "lone-surrogate",
        "the text holds a lone surrogate (such as \\ud800), which no UTF-8 file can hold",
    )


# --- ids ------------------------------------------------------------------------------

_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_id(ident: str) -> str | None:
    """Why `ident` is not safe to use as a relative path under DIR, or None if it is.

    JSONL output does not name files after ids, but downstream tools often do: an id that
    could climb out of a folder is refused outright rather than passed on.
    """
    if not ident.strip():
        return "the id is empty"
    if len(ident) > MAX_ID_CHARS:
        return f"the id is longer than {MAX_ID_CHARS} characters"
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in ident):
        return "the id contains control characters"
    if "\\" in ident or _DRIVE.match(ident) or ident.startswith(("/", "~")):
        return f"the id {ident!r} is an absolute or Windows path"
    if any(part == ".." for part in PurePosixPath(ident).parts):
        return f"the id {ident!r} would escape the output folder"
    return None


def article_from_row(seq: int, row: dict[str, Any], *, max_chars: int) -> Article:
    """A row of a table (Ray Data, Parquet) as an article, checked as a JSONL line is:
    the same id and body rules, so a table and a JSONL file of the same articles agree.

    Values JSON cannot hold (timestamps, bytes) are read as their text: only the id and
    the body are looked at, and the caller keeps the row itself for its output.
    """
    # ASCII JSON: a lone surrogate stays an escape, which the checks then find and refuse.
    line = json.dumps(row, default=str).encode("ascii")
    article = _jsonl_article(seq, seq + 1, line, max_chars, None)
    article.origin = f"row {seq + 1}"
    return article
