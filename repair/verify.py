"""A second opinion on meaning: the model compares each changed paragraph with its source.

The fact ledger finds changed names, numbers, dates, quotes and negations, but cannot see
"prices rose" become "prices fell". After a chunk's repair passes the
ledger, one request per chunk shows the model each changed paragraph beside its source
and asks, as structured output, for the differences of meaning. Its answer is evidence,
not a verdict:

- every difference must quote both sides verbatim; one that does not is thrown away
  (and counted), so an invented finding cannot send a good repair back;
- it can only add findings (kind "meaning"): a paragraph the ledger refused stays
  refused, since only ledger-clean paragraphs are ever shown to the verifier;
- an answer that cannot be read (not JSON, a refusal) leaves the ledger's word standing,
  with a note: the second opinion is optional, the first one is not.

The request is built like the repair's: static instructions first (byte-identical, so a
provider can cache them), then the pairs fenced by a marker derived from their hash, then
the task restated after the data.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from repair import prompts
from repair.config import RepairConfig
from repair.errors import ModelCallError, ModelOutputError
from repair.llm import ChatReply, ChatRequest, ClientArg, open_model
from repair.llm.protocol import Ask, ask_for_json
from repair.results import TextSpan, Usage, ValidationIssue

DifferenceKind = Literal[
    "added",
    "dropped",
    "contradicted",
    "negation",
    "attribution",
    "entity",
    "number",
    "certainty",
    "time",
]
KINDS: tuple[str, ...] = DifferenceKind.__args__  # type: ignore[attr-defined]

# Statuses that mean every request would fail alike: the caller should stop, not shrug.
_FATAL_STATUS = frozenset({401, 403, 404})


@dataclass(frozen=True, slots=True)
class Pair:
    """One paragraph to check: its id, its source and its repair, each on one line."""

    id: str
    source: str
    repair: str

    @classmethod
    def of(cls, pid: str, source: str, repair: str) -> Pair:
        # The request sends each text on one line, so spans are quoted from that form.
        return cls(pid, " ".join(source.split()), " ".join(repair.split()))


@dataclass(frozen=True, slots=True)
class Difference:
    """A difference of meaning whose spans were found verbatim in the two texts."""

    paragraph: str
    kind: str
    source_span: str
    repair_span: str
    reason: str

    @property
    def message(self) -> str:
        """The feedback line: both spans quoted, so the re-ask knows what to restore."""
        s, r = self.source_span, self.repair_span
        said = f'the source says "{s}"' if s else "the source does not say it"
        but = f'the repair says "{r}"' if r else "the repair leaves it out"
        return f"meaning changed ({self.kind}): {said} but {but}: {self.reason}"


@dataclass(slots=True)
class Verdict:
    """What one verification request found, and what it had to throw away."""

    differences: dict[str, list[Difference]] = field(default_factory=dict)
    discarded: int = 0
    failure: str | None = None  # why the answer could not be used at all, if it could not


# --- the answer's shape -------------------------------------------------------------------


class _Difference(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: DifferenceKind
    source_span: str = Field(max_length=1000)
    repair_span: str = Field(max_length=1000)
    reason: str = Field(default="", max_length=400)


class _Paragraph(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    differences: list[_Difference] = Field(default_factory=list)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    paragraphs: list[_Paragraph]


_DIFFERENCE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind", "source_span", "repair_span", "reason"],
    "properties": {
        "kind": {"type": "string", "enum": list(KINDS)},
        "source_span": {"type": "string"},
        "repair_span": {"type": "string"},
        "reason": {"type": "string"},
    },
}

RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "meaning_differences",
        "strict": True,
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "required": ["paragraphs"],
            "properties": {
                "paragraphs": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["id", "differences"],
                        "properties": {
                            "id": {"type": "string"},
                            "differences": {"type": "array", "items": _DIFFERENCE_SCHEMA},
                        },
                    },
                }
            },
        },
    },
}


# --- the request --------------------------------------------------------------------------


def worth_checking(source: str, repair: str) -> bool:
    """Whether the repair changed any word: case, punctuation and spacing alone cannot
    change a meaning the ledger would miss, and checking them would only cost tokens."""
    return _WORD.findall(source.casefold()) != _WORD.findall(repair.casefold())


_WORD = re.compile(r"\w+")


def fence_for(pairs: Sequence[Pair]) -> str:
    """A marker the article's author cannot know in advance: a hash of the pairs, stable
    across runs so cached answers keep matching; passed over if it occurs in the text."""
    digest = hashlib.sha256()
    for pair in pairs:
        for part in (pair.id, pair.source, pair.repair):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
    text = "\n".join(p.source + "\n" + p.repair for p in pairs)
    return prompts.unused_marker(digest, text, widths=(6, 12))


def system_message() -> str:
    return prompts.render(prompts.load("verify-system"))


def request_messages(pairs: Sequence[Pair]) -> list[dict[str, str]]:
    lines = []
    for pair in pairs:
        # Each text is one line that starts with its tag: a line of the article shaped
        # like a marker or a tag is inside a line, never the start of one.
        lines.append(f"{pair.id} source: {pair.source}")
        lines.append(f"{pair.id} repair: {pair.repair}")
    user = prompts.render(
        prompts.load("verify-user"),
        fence=fence_for(pairs),
        pairs="\n".join(lines),
        ids=prompts.id_ranges([p.id for p in pairs]) if _numbered(pairs) else _ids(pairs),
    )
    return [{"role": "system", "content": system_message()}, {"role": "user", "content": user}]


def _numbered(pairs: Sequence[Pair]) -> bool:
    return all(p.id[:1] == "P" and p.id[1:].replace(".", "").isdigit() for p in pairs)


def _ids(pairs: Sequence[Pair]) -> str:
    return ", ".join(p.id for p in pairs)


def template_version() -> str:
    return "+".join(f"{t.name}@{t.version}" for t in map(prompts.load, _TEMPLATES))


_TEMPLATES = ("verify-system", "verify-user")


def max_tokens(pairs: Sequence[Pair]) -> int:
    # An empty list per paragraph is the usual answer; room for a few quoted differences.
    return 48 + 24 * len(pairs) + sum(len(p.repair) for p in pairs) // 12


# --- the answer ---------------------------------------------------------------------------


def check_answer(content: str | None, pairs: Sequence[Pair]) -> Verdict:
    """The differences whose spans are verbatim in their texts; the rest counted as discarded.

    Raises ModelOutputError when the answer is not the JSON asked for.
    """
    try:
        answer = _Answer.model_validate_json(_json_object(content or ""))
    except ValidationError as exc:
        raise ModelOutputError(
            f"the verification answer is not the JSON asked for: {exc.errors()[0]['msg']}",
            reason="bad-json",
        ) from None
    by_id = {p.id: p for p in pairs}
    verdict = Verdict()
    for paragraph in answer.paragraphs:
        pair = by_id.get(paragraph.id)
        for found in paragraph.differences:
            if pair is None or not _verbatim(found, pair):
                verdict.discarded += 1
                continue
            verdict.differences.setdefault(pair.id, []).append(
                Difference(
                    pair.id,
                    found.kind,
                    found.source_span.strip(),
                    found.repair_span.strip(),
                    " ".join(found.reason.split()) or "no reason given",
                )
            )
    return verdict


def _verbatim(found: _Difference, pair: Pair) -> bool:
    """Both spans occur in their texts, and at least one of them says something."""
    source, repair = found.source_span.strip(), found.repair_span.strip()
    if not source and not repair:
        return False
    if source == repair:
        return False  # the same words on both sides are no difference
    return source in pair.source and repair in pair.repair


def _json_object(content: str) -> str:
    # Servers without JSON mode may wrap the object in a code fence or a sentence.
    start, end = content.find("{"), content.rfind("}")
    return content[start : end + 1] if 0 <= start < end else content


# --- asking -------------------------------------------------------------------------------


async def verify_pairs(pairs: Sequence[Pair], ask: Ask, model: str) -> Verdict:
    """Ask once for the differences of meaning in `pairs`.

    A call or answer that fails leaves a Verdict with `failure` set (the ledger's word
    stands); only an endpoint that refuses everything (unreachable, 401/403/404) raises.
    """
    if not pairs:
        return Verdict()
    request = ChatRequest(request_messages(pairs), model, 0.0, max_tokens(pairs), RESPONSE_FORMAT)
    try:
        reply = await ask_for_json(ask, request)  # the system prompt shows the JSON too
    except ModelCallError as exc:
        if exc.unreachable or exc.context.get("status") in _FATAL_STATUS:
            raise
        return Verdict(failure=f"verification call failed: {exc.message}")
    if reply.refusal or reply.finish_reason == "content_filter":
        return Verdict(failure="the verifier refused")
    try:
        return check_answer(reply.content, pairs)
    except ModelOutputError as exc:
        return Verdict(failure=exc.message)


def issues_of(verdict: Verdict, pairs: Sequence[Pair]) -> list[ValidationIssue]:
    """The verdict as validator issues, with spans located in the one-line texts."""
    by_id = {p.id: p for p in pairs}
    issues = []
    for pid, differences in verdict.differences.items():
        pair = by_id[pid]
        for d in differences:
            issues.append(
                ValidationIssue(
                    kind="meaning",
                    paragraph=pid,
                    source=_span(pair.source, d.source_span),
                    repaired=_span(pair.repair, d.repair_span),
                    message=f"{pid}: {d.message}",
                )
            )
    return issues


def _span(text: str, quoted: str) -> TextSpan | None:
    if not quoted:
        return None
    start = text.find(quoted)
    return TextSpan(text=quoted, start=start, end=start + len(quoted))


class ModelVerifier:
    """The meaning check for `repair.validate(..., verifier=...)`, outside a repair (a CMS).

    Satisfies `repair.validation.Verifier`. Each `averify` opens the model, asks once for
    all the pairs, and closes it; `usage` adds up what the calls cost.
    """

    def __init__(
        self, config: RepairConfig | None = None, *, client: ClientArg = None, model: str = ""
    ) -> None:
        self.config = config or RepairConfig.from_env()
        self.client = client
        self.model = model or self.config.verify_model or self.config.model
        self.usage = Usage()
        self.discarded = 0
        self.failures: list[str] = []

    async def averify(self, pairs: Sequence[tuple[str, str, str]]) -> list[ValidationIssue]:
        checked = [Pair.of(pid, source, repair) for pid, source, repair in pairs]
        if not checked:
            return []
        chat, owned = open_model(self.config, self.client)

        async def ask(request: ChatRequest) -> ChatReply:
            reply = await chat.complete(request)
            self.usage.add(reply.usage)
            return reply

        try:
            verdict = await verify_pairs(checked, ask, self.model)
        finally:
            if owned:
                await chat.aclose()
        self.discarded += verdict.discarded
        if verdict.failure:
            self.failures.append(verdict.failure)
        return issues_of(verdict, checked)
