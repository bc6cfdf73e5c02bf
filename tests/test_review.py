"""The editor's choices on a saved repair (`repair.review.apply_choices`): suggestions
accepted, edits undone, the outcome checked again with accepted suggestions recorded as
the editor's change and nothing else excused."""

from __future__ import annotations

import random

import pytest

from repair.edits import apply_edits, compute_edits, edits_of
from repair.errors import InputError
from repair.results import RepairResult, Suggestion
from repair.review import apply_choices
from tests.test_edits import make_result, seed  # noqa: F401 (a fixture)

SOURCE = (
    "Cao Cao, deputy mayor, told to journalists that 40 companies registered.\n\n"
    "Mr Tramp arrived on Monday from Mansion Gate.\n"
)
REPAIRS = {
    "P1": "Cao Cao, the deputy mayor, told reporters that 40 companies had registered.",
    "P2": "Mr Trump arrived on Monday from Mansion Gate.",
}


def suggestion(
    n: int, pid: str, text: str, original: str, replacement: str, **more: str
) -> Suggestion:
    start = text.index(original)
    return Suggestion.model_validate(
        {
            "id": f"S{n}",
            "paragraph": pid,
            "start": start,
            "end": start + len(original),
            "original": original,
            "replacement": replacement,
            "kind": more.get("kind", "name"),
            "reason": "test",
            "confidence": more.get("confidence", "high"),
        }
    )


def with_suggestions(result: RepairResult, *suggestions: Suggestion) -> RepairResult:
    return result.model_copy(
        update={"suggestions": list(suggestions), "edits": compute_edits(result.paragraphs)}
    )


@pytest.fixture
def result() -> RepairResult:
    base = make_result(SOURCE, REPAIRS)
    return with_suggestions(
        base,
        suggestion(1, "P1", REPAIRS["P1"], "Cao Cao", "Gong Zheng"),
        suggestion(2, "P2", REPAIRS["P2"], "Mansion Gate", "Xiamen", kind="place"),
    )


def test_nothing_accepted_is_the_repair_and_passes(result: RepairResult) -> None:
    outcome = apply_choices(result)
    assert outcome.text == result.text
    assert "Cao Cao" in outcome.text and outcome.report.ok
    assert not any(f.changed_by for f in outcome.ledger.facts)


def test_accepted_suggestions_are_applied_and_not_flagged(result: RepairResult) -> None:
    outcome = apply_choices(result, ["S2", "S1"])
    assert outcome.text == result.text.replace("Cao Cao", "Gong Zheng").replace(
        "Mansion Gate", "Xiamen"
    )
    assert outcome.report.ok, outcome.report.issues
    assert [s.id for s in outcome.accepted] == ["S1", "S2"]
    by_editor = [f.text for f in outcome.ledger.facts if f.changed_by == "editor"]
    assert by_editor == ["Gong Zheng", "Xiamen"]
    for fact in outcome.ledger.facts:
        assert outcome.text[fact.start : fact.end] == fact.text


def test_the_same_change_not_accepted_is_still_a_finding(result: RepairResult) -> None:
    """What the editor accepts is excused; the same words changed otherwise are not."""
    p1 = result.paragraphs[0].model_copy(
        update={"repaired": REPAIRS["P1"].replace("40 companies", "41 companies")}
    )
    changed = make_result(SOURCE, {**REPAIRS, "P1": p1.repaired})
    changed = with_suggestions(changed, suggestion(1, "P1", p1.repaired, "Cao Cao", "Gong Zheng"))
    outcome = apply_choices(changed, ["S1"])
    assert "Gong Zheng" in outcome.text
    assert [i.kind for i in outcome.report.issues] == ["number"], outcome.report.issues
    # And a name changed by the repair, not by an accepted suggestion, is flagged.
    renamed = make_result(
        SOURCE, {**REPAIRS, "P2": REPAIRS["P2"].replace("Mansion Gate", "Xiamen")}
    )
    assert not apply_choices(renamed).report.ok


def test_accepting_and_rejecting_together(result: RepairResult) -> None:
    edits = edits_of(result)
    trump = next(e for e in edits if e.replacement == "Trump")
    outcome = apply_choices(result, ["S2"], [trump.number])
    assert "Mr Tramp arrived on Monday from Xiamen." in outcome.text
    assert outcome.report.ok, outcome.report.issues
    assert outcome.rejected == [trump.number]


def test_unknown_suggestion_ids_are_refused_by_name(result: RepairResult) -> None:
    with pytest.raises(InputError, match="no suggestion S7: the result has S1, S2"):
        apply_choices(result, ["S1", "S7"])
    bare = result.model_copy(update={"suggestions": []})
    with pytest.raises(InputError, match="the result has no suggestions"):
        apply_choices(bare, ["S1"])


def test_a_span_that_no_longer_matches_is_refused(result: RepairResult) -> None:
    moved = result.suggestions[0].model_copy(update={"start": 1, "end": 8})
    tampered = result.model_copy(update={"suggestions": [moved, result.suggestions[1]]})
    with pytest.raises(InputError, match="S1 no longer matches paragraph P1"):
        apply_choices(tampered, ["S1"])


def test_a_suggestion_for_a_paragraph_the_result_lacks_is_refused(result: RepairResult) -> None:
    lost = result.suggestions[0].model_copy(update={"paragraph": "P9"})
    tampered = result.model_copy(update={"suggestions": [lost]})
    with pytest.raises(InputError, match="S1 is for paragraph P9"):
        apply_choices(tampered, ["S1"])


def test_a_suggestion_inside_a_rejected_edit_is_refused() -> None:
    """The repair respelled "Tramp"; a suggestion on "Mr Trump" cannot stand with the
    respelling undone."""
    base = make_result(SOURCE, REPAIRS)
    s = suggestion(1, "P2", REPAIRS["P2"], "Mr Trump", "Mr Tusk")
    result = with_suggestions(base, s)
    trump = next(e for e in edits_of(result) if e.replacement == "Trump")
    with pytest.raises(InputError, match="overlap"):
        apply_choices(result, ["S1"], [trump.number])
    # With the edit kept, the suggestion over it applies and is the editor's change.
    outcome = apply_choices(result, ["S1"])
    assert "Mr Tusk arrived" in outcome.text and outcome.report.ok, outcome.report.issues


def test_overlapping_accepted_suggestions_are_refused() -> None:
    base = make_result(SOURCE, REPAIRS)
    text = REPAIRS["P2"]
    result = with_suggestions(
        base,
        suggestion(1, "P2", text, "Mansion Gate", "Xiamen"),
        suggestion(2, "P2", text, "Gate", "Port"),
    )
    with pytest.raises(InputError, match="S1 and S2 overlap"):
        apply_choices(result, ["S1", "S2"])
    assert "Xiamen" in apply_choices(result, ["S1"]).text


def test_with_nothing_accepted_it_is_apply_edits(seed: RepairResult) -> None:  # noqa: F811
    numbers = [e.number for e in edits_of(seed)]
    draw = random.Random(17)
    for _ in range(5):
        reject = set(draw.sample(numbers, 12))
        assert apply_choices(seed, (), reject).text == apply_edits(seed, reject)
