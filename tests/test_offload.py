"""The CPU-heavy steps of a repair run off the event loop, in the executor given."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from repair import arepair_article, pipeline
from repair.errors import FactError
from repair.results import ValidationIssue
from repair.testing.fake import FakeServer
from tests.conftest import config_for, small_article

SOURCE, EXPECTED = small_article()


async def test_the_checks_run_off_the_event_loop_in_the_executor_given(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wall of text takes long to check: on the loop it would hold up every request in
    flight. The unit checks, the reading of names and the final report run elsewhere."""
    where: dict[str, set[str]] = {"unit": set(), "names": set(), "final": set()}
    check, names, final = pipeline.validate_paragraph, pipeline.find_clusters, pipeline.check

    def noting(step: str, work: Any) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            where[step].add(threading.current_thread().name)
            return work(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(pipeline, "validate_paragraph", noting("unit", check))
    monkeypatch.setattr(pipeline, "find_clusters", noting("names", names))
    monkeypatch.setattr(pipeline, "check", noting("final", final))
    loop_thread = threading.current_thread().name
    result = await arepair_article(SOURCE, config_for(server, glossary_pass=False))
    assert result.text == EXPECTED
    assert all(threads and loop_thread not in threads for threads in where.values()), where
    with ThreadPoolExecutor(1, thread_name_prefix="given") as given:
        for threads in where.values():
            threads.clear()
        result = await arepair_article(
            SOURCE, config_for(server, glossary_pass=False), executor=given
        )
    assert result.text == EXPECTED
    assert all(
        threads and all(t.startswith("given") for t in threads) for threads in where.values()
    ), where


def test_a_check_that_cannot_read_the_facts_keeps_the_original(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks cross into the executor as a batch; a FactError for one unit comes back
    as its reason, not as an exception that loses the others."""

    def unreadable(*_: Any, **__: Any) -> list[ValidationIssue]:
        raise FactError("the numbers could not be read")

    monkeypatch.setattr(pipeline, "validate_paragraph", unreadable)
    result = pipeline.repair_article(SOURCE, config_for(server, glossary_pass=False, max_reasks=0))
    assert result.text == SOURCE
    assert {p.reason_code for p in result.paragraphs if p.status == "kept-original"} == {
        "facts-unchecked"
    }
