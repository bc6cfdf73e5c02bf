"""An archive and an output folder that fight back: one bad entry must not stop the batch.

Each used to end the whole job on every rerun, with an empty manifest: a link loop in SRC,
a file name that is not UTF-8, JSONL text with a lone surrogate. A link inside --out led
writes and deletions outside it. Now each bad entry is skipped with its reason, the good
articles are repaired, and nothing is written or deleted outside --out. A disk that is
full or a folder that is read-only stops the job in one line, with the state kept.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from repair import batch
from repair.batch.archive import count_articles, read_archive
from repair.batch.store import STORE_NAME
from repair.cli import main
from repair.testing.fake import FakeServer
from tests.batch.test_job import PAIRS, make_folder, manifest, requests, tree
from tests.conftest import TEST_KEY, config_for


def reasons(out: Path) -> dict[str, tuple[str, str | None]]:
    return {e["source"]: (e["status"], e["reason"]) for e in manifest(out)}


def run_cli(
    src: Path, out: Path, server: FakeServer, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str]:
    argv = ["batch", str(src), "--out", str(out), "--base-url", server.base_url]
    # The ledger only: these tests count the requests each article makes.
    code = main([*argv, "--progress", "none", "--no-glossary", "--verify", "rules", *extra])
    return code, capsys.readouterr().err


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)


# --- the source -----------------------------------------------------------------------


def test_link_loops_in_the_source_are_skipped_on_every_run(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_folder(tmp_path / "src", {"a.txt": PAIRS[0][0], "z/c.txt": PAIRS[2][0]})
    (src / "self.txt").symlink_to("self.txt")
    (src / "ping.txt").symlink_to("pong.txt")
    (src / "pong.txt").symlink_to("ping.txt")
    (src / "z" / "up").symlink_to("..")  # a folder link back up: not followed
    out = tmp_path / "out"
    for _ in range(2):  # the rerun used to die the same way
        code, err = run_cli(src, out, server, capsys)
        assert code == 1, err
        assert reasons(out) == {
            "a.txt": ("repaired", None),
            "ping.txt": ("skipped", "unreadable"),
            "pong.txt": ("skipped", "unreadable"),
            "self.txt": ("skipped", "unreadable"),
            "z/c.txt": ("repaired", None),
        }
        assert "loop" in manifest(out)[1]["error"]
        assert "Traceback" not in err and "done: 5 article(s)" in err
    assert tree(out) == {"a.txt": PAIRS[0][1].encode(), "z/c.txt": PAIRS[2][1].encode()}


def test_a_file_name_that_is_not_utf8_is_skipped_by_its_escaped_name(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_folder(tmp_path / "src", {"a.txt": PAIRS[0][0], "b.txt": PAIRS[1][0]})
    odd = os.path.join(os.fsencode(src), b"caf\xe9.txt")  # Latin-1 "café.txt"
    with open(odd, "wb") as article:
        article.write(PAIRS[2][0].encode())
    out = tmp_path / "out"
    code, err = run_cli(src, out, server, capsys)
    assert code == 1, err
    assert reasons(out) == {
        "a.txt": ("repaired", None),
        "b.txt": ("repaired", None),
        "caf\\xe9.txt": ("skipped", "bad-name"),
    }
    assert "not valid UTF-8" in manifest(out)[2]["error"]
    assert tree(out) == {"a.txt": PAIRS[0][1].encode(), "b.txt": PAIRS[1][1].encode()}
    assert "Traceback" not in err


def test_jsonl_text_with_a_lone_surrogate_is_skipped_before_any_writer(
    server: FakeServer, tmp_path: Path
) -> None:
    good = [json.dumps({"id": f"g{i}", "text": PAIRS[i][0]}) for i in range(2)]
    lines = [
        good[0],
        '{"id": "s1", "text": "Moscow \\ud800 said"}',
        '{"id": "\\udc00", "text": "an id no file can hold"}',
        '{"id": "s3", "text": "fine", "meta": {"by": ["\\ud83d", "x"]}}',
        '{"id": "pair", "text": "a real pair \\ud83d\\ude00 is one character"}',
        good[1],
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    summary = batch.run(src, out, config_for(server, glossary_pass=False))
    assert reasons(out) == {
        "line 1": ("repaired", None),
        "line 2": ("skipped", "lone-surrogate"),
        "line 3": ("skipped", "lone-surrogate"),
        "line 4": ("skipped", "lone-surrogate"),
        "line 5": ("repaired", None),  # a pair is not a lone surrogate
        "line 6": ("repaired", None),
    }
    output = [json.loads(line) for line in (out / "in.jsonl").read_text("utf-8").splitlines()]
    assert len(output) == len(lines) and summary.output == str(out / "in.jsonl")
    assert output[1] == {
        "id": None,
        "repair_source": "line 2",
        "repaired_text": None,
        "repair_status": "skipped",
        "repair_reason": "lone-surrogate",
    }
    assert output[4]["repaired_text"] == "a real pair \U0001f600 is one character"
    assert summary.exit_code == 1


def test_a_folder_that_cannot_be_listed_is_an_entry_of_its_own(
    server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_folder(
        tmp_path / "src",
        {"a.txt": PAIRS[0][0], "locked/b.txt": PAIRS[1][0], "z.txt": PAIRS[2][0]},
    )
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:  # root can read anything: refuse one folder here
        if Path(os.fsdecode(path)).name == "locked":
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert [a.origin for a in read_archive(src, max_chars=10_000)] == ["a.txt", "z.txt", "locked/"]
    assert count_articles(src) == 3
    out = tmp_path / "out"
    summary = batch.run(src, out, config_for(server, glossary_pass=False))
    assert reasons(out)["locked/"] == ("skipped", "unreadable")
    assert "Permission denied" in manifest(out)[2]["error"]
    assert summary.statuses["repaired"] == 2 and summary.total == 3


def test_a_named_pipe_is_skipped_not_read_for_ever(server: FakeServer, tmp_path: Path) -> None:
    src = make_folder(tmp_path / "src", {"a.txt": PAIRS[0][0]})
    os.mkfifo(src / "pipe.txt")
    summary = batch.run(src, tmp_path / "out", config_for(server, glossary_pass=False))
    assert reasons(tmp_path / "out") == {
        "a.txt": ("repaired", None),
        "pipe.txt": ("skipped", "not-a-file"),
    }
    assert summary.exit_code == 1


# --- the output folder ----------------------------------------------------------------


def test_nothing_is_written_or_deleted_outside_out_through_a_link(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_folder(
        tmp_path / "src",
        {
            "a.txt": PAIRS[0][0],
            "world/b.md": PAIRS[1][0],  # would overwrite outside/b.md
            "world/gone.txt": b"",  # empty: skipped, and its output removed... outside
            "loop/c.txt": PAIRS[2][0],
        },
    )
    outside = make_folder(tmp_path / "outside", {"b.md": "precious", "gone.txt": "keep me"})
    notes = make_folder(tmp_path / "notes", {"list.txt": "do not truncate"})
    out = tmp_path / "out"
    out.mkdir()
    (out / "world").symlink_to(outside, target_is_directory=True)
    (out / "loop").symlink_to("loop")
    (out / "manifest.jsonl").symlink_to(notes / "list.txt")
    before = {p.name: p.read_bytes() for p in [*outside.iterdir(), *notes.iterdir()]}
    code, err = run_cli(src, out, server, capsys)
    assert code == 1, err
    assert {p.name: p.read_bytes() for p in [*outside.iterdir(), *notes.iterdir()]} == before
    assert reasons(out) == {
        "a.txt": ("repaired", None),
        "loop/c.txt": ("skipped", "unsafe-output"),
        "world/b.md": ("skipped", "unsafe-output"),
        "world/gone.txt": ("skipped", "empty"),
    }
    by = {e["source"]: e for e in manifest(out)}
    assert "outside --out" in by["world/b.md"]["error"] and by["world/b.md"]["calls"] == 0
    assert "link loop" in by["loop/c.txt"]["error"]
    assert requests(server) == 1  # only a.txt was worth paying for
    assert not (out / "manifest.jsonl").is_symlink()  # replaced, its target left alone
    # With the link gone, the same command does the rest.
    (out / "world").unlink()
    (out / "loop").unlink()
    code, _ = run_cli(src, out, server, capsys)
    assert reasons(out)["world/b.md"] == ("repaired", None)
    assert (out / "world" / "b.md").read_text(encoding="utf-8") == PAIRS[1][1]


def test_a_store_that_is_a_link_is_refused(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_folder(tmp_path / "src", {"a.txt": PAIRS[0][0]})
    out = tmp_path / "out"
    out.mkdir()
    (out / STORE_NAME).symlink_to(tmp_path / "elsewhere.sqlite")
    code, err = run_cli(src, out, server, capsys)
    assert code == 2 and "is a link" in err and not (tmp_path / "elsewhere.sqlite").exists()


def test_a_folder_where_an_output_goes_skips_that_article_only(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_folder(tmp_path / "src", {"a.txt": PAIRS[0][0], "b.txt": PAIRS[1][0]})
    out = tmp_path / "out"
    (out / "a.txt").mkdir(parents=True)
    code, err = run_cli(src, out, server, capsys)
    assert code == 1, err
    assert reasons(out) == {"a.txt": ("skipped", "unwritable"), "b.txt": ("repaired", None)}
    assert "Is a directory" in manifest(out)[0]["error"]
    sent = requests(server)
    (out / "a.txt").rmdir()
    code, _ = run_cli(src, out, server, capsys)
    assert code == 0 and requests(server) == sent  # its answer was kept: nothing asked again
    assert (out / "a.txt").read_text(encoding="utf-8") == PAIRS[0][1]


def test_a_manifest_that_cannot_be_written_stops_before_any_work(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_folder(tmp_path / "src", {"a.txt": PAIRS[0][0]})
    out = tmp_path / "out"
    (out / "manifest.jsonl").mkdir(parents=True)  # what a read-only folder does, as root
    code, err = run_cli(src, out, server, capsys)
    assert code == 2 and requests(server) == 0
    assert err.count("\n") == 1 and err.startswith("repair: error: cannot write")
    assert "manifest.jsonl" in err
    (out / "manifest.jsonl").rmdir()
    assert run_cli(src, out, server, capsys)[0] == 0


def _failing_fsync(error: int, after: int) -> Callable[[int], None]:
    """os.fsync that fails with `error` from the `after`+1-th call on: where a full disk
    or a read-only remount shows itself in write_atomically."""
    real = os.fsync
    calls = 0

    def fsync(fd: int) -> None:
        nonlocal calls
        calls += 1
        if calls > after:
            raise OSError(error, os.strerror(error))
        real(fd)

    return fsync


@pytest.mark.parametrize(
    ("error", "words"),
    [(errno.ENOSPC, "No space left on device"), (errno.EROFS, "Read-only file system")],
)
def test_a_full_or_read_only_disk_is_one_line_and_the_state_resumes(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    error: int,
    words: str,
) -> None:
    src = make_folder(tmp_path / "src", {f"{i}.txt": s for i, (s, _) in enumerate(PAIRS)})
    with FakeServer(ttft=0.02) as server:
        batch.run(src, tmp_path / "clean", config_for(server, glossary_pass=False))
        clean = requests(server)
        out = tmp_path / "out"
        with monkeypatch.context() as patched:
            patched.setattr(os, "fsync", _failing_fsync(error, after=3))
            code, err = run_cli(src, out, server, capsys, "--concurrency", "2")
        assert code == 2
        assert err.count("\n") == 1 and words in err and "run the same command" in err
        assert "Traceback" not in err
        written = len(tree(out))
        assert 0 < written < len(PAIRS)  # whatever is there is whole, nothing half-written
        assert not list(out.rglob("*.tmp"))
        code, err = run_cli(src, out, server, capsys, "--concurrency", "2")
        assert code == 0, err
        assert tree(out) == tree(tmp_path / "clean")
        assert len(manifest(out)) == len(PAIRS)
        # The finished articles came from the store, the cut-off ones at most once again.
        assert requests(server) - clean <= clean + 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod; see the tests above")
def test_a_read_only_output_folder_is_one_line(
    server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_folder(tmp_path / "src", {"a.txt": PAIRS[0][0]})
    out = tmp_path / "out"
    run_cli(src, out, server, capsys)
    (out / "a.txt").unlink()
    out.chmod(0o555)
    try:
        code, err = run_cli(src, out, server, capsys)
    finally:
        out.chmod(0o755)
    assert code == 2 and err.count("\n") == 1 and "cannot write" in err
