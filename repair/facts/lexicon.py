"""Ordinary English words, told from names by word frequencies (`wordfreq`).

A capitalised word that opens a sentence is a name or an ordinary word made capital by
where it stands ("Merkel told…", "Officials told…"). English frequency alone cannot tell
them apart: "Harris" is as common as "homeowners". Two facts of the frequency lists can:

- a name is written the same way in other languages, an English word is not: "Merkel",
  "Portugal" and "Watson" are frequent in German, French or Spanish text, "meanwhile",
  "officials" and "subsequently" are not;
- a very common English word borrowed by other languages ("police", "staff") is common
  in a few of them, a name in nearly all;
- an English word comes with its inflections ("official"/"officials",
  "speak"/"speaking") about as often as itself, a name mostly without.

So a word is ordinary when it is frequent in English and either much rarer in the other
languages or one of a family of inflections; a rare word is ordinary only as a rarer form
of a common one ("Forecasters"). The lists are loaded on first use (about 0.3 s, 80 MB)
and every answer is cached.
"""

from __future__ import annotations

import math
from functools import cache, lru_cache

# Languages written in the Latin alphabet whose news names the same people and places.
_OTHERS = ("de", "fr", "es", "it", "nl", "pt", "pl", "sv")
_COMMON = 3.0  # zipf: once per million words
_ENGLISH_ONLY = 1.0  # zipf gap between English and the most frequent other language
_FAMILY_GAP = 1.0  # an inflection at most this much rarer than the word itself
_RARE = 2.0  # below this an inflection is too rare to vouch for anything
_VERY_COMMON = 4.5  # zipf: above this, an English word more often than a name
_EVERYWHERE = 7  # of the eight other languages
_SHORT = 4.5  # a two-letter word this common is a word or an abbreviation


@cache
def _english() -> dict[str, float]:
    import wordfreq  # imported with its lists, on first use (80 ms on its own)

    return wordfreq.get_frequency_dict("en", wordlist="large")


@cache
def _others() -> tuple[dict[str, float], ...]:
    # The small lists (words above zipf 3) are enough: below that a word is rare anyway.
    import wordfreq

    return tuple(wordfreq.get_frequency_dict(lang, wordlist="small") for lang in _OTHERS)


def _zipf(freq: float) -> float:
    return math.log10(freq) + 9.0 if freq > 0 else 0.0


def english_zipf(word: str) -> float:
    """How common a lower-case word is in English, on the zipf scale (0 if unknown)."""
    return _zipf(_english().get(word, 0.0))


def _languages(word: str, floor: float) -> int:
    """In how many of the other languages the word is at least this common."""
    floor = max(floor, _COMMON)
    return sum(_zipf(table.get(word, 0.0)) >= floor for table in _others())


def _foreign_zipf(word: str) -> float:
    return _zipf(max(table.get(word, 0.0) for table in _others()))


def inflections(word: str) -> set[str]:
    """Regular forms of a lower-case word and the word it is a form of: plural and
    singular, verb forms, an adjective's superlative ("fastest").
    Agent nouns ("walker" from "walk") are left out: many surnames are made that way."""
    base = word[:-1] if word.endswith(("e", "y")) else word
    out = {word + "s", word + "ed", word + "ing", word + "est"}
    if word.endswith(_SIBILANTS):
        out.add(word + "es")
    if word.endswith("e"):
        out |= {word + "d", word + "r", word + "st", base + "ing"}
    if word.endswith("y"):
        out |= {base + "ies", base + "ied", base + "ier", base + "iest"}
    if word.endswith(("ies", "ied")):
        out.add(word[:-3] + "y")
    elif word.endswith("es") and word[:-2].endswith(_SIBILANTS):
        out.add(word[:-2])  # "taxes", but "James" is not the plural of "jam"
    elif word.endswith("s") and not word.endswith("ss"):
        out.add(word[:-1])
    elif word.endswith(("ed", "ing")):
        stem = word[:-2] if word.endswith("ed") else word[:-3]
        out |= {stem, stem + "e"}
        if len(stem) > 2 and stem[-1] == stem[-2]:
            out.add(stem[:-1])  # "stopped", "planning"
    elif word.endswith("ly") and len(word) > 5:
        out |= {word[:-2], word[:-2] + "e", word[:-3] + "y"}
    out.discard(word)
    return {w for w in out if len(w) >= 3}


_SIBILANTS = ("s", "x", "z", "ch", "sh", "o")


def _adverbs(word: str) -> tuple[str, ...]:
    if word.endswith("y"):
        return (word[:-1] + "ily",)
    if word.endswith("le"):
        return (word[:-1] + "y",)  # "simple", "simply"
    if word.endswith("ic"):
        return (word + "ally",)
    return (word + "ly",)


@lru_cache(maxsize=16384)
def ordinary_word(word: str) -> bool:
    """Whether a folded word is an ordinary English word rather than a name."""
    if not word.isalpha():
        return False
    if len(word) <= 2:
        return english_zipf(word) >= _SHORT  # "Ex", but "Xi" and "Wu"
    english, foreign = english_zipf(word), _foreign_zipf(word)
    if english >= _COMMON and english - foreign >= _ENGLISH_ONLY:
        return True
    if english >= _VERY_COMMON and _languages(word, english - _FAMILY_GAP * 1.5) < _EVERYWHERE:
        # A very common English word borrowed by a few languages ("police", "local",
        # "staff"), where a name is written alike in all of them ("Smith", "Trump").
        return True
    if english < _COMMON and foreign > english:
        return False  # rare in English, common abroad: a foreign name ("Tusk")
    if any(english_zipf(w) >= _COMMON for w in _adverbs(word)):
        return True  # an adjective: "Former", "Main" ("formerly", "mainly"); names take no -ly
    floor = max(english - _FAMILY_GAP, _RARE)
    return any(english_zipf(w) >= floor and not _patronym(word, w) for w in inflections(word))


def _patronym(word: str, base: str) -> bool:
    """ "Roberts" is no plural of "Robert": a base written alike in every language is a
    given name, and the word a surname made from it ("Williams", "Edwards")."""
    return len(base) < len(word) and _languages(base, english_zipf(base) - 1.5) == len(_OTHERS)
