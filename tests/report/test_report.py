"""The editor's report: HTML and Markdown, escaping, ordering, ledger, cost, index, CLI, browser."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from markupsafe import escape

from repair.cli import main
from repair.edits import edits_of
from repair.pricing import cost_usd, price_for
from repair.report import render_html, render_markdown
from repair.report.markdown import md
from repair.report.view import fact_ledger
from repair.results import (
    CallRecord,
    Glossary,
    GlossaryEntry,
    RepairResult,
    TextSpan,
    ValidationIssue,
    ValidationReport,
)
from repair.testing.fake import FakeServer
from repair.validation import validate
from tests.conftest import small_article
from tests.test_edits import demo_result, make_result

PWNED = "document.title='PWNED'"
HOSTILE = (
    "Prices rose sharpley in March\n\n"
    f"<script>{PWNED}</script> The minister sayed prices rose 5% in March.\n\n"
    f'Click <a href="javascript:{PWNED}">here</a> or <img src=x onerror="{PWNED}"> '
    "for the details of the plan.\n\n"
    "The goverment will not raise taxes, the minister said.\n"
)
REPAIRS = {
    "P1": "Prices rose sharply in March",
    "P2": f"<script>{PWNED}</script> The minister said prices rose 5% in March.",
    "P4": "The government will not raise taxes, the minister said.",
}
REASON = "the repair changed facts: '5%' became '7%'"


@pytest.fixture
def hostile() -> RepairResult:
    """An article full of markup, one paragraph kept original (flagged) with findings."""
    result = make_result(HOSTILE, REPAIRS, kept={"P3": REASON})
    result.paragraphs[2].findings = ["'5%' became '7%'"]
    return result


@pytest.fixture(scope="module")
def seed() -> RepairResult:
    return demo_result()


def _ids_in_order(page_html: str) -> list[str]:
    return re.findall(r'<article class="para[^"]*" id="para-(P\d+)"', page_html)


# --- HTML -----------------------------------------------------------------------------


def test_article_markup_is_shown_as_text(hostile: RepairResult) -> None:
    hostile.model = '"><script>alert(1)</script>'
    hostile.notes = ["<img src=x onerror=alert(1)>"]
    out = render_html(hostile)
    assert "<script" not in out.lower()  # the article page has no script at all
    assert "<img" not in out.lower()
    assert not re.search(r"href\s*=\s*[\"']?\s*javascript:", out, re.IGNORECASE)
    assert f"&lt;script&gt;{escape(PWNED)}&lt;/script&gt;" in out
    assert "&lt;img src=x onerror=" in out
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in out


ATTACK = "\"'><script>alert(1)</script>"
ESCAPED = "&#34;&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"


def test_every_string_of_a_saved_result_is_escaped() -> None:
    # A saved result is untrusted as a whole, not only its article text: ids, kinds, the
    # glossary, findings and the run's details all reach the page, in text and attributes.
    title = f"{ATTACK} Prices rose sharply in March"
    hostile = make_result(HOSTILE, {**REPAIRS, "P1": title}, kept={"P3": REASON})
    _, p2, p3, p4 = hostile.paragraphs
    p2.kind = ATTACK
    p3.reason, p3.findings = ATTACK, [f"{ATTACK} twice"]
    p4.id = ATTACK
    hostile.glossary = Glossary(
        entries=[GlossaryEntry(canonical=ATTACK, variants=[ATTACK], role=ATTACK, source="model")]
    )
    span = TextSpan(text="5%", start=HOSTILE.index("5%"), end=HOSTILE.index("5%") + 2)
    hostile.report = ValidationReport(
        ok=False,
        issues=[
            ValidationIssue(
                kind="structure", paragraph=None, source=None, repaired=None, message=ATTACK
            ),
            ValidationIssue(
                kind="number", paragraph="P2", source=span, repaired=None, message=ATTACK
            ),
        ],
    )
    hostile.model = hostile.style = hostile.template_version = ATTACK
    hostile.notes = [ATTACK]
    out = render_html(hostile)
    assert "<script" not in out.lower()
    assert out.count("alert(1)") == out.count(ESCAPED)  # every copy escaped, quotes too
    for shown in (
        f"<title>Editor’s report: {ESCAPED} Prices rose sharply in March</title>",
        f'<p class="subtitle">{ESCAPED} Prices rose sharply in March</p>',
        f"<ins>{ESCAPED} </ins>",  # the edit that put it there
        f'id="para-{ESCAPED}"',
        f'<span class="pid">{ESCAPED}</span><span>paragraph</span>',
        f"<span>{ESCAPED}</span><span>repaired</span>",  # P2's kind, not in its class
        f"<li>kept the original text: {ESCAPED}</li><li>{ESCAPED} twice</li>",
        f"<li>structure: {ESCAPED}</li>",  # a finding about the whole article
        f"<td>{ESCAPED}</td></tr>",  # the ledger's note
        f"<tr><td>{ESCAPED}</td><td>{ESCAPED}</td><td>{ESCAPED}</td><td>model</td></tr>",
        f"<dt>Model</dt><dd>{ESCAPED}</dd>",
        f"<dt>Style</dt><dd>{ESCAPED}</dd>",
        f"<dt>Template</dt><dd>{ESCAPED}</dd>",
        f'<ul class="notes"><li>{ESCAPED}</li></ul>',
    ):
        assert shown in out
    assert '<article class="para paragraph flagged" id="para-P2">' in out  # P2's class


def test_the_page_loads_nothing_and_allows_only_its_own_style(hostile: RepairResult) -> None:
    out = render_html(hostile)
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', out)
    assert meta is not None
    policy = html.unescape(meta.group(1))
    style = re.search(r"<style>(.*?)</style>", out, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert policy.startswith("default-src 'none';")
    assert f"style-src 'sha256-{digest}'" in policy
    assert "script-src" not in policy
    for external in ("<link", "<iframe", "<object", "@import", "url("):
        assert external not in out
    links = re.findall(r'\b(?:src|href|action|srcset|data)\s*=\s*"([^"]*)"', out)
    assert links and all(link.startswith("#para-") or link.startswith("#") for link in links)


def test_flagged_paragraphs_come_first_with_their_findings(hostile: RepairResult) -> None:
    out = render_html(hostile)
    assert _ids_in_order(out) == ["P3", "P1", "P2", "P4"]
    flagged = out[out.index('id="para-P3"') : out.index('id="para-P1"')]
    assert "⚑ FLAGGED" in flagged
    # The reason quotes the finding; the page says each once.
    assert "<li>kept the original text: the repair changed facts</li>" in flagged
    assert flagged.count(str(escape("'5%' became '7%'"))) == 1
    assert "⚑ FLAGGED" not in out[out.index('id="para-P1"') :]


def test_a_validation_finding_flags_a_repaired_paragraph(hostile: RepairResult) -> None:
    hostile.report = validate(HOSTILE, hostile.text.replace("5%", "6%"))
    assert [i.paragraph for i in hostile.report.issues] == ["P2"]
    assert _ids_in_order(render_html(hostile)) == ["P2", "P3", "P1", "P4"]


def test_edits_are_marked_and_numbered(hostile: RepairResult) -> None:
    out = render_html(hostile)
    assert (
        '<span class="edit" id="edit-1"><span class="n">1</span>'
        "<del>sharpley</del><ins>sharply</ins></span>"
    ) in out
    assert len(re.findall(r'id="edit-\d+"', out)) == len(edits_of(hostile)) == 3


def test_the_seed_report_numbers_every_edit(seed: RepairResult) -> None:
    out = render_html(seed)
    numbers = [int(n) for n in re.findall(r'id="edit-(\d+)"', out)]
    assert numbers == list(range(1, len(edits_of(seed)) + 1))
    assert "✔ Every paragraph repaired or unchanged" in out
    assert "Steve Witkoff" in out and "Witcooff" in out  # the glossary
    assert "$0.0000" in out  # the fake server bills nothing


# --- the fact ledger ------------------------------------------------------------------


def test_the_ledger_says_kept_changed_and_missing() -> None:
    source = "Prices rose 5% in March, John Smith said.\n"
    repaired = "Prices rose 7% in March.\n"
    rows = fact_ledger(source, repaired, validate(source, repaired).issues, {})
    got = {(r.fact, r.status) for r in rows}
    assert got == {("5%", "changed"), ("March", "kept"), ("John Smith", "missing")}
    changed = next(r for r in rows if r.status == "changed")
    assert (changed.source_at, changed.repaired, changed.repaired_at) == ("P1", "7% in", "P1")


def test_the_ledger_finds_a_name_respelled_by_the_glossary() -> None:
    source, repaired = "Talks with Witcooff went well.\n", "Talks with Witkoff went well.\n"
    rows = fact_ledger(source, repaired, [], {"Witcooff": "Witkoff"})
    assert [(r.fact, r.repaired, r.status) for r in rows] == [("Witcooff", "Witkoff", "kept")]


def test_an_added_fact_is_listed() -> None:
    source, repaired = "Prices rose.\n", "Prices rose 40% in 2024.\n"
    rows = fact_ledger(source, repaired, validate(source, repaired).issues, {})
    assert rows and all(r.status == "added" for r in rows)


# --- cost -----------------------------------------------------------------------------


def test_prices_are_found_under_other_spellings_of_a_model() -> None:
    assert price_for("gpt-4o-mini") == price_for("openai/gpt-4o-mini-2024-07-18")
    assert price_for("gpt-4o-mini") != price_for("gpt-4o")
    assert price_for("llama3.1") is None


def test_cost_is_per_call_and_unknown_for_an_unpriced_model(hostile: RepairResult) -> None:
    def call(model: str, prompt: int, cached: int, completion: int) -> CallRecord:
        return CallRecord(
            chunk=0, model=model, units=["P1"], attempts=1, finish_reason="stop",
            prompt_tokens=prompt, cached_tokens=cached, completion_tokens=completion,
            started_s=0.0, wait_s=0.1,
        )  # fmt: skip

    # gpt-4o-mini: 0.15 in, 0.075 cached, 0.60 out; gpt-4o: 2.50 in, 10.00 out ($ per 1M)
    hostile.calls = [call("gpt-4o-mini", 1_000_000, 200_000, 100_000), call("gpt-4o", 0, 0, 1000)]
    assert cost_usd(hostile) == pytest.approx(0.12 + 0.015 + 0.06 + 0.01)
    hostile.calls.append(call("llama3.1", 10, 0, 10))
    assert cost_usd(hostile) is None
    hostile.model = "llama3.1"
    assert "unknown (no price for llama3.1 in the table)" in render_html(hostile)


# --- Markdown -------------------------------------------------------------------------


def test_markdown_escapes_article_text() -> None:
    assert md("<b>x</b> [a](javascript:b) *c* `d` | e_f ~~g~~") == (
        "&lt;b&gt;x&lt;/b&gt; \\[a\\](javascript:b) \\*c\\* \\`d\\` \\| e\\_f \\~\\~g\\~\\~"
    )
    assert md("two\n\n- lines") == "two - lines"  # one line: no list, heading or table


def test_markdown_report_puts_flagged_first_and_marks_edits(hostile: RepairResult) -> None:
    out = render_markdown(hostile)
    assert "<script" not in out and "<img" not in out and "<a " not in out
    order = [out.index(f"{pid}** (") for pid in ("P3", "P1", "P2", "P4")]
    assert order == sorted(order)
    assert "**⚑ FLAGGED P3** (paragraph, kept-original)" in out
    assert "[1: ~~sharpley~~ → **sharply**]" in out
    assert "Kept as they were: " in out and " numbers · " in out  # the ledger, collapsed
    assert "| number | 5% |" not in out


# --- the index ------------------------------------------------------------------------


# --- the command line -----------------------------------------------------------------


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_report_and_apply_from_a_saved_result(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = tmp_path / "article.txt"
    article.write_text(small_article()[0], encoding="utf-8")
    report = tmp_path / "fix.html"
    code, out, _ = _run(
        ["fix", str(article), "--base-url", server.base_url, "--json", "--report", str(report)],
        capsys,
    )
    assert code == 0 and "<del>" in report.read_text(encoding="utf-8")
    saved = tmp_path / "result.json"
    saved.write_text(out, encoding="utf-8")
    result = RepairResult.model_validate_json(out)

    code, out, _ = _run(["report", str(saved), "-o", str(tmp_path / "r.md")], capsys)
    assert code == 0 and out == ""
    assert (tmp_path / "r.md").read_text(encoding="utf-8") == render_markdown(result, str(saved))
    code, out, _ = _run(["report", str(saved)], capsys)
    assert code == 0 and out == render_html(result, str(saved))

    code, out, err = _run(["apply", str(saved)], capsys)
    assert (code, out) == (0, result.text)
    total = len(edits_of(result))
    code, out, err = _run(["apply", str(saved), "--reject", f"1-{total}"], capsys)
    assert (code, out) == (0, small_article()[0])
    assert f"kept 0 of {total} edits; undone: 1-{total}" in err


def test_apply_exits_1_when_the_outcome_changes_a_fact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = make_result("Prices rose 5% in March.\n", {"P1": "Prices rose 7% in May."})
    saved = tmp_path / "result.json"
    saved.write_text(result.model_dump_json(), encoding="utf-8")
    code, out, err = _run(["apply", str(saved), "--reject", "2"], capsys)
    assert (code, out) == (1, "Prices rose 7% in March.\n")
    assert "number: '5% in' became '7% in'" in err and "1 problem(s)" in err
    assert _run(["apply", str(saved), "--reject", "1,2"], capsys)[0] == 0


@pytest.mark.parametrize(
    ("content", "argv", "message"),
    [
        ("{not json", ["report"], "not a result saved with 'repair fix --json'"),
        ('{"text": "x"}', ["report"], "paragraphs: Field required"),
        (None, ["apply", "--reject", "99"], "no edit numbered 99"),
        (None, ["apply", "--reject", "3-1"], "'3-1' is not an edit number or a range"),
        (None, ["apply", "--reject", "x"], "'x' is not an edit number"),
    ],
)
def test_bad_input_exits_2_with_a_reason(
    content: str | None,
    argv: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    saved = tmp_path / "result.json"
    good = make_result("One two.\n", {"P1": "One 2."}).model_dump_json()
    saved.write_text(good if content is None else content, encoding="utf-8")
    code, out, err = _run([argv[0], str(saved), *argv[1:]], capsys)
    assert (code, out) == (2, "")
    assert message in err


def test_demo_writes_a_markdown_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "seed.md"
    code, _, _ = _run(["demo", "--report", str(target)], capsys)
    text = target.read_text(encoding="utf-8")
    assert code == 0 and text.startswith("# Editor’s report: Why Putin and Trump’s relationship")


# --- a real browser -------------------------------------------------------------------

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"
)


def _browse(page_file: Path, profile: Path, *action: str) -> str:
    assert CHROMIUM is not None
    argv = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", f"--user-data-dir={profile}", *action, page_file.as_uri(),
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def _title(dom: str) -> str:
    found = re.search(r"<title>(.*?)</title>", dom, re.DOTALL)
    assert found is not None, dom[:500]
    return html.unescape(found.group(1))


@needs_chromium
def test_a_browser_shows_the_marks_and_runs_nothing_from_the_article(
    hostile: RepairResult, tmp_path: Path
) -> None:
    target = tmp_path / "report.html"
    target.write_text(render_html(hostile), encoding="utf-8")
    dom = _browse(target, tmp_path / "profile", "--dump-dom")
    assert _title(dom) == "Editor’s report: Prices rose sharply in March"
    assert "PWNED" not in _title(dom)
    assert "<script" not in dom.lower() and "<img" not in dom.lower()
    assert "&lt;script&gt;document.title='PWNED'&lt;/script&gt;" in dom
    assert "<del>sharpley</del><ins>sharply</ins>" in dom
    assert _ids_in_order(dom) == ["P3", "P1", "P2", "P4"]
    shot = tmp_path / "shot.png"
    _browse(target, tmp_path / "profile2", f"--screenshot={shot}", "--window-size=480,900")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


@needs_chromium
def test_the_policy_blocks_a_script_that_got_into_the_page(tmp_path: Path) -> None:
    # Defence in depth: even markup that escaped escaping would not run.
    report = render_html(make_result("kept\n", {}))
    leaked = report.replace("</body>", f"<p>x</p><script>{PWNED}</script>\n</body>")
    assert leaked != report
    target = tmp_path / "leak.html"
    target.write_text(leaked, encoding="utf-8")
    assert _title(_browse(target, tmp_path / "profile", "--dump-dom")) == "Editor’s report: kept"


def test_json_round_trip_keeps_the_report_identical(hostile: RepairResult) -> None:
    again = RepairResult.model_validate(json.loads(hostile.model_dump_json()))
    assert render_html(again) == render_html(hostile)
