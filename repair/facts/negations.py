"""Negations: the cues of a text, and how many negations each clause of it carries.

`find_negations` lists the cues: "not" and "n't", the n-words ("no", "never", "nobody"),
"without", and weak cues, the lexical negatives ("failed", "unless", "unpaid", "ruled
out", "hard to") that may carry a negation a repair moved out of a "not" ("did not
manage" -> "failed"). `negation_profile` counts them clause by clause as a `Polarity`.

A negator just before a lexical negative makes a double negative that asserts the
positive: "not ruled out" is "possible", "not unnoticed" is "noticed", "did not fail to"
is "managed to". A `Polarity` keeps both readings, the plain count of cues and the count
with such pairs cancelled, so that the validator can accept a repair that resolves a
double negative while still catching one that keeps only half of it. "Until" and
"unless" make no such pair: "might not peak until Monday" says when, not whether.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import pairwise
from typing import Literal, NamedTuple

from repair.facts.spans import starting_in
from repair.facts.words import tokens

CueGroup = Literal["not", "nword", "other", "weak"]


class NegationCue(NamedTuple):
    start: int
    end: int
    text: str
    group: CueGroup


_NOT = frozenset({"not", "cannot"})
_NWORDS = frozenset("no nobody nothing none nowhere neither nor never".split())
_WEAK = frozenset(
    "until unless instead hardly barely rarely seldom lack lacks lacking lacked fail fails "
    "failed failing failure refuse refuses refused refusing refusal decline declines "
    "declined declining reluctant reluctance avoid avoids avoided avoiding deny denies "
    "denied denying absent non impossible impossibility improbable incapable inability "
    "insufficient exclude excludes excluded excluding".split()
)
# "rule out" and "hard to" are lexical negatives as phrases only: "the rule", "hard work".
_RULE = frozenset({"rule", "rules", "ruled", "ruling"})
_HARD = frozenset({"hard", "difficult"})
# "un-" and "-less" words are lexical negatives ("unpaid", "pointless"), these are not
# ("uncles", whole: a prefix "uncle" would take "unclear" too).
_NOT_UN = ("under", "union", "unit", "univ", "uniq", "until", "unanim", "unless", "uncles")
_NOT_LESS = frozenset({"unless", "bless", "regardless", "nevertheless", "less"})
_DIGIT_AFTER = re.compile(r"\.?\s*\d")


_NEGATION_HINT = re.compile(
    r"\b(?:no|not|nobody|nothing|none|nowhere|neither|nor|never|cannot|without|until|unless"
    r"|instead|hardly|barely|rarely|seldom|absent|non|lack|fail|refus|declin|reluctan|avoid"
    r"|den[iy]|un|rul|hard|difficult|impossib|improbab|incapab|inabil|insuffic|exclud)"
    r"|less\b|n[’']t\b"
)


def find_negations(text: str) -> list[NegationCue]:
    out: list[NegationCue] = []
    hints = [m.start() for m in _NEGATION_HINT.finditer(text.lower())]
    if not hints:
        return out
    toks = tokens(text)
    starts = [t.start for t in toks]
    candidates = sorted({bisect_right(starts, h) - 1 for h in hints} - {-1})
    for i in candidates:
        t = toks[i]
        w = t.text.lower()
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        glued = nxt is not None and text[t.end : nxt.start].isspace()
        if w in _NOT or w.endswith(("n’t", "n't")):
            group: CueGroup = "not"
        elif w in _NWORDS:
            if w == "no" and _DIGIT_AFTER.match(text, t.end):
                continue  # "No 10 Downing Street"
            if w == "no" and nxt is not None and glued and nxt.folded in ("one", "longer"):
                out.append(NegationCue(t.start, nxt.end, text[t.start : nxt.end], "nword"))
                continue
            group = "nword"
        elif w == "without":
            group = "other"
        elif w in _RULE:
            if nxt is None or not glued or nxt.folded != "out":
                continue
            out.append(NegationCue(t.start, nxt.end, text[t.start : nxt.end], "weak"))
            continue
        elif w in _HARD:
            if nxt is None or not glued or nxt.folded not in ("to", "for"):
                continue  # "hard work", "a difficult year"
            group = "weak"
        elif (
            w in _WEAK
            or (w.startswith("un") and len(w) >= 6 and not w.startswith(_NOT_UN))
            or (w.endswith("less") and len(w) >= 7 and w not in _NOT_LESS)
        ):
            group = "weak"
        else:
            continue
        out.append(NegationCue(t.start, t.end, t.text, group))
    return out


# --- counting ---------------------------------------------------------------------------


class Polarity(NamedTuple):
    """The negations of a clause (or a sum of clauses), read two ways.

    `strong` and `weak` count every cue. `bare_strong` and `bare_weak` count the cues left
    once each double negative ("not ruled out") is cancelled, and `pairs` counts those.
    """

    strong: int
    weak: int
    bare_strong: int
    bare_weak: int
    pairs: int


NONE = Polarity(0, 0, 0, 0, 0)

_CLAUSE_BREAK = re.compile(r"[,;:()\"“”«»]|\s[-–—]\s|[.!?](?:\s|$)")
_WORD = re.compile(r"\w+")
# A double negative: the lexical negative follows its negator closely ("cannot be ruled
# out", "has not yet been ruled out"); further apart, each may negate something else.
_PAIR_GAP = 2
# Conjunctions and adverbs do not cancel a "not": "did not leave until Monday" says when,
# "hardly" beside a "not" is one negation said twice.
_UNPAIRED = frozenset("until unless instead hardly barely rarely seldom".split())


def negation_count(text: str, cues: list[NegationCue], start: int, end: int) -> tuple[int, int]:
    """(strong, weak) negations of text[start:end].

    Within one clause, n-words that come with a "not" are one negation ("Nobody is not
    thrown overboard" in a Slavic round trip means "Nobody is being thrown overboard"),
    while "without" and "not" stay two ("not without controversy").
    """
    total = total_polarity(negation_profile(text, cues, start, end))
    return total.strong, total.weak


def total_polarity(profile: list[Polarity]) -> Polarity:
    if len(profile) <= 1:  # the usual case, on a path run for every sentence
        return profile[0] if profile else NONE
    return Polarity(*(sum(p[k] for p in profile) for k in range(len(NONE))))


def negation_profile(text: str, cues: list[NegationCue], start: int, end: int) -> list[Polarity]:
    """The `Polarity` of each clause of text[start:end] that has a cue, in order."""
    inside = [c for c in starting_in(cues, start, end) if c.end <= end]  # cues are in order
    if not inside:
        return []
    breaks = [start, *(m.start() for m in _CLAUSE_BREAK.finditer(text, start, end)), end]
    out: list[Polarity] = []
    for a, b in pairwise(breaks):
        if not re.search(r"\w", text[a:b]):
            continue
        clause = [c for c in inside if a <= c.start < b]
        strong, weak = _count(clause)
        paired = _pairs(text, clause) if strong and weak else set()
        if paired:
            bare = [c for c in clause if c not in paired]
            bare_strong, bare_weak = _count(bare)
        else:
            bare_strong, bare_weak = strong, weak
        out.append(Polarity(strong, weak, bare_strong, bare_weak, len(paired) // 2))
    return out


def _count(clause: list[NegationCue]) -> tuple[int, int]:
    nots = sum(c.group == "not" for c in clause)
    nwords = sum(c.group == "nword" for c in clause)
    strong = nots + sum(c.group == "other" for c in clause) + max(0, nwords - nots)
    return strong, sum(c.group == "weak" for c in clause)


def _pairs(text: str, clause: list[NegationCue]) -> set[NegationCue]:
    """The cues of a clause that make double negatives: a "not" or an n-word, and the
    lexical negative just after it."""
    out: set[NegationCue] = set()
    for negator, lexical in pairwise(clause):
        if (
            negator.group in ("not", "nword")
            and lexical.group == "weak"
            and lexical.text.lower() not in _UNPAIRED
            and negator not in out
            and len(_WORD.findall(text, negator.end, lexical.start)) <= _PAIR_GAP
        ):
            out.update((negator, lexical))
    return out
