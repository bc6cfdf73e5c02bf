"""Counting LLM tokens, for budgets, rate limits, dry runs and the fake server's usage.

Real counts of a call come from the endpoint's `usage`. Everything we count ourselves goes
through `count_tokens`: with the optional `bpe-openai` package installed (the `tokens`
extra; the test and bench extras include it) that is o200k, the tokenizer of GPT-4o-class
models, bundled with the package so it works offline (tiktoken would download its
encoding file on first use); without it, an estimate of four characters a token, close
for English prose. `TOKENIZER` says which one a figure was counted with.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import cache

from repair.llm.protocol import ChatRequest

MESSAGE_OVERHEAD = 4  # tokens a chat message costs beyond its content (role, separators)


def _estimate(text: str) -> int:
    return (len(text) + 3) // 4 if text else 0


@cache
def _counter() -> tuple[str, Callable[[str], int]]:
    with warnings.catch_warnings():
        # bpe-openai loads its data with a deprecated importlib.resources call; its
        # warning is not our users' to see (nor to fail a run under -W error).
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import bpe_openai
        except ImportError:
            return "estimate (4 characters a token)", _estimate
        encoding = bpe_openai.get_encoding("o200k_base")
    # Article text is data: a "<|endoftext|>" in it is counted as text, never as special.
    return "o200k (bpe-openai)", lambda text: len(encoding.encode(text, disallowed_special=()))


def count_tokens(text: str) -> int:
    """Tokens in `text` (o200k when bpe-openai is installed, else the estimate)."""
    return _counter()[1](text) if text else 0


def tokenizer_name() -> str:
    return _counter()[0]


def prompt_tokens(messages: list[dict[str, str]]) -> int:
    """What a list of chat messages costs as a prompt."""
    return sum(count_tokens(str(m.get("content", ""))) + MESSAGE_OVERHEAD for m in messages)


def token_reservation(request: ChatRequest, *, exact: bool = True) -> int:
    """Tokens a request counts against a per-minute limit: its prompt and `max_tokens`.

    `exact=False` estimates the prompt at four characters a token: for bookkeeping where
    no token limit is paced, as counting costs the client CPU on every request.
    """
    if exact:
        prompt = prompt_tokens(list(request.messages))
    else:
        prompt = sum(
            _estimate(str(m.get("content", ""))) + MESSAGE_OVERHEAD for m in request.messages
        )
    return prompt + (request.max_tokens or 0)
