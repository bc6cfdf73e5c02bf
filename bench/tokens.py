"""Token economy per golden case: what a repair costs in prompt and completion tokens.

For each case, through the fake server (usage counted with o200k when bpe-openai is
installed, as `pip install '.[bench]'` does; else estimated at four characters a token;
the first line says which): prompt and completion tokens per article token, calls per
article, the share of prompt tokens in the byte-identical system prefix (what providers
cache), what the per-call extras of the repair calls (context, glossary lines, fences,
tags, restated task) add to the article's tokens, and, apart, what the glossary call adds.
The meaning check (`--verify model`) is left out here: `bench/meaning.py` measures it.

    python bench/tokens.py [--chunk-chars N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import table
from pydantic import SecretStr

from repair import RepairConfig, repair_article
from repair.llm.tokens import MESSAGE_OVERHEAD, count_tokens, tokenizer_name
from repair.prompts import system_message
from repair.testing.fake import FakeServer
from repair.testing.golden import load_cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunk-chars", type=int, default=RepairConfig().chunk_chars)
    args = parser.parse_args()
    prefix = count_tokens(system_message("minimal")) + MESSAGE_OVERHEAD
    rows = []
    totals = [0, 0, 0, 0, 0, 0]
    with FakeServer() as server:
        config = RepairConfig(
            model="bench",
            base_url=server.base_url,
            api_key=SecretStr("bench"),
            chunk_chars=args.chunk_chars,
            verify="rules",  # the repair's own economy; bench/meaning.py prices the check
        )
        for case in load_cases():
            result = repair_article(case.input, config)
            article = count_tokens(case.input)
            repair_calls = [c for c in result.calls if c.chunk >= 0]
            prompt, completion = result.usage.prompt_tokens, result.usage.completion_tokens
            cacheable = prefix * len(repair_calls)
            sent = sum(count_tokens(p.source) for p in result.paragraphs if p.kind != "furniture")
            glossary_calls = [c for c in result.calls if c.chunk < 0]
            glossary = sum(c.prompt_tokens + c.completion_tokens for c in glossary_calls)
            glossary_prompt = sum(c.prompt_tokens for c in glossary_calls)
            extras = prompt - cacheable - sent - glossary_prompt
            rows.append(
                [
                    case.name,
                    article,
                    f"{prompt / article:.2f}",
                    f"{completion / article:.2f}",
                    f"{len(repair_calls)}+{len(result.calls) - len(repair_calls)}",
                    f"{cacheable / prompt:.0%}",
                    f"{extras / article:.0%}",
                    f"{glossary / article:.0%}",
                ]
            )
            for i, value in enumerate((article, prompt, completion, cacheable, extras, glossary)):
                totals[i] += value
    article, prompt, completion, cacheable, extras, glossary = totals
    rows.append(
        [
            "all",
            article,
            f"{prompt / article:.2f}",
            f"{completion / article:.2f}",
            "",
            f"{cacheable / prompt:.0%}",
            f"{extras / article:.0%}",
            f"{glossary / article:.0%}",
        ]
    )
    print(f"tokenizer: {tokenizer_name()}")
    print(f"chunk_chars={args.chunk_chars}; static prefix {prefix} tokens (cached from 1,024)")
    print(
        table(
            [
                "case",
                "article tok",
                "prompt/art",
                "compl/art",
                "calls",
                "cacheable",
                "extras/art",
                "glossary/art",
            ],
            rows,
        )
    )
    print(
        "calls: repair calls + glossary calls; extras: what the repair calls send besides the "
        "article and the cacheable prefix (context, glossary lines, fences, tags, task); "
        "glossary: the glossary call's prompt and answer"
    )
    seed = next(r for r in rows if r[0] == "putin-trump")
    print(
        f"repair calls' extras: {extras / article:.0%} of the article's tokens over all cases, "
        f"{seed[6]} on the seed (target <= 25%); static prefix apart: {cacheable:,} tokens, "
        f"{cacheable / prompt:.0%} of the prompt tokens"
    )
    print(
        f"glossary call, counted apart: {glossary / article:.0%} of the article's tokens "
        f"over all cases, {seed[7]} on the seed"
    )
    print("targets: prefix >= 1,024 tokens; extras <= 25% of the article's tokens")


if __name__ == "__main__":
    main()
