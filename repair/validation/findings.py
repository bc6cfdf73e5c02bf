"""A paragraph and its repair, read and aligned, and the findings the checks place on it.

`read_pair` reads both texts (`facts.read_paragraph`) and aligns their sentences; each
check of the validator takes the `Pair` and returns `Finding`s: a kind, a message, and
where the finding is on each side as offsets into the two texts. `changes` turns the facts
missing from a repair and the facts added to it into findings, pairing a missing one with
an added one of the same sentence group as one change ("X became Y").
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from repair.facts.ledger import ParagraphFacts, read_paragraph
from repair.facts.names import glossary_pairs
from repair.results import IssueKind
from repair.validation.align import Group, Tok, align_sentences, sentence_tokens

Where = tuple[int, int]  # (start, end) offsets into one side's text


class Finding(NamedTuple):
    """What one check found; the validator makes it a `ValidationIssue`."""

    kind: IssueKind
    message: str
    source: Where | None = None
    repaired: Where | None = None


# Sentence groups either side of its own in which a fact of one side is looked for on the
# other (a quote in a long paragraph is compared with the quotes near it, not with every
# quote of the paragraph); a paragraph of up to twice as many groups is searched whole.
NEAR = 6


@dataclass(slots=True)
class Pair:
    """A source paragraph and its repair, read and aligned, ready to be compared."""

    src: ParagraphFacts
    rep: ParagraphFacts
    groups: list[Group]
    src_toks: list[list[Tok]]
    rep_toks: list[list[Tok]]
    glossary: list[tuple[str, str]]
    # The group of each sentence of each side: the groups hold every sentence once.
    _src_group: list[int] = field(init=False, repr=False)
    _rep_group: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._src_group = [-1] * len(self.src.sentences)
        self._rep_group = [-1] * len(self.rep.sentences)
        for k, g in reversed(list(enumerate(self.groups))):  # the first group wins
            for i in g.src:
                self._src_group[i] = k
            for i in g.rep:
                self._rep_group[i] = k

    def group_of(self, side: Literal["src", "rep"], pos: int) -> int:
        """The sentence group holding `pos` of one side's text, or -1."""
        spans = (self.src if side == "src" else self.rep).sentences
        # Sentences are in order and apart: only the last to start at or before `pos`
        # can hold it.
        s = bisect_right(spans, pos, key=_start) - 1
        if s < 0 or pos >= max(spans[s][1], spans[s][0] + 1):
            return -1
        return (self._src_group if side == "src" else self._rep_group)[s]

    def nearby(self, k: int) -> range:
        """The groups within `NEAR` of group k (all of them in a paragraph of few)."""
        if len(self.groups) <= 2 * NEAR + 1:
            return range(len(self.groups))
        return range(max(0, k - NEAR), min(len(self.groups), k + NEAR + 1))

    def near(self, side: Literal["src", "rep"], start: int, end: int) -> Where:
        """The stretch of the other side's text where a fact at text[start:end] of `side`
        is looked for: the sentence groups `nearby` those it spans, or the whole text."""
        other = self.rep if side == "src" else self.src
        first, last = self.group_of(side, start), self.group_of(side, max(start, end - 1))
        if len(self.groups) <= 2 * NEAR + 1 or first < 0 or last < 0:
            return 0, len(other.text)
        nearby = self.groups[self.nearby(first).start : self.nearby(last).stop]
        ids = [i for g in nearby for i in (g.rep if side == "src" else g.src)]
        return group_span(other.sentences, tuple(ids)) if ids else (0, 0)


def _start(span: Where) -> int:
    return span[0]


def read_pair(source: str, repaired: str, glossary: Mapping[str, str] | None) -> Pair:
    """Both texts read (each with the other as evidence for names) and their sentences
    aligned."""
    src = read_paragraph(source, evidence=repaired)
    rep = read_paragraph(repaired, evidence=source)
    src_toks = sentence_tokens(src)
    rep_toks = sentence_tokens(rep)
    return Pair(
        src, rep, align_sentences(src_toks, rep_toks), src_toks, rep_toks, glossary_pairs(glossary)
    )


def group_span(spans: list[Where], ids: tuple[int, ...]) -> Where:
    """From the start of a group's first sentence to the end of its last."""
    return spans[ids[0]][0], spans[ids[-1]][1]


