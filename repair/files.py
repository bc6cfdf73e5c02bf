"""Files in and out, the same for every front door (`fix`, `check`, `batch`, the report).

- `decode`: an article's bytes as text, with the encoding used and notes for the user. A
  byte-order mark (UTF-8, UTF-16 LE or BE) decides, else a forced encoding, else UTF-8,
  else the likelier of Windows-1252 and Windows-1251; binary files are refused and mojibake
  is undone. `repair fix`, `repair check` and every file of `repair batch` go through it,
  so a file that one command reads, the others read the same way.
- `write_atomically`: a whole text or a stream of lines, written to a temporary file in the
  same folder and renamed over the target, so a crash or `kill -9` never leaves half an
  article or half a manifest behind.
"""

from __future__ import annotations

import codecs
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import ftfy

from repair.errors import InputError

TEMP_SUFFIX = ".tmp"
DETECT = "auto"  # the --encoding that asks for detection, as leaving it out does
SAMPLE_CHARS = 8192  # how much of the start is looked at for binary content

# Byte-level encodings tried, in order of preference, when a file is not UTF-8. Archives of
# English news are mostly Windows-1252 (what "latin-1" means in practice: WHATWG decodes
# that label as windows-1252) or, from Russian-language sites, Windows-1251.
FALLBACK_ENCODINGS = ("cp1252", "cp1251")

# A byte-order mark names its encoding outright: (mark, the codec that reads past it, the
# name reported). UTF-16 is recognised only by its mark; without one it looks binary.
_MARKS = (
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
)


class Decoded(NamedTuple):
    text: str
    encoding: str  # what was used: "utf-8", "utf-16", "cp1251", or the forced name
    notes: list[str]  # for the user, when the text was not simply read: a fallback, mojibake


