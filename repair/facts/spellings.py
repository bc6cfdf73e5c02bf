"""Spellings of one name: telling the variants of a name from other names.

Machine translation through a Slavic pivot spells one person several ways ("Witcooff",
"Vitcoof", "Witkoff"), keeps case endings ("Mr Tuska"), and garbles credits. A repair fixes
those spellings; it must not swap one name for another. `same_name` decides, token by
token, with rules rather than a single similarity threshold, because the pairs that must
stay apart are often *more* similar as strings than the variants ("Khrushcheva" is one
letter from "Khrushchev"; "Austria" and "Australia" share seven letters):

1. a transliteration key (a consonant skeleton after folding Polish, Czech and Russian
   spellings to one form: "rz"/"zh" -> z, "cz"/"ch"/"kh" -> k, w -> v, soft c -> s);
2. an ending rule (a long common stem with a short tail: "Dufresnoy"/"Dufresnois");
3. a typo rule for long words ("Shuttertstock");
4. a garble rule (same first syllable, the shorter's skeleton inside the longer's, or
   short of one final sound: "Drucki"/"Druzhkivka", "Witco"/"Witkoff");
5. demonyms ("Russia"/"Russian", "Poland"/"Polish", "US"/"American");
6. a romanisation key for the letters romanisations of one Cyrillic name differ in
   ("Yeltsin"/"Eltsin", "Khodorkovsky"/"Hodorkovsky", "Prigozhin"/"Prigojin"); names in
   other scripts are transliterated by `words.fold` (`anyascii`).

Guards keep apart Slavic gendered surnames ("Khrushchev"/"Khrushcheva"), two countries
("Slovenia"/"Slovakia", from `forms`), and two spellings each common in print
("Stalin"/"Stallone", "Georgia"/"George", from `lexicon`).
Hand-written rather than `jellyfish` phonetic codes: Soundex and Metaphone are tuned to
English spelling and merge "Trump" and "Tramp" no better than they merge "Witkoff" and
"Whitaker". `rapidfuzz` supplies the fast string distances.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import Indel, Levenshtein

from repair.facts.forms import different_places, equivalents, same_thing
from repair.facts.lexicon import english_zipf

# Countries whose adjective is not the name plus a suffix are listed in forms.txt.
# "-ist", "-ism" and "-ite" make followers of a name: "Trumpists", "Thatcherite".
_SUFFIXES = (
    "n", "an", "ian", "ean", "ese", "i", "ish", "s", "", "ist", "ists", "ism", "ite", "ites",
)  # fmt: skip

# --- folding and keys ---------------------------------------------------------------------

_DIGRAPHS = [
    ("kh", "k"), ("shch", "s"), ("tsch", "s"), ("sch", "s"), ("sh", "s"), ("zh", "z"),
    ("rz", "z"), ("sz", "s"), ("cz", "k"), ("ch", "k"), ("ck", "k"), ("ph", "f"),
    ("th", "t"), ("gh", "g"), ("x", "ks"), ("q", "k"), ("w", "v"), ("j", "y"),
]  # fmt: skip
_VOWELS = frozenset("aeiouy")


@lru_cache(maxsize=8192)
def transliterate(word: str) -> str:
    """One spelling for sounds that Slavic and English write differently (folded input)."""
    s = word
    for old, new in _DIGRAPHS:
        s = s.replace(old, new)
    s = re.sub(r"c(?=[eiy])", "s", s)
    s = s.replace("c", "k")
    # An "h" between vowels is the Slavic "kh" ("Galaher" for "Gallacher"); elsewhere silent.
    s = re.sub(r"(?<=[aeiou])h(?=[aeiou])", "k", s)
    s = s[:1] + s[1:].replace("h", "")
    return re.sub(r"(.)\1+", r"\1", s)


@lru_cache(maxsize=8192)
def name_key(word: str) -> str:
    """Consonant skeleton of a folded word: "witcooff", "vitcoof", "witkoff" -> "vtkf"."""
    s = transliterate(word)
    skeleton = s[:1] + "".join(c for c in s[1:] if c not in _VOWELS)
    return re.sub(r"(.)\1+", r"\1", skeleton)


def gendered(short: str, long: str) -> bool:
    """Slavic surnames whose feminine form adds -a: Khrushchev/Khrushcheva, Ivanov/Ivanova."""
    if long == short + "a" and short.endswith(("ov", "ev", "yov", "in", "yn")):
        return True
    # Zelensky/Zelenska
    return (
        long.endswith(("skaya", "ska"))
        and short.endswith(("sky", "ski", "skiy", "skij"))
        and (long[:4] == short[:4])
    )


def is_demonym_pair(a: str, b: str) -> bool:
    """Whether two different folded words are a country and its adjective ("poland"/"polish")."""
    return a != b and _demonyms(a, b)


def _demonyms(a: str, b: str) -> bool:
    if same_thing(a, b):
        return True
    short, long = sorted((a, b), key=len)
    if len(short) < 4 or long[:3] != short[:3]:
        return False
    stems = {short, short[:-1]} if short[-1] in "aeiy" else {short}
    return any(
        long == stem + suffix for stem in stems for suffix in _SUFFIXES if stem + suffix != short
    )


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(c in it for c in short)


@lru_cache(maxsize=65536)
def same_name(a: str, b: str) -> bool:
    """Whether two folded name words can be one name written two ways."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if len(short) < 2 or short.isdigit() or long.isdigit():
        return False
    if gendered(short, long) or different_places(a, b):
        return False
    if _demonyms(a, b) or transliterate(romanised(a)) == transliterate(romanised(b)):
        return True
    if _first_sound(a) != _first_sound(b) or len(short) < 0.5 * len(long):
        return False  # every rule below keeps the first sound and most of the length
    ta, tb = transliterate(a), transliterate(b)
    if ta == tb:
        return True
    if _both_established(a, b):
        return False  # "Stalin"/"Stallone", "Georgia"/"George"
    if name_key(a) == name_key(b) and Indel.normalized_similarity(ta, tb) >= 0.65:
        return True
    prefix = len(_common_prefix(a, b))
    if prefix >= 5 and len(a) - prefix <= 2 and len(b) - prefix <= 2:
        return True  # a long stem with different endings: Izvestia/Izvestiya, Dufresnoy/-ois
    if len(short) >= 7 and Levenshtein.normalized_similarity(a, b) >= 0.85:
        return True  # a typo in a long word
    # A garbled transliteration keeps the first syllable and loses letters: inside the
    # word ("Drucki" for "Druzhkivka") or one final sound ("Witco" for "Witkoff"). A
    # different name tends to extend the shorter one further ("India"/"Indonesia") or to
    # contain it whole ("Marsh"/"Marshall"), which this does not accept.
    ks, kl = name_key(short), name_key(long)
    return (
        len(short) >= 5
        and short[:3] == long[:3]
        and not long.startswith(short)
        and len(short) <= 0.75 * len(long)
        and (not kl.startswith(ks) or len(kl) == len(ks) + 1)
        and _is_subsequence(ks, kl)
    )


