"""Forms of one name: "US", "U.S.", "United States" and "America"; "RMB" and "yuan";
"LAN" and "local area network".

A repair may write a name in another of its forms without changing a fact. The forms
come from data: countries' names, official names and ISO codes (pycountry, and Babel's
CLDR names in English), currencies' codes and names (the same two), and `forms.txt` for
what no library lists (common abbreviations, irregular adjectives of countries). An
abbreviation the text spells out by initials ("local area network" for "LAN") is found
by `spelled_out`. Two forms of different countries are never one name, however alike
they look ("Slovenia"/"Slovakia", "Niger"/"Nigeria").

Forms are compared compact: folded words joined without spaces ("unitedstates"). A form
written in capitals in the data ("US", "TV") counts only where a text writes it so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from importlib.resources import files
from typing import NamedTuple

from repair.facts.words import Token, fold, tokens


class Form(NamedTuple):
    key: str  # compact folded form: "unitedstates"
    caps: bool  # counts only written in capitals: "US", "TV"


def compact(text: str) -> str:
    """A name as one folded string: "United States" -> "unitedstates"."""
    return "".join(t.folded for t in tokens(text))


def _form(written: str) -> Form | None:
    key = fold(written)  # as `compact`, faster: the data has no possessives
    if not key:
        return None
    letters = [c for c in written if c.isalpha()]
    return Form(key, all(c.isupper() for c in letters) and len(letters) <= 6)


class _Index(NamedTuple):
    groups: list[frozenset[Form]]
    where: dict[str, frozenset[int]]  # form key -> the groups it is a form of
    places: frozenset[int]  # the groups that are countries


@cache
def _index() -> _Index:
    groups: list[frozenset[Form]] = []
    places: set[int] = set()
    for spellings, place in _sources():
        forms = frozenset(f for f in (_form(s) for s in spellings if s) if f is not None)
        if len(forms) > 1:
            if place:
                places.add(len(groups))
            groups.append(forms)
    where: dict[str, set[int]] = {}
    for i, forms in enumerate(groups):
        for f in forms:
            where.setdefault(f.key, set()).add(i)
    return _Index(groups, {k: frozenset(v) for k, v in where.items()}, frozenset(places))


def _sources() -> Iterable[tuple[list[str], bool]]:
    """(spellings of one thing, whether it is a country), from every source."""
    # The data libraries load when first asked, not on import: `repair --help` and a CMS
    # that never validates should not pay for them.
    import pycountry
    from babel import Locale
    from babel.numbers import get_currency_name

    for line in files("repair.facts").joinpath("forms.txt").read_text("utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield [s.strip() for s in line.split(" = ")], False
    english = Locale("en")
    for country in pycountry.countries:
        names = [
            country.alpha_2,
            country.alpha_3,
            english.territories.get(country.alpha_2, ""),
            *(getattr(country, a, "") for a in ("name", "official_name", "common_name")),
        ]
        # "Korea, Republic of" is an index entry, not a way of writing the name.
        yield [n for n in names if "," not in n and "(" not in n], True
    for currency in pycountry.currencies:
        code = currency.alpha_3
        yield (
            [
                code,
                currency.name,
                get_currency_name(code, locale=english),
                get_currency_name(code, count=2, locale=english),
            ],
            False,
        )


@lru_cache(maxsize=8192)
def equivalents(key: str) -> tuple[Form, ...]:
    """The other forms of what the compact form `key` names (none if it is not known)."""
    index = _index()
    found = {f for g in index.where.get(key, ()) for f in index.groups[g]}
    # Two sources may list one thing: "RMB = Chinese yuan" here, "CNY" and "Chinese yuan"
    # in Babel. A long written-out form they share joins them; a code ("IT") does not.
    for f in list(found):
        if not f.caps and len(f.key) >= 6:
            found.update(x for g in index.where.get(f.key, ()) for x in index.groups[g])
    return tuple(sorted(f for f in found if f.key != key))


@cache
def _cities() -> frozenset[str]:
    """Cities of the time-zone database, in CLDR's English names where it has one."""
    from babel import Locale
    from babel.core import get_global

    english = Locale("en").time_zones
    names = {zone.rsplit("/", 1)[-1].replace("_", " ") for zone in get_global("zone_territories")}
    names |= {z["city"] for z in english.values() if "city" in z}
    return frozenset(fold(n) for n in names)


@lru_cache(maxsize=8192)
def is_place(key: str) -> bool:
    """Whether a compact form is a country's ("poland", "us") or a big city's ("moscow")."""
    index = _index()
    return bool(index.where.get(key, frozenset()) & index.places) or key in _cities()


@lru_cache(maxsize=65536)
def same_thing(a: str, b: str) -> bool:
    """Whether two compact forms are listed as forms of one thing ("poland"/"polish")."""
    index = _index()
    ga = index.where.get(a)
    return bool(ga) and ga is not None and bool(ga & index.where.get(b, frozenset()))


@lru_cache(maxsize=65536)
def different_places(a: str, b: str) -> bool:
    """Whether two compact forms name two different countries ("slovenia"/"slovakia")."""
    index = _index()
    ga, gb = index.where.get(a), index.where.get(b)
    if not ga or not gb or ga & gb:
        return False
    return bool(ga & index.places) and bool(gb & index.places)


# --- abbreviations spelled out ---------------------------------------------------------------

# Words an expansion may carry without an initial in the abbreviation: "Federal Bureau
# of Investigation" is "FBI".
SKIPPED = frozenset("of and for the on in at to de &".split())
_DOTTED = re.compile(r"^(?:[A-Z]\.){2,}$")


def abbreviation(word: str) -> str | None:
    """The folded letters of an abbreviation as written ("ICs" -> "ic", "U.S." -> "us"),
    or None if `word` is not written as one."""
    if _DOTTED.match(word):
        return word.replace(".", "").lower()
    if word.endswith("s") and len(word) >= 3 and word[:-1].isupper():
        word = word[:-1]  # a plural: "ICs", "MPs"
    if len(word) < 2 or not word.isupper() or not word.isalpha():
        return None
    return word.lower()


def spelled_out(letters: str, toks: Sequence[Token], plural: bool = False) -> bool:
    """Whether consecutive words of `toks` begin with the letters of an abbreviation
    ("lan" in "… a local area network …"). Two letters must be two capitalised words
    ("European Union"), or a plural spelled out in the plural ("ICs", "integrated
    circuits"): two small words begin with any two letters now and then."""
    n = len(letters)
    if n < 2:
        return False
    for i, first in enumerate(toks):
        if first.folded[:1] != letters[0] or first.folded in SKIPPED:
            continue
        k, j, used = 1, i + 1, [first]
        while k < n and j < len(toks):
            word = toks[j].folded
            if word[:1] == letters[k] and word not in SKIPPED:
                used.append(toks[j])
                k += 1
            elif word not in SKIPPED:
                break
            j += 1
        if k == n and (
            n > 2
            or all(t.text[:1].isupper() for t in used)
            or (plural and used[-1].folded.endswith("s"))
        ):
            return True
    return False
