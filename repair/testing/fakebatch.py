"""The fake server's Files and Batches endpoints (mounted by fake.py), as OpenAI has them.

Upload (`POST /v1/files`, multipart, purpose "batch"), retrieve, content and list files;
create, retrieve, list and cancel batches. A batch moves with the clock:
validating -> in_progress (request_counts.completed grows) -> finalizing -> completed,
and each line is answered as the chat endpoint would answer it (`FakeServer.answer`).

Faults, scripted per created batch (`script`) or drawn per line (`line_error_rate`):
- "failed": the batch fails in validation; no output file.
- "expired": it runs out of time half-way: half the lines answered, the rest in the error
  file with code `batch_expired`.
- "slow-finalizing": finalizing takes `slow_finalizing_s`.
- "line-errors": a few lines (every fifth) fail with HTTP 500 in the error file;
  "line-refusals": the same with HTTP 400 (a request the provider will never run).
- `line_error_rate`: that share of lines fail, drawn at random (seeded).
- `answer_faults`: the chat server's answer faults ("change-number"...), played on the next
  lines answered, in order: a bad answer inside a good batch.

`stall` holds a reply for so many seconds after the work is done (a slow network, or a
client killed while it waits): "upload" (the file is stored), "create" (the batch exists),
"content" (a file is being downloaded); a test kills the client there.

`fail_after` answers HTTP 500 to the next so many calls of a phase *after doing the
work* ("upload": the file is stored, "create": the batch exists), as a provider whose
reply is lost: a client that simply tries again pays twice.

`GET /_fake/batches` tells a test what the provider saw: uploads, batches created, each
batch's status and metadata.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import random
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit


class Answerer(Protocol):
    """What a batch line needs of the chat server (fake.py's FakeServer): its answers."""

    def answer(
        self, body: dict[str, Any], fault: str | None
    ) -> tuple[str | None, str, list[str]]: ...

    def usage(self, body: dict[str, Any], content: str | None) -> dict[str, Any]: ...


BATCH_FAULTS = ("failed", "expired", "slow-finalizing", "line-errors", "line-refusals")
_TERMINAL = ("completed", "failed", "expired", "cancelled")


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"

    @classmethod
    def json(cls, status: int, payload: Any) -> Reply:
        return cls(status, json.dumps(payload).encode())

    @classmethod
    def error(cls, status: int, message: str, code: str) -> Reply:
        return cls.json(status, {"error": {"message": message, "code": code, "type": code}})


@dataclass
class _File:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        }


@dataclass
class _Batch:
    id: str
    input_file_id: str
    lines: list[dict[str, Any]]
    metadata: dict[str, str] | None
    fault: str | None
    created: float  # monotonic
    created_at: int
    cancelled: float | None = None
    status: str = "validating"
    output_file_id: str | None = None
    error_file_id: str | None = None
    completed: int = 0
    failed: int = 0
    timestamps: dict[str, int] = field(default_factory=dict)


