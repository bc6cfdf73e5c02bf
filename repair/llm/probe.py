"""Is the model endpoint there? One `GET {base_url}/models` through the SDK, short timeout.

For `repair serve`'s health check: it must answer in a second or two whatever the
endpoint does, so there is no retry and the timeout is the caller's. Any HTTP answer means
the endpoint is reachable (a server without /models answers 404 and still serves chat
completions); the status is reported so that a rejected key (401) shows before the first
repair fails on it. The key never appears in what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass

from repair.config import RepairConfig
from repair.llm.client import public_url, scrub


@dataclass(frozen=True, slots=True)
class Probe:
    """What one look at the endpoint found."""

    reachable: bool
    status: int | None = None  # the HTTP status of the answer, when there was one
    reason: str | None = None  # "unreachable", "timeout" or "http-NNN" when not a 200
    detail: str = ""  # for people: scrubbed of the key and of URL credentials

    @property
    def ok(self) -> bool:
        return self.reachable and self.status is not None and self.status < 400


async def probe_endpoint(config: RepairConfig, timeout: float = 2.0) -> Probe:
    """Ask the endpoint for its models; never raises for a failure of the endpoint."""
    import httpx2
    import openai

    base_url, key = config.endpoint()
    limit = httpx2.Timeout(timeout, connect=timeout)
    async with httpx2.AsyncClient(timeout=limit) as http:
        client = openai.AsyncOpenAI(
            api_key=key, base_url=base_url, max_retries=0, timeout=limit, http_client=http
        )
        where = public_url(str(client.base_url))
        try:
            await client.models.list()
        except openai.APIStatusError as exc:
            status = exc.status_code
            return Probe(True, status, f"http-{status}", f"{where}models answered HTTP {status}")
        except openai.APITimeoutError:
            return Probe(False, None, "timeout", f"{where} did not answer within {timeout:g} s")
        except openai.APIConnectionError as exc:
            cause = scrub(str(exc.__cause__ or exc), key)
            return Probe(False, None, "unreachable", f"cannot connect to {where}: {cause}")
    return Probe(True, 200)
