"""Quote comparison: quotes must survive a repair recognisably, and none may be invented.

Every source quote must be found in the repair by its words, and every quote of the repair
in the source. Source and repair quotes linked by shared words (a quote may be split in
two) are compared as a group: their negations, their numbers, their speaker (a quote the
source gives to no one may not be given to a name the paragraph lacks), and, in a
paragraph otherwise left as it was, their content words. A paragraph that is one
quotation on both sides is that quotation: its sentences are held to the coverage check
instead of its share of surviving words. In a long paragraph, a quote is looked for near
where it stood (within `findings.NEAR` sentence groups), not in the whole paragraph: a
quote moved further than that reads as dropped there and invented here, and the work
grows with the paragraph's length rather than with its square.

Words inside a quote are repaired like any others; what the validator holds them to is
what it can see. Known limits, for want of a model: a quote reworded *inside a paragraph
that was itself rewritten*, or in a paragraph that is all quotation, is accepted if its
negations, numbers, names and speaker survive ("tough guy" made "weak guy" in a garbled
paragraph passes, "We lose the port" made "We win the port" in a paragraph of its own
too). In a paragraph left as it was around its quotes, a changed quoted word is caught,
unless it came with the grammar of its phrase mended ("move on to" -> "are heading
towards").
"""

from __future__ import annotations

from collections import Counter
from functools import cached_property
from itertools import count

from repair.facts.ledger import ParagraphFacts, QuoteMention
from repair.facts.names import STOPWORDS, same_name
from repair.facts.negations import Polarity, negation_profile, total_polarity
from repair.facts.numbers import same_value
from repair.facts.spans import Spans, indices_in, starting_in
from repair.facts.words import Token, Word, stem, tokens
from repair.validation.align import Tok, edit_regions, match
from repair.validation.findings import Finding, Pair, Where, context, short
from repair.validation.negations import changed_cue, negation_lost


def check_quotes(pair: Pair) -> list[Finding]:
    src, rep = pair.src, pair.rep
    if _all_quoted(src) and _all_quoted(rep):
        # A paragraph that is one quotation on both sides: its quotes are the paragraph,
        # repaired as a whole, however few of their words survive ("turn off and stop and
        # turn away" -> "switch tracks, stop or back down"). Whether a sentence of it was
        # dropped or made up is told sentence by sentence (`coverage`), and the quotes are
        # compared as one group for their negations, numbers and speaker.
        every = (list(range(len(src.quotes))), list(range(len(rep.quotes))))
        return _compare_quotes(pair, _Frame(pair), *every)
    s_toks = [_all_tokens(src, q.start, q.end) for q in src.quotes]
    r_toks = [_all_tokens(rep, q.start, q.end) for q in rep.quotes]
    # The quotes of the repair near each source quote: in a long paragraph, a quote is
    # looked for where it stood, not in every quote of the paragraph.
    near = [indices_in(rep.quotes, *pair.near("src", q.start, q.end)) for q in src.quotes]
    edges = {
        (i, k)
        for i, a in enumerate(s_toks)
        for k in near[i]
        if a
        and (b := r_toks[k])
        and (len(got := match(a, b)[0]) >= 0.3 * len(a) or len(got) >= 0.3 * len(b))
    }
    out: list[Finding] = []
    for i, q in enumerate(src.quotes):
        r_union = [t for k in near[i] for t in r_toks[k]]
        if s_toks[i] and len(match(s_toks[i], r_union)[0]) < 0.4 * len(s_toks[i]):
            message = f"the quote “{short(q.text)}” is missing from the repair"
            out.append(Finding("quote", message + context(pair, "src", q.start), (q.start, q.end)))
    s_cues = Spans((c.start, c.end) for c in src.negations)
    r_cues = Spans((c.start, c.end) for c in rep.negations)
    # The source's tokens near a quote, all or content only: read once per stretch.
    every_s: dict[Where, list[Tok]] = {}
    content_s: dict[Where, list[Tok]] = {}
    for k, q in enumerate(rep.quotes):
        said = _content_tokens(rep, q.start, q.end)
        where = pair.near("rep", q.start, q.end)
        if len(said) <= 2:  # "not against machines": its small words count too
            if where not in every_s:
                every_s[where] = _all_tokens(src, *where)
            said, pool = r_toks[k], every_s[where]
        else:
            # Words of negations are left to the negation check: a repair words them in
            # English ("is not excluded" -> "cannot be ruled out"), which says nothing of
            # whether the quote is the source's.
            said = _without_negations(said, r_cues)
            if where not in content_s:
                content_s[where] = _without_negations(_content_tokens(src, *where), s_cues)
            pool = content_s[where]
        if said and len(match(said, pool)[0]) < 0.5 * len(said):
            message = f"the quote “{short(q.text)}” is not in the source"
            message += context(pair, "rep", q.start)
            out.append(Finding("quote", message, None, (q.start, q.end)))
    frame = _Frame(pair)
    for s_ids, r_ids in _components(edges):
        out.extend(_compare_quotes(pair, frame, s_ids, r_ids))
    return out


