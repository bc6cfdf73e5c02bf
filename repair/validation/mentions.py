"""Number, date and name checks: the mentions of a paragraph and of its repair compared.

Numbers, dates and names are compared per paragraph as multisets of values, a change of
form ("ten" -> "10", "Witcooff" -> "Witkoff") being no change; a missing value and an
added one in the same sentence group are reported as one change. Names are also checked
for a swap inside the paragraph, where the multiset of the whole paragraph is unchanged.
"""

from __future__ import annotations

from collections import Counter

from repair.facts.ledger import ParagraphFacts
from repair.facts.names import NameMention, NamePool, name_present, same_name
from repair.facts.numbers import unmatched
from repair.facts.spans import starting_in
from repair.results import IssueKind
from repair.validation.findings import Finding, Pair, changes, group_span

_DATE_KINDS = ("year", "decade", "day")


def check_numbers(pair: Pair) -> list[Finding]:
    missing, added = unmatched(pair.src.numbers, pair.rep.numbers, pair.src.text, pair.rep.text)

    def kind_of(is_missing: bool, k: int) -> IssueKind:
        n = missing[k] if is_missing else added[k]
        return "date" if n.kind in _DATE_KINDS else "number"

    return changes(
        pair, kind_of, [(n.start, n.end) for n in missing], [(n.start, n.end) for n in added], True
    )


def check_dates(pair: Pair) -> list[Finding]:
    rep_left = list(pair.rep.dates)
    missing = []
    for d in pair.src.dates:
        twin = next((r for r in rep_left if r.value == d.value), None)
        if twin is None:
            missing.append((d.start, d.end))
        else:
            rep_left.remove(twin)
    added = [(d.start, d.end) for d in rep_left]
    return changes(pair, lambda _m, _k: "date", missing, added)


def check_names(pair: Pair) -> list[Finding]:
    src_pool = NamePool(pair.src.text, pair.src.names)
    rep_pool = NamePool(pair.rep.text, pair.rep.names)
    missing = _absent(pair.src.names, rep_pool, pair.glossary, credits=True)
    added = _absent(pair.rep.names, src_pool, pair.glossary, credits=False)
    findings = changes(
        pair,
        lambda _m, _k: "entity",
        [(m.start, m.end) for m in missing],
        [(m.start, m.end) for m in added],
    )
    if not findings:
        findings = _swapped_names(pair)
    return findings


def _absent(
    mentions: list[NameMention], pool: NamePool, glossary: list[tuple[str, str]], credits: bool
) -> list[NameMention]:
    """Mentions whose name is nowhere in the pool, once per name."""
    out: list[NameMention] = []
    heads: list[str] = []
    for m in mentions:
        if name_present(m, pool, glossary) or any(same_name(m.head, h) for h in heads):
            continue
        # A garbled credit is printed with debris ("-Mightlands/EPA/Shutterstock"); the
        # credit is kept if any of its names is. Names added to a credit still count.
        if (
            credits
            and m.credit is not None
            and any(
                o.credit == m.credit and o is not m and name_present(o, pool, glossary)
                for o in mentions
            )
        ):
            continue
        heads.append(m.head)
        out.append(m)
    return out


def _swapped_names(pair: Pair) -> list[Finding]:
    """A name replaced by another name of the same paragraph ("sided with Russia …
    condemned Russia’s aggression in Ukraine" with the first "Russia" made "Ukraine", or
    "Trump wants a deal. Putin wants victory." with the two swapped): in a sentence group
    one name is written fewer times and another name of the paragraph more."""
    out: list[Finding] = []
    everywhere = [w for m in pair.src.names for w in m.words]
    for g in pair.groups:
        if not g.src or not g.rep:
            continue
        s_names = _names_in(pair.src, g.src)
        r_names = _names_in(pair.rep, g.rep)
        s_words = [w for m in s_names for w in m.words]
        r_words = [w for m in r_names for w in m.words]
        s_exact, r_exact = Counter(s_words), Counter(r_words)
        # Spellings merged into one name only even counts out: without a word written
        # more often and one written less often, no name can have replaced another.
        if not (s_exact - r_exact) or not (r_exact - s_exact):
            continue
        one = _spellings([*s_words, *r_words, *everywhere])
        s_count = Counter(one[w] for w in s_words)
        r_count = Counter(one[w] for w in r_words)
        known = {one[w] for w in everywhere}
        lost = [m for m in s_names if s_count[one[m.head]] > r_count[one[m.head]]]
        gone = {one[m.head] for m in lost}
        gained = [
            m
            for m in r_names
            if s_count[one[m.head]] < r_count[one[m.head]]
            and one[m.head] in known
            and one[m.head] not in gone
        ]
        if lost and gained:
            a, b = lost[-1], gained[-1]
            out.append(
                Finding(
                    "entity", f"'{a.text}' became '{b.text}'", (a.start, a.end), (b.start, b.end)
                )
            )
    return out


def _spellings(words: list[str]) -> dict[str, str]:
    """Each word mapped to the first word it is a spelling of (itself if none)."""
    firsts: list[str] = []
    out: dict[str, str] = {}
    for w in dict.fromkeys(words):
        first = next((f for f in firsts if same_name(w, f)), None)
        if first is None:
            firsts.append(w)
            first = w
        out[w] = first
    return out


def _names_in(pf: ParagraphFacts, ids: tuple[int, ...]) -> list[NameMention]:
    """The names of some sentences in a row (of those that start within their span)."""
    spans = [pf.sentences[i] for i in ids]
    return [
        m
        for m in starting_in(pf.names, *group_span(pf.sentences, ids))
        if any(_inside(m.start, span) for span in spans)
    ]


def _inside(pos: int, span: tuple[int, int]) -> bool:
    return span[0] <= pos < span[1]
