"""The report as an editor uses it: suggestions first, a verdict that claims no more than
was checked, details last, a ledger that shows what needs reading, a flagged paragraph
with the refused wording, and the result saved beside the report for `repair apply`."""

from __future__ import annotations

import html
import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest
from markupsafe import escape
from pydantic import SecretStr

from repair import prompts
from repair.cli import main
from repair.config import RepairConfig
from repair.pipeline import repair_article
from repair.report import render_html, render_markdown
from repair.report.view import fact_ledger, meaning_phrase
from repair.resources import data_dir
from repair.results import Confidence, RepairResult, Suggestion, SuggestionKind
from repair.testing.fake import FakeServer
from repair.validation import validate
from tests.conftest import TEST_KEY, config_for, small_article

ROOT = Path(__file__).resolve().parents[2]
ATTACK = "\"'><script>alert(1)</script>"
ESCAPED = "&#34;&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
# Seed paragraphs 39-41: a 50-day ultimatum, a question, Nina Khrushcheva's quote.
SOURCE, EXPECTED = small_article(first=39, count=3)
SAVED = "out/my result.json"  # a name with a space: the command must quote it


def _run(server: FakeServer, **overrides: object) -> RepairResult:
    with_defaults = {"glossary_pass": False, **overrides}
    return repair_article(SOURCE, config_for(server, **with_defaults))


@pytest.fixture(scope="module")
def clean() -> RepairResult:
    """The three paragraphs through the fake server, as a real run gives them."""
    with FakeServer() as fake:
        config = RepairConfig(
            model="fake-repair",
            base_url=fake.base_url,
            api_key=SecretStr("not-a-key"),
            verify="rules",
            glossary_pass=False,
        )
        return repair_article(SOURCE, config)


def suggest(
    result: RepairResult,
    sid: str,
    pid: str,
    original: str,
    replacement: str,
    kind: SuggestionKind,
    confidence: Confidence,
    reason: str = "looks mistranslated",
) -> Suggestion:
    text = next(p.repaired for p in result.paragraphs if p.id == pid)
    assert text.count(original) == 1, (pid, original)
    start = text.index(original)
    return Suggestion(
        id=sid, paragraph=pid, start=start, end=start + len(original), original=original,
        replacement=replacement, kind=kind, reason=reason, confidence=confidence,
    )  # fmt: skip


@pytest.fixture
def suggested(clean: RepairResult) -> RepairResult:
    """The clean run with four suggestions, ids in article order, confidences mixed."""
    result = clean.model_copy(deep=True)
    result.suggestions = [
        suggest(result, "S1", "P1", "50-day", "60-day", "number", "medium"),
        suggest(result, "S2", "P1", "Washington", "the White House", "place", "low"),
        suggest(result, "S3", "P3", "Nina Khrushcheva", f"{ATTACK}Nina", "name", "high", ATTACK),
        suggest(result, "S4", "P3", "The New School", "the New School", "term", "high"),
    ]
    return result


def _section(page: str, section: str) -> str:
    start = page.index(f'<section id="{section}">')
    return page[start : page.index("</section>", start)]


# --- 4. suggestions for the editor ------------------------------------------------------


def test_suggestions_sit_under_the_verdict_highest_confidence_first(
    suggested: RepairResult,
) -> None:
    page = render_html(suggested, SAVED)
    verdict = "✔ Every paragraph repaired or unchanged; 4 suggestions for the editor, none applied"
    assert f'<p class="verdict ok">{verdict}</p>' in page
    assert f"**{verdict}**" in render_markdown(suggested)
    order = [page.index(m) for m in ('class="verdict', 'class="checked"', 'id="suggestions"')]
    assert order == sorted(order) and order[-1] < page.index('id="attention"')
    section = _section(page, "suggestions")
    ids = re.findall(r'<article class="suggestion conf-(\w+)" id="suggestion-(S\d)"', section)
    assert ids == [("high", "S3"), ("high", "S4"), ("medium", "S1"), ("low", "S2")]
    assert "Suggestions for the editor (4)" in section
    assert "<code>repair apply &#39;out/my result.json&#39; --accept S4</code>" in section
    assert "--accept all-high</code>" in section  # two are high


