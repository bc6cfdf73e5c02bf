"""A tokenizer-free token estimate, for budgets, dry runs and the fake server's usage.

Real counts come from the endpoint's `usage`; this only has to be close for English prose
(about four characters per token for GPT-style tokenizers), and it needs no download.
"""

from __future__ import annotations

from repair.llm.protocol import ChatRequest


def estimate_tokens(text: str) -> int:
    return (len(text) + 3) // 4 if text else 0


def token_reservation(request: ChatRequest) -> int:
    """Tokens a request counts against a per-minute limit: its prompt and `max_tokens`."""
    prompt = sum(estimate_tokens(str(m.get("content", ""))) + 4 for m in request.messages)
    return prompt + (request.max_tokens or 0)
