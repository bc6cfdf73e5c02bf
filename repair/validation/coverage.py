"""Sentences dropped or invented.

On the aligned sentence groups of a `Pair`: a source sentence with no counterpart in the
repair (or a repair sentence with no source) whose content is nowhere else on the other
side (nowhere near, in a long paragraph: within `findings.NEAR` sentence groups).
"""

from __future__ import annotations

from repair.facts.ledger import ParagraphFacts
from repair.facts.spans import Spans, starting_in
from repair.validation.align import Tok, match
from repair.validation.findings import Finding, Pair, group_span, short


def _significant(pf: ParagraphFacts, quotes: Spans, toks: list[Tok], span: tuple[int, int]) -> bool:
    """A sentence worth keeping: three content words, or any number, date or name, or two
    content words of a quote (`quotes`: those of the paragraph).

    A sentence of a quote is someone's words: one that a repair adds to a quotation (or
    drops from it) puts words in a speaker's mouth (or takes them out), wherever the
    quotation starts. One content word is too little to tell: "“We made all what we
    could." is repaired as "“We did everything we could.", with no content word left.
    """
    a, b = span
    return (
        len(toks) >= 3
        or any(not n.weak for n in starting_in(pf.numbers, a, b))
        or bool(starting_in(pf.dates, a, b))
        or bool(starting_in(pf.names, a, b))
        or (len(toks) >= 2 and quotes.overlap(a, b))
    )


def check_coverage(pair: Pair) -> list[Finding]:
    """Sentences dropped or added whose content is nowhere near on the other side."""
    if all(g.src and g.rep for g in pair.groups):
        return []
    # The tokens each group leaves unpaired, on each side.
    spare_s: list[list[Tok]] = []
    spare_r: list[list[Tok]] = []
    for g in pair.groups:
        s = [t for i in g.src for t in pair.src_toks[i]]
        r = [t for k in g.rep for t in pair.rep_toks[k]]
        got_s, got_r = match(s, r)
        spare_s.append([t for n, t in enumerate(s) if n not in got_s and g.rep])
        spare_r.append([t for n, t in enumerate(r) if n not in got_r and g.src])
    quotes_s = Spans((q.start, q.end) for q in pair.src.quotes)
    quotes_r = Spans((q.start, q.end) for q in pair.rep.quotes)
    out: list[Finding] = []
    for k, g in enumerate(pair.groups):
        # What the other side left unpaired near the group (in a long paragraph, a
        # sentence's content is looked for where it stood, not in the whole paragraph).
        if g.src and not g.rep:
            spare = [t for j in pair.nearby(k) for t in spare_r[j]]
            text_span = _unmatched(pair.src, quotes_s, pair.src_toks, g.src, spare)
            if text_span:
                text, span = text_span
                message = f"the sentence '{text}' has no counterpart in the repair"
                out.append(Finding("omission", message, span))
        elif g.rep and not g.src:
            spare = [t for j in pair.nearby(k) for t in spare_s[j]]
            text_span = _unmatched(pair.rep, quotes_r, pair.rep_toks, g.rep, spare)
            if text_span:
                text, span = text_span
                out.append(Finding("addition", f"the sentence '{text}' has no source", None, span))
    return out


def _unmatched(
    side: ParagraphFacts,
    quotes: Spans,
    side_toks: list[list[Tok]],
    ids: tuple[int, ...],
    spare: list[Tok],
) -> tuple[str, tuple[int, int]] | None:
    """The sentences `ids` of one side, when they carry facts the other side lacks."""
    toks = [t for i in ids for t in side_toks[i]]
    span = group_span(side.sentences, ids)
    if _significant(side, quotes, toks, span) and len(match(toks, spare)[0]) < 0.5 * len(toks):
        return short(side.text[span[0] : span[1]]), span
    return None
