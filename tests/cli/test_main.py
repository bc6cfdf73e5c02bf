"""The command line, as a user types it: argv in, exit code and output out."""

from __future__ import annotations

import codecs
import importlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from repair.cli import main
from repair.cli.common import ProgressPrinter, chunk_printer
from repair.cli.output import flagged_lines
from repair.results import ParagraphResult, ReasonCode
from repair.testing.fake import FakeServer
from tests.conftest import TEST_KEY, golden_pair, small_article


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "article.txt"
    path.write_text(small_article()[0], encoding="utf-8")
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_fix_prints_the_repair_and_exits_0(
    server: FakeServer,
    article: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    code, out, err = run(["fix", str(article), "--base-url", server.base_url], capsys)
    assert code == 0
    assert out == small_article()[1]
    assert "3 repaired" in err
    assert TEST_KEY not in out + err


def test_fix_json_and_output_file(
    server: FakeServer, article: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["fix", str(article), "--base-url", server.base_url, "--json", "--verify", "rules"]
    code, out, _ = run(argv, capsys)
    result = json.loads(out)
    assert code == 0 and result["text"] == small_article()[1]
    assert {p["status"] for p in result["paragraphs"]} == {"repaired"}
    assert result["usage"]["calls"] == 1 and result["template_version"].startswith("repair@")
    target = tmp_path / "out" / "fixed.txt"
    code, out, _ = run(
        ["fix", str(article), "--base-url", server.base_url, "-o", str(target)], capsys
    )
    assert code == 0 and out == "" and target.read_text(encoding="utf-8") == small_article()[1]


def test_fix_exits_1_when_a_paragraph_is_flagged(
    server: FakeServer, article: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.script(*["empty"] * 3)
    code, out, err = run(["fix", str(article), "--base-url", server.base_url], capsys)
    assert code == 1
    assert out == small_article()[0]  # nothing lost: the original text, flagged
    assert "flagged P1" in err


def test_fix_reads_stdin(
    server: FakeServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(small_article()[0].encode())))
    code, out, _ = run(["fix", "-", "--base-url", server.base_url], capsys)
    assert code == 0 and out == small_article()[1]


def test_no_configuration_explains_how_to_configure(
    article: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["fix", str(article)], capsys)
    assert code == 2 and out == ""
    assert "OPENAI_API_KEY" in err and "--base-url" in err and "repair demo" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"  \n\t\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        (b"caf\x81 and \x98", "not UTF-8, Windows-1252 or Windows-1251"),
    ],
)
def test_bad_input_exits_2_with_a_reason(
    tmp_path: Path, content: bytes, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    code, _, err = run(["fix", str(path), "--base-url", "http://127.0.0.1:9/v1"], capsys)
    assert code == 2 and message in err


def test_other_encodings_and_limits(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Café in Zürich opened on Monday.".encode("latin-1"))
    code, out, _ = run(
        ["fix", str(path), "--base-url", server.base_url, "--encoding", "latin-1"], capsys
    )
    assert code == 0 and out == "Café in Zürich opened on Monday."
    code, _, err = run(
        [
            "fix",
            str(path),
            "--base-url",
            server.base_url,
            "--encoding",
            "latin-1",
            "--max-chars",
            "10",
        ],
        capsys,
    )
    assert code == 2 and "over the limit" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fix", "/no/such/file.txt", "--base-url", "http://127.0.0.1:9/v1"], "no such file"),
        (["fix", "/", "--base-url", "http://127.0.0.1:9/v1"], "is a directory"),
        (["demo", "no-such-case"], "no demo case"),
    ],
)
def test_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2 and message in err


def test_invalid_setting_is_a_clear_error(
    article: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        ["fix", str(article), "--base-url", "http://127.0.0.1:9/v1", "--concurrency", "0"], capsys
    )
    assert code == 2 and "concurrency" in err and "Traceback" not in err


def test_demo_prints_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["demo"], capsys)
    assert code == 0
    assert out == golden_pair()[1]
    assert "no model was called" in err


def test_demo_lists_cases(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["demo", "--list"], capsys)
    assert code == 0 and "putin-trump" in out.split()


def test_help_teaches_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["fix", "--help"])
    out = capsys.readouterr().out
    assert exited.value.code == 0
    assert "examples:" in out and "--base-url http://localhost:11434/v1" in out


