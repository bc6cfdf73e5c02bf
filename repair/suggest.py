"""Suggestions for the editor: facts the model believes were mistranslated, never applied.

The repair may not change a fact (the validator refuses it), so a name the machine
translation replaced with another person's ("Cao Cao" for the deputy mayor) stays in the
repaired text. The model proposes the correction instead, in a block after the tagged
paragraphs of its answer:

    P5 Cao Cao, the deputy mayor, told reporters that ...
    SUGGESTIONS
    {"paragraph": "P5", "span": "Cao Cao", "replacement": "Gong Zheng", "kind": "name", ...}

(One line a suggestion costs completion tokens only when there is one; the per-article
alternative re-sends the whole article: see bench/suggestions.py and the README.)

Everything in the block is untrusted: each line is parsed strictly, then checked against
the paragraph it names. A suggestion for a paragraph not asked about, a span that is not
in the repaired paragraph, a replacement equal to the span, an unknown kind, a duplicate,
one that adds or drops a negation or changes a figure while calling itself a name or a
term: each is dropped with a note, and none ever reaches the text. A glossary cluster the
model named with none of its spellings also becomes a suggestion (origin "glossary").
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from repair.facts.names import TITLES, find_names, same_name
from repair.facts.negations import find_negations
from repair.facts.words import fold, tokens
from repair.results import (
    Confidence,
    Glossary,
    ParagraphResult,
    Suggestion,
    SuggestionKind,
)

# The line that opens the block: "SUGGESTIONS", tolerant of the dress a model may give it
# ("**Suggestions:**", "## SUGGESTIONS").
_MARKER = re.compile(r"^[ \t]*[#*_]*[ \t]*suggestions[ \t]*:?[ \t]*[*_]*[ \t]*$", re.I | re.M)
_FENCE_LINE = re.compile(r"^\s*```[a-z]*\s*$")
_UNIT = re.compile(r"^(P\d+)(?:\.\d+)?$")
_FIGURES = re.compile(r"\d+")
_LETTERS = re.compile(r"[^\W\d_]+")
MAX_WORDS = 8  # a name, a title, a term: never a clause


class Proposal(BaseModel):
    """One line of the block as the model wrote it, before it is checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    paragraph: str = Field(pattern=r"^P\d+(?:\.\d+)?$")
    span: str = Field(min_length=1, max_length=200)
    replacement: str = Field(min_length=1, max_length=200)
    kind: SuggestionKind
    confidence: Confidence
    reason: str = Field(default="", max_length=400)

    @field_validator("paragraph", mode="before")
    @classmethod
    def _unit_id(cls, value: object) -> object:
        # The passage tags a heading H7 and a caption C7 (prompts.tag): the id is P7.
        if isinstance(value, str) and _KIND_TAG.fullmatch(value):
            return "P" + value[1:]
        return value