class FakeBatchApi:
    """The Files and Batches endpoints of one `FakeServer`; times in seconds."""

    def __init__(
        self,
        server: Answerer,
        *,
        validating_s: float = 0.05,
        in_progress_s: float = 0.2,
        finalizing_s: float = 0.05,
        slow_finalizing_s: float = 2.0,
        line_error_rate: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.server = server
        self.validating_s, self.in_progress_s = validating_s, in_progress_s
        self.finalizing_s, self.slow_finalizing_s = finalizing_s, slow_finalizing_s
        self.line_error_rate = line_error_rate
        self.stall: dict[str, float] = {}
        self.answer_faults: deque[str] = deque()
        self.fail_after: dict[str, int] = {}
        self.contents = 0  # file downloads asked for
        self.files: dict[str, _File] = {}
        self.batches: dict[str, _Batch] = {}
        self.created = 0  # batches created
        self.uploads = 0
        self.lines_answered = 0
        self._script: deque[str] = deque()
        self._random = random.Random(seed)  # noqa: S311 (fault draws, not secrets)
        self._lock = threading.RLock()

    def script(self, *faults: str) -> None:
        """Play these faults on the next batches created, in order ("ok" plays none)."""
        unknown = set(faults) - set(BATCH_FAULTS) - {"ok"}
        if unknown:
            raise ValueError(f"unknown batch faults: {', '.join(sorted(unknown))}")
        with self._lock:
            self._script.extend(faults)

    def seen(self) -> dict[str, Any]:
        with self._lock:
            for batch in self.batches.values():
                self._advance(batch)
            return {
                "uploads": self.uploads,
                "contents": self.contents,
                "created": self.created,
                "lines_answered": self.lines_answered,
                "batches": [
                    {
                        "id": b.id,
                        "status": b.status,
                        "metadata": b.metadata,
                        "total": len(b.lines),
                        "fault": b.fault,
                        "custom_ids": [line.get("custom_id") for line in b.lines],
                    }
                    for b in self.batches.values()
                ],
            }

    # --- routing ----------------------------------------------------------------------

    def route(self, method: str, target: str, headers: Any, raw: bytes) -> Reply | None:
        """The reply to a Files or Batches request; None when `target` is not one."""
        parts = urlsplit(target)
        path = parts.path.rstrip("/")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if path == "/_fake/batches" and method == "GET":
            return Reply.json(200, self.seen())
        if not path.startswith("/v1/"):
            return None
        pieces = path[len("/v1/") :].split("/")
        if pieces[0] not in ("files", "batches"):
            return None
        with self._lock:
            if pieces[0] == "files":
                reply = self._files(method, pieces[1:], query, headers, raw)
            else:
                reply = self._batches(method, pieces[1:], query, raw)
        phase = {
            ("POST", "files"): "upload",
            ("POST", "batches"): "create" if len(pieces) == 1 else "",
        }.get((method, pieces[0]), "content" if pieces[-1] == "content" else "")
        if phase == "content":
            self.contents += 1
        if self.stall.get(phase):
            time.sleep(self.stall[phase])  # the work is done; the answer is late
        if self.fail_after.get(phase):
            self.fail_after[phase] -= 1
            return Reply.error(500, "The server had an error", "server_error")
        return reply

    def _files(
        self, method: str, rest: list[str], query: dict[str, str], headers: Any, raw: bytes
    ) -> Reply:
        if not rest and method == "POST":
            return self._upload(headers.get("Content-Type", ""), raw)
        if not rest and method == "GET":
            found = [f.public() for f in self.files.values()]
            if "purpose" in query:
                found = [f for f in found if f["purpose"] == query["purpose"]]
            found.reverse()  # newest first
            return Reply.json(200, {"object": "list", "data": found, "has_more": False})
        file = self.files.get(rest[0]) if rest else None
        if file is None:
            return Reply.error(404, f"No such File object: {rest[0] if rest else ''}", "not_found")
        if len(rest) == 1 and method == "GET":
            return Reply.json(200, file.public())
        if rest[1:] == ["content"] and method == "GET":
            return Reply(200, file.data, "application/octet-stream")
        return Reply.error(404, "no such route", "not_found")

    def _upload(self, content_type: str, raw: bytes) -> Reply:
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
        )
        fields: dict[str, tuple[str | None, bytes]] = {}
        if message.is_multipart():
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if isinstance(name, str) and isinstance(payload, bytes):
                    fields[name] = (part.get_filename(), payload)
        purpose = fields.get("purpose", (None, b""))[1].decode()
        if "file" not in fields or purpose not in ("batch", "batch_output"):
            return Reply.error(400, "expected a file and purpose=batch", "invalid_request")
        filename, data = fields["file"]
        file = _File(
            f"file-{uuid.uuid4().hex[:24]}",
            filename or "upload.jsonl",
            purpose,
            data,
            int(time.time()),
        )
        self.files[file.id] = file
        self.uploads += 1
        return Reply.json(200, file.public())

    def _batches(self, method: str, rest: list[str], query: dict[str, str], raw: bytes) -> Reply:
        if not rest and method == "POST":
            return self._create(raw)
        if not rest and method == "GET":
            return self._list(query)
        batch = self.batches.get(rest[0]) if rest else None
        if batch is None:
            return Reply.error(
                404, f"No batch found with id '{rest[0] if rest else ''}'", "not_found"
            )
        if len(rest) == 1 and method == "GET":
            return Reply.json(200, self._public(batch))
        if rest[1:] == ["cancel"] and method == "POST":
            self._advance(batch)
            if batch.status in _TERMINAL:
                return Reply.error(
                    409, f"Cannot cancel a batch with status {batch.status}", "conflict"
                )
            batch.cancelled = time.monotonic()
            batch.status = "cancelling"
            batch.timestamps["cancelling_at"] = int(time.time())
            return Reply.json(200, self._public(batch))
        return Reply.error(404, "no such route", "not_found")

    def _create(self, raw: bytes) -> Reply:
        try:
            body = json.loads(raw)
        except ValueError:
            return Reply.error(400, "body is not JSON", "invalid_json")
        file = self.files.get(str(body.get("input_file_id")))
        if file is None or file.purpose != "batch":
            return Reply.error(
                400, "input_file_id is not an uploaded batch file", "invalid_request"
            )
        if body.get("endpoint") != "/v1/chat/completions" or body.get("completion_window") != "24h":
            return Reply.error(
                400, "endpoint or completion_window not supported", "invalid_request"
            )
        lines = []
        for raw_line in file.data.splitlines():
            if raw_line.strip():
                try:
                    lines.append(json.loads(raw_line))
                except ValueError:
                    return Reply.error(400, "the input file is not JSONL", "invalid_request")
        ids = [line.get("custom_id") for line in lines]
        if len(set(ids)) != len(ids) or None in ids:
            return Reply.error(400, "custom_id values must be unique", "invalid_request")
        fault = self._script.popleft() if self._script else None
        batch = _Batch(
            id=f"batch_{uuid.uuid4().hex[:24]}",
            input_file_id=file.id,
            lines=lines,
            metadata=body.get("metadata"),
            fault=None if fault == "ok" else fault,
            created=time.monotonic(),
            created_at=int(time.time()),
        )
        self.batches[batch.id] = batch
        self.created += 1
        return Reply.json(200, self._public(batch))

    def _list(self, query: dict[str, str]) -> Reply:
        newest = list(reversed(self.batches.values()))
        if "after" in query:
            ids = [b.id for b in newest]
            newest = newest[ids.index(query["after"]) + 1 :] if query["after"] in ids else []
        limit = int(query.get("limit", 20))
        page = newest[:limit]
        for batch in page:
            self._advance(batch)
        return Reply.json(
            200,
            {
                "object": "list",
                "data": [self._public(b) for b in page],
                "first_id": page[0].id if page else None,
                "last_id": page[-1].id if page else None,
                "has_more": len(newest) > limit,
            },
        )

    # --- the clock --------------------------------------------------------------------

    def _advance(self, batch: _Batch) -> None:
        """Move `batch` to where the clock says it is; answer its lines when it ends."""
        if batch.status in _TERMINAL:
            return
        now = time.monotonic()
        if batch.cancelled is not None:
            if now - batch.cancelled >= self.finalizing_s:
                done = self._done_by(batch, batch.cancelled)
                self._end(batch, "cancelled", answered=done, expired_code="batch_cancelled")
            return
        age = now - batch.created
        validating = self.validating_s
        if batch.fault == "failed":
            if age >= validating:
                batch.status = "failed"
                batch.timestamps["failed_at"] = int(time.time())
            return
        running = validating + self.in_progress_s
        finalizing = (
            self.slow_finalizing_s if batch.fault == "slow-finalizing" else self.finalizing_s
        )
        if age < validating:
            batch.status = "validating"
        elif age < running:
            batch.status = "in_progress"
            batch.completed = self._done_by(batch, now)
        elif batch.fault == "expired":
            self._end(
                batch, "expired", answered=len(batch.lines) // 2, expired_code="batch_expired"
            )
        elif age < running + finalizing:
            batch.status = "finalizing"
            batch.completed = len(batch.lines)
        else:
            self._end(batch, "completed", answered=len(batch.lines), expired_code="")

    def _done_by(self, batch: _Batch, moment: float) -> int:
        share = (moment - batch.created - self.validating_s) / max(self.in_progress_s, 1e-9)
        return max(0, min(len(batch.lines), int(len(batch.lines) * share)))

    def _end(self, batch: _Batch, status: str, *, answered: int, expired_code: str) -> None:
        output: list[str] = []
        errors: list[str] = []
        for number, line in enumerate(batch.lines):
            custom_id = line.get("custom_id")
            if number >= answered:
                error = {"code": expired_code, "message": f"This request was not run: {status}"}
                errors.append(
                    json.dumps(
                        {"id": _req_id(), "custom_id": custom_id, "response": None, "error": error}
                    )
                )
                continue
            if self._line_fails(batch, number):
                code = 400 if batch.fault == "line-refusals" else 500
                message = "Invalid request" if code == 400 else "The server had an error"
                body = {"error": {"message": message, "type": "server_error"}}
                response = {"status_code": code, "request_id": _req_id(), "body": body}
                errors.append(
                    json.dumps(
                        {
                            "id": _req_id(),
                            "custom_id": custom_id,
                            "response": response,
                            "error": None,
                        }
                    )
                )
                continue
            answer = self._answer(line.get("body") or {})
            response = {"status_code": 200, "request_id": _req_id(), "body": answer}
            output.append(
                json.dumps(
                    {"id": _req_id(), "custom_id": custom_id, "response": response, "error": None}
                )
            )
        if output:
            batch.output_file_id = self._keep(f"{batch.id}_output.jsonl", output)
        if errors:
            batch.error_file_id = self._keep(f"{batch.id}_error.jsonl", errors)
        batch.completed, batch.failed = len(output), len(errors)
        batch.status = status
        batch.timestamps[f"{status}_at"] = int(time.time())

    def _line_fails(self, batch: _Batch, number: int) -> bool:
        if batch.fault in ("line-errors", "line-refusals"):
            return number % 5 == 2
        return bool(self.line_error_rate) and self._random.random() < self.line_error_rate

    def _answer(self, body: dict[str, Any]) -> dict[str, Any]:
        fault = self.answer_faults.popleft() if self.answer_faults else None
        content, finish, _ = self.server.answer(body, fault)
        self.lines_answered += 1
        return {
            "id": f"chatcmpl-fakebatch-{self.lines_answered}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish,
                }
            ],
            "usage": self.server.usage(body, content),
        }

    def _keep(self, name: str, lines: list[str]) -> str:
        file = _File(
            f"file-{uuid.uuid4().hex[:24]}",
            name,
            "batch_output",
            "\n".join(lines).encode() + b"\n",
            int(time.time()),
        )
        self.files[file.id] = file
        return file.id

    def _public(self, batch: _Batch) -> dict[str, Any]:
        self._advance(batch)
        payload: dict[str, Any] = {
            "id": batch.id,
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "errors": None,
            "input_file_id": batch.input_file_id,
            "completion_window": "24h",
            "status": batch.status,
            "output_file_id": batch.output_file_id,
            "error_file_id": batch.error_file_id,
            "created_at": batch.created_at,
            "request_counts": {
                "total": len(batch.lines) if batch.status != "validating" else 0,
                "completed": batch.completed,
                "failed": batch.failed,
            },
            "metadata": batch.metadata,
            **batch.timestamps,
        }
        if batch.status == "failed":
            error = {
                "code": "invalid_file",
                "message": "The input file could not be validated",
                "line": None,
                "param": None,
            }
            payload["errors"] = {"object": "list", "data": [error]}
        return payload


def _req_id() -> str:
    return f"batch_req_{uuid.uuid4().hex[:24]}"
