"""The hook for a second opinion on meaning: what `validate(..., verifier=...)` calls.

The validator itself is pure and local; a verifier (`repair.verify.ModelVerifier`, or
any object of this shape) asks a model. It lives above this floor, so only its shape is
named here, and validating without one never loads the model SDK.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from repair.results import ValidationIssue


@runtime_checkable
class Verifier(Protocol):
    async def averify(self, pairs: Sequence[tuple[str, str, str]]) -> list[ValidationIssue]:
        """Issues of kind "meaning" for (paragraph id, source, repair) triples.

        It may add issues, never remove one: the ledger's findings stand regardless.
        """
        ...
