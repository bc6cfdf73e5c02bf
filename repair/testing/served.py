"""`repair serve` in a child process on a free loopback port, for tests, benches and demos.

    with ServedRepair(["--base-url", fake.base_url], token=TOKEN) as served:
        status, headers, body = served.call("POST", "/v1/repair", {"text": "..."})

The child is the real command (`python -m repair serve`), so what is tested is what a
newsroom runs: uvicorn, signals, logs. Its stdout and stderr go to files (`log_text()`),
which a test can search for what must never be there. `stop()` sends SIGTERM, as a
process manager does.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

Reply = tuple[int, dict[str, str], bytes]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServedRepair:
    def __init__(
        self,
        args: Sequence[str],
        *,
        token: str | None = None,
        env: Mapping[str, str] | None = None,
        folder: Path | None = None,
        ready_s: float = 30.0,
    ) -> None:
        self.port = free_port()
        self.token = token
        self.folder = Path(folder or tempfile.mkdtemp(prefix="repair-serve-"))
        self.args = ["--port", str(self.port), *args]
        if not any(a in ("--cache", "--no-cache") for a in args):
            self.args += ["--cache", str(self.folder / "cache")]
        self.env = dict(os.environ if env is None else env)
        self.env.pop("REPAIR_SERVICE_TOKEN", None)
        if token is not None:
            self.env["REPAIR_SERVICE_TOKEN"] = token
        self.ready_s = ready_s
        self.process: subprocess.Popen[bytes] | None = None
        self.replies: list[Reply] = []  # every answer `call` got, for a test to search

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServedRepair:
        self.folder.mkdir(parents=True, exist_ok=True)
        out = (self.folder / "stdout.log").open("ab")
        err = (self.folder / "stderr.log").open("ab")
        with out, err:
            self.process = subprocess.Popen(  # noqa: S603 (our own command, no shell)
                [sys.executable, "-m", "repair", "serve", *self.args],
                stdout=out,
                stderr=err,
                env=self.env,
            )
        deadline = time.monotonic() + self.ready_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"repair serve exited {self.process.returncode}: {self.log_text()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"repair serve did not listen within {self.ready_s} s")

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, then wait for it to end (the grace period included); its exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> ServedRepair:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def log_text(self) -> str:
        parts = [(self.folder / n).read_bytes() for n in ("stdout.log", "stderr.log")]
        return b"".join(p for p in parts).decode("utf-8", "replace")

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        token: str | bool | None = True,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,
    ) -> Reply:
        """One request; `token` True sends the service's own, a string another, None none."""
        sent = dict(headers or {})
        use = self.token if token is True else token if isinstance(token, str) else None
        if use:
            sent["Authorization"] = f"Bearer {use}"
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            reply = (
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
        finally:
            connection.close()
        self.replies.append(reply)
        return reply

    def json(self, method: str, path: str, body: Any = None, **options: Any) -> tuple[int, Any]:
        status, _, data = self.call(method, path, body, **options)
        return status, json.loads(data) if data else None
