"""An OpenAI-compatible server on 127.0.0.1, for tests, benchmarks and the demo.

It speaks `/v1/chat/completions` and `/v1/models` over real HTTP, reports usage, waits
like a real endpoint (time to first token plus time per output token), and injects faults
on demand: scripted per request, or at random at a given rate. It answers a repair request
from the golden references when it knows a paragraph, and returns it unchanged otherwise.
It can also enforce a rate limit of its own, as providers do (ratelimit.py): so many
requests or tokens per window of so many seconds, a 429 with Retry-After past that.

    python -m repair.fake --port 8000 --fault-rate 0.3 --ttft 0.4 --per-token 0.02
    python -m repair.fake --limit-requests 100 --limit-window 10   # 600 rpm, over 10 s
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from repair import formats
from repair.formats.inline import PLACEHOLDER
from repair.llm.tokens import count_tokens, prompt_tokens
from repair.resources import data_dir
from repair.testing.fakebatch import FakeBatchApi, Reply
from repair.testing.ratelimit import Verdict, WindowLimit, retry_after_headers
from repair.testing.suggestions import SUGGESTION_FAULTS, SuggestedAnswers

# Every fault the server can play. Transport faults first, then bad answers.
TRANSPORT_FAULTS = ("429", "500", "503", "drop", "slow")
ANSWER_FAULTS = (
    "length",
    "missing-id",
    "duplicate-id",
    "commentary",
    "empty",
    "refusal",
    "content-filter",
    "echo",
    "change-number",
    "merge-entities",
    "invent-entity",
    "drop-placeholder",
    "duplicate-placeholder",
    "swap-meaning",
    # Answers to a verification request (see `_verification`).
    "invent-span",
    "not-json",
    "false-alarm",
    *SUGGESTION_FAULTS,  # the suggestions block after a repair (see suggestions.py)
)
STATUS_FAULTS = ("400", "401", "403", "404")
FAULTS = TRANSPORT_FAULTS + ANSWER_FAULTS + STATUS_FAULTS

_TAGGED = re.compile(r"^([PHC]\d+(?:\.\d+)?)(?:\|[a-z]+)? (.*)$")
_FENCE = re.compile(r"^@@\d{3,}@@ ")
_NUMBER = re.compile(r"\d+")
_PAIRS = re.compile(r"^@@\d{6,}@@ pairs$")
_PAIR_LINE = re.compile(r"^(P\d+(?:\.\d+)?) (source|repair): (.*)$")

# Words whose swap reverses a claim and that the fact ledger cannot see: "swap-meaning"
# plants the first one found in an answer, as a model that misreads the source would.
ANTONYMS: dict[str, str] = {
    "increase": "decrease",
    "increased": "decreased",
    "rose": "fell",
    "more": "less",
    "after": "before",
    "higher": "lower",
    "won": "lost",
    "support": "oppose",
    "will": "may",
}


def _normal(text: str) -> str:
    return " ".join(text.split())


def golden_answers() -> dict[str, str]:
    """Input paragraph (whitespace-normalised) -> reference paragraph, over every case.

    HTML and Markdown cases answer as a model would: the text with its placeholders.
    """
    answers: dict[str, str] = {}
    root = data_dir("golden")
    for case in sorted(p for p in root.iterdir() if p.is_dir()):
        inputs = sorted(case.glob("input.*"))
        if not inputs or not (case / f"reference{inputs[0].suffix}").is_file():
            continue
        fmt = formats.detect("", inputs[0].name)
        source = formats.parse(inputs[0].read_text(encoding="utf-8"), fmt).paragraphs
        reference = (case / f"reference{inputs[0].suffix}").read_text(encoding="utf-8")
        target = formats.parse(reference, fmt).paragraphs
        if len(source) != len(target):
            continue  # not paragraph-aligned: of no use for answering
        for s, t in zip(source, target, strict=True):
            answers.setdefault(_normal(s.text), t.text)
    return answers


def golden_entities() -> list[dict[str, Any]]:
    """Every entity of every golden case's facts.json: canonical spelling, aliases, role."""
    entities: list[dict[str, Any]] = []
    for facts in sorted(data_dir("golden").glob("*/facts.json")):
        entities.extend(json.loads(facts.read_text(encoding="utf-8")).get("entities", []))
    return entities


