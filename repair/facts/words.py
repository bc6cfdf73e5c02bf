"""Words: the one tokenizer every fact reader and check uses, and the forms words are
compared in (folded to lower-case ASCII, crudely stemmed).

`tokens` splits a text into word tokens with their offsets (hyphenated and glued CamelCase
words in parts, a possessive "’s" dropped); `fold` is the form names and words are
compared in; `Word` and `stem` are the validator's view of a word when it aligns
sentences. Counting LLM tokens is another thing altogether: `repair.llm.tokens`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from anyascii import anyascii

# A dotted abbreviation ("U.S.", "U.N.") is one word; otherwise letters, with inner
# apostrophes and hyphens.
_TOKEN = re.compile(r"(?:[A-Z]\.){2,}(?![^\W\d_])|[^\W\d_]+(?:['’-][^\W\d_]+)*")
_CAMEL = re.compile(r"(?<=[a-z]{3})(?=[A-Z][A-Za-z])")

_SPECIAL = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss"})


@lru_cache(maxsize=8192)
def fold(word: str) -> str:
    """Lower-case ASCII letters and digits only: "Wrześniewski’s" -> "wrzesniewskis".

    Letters of other scripts are transliterated (`anyascii`), so that a name left in
    Cyrillic or Chinese by a translation ("Ельцин") compares with its English spelling.
    """
    if word.isascii():
        return word.lower() if word.isalnum() else "".join(c for c in word if c.isalnum()).lower()
    decomposed = unicodedata.normalize("NFKD", word.translate(_SPECIAL))
    if any(not c.isascii() and c.isalpha() and not unicodedata.combining(c) for c in decomposed):
        decomposed = anyascii(decomposed)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


class Token(NamedTuple):  # a tuple: made for every word, it must be cheap to make
    """A word of a text: where it is, as written, and folded."""

    start: int
    end: int
    text: str
    folded: str


def tokens(text: str) -> tuple[Token, ...]:
    """Word tokens, split at hyphens and glued CamelCase, possessive "’s" removed."""
    return _tokens(text)


_make = tuple.__new__  # builds a Token without a Python-level __new__: this runs per word


@lru_cache(maxsize=512)
def _tokens(text: str) -> tuple[Token, ...]:
    out: list[Token] = []
    append = out.append
    for m in _TOKEN.finditer(text):
        word = m.group()
        start = m.start()
        if word[-2:] in _POSSESSIVE:
            word = word[:-2]
        if "-" not in word and (
            word[1:].islower() or word.isupper() or _CAMEL.search(word) is None
        ):
            folded = word.lower() if word.isascii() and word.isalpha() else fold(word)
            append(_make(Token, (start, start + len(word), word, folded)))
            continue
        for piece in _PIECE.finditer(word):
            for part in _CAMEL.split(piece.group()):
                if part:
                    at = start + piece.start() + piece.group().find(part)
                    out.append(Token(at, at + len(part), part, fold(part)))
    return tuple(out)


_PIECE = re.compile(r"[^-]+")
_POSSESSIVE = frozenset({"’s", "'s", "’S", "'S"})


class Word(NamedTuple):
    start: int
    end: int
    folded: str
    stem: str
    capitalised: bool


_SUFFIXES = ("ings", "ing", "edly", "ied", "ies", "ed", "es", "s", "ly")


@lru_cache(maxsize=16384)
def stem(folded: str) -> str:
    """A crude stem, enough to match "asking" with "ask" and "results" with "result"."""
    for suffix in _SUFFIXES:
        if folded.endswith(suffix) and len(folded) - len(suffix) >= 3:
            folded = folded[: -len(suffix)]
            break
    if folded.endswith("e") and len(folded) > 3:
        folded = folded[:-1]  # "lose" and "losing", "produce" and "produced"
    return folded[:6]
