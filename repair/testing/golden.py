"""The golden suite: real garbled articles with a reference repair, their facts, and the
mutations of the reference that the validator must catch (or, for kind "none", accept).

Each case is a folder of `golden/` holding `input.txt`, `reference.txt` (line N repairs
line N of the input), `facts.json`, `mutations.json` and a `README.md`. An HTML or
Markdown case has `input.html` and `reference.html` (or `.md`) instead: the same markup,
line for line, with the words repaired. A case where the translation put a wrong fact in
(another person's name, a term translated word by word) also has `suggestions.json`: what
the editor should be offered, which the reference has accepted. A case still being
written loads with what it has, so the suite can grow one file at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from repair.errors import RepairError
from repair.formats import SUFFIXES, Format
from repair.resources import data_dir
from repair.results import Confidence, SuggestionKind

FactKind = Literal["number", "date", "entity", "quote", "negation"]
MutationKind = Literal[
    "number", "date", "entity", "quote", "negation", "omission", "addition", "structure", "none"
]


class GoldenCaseError(RepairError, ValueError):
    """A golden case is malformed (a mutation that does not apply, a bad JSON file)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GoldenEntity(_Strict):
    canonical: str
    type: Literal["person", "place", "organisation", "other"]
    aliases: list[str]
    role: str | None = None
    note: str | None = None


class GoldenFact(_Strict):
    kind: FactKind
    input: str  # exact substring of input.txt
    reference: str  # exact substring of reference.txt
    value: float | str | None
    speaker: str | None = None
    note: str | None = None


class GoldenFacts(_Strict):
    case: str
    entities: list[GoldenEntity]
    facts: list[GoldenFact]


class Mutation(_Strict):
    id: str
    find: str  # occurs exactly once in reference.txt
    replace: str
    kind: MutationKind
    why: str


class GoldenMutations(_Strict):
    case: str
    mutations: list[Mutation]


class GoldenSuggestion(_Strict):
    """What an editor should be offered: `original` is the span the repair keeps, `input`
    the same span in the input; the reference has `replacement` in its place."""

    paragraph: str
    input: str
    original: str
    replacement: str
    kind: SuggestionKind
    confidence: Confidence
    reason: str


class GoldenSuggestions(_Strict):
    case: str
    suggestions: list[GoldenSuggestion]


class GoldenCase(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    path: Path
    format: Format = Format.TEXT
    input: str
    reference: str | None
    facts: GoldenFacts | None
    mutations: GoldenMutations | None
    suggestions: GoldenSuggestions | None = None  # only where MT put a wrong fact in


def apply_mutation(reference: str, mutation: Mutation) -> str:
    """The reference with the mutation's one edit made."""
    count = reference.count(mutation.find)
    if count != 1:
        raise GoldenCaseError(
            f"mutation {mutation.id!r}: 'find' occurs {count} times in the reference, not once",
            mutation=mutation.id,
            count=count,
        )
    return reference.replace(mutation.find, mutation.replace)


def _input_file(folder: Path) -> Path | None:
    return next((p for p in sorted(folder.glob("input.*")) if p.suffix in SUFFIXES), None)


def load_case(name: str, root: Path | None = None) -> GoldenCase:
    folder = (root or data_dir("golden")) / name
    source = _input_file(folder)
    if source is None:
        raise GoldenCaseError(f"no golden case {name!r} in {folder.parent}", case=name)
    reference = folder / f"reference{source.suffix}"
    return GoldenCase(
        name=name,
        path=folder,
        format=SUFFIXES[source.suffix],
        input=_read(source),
        reference=_read(reference) if reference.is_file() else None,
        facts=_json(folder / "facts.json", GoldenFacts),
        mutations=_json(folder / "mutations.json", GoldenMutations),
        suggestions=_json(folder / "suggestions.json", GoldenSuggestions),
    )


def load_cases(root: Path | None = None) -> list[GoldenCase]:
    """Every case of the suite, by name."""
    base = root or data_dir("golden")
    names = sorted(p.name for p in base.iterdir() if p.is_dir() and _input_file(p))
    return [load_case(name, base) for name in names]


_M = TypeVar("_M", bound=BaseModel)


def _read(path: Path) -> str:
    # newline="" keeps the file's line endings: offsets must match the bytes on disk.
    with path.open(encoding="utf-8", newline="") as f:
        return f.read()


def _json(path: Path, model: type[_M]) -> _M | None:
    if not path.is_file():
        return None
    try:
        return model.model_validate_json(_read(path))
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise GoldenCaseError(f"{path}: {exc}", path=str(path)) from exc