# The romanisations of one Cyrillic name differ in a few letters, always the same ones:
# "Yeltsin"/"Eltsin", "Khodorkovsky"/"Hodorkovsky", "Prigozhin"/"Prigojin",
# "Tchaikovskiy"/"Chaikovsky", "Scholtz"/"Scholz".
_ROMANISATIONS = [("tsch", "ch"), ("tch", "ch"), ("kh", "h"), ("zh", "j"), ("tz", "z")]
_ADJECTIVAL_END = re.compile(r"(?:iy|ij|yi|ii|yy)$")


@lru_cache(maxsize=8192)
def romanised(word: str) -> str:
    """One spelling for the letters romanisations of one name differ in (folded input)."""
    s = word
    for old, new in _ROMANISATIONS:
        s = s.replace(old, new)
    if s[:2] in ("ye", "je"):
        s = s[1:]
    return _ADJECTIVAL_END.sub("y", s)


def _both_established(a: str, b: str) -> bool:
    """Two spellings each common in English are two names, not one garbled: a country and
    another word ("Georgia"/"George"), or two words of different length
    ("Stalin"/"Stallone"). A garbled transliteration is rare ("Witcooff"); two common
    spellings of one length may still be one ("Tramp" for "Trump")."""
    if english_zipf(a) < _COMMON_NAME or english_zipf(b) < _COMMON_NAME:
        return False
    return abs(len(a) - len(b)) >= 2 or bool(equivalents(a)) != bool(equivalents(b))


_COMMON_NAME = 2.5  # zipf: a spelling in print, not a one-off garble


def _common_prefix(a: str, b: str) -> str:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return a[:n]


_FIRST_SOUND = {"w": "v", "q": "k", "j": "y", "x": "k"}


def sounds(word: str) -> set[str]:
    """The first sounds a name may be looked up by: "Yeltsin" also by "Eltsin"'s."""
    return {_first_sound(word), _first_sound(romanised(word) or word)}


def _first_sound(word: str) -> str:
    if word[:2] in ("ch", "kh", "ph"):
        return "f" if word[0] == "p" else "k"
    if word[0] == "c":
        return "s" if word[1:2] in ("e", "i", "y") else "k"
    return _FIRST_SOUND.get(word[0], word[0])
