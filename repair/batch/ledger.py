"""What the Batch API path has asked the provider, kept in the job's store (store.py).

- `api_submissions`: one row per batch we meant to create, written *before* the upload
  (state `intent`), then with its file id (`uploaded`), its batch id (`created`), and
  `done` once its answers are in the store. The key also goes into the batch's metadata,
  so a run killed between `batches.create` and the write that records it finds the batch
  by listing the provider's batches, and never creates it twice.
- `api_requests`: one row per request (its identity: the hash of what is asked, see
  `store.cache_key`, with the article's repeat count), its JSONL line, the submission it
  went out in, how many times it was sent, and its state: `submitted`, `queued` (to be
  sent again), `answered` (the answer is in `responses`, under the same identity) or
  `failed` (its retries are spent; the error in words).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from repair.batch.store import Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_submissions (
    key TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    intent_at REAL NOT NULL,
    requests INTEGER NOT NULL,
    file_id TEXT,
    batch_id TEXT,
    status TEXT,
    completed INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS api_requests (
    ident TEXT PRIMARY KEY,
    custom_id TEXT NOT NULL,
    line TEXT NOT NULL,
    submission TEXT,
    tries INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    batch_id TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS api_requests_by_submission ON api_requests (submission, custom_id);
"""


@dataclass(frozen=True, slots=True)
class Submission:
    key: str
    seq: int
    state: str  # intent, uploaded, created, done
    intent_at: float
    requests: int
    file_id: str | None
    batch_id: str | None
    status: str | None
    completed: int
    failed: int


@dataclass(frozen=True, slots=True)
class RequestRow:
    ident: str
    custom_id: str
    line: str
    submission: str | None
    tries: int
    state: str
    batch_id: str | None
    error: str | None


# Raised by `repair batch --cancel` (another process): submit nothing more.
CANCELLED = "cancelled"


