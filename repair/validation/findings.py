"""A paragraph and its repair, read and aligned, and the findings the checks place on it.

`read_pair` reads both texts (`facts.read_paragraph`) and aligns their sentences; each
check of the validator takes the `Pair` and returns `Finding`s: a kind, a message, and
where the finding is on each side as offsets into the two texts. `changes` turns the facts
missing from a repair and the facts added to it into findings, pairing a missing one with
an added one of the same sentence group as one change ("X became Y").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
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


@dataclass(slots=True)
class Pair:
    """A source paragraph and its repair, read and aligned, ready to be compared."""

    src: ParagraphFacts
    rep: ParagraphFacts
    groups: list[Group]
    src_toks: list[list[Tok]]
    rep_toks: list[list[Tok]]
    glossary: list[tuple[str, str]]

    def group_of(self, side: Literal["src", "rep"], pos: int) -> int:
        spans = (self.src if side == "src" else self.rep).sentences
        for k, g in enumerate(self.groups):
            for s in g.src if side == "src" else g.rep:
                if spans[s][0] <= pos < max(spans[s][1], spans[s][0] + 1):
                    return k
        return -1


def read_pair(source: str, repaired: str, glossary: Mapping[str, str] | None) -> Pair:
    """Both texts read (each with the other as evidence for names) and their sentences
    aligned."""
    src = read_paragraph(source, evidence=repaired)
    rep = read_paragraph(repaired, evidence=source)
    src_toks = [sentence_tokens(src, a, b) for a, b in src.sentences]
    rep_toks = [sentence_tokens(rep, a, b) for a, b in rep.sentences]
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
    and an added one of the same sentence group as one change ("X became Y")."""
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
            message = f"'{st[where[0] : where[1]]}' became '{rt[there[0] : there[1]]}'"
            out.append(Finding(kind_of(True, k), message, where, there))
        else:
            out.append(
                Finding(
                    kind_of(True, k),
                    f"'{st[where[0] : where[1]]}' is missing from the repair",
                    where,
                )
            )
    for a, b in left:
        there = _phrase(rt, a, b) if widen else (a, b)
        k = added.index((a, b))
        message = f"'{rt[there[0] : there[1]]}' appears in the repair but not in the source"
        out.append(Finding(kind_of(False, k), message, None, there))
    return out
