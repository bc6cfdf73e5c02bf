"""The shapes that cross the library's boundary: a repair's result and its parts, and the
validator's report.

The same JSON comes out of `repair fix --json`, `repair check --json`, the batch manifest
and the library. They sit on the ground floor so that every layer can speak them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ParagraphStatus = Literal["repaired", "unchanged", "kept-original"]


class ReasonCode(StrEnum):
    """Why a paragraph kept its original text, as a code other modules can act on.

    `ParagraphResult.reason` says the same in words, for people; code decides on this
    (the batch tells a failed article from a flagged one by it).
    """

    MODEL_UNREACHABLE = "model-unreachable"  # the request failed, retries and all
    MODEL_REFUSED = "model-refused"  # a refusal, or the provider's content filter
    ANSWER_UNUSABLE = "answer-unusable"  # missing, duplicated, cut off, commentary, echo...
    MARKUP_CHANGED = "markup-changed"  # placeholders or the paragraph's markup moved
    FACTS_CHANGED = "facts-changed"  # the validator found a changed fact
    FACTS_UNCHECKED = "facts-unchecked"  # the facts could not be compared at all
    MEANING_CHANGED = "meaning-changed"  # the verifier showed the repair says something else


IssueKind = Literal[
    "number",
    "date",
    "entity",
    "quote",
    "negation",
    "omission",
    "addition",
    "structure",
    "meaning",  # found by the model verifier (repair.verify), its spans checked verbatim
]

# What a request was for: repairs, the article's glossary, or checking a repair's meaning.
CallPurpose = Literal["repair", "glossary", "verify"]


# --- what the validator found ---------------------------------------------------------


class TextSpan(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    start: int
    end: int


class ValidationIssue(BaseModel):
    """One finding, with where it is on each side and a sentence an editor understands."""

    model_config = ConfigDict(frozen=True)

    kind: IssueKind
    paragraph: str | None
    source: TextSpan | None
    repaired: TextSpan | None
    message: str


class ValidationReport(BaseModel):
    ok: bool
    issues: list[ValidationIssue]


# --- what the repair did --------------------------------------------------------------


class GlossaryEntry(BaseModel):
    """One name: the spelling to use, the spellings it replaces, and who or what it is."""

    model_config = ConfigDict(extra="forbid")

    canonical: str
    variants: list[str] = Field(default_factory=list)
    role: str = ""
    source: Literal["editor", "model", "frequency"] = "frequency"
    proposed: str | None = Field(
        default=None,
        description="a different name the model gave this cluster: offered as a suggestion, "
        "never used as a spelling",
    )


class Glossary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[GlossaryEntry] = Field(default_factory=list)

    def mapping(self) -> dict[str, str]:
        """Every variant spelling -> its canonical spelling (the validator's legal changes)."""
        return {v: e.canonical for e in self.entries for v in e.variants if v != e.canonical}


class Usage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cached_tokens += other.cached_tokens

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class CallRecord(BaseModel):
    """One request to the endpoint, as billed: the per-call usage record."""

    model_config = ConfigDict(extra="forbid")

    chunk: int
    model: str
    units: list[str]
    purpose: CallPurpose = Field(default="repair", description="what the request was for")
    attempts: int = Field(description="transport attempts this request took")
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    started_s: float = Field(description="seconds after the article started")
    wait_s: float = Field(description="seconds waiting on the endpoint, retries included")

    def usage(self) -> Usage:
        return Usage(
            calls=1,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cached_tokens=self.cached_tokens,
        )


class ParagraphResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    kind: str
    status: ParagraphStatus
    source: str
    repaired: str
    reason: str | None = Field(default=None, description="why it kept its original text, in words")
    reason_code: ReasonCode | None = Field(default=None, description="the same reason, as a code")
    findings: list[str] = Field(default_factory=list)
    attempts: int = 0
    at: int | None = Field(
        default=None,
        ge=0,
        description="where `repaired` starts in the result's text (None: not kept)",
    )
    rejected: str | None = Field(
        default=None,
        description="kept-original: the model's last wording, refused by a check, if any",
    )


class Edit(BaseModel):
    """One change the repair made, numbered for review (`repair apply --reject N` undoes it).

    `start`/`end` are offsets into the paragraph's source text: `original` is
    `source[start:end]` (empty for an insertion) and `replacement` is what the repair put
    there (empty for a deletion). Edits of one paragraph never overlap, so any of them can
    be undone independently of the others.
    """

    model_config = ConfigDict(extra="forbid")

    number: int = Field(ge=1, description="1, 2, ... in article order")
    paragraph: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    original: str
    replacement: str


SuggestionKind = Literal["name", "title", "office", "party", "term", "place", "number"]
Confidence = Literal["high", "medium", "low"]


class Suggestion(BaseModel):
    """A fact the model believes was mistranslated, proposed for an editor and never applied.

    The repaired text keeps `original`; `repair apply --accept S1` puts `replacement` in
    its place. `start`/`end` are offsets into the paragraph's repaired text, so the span is
    checked (`repaired[start:end] == original`) before anything is applied.
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^S[1-9][0-9]*$", description="S1, S2, ... in article order")
    paragraph: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    original: str = Field(min_length=1, description="the exact span in the repaired text")
    replacement: str = Field(min_length=1)
    kind: SuggestionKind
    reason: str = Field(description="one line: why the span looks mistranslated")
    confidence: Confidence
    origin: Literal["model", "glossary"] = Field(
        default="model", description="asked for directly, or a glossary name none of the spellings"
    )


class Timings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    total_s: float = 0.0
    model_wait_s: float = Field(
        default=0.0, description="sum of time spent waiting on the endpoint"
    )
    local_s: float = Field(
        default=0.0, description="time in our own code: segmenting, prompting, checking"
    )


class Verification(BaseModel):
    """What the meaning check (repair.verify) did for one article, to be counted and priced."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["model", "rules"] = "rules"
    calls: int = 0
    paragraphs: int = Field(default=0, description="paragraph checks asked for")
    findings: int = Field(default=0, description="differences whose spans checked out")
    discarded: int = Field(default=0, description="differences thrown out: spans not verbatim")
    failures: int = Field(default=0, description="verification answers that could not be used")
    usage: Usage = Field(default_factory=Usage)


class RepairResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    format: Literal["text", "markdown", "html"] = "text"
    paragraphs: list[ParagraphResult]
    usage: Usage
    model: str
    template_version: str
    style: str
    chunks: int
    timings: Timings
    calls: list[CallRecord] = Field(default_factory=list)
    glossary: Glossary = Field(default_factory=Glossary)
    notes: list[str] = Field(default_factory=list)
    edits: list[Edit] = Field(default_factory=list)
    suggestions: list[Suggestion] = Field(
        default_factory=list, description="proposed fact corrections, none applied"
    )
    verification: Verification = Field(default_factory=Verification)
    report: ValidationReport | None = Field(
        default=None, description="the whole article checked against its source, fact by fact"
    )
    # Set by the command line (the library does not know where the text came from), so a
    # report rendered later from the saved JSON can still name them.
    source_file: str | None = Field(default=None, description="the article's file, as named")
    finished_at: datetime | None = Field(default=None, description="when the repair finished")

    @property
    def flagged(self) -> list[ParagraphResult]:
        return [p for p in self.paragraphs if p.status == "kept-original"]

    @property
    def ok(self) -> bool:
        """Every paragraph repaired or unchanged, and the whole-article check found nothing."""
        return not self.flagged and (self.report is None or self.report.ok)
