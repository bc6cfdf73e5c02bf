"""Currencies as the units of amounts: "S$500 million", "SGD 500 million" and "500 million
Singapore dollars" are one amount.

The symbols, codes and names come from data: ISO 4217 codes and names (pycountry), and
the English symbols and display names of CLDR (Babel), plus the currency lines of
`forms.txt` ("RMB = renminbi = yuan"). A symbol that ends another currency's symbol
stands for both ("¥" is yen, and yuan as "CN¥"); a letter or two before "$" names the
dollar of the country whose code or name starts so ("S$", "HK$", "NT$"). A unit here is
an ISO code, or several joined by "|" when a symbol is ambiguous; two units agree when
they share a code, and any two dollars agree (a bare "$" is the local dollar as often as
the US one).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import NamedTuple

from repair.facts.forms import compact, equivalents

_SYMBOL_CHARS = re.compile(r"[^\w\s]")


class _Money(NamedTuple):
    symbols: dict[str, frozenset[str]]  # "CN¥" -> {"CNY"}
    names: dict[str, str]  # compact name -> code: "singaporedollars" -> "SGD"
    codes: dict[str, str]  # folded code -> code: "sgd" -> "SGD"
    dollars: frozenset[str]  # codes of currencies called dollars
    initials: dict[str, frozenset[str]]  # "hk" -> {"HKD"}: letters that may stand before "$"


@cache
def _money() -> _Money:
    import pycountry  # loaded when first asked, as in forms.py
    from babel import Locale
    from babel.numbers import get_currency_name

    english = Locale("en")
    names: dict[str, str] = {}
    dollars: set[str] = set()
    initials: dict[str, set[str]] = {}
    for currency in pycountry.currencies:
        code = currency.alpha_3
        spelled = [
            currency.name,
            get_currency_name(code, locale=english),
            get_currency_name(code, count=2, locale=english),
        ]
        for name in spelled:
            names.setdefault(compact(name), code)
        if any(n.lower().endswith("dollar") for n in spelled):
            dollars.add(code)
            words = spelled[1].split()[:-1]  # "New Taiwan Dollar" -> "NT"
            for letters in {code[:1], code[:2], "".join(w[0] for w in words)}:
                initials.setdefault(letters.lower(), set()).add(code)
    symbols: dict[str, set[str]] = {}
    for code, symbol in english.currency_symbols.items():
        if symbol not in (code, "¤") and _SYMBOL_CHARS.search(symbol) and code in names.values():
            symbols.setdefault(symbol, set()).add(code)
    for symbol in list(symbols):
        for other, found in list(symbols.items()):
            if other != symbol and other.endswith(symbol) and symbol != "$":
                symbols[symbol] |= found  # "¥" may be "CN¥"; every dollar agrees anyway
    return _Money(
        {s: frozenset(c) for s, c in symbols.items()},
        names,
        {c.alpha_3.lower(): c.alpha_3 for c in pycountry.currencies},
        frozenset(dollars),
        {k: frozenset(v) for k, v in initials.items()},
    )


@lru_cache(maxsize=1024)
def symbol_unit(symbol: str) -> str | None:
    """The unit a currency symbol or code before an amount stands for ("S$" -> "SGD")."""
    money = _money()
    codes = money.symbols.get(symbol)
    if codes is None and symbol.endswith("$") and len(symbol) > 1:
        codes = money.initials.get(symbol[:-1].lower())
    if codes is None:
        return name_unit(symbol)
    return "|".join(sorted(codes))


@lru_cache(maxsize=4096)
def name_unit(phrase: str) -> str | None:
    """The unit a currency's name or code stands for ("Singapore dollars" -> "SGD",
    "SGD" -> "SGD", "RMB" -> "CNY"), or None."""
    money = _money()
    key = compact(phrase)
    if len(key) == 3 and key in money.codes:
        # A code counts in capitals only: "ALL" is the lek, "all" is not.
        return money.codes[key] if phrase.isupper() else None
    if key in money.names:
        return money.names[key]
    for form in equivalents(key):  # "RMB = renminbi = yuan" in forms.txt
        if form.key in money.names:
            return money.names[form.key]
        if form.key in money.codes and form.caps:
            return money.codes[form.key]
    return None


def codes() -> list[str]:
    """Every currency code, for the pattern that reads amounts."""
    return sorted(c.upper() for c in _money().codes)


def symbols() -> list[str]:
    """Every currency symbol of the data, for the pattern that reads amounts."""
    return sorted(_money().symbols)


def units(unit: str) -> frozenset[str]:
    return frozenset(unit.split("|"))


@lru_cache(maxsize=4096)
def same_currency(a: str, b: str) -> bool:
    """Whether two currency units can be one currency (both dollars count as one)."""
    ua, ub = units(a), units(b)
    if ua & ub:
        return True
    dollars = _money().dollars
    return bool(ua & dollars) and bool(ub & dollars)


def is_currency(unit: str) -> bool:
    known = _money().codes
    return all(u.lower() in known for u in units(unit))


# Words that may follow an amount to name its currency: "500 million Singapore dollars".
_AFTER = re.compile(r"\s?((?:[A-Z][a-z]+\s){0,2}[A-Za-z]+)")


def currency_after(text: str, end: int) -> tuple[str, int] | None:
    """A currency named right after an amount: (unit, where the name ends)."""
    m = _AFTER.match(text, end)
    if m is None:
        return None
    words = m.group(1).split()
    # The longest run of words that is a currency's name: "Hong Kong dollars", "RMB".
    for n in range(len(words), 0, -1):
        phrase = " ".join(words[:n])
        unit = name_unit(phrase)
        if unit is not None:
            return unit, m.start(1) + len(phrase)
    return None