def test_a_suggestion_is_marked_in_its_paragraph(suggested: RepairResult) -> None:
    section = _section(render_html(suggested), "suggestions")
    s2 = section[section.index('id="suggestion-S2"') :]
    assert "<del>Washington</del> → <ins>the White House</ins>" in s2
    assert "no sign that Vladimir Putin will bow to pressure from <mark>Washington</mark>." in s2
    assert 'in <a href="#para-P1">P1</a>' in s2
    assert "repair apply RESULT.json --accept S2" in s2  # no saved result known


def test_the_models_words_in_a_suggestion_are_escaped(suggested: RepairResult) -> None:
    page = render_html(suggested, SAVED)
    assert "<script" not in page.lower()
    assert page.count("alert(1)") == page.count(ESCAPED) == 2  # the replacement, the reason
    assert f"<ins>{ESCAPED}Nina</ins>" in page
    assert f'<span class="lead">Why:</span> {ESCAPED}</p>' in page
    text = render_markdown(suggested, SAVED)
    assert "<script" not in text.lower() and "&lt;script&gt;" in text


def test_markdown_gives_the_line_that_accepts_each(suggested: RepairResult) -> None:
    text = render_markdown(suggested, SAVED)
    heads = re.findall(r"^\*\*(S\d)\*\* \((\w+), (\w+) confidence, in (P\d)\)", text, re.M)
    assert heads == [
        ("S3", "name", "high", "P3"),
        ("S4", "term", "high", "P3"),
        ("S1", "number", "medium", "P1"),
        ("S2", "place", "low", "P1"),
    ]
    assert "- To accept: `repair apply 'out/my result.json' --accept S1`" in text
    assert "~~Washington~~ → **the White House**" in text
    assert "pressure from **Washington**." in text
    assert text.index("## Suggestions for the editor (4)") < text.index("## ⚑ Needs attention")


def test_a_suggestion_whose_span_is_not_there_offers_no_command(
    suggested: RepairResult,
) -> None:
    moved = suggested.suggestions[0].model_copy(update={"start": 3, "end": 9})
    suggested.suggestions = [moved]
    page = render_html(suggested, SAVED)
    section = _section(page, "suggestions")
    assert "&#39;50-day&#39; is not at 3-9 of P1: this suggestion cannot be applied" in section
    assert "--accept S1" not in page and "<mark>" not in section
    assert "cannot be applied" in render_markdown(suggested, SAVED)
    assert "--accept S1" not in render_markdown(suggested, SAVED)


def test_without_suggestions_there_is_no_section(clean: RepairResult) -> None:
    page = render_html(clean)
    assert 'id="suggestions"' not in page and "<dt>Suggestions</dt><dd>none</dd>" in page
    assert "## Suggestions" not in render_markdown(clean)


# --- 5. the verdict says what was checked, and by what ---------------------------------


def test_the_verdict_names_the_checks_and_their_limits(server: FakeServer) -> None:
    rules = _run(server)
    checked_by_model = _run(server, verify="model")
    server.script("ok", "not-json")  # the repair passes; the meaning check's answer is junk
    half = _run(server, verify="model")
    assert half.verification.failures == half.verification.calls == 1
    facts = "no change found in names, numbers, dates, quotes or negations"
    for result, meaning in (
        (rules, "meaning not checked"),
        (checked_by_model, "meaning checked by main-model"),
        (half, "meaning not checked: the answers of main-model could not be used"),
    ):
        page, text = render_html(result), render_markdown(result)
        assert f'<p class="checked">Checked: {facts}; {html.escape(meaning)}.</p>' in page
        assert f"Checked: {facts}; {meaning}." in text.replace("\\", "")
        assert "no fact changed" not in page + text


def test_a_meaning_check_that_failed_in_part_says_so() -> None:
    assert meaning_phrase("m", asked=9, calls=3, failures=1) == (
        "meaning checked by m only in part: 1 of its 3 answers could not be used"
    )
    assert meaning_phrase("m", asked=9, calls=3, failures=0) == "meaning checked by m"
    assert meaning_phrase("m", asked=0, calls=0, failures=0).startswith("meaning not checked")
    assert meaning_phrase(None, asked=9, calls=3, failures=0) == "meaning not checked"


def test_no_text_of_the_project_claims_no_fact_changed() -> None:
    # The checks find changes in five kinds of fact, and meaning only when a model read it:
    # nothing the project prints or documents may promise more.
    shipped = [ROOT / "README.md", *ROOT.glob("docs/*.html"), *ROOT.glob("docs/*.py")]
    shipped += [*ROOT.glob("repair/**/*.py"), *ROOT.glob("repair/**/*.j2")]
    claims = [p for p in shipped if re.search(r"no fact changed|prove no fact", p.read_text())]
    assert claims == []


