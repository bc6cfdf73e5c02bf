"""The editor's choices applied to a saved repair: suggestions accepted, edits undone.

`apply_choices` is what `repair apply --accept S1,S3 --reject 4,7` and a service endpoint
call. Accepted suggestions replace their span in the repaired text; rejected edits put the
source's words back; anything else stays as the repair left it. The outcome is checked
again against the original article, in which each accepted suggestion is written too: the
validator then sees the editor's correction on both sides (it is no finding), and still
sees every other difference. The facts inside accepted spans are recorded in the ledger
of the outcome as changed by the editor.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field

from repair.edits import check_edit_numbers, edits_of, layout
from repair.errors import InputError
from repair.facts.ledger import FactLedger, extract_facts, mark_changed_by_editor
from repair.formats import Format, parse, words
from repair.results import Edit, ParagraphResult, RepairResult, Suggestion, ValidationReport
from repair.validation import check


class ReviewOutcome(BaseModel):
    """The article after the editor's choices, and the check of it."""

    model_config = ConfigDict(extra="forbid")

    text: str
    report: ValidationReport
    accepted: list[Suggestion] = Field(default_factory=list, description="applied, in order")
    rejected: list[int] = Field(default_factory=list, description="edits undone")
    ledger: FactLedger = Field(
        description="the outcome's facts; those in accepted spans marked changed by the editor"
    )


@dataclass(frozen=True, slots=True)
class _Change:
    """Text to put in place of repaired[start:end] of one paragraph."""

    start: int
    end: int
    text: str
    what: str  # "edit 4", "S2": for messages


def apply_choices(
    result: RepairResult, accept: Collection[str] = (), reject: Collection[int] = ()
) -> ReviewOutcome:
    """The article with the suggestions named in `accept` applied and the edits numbered
    in `reject` undone, checked against the original article.

    InputError (with a message for the editor) for an id or number the result does not
    have, a suggestion whose span no longer matches its paragraph, or one that overlaps a
    rejected edit or another accepted suggestion.
    """
    edits = edits_of(result)
    chosen = _suggestions(result, accept)
    check_edit_numbers(edits, reject)
    ids = {p.id for p in result.paragraphs}
    for s in chosen:
        if s.paragraph not in ids:
            raise InputError(f"{s.id} is for paragraph {s.paragraph}, which the result lacks")
    by_paragraph: dict[str, list[Edit]] = {}
    for edit in edits:
        by_paragraph.setdefault(edit.paragraph, []).append(edit)
    prefix, tails = layout(result)
    out, source = [prefix], [prefix]
    editor_spans: list[tuple[int, int]] = []
    at = len(prefix)
    for p, tail in zip(result.paragraphs, tails, strict=True):
        mine = by_paragraph.get(p.id, [])
        regions = _repaired_regions(p, mine)
        changes = [
            _Change(regions[e.number][0], regions[e.number][1], e.original, f"edit {e.number}")
            for e in mine
            if e.number in reject
        ]
        accepted = [s for s in chosen if s.paragraph == p.id]
        for s in accepted:
            if p.repaired[s.start : s.end] != s.original:
                raise InputError(
                    f"{s.id} no longer matches paragraph {p.id}: the result says "
                    f"'{s.original}' at {s.start}, the paragraph has "
                    f"'{p.repaired[s.start : s.end]}'",
                    suggestion=s.id,
                )
        changes += [_Change(s.start, s.end, s.replacement, s.id) for s in accepted]
        text, spans = _rewrite(p.repaired, changes)
        editor_spans += [(at + a, at + b) for a, b, what in spans if what.startswith("S")]
        out.append(text + tail)
        source.append(_editor_source(p, mine, accepted, regions) + tail)
        at += len(text) + len(tail)
    text = "".join(out)
    fmt = Format(result.format)
    report = check("".join(source), text, fmt, glossary=result.glossary.mapping())
    ledger = extract_facts(text if fmt is Format.TEXT else words(parse(text, fmt)))
    if fmt is Format.TEXT:
        ledger = mark_changed_by_editor(ledger, editor_spans)
    return ReviewOutcome(
        text=text,
        report=report,
        accepted=sorted(chosen, key=lambda s: int(s.id[1:])),
        rejected=sorted(reject),
        ledger=ledger,
    )


