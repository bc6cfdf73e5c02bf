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
    attention_count,
    build_view,
    visible,
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


def render_markdown(result: RepairResult) -> str:
    """The editor's report for one article as Markdown."""
    return markdown(build_view(result))


def markdown(view: ReportView) -> str:
    r, u = view.result, view.result.usage
    flagged = view.flagged
    count = {s: sum(p.status == s for p in r.paragraphs) for s in ("repaired", "unchanged")}
    kept = len(r.flagged)
    cost = money(view.cost_usd) + ("" if price_for(r.model) else " (model not in the table)")
    verdict = (
        f"⚑ {attention_count(view)}"
        if flagged or view.article_findings
        else "✔ Every paragraph repaired or unchanged; no fact changed"
    )
    lines = [
        f"# Editor’s report: {md(view.title)}",
        "",
        f"**{verdict}**",
        "",
        "| | |",
        "|---|---|",
        f"| Paragraphs | {count['repaired']} repaired · {count['unchanged']} unchanged · "
        f"{kept} kept original |",
        f"| Edits | {view.edits} |",
        f"| Model | {md(r.model)} |",
        f"| Style | {md(r.style)} |",
        f"| Template | {md(r.template_version)} |",
        f"| Tokens | {u.prompt_tokens:,} prompt ({u.cached_tokens:,} cached) + "
        f"{u.completion_tokens:,} completion in {u.calls} call(s) |",
        f"| Cost | {md(cost)} |",
        "",
        "Edits: `[n: ~~deleted~~ → **inserted**]`, where n is the edit’s number for "
        "`repair apply RESULT.json --reject n`; ␣ is a space.",
        "",
        f"## ⚑ Needs attention ({len(flagged)})",
        "",
        *[f"- ⚠ {md(f)}" for f in view.article_findings],
        *([""] if view.article_findings else []),
        *[line for v in flagged for line in _paragraph(v)],
        *([] if flagged else ["Nothing: no paragraph was flagged.", ""]),
        f"## The article ({view.edits} edits)",
        "",
        *[line for v in view.paragraphs if not v.flagged for line in _paragraph(v)],
        *_ledger(view.ledger),
        *_glossary(view),
        *(["## Notes", "", *[f"- {md(n)}" for n in r.notes], ""] if r.notes else []),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def _paragraph(view: ParagraphView) -> list[str]:
    p = view.paragraph
    flag = "⚑ FLAGGED " if view.flagged else ""
    text = "".join(_piece(x) for x in view.pieces)
    head = f"**{flag}{md(p.id)}** ({md(p.kind)}, {md(p.status)}): {text}"
    return [head, "", *[f"- ⚠ {md(f)}" for f in view.findings], *([""] if view.findings else [])]


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


def _ledger(rows: Sequence[LedgerRow]) -> list[str]:
    out = [
        f"## Fact ledger ({len(rows)} facts)",
        "",
        "| kind | fact | source | in the repair | repair | status | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        mark = "✔" if r.status == "kept" else "✖"
        out.append(
            f"| {r.kind} | {md(r.fact)} | {md(r.source_at) or '—'} | {md(r.repaired) or '—'} "
            f"| {md(r.repaired_at) or '—'} | {mark} {r.status} | {md(r.note)} |"
        )
    return [*out, ""]


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
