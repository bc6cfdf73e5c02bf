"""Inline markup as numbered placeholders: what the model sees of an HTML or Markdown block.

A block of an HTML or Markdown article is text with markup inside it: links, emphasis,
line breaks, images, code, footnote markers. The model sees the text with each piece of
markup replaced by a placeholder: `<t1>` and `</t1>` around the words an element wraps,
`<t2/>` for markup that wraps nothing the model may touch (a line break, an image, a code
span, a footnote marker). The answer must carry the same placeholders, each once, in the
same order: the only order that gives back the same markup. `Inline.render` then puts
the source's own bytes back for every placeholder and for every stretch of text the model
left as it was, so a block repaired with no change comes back byte for byte.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"<(/?)t(\d+)(/?)>")


def placeholders(text: str) -> list[str]:
    """The placeholder tokens of a view text, in order."""
    return [m.group() for m in PLACEHOLDER.finditer(text)]


def plain(text: str) -> str:
    """The words of a view text: placeholders out, a space for each self-closing one.

    This is what the fact validator reads: a line break between two names must not join
    them into one, and a link around a name is not part of the name.
    """
    return PLACEHOLDER.sub(lambda m: " " if m.group(3) else "", text)


def placeholder_problem(source: str, answer: str) -> str | None:
    """Why the placeholders of `answer` do not match those of `source`, or None."""
    want, got = placeholders(source), placeholders(answer)
    if want == got:
        return None
    have, need = Counter(got), Counter(want)
    missing = [t for t in need if have[t] < need[t]]
    extra = [t for t in have if have[t] > need[t]]
    if missing:
        return f"the placeholders {' '.join(missing)} are missing; keep each one exactly once"
    doubled = [t for t in extra if t in need]
    if doubled:
        return f"the placeholders {' '.join(doubled)} appear more than once; keep each one once"
    if extra:
        return f"the placeholders {' '.join(extra)} are not in the source; add none"
    broken = _first_bad_nesting(got)
    where = f"{broken} does not nest" if broken else "they are in another order"
    return (
        f"the placeholders must stay in the order {' '.join(want)}, but {where}; "
        "keep them around the same words, in the same order"
    )


_LOOSE_PLACEHOLDER = re.compile(r"<\s*(/?)\s*[tT]\s*(\d+)\s*(/?)\s*>")


def normalize_placeholders(text: str) -> str:
    """Placeholders as models sometimes write them ("< t1 >", "<T2 />"), as they were sent."""
    return _LOOSE_PLACEHOLDER.sub(lambda m: f"<{m[1]}t{m[2]}{m[3]}>", text)


# Markup a model might write of its own: an HTML tag, Markdown emphasis, code or a link.
_MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|\*\*\S|__\S|`[^`\n]+`|\]\(")


def invented_markup(source: str, answer: str) -> str | None:
    """The first piece of markup in `answer` that `source` does not have, if any.

    Changed words are escaped, so a tag the model wrote itself would show in the article
    as text ("<b>"): it is refused, not escaped.
    """
    for m in _MARKUP.finditer(PLACEHOLDER.sub(" ", answer)):
        if m.group() not in source:
            return m.group()
    return None


def _first_bad_nesting(tokens: Sequence[str]) -> str | None:
    """The first closing placeholder that does not close the innermost open one."""
    open_: list[str] = []
    for token in tokens:
        m = PLACEHOLDER.fullmatch(token)
        if m is None or m.group(3):
            continue
        if not m.group(1):
            open_.append(m.group(2))
        elif not open_ or open_.pop() != m.group(2):
            return token
    return None


@dataclass(frozen=True, slots=True)
class Stretch:
    """A stretch of a block's text: its source bytes and what the model sees of them."""

    raw: str
    view: str


@dataclass(frozen=True, slots=True)
class Inline:
    """A block of a marked-up article: text stretches around placeholders, and the way back.

    `texts` has one stretch more than `marks`: text, mark, text, ..., mark, text (a stretch
    may be empty). `tokens[i]` is the placeholder the model sees for `marks[i]`, the
    source bytes of that piece of markup. `escape(new, old)` writes changed text in the
    format, given the source bytes `old` of the stretch it replaces (see `rewrap`).
    """

    texts: tuple[Stretch, ...]
    marks: tuple[str, ...]
    tokens: tuple[str, ...]
    escape: Callable[[str, str], str]
    # Where escaping alone cannot promise the markup survives (Markdown): do the source
    # bytes and the rendered bytes of the block parse to the same markup?
    same_markup: Callable[[str, str], bool] | None = None

    @property
    def view(self) -> str:
        return self._weave([s.view for s in self.texts], self.tokens)

    @property
    def raw(self) -> str:
        return self._weave([s.raw for s in self.texts], self.marks)

    @property
    def confusable(self) -> bool:
        """The text itself holds something that reads as a placeholder ("&lt;t1&gt;")."""
        return any(PLACEHOLDER.search(s.view) for s in self.texts)

    def problem(self, view: str) -> str | None:
        """Why `view` cannot be this block's repair as far as markup goes, or None."""
        wrong = placeholder_problem(self.view, view)
        if wrong or self.same_markup is None or view == self.view:
            return wrong
        if not self.same_markup(self.raw, self.render(view)):
            return (
                "the repaired words would change the markup (a character such as * _ [ or "
                "` that the format reads as syntax); write them as plain words"
            )
        return None

    def render(self, view: str) -> str:
        """The block's bytes for a (repaired) view text with this block's placeholders.

        A stretch the model left as it was keeps its source bytes (entities, line breaks
        and all); a changed one is escaped for the format. Raises ValueError when the
        placeholders differ from the source's: the caller checks that first.
        """
        if view == self.view:
            return self.raw
        parts = PLACEHOLDER.split(view)
        # split() yields text, then the 3 groups of each match, then text again.
        texts, found = (
            parts[::4],
            [f"<{parts[i]}t{parts[i + 1]}{parts[i + 2]}>" for i in range(1, len(parts), 4)],
        )
        if tuple(found) != self.tokens:
            raise ValueError(placeholder_problem(self.view, view) or "placeholders differ")
        out = [
            old.raw if new == old.view else self.escape(new, old.raw)
            for old, new in zip(self.texts, texts, strict=True)
        ]
        return self._weave(out, self.marks)

    @staticmethod
    def _weave(texts: Sequence[str], marks: Sequence[str]) -> str:
        parts = [texts[0]]
        for mark, text in zip(marks, texts[1:], strict=True):
            parts += [mark, text]
        return "".join(parts)


