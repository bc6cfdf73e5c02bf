"""The batch store: job state and the content-addressed response cache (SQLite, WAL)."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from repair.batch.store import STORE_NAME, CachedChat, ResponseCache, Store, cache_key
from repair.errors import ConfigurationError, ModelCallError, OutputError
from repair.llm import ChatReply, ChatRequest
from repair.results import Usage

REQUEST = ChatRequest(
    messages=[{"role": "system", "content": "rules"}, {"role": "user", "content": "[[P1]] text"}],
    model="m",
    temperature=0.0,
    max_tokens=300,
)
REPLY = ChatReply(
    content="[[P1]] Text.",
    finish_reason="stop",
    model="m",
    usage=Usage(calls=1, prompt_tokens=10, completion_tokens=3, cached_tokens=2),
    attempts=2,
    wait_s=0.5,
    headers={"x-ratelimit-remaining-requests": "9"},
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path)
    yield opened
    opened.close()


def test_cache_key_depends_on_everything_that_shapes_the_answer() -> None:
    base = cache_key(REQUEST, "repair@1")
    assert base == cache_key(dataclasses.replace(REQUEST), "repair@1")  # stable
    changed = [
        cache_key(REQUEST, "repair@2"),
        cache_key(dataclasses.replace(REQUEST, model="other"), "repair@1"),
        cache_key(dataclasses.replace(REQUEST, temperature=0.7), "repair@1"),
        cache_key(dataclasses.replace(REQUEST, max_tokens=301), "repair@1"),
        cache_key(
            dataclasses.replace(REQUEST, messages=[{"role": "user", "content": "x"}]), "repair@1"
        ),
        cache_key(dataclasses.replace(REQUEST, response_format={"type": "json"}), "repair@1"),
    ]
    assert base not in changed and len(set(changed)) == len(changed)


def test_store_is_sqlite_in_wal_mode_and_locked(tmp_path: Path, store: Store) -> None:
    db = sqlite3.connect(tmp_path / STORE_NAME)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    with pytest.raises(ConfigurationError, match="another 'repair batch'"):
        Store.open(tmp_path)


def test_a_reply_round_trips_without_its_moment(store: Store) -> None:
    store.remember("k", REPLY)
    again = store.cached("k")
    assert again is not None
    assert (again.content, again.finish_reason, again.usage) == (
        REPLY.content,
        REPLY.finish_reason,
        REPLY.usage,
    )
    # Attempts, waiting and rate headers belonged to that moment, not to the answer.
    assert (again.attempts, again.wait_s, again.headers) == (0, 0.0, {})
    assert store.cached("missing") is None


def test_articles_state_and_manifest_order(store: Store) -> None:
    run = store.begin_run()
    assert store.meet("b.txt", "b.txt", 1, run) is None
    assert store.meet("a.txt", "a.txt", 0, run) is None
    store.finish("b.txt", "repaired", '{"n": "b"}', fingerprint="fb")
    store.finish("a.txt", "skipped", '{"n": "a"}')
    assert list(store.entries(run)) == ['{"n": "a"}', '{"n": "b"}']  # archive order
    assert store.start("b.txt") == 1 and store.start("b.txt") == 2
    later = store.begin_run()
    previous = store.meet("b.txt", "b.txt", 0, later)
    assert previous is not None
    assert (previous.status, previous.fingerprint, previous.tries) == ("repaired", "fb", 2)
    assert list(store.entries(later)) == ['{"n": "b"}']  # only what this run met
    assert store.unfinished(later) == 0


def test_duplicate_ids_are_found_within_one_run(store: Store) -> None:
    run = store.begin_run()
    store.meet("line 1", "x", 0, run)
    store.meet("line 2", "y", 1, run)
    assert store.first_with_id("x", "line 3", run) == "line 1"
    assert store.first_with_id("x", "line 1", run) is None  # itself
    assert store.first_with_id("z", "line 3", run) is None
    assert store.first_with_id("x", "line 3", store.begin_run()) is None  # another run


def test_peek_opens_read_only(tmp_path: Path, store: Store) -> None:
    assert Store.peek(tmp_path / "nowhere") is None
    peeked = Store.peek(tmp_path)
    assert peeked is not None
    with pytest.raises(sqlite3.OperationalError):
        peeked.remember("k", REPLY)
    peeked.close()


class Counting:
    """A ChatModel that counts requests (a unit test of the cache alone)."""

    def __init__(self, error: Exception | None = None) -> None:
        self.calls = 0
        self.error = error

    async def complete(self, request: ChatRequest) -> ChatReply:
        self.calls += 1
        await asyncio.sleep(0.01)
        if self.error:
            raise self.error
        return REPLY

    async def aclose(self) -> None:
        return None


async def test_cache_answers_a_repeat_without_a_request(store: Store) -> None:
    cache = ResponseCache(store, "repair@1")
    inner = Counting()
    first = CachedChat(cache, inner)
    assert (await first.complete(REQUEST)).attempts == 2
    second = CachedChat(cache, inner)
    assert (await second.complete(REQUEST)).attempts == 0
    assert inner.calls == 1 and (first.hits, second.hits) == (0, 1)
    assert cache.stats.sent == 1 and cache.stats.billed["m"].prompt_tokens == 10


async def test_twins_in_flight_share_one_request(store: Store) -> None:
    cache = ResponseCache(store, "repair@1")
    inner = Counting()
    chats = [CachedChat(cache, inner) for _ in range(3)]
    replies = await asyncio.gather(*(c.complete(REQUEST) for c in chats))
    assert inner.calls == 1
    assert [r.content for r in replies] == [REPLY.content] * 3
    assert sum(c.hits for c in chats) == 2


async def test_fresh_reads_ask_again_and_replace_the_answer(store: Store) -> None:
    cache = ResponseCache(store, "repair@1")
    inner = Counting()
    await CachedChat(cache, inner).complete(REQUEST)
    await CachedChat(cache, inner, read=False).complete(REQUEST)
    assert inner.calls == 2


async def test_one_article_asking_the_same_thing_again_is_a_re_ask(store: Store) -> None:
    cache = ResponseCache(store, "repair@1")
    inner = Counting()
    chat = CachedChat(cache, inner)
    await chat.complete(REQUEST)
    await chat.complete(REQUEST)
    assert inner.calls == 2 and chat.hits == 0
    await CachedChat(cache, inner).complete(REQUEST)  # another article: the stored answer
    assert inner.calls == 2


async def test_errors_are_not_cached(store: Store) -> None:
    cache = ResponseCache(store, "repair@1")
    failing = Counting(ModelCallError("down", status=503, attempts=5, retryable=True))
    with pytest.raises(ModelCallError):
        await CachedChat(cache, failing).complete(REQUEST)
    working = Counting()
    await CachedChat(cache, working).complete(REQUEST)
    assert working.calls == 1


async def test_an_answer_over_the_cap_is_used_but_not_kept(store: Store) -> None:
    cache = ResponseCache(store, "repair@1", max_answer_chars=len(REPLY.content or "") - 1)
    inner = Counting()
    assert (await CachedChat(cache, inner).complete(REQUEST)).content == REPLY.content
    assert store.cached(cache_key(REQUEST, "repair@1")) is None
    await CachedChat(cache, inner).complete(REQUEST)  # so it is asked again
    assert inner.calls == 2 and cache.stats.unstored == 2


async def test_this_runs_own_answers_are_shared_not_from_the_store(store: Store) -> None:
    cache = ResponseCache(store, "repair@1", run=store.begin_run())
    inner = Counting()
    await CachedChat(cache, inner).complete(REQUEST)
    await CachedChat(cache, inner).complete(REQUEST)  # a duplicate article, later
    assert (cache.stats.sent, cache.stats.shared, cache.stats.hits) == (1, 1, 0)
    later = ResponseCache(store, "repair@1", run=store.begin_run())
    await CachedChat(later, inner).complete(REQUEST)
    assert (later.stats.sent, later.stats.shared, later.stats.hits) == (0, 0, 1)


def test_a_store_made_before_answers_noted_their_run_still_opens(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / STORE_NAME)
    db.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, reply TEXT NOT NULL)")
    with Store.open(tmp_path / "fresh") as fresh:
        fresh.remember("k", REPLY)
        (reply,) = fresh._db.execute("SELECT reply FROM responses").fetchone()
    db.execute("INSERT INTO responses VALUES ('k', ?)", (reply,))
    db.commit()
    db.close()
    with Store.open(tmp_path) as store:
        found = store.lookup("k")
        assert found is not None and found[0].content == REPLY.content and found[1] is None


def test_a_store_write_that_fails_is_an_output_error(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        store._db.execute("PRAGMA query_only = ON")  # every write now fails as on a full disk
        with pytest.raises(OutputError, match="cannot write the store"):
            store.begin_run()
    peeked = Store.peek(tmp_path)
    assert peeked is not None
    with pytest.raises(sqlite3.OperationalError):  # a dry run's store: a bug, not the disk
        peeked.begin_run()
    peeked.close()