def _suggestions(result: RepairResult, accept: Collection[str]) -> list[Suggestion]:
    by_id = {s.id: s for s in result.suggestions}
    unknown = [i for i in accept if i not in by_id]
    if unknown:
        have = f"the result has {', '.join(by_id)}" if by_id else "the result has no suggestions"
        raise InputError(f"no suggestion {', '.join(unknown)}: {have}", unknown=unknown)
    return [by_id[i] for i in dict.fromkeys(accept)]


def _repaired_regions(p: ParagraphResult, edits: Sequence[Edit]) -> dict[int, tuple[int, int]]:
    """Where each edit's replacement lies in the repaired paragraph (edit number -> span)."""
    regions: dict[int, tuple[int, int]] = {}
    shift = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if p.source[edit.start : edit.end] != edit.original:
            raise InputError(
                f"edit {edit.number} does not match paragraph {p.id} of the result",
                edit=edit.number,
            )
        start = edit.start + shift
        regions[edit.number] = (start, start + len(edit.replacement))
        shift += len(edit.replacement) - (edit.end - edit.start)
    return regions


def _rewrite(text: str, changes: Sequence[_Change]) -> tuple[str, list[tuple[int, int, str]]]:
    """`text` with each change made, and where each change's text ended up."""
    ordered = sorted(changes, key=lambda c: (c.start, c.end))
    for a, b in pairwise(ordered):
        if b.start < a.end:
            raise InputError(
                f"{a.what} and {b.what} overlap: keep one of them",
                overlap=[a.what, b.what],
            )
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    pos = length = 0
    for c in ordered:
        parts.append(text[pos : c.start])
        length += c.start - pos
        spans.append((length, length + len(c.text), c.what))
        parts.append(c.text)
        length += len(c.text)
        pos = c.end
    parts.append(text[pos:])
    return "".join(parts), spans


def _editor_source(
    p: ParagraphResult,
    edits: Sequence[Edit],
    accepted: Sequence[Suggestion],
    regions: dict[int, tuple[int, int]],
) -> str:
    """The paragraph's source with each accepted suggestion written in at the place its
    span came from, so the re-check compares like with like there.

    A span in words the repair kept maps back exactly. A span that touches words the repair
    changed (a name the glossary respelled) takes those edits' source words with it: that
    stretch of the source reads as the accepted repair does, which the validator passed
    when the repair was made.
    """
    changes: list[_Change] = []
    for s in accepted:
        touched = [e for e in edits if _touches(regions[e.number], s.start, s.end)]
        r_start = min([s.start, *(regions[e.number][0] for e in touched)])
        r_end = max([s.end, *(regions[e.number][1] for e in touched)])
        text = p.repaired[r_start : s.start] + s.replacement + p.repaired[s.end : r_end]
        changes.append(
            _Change(
                min([_to_source(r_start, edits, regions), *(e.start for e in touched)]),
                max([_to_source(r_end, edits, regions, end=True), *(e.end for e in touched)]),
                text,
                s.id,
            )
        )
    return _rewrite(p.source, changes)[0]


def _touches(region: tuple[int, int], start: int, end: int) -> bool:
    """An edit's repaired words overlap [start, end), or its deletion lies strictly inside."""
    a, b = region
    return a < end and start < b if a < b else start < a < end


def _to_source(
    position: int,
    edits: Sequence[Edit],
    regions: dict[int, tuple[int, int]],
    *,
    end: bool = False,
) -> int:
    """A position of the repaired paragraph outside every edit, in the source's offsets
    (a deletion right at an `end` position stays after it)."""
    shift = 0
    for edit in sorted(edits, key=lambda e: e.start):
        a, b = regions[edit.number]
        if b > position or (end and a == b == position):
            break
        shift += len(edit.replacement) - (edit.end - edit.start)
    return position - shift
