"""One exception tree for the whole library.

Every error carries structured context as plain attributes (no live objects), so it
pickles cleanly across processes and a caller can act on it without parsing strings.
"""

from __future__ import annotations

from typing import Any


class RepairError(Exception):
    """Root of every error `repair` raises on purpose."""

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword context is not part of Exception.args; rebuild it explicitly.
        return (_rebuild, (type(self), self.message, self.context))

    def __str__(self) -> str:
        return self.message


def _rebuild(cls: type[RepairError], message: str, context: dict[str, Any]) -> RepairError:
    return cls(message, **context)


class ConfigurationError(RepairError):
    """Settings are missing or contradictory; the user must change something."""


class InputError(RepairError):
    """The article cannot be read: empty, binary, wrong encoding, too large."""


class OutputError(RepairError):
    """Results cannot be written at all (disk full, a read-only folder): the user must make
    room or choose another place. Context: ``path``, and ``errno`` when the OS gave one."""


class ModelCallError(RepairError):
    """The endpoint could not be reached or refused the request (transport, HTTP status).

    Context: ``status`` (int | None), ``attempts`` (int), ``retryable`` (bool), and for a
    failed connection or an answer that never finished ``reason`` ("unreachable",
    "timeout") and ``url`` (the endpoint, without credentials).
    """

    @property
    def unreachable(self) -> bool:
        """No connection could be made at all (refused, no such host, TLS): every request
        would fail alike, so there is no point going on."""
        return self.context.get("reason") == "unreachable"


class ModelOutputError(RepairError):
    """The endpoint answered, but the answer cannot be used as a repair.

    Context: ``reason`` (short code such as ``content-filter`` or ``empty``: the pipeline
    reads it as a `repair.answer.ProblemCode`) and ``paragraph_ids`` when the problem is
    tied to paragraphs.
    """


class FactError(RepairError):
    """Facts could not be extracted or compared (a bug, or input the ledger cannot read)."""
