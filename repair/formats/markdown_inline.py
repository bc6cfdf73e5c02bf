"""The inline syntax of one Markdown block, read with offsets.

markdown-it's inline tokens say what a block holds but not where: this scanner finds
each construct's span in the block's text, so that markup can become placeholders and
the words around it stay byte for byte. It reads links (inline, reference, shortcut),
images, code spans, autolinks, inline HTML, footnote references, hard breaks, and
emphasis and strikethrough paired as CommonMark pairs them. Where it is simpler than
CommonMark (the "rule of 3", say), the block check in markdown_doc.py catches the
difference before a repair is used.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from markdown_it.common.utils import normalizeReference

Item = tuple[str, int, int, str]  # (kind, start, end, name): text, atom, open, close, delim
_PUNCTUATION = frozenset(string.punctuation)
_SPECIAL = re.compile(r"[\\`!\[<*_~ ]")
_HARD_BREAK = re.compile(r" {2,}\n")
_AUTOLINK = re.compile(r"<(?:[A-Za-z][A-Za-z0-9.+-]{1,31}:[^<>\s]*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)>")
_HTML_OPEN = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*?)?(/?)>")
_HTML_CLOSE = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)\s*>")
_HTML_OTHER = re.compile(r"<!--.*?-->|<\?.*?\?>|<![A-Z][^>]*>|<!\[CDATA\[.*?\]\]>", re.DOTALL)
_VOID = frozenset("br hr img input wbr embed source track area col meta link".split())


# How far a construct may reach from where it opens (a link, a code span, a comment):
# beyond it the opener is text. It keeps hostile input ("[[[[..." by the thousand) linear.
_REACH = 2_000
_MAX_LINK_DEPTH = 8


class _Scanner:
    """Inline syntax of one block, with every code span and bracket pair found up front."""

    def __init__(self, s: str, references: set[str]) -> None:
        self.s, self.references = s, references
        self.code_spans = _code_spans(s)
        self.pairs = _bracket_pairs(s, self.code_spans)

    def scan(self, i: int, end: int, depth: int = 0) -> list[Item]:
        s, items = self.s, []
        while i < end:
            c = s[i]
            nxt = s[i + 1] if i + 1 < end else ""
            if c == "\\":
                if nxt == "\n":
                    items.append(("atom", i, i + 2, ""))  # a backslash hard break
                    i += 2
                else:
                    j = i + 2 if nxt and nxt in _PUNCTUATION else i + 1
                    items.append(("text", i, j, ""))
                    i = j
                continue
            if c == " ":
                m = _HARD_BREAK.match(s, i, end)
                j = m.end() if m else i + 1
                items.append(("atom" if m else "text", i, j, ""))
                i = j
                continue
            if c == "`":
                span = self.code_spans.get(i)  # an unclosed run of backticks is text
                span = span if span is not None and span <= end else None
                j = span or _run_end(s, i, end)
                items.append(("atom" if span else "text", i, j, ""))
                i = j
                continue
            if c == "!" and nxt == "[":
                link = self.link(i + 1, end)
                j = link[1] if link else i + 1
                items.append(("atom" if link else "text", i, j, ""))
                i = j
                continue
            if c == "[":
                close = self.pairs.get(i)
                if nxt == "^" and close is not None and close < end:
                    items.append(("atom", i, close + 1, ""))  # a footnote reference
                    i = close + 1
                    continue
                link = self.link(i, end) if depth < _MAX_LINK_DEPTH else None
                if link and self.labels_itself(i, *link):
                    # "[Reuters]" or "[Reuters][]": the words are the link's label, which
                    # its definition must match; the model may not change them.
                    items.append(("atom", i, link[1], ""))
                    i = link[1]
                    continue
                if link:
                    label_end, j = link
                    items.append(("open", i, i + 1, "[]"))
                    items += self.scan(i + 1, label_end, depth + 1)
                    items.append(("close", label_end, j, "[]"))
                    i = j
                    continue
                items.append(("text", i, i + 1, ""))
                i += 1
                continue
            if c == "<":
                item = _angle(s, i, min(end, i + _REACH))
                items.append(item)
                i = item[2]
                continue
            if c in "*_~":
                j = _run_end(s, i, end)
                items.append(("delim", i, j, c))
                i = j
                continue
            m = _SPECIAL.search(s, i + 1, end)
            j = m.start() if m else end
            items.append(("text", i, j, ""))
            i = j
        return items

    def labels_itself(self, i: int, label_end: int, end: int) -> bool:
        """Is the link at `i` a shortcut or collapsed reference ("[x]", "[x][]")?"""
        return end == label_end + 1 or self.s[label_end + 1 : end] == "[]"

    def link(self, i: int, end: int) -> tuple[int, int] | None:
        """(end of the link text, end of the link) for a link whose "[" is at `i`."""
        label_end = self.pairs.get(i)
        if label_end is None or label_end >= end:
            return None
        after = label_end + 1
        if after < end and self.s[after] in "([":
            close = self.pairs.get(after)
            return (label_end, close + 1) if close is not None and close < end else None
        if normalizeReference(self.s[i + 1 : label_end]) in self.references:
            return (label_end, after)  # a shortcut reference: [Reuters]
        return None


def _angle(s: str, i: int, end: int) -> Item:
    for pattern in (_AUTOLINK, _HTML_OTHER):
        m = pattern.match(s, i, end)
        if m:
            return ("atom", i, m.end(), "")
    m = _HTML_CLOSE.match(s, i, end)
    if m:
        return ("close", i, m.end(), m.group(1).lower())
    m = _HTML_OPEN.match(s, i, end)
    if m:
        name = m.group(1).lower()
        kind = "atom" if m.group(2) or name in _VOID else "open"
        return (kind, i, m.end(), name)
    return ("text", i, i + 1, "")


def _run_end(s: str, i: int, end: int) -> int:
    j = i
    while j < end and s[j] == s[i]:
        j += 1
    return j


_BACKTICKS = re.compile(r"`+")


def _code_spans(s: str) -> dict[int, int]:
    """Start -> end of each code span: a backtick run closed by the next run of its length."""
    runs = [m for m in _BACKTICKS.finditer(s) if not _escaped(s, m.start())]
    later: dict[int, list[int]] = {}  # run length -> indexes into `runs`, last first
    for k in range(len(runs) - 1, -1, -1):
        later.setdefault(len(runs[k].group()), []).append(k)
    spans: dict[int, int] = {}
    free_from = 0  # runs before this offset are inside a span already found
    for run in runs:
        same = later[len(run.group())]
        same.pop()  # this run itself: runs are visited in order, the next one is last
        if run.start() < free_from:
            continue
        if same and runs[same[-1]].start() - run.start() <= _REACH:
            closer = runs[same[-1]]
            spans[run.start()] = closer.end()
            free_from = closer.end()
        else:
            free_from = run.end()
    return spans


def _escaped(s: str, i: int) -> bool:
    backslashes = 0
    while i - backslashes > 0 and s[i - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _bracket_pairs(s: str, code_spans: dict[int, int]) -> dict[int, int]:
    """Opening "[" or "(" -> its closing one, escapes and code spans skipped: one pass."""
    pairs: dict[int, int] = {}
    open_: dict[str, list[int]] = {"[": [], "(": []}
    partner = {"]": "[", ")": "("}
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "`" and i in code_spans:
            i = code_spans[i]
            continue
        if c in open_:
            open_[c].append(i)
        elif c in partner and open_[partner[c]]:
            start = open_[partner[c]].pop()
            if i - start <= _REACH:
                pairs[start] = i
        i += 1
    return pairs


@dataclass(slots=True)
class _Run:
    """A run of `*`, `_` or `~` that may open or close emphasis, and what is left of it."""

    index: int  # of its item
    char: str
    start: int
    end: int  # what is left is start..end: an opener is used up from its end
    opens: bool
    closes: bool


def _resolve(items: list[Item], s: str) -> list[Item]:
    """Pair emphasis delimiters (`*`, `_`, `~~`) the way CommonMark does.

    A run opens or closes by what is on either side of it (the "flanking" rules). A
    closer takes the nearest opener of its character, two characters at a time when both
    have two (strong), else one; what is left of either may pair again, so "***" can
    close "*" and "**" at once. Emphasis pairs across a link but never into one. What
    is left unpaired is text. Each pair gets a name of its own for the placeholders.
    """
    pieces: dict[int, list[Item]] = {}  # item index -> what the run became
    stack: list[_Run | None] = []  # None: a link's opening bracket, a barrier
    pair = 0
    for n, (kind, a, b, name) in enumerate(items):
        if kind in ("open", "close") and name == "[]":
            if kind == "open":
                stack.append(None)
            else:
                while stack and stack.pop() is not None:
                    pass  # openers inside the link text stay unpaired
            continue
        if kind != "delim":
            continue
        run = _delimiter_run(n, a, b, name, s)
        if run is None:
            continue
        while run.closes and run.start < run.end:
            k = _opener_for(stack, run.char)
            if k is None:
                break
            opener = stack[k]
            assert opener is not None
            use = 2 if opener.end - opener.start >= 2 and run.end - run.start >= 2 else 1
            if run.char == "~" and use == 1:
                break  # never half a "~~"
            pair += 1
            tag = f"{run.char}{pair}"
            pieces.setdefault(opener.index, []).append(("open", opener.end - use, opener.end, tag))
            pieces.setdefault(run.index, []).append(("close", run.start, run.start + use, tag))
            opener.end -= use
            run.start += use
            del stack[k + 1 :]  # openers between them stay unpaired
            if opener.start == opener.end:
                del stack[k]
        if run.opens and run.start < run.end:
            stack.append(run)
    out: list[Item] = []
    for n, (kind, a, b, name) in enumerate(items):
        if kind != "delim":
            out.append((kind, a, b, name))
            continue
        used = sorted(pieces.get(n, []), key=lambda item: item[1])
        pos = a
        for piece in used:
            if piece[1] > pos:
                out.append(("text", pos, piece[1], ""))
            out.append(piece)
            pos = piece[2]
        if pos < b:
            out.append(("text", pos, b, ""))
    return out


def _delimiter_run(n: int, a: int, b: int, char: str, s: str) -> _Run | None:
    before = s[a - 1] if a > 0 else " "  # a block's edges count as whitespace
    after = s[b] if b < len(s) else " "
    opens, closes = _flanking(before, after)
    if char == "~":
        # Strikethrough goes by "~~": a longer run is several of them, an odd "~" is text.
        if b - a < 2:
            return None
        a += (b - a) % 2
    if char == "_":
        opens, closes = (
            opens and (not closes or before in _PUNCTUATION),
            closes and (not opens or after in _PUNCTUATION),
        )
    return _Run(n, char, a, b, opens, closes) if opens or closes else None


def _opener_for(stack: list[_Run | None], char: str) -> int | None:
    """The nearest opener of `char` this side of a link's opening bracket."""
    for k in range(len(stack) - 1, -1, -1):
        opener = stack[k]
        if opener is None:
            return None
        if opener.char == char:
            return k
    return None


def _flanking(before: str, after: str) -> tuple[bool, bool]:
    left = not after.isspace() and (
        after not in _PUNCTUATION or before.isspace() or before in _PUNCTUATION
    )
    right = not before.isspace() and (
        before not in _PUNCTUATION or after.isspace() or after in _PUNCTUATION
    )
    return left, right


def inline_items(text: str, references: set[str]) -> list[Item]:
    """(kind, start, end, name) for the whole block: text, atom, open and close."""
    return _resolve(_Scanner(text, references).scan(0, len(text)), text)
