"""The fact ledger: what a text asserts that a repair must keep.

`extract_facts` lists, with character offsets, the numbers, dates, names, quotes and
negations of an article. The validator reads the same things one paragraph at a time
through `read_paragraph`, which also keeps what it needs to align sentences (content
words and their stems). Everything is deterministic and fast: regular expressions and
a few word lists, no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from repair.errors import FactError
from repair.facts.names import (
    MONTHS,
    STOPWORDS,
    TITLES,
    WEEKDAYS,
    NameMention,
    find_names,
)
from repair.facts.negations import NegationCue, find_negations
from repair.facts.numbers import NumberMention, find_numbers
from repair.facts.spans import Spans, starting_in
from repair.facts.words import Word, fold, stem, tokens
from repair.formats.text import segment, sentence_spans

FactKind = Literal["number", "date", "entity", "quote", "negation"]


class Fact(BaseModel):
    """One fact and where it is: `start`/`end` are offsets into the text given."""

    model_config = ConfigDict(frozen=True)

    kind: FactKind
    text: str
    start: int
    end: int
    paragraph: str | None = None
    value: float | str | None = None  # a number's value, a date's normal form, a name's head
    alternatives: tuple[float, ...] = ()  # other readings of an ambiguous number
    unit: str | None = None
    weak: bool = False  # "one", "first", "until": counted only in support of a strong fact
    speaker: str | None = None  # for a quote, the name it is attributed to
    changed_by: Literal["editor"] | None = None  # an accepted suggestion put it there


class FactLedger(BaseModel):
    """All facts of a text, in order of position."""

    model_config = ConfigDict(frozen=True)

    facts: list[Fact]

    def of(self, kind: FactKind) -> list[Fact]:
        return [f for f in self.facts if f.kind == kind]


# --- dates ------------------------------------------------------------------------------


class DateMention(NamedTuple):
    start: int
    end: int
    text: str
    value: str  # "month:march", "weekday:sunday", "relative:last month"


_MONTH_RE = "|".join(m.capitalize() for m in MONTHS)
_ABBREVIATED_MONTHS = {m[:3]: m for m in MONTHS if m != "may"} | {"sept": "september"}
_RELATIVE_FIRST = {
    "last": "last", "this": "this", "next": "next", "past": "last", "coming": "next",
    "previous": "last", "following": "next",
}  # fmt: skip
_RELATIVE_UNITS = frozenset(
    "week month year weekend spring summer autumn fall winter morning afternoon evening "
    "night decade century".split()
)
_RELATIVE_DAYS = {
    "yesterday": "yesterday",
    "today": "this day",
    "tomorrow": "tomorrow",
    "tonight": "this night",
}
_WEEKDAYS = frozenset(WEEKDAYS)
_PERIOD_EDGE = frozenset({"first", "early", "final", "closing", "opening"})
_PERIODS = frozenset({"days", "weeks", "months", "years", "hours"})
# "May" and "March" are also ordinary words: mid-sentence capitals or a number beside them
# make them months.
_AMBIGUOUS_MONTHS = frozenset({"may", "march", "august"})


_ABBREVIATION_END = re.compile(r"\.|\s?\d")
_DATE_HINT = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun|last"
    r"|first|early|final|closing|opening"
    r"|this|next|past|coming|previous|following|yesterday|today|tomorrow|tonight)"
)


def find_dates(text: str) -> list[DateMention]:
    """Months, weekdays and relative dates ("last month"), each with a normal form."""
    out: list[DateMention] = []
    if _DATE_HINT.search(text.lower()) is None:
        return out
    toks = tokens(text)
    for i, t in enumerate(toks):
        f = t.folded
        if t.text[0].isupper() and (f in MONTHS or f in _ABBREVIATED_MONTHS):
            if f in _ABBREVIATED_MONTHS and not _ABBREVIATION_END.match(text, t.end):
                continue  # "Jan Verhoeven" is not January
            name = _ABBREVIATED_MONTHS.get(f, f)
            if name in _AMBIGUOUS_MONTHS and not _looks_like_month(text, t.start, t.end):
                continue
            out.append(DateMention(t.start, t.end, t.text, f"month:{name}"))
        elif t.text[0].isupper() and (f in _WEEKDAYS or (f.endswith("s") and f[:-1] in _WEEKDAYS)):
            out.append(DateMention(t.start, t.end, t.text, f"weekday:{f.removesuffix('s')}"))
        elif f in _RELATIVE_DAYS:
            out.append(DateMention(t.start, t.end, t.text, f"relative:{_RELATIVE_DAYS[f]}"))
        elif f in _PERIOD_EDGE and i + 1 < len(toks) and toks[i + 1].folded in _PERIODS:
            # "in the first weeks of his presidency", "the final days of the campaign"
            nxt = toks[i + 1]
            if text[t.end : nxt.start].isspace():
                value = f"relative:{f} {nxt.folded}"
                out.append(DateMention(t.start, nxt.end, text[t.start : nxt.end], value))
        elif f in _RELATIVE_FIRST and i + 1 < len(toks) and toks[i + 1].folded in _RELATIVE_UNITS:
            nxt = toks[i + 1]
            if text[t.end : nxt.start].isspace():
                value = f"relative:{_RELATIVE_FIRST[f]} {nxt.folded}"
                out.append(DateMention(t.start, nxt.end, text[t.start : nxt.end], value))
    return out


_DIGIT_AFTER_MONTH = re.compile(r"\W{0,3}\d")
_DIGIT_BEFORE_MONTH = re.compile(r"\d\.?\s*$")


def _looks_like_month(text: str, start: int, end: int) -> bool:
    """Whether a capitalised "May" or "March" is the month: beside a number, or mid-sentence."""
    if _DIGIT_AFTER_MONTH.match(text, end) or _DIGIT_BEFORE_MONTH.search(
        text, max(0, start - 4), start
    ):
        return True
    before = text[max(0, start - 20) : start].rstrip()
    return bool(before) and before[-1] not in '.!?“"‘'


# --- quotes -----------------------------------------------------------------------------


class QuoteMention(NamedTuple):
    start: int  # of the quoted words, marks excluded
    end: int
    text: str
    speaker: str | None  # folded head of the name it is attributed to
    said_by: str | None = None  # that name as written, for messages


_MARK = re.compile(r"[\"“”„«»‟]")
_OPENERS = frozenset("“„«‟")
_SPEECH = (
    r"(?:said|says|told|tells|added|adds|asked|wrote|writes|explained|insisted|declared"
    r"|warned|replied|stated)"
)


def find_quotes(text: str, names: list[NameMention]) -> list[QuoteMention]:
    """Quoted passages, tolerant of the broken and unbalanced marks of garbled text.

    Marks pair in order of appearance whatever their shape (garbled text closes with an
    opening mark or a straight one); an opening curly mark while a quote is open closes
    the open one; a quote still open at the end runs to the end of the text. A straight
    mark glued between two letters is debris, not a quote.
    """
    marks = [
        m.start()
        for m in _MARK.finditer(text)
        if not (
            m.group() == '"' and _alnum_at(text, m.start() - 1) and _alnum_at(text, m.start() + 1)
        )
    ]
    spans: list[tuple[int, int]] = []
    open_at: int | None = None
    for pos in marks:
        if open_at is None:
            open_at = pos
        elif text[pos] in _OPENERS and text[open_at] in _OPENERS and _starts_word(text, pos):
            spans.append((open_at + 1, pos))
            open_at = pos
        else:
            spans.append((open_at + 1, pos))
            open_at = None
    if open_at is not None:
        if not re.search(r"[^\W\d_]", text[open_at + 1 :]) and len(marks) > 1:
            # A mark at the very end can only close: the garbled '…say,” We are tired. “'
            spans.append((marks[-2] + 1, open_at))
        else:
            spans.append((open_at + 1, len(text)))
    out: list[QuoteMention] = []
    for a, b in spans:
        while a < b and (text[a].isspace() or text[a] in "-–—"):
            a += 1
        while b > a and (text[b - 1].isspace() or text[b - 1] in "-–—"):
            b -= 1
        if re.search(r"[^\W\d_]", text[a:b]):
            who = _speaker(text, a, b, names)
            out.append(
                QuoteMention(a, b, text[a:b], who.head if who else None, who.text if who else None)
            )
    return out


def _alnum_at(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i].isalnum()


def _starts_word(text: str, pos: int) -> bool:
    return pos + 1 < len(text) and not text[pos + 1].isspace()


_TITLE_WORD = re.compile(r"[^\W\d_]+\.?")
_SPEECH_AFTER = re.compile(rf"[\W_]*(?:{_SPEECH}[\W_]+(?:[\w’']+[\W_]+){{0,6}})?", re.IGNORECASE)
_VERB_NEXT = re.compile(rf"\s+{_SPEECH}\b", re.IGNORECASE)
_SPEECH_BEFORE = re.compile(rf"\s+{_SPEECH}\b[^\"“”«»]{{0,60}}", re.IGNORECASE)


def _speaker(text: str, a: int, b: int, names: list[NameMention]) -> NameMention | None:
    """The name attached to a quote by a speech verb just after or just before it."""
    following = starting_in(names, b, b + 80)
    if following:
        m = following[0]
        between = _TITLE_WORD.sub(
            lambda w: "" if fold(w.group()) in TITLES else w.group(), text[b : m.start]
        )
        if _SPEECH_AFTER.fullmatch(between) and (
            re.search(_SPEECH, between, re.IGNORECASE) or _VERB_NEXT.match(text, m.end)
        ):
            return m
    preceding = [m for m in starting_in(names, a - 80, a) if m.end <= a]
    if preceding:
        m = preceding[-1]
        if _SPEECH_BEFORE.fullmatch(text, m.end, max(m.end, a - 1)):
            return m
    return None


# --- one paragraph ----------------------------------------------------------------------


@dataclass(slots=True)
class ParagraphFacts:
    text: str
    sentences: list[tuple[int, int]]
    numbers: list[NumberMention]
    dates: list[DateMention]
    names: list[NameMention]
    quotes: list[QuoteMention]
    negations: list[NegationCue]
    words: list[Word] = field(default_factory=list)  # content words, outside numbers


def read_paragraph(text: str, evidence: str = "") -> ParagraphFacts:
    """Facts of one paragraph; `evidence` is the other side, to recognise names."""
    numbers = _with_days(text, find_numbers(text))
    dates = find_dates(text)
    taken = Spans((n.start, n.end) for n in numbers)
    # Units are not names: "7.3 mm Hg", "30 degrees Celsius".
    names = [m for m in find_names(text, evidence) if m.start not in taken]
    words = [
        Word(t.start, t.end, t.folded, stem(t.folded), t.text[:1].isupper())
        for t in tokens(text)
        if t.folded not in STOPWORDS and not (taken and t.start in taken)
    ]
    return ParagraphFacts(
        text=text,
        sentences=sentence_spans(text),
        numbers=numbers,
        dates=dates,
        names=names,
        quotes=find_quotes(text, names),
        negations=find_negations(text),
        words=words,
    )


_MONTH_BEFORE = re.compile(rf"\b(?:{_MONTH_RE})\s*$")
_MONTH_NEAR = re.compile(rf"^\s*(?:of\s+)?(?:{_MONTH_RE})\b|\b(?:{_MONTH_RE})\s*,?\s*$")


def _with_days(text: str, numbers: list[NumberMention]) -> list[NumberMention]:
    """A number next to a month is a day of the month: "14 October", "October 14th"."""
    out: list[NumberMention] = []
    for n in numbers:
        if n.kind in ("cardinal", "ordinal") and 1 <= n.value <= 31 and n.value == int(n.value):
            after = text[n.end : n.end + 14]
            before = text[max(0, n.start - 12) : n.start]
            if _MONTH_NEAR.search(after) or _MONTH_BEFORE.search(before):
                n = NumberMention(n.start, n.end, n.text, n.values, None, "day", n.weak)
        out.append(n)
    return out


def extract_facts(text: str) -> FactLedger:
    """The facts of an article, paragraph by paragraph, with offsets into `text`."""
    if not isinstance(text, str):
        raise FactError("extract_facts needs a string", got=type(text).__name__)
    facts: list[Fact] = []
    doc = segment(text)
    offset = len(doc.prefix)
    for p in doc.paragraphs:
        facts.extend(_paragraph_facts(read_paragraph(p.text), p.id, offset))
        offset += len(p.text) + len(p.tail)
    facts.sort(key=lambda f: (f.start, f.kind))
    return FactLedger(facts=facts)


def _paragraph_facts(pf: ParagraphFacts, pid: str, offset: int) -> list[Fact]:
    def fact(kind: FactKind, start: int, end: int, **more: Any) -> Fact:
        return Fact(
            kind=kind, text=pf.text[start:end], start=offset + start, end=offset + end,
            paragraph=pid, **more,
        )  # fmt: skip

    out: list[Fact] = []
    for n in pf.numbers:
        kind: FactKind = "date" if n.kind in ("year", "decade", "day") else "number"
        out.append(
            fact(
                kind,
                n.start,
                n.end,
                value=n.value,
                alternatives=n.values[1:],
                unit=n.unit,
                weak=n.weak,
            )
        )
    out += [fact("date", d.start, d.end, value=d.value) for d in pf.dates]
    out += [fact("entity", m.start, m.end, value=m.head) for m in pf.names]
    out += [fact("quote", q.start, q.end, speaker=q.speaker) for q in pf.quotes]
    out += [
        fact("negation", c.start, c.end, value=c.group, weak=c.group == "weak")
        for c in pf.negations
    ]
    return out


def mark_changed_by_editor(ledger: FactLedger, spans: list[tuple[int, int]]) -> FactLedger:
    """The ledger with every fact within one of `spans` (offsets into the ledger's text)
    recorded as changed by the editor: an accepted suggestion, not a repair's change."""
    if not spans:
        return ledger
    return FactLedger(
        facts=[
            f.model_copy(update={"changed_by": "editor"})
            if any(f.start < b and a < f.end for a, b in spans)
            else f
            for f in ledger.facts
        ]
    )
