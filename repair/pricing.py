"""What the calls cost: the price table (a data file, `prices.json`), a model's price, the
cost of billed tokens, and the one way money is written for people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib.resources import files

from pydantic import BaseModel, ConfigDict

from repair.results import RepairResult, Usage


class Price(BaseModel):
    """US dollars per million tokens."""

    model_config = ConfigDict(extra="forbid")

    input: float
    cached_input: float
    output: float

    def cost(self, usage: Usage) -> float:
        """US dollars for these tokens; cached prompt tokens at the cached rate."""
        fresh = max(usage.prompt_tokens - usage.cached_tokens, 0)
        dollars = (
            fresh * self.input
            + usage.cached_tokens * self.cached_input
            + usage.completion_tokens * self.output
        )
        return dollars / 1_000_000


class PriceTable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    about: str
    models: dict[str, Price]
    # The provider's Batch API (answers within 24 h) bills its own, lower, rates.
    batch_about: str = ""
    batch: dict[str, Price] = {}


@cache
def price_table() -> PriceTable:
    # A data file, not code: prices change more often than the program.
    raw = files("repair").joinpath("prices.json").read_text(encoding="utf-8")
    return PriceTable.model_validate_json(raw)


def price_for(
    model: str, overrides: Mapping[str, Price] | None = None, *, batch: bool = False
) -> Price | None:
    """The price of `model`: the caller's own first, then the built-in table, also under a
    router's prefix or with a snapshot date. `batch`: the Batch API's rate (the caller's
    own price is taken as the rate of the way they run)."""
    if overrides and model in overrides:
        return overrides[model]
    name = model.rsplit("/", 1)[-1].lower()  # "openai/gpt-4o-mini" on OpenRouter
    name = re.sub(r"-\d{4}-\d{2}-\d{2}$", "", name)  # "gpt-4o-mini-2024-07-18"
    table = price_table()
    return (table.batch if batch else table.models).get(name)


def cost_of(
    billed: Iterable[tuple[str, Usage]],
    overrides: Mapping[str, Price] | None = None,
    *,
    batch: bool = False,
) -> float | None:
    """US dollars for (model, usage) pairs; None when a model has no price."""
    total = 0.0
    for model, usage in billed:
        price = price_for(model, overrides, batch=batch)
        if price is None:
            return None
        total += price.cost(usage)
    return total


def billing(result: RepairResult) -> list[tuple[str, Usage]]:
    """A repair's tokens per call, so that a fallback model is priced as itself."""
    if not result.calls:
        return [(result.model, result.usage)]
    return [(call.model, call.usage()) for call in result.calls]


def cost_usd(result: RepairResult, overrides: Mapping[str, Price] | None = None) -> float | None:
    """What a repair's calls cost; None if a model has no price."""
    return cost_of(billing(result), overrides)


def money(usd: float | None) -> str:
    """Dollars for people: cents and below shown to four places, "unknown" for no price."""
    if usd is None:
        return "unknown"
    return f"${usd:,.4f}" if usd < 1 else f"${usd:,.2f}"
