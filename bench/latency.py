"""Single-article latency: chunks in flight together vs one request for the whole article.

Both run side by side in one process against the fake server's latency model (time to
first token plus time per output token), scaled down by one factor so the run is short;
the ratio does not depend on the factor. Prints the critical path: the call the article
waited for last.

    python bench/latency.py [--scale 0.1]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import article_of_words, table
from pydantic import SecretStr

from repair import RepairConfig, RepairResult, repair_article
from repair.testing.fake import FakeServer
from repair.testing.golden import load_case

TTFT, PER_TOKEN = 0.4, 0.020  # a real endpoint's shape: seconds, seconds per output token
FIXED = 4.0  # seconds per request, whatever its length: an endpoint unlike an LLM


def run(text: str, server: FakeServer, **settings: object) -> RepairResult:
    config = RepairConfig(
        model="bench", base_url=server.base_url, api_key=SecretStr("bench"), **settings
    )
    return repair_article(text, config)


def critical_path(result: RepairResult) -> str:
    last = max(result.calls, key=lambda c: c.started_s + c.wait_s)
    what = "glossary" if last.chunk < 0 else f"chunk {last.chunk + 1}"
    glossary = next((c for c in result.calls if c.chunk < 0), None)
    before = f"glossary {glossary.wait_s:.2f}s, then " if glossary else ""
    return (
        f"{before}{what} ({last.completion_tokens} output tokens) "
        f"started {last.started_s:.2f}s, took {last.wait_s:.2f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=0.1, help="latency model factor")
    args = parser.parse_args()
    articles = {
        "seed": load_case("putin-trump").input,
        "3,000 words": article_of_words(3000),
    }
    defaults = RepairConfig()
    rows = []
    paths = []
    with FakeServer(ttft=TTFT * args.scale, per_token=PER_TOKEN * args.scale) as server:
        for name, text in articles.items():
            chunked = run(text, server)
            whole = run(text, server, chunk_chars=len(text) + 1, glossary_pass=False)
            ratio = chunked.timings.total_s / whole.timings.total_s
            rows.append(
                [
                    name,
                    len(text.split()),
                    chunked.chunks,
                    f"{chunked.timings.total_s:.2f}s",
                    f"{whole.timings.total_s:.2f}s",
                    f"{ratio:.2f}",
                ]
            )
            paths.append(f"{name}: {critical_path(chunked)}")
    print(
        f"latency model: {TTFT}s to first token + {PER_TOKEN * 1000:.0f} ms/token, "
        f"scaled by {args.scale}; defaults: chunk_chars={defaults.chunk_chars}, "
        f"concurrency={defaults.concurrency}"
    )
    print(table(["article", "words", "chunks", "chunked", "one request", "ratio"], rows))
    print("critical path:")
    for line in paths:
        print(f"  {line}")
    print("target: ratio <= 0.30 on the 3,000-word article (aim 0.25)")
    # The gain comes from output tokens generated in parallel: against an endpoint that
    # takes the same time for any request, chunking saves nothing.
    fixed = FIXED * args.scale
    with FakeServer(ttft=fixed, per_token=0.0) as server:
        text = articles["3,000 words"]
        chunked = run(text, server)
        whole = run(text, server, chunk_chars=len(text) + 1, glossary_pass=False)
    print(
        f"\nfixed latency, {FIXED}s per request scaled by {args.scale}: 3,000 words chunked "
        f"{chunked.timings.total_s:.2f}s vs one request {whole.timings.total_s:.2f}s, "
        f"ratio {chunked.timings.total_s / whole.timings.total_s:.2f}"
    )


if __name__ == "__main__":
    main()
