"""A loopback server that misbehaves on purpose: one mode per way an endpoint can fail a
client after it has accepted the connection.

    with HostileServer("drip") as server:
        ...  # server.base_url

Every mode answers POST /v1/chat/completions; the client under test must turn each one
into the library's own error, within its deadline, without a traceback.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-hostile",
    "object": "chat.completion",
    "created": 0,
    "model": "hostile",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "[[P1]] Fine."},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
}


def _with(**changes: Any) -> bytes:
    body = json.loads(json.dumps(COMPLETION))
    body.update(changes)
    return json.dumps(body).encode()


def _usage(prompt: Any, completion: Any = 3) -> bytes:
    return _with(usage={"prompt_tokens": prompt, "completion_tokens": completion})


# mode -> the body of a 200 answer (the slow and silent modes are handled apart)
BODIES: dict[str, bytes] = {
    "invalid-json": b"this is not json {",
    "html": b"<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>",
    "truncated": json.dumps(COMPLETION).encode()[:70],
    "no-message": _with(choices=[{"index": 0, "finish_reason": "stop"}]),
    "no-choices": _with(choices=[]),
    "usage-text": _usage("lots"),
    "usage-negative": _usage(-500, -3),
    "usage-absurd": _usage(10**27, 10**27),
    "surrogate": json.dumps(COMPLETION).replace("Fine.", "Fine\\ud800.").encode(),
    "huge": _with(
        choices=[{"index": 0, "message": {"role": "assistant", "content": "x" * 20_000_000}}]
    ),
}
SLOW_MODES = ("drip", "no-headers", "stall-after-headers")
MODES = (*BODIES, *SLOW_MODES, "echo-key")


class HostileServer:
    def __init__(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.requests = 0
        self.stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()


def _handler_for(server: HostileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            server.requests += 1
            mode = server.mode
            if mode == "no-headers":
                server.stop.wait(600)
                return
            if mode == "echo-key":
                key = self.headers.get("authorization", "").removeprefix("Bearer ")
                echoed = " ".join(key.upper())  # the key again, upper-cased and spaced out
                body = json.dumps({"error": {"message": f"bad key {echoed} and {key}"}}).encode()
                self._head(401, len(body))
                self.wfile.write(body)
                return
            if mode in ("drip", "stall-after-headers"):
                self._head(200, 10_000)
                # The client hangs up when its deadline passes: what the test wants.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    while not server.stop.is_set():
                        if mode == "drip":
                            self.wfile.write(b" ")
                            self.wfile.flush()
                        server.stop.wait(0.5)
                return
            body = BODIES[mode]
            self._head(200, len(body))
            # The client may stop reading half way: what a size cap should do.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def _head(self, status: int, length: int) -> None:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(length))
            self.end_headers()
            self.wfile.flush()

    return Handler


def wait_until(predicate: Any, seconds: float = 5.0) -> None:
    end = time.monotonic() + seconds
    while not predicate() and time.monotonic() < end:
        time.sleep(0.01)