def test_the_run_details_come_last(suggested: RepairResult) -> None:
    page = render_html(suggested)
    details = page.index('<section id="details">')
    for label in ("Model", "Style", "Template", "Tokens", "Cost", "Time"):
        assert page.index(f"<dt>{label}</dt>") > details, label
    assert page.index("<dt>Article</dt>") < page.index('id="suggestions"')
    text = render_markdown(suggested)
    assert text.index("| Template |") > text.index("## Details") > text.index("## Glossary")


# --- the fact ledger ------------------------------------------------------------------


def test_the_ledger_tells_a_quote_kept_word_for_word_from_a_reworded_one() -> None:
    source = "He said “we is ready” and “we will win” on Monday.\n"
    repaired = "He said “we are ready” and “we will win” on Monday.\n"
    rows = fact_ledger(source, repaired, validate(source, repaired).issues, {})
    quotes = [(r.fact, r.repaired, r.status) for r in rows if r.kind == "quote"]
    assert quotes == [("we is ready", "we are ready", "reworded"), ("we will win",) * 2 + ("kept",)]


def test_the_report_collapses_kept_facts_and_lists_reworded_quotes(clean: RepairResult) -> None:
    page = render_html(clean)
    facts = _section(page, "facts")
    reworded = facts[: facts.index('<details class="kept">')]
    assert "Quotes whose wording was repaired (1)" in reworded
    assert "and has sort of wavered" in reworded  # P3's quote, as repaired
    kept = facts[facts.index('<details class="kept">') :]
    count = len(re.findall(r"<tr><td>", kept))
    assert f"<summary>{count} kept as they were: " in kept and count > 5
    assert '<details class="kept" open' not in page  # collapsed until opened
    text = render_markdown(clean)
    assert f"Kept as they were: {count} (" in text
    assert "| Vladimir Putin |" not in text  # a kept name: counted, not listed
    assert "### Quotes whose wording was repaired (1)" in text


# --- a flagged paragraph --------------------------------------------------------------


@pytest.fixture
def flagged(server: FakeServer) -> RepairResult:
    server.script("change-number")  # the only answer for P1 changes "50-day"
    result = _run(server, max_reasks=0)
    assert [p.id for p in result.flagged] == ["P1"]
    return result


def test_a_flagged_paragraph_shows_the_refused_wording_and_each_finding_once(
    flagged: RepairResult,
) -> None:
    (p1,) = flagged.flagged
    (finding,) = p1.findings
    assert p1.rejected is not None
    page = render_html(flagged)
    attention = _section(page, "attention")
    compare = attention[attention.index('<div class="compare">') :]
    assert escape(p1.source) in compare.split('class="refused"')[0]
    assert escape(p1.rejected) in compare.split('class="refused"')[1]
    assert page.count(escape(finding)) == 1
    assert "<li>kept the original text: the repair changed facts</li>" in attention
    text = render_markdown(flagged)
    assert text.count(finding) == 1
    assert "- Refused, the model’s wording: Last month, Donald Trump" in text


