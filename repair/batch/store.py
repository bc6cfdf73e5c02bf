"""The batch job's memory, in one SQLite file in DIR: job state and a response cache.

- `articles`: one row per article, keyed by where it came from ("news/a.txt", "line 12"):
  its status and manifest entry once finished, and a fingerprint of its text and the
  settings, so a rerun skips exactly the work that is done and still valid.
- `responses`: every answer the endpoint gave, keyed by a hash of what was asked (model,
  prompt template version, messages, temperature, max_tokens, response format), and the
  run that asked. A rerun after a crash asks the endpoint nothing it has already answered.
  An answer over a size cap is used but not kept: a broken server once filled the store
  with 84 MB of rejected answers for two articles.

Each write commits at once, in WAL mode with synchronous=NORMAL: a `kill -9` loses at most
the answer being written (it is asked again), never the file's consistency. One process at
a time may use a folder: a lock file says so (released by the OS, even after a kill).
A write that fails (disk full, read-only) is an `OutputError`: the job stops, what was
committed stays, and the same command resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from repair.errors import ConfigurationError, OutputError
from repair.llm.protocol import ChatModel, ChatReply, ChatRequest
from repair.results import Usage

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; two jobs on one folder are not prevented
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

STORE_NAME = ".repair-batch.sqlite"
LOCK_NAME = ".repair-batch.lock"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    finished TEXT,
    outcome TEXT
);
CREATE TABLE IF NOT EXISTS articles (
    origin TEXT PRIMARY KEY,
    id TEXT,
    seq INTEGER NOT NULL,
    run INTEGER NOT NULL,
    fingerprint TEXT,
    status TEXT,
    tries INTEGER NOT NULL DEFAULT 0,
    entry TEXT,
    output TEXT
);
CREATE INDEX IF NOT EXISTS articles_by_id ON articles (id, run, seq);
CREATE INDEX IF NOT EXISTS articles_by_run ON articles (run, seq);
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    reply TEXT NOT NULL,
    run INTEGER
);
"""


@dataclass(frozen=True, slots=True)
class Previous:
    """What an earlier run left for an article."""

    status: str | None
    fingerprint: str | None
    tries: int
    entry: str | None