def _all_quoted(pf: ParagraphFacts) -> bool:
    """Whether every word of a paragraph is inside one of its quotes."""
    if not pf.quotes:
        return False
    spans = Spans((q.start, q.end) for q in pf.quotes)
    return all(t.start in spans for t in tokens(pf.text))


def _components(edges: set[tuple[int, int]]) -> list[tuple[list[int], list[int]]]:
    """Groups of source and repair quotes linked by shared words (a quote may be split),
    in the order each was last joined."""
    members: dict[int, tuple[set[int], set[int]]] = {}  # by the group's number...
    order: dict[int, None] = {}  # ...those numbers, the group last joined last
    of_src: dict[int, int] = {}
    of_rep: dict[int, int] = {}
    numbers = count()
    for i, k in sorted(edges):
        hit = {g for g in (of_src.get(i), of_rep.get(k)) if g is not None}
        if hit:
            # The largest group takes in the other: each quote moves a few times at most.
            into = max(hit, key=lambda g: len(members[g][0]) + len(members[g][1]))
        else:
            into = next(numbers)
            members[into] = (set(), set())
        group = members[into]
        for other in hit - {into}:
            moved = members.pop(other)
            del order[other]
            group[0].update(moved[0])
            group[1].update(moved[1])
            of_src.update(dict.fromkeys(moved[0], into))
            of_rep.update(dict.fromkeys(moved[1], into))
        group[0].add(i)
        group[1].add(k)
        of_src[i] = of_rep[k] = into
        order.pop(into, None)
        order[into] = None
    return [(sorted(members[g][0]), sorted(members[g][1])) for g in order]


def _compare_quotes(pair: Pair, frame: _Frame, s_ids: list[int], r_ids: list[int]) -> list[Finding]:
    src, rep = pair.src, pair.rep
    sq = [src.quotes[i] for i in s_ids]
    rq = [rep.quotes[k] for k in r_ids]
    where_s = (sq[0].start, sq[-1].end)
    where_r = (rq[0].start, rq[-1].end)
    said = f"the quote “{short(' … '.join(q.text for q in sq))}”"
    now = f"“{short(' … '.join(q.text for q in rq))}”"

    def negations(pf: ParagraphFacts, quotes: list[QuoteMention]) -> list[Polarity]:
        return [c for q in quotes for c in negation_profile(pf.text, pf.negations, q.start, q.end)]

    s_neg, r_neg = negations(src, sq), negations(rep, rq)
    # Clause by clause when the clauses correspond: "We did not meet the standards, and
    # we are sorry" must not become "We met the standards, and we are not sorry".
    moved = len(s_neg) == len(r_neg) and any(
        negation_lost(x, y) for x, y in zip(s_neg, r_neg, strict=True)
    )
    lost = negation_lost(total_polarity(s_neg), total_polarity(r_neg))
    if moved or lost:
        if lost >= 0:
            cue = changed_cue(src.negations, where_s, rep.negations, where_r)
            what = f"the negation '{cue.text}'" if cue else "a negation"
            message = f"{what} of {said} is missing from the repair, which has {now}"
        else:
            cue = changed_cue(rep.negations, where_r, src.negations, where_s)
            what = f"the negation '{cue.text}'" if cue else "a negation"
            message = f"the repair adds {what} to {said}: now {now}"
        return [Finding("quote", message, where_s, where_r)]
    s_spans = [(q.start, q.end) for q in sq]
    r_spans = [(q.start, q.end) for q in rq]
    # Quotes are in order and apart: their numbers are the numbers' slices, one by one.
    s_num = [n for a, b in s_spans for n in starting_in(src.numbers, a, b) if not n.weak]
    r_num = [n for a, b in r_spans for n in starting_in(rep.numbers, a, b)]
    gone = next((n for n in s_num if not any(same_value(n, r) for r in r_num)), None)
    if gone is not None:
        message = f"the number '{gone.text}' of {said} is missing from the repair, which has {now}"
        return [Finding("quote", message, where_s, where_r)]
    was = next((q for q in sq if q.speaker), None)
    now_by = next((q for q in rq if q.speaker), None)
    if was and now_by and not same_name(str(was.speaker), str(now_by.speaker)):
        message = (
            f"{said} is attributed to '{now_by.said_by}' in the repair "
            f"but to '{was.said_by}' in the source"
        )
        return [Finding("quote", message, where_s, where_r)]
    if now_by and not was and not any(same_name(str(now_by.speaker), m.head) for m in src.names):
        # A quote the source gives to no one, given to someone the paragraph never names.
        message = (
            f"{said} is attributed to '{now_by.said_by}' in the repair, but to no one in the source"
        )
        return [Finding("quote", message, where_s, where_r)]
    if _reworded(pair, frame, s_spans, r_spans):
        return [Finding("quote", f"{said} became {now}", where_s, where_r)]
    return []


