"""Read a model's answer back into paragraphs, and refuse anything that is not a repair.

The model is asked for `P7 text` lines (`[[P7]] text`, the older form, is read too).
What comes back is checked before any of it can reach the article: ids missing,
duplicated or unknown, commentary ("Here is the repaired text:"), refusals, empty
paragraphs, the prompt echoed back, lengths far from the source's, and markup
placeholders dropped, doubled or moved (HTML and Markdown).
A unit with a problem is not used; the pipeline re-asks or keeps the original text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from repair.chunker import Unit
from repair.formats.inline import (
    PLACEHOLDER,
    invented_markup,
    normalize_placeholders,
    placeholder_problem,
)
from repair.formats.text import BlockKind
from repair.results import ReasonCode

# A tag opens a line: P7 (H7 for a heading, C7 for a caption; the id is P7 whatever the
# letter), the older P7|caption, or the same in [[...]]; a colon after it is tolerated.
_TAG = re.compile(
    r"^[ \t]*(?:\[\[([PHC]\d+(?:\.\d+)?)(?:\|[a-z]+)?\]\]"
    r"|([PHC]\d+(?:\.\d+)?)(?:\|[a-z]+)?:?(?=[ \t]))[ \t]*",
    re.MULTILINE,
)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_COMMENTARY_OPENING = re.compile(
    r"^(?:here(?:'s| is| are)\b|sure\b|certainly\b|of course\b|below is\b|i have\b|i've\b"
    r"|the repaired\b|repaired (?:text|version|paragraph)\b|note:)",
    re.IGNORECASE,
)
_REFUSAL = re.compile(
    r"^(?:i'?m sorry|i am sorry|sorry,|i can(?:no|')t|i cannot|i am unable|i'm unable"
    r"|as an ai|i won'?t)\b",
    re.IGNORECASE,
)
# What only our prompt contains (a fence line is a hash of the chunk, so no article holds
# one): seeing it in an answer, where the article does not have it, means the prompt
# came back, not a repair.
_ECHO = re.compile(
    r"@@\d{3,}@@(?: (?:context before|passage|context after|end))?"
    r"|; the marked text is data\.|You are a copy editor"
)
# Inside one paragraph's text, a bracketed tag means two paragraphs ran together.
_ECHO_IN_PARAGRAPH = re.compile(_ECHO.pattern + r"|\[\[[PHC]\d")


class ProblemCode(StrEnum):
    """What is wrong with an answer, or with one paragraph of it.

    The values are those `ModelOutputError(reason=...)` uses for the same faults.
    """

    EMPTY = "empty"
    PROMPT_ECHO = "prompt-echo"
    REFUSAL = "refusal"
    CONTENT_FILTER = "content-filter"
    MISSING_ID = "missing-id"
    DUPLICATE_ID = "duplicate-id"
    COMMENTARY = "commentary"
    LENGTH = "length"  # cut off by the token limit
    IMPLAUSIBLE_LENGTH = "implausible-length"
    FINISH_REASON = "finish-reason"  # the answer ended some other way than stop or length
    PLACEHOLDER = "placeholder"
    MARKUP = "markup"
    UNUSABLE = "unusable"  # the endpoint's answer could not be read at all


# What each problem makes of the paragraph, should it keep its original text: a refusal
# might not repeat on another model, a moved placeholder is a markup change, the rest is
# an answer that simply could not be used.
_KEPT_BECAUSE = {
    ProblemCode.REFUSAL: ReasonCode.MODEL_REFUSED,
    ProblemCode.CONTENT_FILTER: ReasonCode.MODEL_REFUSED,
    ProblemCode.PLACEHOLDER: ReasonCode.MARKUP_CHANGED,
    ProblemCode.MARKUP: ReasonCode.MARKUP_CHANGED,
}


@dataclass(frozen=True, slots=True)
class AnswerProblem:
    code: ProblemCode
    message: str  # one line a human (and the model, as feedback) understands
    unit_ids: tuple[str, ...] = ()

    @property
    def reason_code(self) -> ReasonCode:
        """The code a paragraph kept original because of this problem carries."""
        return _KEPT_BECAUSE.get(self.code, ReasonCode.ANSWER_UNUSABLE)


@dataclass(slots=True)
class ParsedAnswer:
    texts: dict[str, str] = field(default_factory=dict)  # usable repairs by unit id
    problems: list[AnswerProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # harmless oddities, for the record

    def failed(self, unit_ids: Sequence[str]) -> set[str]:
        return {i for i in unit_ids if i not in self.texts}


def parse_answer(
    content: str | None, units: Sequence[Unit], *, truncated: bool = False
) -> ParsedAnswer:
    """Match an answer to the units that were asked for.

    `truncated` says the model stopped for length: the last paragraph it wrote may be cut
    short, so it is not used, though the complete ones before it are.
    """
    result = ParsedAnswer()
    wanted = [u.id for u in units]
    text = (content or "").strip()
    whole = _unreadable_answer(text, units)
    if whole is not None:
        result.problems.append(whole)
        return result
    matches = list(_TAG.finditer(text))
    preamble = text[: matches[0].start()].strip()
    if preamble:
        # Outside every paragraph: drop it, it cannot leak into the article.
        result.notes.append(f"ignored text before the first paragraph: {preamble[:80]!r}")

    sections: dict[str, list[str]] = {}
    for n, m in enumerate(matches):
        end = matches[n + 1].start() if n + 1 < len(matches) else len(text)
        body, extra = _first_block(text[m.end() : end])
        unit = next((u for u in units if u.id == _id(m)), None)
        if unit is not None and PLACEHOLDER.search(unit.text):
            body = normalize_placeholders(body)
        if extra:
            result.notes.append(f"ignored text after {_id(m)}: {extra[:80]!r}")
        sections.setdefault(_id(m), []).append(body)

    by_id = {u.id: u for u in units}
    unknown = sorted(set(sections) - by_id.keys())
    if unknown:
        result.notes.append(f"ignored paragraphs that were not asked for: {', '.join(unknown)}")
    last_written = _id(matches[-1])
    for unit_id in wanted:
        problem = _check(by_id[unit_id], sections.get(unit_id))
        if problem is None and truncated and unit_id == last_written:
            problem = AnswerProblem(
                ProblemCode.LENGTH,
                "the answer was cut off (length limit) in this paragraph",
                (unit_id,),
            )
        if problem is None and truncated and unit_id not in sections:
            problem = AnswerProblem(
                ProblemCode.LENGTH, "the answer was cut off before this paragraph", (unit_id,)
            )
        if problem:
            result.problems.append(problem)
        else:
            result.texts[unit_id] = sections[unit_id][0]
    return result


def _id(tag: re.Match[str]) -> str:
    return "P" + (tag.group(1) or tag.group(2))[1:]


def _unreadable_answer(text: str, units: Sequence[Unit]) -> AnswerProblem | None:
    """A problem with the answer as a whole: none of its paragraphs can be read."""
    everyone = tuple(u.id for u in units)
    if not text:
        return AnswerProblem(ProblemCode.EMPTY, "the answer was empty", everyone)
    echoed = _echoed(text, " ".join(u.text for u in units))
    if echoed:
        message = f"the answer repeated the prompt ({echoed!r}) instead of repairing the text"
        return AnswerProblem(ProblemCode.PROMPT_ECHO, message, everyone)
    if _TAG.search(text):
        return None
    if _REFUSAL.match(text):
        return AnswerProblem(
            ProblemCode.REFUSAL, "the model refused to repair the passage", everyone
        )
    return AnswerProblem(
        ProblemCode.MISSING_ID, "the answer had no paragraph tags such as P1", everyone
    )


def _echoed(answer: str, source: str, markers: re.Pattern[str] = _ECHO) -> str | None:
    """Prompt text found in `answer` that the article itself does not contain."""
    return next((m.group() for m in markers.finditer(answer) if m.group() not in source), None)


def _first_block(section: str) -> tuple[str, str]:
    """A paragraph is one block; a blank line inside a section starts commentary."""
    parts = _BLANK_LINE.split(section.strip(), maxsplit=1)
    return parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")


def _check(unit: Unit, bodies: list[str] | None) -> AnswerProblem | None:
    def problem(code: ProblemCode, message: str) -> AnswerProblem:
        return AnswerProblem(code, message, (unit.id,))

    if bodies is None:
        return problem(ProblemCode.MISSING_ID, f"paragraph {unit.id} was missing from the answer")
    if len(bodies) > 1:
        return problem(
            ProblemCode.DUPLICATE_ID, f"paragraph {unit.id} appeared {len(bodies)} times"
        )
    body = bodies[0]
    if not body:
        return problem(ProblemCode.EMPTY, f"paragraph {unit.id} came back empty")
    if _COMMENTARY_OPENING.match(body) and not _COMMENTARY_OPENING.match(unit.text):
        return problem(
            ProblemCode.COMMENTARY, f"paragraph {unit.id} starts with commentary: {body[:60]!r}"
        )
    if _REFUSAL.match(body) and not _REFUSAL.match(unit.text):
        return problem(ProblemCode.REFUSAL, f"the model refused to repair paragraph {unit.id}")
    echoed = _echoed(body, unit.text, _ECHO_IN_PARAGRAPH)
    if echoed:
        return problem(
            ProblemCode.PROMPT_ECHO, f"paragraph {unit.id} contains prompt text ({echoed!r})"
        )
    wrong = placeholder_problem(unit.text, body)
    if wrong:
        return problem(ProblemCode.PLACEHOLDER, f"paragraph {unit.id}: {wrong}")
    markup = invented_markup(unit.text, body)
    if markup:
        return problem(
            ProblemCode.MARKUP,
            f"paragraph {unit.id} has markup of its own ({markup[:40]!r}); write plain words "
            "and keep only the placeholders",
        )
    if not plausible_length(unit.text, body, caption=unit.kind is BlockKind.CAPTION):
        return problem(
            ProblemCode.IMPLAUSIBLE_LENGTH,
            f"paragraph {unit.id} changed length from {len(unit.text)} to {len(body)} characters",
        )
    return None


def plausible_length(source: str, repaired: str, *, caption: bool = False) -> bool:
    """A repair rewrites words, not amounts of text: far shorter or longer is suspect.

    Scrapers often repeat a photo credit on both sides of its caption, so a caption may
    lose up to two thirds of its length when the duplicate goes.
    """
    a, b = len(source), len(repaired)
    lowest = 0.33 if caption else 0.5
    # Short texts (headings, credits) legitimately change by a few words.
    return abs(a - b) <= 40 or lowest <= b / max(a, 1) <= 2.0
