"""How well the meaning check (repair.verify) works, and what it costs.

    python bench/meaning.py                                   # against the fake server
    python bench/meaning.py --base-url URL --model NAME       # against a real model
    python bench/meaning.py --base-url URL --model NAME --verify-model CHEAP --price CHEAP=0.1,0.4

Runs a labelled set through the verifier, eight pairs a request as a chunk would send
them: the golden mutations (each a paragraph of a reference with one planted change, or
with a fair edit, kind "none") and the hand-written pairs of bench/data/meaning_pairs.jsonl
(meaning changes of every kind, and as many fair fluent rewrites). Prints recall per kind
(a pair counts as caught when the verifier reports any difference that survives the
verbatim check), the false-alarm rate on the fair pairs, the spans thrown away, and the
tokens and cost the check adds to a repair of the seed article.

Against the fake the figures are the fake's (it knows the references, and the fair
rewrites are given to it as references): the run proves the harness, not a model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import table
from pydantic import SecretStr

from repair import formats
from repair.cli.batch import parse_prices
from repair.config import RepairConfig
from repair.llm import ChatModel, ChatReply, ChatRequest, open_model
from repair.llm.tokens import count_tokens
from repair.pipeline import arepair_article
from repair.pricing import Price, cost_of, cost_usd
from repair.results import Usage
from repair.testing.fake import FakeServer, golden_answers
from repair.testing.golden import GoldenCaseError, apply_mutation, load_case, load_cases
from repair.verify import Pair, verify_pairs

PAIRS_FILE = Path(__file__).resolve().parent / "data" / "meaning_pairs.jsonl"
SEED = "putin-trump"
PER_REQUEST = 8


def labelled() -> list[tuple[str, str, str, str]]:
    """(origin, kind, source paragraph, repair paragraph); kind "none" is a fair repair."""
    found: list[tuple[str, str, str, str]] = []
    for case in load_cases():
        if case.reference is None or case.mutations is None:
            continue
        source = formats.parse(case.input, case.format).paragraphs
        reference = formats.parse(case.reference, case.format).paragraphs
        if len(source) != len(reference):
            continue  # not paragraph-aligned: no pair to show
        for mutation in case.mutations.mutations:
            where = [i for i, p in enumerate(reference) if mutation.find in p.text]
            if len(where) != 1:
                continue  # the edit crosses paragraphs: not a paragraph pair
            i = where[0]
            try:
                changed = apply_mutation(reference[i].text, mutation)
            except GoldenCaseError:
                continue
            found.append(("golden", mutation.kind, source[i].text, changed))
    for line in PAIRS_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            found.append(("written", item["kind"], item["source"], item["repair"]))
    return found


async def judge(
    model: ChatModel, name: str, items: list[tuple[str, str, str, str]]
) -> tuple[list[bool], Usage, int, int]:
    """Whether each pair drew a difference; the usage; spans discarded; failed answers."""
    usage = Usage()
    flagged = [False] * len(items)
    discarded = failures = 0
    gate = asyncio.Semaphore(4)

    async def ask(request: ChatRequest) -> ChatReply:
        async with gate:
            reply = await model.complete(request)
        usage.add(reply.usage)
        return reply

    async def batch(start: int) -> None:
        nonlocal discarded, failures
        group = items[start : start + PER_REQUEST]
        pairs = [Pair.of(f"P{k + 1}", s, r) for k, (_, _, s, r) in enumerate(group)]
        verdict = await verify_pairs(pairs, ask, name)
        discarded += verdict.discarded
        failures += verdict.failure is not None
        for k in range(len(group)):
            flagged[start + k] = bool(verdict.differences.get(f"P{k + 1}"))

    await asyncio.gather(*(batch(i) for i in range(0, len(items), PER_REQUEST)))
    return flagged, usage, discarded, failures


def recall_table(items: list[tuple[str, str, str, str]], flagged: list[bool]) -> str:
    total: Counter[tuple[str, str]] = Counter()
    caught: Counter[tuple[str, str]] = Counter()
    for (origin, kind, _, _), flag in zip(items, flagged, strict=True):
        total[origin, kind] += 1
        caught[origin, kind] += flag
    rows: list[list[object]] = []
    for origin, kind in sorted(total, key=lambda k: (k[1] == "none", k)):
        n, hit = total[origin, kind], caught[origin, kind]
        label = "false alarms" if kind == "none" else "recall"
        rows.append([origin, kind, n, hit, f"{label} {hit / n:.0%}"])
    return table(["set", "kind", "pairs", "flagged", "rate"], rows)


async def seed_cost(config: RepairConfig, prices: dict[str, Price]) -> str:
    """The seed article repaired with the check on: what the check adds."""
    case = load_case(SEED)
    result = await arepair_article(case.input, config, fmt=case.format)
    verify = result.verification.usage
    repair = Usage(
        calls=result.usage.calls - verify.calls,
        prompt_tokens=result.usage.prompt_tokens - verify.prompt_tokens,
        completion_tokens=result.usage.completion_tokens - verify.completion_tokens,
        cached_tokens=result.usage.cached_tokens - verify.cached_tokens,
    )
    article = count_tokens(case.input)
    share = verify.total_tokens / repair.total_tokens if repair.total_tokens else 0.0
    verify_model = config.verify_model or config.model
    total = cost_usd(result, prices)
    check = cost_of([(verify_model, verify)], prices)
    rows: list[list[object]] = [
        ["article tokens", article, ""],
        ["repair calls, tokens", repair.calls, f"{repair.total_tokens:,}"],
        ["check calls, prompt tokens", verify.calls, f"{verify.prompt_tokens:,}"],
        ["check completion tokens", "", f"{verify.completion_tokens:,}"],
        ["check prompt / article token", "", f"{verify.prompt_tokens / article:.2f}"],
        ["check completion / article token", "", f"{verify.completion_tokens / article:.3f}"],
        ["check share of the repair's tokens", "", f"{share:.0%}"],
        [
            "paragraphs checked, findings",
            result.verification.paragraphs,
            result.verification.findings,
        ],
        [
            "cost per article (all, check)",
            "",
            "unpriced" if total is None or check is None else f"${total:.5f}, ${check:.5f}",
        ],
    ]
    return table([f"seed article ({SEED})", "calls", "value"], rows)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", help="the endpoint (default: a fake server, here)")
    parser.add_argument("--model", default="fake-repair")
    parser.add_argument("--verify-model", help="the model for the check (default --model)")
    parser.add_argument("--api-key-env", default="OPENAI_API_KEY", metavar="VAR")
    parser.add_argument("--price", action="append", default=[], metavar="MODEL=IN,OUT")
    args = parser.parse_args(argv)
    items = labelled()
    prices = parse_prices(args.price)
    fake = None
    if args.base_url is None:
        # The fair rewrites stand in as the fake's references, so it can tell them apart.
        answers = golden_answers()
        for _, kind, source, repair in items:
            if kind == "none":
                answers.setdefault(" ".join(source.split()), repair)
        fake = FakeServer(answers=answers).start()
    base_url = args.base_url or (fake.base_url if fake else None)
    config = RepairConfig(
        model=args.model,
        base_url=base_url,
        api_key=SecretStr("fake-not-a-key") if fake else None,
        api_key_env=args.api_key_env,
        verify="model",
        verify_model=args.verify_model,
    )
    try:
        model, owned = open_model(config)
        try:
            name = args.verify_model or args.model
            flagged, usage, discarded, failures = await judge(model, name, items)
        finally:
            if owned:
                await model.aclose()
        print(recall_table(items, flagged))
        print(
            f"\n{len(items)} pairs in {usage.calls} requests: {usage.prompt_tokens:,} prompt and "
            f"{usage.completion_tokens:,} completion tokens; {discarded} difference(s) discarded "
            f"(spans not verbatim); {failures} answer(s) unusable\n"
        )
        print(await seed_cost(config, prices))
    finally:
        if fake:
            fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
