"""The editor's report as Markdown, for a pull request, a ticket or a CMS note field.

The article's words are untrusted: Markdown passes raw HTML through and turns brackets
into links, so every piece of article text is escaped (HTML special characters as
entities, Markdown punctuation with a backslash) and kept on one line, after a label, so
nothing in it can start a heading, a list or a table row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from repair.pricing import money, price_for
from repair.report.view import (
    LedgerRow,
    ParagraphView,
    ReportView,
    accept_command,
    apply_command,
    build_view,
    kept_tally,
    meaning_detail,
    verdict,
    visible,
    when,
)
from repair.results import Edit, RepairResult

# Inline markup only: the text is always on one line after a label, so the characters
# that start a block (#, -, +, >, 1.) cannot take effect and are left readable.
_SPECIAL = re.compile(r"[\\`*_\[\]|~]")


def md(value: object) -> str:
    """Article text as inert Markdown: one line, no markup, no HTML, no links."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(lambda m: "\\" + m.group(), text)


def render_markdown(result: RepairResult, result_file: str | None = None) -> str:
    """The editor's report for one article as Markdown.

    `result_file` is where the result is saved, for the `repair apply` lines it shows.
    """
    return markdown(build_view(result, result_file))


def markdown(view: ReportView) -> str:
    r = view.result
    flagged = view.flagged
    count = {s: sum(p.status == s for p in r.paragraphs) for s in ("repaired", "unchanged")}
    kept = len(r.flagged)
    lines = [
        f"# Editor’s report: {md(view.title)}",
        "",
        f"**{md(verdict(view))}**",
        "",
        f"Checked: {md(view.checked)}.",
        "",
        "| | |",
        "|---|---|",
        f"| Article | {md(r.source_file or 'not recorded')} |",
        f"| Repaired | {md(when(r.finished_at))} |",
        f"| Paragraphs | {count['repaired']} repaired · {count['unchanged']} unchanged · "
        f"{kept} kept original |",
        f"| Edits | {view.edits} |",
        f"| Suggestions | {len(view.suggestions)}, none applied |"
        if view.suggestions
        else "| Suggestions | none |",
        *([f"| Result | {md(view.result_file)} (for repair apply) |"] if view.result_file else []),
        "",
        "Edits: `[n: ~~deleted~~ → **inserted**]`, where n is the edit’s number for "
        f"{_code(apply_command(view.result_file, '--reject n'))}; ␣ is a space.",
        "",
        *_suggestions(view),
        f"## ⚑ Needs attention ({len(flagged)})",
        "",
        *[f"- ⚠ {md(f)}" for f in view.article_findings],
        *([""] if view.article_findings else []),
        *[line for v in flagged for line in _paragraph(v)],
        *([] if flagged else ["Nothing: no paragraph was flagged.", ""]),
        f"## The article ({view.edits} edits)",
        "",
        *[line for v in view.paragraphs if not v.flagged for line in _paragraph(v)],
        *_ledger(view),
        *_glossary(view),
        *(["## Notes", "", *[f"- {md(n)}" for n in r.notes], ""] if r.notes else []),
        *_details(view),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def _suggestions(view: ReportView) -> list[str]:
    if not view.suggestions:
        return []
    out = [
        f"## Suggestions for the editor ({len(view.suggestions)})",
        "",
        "The model believes these facts were mistranslated. None is applied: the article "
        "keeps its wording until an editor accepts a suggestion. Highest confidence first, "
        "then in article order.",
        "",
    ]
    if any(v.suggestion.confidence == "high" for v in view.suggestions):
        every = accept_command(view.result_file, "all-high")
        out += [f"To accept every high-confidence one: {_code(every)}", ""]
    for v in view.suggestions:
        s = v.suggestion
        out.append(
            f"**{md(s.id)}** ({md(s.kind)}, {md(s.confidence)} confidence, in {md(s.paragraph)}): "
            f"~~{md(s.original)}~~ → **{md(s.replacement)}**"
        )
        out.append("")
        if v.located:
            context = _keep_edges(v.before, md(v.before)) + f"**{md(v.span)}**"
            context += _keep_edges(v.after, md(v.after))
            out.append(f"- In context: {context}")
        else:
            out.append(f"- ⚠ {md(v.problem)}")
        out.append(f"- Why: {md(s.reason)}")
        if v.located:
            out.append(f"- To accept: {_code(v.command)}")
        out.append("")
    return out


def _code(command: str) -> str:
    """A command as inline code; escaped text if it holds a backtick (a file name might)."""
    return f"`{command}`" if "`" not in command and "\n" not in command else md(command)


def _details(view: ReportView) -> list[str]:
    r, u = view.result, view.result.usage
    cost = money(view.cost_usd) + ("" if price_for(r.model) else " (model not in the table)")
    return [
        "## Details",
        "",
        "| | |",
        "|---|---|",
        f"| Model | {md(r.model)} |",
        f"| Style | {md(r.style)} |",
        f"| Template | {md(r.template_version)} |",
        f"| Tokens | {u.prompt_tokens:,} prompt ({u.cached_tokens:,} cached) + "
        f"{u.completion_tokens:,} completion in {u.calls} call(s) |",
        f"| Cost | {md(cost)} |",
        f"| Time | {r.timings.total_s:.2f} s |",
        f"| Chunks | {r.chunks} |",
        f"| Meaning check | {md(meaning_detail(r))} |",
        "",
    ]


def _paragraph(view: ParagraphView) -> list[str]:
    p = view.paragraph
    flag = "⚑ FLAGGED " if view.flagged else ""
    text = "".join(_piece(x) for x in view.pieces)
    head = f"**{flag}{md(p.id)}** ({md(p.kind)}, {md(p.status)}): {text}"
    refused = [f"- Refused, the model’s wording: {md(p.rejected)}"] if p.rejected else []
    findings = [f"- ⚠ {md(f)}" for f in view.findings]
    return [head, "", *refused, *findings, *([""] if refused or findings else [])]


def _piece(piece: str | Edit) -> str:
    if isinstance(piece, str):
        return _keep_edges(piece, md(piece))
    removed = f"~~{md(visible(piece.original))}~~" if piece.original else ""
    added = f"**{md(visible(piece.replacement))}**" if piece.replacement else ""
    change = f"{removed} → {added}" if removed and added else removed or f"+ {added}"
    marked = f"[{piece.number}: {change}]"
    raw = piece.original or piece.replacement
    return _keep_edges(raw, marked) if raw.strip() else marked


def _keep_edges(raw: str, marked: str) -> str:
    """md() trims the text; put back a space it had at either end."""
    if not raw.strip():
        return " " if raw else ""
    before = " " if raw[:1].isspace() else ""
    after = " " if raw[-1:].isspace() else ""
    return before + marked + after


def _ledger(view: ReportView) -> list[str]:
    rows = view.ledger
    out = [f"## Fact ledger ({len(rows)} facts)", ""]
    problems = view.ledger_rows("changed", "missing", "added")
    if problems:
        out += [*_ledger_table(problems), ""]
    reworded = view.ledger_rows("reworded")
    if reworded:
        out += [
            f"### Quotes whose wording was repaired ({len(reworded)})",
            "",
            "The check found no change of fact in them; read each against the source.",
            "",
            *_ledger_table(reworded),
            "",
        ]
    kept = view.ledger_rows("kept")
    if kept:
        out += [f"Kept as they were: {len(kept)} ({kept_tally(rows)}).", ""]
    return out


def _ledger_table(rows: Sequence[LedgerRow]) -> list[str]:
    out = [
        "| kind | fact | source | in the repair | repair | status | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        mark = "✔" if r.status in ("kept", "reworded") else "✖"
        out.append(
            f"| {r.kind} | {md(r.fact)} | {md(r.source_at) or '—'} | {md(r.repaired) or '—'} "
            f"| {md(r.repaired_at) or '—'} | {mark} {r.status} | {md(r.note)} |"
        )
    return out


def _glossary(view: ReportView) -> list[str]:
    entries = view.result.glossary.entries
    if not entries:
        return ["## Glossary", "", "Empty.", ""]
    rows = [
        f"| {md(e.canonical)} | {md(', '.join(e.variants))} | {md(e.role)} | {md(e.source)} |"
        for e in entries
    ]
    return [
        "## Glossary",
        "",
        "| spelling | replaces | who or what | chosen by |",
        "|---|---|---|---|",
        *rows,
        "",
    ]
