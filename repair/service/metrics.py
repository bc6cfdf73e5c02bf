"""Prometheus metrics at `/metrics`, with `prometheus_client`.

Each app has a registry of its own (not the library's global one), so two services in
one process (tests) do not share counts. Labels are bounded: the endpoint is one of the
routes (anything else is "other"), the status a number, the paragraph status one of three.
Tokens and cost count only what the endpoint billed: answers from the store are free.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from repair.pricing import cost_of
from repair.results import RepairResult

ROUTES = ("/v1/repair", "/v1/check", "/v1/apply", "/healthz", "/openapi.json", "/metrics")
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "repair_service_requests", "Requests answered", ["endpoint", "status"], registry=r
        )
        self.latency = Histogram(
            "repair_service_request_seconds",
            "Time to answer a request",
            ["endpoint"],
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
            registry=r,
        )
        self.inflight = Gauge("repair_service_inflight", "Repairs running now", registry=r)
        self.tokens = Counter(
            "repair_service_tokens", "Tokens billed by the model endpoint", ["kind"], registry=r
        )
        self.cost = Counter(
            "repair_service_cost_usd", "Estimated cost of the billed tokens", registry=r
        )
        self.cached_calls = Counter(
            "repair_service_cached_calls", "Model calls answered from the store", registry=r
        )
        self.paragraphs = Counter(
            "repair_service_paragraphs", "Paragraphs repaired, by outcome", ["status"], registry=r
        )
        self.flags = Counter(
            "repair_service_flags", "Paragraphs kept original, by reason code", ["code"], registry=r
        )

    def answered(self, path: str, status: int, seconds: float) -> None:
        endpoint = path if path in ROUTES else "other"
        self.requests.labels(endpoint, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)

    def repaired(self, result: RepairResult) -> None:
        billed = [c for c in result.calls if c.attempts > 0]  # attempts 0: from the store
        self.cached_calls.inc(len(result.calls) - len(billed))
        self.tokens.labels("prompt").inc(sum(c.prompt_tokens for c in billed))
        self.tokens.labels("completion").inc(sum(c.completion_tokens for c in billed))
        cost = cost_of([(c.model, c.usage()) for c in billed])
        if cost is not None:
            self.cost.inc(cost)
        for p in result.paragraphs:
            self.paragraphs.labels(p.status).inc()
            if p.reason_code is not None:
                self.flags.labels(p.reason_code.value).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
