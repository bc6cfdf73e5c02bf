"""How `repair serve` runs: where it listens, who may call it, and its limits.

The model settings are not here: they are the `RepairConfig` of `repair fix` (the same
options and environment), so a service answers exactly what the command line would.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from repair.config import SERVICE_TOKEN_ENV
from repair.errors import ConfigurationError

# A token shorter than this is guessable over a network by brute force.
MIN_TOKEN_CHARS = 16


class ServiceSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    token: SecretStr | None = Field(
        default=None, description=f"the bearer token clients send (env {SERVICE_TOKEN_ENV})"
    )
    no_auth: bool = Field(default=False, description="serve without a token: loopback only")
    max_chars: int = Field(
        default=2_000_000, ge=1, description="the longest article accepted (as repair fix)"
    )
    max_body_bytes: int = Field(
        # JSON may spell a character in up to 6 bytes ("\u00e9"): room for the longest article
        default=16 * 1024 * 1024,
        ge=1024,
        description="the largest request body accepted",
    )
    max_inflight: int = Field(
        default=4, ge=1, description="repairs at once; one more is refused with 503"
    )
    deadline_s: float = Field(default=300.0, gt=0, description="one request's time (504 after)")
    grace_s: int = Field(
        default=30, ge=0, description="on SIGTERM, how long repairs in flight may finish"
    )
    cache_dir: Path | None = Field(
        default=Path(".repair-serve"),
        description="the store of model answers (the batch's format); None: no cache",
    )
    health_ttl_s: float = Field(default=5.0, ge=0, description="how long a health probe holds")
    health_timeout_s: float = Field(default=2.0, gt=0, description="the probe's timeout")

    def check(self) -> None:
        """A ConfigurationError unless the service would be safe to start as set.

        Without a token, anyone who can reach the port spends the API key's money and
        reads what others sent; that is allowed only on loopback, and only when asked for.
        """
        if self.token is not None:
            if self.no_auth:
                raise ConfigurationError(
                    f"--no-auth and {SERVICE_TOKEN_ENV} are both set; choose one",
                    setting="no_auth",
                )
            if len(self.token.get_secret_value()) < MIN_TOKEN_CHARS:
                raise ConfigurationError(
                    f"{SERVICE_TOKEN_ENV} is shorter than {MIN_TOKEN_CHARS} characters; use "
                    "a long random one, e.g. `python -c 'import secrets; "
                    "print(secrets.token_urlsafe(32))'`",
                    setting="token",
                )
            return
        if not self.no_auth:
            raise ConfigurationError(
                f"no token: set {SERVICE_TOKEN_ENV} to the bearer token clients must send "
                "(or, on 127.0.0.1 only, pass --no-auth)",
                setting="token",
            )
        if not is_loopback(self.host):
            raise ConfigurationError(
                f"--no-auth serves only on loopback (127.0.0.1, ::1, localhost), not on "
                f"{self.host}: anyone who reaches it would spend the API key; set "
                f"{SERVICE_TOKEN_ENV} instead",
                setting="host",
            )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name other than localhost may resolve anywhere
        return False