def test_python_dash_m_and_no_traceback_without_configuration(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("Some text.", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "repair", "fix", str(article)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert "no model endpoint is configured" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_accepts_the_seed_reference(capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parents[2] / "golden" / "putin-trump"
    code, _, err = run(["check", str(root / "input.txt"), str(root / "reference.txt")], capsys)
    assert code == 0
    # What was checked and by what, and no more: the rules do not read meaning.
    assert err == (
        "repair check: no change found in names, numbers, dates, quotes or negations; "
        "meaning not checked\n"
    )


def test_check_names_a_changed_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, reference = golden_pair()
    original, changed = tmp_path / "in.txt", tmp_path / "out.txt"
    original.write_text(source, encoding="utf-8")
    changed.write_text(reference.replace("50-day", "60-day"), encoding="utf-8")
    code, out, _ = run(["check", str(original), str(changed)], capsys)
    assert code == 1 and "'50-day ultimatum' became '60-day ultimatum'" in out
    code, out, _ = run(["check", str(original), str(changed), "--json"], capsys)
    report = json.loads(out)
    assert code == 1 and not report["ok"] and report["issues"][0]["kind"] == "number"


def test_check_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    code, _, err = run(["check", str(empty), str(empty)], capsys)
    assert code == 2 and "empty" in err


# --- encodings: fix, check and batch read files through one decoder -------------------

CYRILLIC = "Газета «Московский комсомолец» написала об этом.\n"
LATIN = "The café in Zürich cost £5.\n"


def encoded_articles() -> dict[str, tuple[bytes, str, str | None]]:
    """name -> (the file's bytes, the repair `fix` prints, the note it gives on stderr)."""
    source, reference = small_article()
    short_source, short_reference = small_article(5, 1)  # no curly quotes: fits latin-1
    return {
        "cp1251": (
            (source + "\n" + CYRILLIC).encode("cp1251"),
            reference + "\n" + CYRILLIC,
            "decoded as cp1251",
        ),
        "latin-1": (
            (short_source + "\n" + LATIN).encode("latin-1"),
            short_reference + "\n" + LATIN,
            "decoded as cp1252",  # what latin-1 means in practice (see repair.files)
        ),
        "utf-16-le": (source.encode("utf-16-le"), reference, None),
        "utf-16-be": (codecs.BOM_UTF16_BE + source.encode("utf-16-be"), reference, None),
    }


ENCODINGS = list(encoded_articles())


@pytest.mark.parametrize("name", ENCODINGS)
def test_fix_and_check_read_any_common_encoding(
    server: FakeServer, tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data, repaired, note = encoded_articles()[name]
    if name == "utf-16-le":
        data = codecs.BOM_UTF16_LE + data
    path, reference = tmp_path / f"{name}.txt", tmp_path / "reference.txt"
    path.write_bytes(data)
    reference.write_text(repaired, encoding="utf-8")
    code, out, err = run(["fix", str(path), "--base-url", server.base_url], capsys)
    assert code == 0 and out == repaired
    if note is None:
        assert "repair: " + str(path) not in err  # nothing to say about UTF-16 with a BOM
    else:
        assert f"repair: {path}: {note}" in err
    code, _, err = run(["check", str(path), str(reference)], capsys)
    assert code == 0 and "no change found in names" in err


def test_fix_detects_the_encoding_of_standard_input(
    server: FakeServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data, repaired, _ = encoded_articles()["cp1251"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, err = run(["fix", "-", "--base-url", server.base_url], capsys)
    assert code == 0 and out == repaired and "repair: -: decoded as cp1251" in err


def test_encoding_option_forces_one(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, repaired, _ = encoded_articles()["cp1251"]
    path, reference = tmp_path / "cp1251.txt", tmp_path / "reference.txt"
    path.write_bytes(data)
    reference.write_text(repaired, encoding="utf-8")
    argv = ["fix", str(path), "--base-url", server.base_url, "--encoding", "cp1252"]
    code, out, err = run(argv, capsys)
    assert code == 0 and CYRILLIC.encode("cp1251").decode("cp1252") in out  # told, not guessed
    assert "decoded as" not in err
    code, _, err = run(["check", str(path), str(reference), "--encoding", "utf-8"], capsys)
    assert code == 2 and "not valid utf-8 (byte" in err and "--encoding utf-8 right?" in err
    code, _, err = run(["check", str(path), str(reference), "--encoding", "auto"], capsys)
    assert code == 0 and "no change found in names" in err


def test_a_byte_order_mark_wins_over_the_encoding_option(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, repaired = small_article()
    path = tmp_path / "utf16.txt"
    path.write_bytes(source.encode("utf-16"))
    argv = ["fix", str(path), "--base-url", server.base_url, "--encoding", "cp1251"]
    code, out, err = run(argv, capsys)
    assert code == 0 and out == repaired
    assert "read as utf-16 by its byte-order mark, not as cp1251" in err


@pytest.mark.parametrize("command", ["fix", "check", "batch"])
@pytest.mark.parametrize("encoding", ["no-such-codec", "rot13"])
def test_an_unknown_encoding_is_a_usage_error(
    tmp_path: Path, command: str, encoding: str, capsys: pytest.CaptureFixture[str]
) -> None:
    article = tmp_path / "a.txt"
    article.write_text("Some text.", encoding="utf-8")
    files = {
        "fix": [str(article), "--base-url", "http://127.0.0.1:9/v1"],
        "check": [str(article), str(article)],
        "batch": [str(tmp_path), "--out", str(tmp_path / "out")],
    }[command]
    with pytest.raises(SystemExit) as exited:
        main([command, *files, "--encoding", encoding])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert f"unknown encoding {encoding!r}" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_help_teaches_the_encoding_option(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("fix", "check", "batch"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = " ".join(capsys.readouterr().out.split())
        assert "--encoding NAME" in out and "default auto" in out and "forces it" in out


# --- progress -------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_fix_draws_a_chunk_count_on_a_terminal_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    screen = Terminal()
    with ProgressPrinter(screen, "bar") as printer:
        printer.chunks(1, 2)
        printer.chunks(2, 2)
    assert screen.getvalue().endswith("\r\x1b[Krepairing: 2/2 chunks\n")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert chunk_printer().mode == "bar"
    monkeypatch.setenv("CI", "true")
    assert chunk_printer().mode == "none"  # one article: no log lines in CI or pipes
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.delenv("CI")
    assert chunk_printer().mode == "none"


# --- the edges a new user hits ----------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fxi", "a.txt"], "did you mean 'fix'?"),
        (["chek", "a", "b"], "did you mean 'check'?"),
        (["fix", "a.txt", "--jsn"], "--jsn (did you mean --json?)"),
        (["batch", "src", "--out", "o", "--dryrun"], "did you mean --dry-run?"),
    ],
)
def test_a_typo_gets_the_commands_usage_and_a_suggestion(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert message in err
    if argv[0] in ("fix", "batch"):
        assert f"usage: repair {argv[0]}" in err  # the command's usage, not the top level's


def test_version_and_verbose_after_the_command(
    server: FakeServer, article: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0 and capsys.readouterr().out.startswith("repair ")
    code, out, _ = run(["fix", str(article), "--base-url", server.base_url, "-v", "-v"], capsys)
    assert code == 0 and out == small_article()[1]


def test_output_file_and_json_together(
    server: FakeServer, article: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "fixed.txt"
    argv = ["fix", str(article), "--base-url", server.base_url, "-o", str(target), "--json"]
    code, out, _ = run(argv, capsys)
    assert code == 0
    assert target.read_text(encoding="utf-8") == small_article()[1]
    assert json.loads(out)["text"] == small_article()[1]


@pytest.mark.parametrize(
    ("option", "where", "message"),
    [
        ("-o", "{tmp}", "is a folder"),
        ("--report", "{file}/report.html", "is a file, not a folder"),
        ("--log-requests", "/proc/nowhere/log.jsonl", "cannot write in /proc"),
    ],
)
def test_an_unwritable_output_stops_before_the_model_is_called(
    option: str,
    where: str,
    message: str,
    server: FakeServer,
    article: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = where.format(tmp=tmp_path, file=article)
    code, out, err = run(
        ["fix", str(article), "--base-url", server.base_url, option, target], capsys
    )
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
    assert server.chat_requests() == []  # nothing paid for


def test_log_requests_records_each_request_and_answer_without_the_key(
    server: FakeServer,
    article: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    log = tmp_path / "requests.jsonl"
    code, _, _ = run(
        ["fix", str(article), "--base-url", server.base_url, "--log-requests", str(log)], capsys
    )
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert code == 0 and len(lines) == len(server.chat_requests()) >= 1
    assert all(line["messages"] and "answer" in line for line in lines)
    assert TEST_KEY not in log.read_text(encoding="utf-8")


def test_an_internal_error_is_one_line_and_its_own_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    # repair.cli.main is the function (repair.cli re-exports it); the module is here:
    monkeypatch.setattr(importlib.import_module("repair.cli.main"), "check", broken)
    source = tmp_path / "a.txt"
    source.write_text("Four trips.\n", encoding="utf-8")
    code, _, err = run(["check", str(source), str(source)], capsys)
    assert code == 70 and err.strip().splitlines() == [
        "repair: internal error: RuntimeError: a bug; run with -v for the traceback"
    ]
    code, _, err = run(["check", str(source), str(source), "-v"], capsys)
    assert code == 70 and "Traceback" in err


def test_flagged_paragraphs_are_grouped_by_reason() -> None:
    def kept(pid: str, code: ReasonCode, reason: str) -> ParagraphResult:
        return ParagraphResult(
            id=pid,
            kind="paragraph",
            status="kept-original",
            source="s",
            repaired="s",
            reason=reason,
            reason_code=code,
        )

    flagged = [kept(f"P{i}", ReasonCode.ANSWER_UNUSABLE, "cut off") for i in range(1, 58)]
    flagged.append(kept("P60", ReasonCode.FACTS_CHANGED, "a number changed"))
    lines = flagged_lines(flagged)
    assert len(lines) == 2
    assert (
        lines[0].startswith("  flagged P1, P2")
        and "and 45 more (answer-unusable): cut off" in lines[0]
    )
    assert lines[1] == "  flagged P60 (facts-changed): a number changed"
