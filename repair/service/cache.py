"""Model answers kept across requests, so a CMS that saves an article twice pays once.

It is the batch job's store (`repair.batch.store`): the same SQLite file format, the same
key (a hash of the model, the prompt template's version and the messages, see
`cache_key`), and the same sharing of one request between identical requests that arrive
together. A service may even be pointed at a batch's output folder to reuse what the batch
paid for (not while the batch runs: one process holds a store at a time).

A repeated article still goes through the whole pipeline (chunking, checks); only the
model calls are answered from the store, which is where the time and the money are.
"""

from __future__ import annotations

from pathlib import Path

from repair import prompts
from repair.batch.store import CachedChat, ResponseCache, Store
from repair.llm import ChatModel
from repair.prompts import Style

# As the batch's default: a longer answer is used but not stored (an honest answer is
# about the size of the passage asked about).
MAX_STORED_ANSWER_CHARS = 200_000


class AnswerCache:
    """Open with `AnswerCache.open(folder)`; `chat(inner, style)` for each repair."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._caches: dict[str, ResponseCache] = {}

    @classmethod
    def open(cls, folder: Path) -> AnswerCache:
        return cls(Store.open(folder))

    def chat(self, inner: ChatModel, style: Style) -> CachedChat:
        """A `ChatModel` for one repair: stored answers first, `inner` for the rest."""
        # One ResponseCache per prompt template: its version is part of every key.
        version = prompts.template_version(style)
        cache = self._caches.get(version)
        if cache is None:
            cache = ResponseCache(self.store, version, max_answer_chars=MAX_STORED_ANSWER_CHARS)
            self._caches[version] = cache
        return CachedChat(cache, inner)

    def close(self) -> None:
        self.store.close()