class _Frame:
    """What `_reworded` reads of a whole paragraph and its repair, read once for all the
    groups of quotes (and only when one of them gets that far)."""

    def __init__(self, pair: Pair) -> None:
        self.src, self.rep = pair.src, pair.rep
        self.a, self.b = tokens(pair.src.text), tokens(pair.rep.text)

    @cached_property
    def marks_kept(self) -> bool:
        return _marks(self.src.text) == _marks(self.rep.text)

    @cached_property
    def quotation_only(self) -> bool:
        return _all_quoted(self.src)

    @cached_property
    def difference(self) -> dict[str, int]:
        """How many more times each word is written in the source than in the repair."""
        return _difference([t.folded for t in self.a], [t.folded for t in self.b])

    @cached_property
    def regions(self) -> list[tuple[list[int], list[int]]]:
        return edit_regions([t.folded for t in self.a], [t.folded for t in self.b])

    @cached_property
    def strong_cues(self) -> tuple[Spans, Spans]:
        def strong(pf: ParagraphFacts) -> Spans:
            return Spans((c.start, c.end) for c in pf.negations if c.group != "weak")

        return strong(self.src), strong(self.rep)


def _difference(a: list[str], b: list[str]) -> dict[str, int]:
    count = Counter(a)
    count.subtract(b)
    return {word: n for word, n in count.items() if n}


def _reworded(
    pair: Pair, frame: _Frame, s_spans: list[tuple[int, int]], r_spans: list[tuple[int, int]]
) -> bool:
    """Whether quoted words changed in a paragraph that was otherwise left as it was.

    A garbled paragraph is repaired as a whole: articles, prepositions and word order
    change around and inside its quotes, and a quoted word may be fixed with them. When
    every edit of the paragraph is a changed content word inside a quote, nothing was
    being repaired: the quote was made to say something else.

    That reading needs words around the quotes to have been left alone: a paragraph that
    is all quotation shows nothing of the kind, and its words are repaired like any
    others, held to the facts checked before (negations, numbers, speaker). An edit that
    trades one negation for another ("failed to" -> "did not") was checked there too, and
    one that mends the grammar of a phrase may fix a word of it (`_mends_grammar`).
    """
    if not frame.marks_kept:
        return False  # broken quotation marks were mended: a repair
    if frame.quotation_only:
        return False  # one quotation, or several, and nothing else: no frame to compare
    # The words around the quotes are the same on both sides when the words inside them
    # make up all the difference between the two texts.
    inside_a = [t.folded for a, b in s_spans for t in starting_in(frame.a, a, b)]
    inside_b = [t.folded for a, b in r_spans for t in starting_in(frame.b, a, b)]
    if _difference(inside_a, inside_b) != frame.difference:
        return False  # words around the quotes were repaired
    s_words = _content_inside(pair.src, s_spans)
    r_words = _content_inside(pair.rep, r_spans)
    got_s, got_r = match(s_words, r_words)
    s_left = [t for n, t in enumerate(s_words) if n not in got_s]
    r_left = [t for n, t in enumerate(r_words) if n not in got_r]
    # Words that only moved out of the quote or into it (the attribution of a dash-style
    # quote in the source) are not changed words.
    moved_out = match(s_left, _content_outside(pair.rep, r_spans))[0] if s_left else set()
    moved_in = match(r_left, _content_outside(pair.src, s_spans))[0] if r_left else set()
    if len(moved_out) == len(s_left) and len(moved_in) == len(r_left):
        return False  # no quoted word changed
    a, b = frame.a, frame.b
    s_neg, r_neg = frame.strong_cues
    for region_a, region_b in frame.regions:
        old, new = [a[i] for i in region_a], [b[j] for j in region_b]
        if any(not _within(t.start, s_spans) for t in old) or any(
            not _within(t.start, r_spans) for t in new
        ):
            return False  # an edit outside the quotes: the paragraph was being repaired
        if any(t.start in s_neg for t in old) or any(t.start in r_neg for t in new):
            return False  # one negation worded as another: checked with the negations
        if _mends_grammar(old, new):
            return False
    return True


