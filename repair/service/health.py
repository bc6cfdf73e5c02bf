"""`GET /healthz`: the service is up, and whether the model endpoint answers.

The endpoint is asked at most once every `ttl` seconds however often the health check is
polled (a load balancer may ask every second, from several places), and concurrent checks
share the one probe in flight.
"""

from __future__ import annotations

import asyncio
import time

from repair.config import RepairConfig
from repair.llm.probe import Probe, probe_endpoint
from repair.service.models import ModelEndpoint


class EndpointHealth:
    def __init__(self, config: RepairConfig, *, ttl_s: float, timeout_s: float) -> None:
        self.config, self.ttl_s, self.timeout_s = config, ttl_s, timeout_s
        self.probes = 0  # how many times the endpoint was actually asked
        self._last: tuple[float, Probe] | None = None
        self._lock = asyncio.Lock()

    async def current(self) -> ModelEndpoint:
        async with self._lock:
            now = time.monotonic()
            if self._last is None or now - self._last[0] >= self.ttl_s:
                self.probes += 1
                self._last = (now, await probe_endpoint(self.config, self.timeout_s))
            at, probe = self._last
        return ModelEndpoint(
            reachable=probe.reachable,
            status=probe.status,
            reason=probe.reason,
            checked_s_ago=round(time.monotonic() - at, 3),
        )
