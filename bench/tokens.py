"""Token economy per golden case: what a repair costs in prompt and completion tokens.

For each case, through the fake server (usage counted as a tokenizer would, ~4 chars a
token): prompt and completion tokens per article token, calls per article, the share of
prompt tokens in the byte-identical system prefix (what providers cache), and what the
per-call extras (context, glossary, fencing, restated task) add to the article's tokens.

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
from repair.llm.tokens import estimate_tokens
from repair.prompts import system_message
from repair.testing.fake import FakeServer
from repair.testing.golden import load_cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunk-chars", type=int, default=RepairConfig().chunk_chars)
    args = parser.parse_args()
    prefix = estimate_tokens(system_message("minimal")) + 4
    rows = []
    totals = [0, 0, 0, 0, 0]
    with FakeServer() as server:
        config = RepairConfig(
            model="bench",
            base_url=server.base_url,
            api_key=SecretStr("bench"),
            chunk_chars=args.chunk_chars,
        )
        for case in load_cases():
            result = repair_article(case.input, config)
            article = estimate_tokens(case.input)
            repair_calls = [c for c in result.calls if c.chunk >= 0]
            prompt, completion = result.usage.prompt_tokens, result.usage.completion_tokens
            cacheable = prefix * len(repair_calls)
            sent = sum(
                estimate_tokens(p.source) for p in result.paragraphs if p.kind != "furniture"
            )
            glossary_prompt = sum(c.prompt_tokens for c in result.calls if c.chunk < 0)
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
                ]
            )
            for i, value in enumerate((article, prompt, completion, cacheable, extras)):
                totals[i] += value
    article, prompt, completion, cacheable, extras = totals
    rows.append(
        [
            "all",
            article,
            f"{prompt / article:.2f}",
            f"{completion / article:.2f}",
            "",
            f"{cacheable / prompt:.0%}",
            f"{extras / article:.0%}",
        ]
    )
    print(f"chunk_chars={args.chunk_chars}; static prefix {prefix} tokens (cached from 1,024)")
    print(
        table(
            ["case", "article tok", "prompt/art", "compl/art", "calls", "cacheable", "extras/art"],
            rows,
        )
    )
    print("calls: repair calls + glossary calls; extras: context, glossary, fences, task")
    print("targets: prefix >= 1,024 tokens; extras <= 30% of the article's tokens")


if __name__ == "__main__":
    main()
