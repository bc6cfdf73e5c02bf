"""The editor's report: what the repair changed, what it flagged, and what it cost.

`build_view` turns a `RepairResult` into what any report shows (flagged paragraphs first,
the numbered edits, findings in plain words, the fact ledger, the cost); `render_html`
draws it as one self-contained page and `render_markdown` (markdown.py) as Markdown.

Everything that comes from the article, the model or a saved result is untrusted and is
escaped on the way out; the page loads nothing and runs no script (a Content-Security-
Policy says so to the browser).
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Literal

from repair.edits import edits_of, original_text, pieces
from repair.facts.ledger import Fact, extract_facts
from repair.facts.names import same_name
from repair.pricing import cost_usd, money, price_for
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


# --- HTML -----------------------------------------------------------------------------


def esc(value: object) -> str:
    """Text for an HTML element or a quoted attribute value."""
    return html.escape(str(value), quote=True)


@cache
def asset(name: str) -> str:
    return files("repair.report").joinpath("templates", name).read_text(encoding="utf-8")


def _hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def page(title: str, body: str, script: str | None = None) -> str:
    """A complete page: the stylesheet inlined, and a CSP that allows only that (and `script`)."""
    css = asset("report.css")
    policy = f"default-src 'none'; style-src '{_hash(css)}'; base-uri 'none'; form-action 'none'"
    if script is not None:
        policy += f"; script-src '{_hash(script)}'"
    tail = f"<script>{script}</script>\n" if script is not None else ""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(policy)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{esc(title)}</title>\n<style>{css}</style>\n</head>\n<body>\n{body}\n{tail}"
        "</body>\n</html>\n"
    )


def render_html(result: RepairResult) -> str:
    """The editor's report for one article as a self-contained HTML page."""
    view = build_view(result)
    return page(f"Editor’s report: {view.title}", _body(view))


def _body(view: ReportView) -> str:
    r, flagged = view.result, view.flagged
    verdict = (
        f'<p class="verdict flagged">⚑ {attention_count(view)}</p>'
        if flagged or view.article_findings
        else '<p class="verdict ok">✔ Every paragraph repaired or unchanged; no fact changed</p>'
    )
    attention = "".join(map(_paragraph, flagged)) or "<p>Nothing: no paragraph was flagged.</p>"
    rest = "".join(_paragraph(v) for v in view.paragraphs if not v.flagged)
    notes = f"<h2>Notes</h2>{_list(r.notes, 'notes')}" if r.notes else ""
    return (
        f'<header><h1>Editor’s report</h1><p class="subtitle">{esc(view.title)}</p>'
        f"{verdict}{_summary(view)}</header>\n"
        '<nav><ul><li><a href="#attention">Needs attention</a></li>'
        '<li><a href="#article">Article</a></li><li><a href="#facts">Fact ledger</a></li>'
        '<li><a href="#glossary">Glossary</a></li></ul></nav>\n'
        '<p class="legend">Edits: <del>deleted words</del> are struck through, '
        "<ins>inserted words</ins> underlined; the small number is the edit’s number for "
        "<code>repair apply RESULT.json --reject N</code>; ␣ is a space.</p>\n"
        f'<section id="attention"><h2>⚑ Needs attention ({len(flagged)})</h2>'
        f"{_list(view.article_findings, 'findings')}{attention}</section>\n"
        f'<section id="article"><h2>The article ({view.edits} edits)</h2>{rest}</section>\n'
        f"{_ledger(view.ledger)}\n{_glossary(r)}\n{notes}"
        "<footer>Made by repair from a RepairResult. Everything quoted from the article is "
        "shown as text; this page loads nothing and runs no script.</footer>"
    )


_STATUSES = ("repaired", "unchanged", "kept-original")


