"""Compare the fact ledgers of a source and its repair: did any fact change?

A repair of machine-translated text rewrites a lot (word order, idioms, the spelling of
names), so the comparison is tolerant of form and strict about content:

- numbers, dates and names are compared per paragraph as multisets of values, a change
  of form ("ten" -> "10", "Witcooff" -> "Witkoff") being no change;
- sentences are aligned inside a paragraph (one source sentence may become two, or two
  one), so that a negation, a dropped sentence or an added one can be placed;
- quotes must survive recognisably, with their negations, numbers and speaker, and none
  may appear from nowhere.

`validate_paragraph` is what the pipeline calls on each paragraph the model returns;
`validate` aligns the paragraphs of two articles first.

Known limits, for want of a model: a quote reworded *inside a paragraph that was itself
rewritten* is accepted if its negations, numbers, names and speaker survive ("tough guy"
made "weak guy" in a garbled paragraph passes); the same change in a paragraph otherwise
left as it was is caught. A name that opens a sentence counts only with evidence that it
is a name (see `names.find_names`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict
from rapidfuzz.distance import Indel

from repair.errors import FactError
from repair.facts import (
    ParagraphFacts,
    QuoteMention,
    Word,
    negation_count,
    negation_profile,
    read_paragraph,
    stem,
)
from repair.names import (
    STOPWORDS,
    NameMention,
    NamePool,
    Token,
    glossary_pairs,
    name_present,
    same_name,
    tokens,
)
from repair.numbers import NumberMention, same_value, unmatched
from repair.segment import segment

IssueKind = Literal[
    "number", "date", "entity", "quote", "negation", "omission", "addition", "structure"
]


class TextSpan(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    start: int
    end: int


class ValidationIssue(BaseModel):
    """One finding, with where it is on each side and a sentence an editor understands."""

    model_config = ConfigDict(frozen=True)

    kind: IssueKind
    paragraph: str | None
    source: TextSpan | None
    repaired: TextSpan | None
    message: str


class ValidationReport(BaseModel):
    ok: bool
    issues: list[ValidationIssue]


# --- aligning sentences ---------------------------------------------------------------------


class _Tok(NamedTuple):
    """What a sentence says, one unit at a time: a content word or a number."""

    stem: str
    word: Word | None
    number: NumberMention | None


def _sentence_tokens(pf: ParagraphFacts, start: int, end: int) -> list[_Tok]:
    out = [_Tok(w.stem, w, None) for w in pf.words if start <= w.start < end]
    out += [
        _Tok(f"#{n.value:g}", None, n) for n in pf.numbers if start <= n.start < end and not n.weak
    ]
    return out


_NEGATING_PREFIXES = ("un", "in", "im", "non", "dis", "ir", "il")


def _alike(a: _Tok, b: _Tok) -> bool:
    if a.number is not None or b.number is not None:
        return a.number is not None and b.number is not None and same_value(a.number, b.number)
    assert a.word is not None and b.word is not None
    return _alike_words(a.word.folded, b.word.folded, a.word.capitalised or b.word.capitalised)


@lru_cache(maxsize=65536)
def _alike_words(x: str, y: str, capitalised: bool) -> bool:
    short, long = sorted((x, y), key=len)
    if len(short) >= 5 and Indel.normalized_similarity(x, y) >= 0.8:
        # "convincing" / "unconvincing" are opposites, not two spellings.
        return not any(long == p + short for p in _NEGATING_PREFIXES)
    return capitalised and same_name(x, y)


def _fuzzy(t: _Tok) -> bool:
    return t.number is not None or (
        t.word is not None and (t.word.capitalised or len(t.word.folded) >= 5)
    )


def _match(a: list[_Tok], b: list[_Tok]) -> tuple[set[int], set[int]]:
    """Indices of `a` and of `b` that pair up, each token used once."""
    free: dict[str, list[int]] = {}
    for j, t in enumerate(b):
        free.setdefault(t.stem, []).append(j)
    got_a: set[int] = set()
    got_b: set[int] = set()
    for i, t in enumerate(a):
        bucket = free.get(t.stem)
        if bucket:
            j = bucket.pop()
            got_a.add(i)
            got_b.add(j)
    # Only numbers, long words and names can match without being equal.
    rest_b = [j for j in range(len(b)) if j not in got_b and _fuzzy(b[j])]
    if not rest_b:
        return got_a, got_b
    for i, t in enumerate(a):
        if i in got_a or not _fuzzy(t):
            continue
        for j in rest_b:
            if j not in got_b and _alike(t, b[j]):
                got_a.add(i)
                got_b.add(j)
                break
    return got_a, got_b


def _close(s: list[_Tok], r: list[_Tok]) -> bool:
    """Two sentences that share at least half their tokens are a sentence and its repair."""
    if not s and not r:
        return True
    got_s, got_r = _match(s, r)
    return len(got_s) + len(got_r) >= 0.5 * (len(s) + len(r))


class _Group(NamedTuple):
    src: tuple[int, ...]  # sentence indices; empty for an added sentence
    rep: tuple[int, ...]  # empty for a dropped sentence


_SHAPES = ((1, 1), (1, 2), (2, 1), (2, 2), (1, 3), (3, 1), (1, 0), (0, 1))
_SKIP = 0.75  # cost of leaving one token unaligned by dropping its whole sentence


def _align(src: list[list[_Tok]], rep: list[list[_Tok]]) -> list[_Group]:
    """Monotone alignment of sentences minimising unmatched tokens (a Gale-Church walk)."""
    n, m = len(src), len(rep)
    if n == m and all(_close(s, r) for s, r in zip(src, rep, strict=True)):
        return [_Group((i,), (i,)) for i in range(n)]  # the usual case: sentence for sentence
    inf = float("inf")
    best = [[inf] * (m + 1) for _ in range(n + 1)]
    back: dict[tuple[int, int], tuple[int, int]] = {}
    best[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if best[i][j] == inf:
                continue
            for a, b in _SHAPES:
                if i + a > n or j + b > m:
                    continue
                s = [t for k in range(i, i + a) for t in src[k]]
                r = [t for k in range(j, j + b) for t in rep[k]]
                if a == 0 or b == 0:
                    cost = _SKIP * (len(s) + len(r)) + 0.1
                else:
                    got_s, got_r = _match(s, r)
                    cost = (len(s) - len(got_s)) + (len(r) - len(got_r)) + 0.5 * (a + b - 2)
                if best[i][j] + cost < best[i + a][j + b]:
                    best[i + a][j + b] = best[i][j] + cost
                    back[(i + a, j + b)] = (a, b)
    groups: list[_Group] = []
    i, j = n, m
    while i or j:
        a, b = back[(i, j)]
        groups.append(_Group(tuple(range(i - a, i)), tuple(range(j - b, j))))
        i, j = i - a, j - b
    return groups[::-1]


# --- one paragraph --------------------------------------------------------------------------


@dataclass(slots=True)
class _Pair:
    """A source paragraph and its repair, read and aligned, ready to be compared."""

    src: ParagraphFacts
    rep: ParagraphFacts
    groups: list[_Group]
    src_toks: list[list[_Tok]]
    rep_toks: list[list[_Tok]]
    glossary: list[tuple[str, str]]
    pid: str | None

    def group_of(self, side: Literal["src", "rep"], pos: int) -> int:
        spans = (self.src if side == "src" else self.rep).sentences
        for k, g in enumerate(self.groups):
            for s in g.src if side == "src" else g.rep:
                if spans[s][0] <= pos < max(spans[s][1], spans[s][0] + 1):
                    return k
        return -1

    def issue(
        self,
        kind: IssueKind,
        message: str,
        src: tuple[int, int] | None = None,
        rep: tuple[int, int] | None = None,
    ) -> ValidationIssue:
        return ValidationIssue(
            kind=kind,
            paragraph=self.pid,
            source=_span(self.src.text, src),
            repaired=_span(self.rep.text, rep),
            message=message,
        )


def _span(text: str, where: tuple[int, int] | None) -> TextSpan | None:
    if where is None:
        return None
    return TextSpan(text=text[where[0] : where[1]], start=where[0], end=where[1])


def validate_paragraph(
    source: str,
    repaired: str,
    *,
    glossary: Mapping[str, str] | None = None,
    paragraph_id: str | None = None,
) -> list[ValidationIssue]:
    """Every fact of one source paragraph that its repair changed, dropped or invented.

    Offsets in the issues are offsets into `source` and `repaired`. Raises `FactError`
    when the texts cannot be compared (not strings, or a bug met on unusual input).
    """
    if not isinstance(source, str) or not isinstance(repaired, str):
        raise FactError("validate_paragraph needs two strings", paragraph=paragraph_id)
    try:
        return _validate_paragraph(source, repaired, glossary, paragraph_id)
    except FactError:
        raise
    except Exception as exc:
        # The pipeline keeps the original paragraph on a FactError; anything else would
        # take the whole article down with it.
        raise FactError(f"could not compare paragraph: {exc!r}", paragraph=paragraph_id) from exc


def _validate_paragraph(
    source: str, repaired: str, glossary: Mapping[str, str] | None, paragraph_id: str | None
) -> list[ValidationIssue]:
    src = read_paragraph(source, evidence=repaired)
    rep = read_paragraph(repaired, evidence=source)
    src_toks = [_sentence_tokens(src, a, b) for a, b in src.sentences]
    rep_toks = [_sentence_tokens(rep, a, b) for a, b in rep.sentences]
    pair = _Pair(
        src,
        rep,
        _align(src_toks, rep_toks),
        src_toks,
        rep_toks,
        glossary_pairs(glossary),
        paragraph_id,
    )
    issues: list[ValidationIssue] = []
    for check in _CHECKS:
        issues.extend(check(pair))
    return issues


def _phrase(text: str, start: int, end: int) -> tuple[int, int]:
    """A mention widened to the word after it, so "50-day" reads "50-day ultimatum"."""
    i = end
    while i < len(text) and text[i] == " ":
        i += 1
    j = i
    while j < len(text) and (text[j].isalpha() or text[j] in "’'"):
        j += 1
    return (start, j) if j > i and i - end <= 1 else (start, end)


def _changes(
    pair: _Pair,
    kind_of: Callable[[bool, int], IssueKind],
    missing: list[tuple[int, int]],
    added: list[tuple[int, int]],
    widen: bool = False,
) -> list[ValidationIssue]:
    """Issues for facts missing from the repair and facts added to it, pairing a missing
    and an added one of the same sentence group as one change ("X became Y")."""
    out: list[ValidationIssue] = []
    st, rt = pair.src.text, pair.rep.text
    left = list(added)
    for k, (a, b) in enumerate(missing):
        where = _phrase(st, a, b) if widen else (a, b)
        group = pair.group_of("src", a)
        partner = next((x for x in left if pair.group_of("rep", x[0]) == group), None)
        if partner is not None:
            left.remove(partner)
            there = _phrase(rt, *partner) if widen else partner
            message = f"'{st[where[0] : where[1]]}' became '{rt[there[0] : there[1]]}'"
            out.append(pair.issue(kind_of(True, k), message, where, there))
        else:
            out.append(
                pair.issue(
                    kind_of(True, k),
                    f"'{st[where[0] : where[1]]}' is missing from the repair",
                    where,
                )
            )
    for a, b in left:
        there = _phrase(rt, a, b) if widen else (a, b)
        k = added.index((a, b))
        message = f"'{rt[there[0] : there[1]]}' appears in the repair but not in the source"
        out.append(pair.issue(kind_of(False, k), message, None, there))
    return out


# --- the checks -----------------------------------------------------------------------------

_DATE_KINDS = ("year", "decade", "day")


def _check_numbers(pair: _Pair) -> list[ValidationIssue]:
    missing, added = unmatched(pair.src.numbers, pair.rep.numbers, pair.src.text, pair.rep.text)

    def kind_of(is_missing: bool, k: int) -> IssueKind:
        n = missing[k] if is_missing else added[k]
        return "date" if n.kind in _DATE_KINDS else "number"

    return _changes(
        pair, kind_of, [(n.start, n.end) for n in missing], [(n.start, n.end) for n in added], True
    )


def _check_dates(pair: _Pair) -> list[ValidationIssue]:
    rep_left = list(pair.rep.dates)
    missing = []
    for d in pair.src.dates:
        twin = next((r for r in rep_left if r.value == d.value), None)
        if twin is None:
            missing.append((d.start, d.end))
        else:
            rep_left.remove(twin)
    added = [(d.start, d.end) for d in rep_left]
    return _changes(pair, lambda _m, _k: "date", missing, added)


def _check_names(pair: _Pair) -> list[ValidationIssue]:
    src_pool = NamePool(pair.src.text, pair.src.names)
    rep_pool = NamePool(pair.rep.text, pair.rep.names)
    missing = _absent(pair.src.names, rep_pool, pair.glossary, credits=True)
    added = _absent(pair.rep.names, src_pool, pair.glossary, credits=False)
    issues = _changes(
        pair,
        lambda _m, _k: "entity",
        [(m.start, m.end) for m in missing],
        [(m.start, m.end) for m in added],
    )
    if not issues:
        issues = _swapped_names(pair)
    return issues


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


def _swapped_names(pair: _Pair) -> list[ValidationIssue]:
    """A name replaced by another name of the same paragraph ("sided with Russia …
    condemned Russia’s aggression in Ukraine" with the first "Russia" made "Ukraine", or
    "Trump wants a deal. Putin wants victory." with the two swapped): in a sentence group
    one name is written fewer times and another name of the paragraph more."""
    out: list[ValidationIssue] = []
    everywhere = [w for m in pair.src.names for w in m.words]
    for g in pair.groups:
        if not g.src or not g.rep:
            continue
        s_names = [
            m for m in pair.src.names if any(_inside(m.start, pair.src.sentences[i]) for i in g.src)
        ]
        r_names = [
            m for m in pair.rep.names if any(_inside(m.start, pair.rep.sentences[i]) for i in g.rep)
        ]
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
                pair.issue(
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


def _inside(pos: int, span: tuple[int, int]) -> bool:
    return span[0] <= pos < span[1]


# --- quotes ---------------------------------------------------------------------------------


def _all_tokens(pf: ParagraphFacts, start: int, end: int) -> list[_Tok]:
    """Every word (function words too) and number of text[start:end]: quotes are short."""
    out = [
        _Tok(
            stem(t.folded),
            Word(t.start, t.end, t.folded, stem(t.folded), t.text[:1].isupper()),
            None,
        )
        for t in tokens(pf.text)
        if start <= t.start < end
    ]
    out += [
        _Tok(f"#{n.value:g}", None, n) for n in pf.numbers if start <= n.start < end and not n.weak
    ]
    return out


def _content(pf: ParagraphFacts, spans: list[tuple[int, int]], inside: bool = True) -> list[_Tok]:
    """Content words and numbers inside (or outside) the given spans."""
    out = [
        _Tok(w.stem, w, None) for w in pf.words if any(a <= w.start < b for a, b in spans) is inside
    ]
    return out + [
        _Tok(f"#{n.value:g}", None, n)
        for n in pf.numbers
        if not n.weak and any(a <= n.start < b for a, b in spans) is inside
    ]


def _check_quotes(pair: _Pair) -> list[ValidationIssue]:
    src, rep = pair.src, pair.rep
    s_toks = [_all_tokens(src, q.start, q.end) for q in src.quotes]
    r_toks = [_all_tokens(rep, q.start, q.end) for q in rep.quotes]
    edges = {
        (i, k)
        for i, a in enumerate(s_toks)
        for k, b in enumerate(r_toks)
        if a and b and (len(got := _match(a, b)[0]) >= 0.3 * len(a) or len(got) >= 0.3 * len(b))
    }
    out: list[ValidationIssue] = []
    r_union = [t for toks in r_toks for t in toks]
    for i, q in enumerate(src.quotes):
        if s_toks[i] and len(_match(s_toks[i], r_union)[0]) < 0.4 * len(s_toks[i]):
            out.append(
                pair.issue(
                    "quote",
                    f"the quote “{_short(q.text)}” is missing from the repair",
                    (q.start, q.end),
                )
            )
    for k, q in enumerate(rep.quotes):
        said = _content(rep, [(q.start, q.end)])
        if len(said) <= 2:  # "not against machines": its small words count too
            said, pool = r_toks[k], _all_tokens(src, 0, len(src.text))
        else:
            pool = _content(src, [(0, len(src.text))])
        if said and len(_match(said, pool)[0]) < 0.5 * len(said):
            message = f"the quote “{_short(q.text)}” is not in the source"
            out.append(pair.issue("quote", message, None, (q.start, q.end)))
    for s_ids, r_ids in _components(edges):
        out.extend(_compare_quotes(pair, s_ids, r_ids))
    return out


def _components(edges: set[tuple[int, int]]) -> list[tuple[list[int], list[int]]]:
    """Groups of source and repair quotes linked by shared words (a quote may be split)."""
    groups: list[tuple[set[int], set[int]]] = []
    for i, k in sorted(edges):
        hit = [g for g in groups if i in g[0] or k in g[1]]
        merged = ({i}, {k})
        for g in hit:
            merged[0].update(g[0])
            merged[1].update(g[1])
            groups.remove(g)
        groups.append(merged)
    return [(sorted(s), sorted(r)) for s, r in groups]


def _negation_lost(src: tuple[int, int], rep: tuple[int, int]) -> int:
    """Strong negations lost (positive) or gained (negative), net of lexical negatives.

    A lexical negative may carry a negation: "did not manage" -> "failed", "if they do not
    pay" -> "unless they pay", "or if Ukraine does not say" -> "or until Ukraine says".
    """
    lost = src[0] - rep[0]
    if (lost > 0 and rep[1] - src[1] >= lost) or (lost < 0 and src[1] - rep[1] >= -lost):
        return 0
    return lost


def _compare_quotes(pair: _Pair, s_ids: list[int], r_ids: list[int]) -> list[ValidationIssue]:
    src, rep = pair.src, pair.rep
    sq = [src.quotes[i] for i in s_ids]
    rq = [rep.quotes[k] for k in r_ids]
    where_s = (sq[0].start, sq[-1].end)
    where_r = (rq[0].start, rq[-1].end)
    said = f"the quote “{_short(' … '.join(q.text for q in sq))}”"
    now = f"“{_short(' … '.join(q.text for q in rq))}”"

    def negations(pf: ParagraphFacts, quotes: list[QuoteMention]) -> list[tuple[int, int]]:
        return [c for q in quotes for c in negation_profile(pf.text, pf.negations, q.start, q.end)]

    s_neg, r_neg = negations(src, sq), negations(rep, rq)
    # Clause by clause when the clauses correspond: "We did not meet the standards, and
    # we are sorry" must not become "We met the standards, and we are not sorry".
    moved = len(s_neg) == len(r_neg) and any(
        _negation_lost(x, y) for x, y in zip(s_neg, r_neg, strict=True)
    )
    if moved or _negation_lost(_total(s_neg), _total(r_neg)):
        return [
            pair.issue("quote", f"a negation changed inside {said}: now {now}", where_s, where_r)
        ]
    s_spans = [(q.start, q.end) for q in sq]
    r_spans = [(q.start, q.end) for q in rq]
    s_num = [n for n in src.numbers if any(a <= n.start < b for a, b in s_spans) and not n.weak]
    r_num = [n for n in rep.numbers if any(a <= n.start < b for a, b in r_spans)]
    if any(not any(same_value(n, r) for r in r_num) for n in s_num):
        return [pair.issue("quote", f"a number changed inside {said}: now {now}", where_s, where_r)]
    speakers = [q.speaker for q in sq if q.speaker], [q.speaker for q in rq if q.speaker]
    if speakers[0] and speakers[1] and not same_name(speakers[0][0], speakers[1][0]):
        message = f"{said} is attributed to '{speakers[1][0]}' instead of '{speakers[0][0]}'"
        return [pair.issue("quote", message, where_s, where_r)]
    if _reworded(pair, s_spans, r_spans):
        return [pair.issue("quote", f"{said} became {now}", where_s, where_r)]
    return []


def _total(profile: list[tuple[int, int]]) -> tuple[int, int]:
    return sum(c[0] for c in profile), sum(c[1] for c in profile)


def _reworded(pair: _Pair, s_spans: list[tuple[int, int]], r_spans: list[tuple[int, int]]) -> bool:
    """Whether quoted words changed in a paragraph that was otherwise left as it was.

    A garbled paragraph is repaired as a whole: articles, prepositions and word order
    change around and inside its quotes, and a quoted word may be fixed with them. When
    every edit of the paragraph is a changed content word inside a quote, nothing was
    being repaired: the quote was made to say something else.
    """
    if _marks(pair.src.text) != _marks(pair.rep.text):
        return False  # broken quotation marks were mended: a repair
    a, b = tokens(pair.src.text), tokens(pair.rep.text)

    def around(toks: Sequence[Token], spans: list[tuple[int, int]]) -> Counter[str]:
        return Counter(t.folded for t in toks if not any(x <= t.start < y for x, y in spans))

    if around(a, s_spans) != around(b, r_spans):
        return False  # words around the quotes were repaired
    s_words, r_words = _content(pair.src, s_spans), _content(pair.rep, r_spans)
    got_s, got_r = _match(s_words, r_words)
    s_left = [t for n, t in enumerate(s_words) if n not in got_s]
    r_left = [t for n, t in enumerate(r_words) if n not in got_r]
    # Words that only moved out of the quote or into it (the attribution of a dash-style
    # quote in the source) are not changed words.
    moved_out = _match(s_left, _content(pair.rep, r_spans, inside=False))[0]
    moved_in = _match(r_left, _content(pair.src, s_spans, inside=False))[0]
    if len(moved_out) == len(s_left) and len(moved_in) == len(r_left):
        return False  # no quoted word changed
    for region_a, region_b in _edit_regions([t.folded for t in a], [t.folded for t in b]):
        changed = [(a[i], s_spans) for i in region_a] + [(b[j], r_spans) for j in region_b]
        outside = any(not any(x <= t.start < y for x, y in spans) for t, spans in changed)
        content = any(t.folded not in STOPWORDS for t, _ in changed)
        if outside or not content:
            return False  # a repair edit: the paragraph was being repaired
    return True


def _marks(text: str) -> list[str]:
    return [c for c in text if c in '"“”„«»‟']


def _edit_regions(a: list[str], b: list[str]) -> list[tuple[list[int], list[int]]]:
    """Runs of unequal tokens between two token lists, after a longest common subsequence.

    An LCS rather than difflib: difflib anchors on the longest block and can swallow two
    separate small edits into one large one.
    """
    n, m = len(a), len(b)
    lcs = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            lcs[i][j] = lcs[i + 1][j + 1] + 1 if a[i] == b[j] else max(lcs[i + 1][j], lcs[i][j + 1])
    regions: list[tuple[list[int], list[int]]] = []
    cur: tuple[list[int], list[int]] = ([], [])
    i = j = 0
    while i < n or j < m:
        if i < n and j < m and a[i] == b[j]:
            if cur[0] or cur[1]:
                regions.append(cur)
                cur = ([], [])
            i, j = i + 1, j + 1
        elif j < m and (i == n or lcs[i][j + 1] >= lcs[i + 1][j]):
            cur[1].append(j)
            j += 1
        else:
            cur[0].append(i)
            i += 1
    if cur[0] or cur[1]:
        regions.append(cur)
    return regions


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- negations and coverage -------------------------------------------------------------------


def _group_span(spans: list[tuple[int, int]], ids: tuple[int, ...]) -> tuple[int, int]:
    return spans[ids[0]][0], spans[ids[-1]][1]


def _check_negations(pair: _Pair) -> list[ValidationIssue]:
    out: list[ValidationIssue] = []
    for g in pair.groups:
        if not g.src or not g.rep:
            continue
        ws, wr = _group_span(pair.src.sentences, g.src), _group_span(pair.rep.sentences, g.rep)
        lost = _negation_lost(
            negation_count(pair.src.text, pair.src.negations, *ws),
            negation_count(pair.rep.text, pair.rep.negations, *wr),
        )
        if not lost:
            continue
        verb = "removed" if lost > 0 else "added"
        before, after = _short(pair.src.text[ws[0] : ws[1]]), _short(pair.rep.text[wr[0] : wr[1]])
        message = f"a negation was {verb}: '{before}' became '{after}'"
        out.append(pair.issue("negation", message, ws, wr))
    return out


def _significant(pf: ParagraphFacts, toks: list[_Tok], span: tuple[int, int]) -> bool:
    """A sentence worth keeping: three content words, or any number, date, name or quote."""
    a, b = span
    return (
        len(toks) >= 3
        or any(a <= n.start < b and not n.weak for n in pf.numbers)
        or any(a <= d.start < b for d in pf.dates)
        or any(a <= m.start < b for m in pf.names)
        or any(a <= q.start < b for q in pf.quotes)
    )


def _check_coverage(pair: _Pair) -> list[ValidationIssue]:
    """Sentences dropped or added whose content is nowhere else on the other side."""
    if all(g.src and g.rep for g in pair.groups):
        return []
    spare_s: list[_Tok] = []
    spare_r: list[_Tok] = []
    for g in pair.groups:
        s = [t for i in g.src for t in pair.src_toks[i]]
        r = [t for k in g.rep for t in pair.rep_toks[k]]
        got_s, got_r = _match(s, r)
        spare_s += [t for n, t in enumerate(s) if n not in got_s and g.rep]
        spare_r += [t for n, t in enumerate(r) if n not in got_r and g.src]
    out: list[ValidationIssue] = []
    for g in pair.groups:
        if g.src and not g.rep:
            toks = [t for i in g.src for t in pair.src_toks[i]]
            span = _group_span(pair.src.sentences, g.src)
            if _significant(pair.src, toks, span) and len(_match(toks, spare_r)[0]) < 0.5 * len(
                toks
            ):
                text = _short(pair.src.text[span[0] : span[1]])
                out.append(
                    pair.issue(
                        "omission", f"the sentence '{text}' has no counterpart in the repair", span
                    )
                )
        elif g.rep and not g.src:
            toks = [t for k in g.rep for t in pair.rep_toks[k]]
            span = _group_span(pair.rep.sentences, g.rep)
            if _significant(pair.rep, toks, span) and len(_match(toks, spare_s)[0]) < 0.5 * len(
                toks
            ):
                text = _short(pair.rep.text[span[0] : span[1]])
                out.append(
                    pair.issue("addition", f"the sentence '{text}' has no source", None, span)
                )
    return out


_CHECKS: tuple[Callable[[_Pair], list[ValidationIssue]], ...] = (
    _check_numbers,
    _check_dates,
    _check_names,
    _check_quotes,
    _check_negations,
    _check_coverage,
)


# --- whole articles -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Para:
    id: str
    text: str
    start: int  # offset in the article


def _paragraphs(text: str) -> list[_Para]:
    doc = segment(text)
    out: list[_Para] = []
    pos = len(doc.prefix)
    for p in doc.paragraphs:
        out.append(_Para(p.id, p.text, pos))
        pos += len(p.text) + len(p.tail)
    return out


def _bag(text: str) -> Counter[str]:
    bag = Counter(t.folded[:5] for t in tokens(text))
    bag.update("#" + d for d in _DIGITS.findall(text))
    return bag


_DIGITS = re.compile(r"\d+")


def _align_paragraphs(src: list[_Para], rep: list[_Para]) -> list[tuple[list[int], list[int]]]:
    """Monotone alignment of paragraphs by shared words, in a band around the diagonal."""
    bags_s = [_bag(p.text) for p in src]
    bags_r = [_bag(p.text) for p in rep]
    n, m = len(src), len(rep)
    if n == m and all(_alike_paragraphs(a, b) for a, b in zip(bags_s, bags_r, strict=True)):
        return [([i], [i]) for i in range(n)]
    band = abs(n - m) + 3
    inf = float("inf")
    best: dict[tuple[int, int], float] = {(0, 0): 0.0}
    back: dict[tuple[int, int], tuple[int, int]] = {}
    for i in range(n + 1):
        for j in range(max(0, i - band), min(m, i + band) + 1):
            here = best.get((i, j), inf)
            if here == inf:
                continue
            for a, b in ((1, 1), (2, 1), (1, 2), (1, 0), (0, 1)):
                if i + a > n or j + b > m:
                    continue
                s = bags_s[i] if a == 1 else _merge([bags_s[k] for k in range(i, i + a)])
                r = bags_r[j] if b == 1 else _merge([bags_r[k] for k in range(j, j + b)])
                size = s.total() + r.total()
                if a and b:
                    common = (s & r).total()
                    cost = size - 2 * common + 2.0 * (a + b - 2)
                else:
                    cost = 0.75 * size + 1.0
                if here + cost < best.get((i + a, j + b), inf):
                    best[(i + a, j + b)] = here + cost
                    back[(i + a, j + b)] = (a, b)
    groups: list[tuple[list[int], list[int]]] = []
    i, j = n, m
    while i or j:
        a, b = back[(i, j)]
        groups.append((list(range(i - a, i)), list(range(j - b, j))))
        i, j = i - a, j - b
    return groups[::-1]


def _alike_paragraphs(a: Counter[str], b: Counter[str]) -> bool:
    """Enough words in common to be one paragraph and its repair (or both empty)."""
    size = a.total() + b.total()
    return size == 0 or 2 * (a & b).total() >= 0.3 * size


def _merge(bags: list[Counter[str]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for bag in bags:
        out.update(bag)
    return out


def validate(
    source: str, repaired: str, *, glossary: Mapping[str, str] | None = None
) -> ValidationReport:
    """Compare an article with its repair, paragraph by paragraph."""
    if not isinstance(source, str) or not isinstance(repaired, str):
        raise FactError("validate needs two strings")
    src, rep = _paragraphs(source), _paragraphs(repaired)
    issues: list[ValidationIssue] = []
    groups = _align_paragraphs(src, rep)
    if len(src) != len(rep) or any(len(s) != 1 or len(r) != 1 for s, r in groups):
        message = f"the repair has {len(rep)} paragraphs where the source has {len(src)}"
        issues.append(
            ValidationIssue(
                kind="structure", paragraph=None, source=None, repaired=None, message=message
            )
        )
    for s_ids, r_ids in groups:
        ss, rr = [src[i] for i in s_ids], [rep[k] for k in r_ids]
        if not rr:
            p = ss[0]
            message = f"paragraph {p.id} '{_short(p.text)}' is missing from the repair"
            where = TextSpan(text=p.text, start=p.start, end=p.start + len(p.text))
            issues.append(
                ValidationIssue(
                    kind="omission", paragraph=p.id, source=where, repaired=None, message=message
                )
            )
            continue
        if not ss:
            p = rr[0]
            message = f"paragraph '{_short(p.text)}' of the repair has no source"
            where = TextSpan(text=p.text, start=p.start, end=p.start + len(p.text))
            issues.append(
                ValidationIssue(
                    kind="addition", paragraph=None, source=None, repaired=where, message=message
                )
            )
            continue
        pid = "+".join(p.id for p in ss)
        if len(ss) > 1 or len(rr) > 1:
            what = "merged into one" if len(ss) > 1 else f"split into {len(rr)}"
            message = (
                f"paragraphs {' and '.join(p.id for p in ss)} were {what}"
                if len(ss) > 1
                else f"paragraph {pid} was {what}"
            )
            issues.append(
                ValidationIssue(
                    kind="structure", paragraph=pid, source=None, repaired=None, message=message
                )
            )
        s_text, s_map = _joined(ss)
        r_text, r_map = _joined(rr)
        if s_text == r_text:
            continue  # a paragraph left as it was changes no fact
        for issue in validate_paragraph(s_text, r_text, glossary=glossary, paragraph_id=pid):
            issues.append(
                issue.model_copy(
                    update={
                        "source": _moved(issue.source, s_map),
                        "repaired": _moved(issue.repaired, r_map),
                    }
                )
            )
    return ValidationReport(ok=not issues, issues=issues)


def _joined(paras: list[_Para]) -> tuple[str, list[tuple[int, int]]]:
    """Paragraphs as one text, with (offset in that text, offset in the article) pieces."""
    pieces: list[tuple[int, int]] = []
    parts: list[str] = []
    pos = 0
    for p in paras:
        pieces.append((pos, p.start))
        parts.append(p.text)
        pos += len(p.text) + 2
    return "\n\n".join(parts), pieces


def _moved(span: TextSpan | None, pieces: list[tuple[int, int]]) -> TextSpan | None:
    if span is None:
        return None
    local, article = next((x for x in reversed(pieces) if x[0] <= span.start), pieces[0])
    shift = article - local
    return TextSpan(text=span.text, start=span.start + shift, end=span.end + shift)
