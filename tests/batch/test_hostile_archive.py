"""An archive that fights back: one bad entry must not stop the batch.

Each used to end the whole job on every rerun, with an empty manifest: a link loop in SRC,
a file name that is not UTF-8, JSONL text with a lone surrogate. Now each bad entry is
skipped with its reason and the good articles are repaired.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest

from repair import batch
from repair.batch.archive import count_articles, read_archive
from repair.cli import main
from repair.testing.fake import FakeServer
from tests.batch.test_job import PAIRS, make_folder, manifest, tree
from tests.conftest import TEST_KEY, config_for


def reasons(out: Path) -> dict[str, tuple[str, str | None]]:
    return {e["source"]: (e["status"], e["reason"]) for e in manifest(out)}


def run_cli(
    src: Path, out: Path, server: FakeServer, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str]:
    argv = ["batch", str(src), "--out", str(out), "--base-url", server.base_url]
    code = main([*argv, "--progress", "none", "--no-glossary", *extra])
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
