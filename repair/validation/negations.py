"""Negation check: a negation removed from a sentence group, or added to one.

Counts are compared group by group (`facts.negations` counts them clause by clause), and
a change is a finding only when it changes what the sentence asserts. Two kinds of
rewording keep the polarity and are accepted: a strong negation traded for a lexical
negative ("did not manage" -> "failed", "will not fall" -> "is hard to fall"), and a
double negative resolved ("not ruled out" -> "possible", "not unnoticed" -> "noticed").
"""

from __future__ import annotations

from collections import Counter

from repair.facts.negations import NegationCue, Polarity, negation_profile, total_polarity
from repair.facts.spans import starting_in
from repair.validation.findings import Finding, Pair, Where, became, group_span


def _net(s_strong: int, s_weak: int, r_strong: int, r_weak: int) -> int:
    """Strong negations lost (positive) or gained (negative), net of lexical negatives.

    A lexical negative may carry a negation: "did not manage" -> "failed", "if they do not
    pay" -> "unless they pay", "or if Ukraine does not say" -> "or until Ukraine says".
    """
    lost = s_strong - r_strong
    if (lost > 0 and r_weak - s_weak >= lost) or (lost < 0 and s_weak - r_weak >= -lost):
        return 0
    return lost


def negation_lost(src: Polarity, rep: Polarity) -> int:
    """Negations lost (positive) or gained (negative) between two readings; 0 when the
    polarity is kept.

    Every cue counted, the change must be carried by a lexical negative (`_net`). A double
    negative that a repair resolved ("not ruled out" -> "possible") fails that count and is
    read again with its pairs cancelled: there, a pair may vanish whole, but not leave half
    of itself behind ("not ruled out" -> "ruled out" keeps the lexical negative bare).
    """
    lost = _net(src.strong, src.weak, rep.strong, rep.weak)
    if not lost or not (src.pairs or rep.pairs):
        return lost
    if _net(src.bare_strong, src.bare_weak, rep.bare_strong, rep.bare_weak):
        return lost
    gone = src.pairs - rep.pairs
    if (gone > 0 and rep.bare_weak - src.bare_weak >= gone) or (
        gone < 0 and src.bare_weak - rep.bare_weak >= -gone
    ):
        return lost
    return 0


def check_negations(pair: Pair) -> list[Finding]:
    out: list[Finding] = []
    for g in pair.groups:
        if not g.src or not g.rep:
            continue
        ws, wr = group_span(pair.src.sentences, g.src), group_span(pair.rep.sentences, g.rep)
        if not _any_cue(pair.src.negations, ws) and not _any_cue(pair.rep.negations, wr):
            continue  # most sentences: nothing to count
        lost = negation_lost(
            total_polarity(negation_profile(pair.src.text, pair.src.negations, *ws)),
            total_polarity(negation_profile(pair.rep.text, pair.rep.negations, *wr)),
        )
        if not lost:
            continue
        if lost > 0:
            cue = changed_cue(pair.src.negations, ws, pair.rep.negations, wr)
            what = f"the negation '{cue.text}'" if cue else "a negation"
            sides = became(pair, ws, wr, "src", cue.start if cue else ws[0])
            message = f"{what} of the source is missing from the repair: {sides}"
        else:
            cue = changed_cue(pair.rep.negations, wr, pair.src.negations, ws)
            what = f"the negation '{cue.text}'" if cue else "a negation"
            sides = became(pair, ws, wr, "rep", cue.start if cue else wr[0])
            message = f"the repair adds {what}: {sides}"
        out.append(Finding("negation", message, ws, wr))
    return out


def _any_cue(cues: list[NegationCue], span: Where) -> bool:
    return bool(starting_in(cues, *span))


def changed_cue(
    one: list[NegationCue], one_span: Where, other: list[NegationCue], other_span: Where
) -> NegationCue | None:
    """A strong negation of one side's span whose word the other side's span lacks."""

    def word(c: NegationCue) -> str:
        return c.text.lower().replace("’", "'")

    def strong(cues: list[NegationCue], span: Where) -> list[NegationCue]:
        return [c for c in starting_in(cues, *span) if c.group != "weak" and c.end <= span[1]]

    extra = Counter(word(c) for c in strong(one, one_span))
    extra -= Counter(word(c) for c in strong(other, other_span))
    return next((c for c in strong(one, one_span) if extra[word(c)] > 0), None)
