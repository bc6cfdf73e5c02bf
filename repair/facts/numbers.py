"""Numbers in a text as values: digits, words, money, percentages, ordinals, years, times.

The validator compares what numbers *say*, not how they are written: "ten days" is
"10 days", "$1.2bn" is "1.2 billion dollars", "2,4 million" (a European decimal comma) is
"2.4 million". Written by hand rather than with `text2num` or `word2number`: those turn a
phrase into digits but lose the character offsets the validator needs to point an editor
at the words, and they know nothing of units, separators or which "one" is a pronoun.

A mention may carry several `values` when its spelling is ambiguous ("412.750" is 412.75
in English and 412750 in much of Europe): two mentions are the same number when any of
their readings agree. A `weak` mention ("one", "first", "both") is compared only when it
helps: it may stand for a strong one ("both sides" for "two sides") but its own
disappearance is not a finding, because such words are pronouns and idioms as often as
they are numbers.
"""

from __future__ import annotations

import math
import re
from functools import cache
from itertools import pairwise
from typing import Literal, NamedTuple

from repair.facts import money

NumberKind = Literal[
    "cardinal", "ordinal", "fraction", "approximate", "year", "decade", "day", "time"
]


class NumberMention(NamedTuple):
    start: int
    end: int
    text: str
    values: tuple[float, ...]  # the first is the usual reading; the others are alternatives
    unit: str | None
    kind: NumberKind
    weak: bool = False

    @property
    def value(self) -> float:
        return self.values[0]


def same_value(a: NumberMention, b: NumberMention) -> bool:
    return any(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9) for x in a.values for y in b.values)


def units_agree(a: NumberMention, b: NumberMention) -> bool:
    """Units conflict only when both mentions state one ("5%" vs "5 days"), and two
    currencies only when they cannot be one ("¥" is yen or yuan, "$" any dollar)."""
    if a.unit is None or b.unit is None or a.unit == b.unit:
        return True
    return (
        money.is_currency(a.unit)
        and money.is_currency(b.unit)
        and money.same_currency(a.unit, b.unit)
    )


# --- words -----------------------------------------------------------------------------

_SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50,
    "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90, "hundredth": 100,
    "thousandth": 1000, "millionth": 1e6,
}  # fmt: skip
_APPROXIMATE = {"dozens": 12, "tens": 10, "hundreds": 100, "thousands": 1e3, "millions": 1e6}
_FRACTIONS = {"half": 0.5, "halves": 0.5, "quarter": 0.25, "quarters": 0.25, "thirds": 1 / 3}
_NUMBER_WORDS = (
    set(_SMALL)
    | set(_TENS)
    | set(_SCALES)
    | {"hundred", "dozen"}
    | set(_ORDINALS)
    | set(_FRACTIONS)
)

_WORD = re.compile(r"[A-Za-z]+")


def parse_number_words(phrase: str) -> float | None:
    """The value of a phrase that is only a number in words, or None.

    >>> parse_number_words("three and a half")
    3.5
    """
    words = [w.lower() for w in _WORD.findall(phrase)]
    if not words:
        return None
    value, used, _ = _parse(words, 0)
    return value if used == len(words) else None


def _parse(words: list[str], i: int) -> tuple[float | None, int, NumberKind]:
    """Parse a number in words starting at words[i]: (value, words used, kind)."""
    total = 0.0
    current = 0.0
    seen = False
    kind: NumberKind = "cardinal"
    j = i
    last = ""  # class of the previous number word, to refuse "one two" as one number
    while j < len(words):
        w = words[j]
        nxt = words[j + 1] if j + 1 < len(words) else ""
        if w in ("a", "an") and not seen and nxt in (*_SCALES, "hundred", "dozen"):
            current, seen, last = 1.0, True, "unit"
        elif w in ("a", "an") and seen and nxt in _SCALES and last == "fraction":
            pass  # "half a million"
        elif w in _SMALL and last not in ("unit", "fraction", "ordinal"):
            current += _SMALL[w]
            seen, last = True, "unit"
        elif w in _TENS and last in ("", "scale", "hundred"):
            current += _TENS[w]
            seen, last = True, "tens"
        elif w == "hundred" and last in ("", "unit", "tens"):
            current = (current or 1.0) * 100
            seen, last = True, "hundred"
        elif w == "dozen" and last in ("", "unit", "tens"):
            current = (current or 1.0) * 12
            seen, last = True, "unit"
        elif w in _SCALES and last in ("", "unit", "tens", "hundred", "fraction"):
            total += (current or 1.0) * _SCALES[w]
            current = 0.0
            seen, last = True, "scale"
        elif w in _ORDINALS and last in ("", "scale", "hundred", "tens"):
            current += _ORDINALS[w]
            seen, last, kind = True, "ordinal", "ordinal"
            j += 1
            break
        elif w in ("half", "quarter") and not seen:
            current, seen, last, kind = _FRACTIONS[w], True, "fraction", "fraction"
        elif w in ("halves", "quarters", "thirds") and last == "unit":
            current *= _FRACTIONS[w]
            seen, last, kind = True, "fraction", "fraction"
        elif w == "and" and seen and j + 1 < len(words):
            if words[j + 1] in ("a", "an") and j + 2 < len(words) and words[j + 2] == "half":
                current += 0.5
                j += 3
                last = "fraction"
                continue
            if words[j + 1] in _SMALL or words[j + 1] in _TENS:
                j += 1
                continue
            break
        else:
            break
        j += 1
    if not seen:
        return None, 0, kind
    return total + current, j - i, kind