class DecodeError(InputError):
    """Bytes that are no text: `reason` is a short code ("binary", "undecodable", ...)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, reason=reason)
        self.reason = reason


def forced_encoding(name: str | None) -> str | None:
    """The encoding `name` forces, or None for detection (None, "" or "auto").

    An unknown name is a `DecodeError` up front rather than a failure on every file.
    Decoding a byte is the test because it also refuses codecs that are no text encoding
    (rot13, base64), which `codecs.lookup` accepts; an empty input would not do, as it
    decodes to "" without looking the codec up.
    """
    if name is None or name.strip().lower() in ("", DETECT):
        return None
    try:
        b"\n".decode(name)
    except UnicodeDecodeError:
        pass  # a known codec that wants more than one byte (UTF-16, UTF-32)
    except LookupError:
        raise DecodeError(
            f"unknown encoding {name!r}: give one such as utf-8, utf-16, cp1251 or latin-1, "
            f"or {DETECT} to detect it",
            reason="unknown-encoding",
        ) from None
    return name


def decode(data: bytes, encoding: str | None = None) -> Decoded:
    """An article's bytes as text, or a `DecodeError` that says why they are not text.

    A byte-order mark wins even over a forced `encoding`: a file that starts with one was
    written in that encoding, and reading it as another would only make mojibake.
    """
    forced = forced_encoding(encoding)
    for mark, codec, name in _MARKS:
        if data.startswith(mark):
            return _marked(data, codec, name, forced)
    if forced is not None:
        return _decoded(data, forced)
    if b"\x00" in data[:SAMPLE_CHARS]:
        # Checked on the bytes: a NUL byte is valid UTF-8 and Windows-1252 alike.
        raise DecodeError("looks like a binary file, not text (NUL bytes)", reason="binary")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _fallback(data)
    text, notes = clean_text(text)
    return Decoded(text, "utf-8", notes)


def clean_text(text: str) -> tuple[str, list[str]]:
    """Refuse binary content and undo mojibake (UTF-8 once read as Latin-1): (text, notes).

    For text read as Unicode without being told, and for text that came as text already
    (a JSONL field). ftfy.fix_encoding only: the rest of ftfy (straightening quotes, NFC)
    would edit the article, and every byte outside the repair must stay as it was.
    """
    _binary_check(text)
    fixed = ftfy.fix_encoding(text)
    if fixed == text:
        return text, []
    return fixed, ["fixed mojibake (text once decoded with the wrong encoding)"]


def _marked(data: bytes, codec: str, name: str, forced: str | None) -> Decoded:
    text, _, _ = _decoded(data, codec)
    text, notes = clean_text(text)
    if forced is not None and not _same_codec(forced, codec, name):
        notes = [f"read as {name} by its byte-order mark, not as {forced}", *notes]
    return Decoded(text, name, notes)


def _same_codec(forced: str, *names: str) -> bool:
    return codecs.lookup(forced).name in {codecs.lookup(n).name for n in names}


def _fallback(data: bytes) -> Decoded:
    """The fallback encoding whose reading looks least like mojibake."""
    readings = []
    for rank, candidate in enumerate(FALLBACK_ENCODINGS):
        try:
            readings.append((_oddness(data.decode(candidate)), rank, candidate))
        except UnicodeDecodeError:
            continue
    if not readings:
        raise DecodeError("not UTF-8, Windows-1252 or Windows-1251 text", reason="undecodable")
    *_, best = min(readings)  # ties go to the first, the commoner encoding
    text, used, notes = _decoded(data, best)
    return Decoded(text, used, [f"decoded as {best}", *notes])


def _decoded(data: bytes, encoding: str) -> Decoded:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"not valid {encoding} (byte {exc.start})", reason="undecodable"
        ) from None
    _binary_check(text)
    return Decoded(text, encoding, [])


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _binary_check(text: str) -> None:
    sample = text[:SAMPLE_CHARS]
    if "\x00" in sample or len(_CONTROL.findall(sample)) > max(8, len(sample) // 100):
        raise DecodeError(
            "looks like a binary file, not text (control characters)", reason="binary"
        )


_WORD = re.compile(r"[^\W\d_]+")
_RUSSIAN = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ")


def _oddness(text: str) -> int:
    """How many words look like mojibake in this reading of the bytes.

    charset-normalizer was tried and picks cp1250 for mostly-ASCII English in cp1251,
    cp1252 and Latin-1 alike; these three signs tell the two encodings apart reliably:
    a word mixing Latin and Cyrillic letters ("crиme": cp1252 read as cp1251), a Cyrillic
    letter that Russian does not use ("Ј" for "£"), and a word made only of accented
    Latin letters ("Ìîñêâà": cp1251 read as cp1252).
    """
    return sum(_odd(word) for word in _WORD.findall(text) if not word.isascii())


def _odd(word: str) -> bool:
    cyrillic = sum("\u0400" <= c <= "\u04ff" for c in word)
    if cyrillic:
        return cyrillic < len(word) or any(c not in _RUSSIAN for c in word)
    return len(word) > 1 and all(not c.isascii() for c in word)


# --- writing --------------------------------------------------------------------------


_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def lone_surrogate(text: str) -> int | None:
    """Where `text` holds a lone UTF-16 surrogate, or None.

    Only a str made from JSON ("\\ud800") or by surrogateescape can hold one, and no file
    can be written with it: text is checked for them before it is worth anything.
    """
    found = _LONE_SURROGATE.search(text)
    return found.start() if found else None


def write_atomically(path: Path, content: str | Iterable[str]) -> None:
    """Write `content` (a text, or lines to which newlines are added) via a rename.

    The temporary file is opened with "x" rather than made by mkstemp, so the result gets
    the permissions a plain open() would give (mkstemp's are owner-only).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    try:
        with tmp.open("x", encoding="utf-8", newline="") as out:
            if isinstance(content, str):
                out.write(content)
            else:
                for line in content:
                    out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def temp_name(path: Path) -> Path:
    """Where `write_atomically` writes first: `.NAME.XXXXXXXX.tmp` beside the target."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
