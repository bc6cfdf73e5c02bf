"""HTML and Markdown articles end to end: through the real SDK, over HTTP, to the fake server.

The golden HTML and Markdown cases must come back as their hand-written references, byte
for byte: the words repaired, the markup as it was. A model that drops or doubles a
placeholder is asked again; if it keeps doing so, that paragraph keeps its original
markup and words, flagged.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from repair import ReasonCode, RepairResult, repair_article
from repair.cli import main
from repair.edits import edits_of
from repair.formats import Format, parse
from repair.formats.inline import plain
from repair.review import apply_choices
from repair.testing.fake import FakeServer
from repair.testing.golden import GoldenCase, load_cases
from repair.validation import check
from repair.validation.markup import html_skeleton, markdown_skeleton
from tests.conftest import TEST_KEY, config_for

MARKUP_CASES = [c for c in load_cases() if c.format is not Format.TEXT and c.reference]

# A small CMS body: a link, emphasis, a line break, a footnote marker and a figure.
HTML_BODY = (
    "<article>\n<h2>The envoy <em>is returning</em></h2>\n"
    '<p>The envoy <a href="https://example.org/w" title="profile">Steve Witcooff</a> has '
    "flown to Moscow on Tuesday<br>for the fifth time.<sup>1</sup></p>\n"
    '<figure><img src="w.jpg" alt="Witkoff"><figcaption>The envoy in Moscow '
    '<span class="credit">Reuters/Kevin Lamarque</span></figcaption></figure>\n</article>\n'
)


def _repair(server: FakeServer, text: str, fmt: Format, **overrides: object) -> RepairResult:
    result = repair_article(text, config_for(server, **overrides), fmt=fmt)
    assert TEST_KEY not in result.model_dump_json()
    return result


def _skeleton(fmt: Format, text: str) -> list[tuple[str, ...]]:
    return html_skeleton(text) if fmt is Format.HTML else markdown_skeleton(text)


def test_the_suite_has_an_html_and_a_markdown_case() -> None:
    assert {c.format for c in MARKUP_CASES} == {Format.HTML, Format.MARKDOWN}


@pytest.mark.parametrize("case", MARKUP_CASES, ids=[c.name for c in MARKUP_CASES])
def test_golden_markup_case_is_repaired_to_its_reference(
    server: FakeServer, case: GoldenCase
) -> None:
    assert case.reference is not None
    result = _repair(server, case.input, case.format)
    assert result.format == case.format.value
    assert result.text == case.reference
    assert result.ok, [i.message for i in result.report.issues] if result.report else None
    assert _skeleton(case.format, result.text) == _skeleton(case.format, case.input)
    assert sum(p.status == "repaired" for p in result.paragraphs) > 10


@pytest.mark.parametrize("case", MARKUP_CASES, ids=[c.name for c in MARKUP_CASES])
def test_markup_never_reaches_the_model(server: FakeServer, case: GoldenCase) -> None:
    """Attributes, scripts, front matter and code stay out of every prompt."""
    hidden = {
        Format.HTML: ["href=", "<script", "<!--", "src=", "class="],
        Format.MARKDOWN: ["](http", "```", "title:", "**"],
    }[case.format]
    assert all(marker in case.input for marker in hidden)
    result = _repair(server, case.input, case.format)
    assert result.ok
    sent = "\n".join(server.user_messages)
    assert "<t1>" in sent
    for marker in hidden:
        assert marker not in sent, marker
    for paragraph in parse(case.input, case.format).paragraphs:
        for marker in hidden:
            assert marker not in paragraph.text, (paragraph.id, marker)


@pytest.mark.parametrize("fault", ["drop-placeholder", "duplicate-placeholder"])
def test_a_spoiled_placeholder_is_asked_again_and_recovers(server: FakeServer, fault: str) -> None:
    server.script(fault)
    result = _repair(server, HTML_BODY, Format.HTML, glossary_pass=False)
    requests = server.chat_requests()
    assert [r.fault for r in requests] == [fault, None]
    assert requests[1].units  # the re-ask names only the paragraph that was spoiled
    assert len(requests[1].units) < len(requests[0].units)
    assert result.ok
    assert html_skeleton(result.text) == html_skeleton(HTML_BODY)


@pytest.mark.parametrize("fault", ["drop-placeholder", "duplicate-placeholder"])
def test_a_placeholder_spoiled_every_time_keeps_the_original_flagged(
    server: FakeServer, fault: str
) -> None:
    server.script(*[fault] * 10)
    result = _repair(server, HTML_BODY, Format.HTML, glossary_pass=False, max_reasks=2)
    assert len(server.chat_requests()) == 3  # one ask and two re-asks, then give up
    flagged = result.flagged
    assert len(flagged) == 1
    paragraph = flagged[0]
    assert paragraph.repaired == paragraph.source  # markup and words as they were
    assert paragraph.source in HTML_BODY
    assert "placeholder" in (paragraph.reason or "")
    assert paragraph.reason_code is ReasonCode.MARKUP_CHANGED
    assert paragraph.attempts == 3
    assert paragraph.source in result.text
    assert html_skeleton(result.text) == html_skeleton(HTML_BODY)


def test_an_html_result_can_be_edited_back_and_forth(server: FakeServer) -> None:
    case = next(c for c in MARKUP_CASES if c.format is Format.HTML)
    result = _repair(server, case.input, case.format)
    edits = edits_of(result)
    assert edits
    outcome = apply_choices(result, reject={e.number for e in edits})
    everything, report = outcome.text, outcome.report
    assert everything == case.input  # every edit undone: the original, byte for byte
    assert report.ok
    kept = apply_choices(result).text
    assert kept == result.text


# --- the command line ------------------------------------------------------------------


def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)


def test_fix_tells_the_format_from_the_suffix_and_keeps_it(
    server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _key(monkeypatch)
    case = next(c for c in MARKUP_CASES if c.format is Format.MARKDOWN)
    source = tmp_path / "story.md"
    source.write_text(case.input, encoding="utf-8")
    out = tmp_path / "fixed.md"
    code = main(["fix", str(source), "-o", str(out), "--base-url", server.base_url])
    assert code == 0
    assert out.read_text(encoding="utf-8") == case.reference


def test_fix_format_flag_overrides_detection(
    server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An HTML body saved as .txt is repaired as HTML when told so, as text otherwise."""
    _key(monkeypatch)
    source = tmp_path / "body.txt"
    source.write_text("<p>Witcooff <b>said</b> it.</p>\n", encoding="utf-8")
    out = tmp_path / "a.json"
    base = ["fix", str(source), "--json", "--base-url", server.base_url, "-o", str(out)]
    code = main([*base, "--format", "html"])
    assert code == 0
    assert "Witcooff <t1>said</t1> it." in server.user_messages[-1]
    code = main(base)
    assert code == 0
    assert "<p>Witcooff <b>said</b> it.</p>" in server.user_messages[-1]


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        (('href="https://www.mk.ru/"', 'href="https://evil.example/"'), "structure"),
        (("<em>Moskovsky Komsomolets</em>", "Moskovsky Komsomolets"), "structure"),
        (("collision has seemed inevitable", "collision has not seemed inevitable"), "negation"),
    ],
)
def test_check_reports_markup_and_facts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str], kind: str
) -> None:
    case = next(c for c in MARKUP_CASES if c.format is Format.HTML)
    assert case.reference is not None and change[0] in case.reference
    source = tmp_path / "in.html"
    repaired = tmp_path / "out.html"
    source.write_text(case.input, encoding="utf-8")
    repaired.write_text(case.reference.replace(change[0], change[1], 1), encoding="utf-8")
    assert main(["check", str(source), str(repaired)]) == 1
    assert f"[{kind}]" in capsys.readouterr().out
    repaired.write_text(case.reference, encoding="utf-8")
    assert main(["check", str(source), str(repaired)]) == 0