class Store:
    """Open with `Store.open(folder)`; close it (or use `with`) when the job ends."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        if readonly:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        else:
            self._db = sqlite3.connect(path)
            with self._writing():
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(_SCHEMA)
                columns = {row[1] for row in self._db.execute("PRAGMA table_info(responses)")}
                if "run" not in columns:  # a store made before answers noted their run
                    self._db.execute("ALTER TABLE responses ADD COLUMN run INTEGER")
        self._lock: Any = None

    @classmethod
    def open(cls, folder: Path) -> Store:
        """The store in `folder`, locked for this process; ConfigurationError when another
        process holds it, OutputError when the folder cannot be written."""
        for name in (STORE_NAME, LOCK_NAME):
            if (folder / name).is_symlink():
                # SQLite and open() would follow it: the job's writes would leave DIR.
                raise ConfigurationError(
                    f"{folder / name} is a link; the store stays inside --out: remove the link",
                    setting="out",
                )
        try:
            folder.mkdir(parents=True, exist_ok=True)
            lock = (folder / LOCK_NAME).open("a")  # held for the job's life, closed by close()
        except OSError as exc:
            raise OutputError(
                f"cannot write to --out {folder}: {exc.strerror or exc}",
                path=str(folder),
                errno=exc.errno,
            ) from None
        if fcntl is not None:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock.close()
                raise ConfigurationError(
                    f"another 'repair batch' is writing to {folder}; wait for it or pick "
                    "another --out",
                    setting="out",
                ) from None
        try:
            store = cls(folder / STORE_NAME)
        except (sqlite3.Error, OutputError) as exc:
            lock.close()
            if isinstance(exc, OutputError):
                raise
            raise OutputError(
                f"cannot open the store in {folder}: {exc}", path=str(folder)
            ) from None
        store._lock = lock
        return store

    @classmethod
    def peek(cls, folder: Path) -> Store | None:
        """The store in `folder` read-only (a dry run changes nothing), if there is one."""
        path = folder / STORE_NAME
        return cls(path, readonly=True) if path.is_file() else None

    def close(self) -> None:
        self._db.close()
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def db(self) -> sqlite3.Connection:
        """The connection, for a module that keeps tables of its own here (ledger.py)."""
        return self._db

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """A write (with `with store.writing(), store.db:`) that fails as OutputError."""
        return self._writing()

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """A write that cannot be made (disk full, read-only) is an OutputError, once.

        A store opened read-only (a dry run's peek) keeps SQLite's own error: writing to it
        is a bug, not the state of the disk.
        """
        try:
            yield
        except sqlite3.OperationalError as exc:
            if self.readonly:
                raise
            raise OutputError(
                f"cannot write the store {self.path}: {exc}; make room or make the folder "
                "writable, then run the same command again to resume",
                path=str(self.path),
            ) from None

    # --- runs -------------------------------------------------------------------------

    def begin_run(self) -> int:
        with self._writing(), self._db:
            cursor = self._db.execute("INSERT INTO runs DEFAULT VALUES")
        return int(cursor.lastrowid or 0)

    def end_run(self, run: int, outcome: str) -> None:
        with self._writing(), self._db:
            self._db.execute(
                "UPDATE runs SET finished = CURRENT_TIMESTAMP, outcome = ? WHERE id = ?",
                (outcome, run),
            )

    # --- articles ---------------------------------------------------------------------

    def meet(self, origin: str, ident: str | None, seq: int, run: int) -> Previous | None:
        """Note that this run met the article; return what earlier runs left for it."""
        row = self._db.execute(
            "SELECT status, fingerprint, tries, entry FROM articles WHERE origin = ?", (origin,)
        ).fetchone()
        with self._writing(), self._db:
            self._db.execute(
                "INSERT INTO articles (origin, id, seq, run) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (origin) DO UPDATE SET id = excluded.id, seq = excluded.seq, "
                "run = excluded.run",
                (origin, ident, seq, run),
            )
        return Previous(*row) if row else None

    def first_with_id(self, ident: str, origin: str, run: int) -> str | None:
        """Where this run met `ident` before `origin`, if it did (a duplicate id)."""
        row = self._db.execute(
            "SELECT origin FROM articles WHERE id = ? AND run = ? AND origin <> ? "
            "ORDER BY seq LIMIT 1",
            (ident, run, origin),
        ).fetchone()
        return str(row[0]) if row else None

    def start(self, origin: str) -> int:
        """Count one more try at the article; return the count."""
        with self._writing(), self._db:
            self._db.execute("UPDATE articles SET tries = tries + 1 WHERE origin = ?", (origin,))
        row = self._db.execute("SELECT tries FROM articles WHERE origin = ?", (origin,)).fetchone()
        return int(row[0]) if row else 1

    def finish(
        self,
        origin: str,
        status: str,
        entry: str,
        *,
        fingerprint: str | None = None,
        output: str | None = None,
    ) -> None:
        with self._writing(), self._db:
            self._db.execute(
                "UPDATE articles SET status = ?, entry = ?, fingerprint = ?, output = ? "
                "WHERE origin = ?",
                (status, entry, fingerprint, output, origin),
            )

    def previous(self, origin: str) -> Previous | None:
        row = self._db.execute(
            "SELECT status, fingerprint, tries, entry FROM articles WHERE origin = ?", (origin,)
        ).fetchone()
        return Previous(*row) if row else None

    def entries(self, run: int) -> Iterator[str]:
        """The manifest lines of the articles this run met, in archive order (streamed)."""
        cursor = self._db.execute(
            "SELECT entry FROM articles WHERE run = ? AND entry IS NOT NULL ORDER BY seq", (run,)
        )
        for (entry,) in cursor:
            yield str(entry)

    def outputs(self, run: int) -> Iterator[str]:
        """The JSONL output lines of the articles this run met, in archive order."""
        cursor = self._db.execute(
            "SELECT output FROM articles WHERE run = ? AND output IS NOT NULL ORDER BY seq", (run,)
        )
        for (line,) in cursor:
            yield str(line)

    def unfinished(self, run: int) -> int:
        row = self._db.execute(
            "SELECT count(*) FROM articles WHERE run = ? AND entry IS NULL", (run,)
        ).fetchone()
        return int(row[0])

    # --- responses --------------------------------------------------------------------

    def cached(self, key: str) -> ChatReply | None:
        found = self.lookup(key)
        return None if found is None else found[0]

    def lookup(self, key: str) -> tuple[ChatReply, int | None] | None:
        """The stored answer to `key` and the run that asked for it (None: unknown)."""
        row = self._db.execute("SELECT reply, run FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        reply = ChatReply(
            content=data["content"],
            finish_reason=data["finish_reason"],
            model=data["model"],
            usage=Usage.model_validate(data["usage"]),
            refusal=data.get("refusal"),
            attempts=0,  # answered from the store: no request was sent
        )
        return reply, row[1]

    def remember(self, key: str, reply: ChatReply, run: int | None = None) -> None:
        # Rate-limit headers, attempts and timings describe one moment, not the answer.
        data = {
            "content": reply.content,
            "finish_reason": reply.finish_reason,
            "model": reply.model,
            "usage": reply.usage.model_dump(),
            "refusal": reply.refusal,
        }
        with self._writing(), self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO responses (key, reply, run) VALUES (?, ?, ?)",
                (key, json.dumps(data, ensure_ascii=False), run),
            )


def cache_key(request: ChatRequest, template_version: str) -> str:
    """A hash of everything that shapes the answer to `request`."""
    payload = {
        "model": request.model,
        "template": template_version,
        "messages": list(request.messages),
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
        "response_format": request.response_format,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


class _Abandoned(Exception):
    """The request another article was waiting on was cancelled: ask again yourself."""


@dataclass(slots=True)
class CacheStats:
    hits: int = 0  # answered from the store, by an answer an earlier run paid for
    shared: int = 0  # answered by a request this run sent for another article (a twin)
    sent: int = 0  # requests that reached the endpoint (and were answered)
    unstored: int = 0  # answers used but not kept: over the size cap, or a failed write
    billed: dict[str, Usage] = dataclasses.field(default_factory=dict)  # per model


class ResponseCache:
    """The job-wide cache: answers from the store, and one request for identical twins.

    Two articles that ask the same thing at the same moment (an archive holds duplicates)
    share one request: the second waits for the first one's answer.

    `run` tells answers an earlier run paid for (`stats.hits`) from this run's own answers
    reused by a twin (`stats.shared`): a first run answers nothing "from the store".
    `max_answer_chars` caps what is kept: a longer answer is used, not stored.
    """

    def __init__(
        self,
        store: Store,
        template_version: str,
        *,
        run: int | None = None,
        max_answer_chars: int | None = None,
    ) -> None:
        self.store = store
        self.template_version = template_version
        self.run = run
        self.max_answer_chars = max_answer_chars
        self.stats = CacheStats()
        self._flights: dict[str, asyncio.Future[ChatReply]] = {}

    async def complete(
        self, inner: ChatModel, request: ChatRequest, *, read: bool = True, key: str = ""
    ) -> tuple[ChatReply, bool]:
        """(reply, answered without a request)."""
        key = key or cache_key(request, self.template_version)
        if read:
            found = self.store.lookup(key)
            if found is not None:
                reply, run = found
                if self.run is not None and run == self.run:
                    self.stats.shared += 1
                else:
                    self.stats.hits += 1
                return reply, True
            flight = self._flights.get(key)
            if flight is not None:
                with contextlib.suppress(_Abandoned):
                    reply = await asyncio.shield(flight)
                    self.stats.shared += 1
                    return dataclasses.replace(reply, attempts=0, wait_s=0.0, headers={}), True
        flight = asyncio.get_running_loop().create_future()
        self._flights.setdefault(key, flight)
        try:
            reply = await inner.complete(request)
        except BaseException as exc:
            # Only an error of the request itself is shared; a cancelled or interrupted
            # leader leaves its twins to ask on their own.
            failure = exc if isinstance(exc, Exception) else _Abandoned()
            flight.set_exception(failure)
            flight.exception()  # retrieved: nobody waiting is not an error
            raise
        finally:
            if self._flights.get(key) is flight:
                del self._flights[key]
        self._keep(key, reply)
        flight.set_result(reply)
        self.stats.sent += 1
        self.stats.billed.setdefault(request.model, Usage()).add(reply.usage)
        return reply, False

    def _keep(self, key: str, reply: ChatReply) -> None:
        """Store the answer, unless it is over the cap: an honest answer is about the size
        of the passage asked about, and one far larger was rejected by the pipeline anyway
        (a rerun asks again, which costs less than a store that grows without bound)."""
        size = len(reply.content or "") + len(reply.refusal or "")
        if self.max_answer_chars is not None and size > self.max_answer_chars:
            self.stats.unstored += 1
            log.info("an answer of %s characters was used but not stored", f"{size:,}")
            return
        try:
            self.store.remember(key, reply, self.run)
        except OutputError as exc:
            # Only a cache: the job's own state write comes next and stops it if the disk
            # is full; this answer is asked again by the run that resumes.
            self.stats.unstored += 1
            log.warning("%s", exc)


class CachedChat:
    """A `ChatModel` for one article: answers from the job's cache, else from `inner`.

    `read=False` asks afresh (and stores the new answers): `--retry-failed` on a flagged
    article, whose stored answers would only flag it again.
    """

    def __init__(self, cache: ResponseCache, inner: ChatModel, *, read: bool = True) -> None:
        self._cache, self._inner, self._read = cache, inner, read
        self._asked: set[str] = set()
        self.hits = 0

    async def complete(self, request: ChatRequest) -> ChatReply:
        key = cache_key(request, self._cache.template_version)
        # The same request twice from one article is a deliberate re-ask (the pipeline's
        # feedback loop): the stored answer is the one it is asking past.
        read = self._read and key not in self._asked
        self._asked.add(key)
        reply, hit = await self._cache.complete(self._inner, request, read=read, key=key)
        self.hits += hit
        return reply

    async def aclose(self) -> None:
        return None  # the job owns the inner model