# --- scanning --------------------------------------------------------------------------

# The usual symbols; the others, and codes and currencies' names, come from `money`.
_CURRENCY_SYMBOL = {
    "$": "USD", "us$": "USD", "£": "GBP", "€": "EUR", "₽": "RUB", "₹": "INR",
}  # fmt: skip
_UNIT_WORDS = {
    "%": "percent", "percent": "percent", "per cent": "percent", "pc": "percent",
    "percentage point": "point", "percentage points": "point", "point": "point", "points": "point",
    "dollar": "USD", "dollars": "USD", "pound": "GBP", "pounds": "GBP", "euro": "EUR",
    "euros": "EUR", "rouble": "RUB", "roubles": "RUB", "ruble": "RUB", "rubles": "RUB",
    "dinar": "dinar", "dinars": "dinar", "crown": "crown", "crowns": "crown", "yen": "JPY",
    "yuan": "CNY", "zloty": "PLN", "zlotys": "PLN", "franc": "CHF", "francs": "CHF",
    "second": "second", "seconds": "second", "minute": "minute", "minutes": "minute",
    "hour": "hour", "hours": "hour", "day": "day", "days": "day", "week": "week",
    "weeks": "week", "month": "month", "months": "month", "year": "year", "years": "year",
    "decade": "decade", "decades": "decade", "century": "century", "centuries": "century",
    "mm": "mm", "millimetre": "mm", "millimetres": "mm", "millimeter": "mm", "millimeters": "mm",
    "cm": "cm", "centimetre": "cm", "centimetres": "cm", "km": "km", "kilometre": "km",
    "kilometres": "km", "kilometer": "km", "kilometers": "km", "metre": "m", "metres": "m",
    "meter": "m", "meters": "m", "mile": "mile", "miles": "mile", "kg": "kg",
    "kilogram": "kg", "kilograms": "kg", "mg": "mg", "milligram": "mg", "milligrams": "mg",
    "tonne": "tonne", "tonnes": "tonne", "ton": "tonne", "tons": "tonne", "hectare": "ha",
    "hectares": "ha", "mmhg": "mmhg", "mm hg": "mmhg", "°c": "deg", "degree": "deg",
    "degrees": "deg", "degrees celsius": "deg", "°f": "degF",
}  # fmt: skip
_SCALE_SUFFIX = {
    "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9, "mn": 1e6,
    "tn": 1e12, "m": 1e6, "k": 1e3, "b": 1e9,
}  # fmt: skip
# Function words: a four-digit number followed by one of these (or by punctuation) is a
# year ("in 2018, the", "2027 for repairs"); followed by a noun it is a count ("1300 tractors").
_FUNCTION_WORDS = frozenset(
    "a an the and or but for of in on at by to from with as when while after before since "
    "until than that which who was were is are be been had has have will would could should "
    "it its he she they we this these those there".split()
)

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_UNIT_ALT = "|".join(sorted((re.escape(u) for u in _UNIT_WORDS), key=len, reverse=True))
_NUMBER = (
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # 1,234,567.8
    r"|\d{1,3}(?:\.\d{3})+,\d+"  # 1.234,5 (European)
    r"|\d{1,3}(?:\.\d{3}){2,}"  # 1.234.567 (European)
    r"|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d])(?![.,]\d)"  # 6 500 (spaced thousands)
    r"|\d{1,2}:\d{2}(?!\d)"  # 10:30
    r"|\d+(?:[.,]\d+)?)"
    r"(?P<ord>st|nd|rd|th|s\b|\.(?=(?-i:\s+(?:"
    + _MONTHS
    + r"|minute|of)\b)))?"  # 87th, 1990s, "14. October"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|bn|mn|tn|m|k|b)(?![\w]))?"
    r"(?:(?:\s?-?\s?|\s)(?P<unit>" + _UNIT_ALT + r")(?![\w]))?"
    r"(?:\s?(?P<clock>a\.m\.|p\.m\.|am|pm)(?![\w]))?"
)


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(where a number may start, the number): built on first use, since the currency
    symbols and codes come from data (`money`)."""
    symbols = sorted({*_CURRENCY_SYMBOL, *money.symbols()}, key=len, reverse=True)
    # Codes and "S$" count in capitals only: "all 5" is no amount in leks.
    currency = (
        r"(?-i:[A-Z]{1,3}\$|(?:"
        + "|".join(money.codes())
        + r"|RMB)(?=\s?\d))|"
        + "|".join(re.escape(s) for s in symbols)
    )
    # Where to try the long pattern: a digit, or a symbol or capitals just before one (a
    # cheap superset of the currencies above; the long pattern decides).
    start = re.compile(r"(?:[A-Z]{1,3}\$?|[^\w\s]{1,3})\s?\d|\d")
    digits = re.compile(
        r"(?<![\w.,])(?<![A-Za-z]-)(?P<cur>" + currency + r")?\s?" + _NUMBER, re.IGNORECASE
    )
    return start, digits


_WORD_TOKEN = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
_AFTER_UNIT = re.compile(r"[\s-]*(" + _UNIT_ALT + r")(?![\w])", re.IGNORECASE)
_NEXT_WORD = re.compile(r"\s*([A-Za-z]+)")


def find_numbers(text: str) -> list[NumberMention]:
    """Every number mentioned in `text`, in order of position."""
    digits = _digit_numbers(text)
    taken = [(n.start, n.end) for n in digits]
    words = [n for n in _word_numbers(text) if not any(a < n.end and n.start < b for a, b in taken)]
    found = [*digits, *words, *_both(text)]
    found.sort(key=lambda n: n.start)
    return _durations(text, found)


# "four years and six months" is 4.5 years, as "four and a half years" is.
_SUBUNITS = {
    ("year", "month"): 12,
    ("hour", "minute"): 60,
    ("minute", "second"): 60,
    ("week", "day"): 7,
}
_AND = re.compile(r"\s*(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?)?,?\s+and\s+$")


def _durations(text: str, found: list[NumberMention]) -> list[NumberMention]:
    out: list[NumberMention] = []
    for n in found:
        prev = out[-1] if out else None
        if (
            prev is not None
            and (prev.unit, n.unit) in _SUBUNITS
            and _AND.match(text[prev.end : n.start])
        ):
            parts = _SUBUNITS[(prev.unit or "", n.unit or "")]
            end = _unit_end(text, n.end)
            out[-1] = NumberMention(
                prev.start,
                end,
                text[prev.start : end],
                (prev.value + n.value / parts,),
                prev.unit,
                "cardinal",
            )
            continue
        out.append(n)
    return out


def _unit_end(text: str, end: int) -> int:
    m = _AFTER_UNIT.match(text, end)
    return m.end() if m else end


def _digit_numbers(text: str) -> list[NumberMention]:
    out: list[NumberMention] = []
    end = 0
    # Try the long pattern only where a number can start: scanning every position with
    # it is several times slower.
    starts, digits = _patterns()
    for start in starts.finditer(text):
        if start.start() < end:
            continue
        m = digits.match(text, start.start())
        if m is None and not text[start.start()].isdigit():
            m = digits.match(text, start.end() - 1)  # no currency before it: the digit
        if m is None:
            continue
        end = m.end()
        raw = m.group("num")
        if ":" in raw:
            hours, minutes = raw.split(":")
            out.append(_mention(m, (int(hours) + int(minutes) / 60,), None, "time"))
            continue
        values = _read_digits(raw)
        cur = m.group("cur")
        scale_word = (m.group("scale") or "").lower()
        unit_word = (m.group("unit") or "").lower()
        clock = (m.group("clock") or "").lower().replace(".", "")
        suffix = (m.group("ord") or "").lower()
        unit = (_CURRENCY_SYMBOL.get(cur.lower()) or money.symbol_unit(cur)) if cur else None
        unit = _UNIT_WORDS.get(unit_word, unit) if unit_word else unit
        if scale_word:
            factor = _SCALE_SUFFIX[scale_word]
            if scale_word in ("m", "k", "b") and not cur and not unit_word:
                # "5m" may be metres or million: keep both readings.
                values = tuple(v * factor for v in values) + values
            else:
                values = tuple(v * factor for v in values)
        if clock:
            hours = values[0]
            afternoon = clock == "pm" and hours < 12
            values = (hours + 12, hours) if afternoon else (hours % 12 if hours == 12 else hours,)
            out.append(_mention(m, values, None, "time"))
            continue
        kind: NumberKind = "cardinal"
        if suffix in ("st", "nd", "rd", "th", "."):
            kind = "ordinal"
        elif suffix == "s" and re.fullmatch(r"1[0-9]\d0|20\d0", raw):
            kind = "decade"
        elif _looks_like_year(raw, cur, scale_word, unit_word, text, m.end()):
            kind = "year"
        named = None
        if unit is None and not unit_word:
            unit = _unit_after(text, m.end())
            # "500 million Singapore dollars", "5 billion RMB": the name is the unit's.
            named = money.currency_after(text, m.end()) if unit is None else None
            if named is not None:
                unit = named[0]
        weak = kind == "ordinal" and values[0] == 1
        mention = _mention(m, values, unit, kind, weak)
        if named is not None:
            mention = mention._replace(end=named[1], text=text[mention.start : named[1]])
        out.append(mention)
    return out


def _read_digits(raw: str) -> tuple[float, ...]:
    """Readings of a digit string, most likely first ("2,4" -> 2.4, "2,400" -> 2400)."""
    compact = raw.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if compact != raw:
        return (float(compact),)
    if "," in raw and "." in raw:
        if raw.rfind(",") > raw.rfind("."):  # 1.234,5
            return (float(raw.replace(".", "").replace(",", ".")),)
        return (float(raw.replace(",", "")),)
    for sep in (",", "."):
        if sep not in raw:
            continue
        groups = raw.split(sep)
        if len(groups) > 2:  # 1,234,567 or 1.234.567
            return (float("".join(groups)),)
        head, tail = groups
        as_decimal = float(f"{head}.{tail}")
        if len(tail) != 3:
            return (as_decimal,)
        as_thousands = float(head + tail)
        # "2,500" is English thousands, "412.750" an English decimal; keep the other
        # reading too, since garbled text mixes the two conventions.
        return (as_thousands, as_decimal) if sep == "," else (as_decimal, as_thousands)
    return (float(raw),)


def _looks_like_year(raw: str, cur: str | None, scale: str, unit: str, text: str, end: int) -> bool:
    if cur or scale or unit or not re.fullmatch(r"1[0-9]{3}|20[0-9]{2}|2100", raw):
        return False
    nxt = _NEXT_WORD.match(text, end)
    if nxt is None or text[end : nxt.start(1)].strip():
        return True  # end of text, or punctuation after it
    word = nxt.group(1)
    return word[0].isupper() or word.lower() in _FUNCTION_WORDS


def _unit_after(text: str, end: int) -> str | None:
    m = _AFTER_UNIT.match(text, end)
    return _UNIT_WORDS.get(m.group(1).lower()) if m else None


def _mention(
    m: re.Match[str],
    values: tuple[float, ...],
    unit: str | None,
    kind: NumberKind,
    weak: bool = False,
) -> NumberMention:
    start = m.start("cur") if m.group("cur") else m.start("num")
    end = m.end()
    while end > start and m.string[end - 1].isspace():
        end -= 1
    return NumberMention(start, end, m.string[start:end], values, unit, kind, weak)


_ANY_NUMBER_WORD = frozenset(_NUMBER_WORDS | set(_APPROXIMATE))


def _word_numbers(text: str) -> list[NumberMention]:
    if _ANY_NUMBER_WORD.isdisjoint(_WORD.findall(text.lower())):
        return []
    tokens = [(t.group().lower(), t.start(), t.end()) for t in _WORD_TOKEN.finditer(text)]
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    for tok, start, _end in tokens:
        # Split hyphenated compounds ("twenty-one", "50-day" is digits) into words.
        pos = start
        for part in tok.split("-"):
            words.append(part)
            spans.append((pos, pos + len(part)))
            pos += len(part) + 1
    out: list[NumberMention] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w not in _NUMBER_WORDS and w not in ("a", "an") and w not in _APPROXIMATE:
            i += 1
            continue
        if w in _APPROXIMATE and (i == 0 or words[i - 1] not in _SMALL):
            vague = _approximate(text, words, spans, i)
            out.append(vague)
            i += 3 if vague.end > spans[i][1] else 1
            continue
        value, used, kind = _parse(words, i)
        if value is None or used == 0 or not _joined(text, spans[i : i + used]):
            i += 1
            continue
        start, end = spans[i][0], spans[i + used - 1][1]
        mention = _classify_word_number(text, words, i, used, value, kind, start, end)
        if mention is not None:
            out.append(mention)
        i += used
    return out


def _joined(text: str, spans: list[tuple[int, int]]) -> bool:
    """Words of one number are separated only by spaces or hyphens, not by punctuation."""
    return all(not text[a[1] : b[0]].strip(" -") for a, b in pairwise(spans))


def _classify_word_number(
    text: str,
    words: list[str],
    i: int,
    used: int,
    value: float,
    kind: NumberKind,
    start: int,
    end: int,
) -> NumberMention | None:
    first = words[i]
    nxt = words[i + used] if i + used < len(words) else ""
    prev = words[i - 1] if i > 0 else ""
    after = text[end : end + 1]
    weak = False
    if used == 1 and first in ("half", "quarter"):
        if after == "-" or prev in ("first", "second", "the"):
            return None  # "half-time", "the first half", "the second quarter"
        weak = True
    if used == 1 and first == "one":
        weak = True  # "no one", "the one who", "one day": often not a count at all
    if kind == "ordinal" and value == 1:
        weak = True  # "at first", "first time"
    if used == 1 and first == "second" and prev in _SMALL:
        return None  # "two second" is a duration, not an ordinal
    if first == "third" and nxt == "of" and prev in ("a", "one"):
        value, kind = 1 / 3, "fraction"  # "a third of the seats", but "a third round"
    unit = _unit_after(text, end)
    return NumberMention(start, end, text[start:end], (value,), unit, kind, weak)


def _approximate(
    text: str, words: list[str], spans: list[tuple[int, int]], i: int
) -> NumberMention:
    value = float(_APPROXIMATE[words[i]])
    start, end = spans[i]
    # "hundreds of thousands"
    if i + 2 < len(words) and words[i + 1] == "of" and words[i + 2] in _APPROXIMATE:
        value *= _APPROXIMATE[words[i + 2]]
        end = spans[i + 2][1]
    return NumberMention(start, end, text[start:end], (value,), None, "approximate")


def _both(text: str) -> list[NumberMention]:
    """'both' as a weak 2: "from both sides" may stand for "from two sides"."""
    return [
        NumberMention(m.start(), m.end(), m.group(), (2.0,), None, "cardinal", weak=True)
        for m in re.finditer(r"\bboth\b", text, re.IGNORECASE)
    ]


def unmatched(
    source: list[NumberMention], repaired: list[NumberMention], source_text: str, repaired_text: str
) -> tuple[list[NumberMention], list[NumberMention]]:
    """Strong numbers of each side that find no equal on the other side (multiset match).

    A weak mention may stand in for a strong one of the same value. A number repeated in
    an identical phrase ("24 Mechanized Brigade" in a credit printed twice) counts once.
    """
    src, rep = _distinct(source, source_text), _distinct(repaired, repaired_text)
    used_src = [False] * len(src)
    used_rep = [False] * len(rep)
    for strong_first in (True, False):
        for i, s in enumerate(src):
            if used_src[i] or s.weak:
                continue
            for j, r in enumerate(rep):
                if used_rep[j] or r.weak == strong_first:
                    continue
                if same_value(s, r) and units_agree(s, r):
                    used_src[i] = used_rep[j] = True
                    break
    for j, r in enumerate(rep):
        if used_rep[j] or r.weak:
            continue
        for i, s in enumerate(src):
            if not used_src[i] and s.weak and same_value(s, r):
                used_src[i] = used_rep[j] = True
                break
    missing = [s for i, s in enumerate(src) if not used_src[i] and not s.weak]
    added = [r for j, r in enumerate(rep) if not used_rep[j] and not r.weak]
    return missing, added


def _distinct(mentions: list[NumberMention], text: str) -> list[NumberMention]:
    """Each number once per value and what it counts: "the Ninth Conciliation" three
    times is one fact wherever in its clause each stands, and a credit printed twice
    ("24 Mechanized Brigade") one number."""
    seen: set[tuple[tuple[float, ...], str | None, str, str]] = set()
    out: list[NumberMention] = []
    for m in mentions:
        key = (m.values, m.unit, m.kind, _counted(text, m.end))
        if key in seen:
            continue
        seen.add(key)
        out.append(m)
    return out


def _counted(text: str, end: int) -> str:
    """The word a number counts: the word after it, unless a function word ("two are")."""
    after = _NEXT_WORD.match(text, end)
    if after is None:
        return ""
    word = after.group(1).lower()
    return "" if word in _FUNCTION_WORDS else word
