"""The golden suite drives the validator: real repairs pass, planted fact changes are caught.

Expectations live in the case folders (golden/*/facts.json, mutations.json); they change
only on purpose.
"""

from __future__ import annotations

import math

import pytest

from repair.facts.ledger import Fact, FactLedger, extract_facts
from repair.facts.names import same_name
from repair.facts.words import tokens
from repair.formats import Format, parse, words
from repair.results import ValidationReport
from repair.testing.golden import (
    GoldenCase,
    GoldenCaseError,
    GoldenFact,
    Mutation,
    apply_mutation,
    load_cases,
)
from repair.validation import check

CASES = load_cases()
COMPLETE = [c for c in CASES if c.reference is not None]
MUTATIONS = [(c, m) for c in COMPLETE if c.mutations for m in c.mutations.mutations]
FACTS = [(c, f) for c in COMPLETE if c.facts for f in c.facts.facts]


def _explain(report: ValidationReport) -> str:
    return "\n".join(f"{i.kind} {i.paragraph}: {i.message}" for i in report.issues) or "no issue"


def test_the_suite_is_there() -> None:
    assert any(c.name == "putin-trump" for c in COMPLETE)
    assert MUTATIONS and FACTS


@pytest.mark.parametrize(
    ("case", "mutation"), MUTATIONS, ids=[f"{c.name}:{m.id}" for c, m in MUTATIONS]
)
def test_mutation(case: GoldenCase, mutation: Mutation) -> None:
    assert case.reference is not None
    report = check(case.reference, apply_mutation(case.reference, mutation), case.format)
    if mutation.kind == "none":
        assert report.ok, (
            f"a fact-preserving edit was flagged ({mutation.why}):\n{_explain(report)}"
        )
    else:
        found = {i.kind for i in report.issues}
        assert mutation.kind in found, f"missed: {mutation.why}\n{_explain(report)}"


def _as_the_editor_accepted(case: GoldenCase) -> str:
    """The input with the case's suggestions written in: what the reference repairs."""
    text = case.input
    for s in case.suggestions.suggestions if case.suggestions else []:
        assert text.count(s.input) == 1, f"suggestion input not once in the input: {s.input!r}"
        text = text.replace(s.input, s.replacement)
    return text


@pytest.mark.parametrize("case", COMPLETE, ids=[c.name for c in COMPLETE])
def test_reference_repair_is_accepted(case: GoldenCase) -> None:
    assert case.reference is not None
    report = check(_as_the_editor_accepted(case), case.reference, case.format)
    assert report.ok, _explain(report)


SUGGESTING = [c for c in COMPLETE if c.suggestions]


def test_some_case_has_suggestions() -> None:
    assert SUGGESTING


@pytest.mark.parametrize("case", SUGGESTING, ids=[c.name for c in SUGGESTING])
def test_without_its_suggestions_the_reference_changes_facts(case: GoldenCase) -> None:
    """Each suggestion is a fact change: only the editor may make it, never the repair."""
    assert case.reference is not None and case.suggestions is not None
    report = check(case.input, case.reference, case.format)
    flagged = {i.paragraph for i in report.issues}
    assert {s.paragraph for s in case.suggestions.suggestions} <= flagged, _explain(report)


@pytest.mark.parametrize("case", SUGGESTING, ids=[c.name for c in SUGGESTING])
def test_suggestions_point_at_their_paragraphs(case: GoldenCase) -> None:
    assert case.reference is not None and case.suggestions is not None
    assert case.suggestions.case == case.name
    source = {p.id: p.text for p in parse(case.input, case.format).paragraphs}
    target = {p.id: p.text for p in parse(case.reference, case.format).paragraphs}
    for s in case.suggestions.suggestions:
        assert s.input in source[s.paragraph] and s.replacement in target[s.paragraph], s
        assert s.original != s.replacement


@pytest.mark.parametrize("case", COMPLETE, ids=[c.name for c in COMPLETE])
def test_reference_is_its_own_faithful_repair(case: GoldenCase) -> None:
    assert case.reference is not None
    assert check(case.reference, case.reference, case.format).ok


