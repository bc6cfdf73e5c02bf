"""`repair serve`: parse, build the settings, hand them to `repair.service`, which serves
until SIGTERM or Ctrl-C. The model options are those of `repair fix`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from repair import service
from repair.cli.common import EXIT_OK, config_from, model_options
from repair.config import SERVICE_TOKEN_ENV, service_token
from repair.errors import ConfigurationError

SERVE_EXAMPLES = f"""\
examples:
  # the token every client sends as 'Authorization: Bearer ...'; the model as for repair fix
  export {SERVICE_TOKEN_ENV}=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')
  export OPENAI_API_KEY=sk-...
  repair serve --host 0.0.0.0 --port 8080 --max-inflight 8

  # on this machine only, no token (refused on any other address)
  repair serve --no-auth --base-url http://localhost:11434/v1 --model llama3.1

  curl -s localhost:8080/v1/repair -H "Authorization: Bearer ${SERVICE_TOKEN_ENV}" \\
       -H 'Content-Type: application/json' -d '{{"text": "The minister have said ..."}}'

Endpoints: POST /v1/repair, /v1/check, /v1/apply; GET /healthz, /openapi.json, /metrics.
Errors are JSON: {{"error": {{"code": ..., "message": ...}}}}. Model answers are kept in
--cache (the store format of repair batch): an article sent twice is paid once.
SIGTERM: no new connections; repairs in flight get --grace seconds to finish.
"""


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `serve` to the `repair` command line."""
    serve = commands.add_parser(
        "serve",
        help="the repair as an HTTP service for a CMS (needs the serve extra)",
        description="Serve /v1/repair, /v1/check and /v1/apply over HTTP (Starlette, uvicorn).",
        epilog=SERVE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = serve.add_argument_group("service")
    where.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    where.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    where.add_argument(
        "--no-auth",
        action="store_true",
        help=f"no token (without {SERVICE_TOKEN_ENV}); allowed on loopback only",
    )
    where.add_argument(
        "--max-body",
        type=int,
        default=16 * 1024 * 1024,
        metavar="BYTES",
        help="largest request body (default 16 MiB; 413 past it)",
    )
    where.add_argument(
        "--max-inflight",
        type=int,
        default=4,
        metavar="N",
        help="repairs at once (default 4); one more gets 503 with Retry-After",
    )
    where.add_argument(
        "--deadline",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="one request's time (default 300; 504 past it, the repair is stopped)",
    )
    where.add_argument(
        "--grace",
        type=int,
        default=30,
        metavar="SECONDS",
        help="on SIGTERM, how long repairs in flight may finish (default 30)",
    )
    where.add_argument(
        "--cache",
        default=".repair-serve",
        metavar="DIR",
        help="the store of model answers (default .repair-serve; a batch's --out works too)",
    )
    where.add_argument("--no-cache", action="store_true", help="keep no model answers")
    model_options(serve, files=False)
    serve.set_defaults(run=_run_serve)


def _run_serve(args: argparse.Namespace) -> int:
    settings = service.ServiceSettings(
        host=args.host,
        port=args.port,
        token=service_token(),
        no_auth=args.no_auth,
        max_chars=args.max_chars,
        max_body_bytes=args.max_body,
        max_inflight=args.max_inflight,
        deadline_s=args.deadline,
        grace_s=args.grace,
        cache_dir=None if args.no_cache else Path(args.cache),
    )
    settings.check()  # before the web stack is even imported
    config = config_from(args)
    try:
        serve = service.serve
    except ImportError as exc:
        raise ConfigurationError(
            f"repair serve needs the serve extra: pip install 'repair[serve]' ({exc.name} "
            "is missing)",
            setting="serve",
        ) from None
    serve(settings, config, log_level="debug" if args.verbose > 1 else "info")
    return EXIT_OK