def _summary(view: ReportView) -> str:
    r, u = view.result, view.result.usage
    count = {s: sum(p.status == s for p in r.paragraphs) for s in _STATUSES}
    price = price_for(r.model)
    cost = money(view.cost_usd) + ("" if price else f" (no price for {r.model} in the table)")
    items = {
        "Paragraphs": f"{count['repaired']} repaired · {count['unchanged']} unchanged · "
        f"{count['kept-original']} kept original",
        "Edits": str(view.edits),
        "Model": r.model,
        "Style": r.style,
        "Template": r.template_version,
        "Tokens": f"{u.prompt_tokens:,} prompt ({u.cached_tokens:,} cached) + "
        f"{u.completion_tokens:,} completion in {u.calls} call(s)",
        "Cost": cost,
        "Time": f"{r.timings.total_s:.2f} s",
    }
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items.items())
    return f'<dl class="summary">{rows}</dl>'


_KINDS = frozenset({"paragraph", "heading", "caption", "furniture"})


def _paragraph(view: ParagraphView) -> str:
    p = view.paragraph
    kind = p.kind if p.kind in _KINDS else "paragraph"
    flag = '<span class="flag">⚑ FLAGGED</span>' if view.flagged else ""
    text = "".join(_piece(x) for x in view.pieces)
    return (
        f'<article class="para {kind}{" flagged" * view.flagged}" id="{esc("para-" + p.id)}">'
        f'<div class="para-head">{flag}<span class="pid">{esc(p.id)}</span>'
        f"<span>{esc(p.kind)}</span><span>{esc(p.status)}</span></div>"
        f'<p class="text">{text}</p>{_list(view.findings, "findings")}</article>'
    )


def _piece(piece: str | Edit) -> str:
    if isinstance(piece, str):
        return esc(piece)
    removed = f"<del>{esc(_visible(piece.original))}</del>" if piece.original else ""
    added = f"<ins>{esc(_visible(piece.replacement))}</ins>" if piece.replacement else ""
    n = piece.number
    return f'<span class="edit" id="edit-{n}"><span class="n">{n}</span>{removed}{added}</span>'


def _visible(text: str) -> str:
    """A change of whitespace alone would be invisible: show it."""
    return "␣" * len(text) if text.isspace() else text


def _list(items: Sequence[str], css: str) -> str:
    return f'<ul class="{css}">{"".join(f"<li>{esc(i)}</li>" for i in items)}</ul>' if items else ""


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """`rows` hold HTML already escaped; the head is plain text."""
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    table = f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="scroll">{table}</div>'


def _anchor(pid: str) -> str:
    return f'<a href="#{esc("para-" + pid)}">{esc(pid)}</a>' if pid else "—"


def _ledger(rows: Sequence[LedgerRow]) -> str:
    tally = {s: sum(r.status == s for r in rows) for s in ("kept", "changed", "missing", "added")}
    counts = ", ".join(f"{n} {s}" for s, n in tally.items() if n)
    cells = [
        [
            esc(r.kind),
            esc(r.fact),
            _anchor(r.source_at),
            esc(r.repaired) or "—",
            _anchor(r.repaired_at),
            f'<span class="st-{r.status} label">{_MARK[r.status]} {r.status}</span>',
            esc(r.note),
        ]
        for r in rows
    ]
    head = ["kind", "fact", "source", "in the repair", "repair", "status", "note"]
    return (
        f'<section id="facts"><h2>Fact ledger ({len(rows)} facts: {counts or "none"})</h2>'
        f"{_table(head, cells)}</section>"
    )


_MARK = {"kept": "✔", "changed": "✖", "missing": "✖", "added": "✖"}


def _glossary(result: RepairResult) -> str:
    entries = result.glossary.entries
    cells = [
        [esc(e.canonical), esc(", ".join(e.variants)), esc(e.role), esc(e.source)] for e in entries
    ]
    table = _table(["spelling", "replaces", "who or what", "chosen by"], cells)
    return (
        f'<section id="glossary"><h2>Glossary</h2>{table if entries else "<p>Empty.</p>"}</section>'
    )
