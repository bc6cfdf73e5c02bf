"""Settings for a repair: explicit arguments, then the environment, then defaults.

This is the only module that reads the environment, and only when asked (never at import
time). The API key is a `SecretStr`: it prints as '**********' in reprs, logs and JSON.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from repair.errors import ConfigurationError

DEFAULT_MODEL = "gpt-4o-mini"
# The bearer token `repair serve` asks its clients for (see repair/service/).
SERVICE_TOKEN_ENV = "REPAIR_SERVICE_TOKEN"  # noqa: S105 (a variable name, not a secret)

# Environment variable -> setting. OPENAI_* names are the SDK's own, so a user who has
# the openai CLI working needs nothing else.
_ENV: dict[str, str] = {
    "OPENAI_BASE_URL": "base_url",
    "REPAIR_MODEL": "model",
    "REPAIR_FALLBACK_MODEL": "fallback_model",
    "REPAIR_STYLE": "style",
    "REPAIR_CONCURRENCY": "concurrency",
    "REPAIR_CHUNK_CHARS": "chunk_chars",
    "REPAIR_TIMEOUT": "timeout",
    "REPAIR_MAX_ATTEMPTS": "max_attempts",
    "REPAIR_MAX_REASKS": "max_reasks",
    "REPAIR_VERIFY": "verify",
    "REPAIR_VERIFY_MODEL": "verify_model",
}

NO_ENDPOINT_HELP = (
    "no model endpoint is configured.\n"
    "  OpenAI:            export OPENAI_API_KEY=sk-...   (optionally REPAIR_MODEL=gpt-4o-mini)\n"
    "  Ollama:            --base-url http://localhost:11434/v1 --model llama3.1\n"
    "  vLLM / llama.cpp:  --base-url http://localhost:8000/v1 --model NAME\n"
    "  Azure OpenAI:      --base-url https://RESOURCE.openai.azure.com/openai/v1/ "
    "--api-key-env AZURE_OPENAI_API_KEY --model DEPLOYMENT\n"
    "  No model at hand:  `repair demo` runs the whole pipeline against a built-in fake server."
)


class RepairConfig(BaseModel):
    """Everything that shapes a repair. Build it directly, or with `from_env()`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str = DEFAULT_MODEL
    fallback_model: str | None = Field(
        default=None,
        description="tried once when the main model refuses or its content filter stops it",
    )
    base_url: str | None = None
    api_key: SecretStr | None = None
    api_key_env: str = "OPENAI_API_KEY"
    style: Literal["minimal", "fluent"] = "minimal"
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    chunk_chars: int = Field(
        default=3000, ge=200, description="most article characters per request"
    )
    context_chars: int = Field(
        default=100, ge=0, description="read-only context on each side of a chunk"
    )
    concurrency: int = Field(default=8, ge=1, le=256, description="requests in flight at once")
    timeout: float = Field(default=120.0, gt=0, description="seconds to wait for one answer")
    connect_timeout: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=5, ge=1, le=20, description="transport attempts per request")
    max_retry_seconds: float = Field(
        default=180.0, gt=0, description="total time for one request's retries"
    )
    max_reasks: int = Field(
        default=2, ge=0, le=10, description="re-asks of a chunk whose answer failed checks"
    )
    glossary: dict[str, str] = Field(
        default_factory=dict, description="spelling -> canonical spelling, pinned by the editor"
    )
    glossary_pass: bool = Field(
        default=True, description="ask the model once per article for one spelling per name"
    )
    verify: Literal["model", "rules"] = Field(
        default="model",
        description="model: the ledger, then the model checks each changed paragraph's "
        "meaning against its source; rules: the ledger only",
    )
    verify_model: str | None = Field(
        default=None, description="the model for the meaning check (default: `model`)"
    )
    request_log: str | None = Field(
        default=None, description="append every request and its answer to this file (JSON lines)"
    )

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        defaults: Mapping[str, Any] | None = None,
        **explicit: Any,
    ) -> RepairConfig:
        """Explicit values win, then REPAIR_* / OPENAI_* variables, then `defaults` (a
        front door's own, such as the batch's larger chunks), then the model's defaults."""
        env = os.environ if env is None else env
        values: dict[str, Any] = dict(defaults or {})
        values.update({field: env[name] for name, field in _ENV.items() if env.get(name)})
        values.update({k: v for k, v in explicit.items() if v is not None})
        return cls(**values)

    def endpoint(self, env: Mapping[str, str] | None = None) -> tuple[str | None, str]:
        """(base_url, api_key) to call, or a ConfigurationError that says how to set one up.

        A local server (Ollama, vLLM, llama.cpp) needs no key; the SDK insists on one, so
        a placeholder is sent, which such servers ignore.
        """
        env = os.environ if env is None else env
        base_url = self.base_url or env.get("OPENAI_BASE_URL") or None
        key = self.api_key.get_secret_value() if self.api_key else env.get(self.api_key_env, "")
        if not key and not base_url:
            raise ConfigurationError(NO_ENDPOINT_HELP, setting="endpoint")
        if base_url:
            _check_base_url(base_url, self.api_key_env)
        return base_url, key or "no-key-needed"


def service_token(env: Mapping[str, str] | None = None) -> SecretStr | None:
    """The token `repair serve` asks for, from REPAIR_SERVICE_TOKEN (None: unset or blank)."""
    env = os.environ if env is None else env
    token = env.get(SERVICE_TOKEN_ENV, "").strip()
    return SecretStr(token) if token else None


def _check_base_url(url: str, key_env: str) -> None:
    """A base URL must be http(s) and carry no credentials.

    `http://user:pass@host/v1` would send Basic auth instead of the bearer key and put the
    password in every log line that names the URL; refusing it is clearer than stripping
    it behind the user's back.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"--base-url must be an http:// or https:// URL, such as "
            f"http://localhost:11434/v1 (got {parts.scheme or 'no scheme'}://...)",
            setting="base_url",
        )
    if parts.username or parts.password:
        raise ConfigurationError(
            "--base-url carries a user name or password; give the URL without them and put "
            f"the API key in {key_env} (or name another variable with --api-key-env)",
            setting="base_url",
        )