class Ledger:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db
        if not store.readonly:
            with store.writing(), self.db:
                self.db.executescript(_SCHEMA)

    def job_id(self) -> str:
        """This folder's job, named in every batch's metadata (made once, kept)."""
        row = self.db.execute("SELECT value FROM api_meta WHERE name = 'job'").fetchone()
        if row:
            return str(row[0])
        job = uuid.uuid4().hex[:16]
        with self.store.writing(), self.db:
            self.db.execute("INSERT INTO api_meta (name, value) VALUES ('job', ?)", (job,))
        return job

    def flag(self, name: str) -> bool:
        row = self.db.execute("SELECT 1 FROM api_meta WHERE name = ?", (name,)).fetchone()
        return row is not None

    def set_flag(self, name: str, value: str | None) -> None:
        """Raise (with a value) or lower (None) a flag another process may read."""
        with self.store.writing(), self.db:
            if value is None:
                self.db.execute("DELETE FROM api_meta WHERE name = ?", (name,))
            else:
                self.db.execute(
                    "INSERT OR REPLACE INTO api_meta (name, value) VALUES (?, ?)", (name, value)
                )

    # --- submissions ------------------------------------------------------------------

    def intend(self, job: str, lines: list[tuple[str, str, str]]) -> Submission:
        """Record a batch about to be made of (ident, custom_id, line): before any call."""
        row = self.db.execute("SELECT coalesce(max(seq), 0) + 1 FROM api_submissions").fetchone()
        seq = int(row[0])
        key = f"{job}-{seq}"
        now = time.time()
        with self.store.writing(), self.db:
            self.db.execute(
                "INSERT INTO api_submissions (key, seq, state, intent_at, requests) "
                "VALUES (?, ?, 'intent', ?, ?)",
                (key, seq, now, len(lines)),
            )
            self.db.executemany(
                "INSERT INTO api_requests (ident, custom_id, line, submission, state) "
                "VALUES (?, ?, ?, ?, 'submitted') ON CONFLICT (ident) DO UPDATE SET "
                "custom_id = excluded.custom_id, line = excluded.line, "
                "submission = excluded.submission, state = 'submitted'",
                [(ident, custom_id, line, key) for ident, custom_id, line in lines],
            )
        return self.submission(key)

    def uploaded(self, key: str, file_id: str) -> None:
        self._set(key, "state = 'uploaded', file_id = ?", file_id)

    def created(self, key: str, batch_id: str, status: str) -> None:
        self._set(key, "state = 'created', batch_id = ?, status = ?", batch_id, status)

    def progress(self, key: str, status: str, completed: int, failed: int) -> None:
        self._set(key, "status = ?, completed = ?, failed = ?", status, completed, failed)

    def _set(self, key: str, assignments: str, *values: object) -> None:
        with self.store.writing(), self.db:
            self.db.execute(
                f"UPDATE api_submissions SET {assignments} WHERE key = ?",  # noqa: S608 (ours)
                (*values, key),
            )

    def submission(self, key: str) -> Submission:
        row = self.db.execute(
            f"SELECT {_SUBMISSION} FROM api_submissions WHERE key = ?",  # noqa: S608
            (key,),
        ).fetchone()
        return Submission(*row)

    def submissions(self, *, open_only: bool = False) -> list[Submission]:
        where = "WHERE state <> 'done'" if open_only else ""
        rows = self.db.execute(
            f"SELECT {_SUBMISSION} FROM api_submissions {where} ORDER BY seq"  # noqa: S608
        )
        return [Submission(*row) for row in rows]

    # --- requests ---------------------------------------------------------------------

    def request(self, ident: str) -> RequestRow | None:
        row = self.db.execute(
            f"SELECT {_REQUEST} FROM api_requests WHERE ident = ?",  # noqa: S608
            (ident,),
        ).fetchone()
        return RequestRow(*row) if row else None

    def members(self, key: str) -> list[RequestRow]:
        rows = self.db.execute(
            f"SELECT {_REQUEST} FROM api_requests WHERE submission = ?",  # noqa: S608
            (key,),
        )
        return [RequestRow(*row) for row in rows]

    def settle(
        self,
        key: str,
        *,
        answered: Iterable[tuple[str, str]],
        again: Iterable[str],
        failed: Iterable[tuple[str, str]],
        tried: Iterable[str],
    ) -> None:
        """A finished batch, in one transaction: answered (ident, batch id), to send again,
        failed for good (ident, error); `tried` counts one more try for each."""
        with self.store.writing(), self.db:
            self.db.executemany(
                "UPDATE api_requests SET tries = tries + 1 WHERE ident = ?",
                [(i,) for i in tried],
            )
            self.db.executemany(
                "UPDATE api_requests SET state = 'answered', batch_id = ? WHERE ident = ?",
                [(batch, ident) for ident, batch in answered],
            )
            self.db.executemany(
                "UPDATE api_requests SET state = 'queued', submission = NULL WHERE ident = ?",
                [(i,) for i in again],
            )
            self.db.executemany(
                "UPDATE api_requests SET state = 'failed', error = ? WHERE ident = ?",
                [(error, ident) for ident, error in failed],
            )
            self.db.execute("UPDATE api_submissions SET state = 'done' WHERE key = ?", (key,))

    def batch_of(self, ident: str) -> str | None:
        """The batch that answered `ident`, if a batch did."""
        row = self.db.execute(
            "SELECT batch_id FROM api_requests WHERE ident = ? AND state = 'answered'", (ident,)
        ).fetchone()
        return str(row[0]) if row and row[0] else None

    def reset_failed(self) -> int:
        """`--retry-failed`: requests whose retries were spent may be sent again."""
        with self.store.writing(), self.db:
            cursor = self.db.execute(
                "UPDATE api_requests SET state = 'queued', tries = 0, submission = NULL "
                "WHERE state = 'failed'"
            )
        return cursor.rowcount

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT state, count(*) FROM api_requests GROUP BY state")
        return {str(state): int(n) for state, n in rows}


_SUBMISSION = "key, seq, state, intent_at, requests, file_id, batch_id, status, completed, failed"
_REQUEST = "ident, custom_id, line, submission, tries, state, batch_id, error"
