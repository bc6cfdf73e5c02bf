"""`repair serve`: check the settings, open the store, and run the app under uvicorn.

Everything that can be wrong with the settings (no token, a token on a public address,
no model endpoint, a store another process holds) is found here, before the port opens,
and is a ConfigurationError the command line prints in one line (exit 2).

uvicorn stops on SIGTERM (and Ctrl-C) gracefully: it stops accepting connections, lets
the requests in flight finish for up to `grace_s` seconds, then cancels what is left.
"""

from __future__ import annotations

import logging
import sys

from repair.config import RepairConfig
from repair.errors import ConfigurationError
from repair.llm import ChatModel
from repair.service.app import create_app
from repair.service.cache import AnswerCache
from repair.service.settings import ServiceSettings


def serve(
    settings: ServiceSettings,
    config: RepairConfig,
    *,
    client: ChatModel | None = None,
    log_level: str = "info",
) -> None:
    """Serve until stopped. Raises ConfigurationError before listening if unsafe or unset."""
    import uvicorn

    settings.check()
    if client is None:
        config.endpoint()  # no endpoint configured: say how to set one up, now
    _access_log_to_stderr()
    cache = _open_cache(settings)
    try:
        app = create_app(settings, config, client=client, cache=cache)
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=settings.host,
                port=settings.port,
                timeout_graceful_shutdown=settings.grace_s,
                access_log=False,  # ours is structured, and leaves out the query string
                server_header=False,
                log_level=log_level,
                lifespan="on",
            )
        )
        try:
            server.run()
        except SystemExit:  # uvicorn's way to say it could not start (it logged why)
            raise ConfigurationError(
                f"could not serve on {settings.host}:{settings.port} (see the message above)",
                setting="port",
            ) from None
    finally:
        if cache is not None:
            cache.close()


def _open_cache(settings: ServiceSettings) -> AnswerCache | None:
    if settings.cache_dir is None:
        return None
    try:
        return AnswerCache.open(settings.cache_dir)
    except ConfigurationError as exc:
        if exc.context.get("setting") != "out":
            raise
        # The store's own words speak of `repair batch --out`; here the folder is --cache.
        raise ConfigurationError(
            f"--cache {settings.cache_dir}: another process (repair serve or repair batch) "
            "holds the store there; give this one another --cache, or --no-cache",
            setting="cache",
        ) from None


def _access_log_to_stderr() -> None:
    """One JSON object per line, alone on its line: what log shippers read as is."""
    access = logging.getLogger("repair.service.access")
    if not access.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(handler)
    access.setLevel(logging.INFO)
    access.propagate = False
