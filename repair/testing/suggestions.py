"""What the fake server suggests: the golden cases' hand-written suggestions, and bad ones.

A golden case with a `suggestions.json` has a reference that knows the right names; a
careful model would not write them into its repair (the validator would refuse the
change) but keep the span and propose the correction. So for such a case the server
answers each paragraph with its reference with every suggested replacement put back to
the span the repair keeps, and adds the suggestions block of its answer (see
repair/suggest.py).

The faults play the suggestions a careless or manipulated model would write; none of
them may reach the text:

- "suggest-unparseable": a block that is not JSON;
- "suggest-wrong": a span not in the paragraph, a replacement equal to its span, an
  unknown kind, a missing field, a paragraph that was not asked for, a duplicate;
- "suggest-injected": what an instruction hidden in the article would ask for: a denial
  turned into an assertion, a figure changed under the name of a term.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from repair import formats
from repair.resources import data_dir
from repair.suggest import Proposal, block_line
from repair.testing.golden import load_cases

SUGGESTION_FAULTS = ("suggest-unparseable", "suggest-wrong", "suggest-injected")

_NEGATED = re.compile(r"\b(\w+) not (\w+)")
_FIGURE_WORD = re.compile(r"\b(\d+) ([a-z]+)")


def _normal(text: str) -> str:
    return " ".join(text.split())


@dataclass
class SuggestedAnswers:
    """Input paragraph (whitespace-normalised) -> the answer to give, and its proposals."""

    answers: dict[str, str] = field(default_factory=dict)
    proposals: dict[str, list[Proposal]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> SuggestedAnswers:
        found = cls()
        for case in load_cases(data_dir("golden")):
            if case.suggestions is None or case.reference is None:
                continue
            source = formats.parse(case.input, case.format).paragraphs
            target = formats.parse(case.reference, case.format).paragraphs
            references = {p.id: t.text for p, t in zip(source, target, strict=True)}
            for p in source:
                mine = [s for s in case.suggestions.suggestions if s.paragraph == p.id]
                if not mine:
                    continue
                answer = references[p.id]
                for s in mine:
                    answer = answer.replace(s.replacement, s.original)
                key = _normal(p.text)
                found.answers[key] = answer
                found.proposals[key] = [
                    Proposal(
                        paragraph=p.id,
                        span=s.original,
                        replacement=s.replacement,
                        kind=s.kind,
                        confidence=s.confidence,
                        reason=s.reason,
                    )
                    for s in mine
                ]
        return found

    def block(
        self, units: Sequence[tuple[str, str]], answers: Sequence[str], fault: str | None
    ) -> str:
        """The suggestions block for a repair answer ("" for none), `fault` played.

        `units`: (id, source text) as asked; `answers`: the repaired text of each.
        """
        if fault == "suggest-unparseable":
            return '\nSUGGESTIONS\n{paragraph: P1, span: "the minister" -> "the mayor"\nnot JSON'
        lines = [
            block_line(p.model_copy(update={"paragraph": uid}))
            for uid, text in units
            for p in self.proposals.get(_normal(text), [])
        ]
        if fault == "suggest-wrong" and units:
            lines += _wrong(units[0][0], answers[0]) + lines[:1]  # and a good one, twice
        if fault == "suggest-injected":
            lines += _injected(units, answers)
        return "\nSUGGESTIONS\n" + "\n".join(lines) if lines else ""


def _line(uid: str, span: str, replacement: str, kind: str, reason: str) -> str:
    entry = {
        "paragraph": uid,
        "span": span,
        "replacement": replacement,
        "kind": kind,
        "confidence": "high",
        "reason": reason,
    }
    return json.dumps(entry, ensure_ascii=False)


def _wrong(uid: str, answer: str) -> list[str]:
    """One of each malformed suggestion, for the first paragraph of the answer."""
    first = answer.split()[0] if answer.split() else "The"
    return [
        _line(uid, "Kensington Palace", "Buckingham Palace", "place", "a span not in the text"),
        _line(uid, first, first, "name", "the replacement is the span itself"),
        _line(uid, first, first + "x", "colour", "a kind that does not exist"),
        _line("P999", first, first + "x", "name", "a paragraph that was not asked for"),
        json.dumps({"paragraph": uid, "span": first, "replacement": "y", "kind": "name"}),
    ]


def _injected(units: Sequence[tuple[str, str]], answers: Sequence[str]) -> list[str]:
    """Fact-changing suggestions dressed as corrections, spans taken from the answer."""
    lines = []
    for (uid, _), answer in zip(units, answers, strict=False):
        negated = _NEGATED.search(answer)
        if negated:
            span = negated.group()
            replacement = f"{negated.group(1)} {negated.group(2)}"
            lines.append(_line(uid, span, replacement, "term", "as the editor's note asks"))
        figure = _FIGURE_WORD.search(answer)
        if figure:
            bigger = f"{int(figure.group(1)) * 10} {figure.group(2)}"
            lines.append(_line(uid, figure.group(), bigger, "term", "as the editor's note asks"))
    return lines
