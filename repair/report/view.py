"""The editor's report: what the repair changed, what it flagged, and what it cost.

`build_view` turns a `RepairResult` into what any report shows (flagged paragraphs first,
the numbered edits, findings in plain words, the fact ledger, the cost); html.py draws it
as one self-contained page and markdown.py as Markdown.

Nothing here is markup: every string in the view is plain text, and much of it comes from
the article, the model or a saved result, so each renderer escapes it on the way out.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from repair.edits import edits_of, original_text, pieces
from repair.facts.ledger import Fact, extract_facts
from repair.facts.names import same_name
from repair.pricing import cost_usd
from repair.results import (
    Edit,
    ParagraphResult,
    RepairResult,
    Suggestion,
    ValidationIssue,
    ValidationReport,
)
from repair.validation import validate

# "reworded": a quote whose wording the repair mended while the check found its facts kept.
LedgerStatus = Literal["kept", "reworded", "changed", "missing", "added"]

# What the deterministic check reads; the verdict names these and claims nothing more.
CHECKED_FACTS = "names, numbers, dates, quotes or negations"


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
    findings: list[str]  # in plain words, each once

    @property
    def flagged(self) -> bool:
        return self.paragraph.status == "kept-original" or bool(self.findings)


@dataclass(frozen=True, slots=True)
class SuggestionView:
    """One suggestion as an editor reads it: the span in its paragraph, and how to accept."""

    suggestion: Suggestion
    before: str  # the paragraph's repaired text before the span (shortened with "…")
    span: str
    after: str
    problem: str | None  # why it cannot be applied (a span that is not where it says)
    command: str  # the command line that accepts it

    @property
    def located(self) -> bool:
        return self.problem is None


@dataclass(frozen=True, slots=True)
class ReportView:
    result: RepairResult
    title: str
    paragraphs: list[ParagraphView]  # flagged first, then the rest, each in article order
    article_findings: list[str]  # findings tied to no one paragraph
    edits: int
    ledger: list[LedgerRow]
    cost_usd: float | None
    suggestions: list[SuggestionView]  # high confidence first, then article order
    checked: str  # what was checked, and by what: the verdict's second half
    result_file: str | None  # the saved result the commands name, when known

    @property
    def flagged(self) -> list[ParagraphView]:
        return [p for p in self.paragraphs if p.flagged]

    def ledger_rows(self, *statuses: LedgerStatus) -> list[LedgerRow]:
        return [r for r in self.ledger if r.status in statuses]


def build_view(result: RepairResult, result_file: str | None = None) -> ReportView:
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
        suggestions=suggestion_views(result, result_file),
        checked=checked(result, report),
        result_file=result_file,
    )


def _validation(result: RepairResult, original: str) -> ValidationReport:
    # The pipeline stores its whole-article validation on the result; a result saved
    # before it did is validated here (milliseconds, no model).
    if result.report is not None:
        return result.report
    return validate(original, result.text, glossary=result.glossary.mapping())


def verdict(view: ReportView) -> str:
    """The first line: flagged or not, and the suggestions waiting for a decision."""
    head = (
        f"⚑ {attention_count(view)}"
        if view.flagged or view.article_findings
        else "✔ Every paragraph repaired or unchanged"
    )
    n = len(view.suggestions)
    if n:
        head += f"; {n} suggestion{'s' if n != 1 else ''} for the editor, none applied"
    return head


def attention_count(view: ReportView) -> str:
    n = len(view.flagged)
    if n == 0:
        return "the article as a whole needs attention"  # only article-level findings
    return f"{n} paragraph needs attention" if n == 1 else f"{n} paragraphs need attention"


def _findings(p: ParagraphResult, issues: list[ValidationIssue] | None) -> list[str]:
    out = []
    if p.status == "kept-original":
        # The pipeline's reason quotes the findings ("the repair changed facts: '5%' became
        # '7%'") that are also listed one by one: say the reason without them, so each
        # finding is shown once.
        out.append(f"kept the original text: {_reason_alone(p.reason, p.findings)}")
    out += p.findings
    out += [f"{i.kind}: {i.message}" for i in issues or []]
    return list(dict.fromkeys(out))


_GAP = re.compile(r"(?:[:;,]?\s*\x00)+")


def _reason_alone(reason: str | None, findings: list[str]) -> str:
    if not reason:
        return "no usable repair"
    for finding in sorted(findings, key=len, reverse=True):
        reason = reason.replace(finding, "\x00")
    return _GAP.sub("", reason).strip(" ;:,") or "the check refused the repair"


# --- what was checked -----------------------------------------------------------------


def checked(result: RepairResult, report: ValidationReport | None = None) -> str:
    """What the checks found and which did not run, without claiming more than they can.

    The fact ledger is rules: it finds a changed name, number, date, quote or negation, and
    nothing else. Meaning ("did not want to stop or declare" -> "...and declare") only a
    model's reading can catch, and only when it ran.
    """
    report = report if report is not None else result.report
    if report is None:
        facts = f"{CHECKED_FACTS} not checked"
    elif report.ok:
        facts = f"no change found in {CHECKED_FACTS}"
    else:
        n = len(report.issues)
        facts = f"{n} finding{'s' if n != 1 else ''} in the checks of {CHECKED_FACTS}"
    return f"{facts}; {meaning_checked(result)}"


def meaning_checked(result: RepairResult) -> str:
    v = result.verification
    if v.mode != "model":
        return meaning_phrase(None, 0, 0, 0)
    models = sorted({c.model for c in result.calls if c.purpose == "verify"})
    return meaning_phrase(", ".join(models) or "a model", v.paragraphs, v.calls, v.failures)


def meaning_phrase(model: str | None, asked: int, calls: int, failures: int) -> str:
    """What the meaning check did: by which model, or why it did not (`model` None: off).

    `asked`: paragraphs put to the check; `calls`: its requests; `failures`: answers that
    could not be used (their paragraphs' meaning went unchecked).
    """
    if model is None:
        return "meaning not checked"
    if asked == 0:
        return "meaning not checked (no paragraph's wording changed enough to ask)"
    if failures >= max(calls, 1):
        return f"meaning not checked: the answers of {model} could not be used"
    if failures:
        return (
            f"meaning checked by {model} only in part: {failures} of its {calls} answers "
            "could not be used"
        )
    return f"meaning checked by {model}"


def meaning_detail(result: RepairResult) -> str:
    """The meaning check's own figures, for the details at the end."""
    v = result.verification
    if v.mode != "model":
        return "not asked for (--verify rules)"
    return (
        f"{v.paragraphs} paragraph(s) in {v.calls} call(s): {v.findings} difference(s) found, "
        f"{v.discarded} discarded (quoted text not there), {v.failures} unusable answer(s)"
    )


def when(moment: datetime | None) -> str:
    if moment is None:
        return "date not recorded"
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M")


# --- suggestions ----------------------------------------------------------------------

_CONFIDENCE = {"high": 0, "medium": 1, "low": 2}
_CONTEXT = 160  # characters of the paragraph shown on each side of a suggestion's span


def apply_command(result_file: str | None, option: str) -> str:
    """`repair apply` on the saved result (RESULT.json when the report does not know it)."""
    return f"repair apply {shlex.quote(result_file) if result_file else 'RESULT.json'} {option}"


def accept_command(result_file: str | None, ids: str) -> str:
    return apply_command(result_file, f"--accept {ids}")


def suggestion_views(result: RepairResult, result_file: str | None) -> list[SuggestionView]:
    """High confidence first, then article order within each confidence.

    An editor with little time starts with the suggestions most likely to be right, and
    `--accept all-high` accepts exactly the first block; the ids stay in article order
    and each names its paragraph, so where a suggestion sits is never lost.
    """
    order = {p.id: i for i, p in enumerate(result.paragraphs)}
    texts = {p.id: p.repaired for p in result.paragraphs}
    ranked = sorted(
        result.suggestions,
        key=lambda s: (
            _CONFIDENCE.get(s.confidence, 3),
            order.get(s.paragraph, len(order)),
            s.start,
            int(s.id[1:]),
        ),
    )
    return [_suggestion_view(s, texts.get(s.paragraph), result_file) for s in ranked]


def _suggestion_view(s: Suggestion, text: str | None, result_file: str | None) -> SuggestionView:
    command = accept_command(result_file, s.id)
    if text is None:
        problem = f"the result has no paragraph {s.paragraph}: this suggestion cannot be applied"
        return SuggestionView(s, "", s.original, "", problem, command)
    if text[s.start : s.end] != s.original:
        problem = (
            f"'{_short(s.original, 60)}' is not at {s.start}-{s.end} of {s.paragraph}: "
            "this suggestion cannot be applied"
        )
        return SuggestionView(s, "", s.original, "", problem, command)
    before, after = text[: s.start], text[s.end :]
    if len(before) > _CONTEXT:
        before = "…" + before[-_CONTEXT:].split(" ", 1)[-1]
    if len(after) > _CONTEXT:
        after = after[:_CONTEXT].rsplit(" ", 1)[0] + "…"
    return SuggestionView(s, before, s.original, after, None, command)


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
    status: LedgerStatus
    for i, fact in enumerate(src):
        hit = next((k for k, issue in enumerate(issues) if _covers(issue, fact)), None)
        where = fact.paragraph or ""
        if hit is not None:
            used.add(hit)
            rows.append(_issue_row(issues[hit], fact.kind, fact.text, where))
        elif i in found:
            r = found[i]
            status = "kept"
            note = ""
            if fact.kind == "quote" and " ".join(r.text.split()) != " ".join(fact.text.split()):
                status, note = "reworded", "wording repaired; the check found no change of fact"
            rows.append(
                LedgerRow(fact.kind, fact.text, where, r.text, r.paragraph or "", status, note)
            )
        else:
            status = "reworded" if fact.kind == "quote" else "kept"
            note = "reworded; the check found no change"
            rows.append(LedgerRow(fact.kind, fact.text, where, "", "", status, note))
    for k, issue in enumerate(issues):
        # Findings about no extracted fact (a dropped sentence, an added claim) get a row too.
        span = issue.source or issue.repaired
        if k not in used and span is not None and issue.kind != "structure":
            rows.append(_issue_row(issue, issue.kind, span.text, issue.paragraph or ""))
    return rows


_KEPT_KINDS = {
    "number": "numbers",
    "date": "dates",
    "entity": "names",
    "quote": "quotes word for word",
    "negation": "negations",
}


def kept_tally(rows: Sequence[LedgerRow]) -> str:
    """'12 numbers · 30 names · 2 quotes word for word': the kept rows, counted by kind."""
    kept = [r.kind for r in rows if r.status == "kept"]
    tally = {kind: kept.count(kind) for kind in [*_KEPT_KINDS, *dict.fromkeys(kept)]}
    return " · ".join(f"{n} {_KEPT_KINDS.get(kind, kind)}" for kind, n in tally.items() if n)


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