def test_check_as_text_ignores_the_markup(tmp_path: Path) -> None:
    source = tmp_path / "in.html"
    repaired = tmp_path / "out.html"
    source.write_text('<p><a href="a">Kiev</a> fell 5%.</p>', encoding="utf-8")
    repaired.write_text('<p><a href="b">Kiev</a> fell 5%.</p>', encoding="utf-8")
    assert not check(source.read_text(), repaired.read_text(), Format.HTML).ok
    assert main(["check", str(source), str(repaired), "--format", "text"]) == 1  # tags as words
    assert main(["check", str(source), str(repaired), "--format", "html"]) == 1


def test_batch_repairs_each_file_in_its_own_format(
    server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _key(monkeypatch)
    archive = tmp_path / "archive"
    (archive / "sub").mkdir(parents=True)
    suffix = {Format.HTML: ".html", Format.MARKDOWN: ".md"}
    for case in MARKUP_CASES:
        (archive / "sub" / f"{case.name}{suffix[case.format]}").write_text(
            case.input, encoding="utf-8"
        )
    code = main(
        ["batch", str(archive), "--out", str(tmp_path / "out"), "--base-url", server.base_url]
    )
    assert code == 0
    for case in MARKUP_CASES:
        written = tmp_path / "out" / "sub" / f"{case.name}{suffix[case.format]}"
        assert written.read_text(encoding="utf-8") == case.reference


def test_batch_jsonl_reads_html_and_markdown_fields(
    server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _key(monkeypatch)
    field = {Format.HTML: "html", Format.MARKDOWN: "markdown"}
    lines = [{"id": c.name, field[c.format]: c.input, "desk": "world"} for c in MARKUP_CASES]
    lines.append({"id": "both", "html": "<p>a</p>", "text": "a"})
    src = tmp_path / "a.jsonl"
    src.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    code = main(["batch", str(src), "--out", str(tmp_path / "out"), "--base-url", server.base_url])
    assert code == 1  # the ambiguous line is skipped
    out = [json.loads(x) for x in (tmp_path / "out" / "a.jsonl").read_text().splitlines()]
    by_id = {o["id"]: o for o in out}
    for case in MARKUP_CASES:
        row = by_id[case.name]
        assert row[f"repaired_{field[case.format]}"] == case.reference
        assert row["desk"] == "world" and row["repair_status"] == "repaired"
    assert by_id["both"]["repair_status"] == "skipped"
    assert by_id["both"]["repair_reason"] == "ambiguous-body"


@pytest.mark.parametrize(
    ("fmt", "hostile"),
    [
        (Format.HTML, "<p>" + "<span>" * 3000 + "deep" + "</span>" * 3000),
        (Format.HTML, "<p>a" + "<sup>1" * 3000),
        (Format.HTML, "<p>Word <![if !supportLists]>list<![endif]> and <![ b>c</p>"),
        (Format.HTML, "<p>x" + "<!--a" * 500),
        (Format.MARKDOWN, "[" * 5000 + "a" + "](x)" * 5000),
        (Format.MARKDOWN, " ".join("`" * i for i in range(1, 200))),
        (Format.MARKDOWN, "a <!--" * 2000 + "\n\n" + "b [^" * 2000),
    ],
    ids=["deep-html", "unclosed-atoms", "word-sections", "comments", "nested-links", "ticks", "md"],
)
def test_hostile_markup_neither_crashes_nor_changes(fmt: Format, hostile: str) -> None:
    document = parse(hostile, fmt)
    assert document.join() == hostile
    assert document.join({p.id: p.text for p in document.paragraphs}) == hostile
    assert check(hostile, hostile, fmt).ok


def test_words_that_would_change_markdown_are_asked_again_then_kept() -> None:
    """The scanner reads a stray '*' here as text; markdown-it reads it as emphasis. An
    answer that changes the words around it would escape it and change the markup: the
    block check refuses it, asks again, and keeps the original, flagged."""
    source = "Prices **rose*fell** sharply in May.\n"
    (paragraph,) = parse(source, Format.MARKDOWN).paragraphs
    assert "*" in plain(paragraph.text)  # the stray delimiter travels as a word
    answer = paragraph.text.replace("sharply", "steeply")
    with FakeServer(answers={" ".join(paragraph.text.split()): answer}) as server:
        result = _repair(server, source, Format.MARKDOWN, glossary_pass=False, max_reasks=2)
        assert len(server.chat_requests()) == 3
    (flagged,) = result.flagged
    assert "changed the markup" in (flagged.reason or "")
    assert flagged.reason_code is ReasonCode.MARKUP_CHANGED
    assert result.text == source
