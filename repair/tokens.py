"""A tokenizer-free token estimate, for budgets, dry runs and the fake server's usage.

Real counts come from the endpoint's `usage`; this only has to be close for English prose
(about four characters per token for GPT-style tokenizers), and it needs no download.
"""

from __future__ import annotations


def estimate_tokens(text: str) -> int:
    return (len(text) + 3) // 4 if text else 0