def _mends_grammar(old: list[Token], new: list[Token]) -> bool:
    """Whether an edit is a repair of grammar rather than a change of what is said.

    Function words changed alone ("in Kremlin" -> "in the Kremlin"), or with one content
    word for one content word ("move on to" -> "are heading towards", "Recently, the" ->
    "Lately, a"): a garbled phrase mended. A content word changed alone ("best" ->
    "worst"), several content words ("as your own bank account" -> "with great care") or
    one brought in or left out ("and will pay for it") change what the quote says.
    """
    said_before = [t for t in old if t.folded not in STOPWORDS]
    said_after = [t for t in new if t.folded not in STOPWORDS]
    if not said_before and not said_after:
        return True
    grammar = len(said_before) < len(old) or len(said_after) < len(new)
    return grammar and len(said_before) == len(said_after) == 1


def _marks(text: str) -> list[str]:
    return [c for c in text if c in '"“”„«»‟']


# --- the tokens of quotes ------------------------------------------------------------------


def _all_tokens(pf: ParagraphFacts, start: int, end: int) -> list[Tok]:
    """Every word (function words too) and number of text[start:end]: quotes are short."""
    out = [
        Tok(
            stem(t.folded),
            Word(t.start, t.end, t.folded, stem(t.folded), t.text[:1].isupper()),
            None,
        )
        for t in starting_in(tokens(pf.text), start, end)
    ]
    out += [
        Tok(f"#{n.value:g}", None, n) for n in starting_in(pf.numbers, start, end) if not n.weak
    ]
    return out


def _content_tokens(pf: ParagraphFacts, start: int, end: int) -> list[Tok]:
    """Content words and strong numbers of text[start:end]."""
    out = [Tok(w.stem, w, None) for w in starting_in(pf.words, start, end)]
    return out + [
        Tok(f"#{n.value:g}", None, n) for n in starting_in(pf.numbers, start, end) if not n.weak
    ]


def _without_negations(toks: list[Tok], cues: Spans) -> list[Tok]:
    return [t for t in toks if t.word is None or t.word.start not in cues]


def _content_inside(pf: ParagraphFacts, spans: list[tuple[int, int]]) -> list[Tok]:
    """Content words and strong numbers inside the given spans (in order and apart)."""
    words = [Tok(w.stem, w, None) for a, b in spans for w in starting_in(pf.words, a, b)]
    return words + [
        Tok(f"#{n.value:g}", None, n)
        for a, b in spans
        for n in starting_in(pf.numbers, a, b)
        if not n.weak
    ]


def _content_outside(pf: ParagraphFacts, spans: list[tuple[int, int]]) -> list[Tok]:
    """Content words and strong numbers outside the given spans."""
    words = [Tok(w.stem, w, None) for w in pf.words if not _within(w.start, spans)]
    return words + [
        Tok(f"#{n.value:g}", None, n)
        for n in pf.numbers
        if not n.weak and not _within(n.start, spans)
    ]


def _within(pos: int, spans: list[tuple[int, int]]) -> bool:
    """Whether `pos` is inside one of a few spans (many: `Spans`)."""
    for a, b in spans:  # noqa: SIM110 (runs per word: a loop is 4x faster than any())
        if a <= pos < b:
            return True
    return False