def test_the_command_line_prints_each_finding_once(
    server: FakeServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REPAIR_MAX_REASKS", "0")
    article = tmp_path / "a.txt"
    article.write_text(SOURCE, encoding="utf-8")
    server.script("change-number")
    argv = ["fix", str(article), "--base-url", server.base_url, "--verify", "rules"]
    assert main([*argv, "--no-glossary"]) == 1
    err = capsys.readouterr().err
    assert re.findall(r"'50-day ultimatum' became '\d+-day ultimatum'", err)
    assert err.count("became") == 1
    assert "repair: checked: no change found in names, numbers, dates" in err
    assert "meaning not checked" in err


# --- the result saved beside the report ------------------------------------------------


def test_the_report_saves_its_result_for_repair_apply(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = tmp_path / "a.txt"
    article.write_text(SOURCE, encoding="utf-8")
    report = tmp_path / "out" / "review.html"
    argv = ["fix", str(article), "--base-url", server.base_url, "--report", str(report)]
    assert main([*argv, "--json"]) == 0
    out, err = capsys.readouterr()
    saved = tmp_path / "out" / "review.result.json"
    result = RepairResult.model_validate_json(saved.read_text(encoding="utf-8"))
    assert result == RepairResult.model_validate_json(out)  # what --json printed
    assert result.source_file == str(article) and result.finished_at is not None
    assert f"report in {report}; its result in {saved}" in err
    page = report.read_text(encoding="utf-8")
    assert f"<dt>Article</dt><dd>{article}</dd>" in page
    assert f"<dt>Repaired</dt><dd>{result.finished_at:%Y-%m-%d %H:%M} UTC</dd>" in page
    assert f"<code>repair apply {saved} --reject N</code>" in page
    # The report's own command works, with no second run.
    assert main(["apply", str(saved)]) == 0
    assert capsys.readouterr().out == result.text == EXPECTED
    # Markdown: the same, beside it.
    assert main([*argv[:-1], str(tmp_path / "review.md")]) == 0
    assert (tmp_path / "review.result.json").is_file()


@pytest.mark.parametrize(
    ("article_name", "extra", "clash"),
    [
        ("story.result.json", ["--report", "story.md"], "the input"),
        ("a.txt", ["--report", "r.html", "-o", "r.result.json"], "-o"),
    ],
)
def test_the_saved_result_never_lands_on_another_file(
    article_name: str,
    extra: list[str],
    clash: str,
    server: FakeServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / article_name).write_text(SOURCE, encoding="utf-8")
    code = main(["fix", article_name, "--base-url", server.base_url, "--format", "text", *extra])
    err = capsys.readouterr().err
    assert code == 2 and f"the same file as {clash}; choose another name" in err
    assert (tmp_path / article_name).read_text(encoding="utf-8") == SOURCE
    assert server.chat_requests() == []  # refused before the model was paid


def test_check_says_which_model_read_the_meaning(
    server: FakeServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    (tmp_path / "a.txt").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "b.txt").write_text(EXPECTED, encoding="utf-8")
    argv = ["check", str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]
    assert main([*argv, "--verify", "model", "--base-url", server.base_url, "--model", "m1"]) == 0
    assert capsys.readouterr().err.endswith("negations; meaning checked by m1\n")
    server.script("not-json")
    assert main([*argv, "--verify", "model", "--base-url", server.base_url, "--model", "m1"]) == 0
    err = capsys.readouterr().err
    assert err.endswith("negations; meaning not checked: the answers of m1 could not be used\n")


# --- the picture in the README ----------------------------------------------------------


def _docs_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_report", ROOT / "docs" / "make_report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_docs_script_makes_the_page_and_its_result(tmp_path: Path) -> None:
    assert _docs_script().main(["--out", str(tmp_path), "--no-picture"]) == 0
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    result = RepairResult.model_validate_json((tmp_path / "report.result.json").read_bytes())
    assert len(result.flagged) == 1 and result.flagged[0].rejected
    assert "Refused: the model’s wording" in page
    assert "<dt>Article</dt><dd>golden/trade-fair-names/input.txt</dd>" in page
    assert "<code>repair apply report.result.json --reject N</code>" in page
    # The default case is the one with suggestions, so the picture shows that section too.
    assert result.suggestions and "Suggestions for the editor" in page


def test_the_report_in_docs_is_todays() -> None:
    # Stale once the prompts change: run `python docs/make_report.py` to draw it again.
    page = (ROOT / "docs" / "report.html").read_text(encoding="utf-8")
    version = prompts.template_version("minimal")
    assert f"<dt>Template</dt><dd>{version}</dd>" in page, "run python docs/make_report.py"
    assert 'class="checked"' in page and data_dir("golden").is_dir()


CHROMIUM = shutil.which("chromium")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_a_browser_shows_suggestions_and_the_refused_wording(
    flagged: RepairResult, tmp_path: Path
) -> None:
    flagged.suggestions = [
        suggest(flagged, "S1", "P3", "Nina Khrushcheva", f"{ATTACK}x", "name", "high", ATTACK)
    ]
    target = tmp_path / "report.html"
    target.write_text(render_html(flagged, "r.json"), encoding="utf-8")
    assert CHROMIUM is not None
    argv = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
        target.as_uri(),
    ]  # fmt: skip
    dom = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True).stdout
    assert "<script" not in dom.lower() and "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "<mark>Nina Khrushcheva</mark>" in dom
    assert '<div class="refused">' in dom and '<details class="kept">' in dom
    assert dom.index('id="suggestions"') < dom.index('id="attention"')
