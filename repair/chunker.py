"""Pack an article's paragraphs into balanced chunks for the model, losslessly.

A unit is what the model sees under one id: a whole paragraph, or a piece of a paragraph
that alone is over budget (split at sentences, then clauses, then words). A chunk is a run
of consecutive units. `Plan.join()` gives the article back byte for byte, with any unit's
text replaced.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

from repair.formats.inline import plain
from repair.formats.text import BlockKind, Document, segment, sentence_spans


@dataclass(frozen=True, slots=True)
class Unit:
    id: str  # "P7", or "P7.2" for the second piece of an oversized paragraph
    paragraph: str  # id of the paragraph it belongs to
    kind: BlockKind
    text: str
    tail: str  # whitespace after it: inside the paragraph, or the paragraph's own tail

    @property
    def repairable(self) -> bool:
        return self.kind is not BlockKind.FURNITURE


@dataclass(frozen=True, slots=True)
class Chunk:
    index: int
    units: list[Unit]
    before: str  # read-only context: the text just before the chunk
    after: str  # read-only context: the text just after it

    @property
    def size(self) -> int:
        return sum(len(u.text) for u in self.units)


@dataclass(frozen=True, slots=True)
class Plan:
    document: Document
    units: list[Unit]
    chunks: list[Chunk]

    def paragraph_texts(self, texts: dict[str, str] | None = None) -> dict[str, str]:
        """Each paragraph's text with its units' texts replaced where `texts` says so."""
        texts = texts or {}
        out: dict[str, str] = {}
        for pid, units in self.by_paragraph().items():
            out[pid] = "".join(texts.get(u.id, u.text) + u.tail for u in units[:-1])
            out[pid] += texts.get(units[-1].id, units[-1].text)
        return out

    def by_paragraph(self) -> dict[str, list[Unit]]:
        grouped: dict[str, list[Unit]] = {}
        for unit in self.units:
            grouped.setdefault(unit.paragraph, []).append(unit)
        return grouped

    def join(self, texts: dict[str, str] | None = None) -> str:
        """The article with unit texts replaced (markup put back around them, if any)."""
        if not texts:
            return self.document.join()
        paragraphs = self.paragraph_texts(texts)
        changed = {
            p.id: paragraphs[p.id] for p in self.document.paragraphs if paragraphs[p.id] != p.text
        }
        return self.document.join(changed)


def plan(text: str | Document, budget: int = 2000, context_chars: int = 300) -> Plan:
    """Split `text` into units and pack the repairable ones into balanced chunks.

    `budget` is the most characters of article text a chunk may carry; `context_chars` is
    how much neighbouring text each chunk shows the model, read-only, on either side.
    """
    if budget < 1:
        raise ValueError("budget must be at least 1 character")
    document = segment(text) if isinstance(text, str) else text
    units = [u for p in document.paragraphs for u in _units(p.id, p.kind, p.text, p.tail, budget)]
    position = {u.id: i for i, u in enumerate(units)}
    # Furniture is never sent to the model; it stays where it is in the plan's units.
    groups = _balanced_groups([u for u in units if u.repairable], budget)
    chunks = [
        _with_context(i, group, units, position, context_chars) for i, group in enumerate(groups)
    ]
    return Plan(document=document, units=units, chunks=chunks)


# --- splitting one oversized paragraph ------------------------------------------------

_CLAUSE_END = re.compile(r"[,;:—–](?=\s)")
_WORD_GAP = re.compile(r"\s+")


def _units(pid: str, kind: BlockKind, text: str, tail: str, budget: int) -> list[Unit]:
    if len(text) <= budget:
        return [Unit(pid, pid, kind, text, tail)]
    pieces = _split(text, budget)
    units = []
    for n, (start, end) in enumerate(pieces, 1):
        gap_end = pieces[n][0] if n < len(pieces) else len(text)
        piece_tail = text[end:gap_end] if n < len(pieces) else tail
        units.append(Unit(f"{pid}.{n}", pid, kind, text[start:end], piece_tail))
    return units


def _split(text: str, budget: int) -> list[tuple[int, int]]:
    """Spans covering `text` (gaps are whitespace), each at most `budget` long."""
    spans: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        if end - start <= budget:
            spans.append((start, end))
            continue
        for c_start, c_end in _cuts(text, start, end, _CLAUSE_END, budget):
            if c_end - c_start <= budget:
                spans.append((c_start, c_end))
                continue
            for w_start, w_end in _cuts(text, c_start, c_end, _WORD_GAP, budget):
                # No break at all (a URL, a run of symbols): cut blindly as the last resort.
                spans.extend((i, min(i + budget, w_end)) for i in range(w_start, w_end, budget))
    return _pack_spans(spans, budget)


def _cuts(
    text: str, start: int, end: int, breaks: re.Pattern[str], budget: int
) -> list[tuple[int, int]]:
    """Pieces of text[start:end] ending at `breaks`, trailing whitespace excluded."""
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for m in breaks.finditer(text, start, end):
        cut = m.end() if m.group().strip() else m.start()
        if cut > piece_start:
            pieces.append((piece_start, cut))
        piece_start = cut
        while piece_start < end and text[piece_start].isspace():
            piece_start += 1
    if piece_start < end:
        pieces.append((piece_start, end))
    return pieces


def _pack_spans(spans: list[tuple[int, int]], budget: int) -> list[tuple[int, int]]:
    """Merge neighbouring small spans so pieces are as few as the budget allows."""
    if not spans:
        return spans
    # Each span counts with the whitespace after it, so a merged span stays in budget.
    starts = [start for start, _ in spans]
    sizes = [b - a for a, b in itertools.pairwise(starts)] + [spans[-1][1] - starts[-1]]
    groups = _balanced_sizes(sizes, budget)
    merged, i = [], 0
    for count in groups:
        merged.append((spans[i][0], spans[i + count - 1][1]))
        i += count
    return merged


# --- balanced packing -----------------------------------------------------------------


def _balanced_groups(units: list[Unit], budget: int) -> list[list[Unit]]:
    counts = _balanced_sizes([len(u.text) for u in units], budget)
    groups, i = [], 0
    for count in counts:
        groups.append(units[i : i + count])
        i += count
    return groups


def _balanced_sizes(sizes: list[int], budget: int) -> list[int]:
    """How many items go in each group: as few groups as fit, of near-equal size.

    Choose the number of groups first and cut at the item boundaries nearest the even
    split points (so there is no tiny tail); add a group whenever one would overflow.
    An item larger than the budget goes alone.
    """
    if not sizes:
        return []
    total = sum(sizes)
    for n in range(max(1, math.ceil(total / budget)), len(sizes) + 1):
        counts = _cut_evenly(sizes, n)
        if all(_fits(group, budget) for group in _grouped(sizes, counts)):
            return counts
    return [1] * len(sizes)


def _cut_evenly(sizes: list[int], n: int) -> list[int]:
    target = sum(sizes) / n
    counts: list[int] = []
    count, filled, boundary = 0, 0.0, target
    for size in sizes:
        # Close the group when this item's middle lies past the next even split point.
        if count and filled + size / 2 > boundary and len(counts) < n - 1:
            counts.append(count)
            count, boundary = 0, boundary + target
        count += 1
        filled += size
    counts.append(count)
    return counts


def _grouped(sizes: list[int], counts: list[int]) -> list[list[int]]:
    out, i = [], 0
    for count in counts:
        out.append(sizes[i : i + count])
        i += count
    return out


def _fits(group: list[int], budget: int) -> bool:
    return len(group) == 1 or sum(group) <= budget


def _with_context(
    index: int, group: list[Unit], units: list[Unit], position: dict[str, int], chars: int
) -> Chunk:
    first, last = position[group[0].id], position[group[-1].id]
    before: list[str] = []
    i = first - 1
    # Page furniture ("Source link") is never context: it carries no thread.
    while chars and i >= 0 and sum(map(len, before)) < chars:
        if units[i].repairable:
            before.insert(0, _context_text(units[i]))
        i -= 1
    after: list[str] = []
    i = last + 1
    while chars and i < len(units) and sum(map(len, after)) < chars:
        if units[i].repairable:
            after.append(_context_text(units[i]))
        i += 1
    return Chunk(
        index=index,
        units=group,
        before=_last_sentence("".join(before), chars) if chars else "",
        after=_first_sentence("".join(after), chars) if chars else "",
    )


# Context is there to carry the thread across a chunk's edge: the one sentence next to
# the edge does that; more costs tokens on every call (and a cut word helps nobody).
def _last_sentence(text: str, chars: int) -> str:
    line = text.rstrip().rpartition("\n")[2].strip()
    if not line:
        return ""
    sentence = line[sentence_spans(line)[-1][0] :]
    if len(sentence) <= chars:
        return sentence
    cut = sentence[-chars:]
    space = cut.find(" ")
    return "…" + (cut[space + 1 :] if space >= 0 else cut)


def _first_sentence(text: str, chars: int) -> str:
    line = text.lstrip().partition("\n")[0].strip()
    if not line:
        return ""
    sentence = line[: sentence_spans(line)[0][1]]
    if len(sentence) <= chars:
        return sentence
    cut = sentence[:chars]
    space = cut.rfind(" ")
    return (cut[:space] if space > 0 else cut) + "…"


def _context_text(unit: Unit) -> str:
    """A unit as read-only context: its words, and a line break where markup separates it."""
    return plain(unit.text) + (unit.tail if not unit.tail.strip() else "\n")