@pytest.mark.parametrize("case", COMPLETE, ids=[c.name for c in COMPLETE])
def test_case_files_are_consistent(case: GoldenCase) -> None:
    """facts.json and mutations.json parsed strictly when loaded; here, what they point at."""
    assert case.reference is not None
    assert case.facts is not None and case.facts.case == case.name
    assert case.mutations is not None and case.mutations.case == case.name
    # Line N of the reference repairs line N of the input.
    assert len(case.input.splitlines()) == len(case.reference.splitlines())
    for fact in case.facts.facts:
        assert fact.input in case.input, f"fact input not in input.txt: {fact.input!r}"
        assert fact.reference in case.reference, (
            f"fact reference not in reference.txt: {fact.reference!r}"
        )
    both = (case.input + case.reference).lower()
    for entity in case.facts.entities:
        assert any(n.lower() in both for n in [entity.canonical, *entity.aliases]), entity.canonical
    ids = [m.id for m in case.mutations.mutations]
    assert len(ids) == len(set(ids)), "mutation ids repeat"
    for mutation in case.mutations.mutations:
        apply_mutation(case.reference, mutation)  # raises unless `find` occurs exactly once


def test_a_mutation_that_does_not_apply_is_an_error() -> None:
    mutation = Mutation(id="x", find="absent", replace="y", kind="none", why="test")
    with pytest.raises(GoldenCaseError):
        apply_mutation("some text", mutation)


_LEDGERS: dict[tuple[str, str], FactLedger] = {}


def _words(case: GoldenCase, side: str) -> str:
    """What the validator reads of one side: the text, or an HTML/Markdown file's words."""
    text = case.input if side == "input" else case.reference or ""
    return text if case.format is Format.TEXT else words(parse(text, case.format))


def _ledger(case: GoldenCase, side: str) -> FactLedger:
    key = (case.name, side)
    if key not in _LEDGERS:
        _LEDGERS[key] = extract_facts(_words(case, side))
    return _LEDGERS[key]


def _names(case: GoldenCase) -> list[str]:
    assert case.facts is not None
    spellings = [n for e in case.facts.entities for n in [e.canonical, *e.aliases]]
    return [t.folded for n in spellings for t in tokens(n)]


def _found(fact: GoldenFact, found: list[Fact], names: list[str], snippet: str) -> bool:
    if fact.kind == "number":
        numbers = [f for f in found if f.kind in ("number", "date") and isinstance(f.value, float)]
        if not isinstance(fact.value, int | float):
            return bool(numbers)
        wanted = float(fact.value)
        return any(math.isclose(v, wanted) for f in numbers for v in (f.value, *f.alternatives))  # type: ignore[arg-type]
    if fact.kind == "entity":
        entities = [f for f in found if f.kind == "entity"]
        # A snippet that spells none of the case's entities (a hostile line marked as an
        # entity fact) can only be asked to hold some name.
        if not any(same_name(t.folded, n) for t in tokens(snippet) for n in names):
            return bool(entities)
        return any(same_name(t.folded, n) for f in entities for t in tokens(f.text) for n in names)
    return any(f.kind == fact.kind for f in found)


@pytest.mark.parametrize(
    ("case", "fact"), FACTS, ids=[f"{c.name}:{f.kind}:{f.reference[:30]}" for c, f in FACTS]
)
def test_golden_facts_are_in_the_ledger(case: GoldenCase, fact: GoldenFact) -> None:
    for side, snippet in (("input", fact.input), ("reference", fact.reference)):
        text = _words(case, side)
        start = text.find(snippet)
        assert start >= 0
        end = start + len(snippet)
        found = [f for f in _ledger(case, side).facts if f.start < end and start < f.end]
        ledger = [(f.kind, f.text) for f in found]
        assert _found(fact, found, _names(case), snippet), (
            f"{side}: no {fact.kind} {fact.value!r} in {snippet!r}; ledger has {ledger}"
        )
