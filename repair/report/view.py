"""The editor's report: what the repair changed, what it flagged, and what it cost.

`build_view` turns a `RepairResult` into what any report shows (flagged paragraphs first,
the numbered edits, findings in plain words, the fact ledger, the cost); html.py draws it
as one self-contained page and markdown.py as Markdown.

Nothing here is markup: every string in the view is plain text, and much of it comes from
the article, the model or a saved result, so each renderer escapes it on the way out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from repair.edits import edits_of, original_text, pieces
from repair.facts.ledger import Fact, extract_facts
from repair.facts.names import same_name
from repair.pricing import cost_usd
from repair.results import Edit, ParagraphResult, RepairResult, ValidationIssue, ValidationReport
from repair.validation import validate

LedgerStatus = Literal["kept", "changed", "missing", "added"]


# --- what a report shows --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerRow:
    kind: str
    fact: str  # as the source says it; for an addition, as the repair says it
    source_at: str  # paragraph id, "" for an addition
    repaired: str  # as the repair says it, "" when not located
    repaired_at: str
    status: LedgerStatus
    note: str = ""


@dataclass(frozen=True, slots=True)
class ParagraphView:
    paragraph: ParagraphResult
    pieces: list[str | Edit]  # unchanged text and edits, in order
    findings: list[str]  # in plain words

    @property
    def flagged(self) -> bool:
        return self.paragraph.status == "kept-original" or bool(self.findings)


@dataclass(frozen=True, slots=True)
class ReportView:
    result: RepairResult
    title: str
    paragraphs: list[ParagraphView]  # flagged first, then the rest, each in article order
    article_findings: list[str]  # findings tied to no one paragraph
    edits: int
    ledger: list[LedgerRow]
    cost_usd: float | None

    @property
    def flagged(self) -> list[ParagraphView]:
        return [p for p in self.paragraphs if p.flagged]


def build_view(result: RepairResult) -> ReportView:
    original = original_text(result)
    report = _validation(result, original)
    by_paragraph: dict[str, list[Edit]] = {}
    all_edits = edits_of(result)
    for edit in all_edits:
        by_paragraph.setdefault(edit.paragraph, []).append(edit)
    issues: dict[str, list[ValidationIssue]] = {}
    article_findings = []
    for issue in report.issues:
        if issue.paragraph is None:
            article_findings.append(f"{issue.kind}: {issue.message}")
            continue
        for pid in issue.paragraph.split("+"):  # "P3+P4": two paragraphs merged into one
            issues.setdefault(pid, []).append(issue)
    views = [
        ParagraphView(
            p, list(pieces(p.source, by_paragraph.get(p.id, []))), _findings(p, issues.get(p.id))
        )
        for p in result.paragraphs
    ]
    title = next((p.repaired for p in result.paragraphs if p.kind != "furniture"), "")
    return ReportView(
        result=result,
        title=_short(title, 100),
        paragraphs=[v for v in views if v.flagged] + [v for v in views if not v.flagged],
        article_findings=article_findings,
        edits=len(all_edits),
        ledger=fact_ledger(original, result.text, report.issues, result.glossary.mapping()),
        cost_usd=cost_usd(result),
    )


def _validation(result: RepairResult, original: str) -> ValidationReport:
    # The pipeline stores its whole-article validation on the result; a result saved
    # before it did is validated here (milliseconds, no model).
    if result.report is not None:
        return result.report
    return validate(original, result.text, glossary=result.glossary.mapping())


def attention_count(view: ReportView) -> str:
    n = len(view.flagged)
    if n == 0:
        return "the article as a whole needs attention"  # only article-level findings
    return f"{n} paragraph needs attention" if n == 1 else f"{n} paragraphs need attention"


def _findings(p: ParagraphResult, issues: list[ValidationIssue] | None) -> list[str]:
    out = []
    if p.status == "kept-original":
        out.append(f"kept the original text: {p.reason or 'no usable repair'}")
    out += p.findings
    out += [f"{i.kind}: {i.message}" for i in issues or []]
    return list(dict.fromkeys(out))


def visible(text: str) -> str:
    """An edit of whitespace alone would be invisible: show each of its characters as ␣."""
    return "␣" * len(text) if text.isspace() else text


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- the fact ledger ------------------------------------------------------------------

# Which facts an issue of each kind speaks about ("omission": whatever it covers).
_ISSUE_FACTS = {"number": {"number", "date"}, "date": {"date", "number"}, "entity": {"entity"}}


def fact_ledger(
    source: str, repaired: str, issues: Sequence[ValidationIssue], glossary: dict[str, str]
) -> list[LedgerRow]:
    """Each fact of the source: where it is on each side and whether it survived.

    The validator decides kept or not (it knows that "ten" and "10" are one number); the
    pairing here only finds where a kept fact went, so a reader can check it.
    """
    src = [f for f in extract_facts(source).facts if not f.weak]
    rep = [f for f in extract_facts(repaired).facts if not f.weak]
    found = _pair(src, rep, glossary)
    used: set[int] = set()
    rows: list[LedgerRow] = []
    for i, fact in enumerate(src):
        hit = next((k for k, issue in enumerate(issues) if _covers(issue, fact)), None)
        where = fact.paragraph or ""
        if hit is not None:
            used.add(hit)
            rows.append(_issue_row(issues[hit], fact.kind, fact.text, where))
        elif i in found:
            r = found[i]
            rows.append(LedgerRow(fact.kind, fact.text, where, r.text, r.paragraph or "", "kept"))
        else:
            note = "reworded; the check found no change"
            rows.append(LedgerRow(fact.kind, fact.text, where, "", "", "kept", note))
    for k, issue in enumerate(issues):
        # Findings about no extracted fact (a dropped sentence, an added claim) get a row too.
        span = issue.source or issue.repaired
        if k not in used and span is not None and issue.kind != "structure":
            rows.append(_issue_row(issue, issue.kind, span.text, issue.paragraph or ""))
    return rows


def _issue_row(issue: ValidationIssue, kind: str, text: str, where: str) -> LedgerRow:
    status: LedgerStatus = (
        "added" if issue.source is None else "changed" if issue.repaired else "missing"
    )
    got = issue.repaired.text if issue.repaired else ""
    at = (issue.paragraph or "") if issue.repaired else ""
    return LedgerRow(kind, text, "" if status == "added" else where, got, at, status, issue.message)


def _covers(issue: ValidationIssue, fact: Fact) -> bool:
    span = issue.source
    if span is None or span.end <= fact.start or fact.end <= span.start:
        return False
    return issue.kind == "omission" or fact.kind in _ISSUE_FACTS.get(issue.kind, {issue.kind})


def _pair(src: list[Fact], rep: list[Fact], glossary: dict[str, str]) -> dict[int, Fact]:
    """Source fact index -> its counterpart in the repair (same paragraph and kind)."""
    free: dict[tuple[str | None, str], list[Fact]] = {}
    for r in rep:
        free.setdefault((r.paragraph, r.kind), []).append(r)
    out: dict[int, Fact] = {}
    for i, s in enumerate(src):
        bucket = free.get((s.paragraph, s.kind), [])
        k = next((k for k, r in enumerate(bucket) if _alike(s, r, glossary)), None)
        if k is not None:
            out[i] = bucket.pop(k)
    return out


def _alike(s: Fact, r: Fact, glossary: dict[str, str]) -> bool:
    if s.kind in ("number", "date") and isinstance(s.value, float):
        return bool({s.value, *s.alternatives} & {r.value, *r.alternatives})
    if s.kind == "date":
        return s.value == r.value
    if s.kind == "entity":
        if same_name(str(s.value), str(r.value)):
            return True
        return any(v in s.text and c in r.text for v, c in glossary.items())
    return True  # quotes and negations: the n-th of a paragraph is the n-th of its repair