_KIND_TAG = re.compile(r"[HC]\d+(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A proposal and where it came from, waiting for the repaired text to check it on."""

    proposal: Proposal
    origin: str = "model"  # "model" or "glossary"


def split_answer(content: str | None) -> tuple[str | None, str | None]:
    """(the tagged paragraphs, the suggestions block or None): the block never reaches the
    paragraph parser, so it can neither become part of the last paragraph nor spoil it."""
    if not content:
        return content, None
    match = _MARKER.search(content)
    if match is None:
        return content, None
    return content[: match.start()].rstrip(), content[match.end() :]


def parse_block(block: str, asked: Collection[str]) -> tuple[list[Proposal], list[str]]:
    """The proposals of a block, and a note for every line that could not be used.

    `asked`: the unit ids of the passage; a proposal for any other paragraph is dropped
    (the model saw the context, but its spans there are not its own repair).
    """
    proposals: list[Proposal] = []
    notes: list[str] = []
    lines = [ln.strip() for ln in block.splitlines() if ln.strip() and not _FENCE_LINE.match(ln)]
    if lines in ([], ["[]"]) or [ln.lower() for ln in lines] == ["none"]:
        return proposals, notes
    for line in lines:
        try:
            proposal = Proposal.model_validate_json(line.rstrip(","))
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(map(str, problem["loc"]))
            notes.append(
                f"suggestion dropped: not the JSON asked for ({where + ': ' if where else ''}"
                f"{problem['msg']}): {line[:80]!r}"
            )
            continue
        if proposal.paragraph not in asked:
            notes.append(
                f"suggestion dropped: {proposal.paragraph} is not a paragraph of the passage"
            )
            continue
        proposals.append(proposal)
    return proposals, notes


def from_glossary(glossary: Glossary, paragraphs: Sequence[ParagraphResult]) -> list[Candidate]:
    """A cluster the glossary call named with none of its spellings: the name as the text
    has it, in every paragraph, with the model's name proposed in its place."""
    candidates: list[Candidate] = []
    seen: set[tuple[str, str]] = set()
    for entry in glossary.entries:
        if not entry.proposed or entry.source == "editor":
            continue  # an editor's pin settles the name
        spelled = {entry.canonical, *entry.variants}
        proposed_words = entry.proposed.split()
        who = f" ({entry.role})" if entry.role else ""
        reason = (
            f"the glossary pass named this{who} '{entry.proposed}', "
            f"which is none of the spellings found ({', '.join(sorted(spelled))})"
        )
        folded = [fold(v) for v in spelled]
        for p in paragraphs:
            for mention in find_names(p.repaired):
                # The repair may have respelled the name ("Witcooff" -> "Witkoff").
                named = [t for t in tokens(mention.text) if t.folded not in TITLES]
                if not any(same_name(t.folded, f) for t in named for f in folded):
                    continue
                # "Steve Witkoff" gets the whole proposal; "Mr Witkoff" the surname alone.
                whole = len(named) > 1
                span = mention.text[named[0].start : named[-1].end] if whole else named[-1].text
                if (p.id, span) in seen:
                    continue  # every occurrence of a span in a paragraph is offered already
                seen.add((p.id, span))
                candidates.append(
                    Candidate(
                        Proposal(
                            paragraph=p.id,
                            span=span,
                            replacement=entry.proposed if whole else proposed_words[-1],
                            kind="name",
                            confidence="medium",
                            reason=reason,
                        ),
                        origin="glossary",
                    )
                )
    return candidates


def resolve(
    candidates: Iterable[Candidate], paragraphs: Sequence[ParagraphResult]
) -> tuple[list[Suggestion], list[str]]:
    """The suggestions that hold up against the repaired paragraphs, numbered S1, S2, ...
    in article order, and a note for each one dropped."""
    by_id = {p.id: (n, p) for n, p in enumerate(paragraphs)}
    kept: list[tuple[int, int, int, Candidate]] = []  # (paragraph index, start, end, ...)
    notes: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for candidate in candidates:
        proposal = candidate.proposal
        unit = _UNIT.match(proposal.paragraph)
        pid = unit.group(1) if unit else proposal.paragraph
        if pid not in by_id:
            notes.append(f"suggestion dropped: the article has no paragraph {proposal.paragraph}")
            continue
        index, paragraph = by_id[pid]
        key = (pid, proposal.span, proposal.replacement)
        if key in seen:
            notes.append(f"suggestion dropped: {_name(proposal)} in {pid} was proposed twice")
            continue
        seen.add(key)
        problem = _problem(proposal, paragraph.repaired)
        if problem:
            notes.append(f"suggestion dropped: {_name(proposal)} in {pid}: {problem}")
            continue
        for start in _occurrences(paragraph.repaired, proposal.span):
            end = start + len(proposal.span)
            clash = next((k for k in kept if k[0] == index and k[1] < end and start < k[2]), None)
            if clash is not None:
                notes.append(
                    f"suggestion dropped: {_name(proposal)} in {pid} overlaps "
                    f"{_name(clash[3].proposal)}"
                )
                continue
            kept.append((index, start, end, candidate))
    kept.sort(key=lambda k: (k[0], k[1]))
    suggestions = [
        Suggestion(
            id=f"S{n}",
            paragraph=paragraphs[index].id,
            start=start,
            end=end,
            original=c.proposal.span,
            replacement=c.proposal.replacement.strip(),
            kind=c.proposal.kind,
            reason=" ".join(c.proposal.reason.split()) or "(no reason given)",
            confidence=c.proposal.confidence,
            origin="glossary" if c.origin == "glossary" else "model",
        )
        for n, (index, start, end, c) in enumerate(kept, 1)
    ]
    return suggestions, notes


def _name(proposal: Proposal) -> str:
    return f"'{proposal.span[:40]}' -> '{proposal.replacement[:40]}'"


def _occurrences(text: str, span: str) -> list[int]:
    found, at = [], text.find(span)
    while at >= 0:
        found.append(at)
        at = text.find(span, at + len(span))
    return found


def _problem(proposal: Proposal, repaired: str) -> str | None:
    """Why a proposal may not be offered to the editor (None: it may)."""
    span, replacement = proposal.span, proposal.replacement.strip()
    if span not in repaired:
        return "the span is not in the repaired paragraph"
    if " ".join(span.split()) == " ".join(replacement.split()):
        return "the replacement is the span itself"
    if len(span.split()) > MAX_WORDS or len(replacement.split()) > MAX_WORDS:
        return f"longer than {MAX_WORDS} words: a suggestion corrects a fact, not a sentence"
    if len(find_negations(span)) != len(find_negations(replacement)):
        return "it would add or drop a negation"
    figures = _FIGURES.findall(span), _FIGURES.findall(replacement)
    if proposal.kind == "number":
        if not figures[0] or figures[0] != figures[1]:
            return "a number suggestion may change a unit or a scale, never the figures"
    elif figures[0] != figures[1] and _LETTERS.findall(span) == _LETTERS.findall(replacement):
        return f"it changes the figures alone, which is no {proposal.kind}"
    return None


def accepted_ids(spec: str, suggestions: Sequence[Suggestion]) -> list[str]:
    """The ids of "S1,S3" (case and spaces forgiven) or "all-high" (every high-confidence
    suggestion); ids are checked against the result by `repair.review.apply_choices`."""
    wanted: list[str] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        if part.lower() == "all-high":
            wanted += [s.id for s in suggestions if s.confidence == "high"]
        elif part.lower() == "all":
            wanted += [s.id for s in suggestions]
        else:
            wanted.append(part.upper())
    return list(dict.fromkeys(wanted))


def block_line(proposal: Proposal) -> str:
    """One line of the block, as the prompt shows it and a test server writes it."""
    return json.dumps(proposal.model_dump(), ensure_ascii=False)
