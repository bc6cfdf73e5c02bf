"""The service's request and response bodies. The results themselves are the library's
models (`RepairResult`, `ValidationReport`), so the JSON is that of `repair fix --json` and
`repair check --json`; these are only the envelopes around them. `/openapi.json` is made
from the same classes (openapi.py), so the schema cannot drift from what is checked.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from repair.formats import Format
from repair.results import RepairResult

FormatName = Literal["text", "markdown", "html"]
# {"Witkoff": ["Witcooff", "Vitcoof"]} (canonical -> variants) or {"Witcooff": "Witkoff"}
GlossaryBody = dict[str, str | list[str]]
SuggestionId = Annotated[str, Field(pattern=r"^S[1-9][0-9]{0,5}$")]


class RepairRequest(BaseModel):
    """One article, in exactly one of `text`, `markdown` or `html`."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, description="plain text")
    markdown: str | None = Field(default=None, description="Markdown; only the words change")
    html: str | None = Field(default=None, description="HTML; tags and attributes stay")
    style: Literal["minimal", "fluent"] | None = Field(
        default=None, description="minimal edits (the service's default) or a freer rewrite"
    )
    glossary: GlossaryBody | None = Field(
        default=None, description="the editor's spellings, as the --glossary file of repair fix"
    )
    verify: Literal["model", "rules"] | None = Field(
        default=None, description="model: the meaning of each changed paragraph is checked too"
    )

    @model_validator(mode="after")
    def _one_article(self) -> Self:
        given = [name for name in ("text", "markdown", "html") if getattr(self, name) is not None]
        if len(given) != 1:
            found = " and ".join(given) if given else "none of them"
            raise ValueError(f"give the article in exactly one of text, markdown, html ({found})")
        return self

    @property
    def article(self) -> tuple[str, Format]:
        for name, fmt in (("text", Format.TEXT), ("markdown", Format.MARKDOWN)):
            value = getattr(self, name)
            if value is not None:
                return value, fmt
        return self.html or "", Format.HTML


class CheckRequest(BaseModel):
    """An article and its repair, compared fact by fact (the rules only, no model)."""

    model_config = ConfigDict(extra="forbid")

    source: str
    repaired: str
    format: FormatName | Literal["auto"] = Field(
        default="auto", description="auto: told from the source's content"
    )
    glossary: GlossaryBody | None = Field(default=None, description="spelling changes allowed")


class ApplyRequest(BaseModel):
    """A saved result, with the editor's choices: suggestions to take, edits to undo."""

    model_config = ConfigDict(extra="forbid")

    result: RepairResult
    accept: list[SuggestionId] = Field(
        default_factory=list,
        description="ids of suggested fact corrections to apply: S1, S2, ... (the result's)",
    )
    reject: list[Annotated[int, Field(ge=1)]] = Field(
        default_factory=list, description="numbers of the edits to undo (the report's numbers)"
    )


class ModelEndpoint(BaseModel):
    reachable: bool
    status: int | None = Field(description="HTTP status of GET /models, when it answered")
    reason: str | None = Field(description="unreachable, timeout or http-NNN when not 200")
    checked_s_ago: float


class Health(BaseModel):
    status: Literal["ok", "degraded"] = Field(description="degraded: the model endpoint is not")
    inflight: int = Field(description="repairs running now")
    max_inflight: int
    model_endpoint: ModelEndpoint


class ErrorDetail(BaseModel):
    code: str = Field(description="stable, for programs: unauthorized, too-large, busy, ...")
    message: str = Field(description="for people; never holds article text or secrets")


class ErrorBody(BaseModel):
    error: ErrorDetail