class InlineBuilder:
    """Collects a block's text and markup in source order and numbers the placeholders.

    `open`/`close` are a pair (an element around words); a close with no open of its name,
    an open never closed, and an open closed only by an outer element's close become
    self-closing placeholders of their own. `atom` is markup that wraps nothing the model
    may change.
    """

    def __init__(
        self,
        escape: Callable[[str, str], str],
        same_markup: Callable[[str, str], bool] | None = None,
    ) -> None:
        self._escape, self._same_markup = escape, same_markup
        self._texts: list[list[tuple[str, str]]] = [[]]  # (raw, view) pieces per stretch
        self._marks: list[str] = []
        self._tokens: list[str] = []
        self._open: list[tuple[str, int]] = []  # (name, index of its token)
        self._single: set[int] = set()  # indexes of opening tokens that will stand alone
        self._count = 0

    def text(self, raw: str, view: str) -> None:
        """Source bytes that are text, and what they read as (entities and escapes decoded)."""
        self._texts[-1].append((raw, view))

    def atom(self, raw: str) -> None:
        self._add(raw, f"<t{self._next()}/>")

    def open(self, raw: str, name: str) -> None:
        number = self._next()
        self._open.append((name, len(self._tokens)))
        self._add(raw, f"<t{number}>")

    def close(self, raw: str, name: str) -> None:
        for depth in range(len(self._open) - 1, -1, -1):
            if self._open[depth][0] == name:
                _, index = self._open[depth]
                # Opened inside it and still open ("<b>a <i>b</b> c</i>"): those stand alone.
                self._single.update(i for _, i in self._open[depth + 1 :])
                del self._open[depth:]
                number = PLACEHOLDER.fullmatch(self._tokens[index]).group(2)  # type: ignore[union-attr]
                self._add(raw, f"</t{number}>")
                return
        self.atom(raw)  # a close with nothing to close stands alone too

    @property
    def has_words(self) -> bool:
        return any(view.strip() for pieces in self._texts for _, view in pieces)

    def build(self) -> Inline:
        # An open placeholder never closed in this block stands alone: `<t3/>` says so,
        # and the model sees pairs that nest, and single placeholders, nothing else.
        single = self._single | {index for _, index in self._open}
        tokens = [
            token.replace(">", "/>") if i in single else token
            for i, token in enumerate(self._tokens)
        ]
        texts = tuple(
            Stretch("".join(raw for raw, _ in pieces), collapse("".join(v for _, v in pieces)))
            for pieces in self._texts
        )
        return Inline(texts, tuple(self._marks), tuple(tokens), self._escape, self._same_markup)

    def _next(self) -> int:
        self._count += 1
        return self._count

    def _add(self, raw: str, token: str) -> None:
        self._marks.append(raw)
        self._tokens.append(token)
        self._texts.append([])


_SPACE = re.compile(r"[ \t\n\r\f]+")


def collapse(text: str) -> str:
    """Runs of markup whitespace (a line break, indentation) read as one space."""
    return _SPACE.sub(" ", text)


ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def keep_entities(text: str, old: str) -> str:
    """`text` with each character that `old` spelled as an entity (`&nbsp;`, `&#8220;`)
    spelled the same way: an editor's non-breaking space stays visible in the source."""
    spellings = {html.unescape(e): e for e in reversed(ENTITY.findall(old))}
    spellings = {c: e for c, e in spellings.items() if len(c) == 1 and c not in "&<>\\"}
    if not spellings:
        return text
    return "".join(spellings.get(c, c) for c in text)


def rewrap(text: str, old: str, line_break: re.Pattern[str]) -> str:
    """`text` broken into lines where `old` had them, at about the same widths.

    A source wrapped at 80 columns stays wrapped after a repair (version control shows the
    words that changed, not a reflowed paragraph). `line_break` matches a break with the
    markers that continue the line ("\n> " in a Markdown quote); each is reused in order.
    """
    breaks = list(line_break.finditer(old))
    if not breaks:
        return text
    out, rest, start = [], text, 0
    for m in breaks:
        width = m.start() - start
        start = m.end()
        spaces = [i for i, c in enumerate(rest) if c == " "]
        if not spaces:
            break
        # Greedy wrapping: the last space that keeps the line within the source's width.
        cut = max((i for i in spaces if i <= width), default=spaces[0])
        out.append(rest[:cut] + m.group())
        rest = rest[cut + 1 :]
    return "".join(out) + rest
