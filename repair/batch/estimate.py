"""`repair batch --dry-run`: count the articles, chunks, calls, tokens and cost of a batch,
calling nothing. Importable from `repair.batch` as well.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from repair import prompts
from repair.batch.archive import Article, ArticleProblem, is_jsonl, read_archive
from repair.batch.models import (
    BatchOptions,
    Estimate,
    article_format,
    check_paths,
    fingerprint,
    settings_fingerprint,
)
from repair.batch.store import Store
from repair.chunker import plan
from repair.config import RepairConfig
from repair.formats import Format, parse, words
from repair.glossary import deterministic, find_clusters, relevant, request_messages
from repair.llm.tokens import count_tokens, prompt_tokens
from repair.pricing import cost_of
from repair.results import Usage
from repair.verify import Pair
from repair.verify import request_messages as verify_messages

# OpenAI caches a prompt prefix of at least this many tokens; a shorter one is never cached.
CACHEABLE_PREFIX_TOKENS = 1024


def estimate(
    src: str | Path,
    out: str | Path,
    config: RepairConfig | None = None,
    *,
    options: BatchOptions | None = None,
) -> Estimate:
    """Count the articles, chunks, calls, tokens and cost of a batch, calling nothing."""
    config = config or RepairConfig.from_env()
    options = options or BatchOptions()
    src, out = Path(src), Path(out)
    check_paths(src, out)
    result = Estimate(src=str(src), model=config.model)
    settings = settings_fingerprint(config, prompts.template_version(config.style))
    reasons: Counter[str] = Counter()
    ids: set[str] = set()  # a dry run writes no store: it holds the ids (bytes each)
    systems: set[str] = set()
    previous = Store.peek(out)
    try:
        for article in read_archive(
            src, max_chars=options.max_chars, encoding=options.encoding, exclude=out
        ):
            result.articles += 1
            problem = article.problem
            if problem is None and is_jsonl(src) and article.id is not None:
                if article.id in ids:
                    problem = ArticleProblem("duplicate-id", "duplicate id")
                ids.add(article.id)
            if problem is not None or article.text is None:
                result.skipped += 1
                reasons[problem.reason if problem else "empty"] += 1
                continue
            if previous is not None and _finished(previous, article, settings, options):
                result.done_before += 1
                continue
            result.to_repair += 1
            fmt = Format(article_format(article, options))
            _estimate_article(article.text, fmt, config, result, systems)
    finally:
        if previous is not None:
            previous.close()
    result.reasons = dict(reasons.most_common())
    # The meaning check may run on a model of its own, at its own price.
    repairs = result.usage.model_copy()
    for field in ("calls", "prompt_tokens", "completion_tokens", "cached_tokens"):
        setattr(repairs, field, getattr(repairs, field) - getattr(result.verification, field))
    verify_model = config.verify_model or config.model
    billed = [(config.model, repairs), (verify_model, result.verification)]
    result.cost_usd = cost_of(billed, options.prices)
    result.batch_cost_usd = cost_of(billed, options.prices, batch=True)
    return result


def _finished(store: Store, article: Article, settings: str, options: BatchOptions) -> bool:
    before = store.previous(article.origin)
    if before is None or not before.entry or article.text is None:
        return False
    redo = options.retry_failed and before.status in ("failed", "flagged")
    return before.fingerprint == fingerprint(settings, article, options) and not redo


def _estimate_article(
    text: str, fmt: Format, config: RepairConfig, into: Estimate, systems: set[str]
) -> None:
    """The requests the pipeline would send for `text` on a first try, as the fake counts them."""
    document = parse(text, fmt)
    article_plan = plan(document, config.chunk_chars, config.context_chars)
    clusters = find_clusters(words(document)) if config.glossary_pass else []
    requests: list[tuple[list[dict[str, str]], int, bool]] = []  # (messages, output, verify)
    if clusters:
        requests.append((request_messages(clusters), 16 + 20 * len(clusters), False))
    stand_in = deterministic(clusters)  # the model's glossary is about as long
    for chunk in article_plan.chunks:
        passage = "\n".join(u.text for u in chunk.units)
        messages = prompts.messages(chunk, config.style, glossary=relevant(stand_in, passage))
        # A repair is about as long as its passage, plus the paragraph tags.
        requests.append((messages, count_tokens(passage) + 2 * len(chunk.units), False))
        if config.verify == "model":
            # Every paragraph taken as changed, its repair as long as its source: the most
            # the check can cost; the usual answer is an empty list per paragraph.
            pairs = [Pair.of(u.id, u.text, u.text) for u in chunk.units]
            requests.append((verify_messages(pairs), 10 * len(pairs) + 4, True))
    into.chunks += len(article_plan.chunks)
    for messages, completion, verify in requests:
        system = messages[0]["content"]
        size = count_tokens(system)
        usage = Usage(
            calls=1,
            prompt_tokens=prompt_tokens(messages),
            completion_tokens=completion,
            cached_tokens=size if system in systems and size >= CACHEABLE_PREFIX_TOKENS else 0,
        )
        systems.add(system)
        into.calls += 1
        into.usage.add(usage)
        if verify:
            into.verification.add(usage)
