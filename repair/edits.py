"""The repair as a list of numbered edits an editor can accept or reject one by one.

Each paragraph's source and repair are compared word by word (difflib over tokens that
keep their whitespace, so nothing is lost), and neighbouring changes separated only by
whitespace become one edit: "was went to" -> "went to" is one edit, not three.

Applying every edit gives back `RepairResult.text` exactly; rejecting every edit gives
back the original article exactly; any mix in between is well defined because the edits
of a paragraph never overlap.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from difflib import SequenceMatcher

from repair.errors import InputError
from repair.results import Edit, ParagraphResult, RepairResult

# Every character falls in exactly one branch, so joining the tokens gives the text back.
_TOKEN = re.compile(r"\s+|\w+(?:['’]\w+)*|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Words, runs of whitespace and single punctuation marks; `"".join` restores `text`."""
    return _TOKEN.findall(text)


def diff_words(source: str, repaired: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) for each change, offsets into `source`, in order."""
    if source == repaired:
        return []
    a, b = tokenize(source), tokenize(repaired)
    offsets = [0]
    for tok in a:
        offsets.append(offsets[-1] + len(tok))
    # The tokens both ends share are no edit: matching only the middle is the same diff
    # for less work (the matcher's cost grows with the lengths it compares).
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    # autojunk would treat the frequent whitespace tokens of a long paragraph as noise and
    # produce one huge edit; paragraphs are short enough for the exact algorithm.
    matcher = SequenceMatcher(None, a[head : len(a) - tail], b[head : len(b) - tail], False)
    groups: list[list[int]] = []  # [i1, i2, j1, j2] in tokens
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        i1, i2, j1, j2 = i1 + head, i2 + head, j1 + head, j2 + head
        last = groups[-1] if groups else None
        if last is not None and _only_space(a[last[1] : i1]) and _only_space(b[last[3] : j1]):
            last[1], last[3] = i2, j2  # the words between are just a gap: one edit
        else:
            groups.append([i1, i2, j1, j2])
    return [(offsets[i1], offsets[i2], "".join(b[j1:j2])) for i1, i2, j1, j2 in groups]


def _only_space(tokens: list[str]) -> bool:
    return all(t.isspace() for t in tokens)


def compute_edits(paragraphs: Sequence[ParagraphResult]) -> list[Edit]:
    """The numbered edits that turn each paragraph's source into its repair."""
    edits: list[Edit] = []
    for p in paragraphs:
        for start, end, replacement in diff_words(p.source, p.repaired):
            edits.append(
                Edit(
                    number=len(edits) + 1,
                    paragraph=p.id,
                    start=start,
                    end=end,
                    original=p.source[start:end],
                    replacement=replacement,
                )
            )
    return edits


def edits_of(result: RepairResult) -> list[Edit]:
    """The result's own edits, or computed ones for a result saved before edits existed."""
    if result.edits:
        return result.edits
    return compute_edits(result.paragraphs)


def pieces(source: str, edits: Sequence[Edit]) -> Iterator[str | Edit]:
    """The paragraph as unchanged text and edits, in order: what a report draws."""
    pos = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < pos or source[edit.start : edit.end] != edit.original:
            raise InputError(
                f"edit {edit.number} does not match paragraph {edit.paragraph} of the result",
                edit=edit.number,
            )
        if edit.start > pos:
            yield source[pos : edit.start]
        yield edit
        pos = edit.end
    if pos < len(source):
        yield source[pos:]


def layout(result: RepairResult) -> tuple[str, list[str]]:
    """What lies before the first paragraph and after each one, from `result.text`.

    A result records where each paragraph starts (`at`): its gaps may hold markup (HTML,
    Markdown). One saved before that was recorded is walked instead: the pipeline leaves
    the gaps untouched and a plain-text paragraph never begins or ends with whitespace, so
    each paragraph is found after the whitespace that ends the one before.
    """
    text, pos = result.text, 0
    gaps: list[str] = []
    for p in result.paragraphs:
        found = _after_space(text, pos, p.repaired) if p.at is None else p.at
        if found is None or found < pos or not text.startswith(p.repaired, found):
            raise InputError(
                f"the result is inconsistent: paragraph {p.id} is not where its text says",
                paragraph=p.id,
            )
        gaps.append(text[pos:found])
        pos = found + len(p.repaired)
    gaps.append(text[pos:])
    if result.format == "text" and gaps[-1].strip():
        raise InputError("the result is inconsistent: its text goes on after the last paragraph")
    return gaps[0], gaps[1:]


def _after_space(text: str, pos: int, wanted: str) -> int | None:
    """Where `wanted` starts after the whitespace at `pos` (the longest gap that fits)."""
    run = pos
    while run < len(text) and text[run].isspace():
        run += 1
    for start in range(run, pos - 1, -1):
        if text.startswith(wanted, start):
            return start
    return None


def check_edit_numbers(edits: Sequence[Edit], reject: Collection[int]) -> None:
    """Refuse, in words, edit numbers the result does not have."""
    unknown = sorted(set(reject) - {e.number for e in edits})
    if unknown:
        raise InputError(
            f"no edit numbered {', '.join(map(str, unknown))}: the result has edits "
            f"1 to {len(edits)}"
            if edits
            else "the result has no edits to reject",
            unknown=unknown,
        )


def apply_edits(result: RepairResult, reject: Collection[int] = ()) -> str:
    """The article with the edits numbered in `reject` undone and every other one kept."""
    edits = edits_of(result)
    check_edit_numbers(edits, reject)
    by_paragraph: dict[str, list[Edit]] = {}
    for edit in edits:
        by_paragraph.setdefault(edit.paragraph, []).append(edit)
    prefix, tails = layout(result)
    parts = [prefix]
    for p, tail in zip(result.paragraphs, tails, strict=True):
        for piece in pieces(p.source, by_paragraph.get(p.id, [])):
            if isinstance(piece, str):
                parts.append(piece)
            else:
                parts.append(piece.original if piece.number in reject else piece.replacement)
        parts.append(tail)
    return "".join(parts)


def original_text(result: RepairResult) -> str:
    """The article as it was before the repair, byte for byte."""
    prefix, tails = layout(result)
    return prefix + "".join(p.source + t for p, t in zip(result.paragraphs, tails, strict=True))