def _fold(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum() or c == " ").strip()


@dataclass
class Logged:
    """One request as the server saw it (never its headers: they carry the key)."""

    number: int
    path: str
    model: str | None
    fault: str | None
    status: int
    units: list[str] = field(default_factory=list)
    at: float = 0.0  # seconds since the server started, when the request arrived


class FakeServer:
    """Start with `with FakeServer() as server:`; point the client at `server.base_url`."""

    def __init__(
        self,
        *,
        port: int = 0,
        ttft: float = 0.0,
        per_token: float = 0.0,
        fault_rate: float = 0.0,
        fault_mix: Iterable[str] = ("429", "503", "drop"),
        retry_after_ms: int = 50,
        slow_seconds: float = 5.0,
        seed: int = 0,
        refuse_models: Iterable[str] = (),
        answers: dict[str, str] | None = None,
        log_path: str | None = None,
        limit_requests: int | None = None,
        limit_tokens: int | None = None,
        limit_window: float = 60.0,
        limit_fixed: bool = False,
    ) -> None:
        self.ttft, self.per_token = ttft, per_token
        self.fault_rate, self.fault_mix = fault_rate, tuple(fault_mix)
        unknown = set(self.fault_mix) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults: {', '.join(sorted(unknown))}")
        self.retry_after_ms, self.slow_seconds = retry_after_ms, slow_seconds
        self.refuse_models = set(refuse_models)
        self.answers = golden_answers() if answers is None else answers
        # Golden cases with suggestions.json: the repair keeps the wrong span and suggests.
        self.suggested = SuggestedAnswers.load() if answers is None else SuggestedAnswers()
        self.answers.update(self.suggested.answers)
        self.entities = golden_entities()
        self.log: list[Logged] = []
        self.user_messages: list[str] = []  # what each chat request asked, for tests to read
        self._log_file = open(log_path, "a", encoding="utf-8") if log_path else None  # noqa: SIM115
        self._script: deque[str] = deque()
        self._random = random.Random(seed)  # noqa: S311 (fault draws, not secrets)
        self._lock = threading.Lock()
        self._seen_prefixes: set[str] = set()
        self.in_flight = 0
        self.peak_in_flight = 0  # most chat requests being served at once
        self.started = time.monotonic()
        # None: no limit of its own (the default; faults may still play "429").
        self.limit = (
            WindowLimit(limit_requests, limit_tokens, limit_window, fixed=limit_fixed)
            if limit_requests is not None or limit_tokens is not None
            else None
        )
        # The Files and Batches endpoints (fakebatch.py); set their timing and faults there.
        self.batch_api = FakeBatchApi(self, seed=seed)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle ---

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._log_file:
            self._log_file.close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # --- scripting ---

    def script(self, *faults: str) -> None:
        """Play these faults on the next chat requests, in order ("ok" plays none)."""
        unknown = set(faults) - set(FAULTS) - {"ok"}
        if unknown:
            raise ValueError(f"unknown faults: {', '.join(sorted(unknown))}")
        with self._lock:
            self._script.extend(faults)

    def clear_script(self) -> None:
        """Drop the scripted faults not played yet (a test that scripted more than it used)."""
        with self._lock:
            self._script.clear()

    def chat_requests(self) -> list[Logged]:
        return [entry for entry in self.log if entry.path.endswith("/chat/completions")]

    def _next_fault(self) -> str | None:
        with self._lock:
            if self._script:
                fault = self._script.popleft()
                return None if fault == "ok" else fault
            if self.fault_rate and self._random.random() < self.fault_rate:
                return self._random.choice(self.fault_mix)
        return None

    def _record(self, entry: Logged, *, chat: bool = True) -> None:
        with self._lock:
            self.log.append(entry)
            if not chat:
                return
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def _write_log(self, entry: Logged) -> None:
        with self._lock:
            self.in_flight -= 1
            if self._log_file:
                self._log_file.write(json.dumps(vars(entry)) + "\n")
                self._log_file.flush()

    # --- answering ---

    def answer(self, body: dict[str, Any], fault: str | None) -> tuple[str | None, str, list[str]]:
        """(content, finish_reason, unit ids) for a chat request, with `fault` applied."""
        messages = body.get("messages") or []
        user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
        with self._lock:
            self.user_messages.append(str(user))
        if "@@NAMES-" in str(user):
            return self._glossary(str(user), fault), "stop", []
        pairs = _pairs(str(user))
        if pairs:
            if fault == "refusal":
                return "I'm sorry, but I can't help with that request.", "stop", []
            return self._verification(pairs, fault), "stop", [pid for pid, _, _ in pairs]
        units = _passage(str(user))
        lines = [f"{uid} {self.answers.get(_normal(text), text)}" for uid, text in units]
        ids = [uid for uid, _ in units]
        if not units:
            # Not a repair request (a probe, another tool): echo politely.
            return "OK", "stop", ids
        if fault == "length":
            cut = "\n".join(lines)
            return cut[: max(1, len(cut) - len(lines[-1]) // 2)], "length", ids
        if fault == "missing-id" and len(lines) > 1:
            lines = lines[:-1]
        elif fault == "missing-id":
            lines = [lines[0].split(" ", 1)[1]]
        if fault == "duplicate-id":
            lines = [*lines, lines[0]]
        if fault == "change-number":
            lines = _change_first_number(lines)
        if fault == "swap-meaning":
            lines = _swap_meaning(lines)
        if fault in ("drop-placeholder", "duplicate-placeholder"):
            lines = _spoil_placeholder(lines, drop=fault == "drop-placeholder")
        content = "\n".join(lines)
        content += self.suggested.block(units, [ln.split(" ", 1)[-1] for ln in lines], fault)
        if fault == "commentary":
            content = (
                f"Here is the repaired text:\n\n{content}\n\nLet me know if you need more changes."
            )
        if fault == "empty":
            content = ""
        if fault == "refusal":
            return "I'm sorry, but I can't help with that request.", "stop", ids
        if fault == "content-filter":
            return None, "content_filter", ids
        if fault == "echo":
            content = str(user)
        return content, "stop", ids

    def _glossary(self, user: str, fault: str | None) -> str:
        """Pick each cluster's spelling from the golden entities, else its commonest one."""
        chosen = []
        for cluster_id, spellings in _clusters(user):
            known = self._entity_for(spellings)
            canonical = known["canonical"] if known else spellings[0]
            role = known.get("role", "") if known else ""
            chosen.append({"cluster": cluster_id, "canonical": canonical, "role": role})
        if fault == "merge-entities" and len(chosen) > 1:
            for entry in chosen[1:]:
                entry["canonical"] = chosen[0]["canonical"]
        if fault == "invent-entity":
            chosen.append({"cluster": "E999", "canonical": "Joe Bloggs", "role": "invented"})
        return json.dumps({"entities": chosen})

    def _verification(self, pairs: list[tuple[str, str, str]], fault: str | None) -> str:
        """No difference where the repair is the golden reference; where it is not, the
        first differing span of words, quoted from both texts, as a careful model would."""
        if fault == "not-json":
            return "The repairs look faithful to me; I found no differences of meaning."
        answer = []
        for pid, source, repair in pairs:
            differences = []
            reference = self.answers.get(_normal(source))
            if reference is not None and _normal(reference) != _normal(repair):
                found = _difference(source, _normal(reference), repair)
                if found:
                    differences.append(found)
            if fault == "false-alarm" and not differences:
                first = source.split()[0] if source.split() else ""
                reason = "the repair sounds more certain than the source"
                differences.append(_found("certainty", first, " ".join(repair.split()[:2]), reason))
            if fault == "invent-span":
                reason = "the repair reverses the claim"
                differences.append(_found("contradicted", "prices rose", "prices fell", reason))
            answer.append({"id": pid, "differences": differences})
        return json.dumps({"paragraphs": answer})

    def _entity_for(self, spellings: list[str]) -> dict[str, Any] | None:
        wanted = {_fold(s) for s in spellings}
        for entity in self.entities:
            names = {_fold(entity["canonical"]), *(_fold(a) for a in entity.get("aliases", []))}
            if wanted & names:
                return entity
        return None

    def admit(self, body: dict[str, Any]) -> Verdict | None:
        """The rate limit's word on a chat request (None when there is no limit).

        Counts what OpenAI counts on arrival: the prompt's tokens and `max_tokens`.
        """
        if self.limit is None:
            return None
        prompt = prompt_tokens(body.get("messages") or [])
        asked = body.get("max_tokens") or body.get("max_completion_tokens") or 0
        return self.limit.admit(prompt + int(asked))

    def usage(self, body: dict[str, Any], content: str | None) -> dict[str, Any]:
        messages = body.get("messages") or []
        prompt = prompt_tokens(messages)
        system = next((str(m["content"]) for m in messages if m.get("role") == "system"), "")
        with self._lock:
            cached = count_tokens(system) if system in self._seen_prefixes else 0
            self._seen_prefixes.add(system)
        completion = count_tokens(content or "")
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
        }


def _passage(user: str) -> list[tuple[str, str]]:
    """The (id, text) paragraphs between the passage marker and the next marker line."""
    units: list[tuple[str, str]] = []
    inside = False
    for line in user.splitlines():
        if _FENCE.match(line):
            inside = line.endswith(" passage")
            continue
        match = _TAGGED.match(line) if inside else None
        if match:
            units.append((match.group(1), match.group(2)))
    return units


_CLUSTER_LINE = re.compile(r"^(E\d+): (.+)$")


def _clusters(user: str) -> list[tuple[str, list[str]]]:
    """(id, spellings) from a glossary request's "E1: Witcoof (2) | Vitcoof (1)" lines."""
    found = []
    for line in user.splitlines():
        match = _CLUSTER_LINE.match(line)
        if match:
            spellings = [re.sub(r" \(\d+\)$", "", s.strip()) for s in match.group(2).split(" | ")]
            found.append((match.group(1), spellings))
    return found


def _pairs(user: str) -> list[tuple[str, str, str]]:
    """(id, source, repair) from a verification request's fenced "P3 source: ..." lines."""
    if not any(_PAIRS.match(line) for line in user.splitlines()):
        return []
    sources: dict[str, str] = {}
    found = []
    for line in user.splitlines():
        match = _PAIR_LINE.match(line)
        if match and match.group(2) == "source":
            sources[match.group(1)] = match.group(3)
        elif match and match.group(1) in sources:
            found.append((match.group(1), sources[match.group(1)], match.group(3)))
    return found


def _found(kind: str, source: str, repair: str, reason: str) -> dict[str, str]:
    return {"kind": kind, "source_span": source, "repair_span": repair, "reason": reason}


def _difference(source: str, reference: str, repair: str) -> dict[str, str] | None:
    """The first span where `repair` says other words than `reference`, located in the
    source too; a respelled name (capitalised on both sides) is no difference."""
    ref, rep = reference.split(), repair.split()
    for op, i1, i2, j1, j2 in SequenceMatcher(None, ref, rep, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        was, now = " ".join(ref[i1:i2]), " ".join(rep[j1:j2])
        if ref[i1:i2] and rep[j1:j2] and all(w[:1].isupper() for w in ref[i1:i2] + rep[j1:j2]):
            continue
        kind = "dropped" if not now else "added" if not was else "contradicted"
        if any(c.isdigit() for c in was + now):
            kind = "number"
        elif {_fold(w) for w in rep[j1:j2]} & {"may", "might", "could"}:
            kind = "certainty"
        if was and was not in source:
            # The reference's words are not the garbled source's: quote what surrounds
            # the change instead, if the source has it.
            was = next((w for w in ref[max(0, i1 - 1) : i2 + 1] if w in source), "")
            if not was and kind != "added":
                continue
        return _found(kind, was, now, f'"{was or "(nothing)"}" became "{now or "(nothing)"}"')
    return None


def _swap_meaning(lines: list[str]) -> list[str]:
    """Swap the first word of the answer found in ANTONYMS for its opposite."""
    for i, line in enumerate(lines):
        tag, _, text = line.partition(" ")
        for word, opposite in ANTONYMS.items():
            match = re.search(rf"\b{word}\b", text)
            if match:
                lines = list(lines)
                lines[i] = f"{tag} {text[: match.start()]}{opposite}{text[match.end() :]}"
                return lines
    return lines


def _change_first_number(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        tag, _, text = line.partition(" ")
        match = _NUMBER.search(text)
        if match:
            changed = str(int(match.group()) + 7)
            lines = list(lines)
            lines[i] = f"{tag} {text[: match.start()]}{changed}{text[match.end() :]}"
            return lines
    return lines


def _spoil_placeholder(lines: list[str], *, drop: bool) -> list[str]:
    """Drop (or write twice) the first placeholder of the answer, as a careless model does."""
    for i, line in enumerate(lines):
        match = PLACEHOLDER.search(line)
        if match:
            spoiled = "" if drop else match.group() * 2
            lines = list(lines)
            lines[i] = line[: match.start()] + spoiled + line[match.end() :]
            return lines
    return lines


def _handler_for(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; without this, Nagle's algorithm holds the
        # second for ~40 ms and every request looks slower than the latency model says.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            return  # the structured `server.log` is the record; keep stderr quiet

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                server._record(Logged(len(server.log) + 1, self.path, None, None, 200), chat=False)
                self._json(
                    200, {"object": "list", "data": [{"id": "fake-repair", "object": "model"}]}
                )
            elif self.path == "/_fake/log":
                self._json(200, [vars(entry) for entry in server.log])
            elif reply := server.batch_api.route("GET", self.path, self.headers, b""):
                self._reply(reply)
            else:
                self._json(
                    404, {"error": {"message": f"no route {self.path}", "code": "not_found"}}
                )

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.path == "/_fake/script":
                server.script(*json.loads(raw or b"{}").get("faults", []))
                self._json(200, {"ok": True})
                return
            reply = server.batch_api.route("POST", self.path, self.headers, raw)
            if reply is not None:
                server._record(
                    Logged(len(server.log) + 1, self.path, None, None, reply.status), chat=False
                )
                self._reply(reply)
                return
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._json(
                    404, {"error": {"message": f"no route {self.path}", "code": "not_found"}}
                )
                return
            try:
                body = json.loads(raw)
            except ValueError:
                self._json(400, {"error": {"message": "body is not JSON", "code": "invalid_json"}})
                return
            arrived = time.monotonic() - server.started
            model = str(body.get("model", ""))
            verdict = server.admit(body)
            if verdict is not None and not verdict.admitted:
                # Refused before any work, as a provider does; a scripted fault waits.
                entry = Logged(len(server.log) + 1, self.path, model, "rate-limit", 429, at=arrived)
                server._record(entry)
                try:
                    headers = {**verdict.headers, **retry_after_headers(verdict.retry_after)}
                    error = {"message": "Rate limit reached", "code": "rate_limit_exceeded"}
                    self._json(429, {"error": error}, headers)
                finally:
                    server._write_log(entry)
                return
            fault = server._next_fault()
            if model in server.refuse_models and fault is None:
                fault = "refusal"
            entry = Logged(len(server.log) + 1, self.path, model, fault, 200, at=arrived)
            server._record(entry)  # in order of arrival, even if it ends last
            try:
                self._chat(body, fault, entry, verdict.headers if verdict else {})
            finally:
                server._write_log(entry)

        def _chat(
            self, body: dict[str, Any], fault: str | None, entry: Logged, limits: dict[str, str]
        ) -> None:
            model = entry.model
            if self._transport_fault(fault, entry, limits):
                return
            content, finish, ids = server.answer(body, fault)
            entry.units = ids
            usage = server.usage(body, content)
            time.sleep(server.ttft + server.per_token * usage["completion_tokens"])
            message: dict[str, Any] = {"role": "assistant", "content": content}
            if fault == "refusal":
                message["refusal"] = content
            self._json(
                200,
                {
                    "id": f"chatcmpl-fake-{entry.number}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                    "usage": usage,
                },
                limits,
            )

        def _transport_fault(
            self, fault: str | None, entry: Logged, limits: dict[str, str]
        ) -> bool:
            if fault == "drop":
                entry.status = 0
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return True
            if fault == "slow":
                time.sleep(server.slow_seconds)
                return False  # then answers, long after the client gave up
            if fault in ("429", "500", "503") or fault in STATUS_FAULTS:
                status = int(fault)
                entry.status = status
                headers = dict(limits)
                if status == 429:
                    headers |= {
                        "retry-after-ms": str(server.retry_after_ms),
                        "retry-after": str(max(1, round(server.retry_after_ms / 1000))),
                    }
                message = {
                    429: "Rate limit reached",
                    500: "The server had an error",
                    503: "The engine is currently overloaded",
                    400: "Invalid request",
                    401: "Incorrect API key provided",
                    403: "You are not allowed to sample from this model",
                    404: "The model does not exist",
                }[status]
                self._json(status, {"error": {"message": message, "code": str(status)}}, headers)
                return True
            return False

        def _reply(self, reply: Reply) -> None:
            self._json(reply.status, None, content=(reply.body, reply.content_type))

        def _json(
            self,
            status: int,
            payload: Any,
            headers: dict[str, str] | None = None,
            content: tuple[bytes, str] | None = None,
        ) -> None:
            data, kind = content or (json.dumps(payload).encode(), "application/json")
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            # The client may have given up already (a timeout fault): nothing to do then.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

    return Handler


@contextmanager
def running(**options: Any) -> Iterator[FakeServer]:
    with FakeServer(**options) as server:
        yield server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m repair.fake",
        description="Run the fake OpenAI-compatible server on 127.0.0.1 until interrupted.",
    )
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--ttft", type=float, default=0.0, help="seconds to the first token")
    parser.add_argument("--per-token", type=float, default=0.0, help="seconds per output token")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of requests that fail")
    parser.add_argument(
        "--faults",
        default="429,503,drop",
        help=f"comma-separated faults to draw from; any of: {', '.join(FAULTS)}",
    )
    parser.add_argument("--retry-after-ms", type=int, default=50)
    limit = parser.add_argument_group("a rate limit of its own (none unless asked)")
    limit.add_argument(
        "--limit-requests", type=int, metavar="N", help="at most this many requests a window"
    )
    limit.add_argument(
        "--limit-tokens", type=int, metavar="N", help="at most this many tokens a window"
    )
    limit.add_argument(
        "--limit-window", type=float, default=60.0, metavar="SECONDS", help="the window, in seconds"
    )
    limit.add_argument(
        "--limit-fixed",
        action="store_true",
        help="windows that start every --limit-window seconds (default: a sliding window)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log", help="append each request to this file (JSON lines)")
    batches = parser.add_argument_group("the Batch API (fakebatch.py)")
    batches.add_argument("--batch-seconds", type=float, default=0.3, help="a batch's run time")
    batches.add_argument("--batch-faults", default="", help="faults of the next batches, in order")
    batches.add_argument(
        "--batch-line-errors", type=float, default=0.0, help="share of lines that fail"
    )
    args = parser.parse_args(argv)
    server = FakeServer(
        port=args.port,
        ttft=args.ttft,
        per_token=args.per_token,
        fault_rate=args.fault_rate,
        fault_mix=[f for f in args.faults.split(",") if f],
        retry_after_ms=args.retry_after_ms,
        seed=args.seed,
        log_path=args.log,
        limit_requests=args.limit_requests,
        limit_tokens=args.limit_tokens,
        limit_window=args.limit_window,
        limit_fixed=args.limit_fixed,
    )
    server.batch_api.in_progress_s = args.batch_seconds
    server.batch_api.line_error_rate = args.batch_line_errors
    server.batch_api.script(*[f for f in args.batch_faults.split(",") if f])
    server.start()
    print(f"fake OpenAI-compatible server on {server.base_url} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
