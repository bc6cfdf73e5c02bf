"""The editor's report as one self-contained HTML page, drawn from jinja2 templates.

The templates (templates/*.html.j2, beside report.css) are all autoescaped, so whatever
they print from the view — article text, the model's words, anything a saved result
holds — is escaped without anyone having to remember to. The Python here hands them
plain text only; the one string marked safe is the package's own stylesheet.

The page loads nothing and runs no script: its Content-Security-Policy allows only the
inlined stylesheet, by its hash, so even markup that slipped past escaping could not act.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib.resources import files
from typing import get_args

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from repair.pricing import money, price_for
from repair.report.view import (
    LedgerRow,
    LedgerStatus,
    ReportView,
    accept_command,
    apply_command,
    attention_count,
    build_view,
    kept_tally,
    meaning_detail,
    verdict,
    visible,
    when,
)
from repair.results import RepairResult

# The paragraph kinds the stylesheet has a class for; any other is styled as a paragraph.
_KINDS = frozenset({"paragraph", "heading", "caption", "furniture"})
_STATUSES = ("repaired", "unchanged", "kept-original")


def render_html(result: RepairResult, result_file: str | None = None) -> str:
    """The editor's report for one article as a self-contained HTML page.

    `result_file` is where the result is saved, for the `repair apply` commands it shows.
    """
    view = build_view(result, result_file)
    css = _stylesheet()
    template = _environment().get_template("report.html.j2")
    return template.render(
        view=view,
        stylesheet=Markup(css),  # noqa: S704 - the package's own file, never article text
        policy=_policy(css),
        attention=_attention(view),
        verdict=verdict(view),
        summary=_summary(view),
        details=_details(view),
        ledger_counts=_ledger_counts(view.ledger),
        kept=kept_tally(view.ledger),
        kinds=_KINDS,
        any_high=any(s.suggestion.confidence == "high" for s in view.suggestions),
        all_high=accept_command(result_file, "all-high"),
        reject=apply_command(result_file, "--reject N"),
    )


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("repair.report", "templates"),
        # Every template, whatever its name: escaping is the default, not a choice a
        # template (or a new one added later) makes by having the right extension.
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt name fails the render instead of printing ""
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["visible"] = visible
    return env


@cache
def _stylesheet() -> str:
    return files("repair.report").joinpath("templates", "report.css").read_text(encoding="utf-8")


def _policy(css: str) -> str:
    """Nothing may load or run but the inlined stylesheet, named by its hash."""
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"


def _attention(view: ReportView) -> str | None:
    """What needs attention, or None when the page can say all is well."""
    return attention_count(view) if view.flagged or view.article_findings else None


def _summary(view: ReportView) -> dict[str, str]:
    """The summary list at the top, what an editor needs first: label -> plain text."""
    r = view.result
    count = {s: sum(p.status == s for p in r.paragraphs) for s in _STATUSES}
    out = {
        "Article": r.source_file or "not recorded",
        "Repaired": when(r.finished_at),
        "Paragraphs": f"{count['repaired']} repaired · {count['unchanged']} unchanged · "
        f"{count['kept-original']} kept original",
        "Edits": str(view.edits),
        "Suggestions": f"{len(view.suggestions)}, none applied" if view.suggestions else "none",
    }
    if view.result_file:
        out["Result"] = f"{view.result_file} (for repair apply)"
    return out


def _details(view: ReportView) -> dict[str, str]:
    """How the repair was made and what it cost, for the details at the end."""
    r, u = view.result, view.result.usage
    cost = money(view.cost_usd)
    if price_for(r.model) is None:
        cost += f" (no price for {r.model} in the table)"
    return {
        "Model": r.model,
        "Style": r.style,
        "Template": r.template_version,
        "Tokens": f"{u.prompt_tokens:,} prompt ({u.cached_tokens:,} cached) + "
        f"{u.completion_tokens:,} completion in {u.calls} call(s)",
        "Cost": cost,
        "Time": f"{r.timings.total_s:.2f} s",
        "Chunks": str(r.chunks),
        "Meaning check": meaning_detail(r),
    }


def _ledger_counts(rows: list[LedgerRow]) -> str:
    """'3 kept, 1 changed' for the ledger's heading; 'none' for an empty ledger."""
    tally = {s: sum(r.status == s for r in rows) for s in get_args(LedgerStatus)}
    return ", ".join(f"{n} {s}" for s, n in tally.items() if n) or "none"
