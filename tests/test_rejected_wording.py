"""A paragraph kept original carries the wording the check refused, for the editor to see."""

from __future__ import annotations

from repair import repair_article
from repair.testing.fake import FakeServer
from tests.conftest import config_for, small_article

SOURCE, EXPECTED = small_article(first=39, count=3)  # P1: "a 50-day ultimatum"


def test_a_repair_refused_for_a_changed_fact_is_kept_beside_the_original(
    server: FakeServer,
) -> None:
    server.script("change-number")
    result = repair_article(SOURCE, config_for(server, max_reasks=0))
    (kept,) = result.flagged
    assert kept.repaired == kept.source  # the article keeps the original...
    assert kept.rejected is not None and kept.rejected != kept.source  # ...the refusal is shown
    expected = EXPECTED.split("\n\n")[0]
    # The fake changed the first number of the reference repair: the rest is its wording.
    changed = [a for a, b in zip(kept.rejected.split(), expected.split(), strict=True) if a != b]
    assert len(changed) == 1 and any(ch.isdigit() for ch in changed[0])
    assert all(p.rejected is None for p in result.paragraphs if p.status != "kept-original")


def test_a_refusal_after_a_rejected_wording_clears_it(server: FakeServer) -> None:
    # The last reason stands alone: a refused answer after a refused wording has no
    # wording of its own, so none is shown as if it were the model's last word.
    server.script("change-number", "refusal")
    result = repair_article(SOURCE, config_for(server, max_reasks=1))
    assert result.flagged and all(p.rejected is None for p in result.flagged)


def test_a_meaning_change_that_persists_keeps_the_refused_wording(server: FakeServer) -> None:
    source, _ = small_article(first=25, count=2)  # P1 says "more in common"
    server.script("swap-meaning", "ok")
    result = repair_article(source, config_for(server, verify="model", max_reasks=0))
    (kept,) = result.flagged
    assert kept.reason_code == "meaning-changed"
    assert kept.rejected is not None and "less in common" in kept.rejected
    assert "more in common" in kept.source