def short(text: str, limit: int = 90) -> str:
    """`text` on one line, cut with an ellipsis to fit a message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _phrase(text: str, start: int, end: int) -> Where:
    """A mention widened to the word after it, so "50-day" reads "50-day ultimatum"."""
    i = end
    while i < len(text) and text[i] == " ":
        i += 1
    j = i
    while j < len(text) and (text[j].isalpha() or text[j] in "’'"):
        j += 1
    return (start, j) if j > i and i - end <= 1 else (start, end)


def changes(
    pair: Pair,
    kind_of: Callable[[bool, int], IssueKind],
    missing: list[Where],
    added: list[Where],
    widen: bool = False,
) -> list[Finding]:
    """Findings for facts missing from the repair and facts added to it, pairing a missing
    and an added one of the same sentence group as one change ("X became Y").

    A fact left without a partner is told with the sentences around it on both sides, and
    by how often its words occur on each side: a fact the checks could not match may still
    be written on the other side (a number that moved, a name written once more), and the
    model, told it was not there, would replace it with another.
    """
    out: list[Finding] = []
    st, rt = pair.src.text, pair.rep.text
    left = list(added)
    for k, (a, b) in enumerate(missing):
        where = _phrase(st, a, b) if widen else (a, b)
        group = pair.group_of("src", a)
        partner = next((x for x in left if pair.group_of("rep", x[0]) == group), None)
        if partner is not None:
            left.remove(partner)
            there = _phrase(rt, *partner) if widen else partner
            said, now = st[where[0] : where[1]], rt[there[0] : there[1]]
            if said.casefold() != now.casefold():
                message = f"'{said}' became '{now}'"
            else:  # the same words, read as two values: say where, not "X became X"
                message = f"'{said}' does not say the same in the repair"
                message += context(pair, "src", a)
            out.append(Finding(kind_of(True, k), message, where, there))
        else:
            said = st[where[0] : where[1]]
            count = _counts(st[a:b], st, rt)
            if count[1] == 0:
                message = f"'{said}' is missing from the repair"
            elif count[1] < count[0]:
                message = f"'{said}' is written {_times(count[0])} in the source but only "
                message += f"{_times(count[1])} in the repair"
            else:
                message = f"'{said}' is still in the repair, but not as the source uses it"
            message += context(pair, "src", a)
            out.append(Finding(kind_of(True, k), message, where))
    for a, b in left:
        there = _phrase(rt, a, b) if widen else (a, b)
        k = added.index((a, b))
        said = rt[there[0] : there[1]]
        count = _counts(rt[a:b], st, rt)
        if count[0] == 0:
            message = f"'{said}' appears in the repair but not in the source"
        elif count[0] < count[1]:
            message = f"'{said}' is written {_times(count[1])} in the repair but only "
            message += f"{_times(count[0])} in the source"
        else:
            message = f"'{said}' is in the source too, but not as the repair uses it"
        message += context(pair, "rep", a)
        out.append(Finding(kind_of(False, k), message, None, there))
    return out


def context(pair: Pair, side: Literal["src", "rep"], pos: int) -> str:
    """ ": 'source sentences' became 'repair sentences'" for the sentence group at `pos` of
    one side, as far as it has sentences on each side."""
    k = pair.group_of(side, pos)
    if k < 0:
        return ""
    g = pair.groups[k]
    ws = group_span(pair.src.sentences, g.src) if g.src else None
    wr = group_span(pair.rep.sentences, g.rep) if g.rep else None
    if ws and wr:
        return ": " + became(pair, ws, wr, side, pos)
    if ws:
        return f" (the source has '{excerpt(pair.src.text, ws, pos)}')"
    assert wr is not None
    return f" (the repair has '{excerpt(pair.rep.text, wr, pos)}')"


def became(pair: Pair, ws: Where, wr: Where, side: Literal["src", "rep"], pos: int) -> str:
    """ "'source text' became 'repair text'" for two spans, long ones cut around `pos` of
    one side and around the same share of the way through the other."""
    here = ws if side == "src" else wr
    share = (pos - here[0]) / max(1, here[1] - here[0])
    before = excerpt(pair.src.text, ws, ws[0] + round(share * (ws[1] - ws[0])))
    after = excerpt(pair.rep.text, wr, wr[0] + round(share * (wr[1] - wr[0])))
    return f"'{before}' became '{after}'"


def excerpt(text: str, span: Where, focus: int, limit: int = 90) -> str:
    """text[span] on one line, cut to about `limit` characters around `focus`."""
    a, b = span
    if b - a <= limit:
        return short(text[a:b], limit)
    start = min(max(a, focus - limit // 2), b - limit)
    end = start + limit
    # Cut between words.
    if start > a:
        space = text.find(" ", start, focus)
        start = space + 1 if space >= 0 else start
    if end < b:
        space = text.rfind(" ", focus, end)
        end = space if space > focus else end
    cut = " ".join(text[start:end].split())
    return ("…" if start > a else "") + cut + ("…" if end < b else "")


def _counts(phrase: str, source: str, repaired: str) -> tuple[int, int]:
    """How often `phrase` is written, as whole words and in any case, on each side."""
    pattern = re.compile(rf"(?<!\w){re.escape(phrase.strip())}(?!\w)", re.IGNORECASE)
    return len(pattern.findall(source)), len(pattern.findall(repaired))


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")
