"""`repair serve` as a CMS meets it: the real command in a child process on a loopback
port, the fake model server behind it, plain HTTP in front."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from repair.cli import main
from repair.testing.fake import FakeServer
from repair.testing.golden import load_case
from repair.testing.served import ServedRepair, free_port
from tests.conftest import TEST_KEY, golden_pair, small_article

TOKEN = "service-token-0123456789-abcdef"
# A model this slow never answers within a test: a repair that ends was stopped.
NEVER = 30.0
MODEL_ARGS = ["--model", "fake-repair", "--verify", "rules", "--max-attempts", "2"]


def served(fake: FakeServer, folder: Path, *extra: str) -> ServedRepair:
    # The developer's own model settings stay out; the key is the distinctive test one.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "REPAIR_"))}
    env["OPENAI_API_KEY"] = TEST_KEY
    args = ["--base-url", fake.base_url, *MODEL_ARGS, *extra]
    return ServedRepair(args, token=TOKEN, env=env, folder=folder)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server


@pytest.fixture(scope="module")
def service(fake: FakeServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedRepair]:
    folder = tmp_path_factory.mktemp("served")
    limits = ["--max-inflight", "1", "--max-chars", "20000", "--max-body", "100000"]
    with served(fake, folder, *limits) as running:
        yield running


@pytest.fixture
def slow(fake: FakeServer) -> Iterator[Callable[[float], None]]:
    """Make the model take `seconds` to answer, for one test."""

    def set_to(seconds: float) -> None:
        fake.ttft = seconds

    yield set_to
    fake.ttft = 0.0


def wait_for(check: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def inflight(service: ServedRepair) -> int:
    _, health = service.json("GET", "/healthz", token=None)
    return int(health["inflight"])


def access_lines(service: ServedRepair) -> list[dict[str, Any]]:
    lines = []
    for line in service.log_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


# --- auth ---------------------------------------------------------------------------


def test_no_token_or_a_wrong_one_is_401_and_the_right_one_passes(service: ServedRepair) -> None:
    article = small_article()[0]
    status, headers, body = service.call("POST", "/v1/repair", {"text": article}, token=None)
    assert status == 401
    assert headers["www-authenticate"] == "Bearer"
    assert json.loads(body)["error"]["code"] == "unauthorized"
    status, _, _ = service.call("POST", "/v1/repair", {"text": article}, token=TOKEN[:-1] + "X")
    assert status == 401
    status, _, _ = service.call("GET", "/metrics", token=None)
    assert status == 401
    status, reply = service.json("POST", "/v1/repair", {"text": article})
    assert status == 200 and reply["text"] == small_article()[1]
    # The health check and the description need no token (load balancers, client generators).
    assert service.call("GET", "/healthz", token=None)[0] == 200
    assert service.call("GET", "/openapi.json", token=None)[0] == 200


# --- the endpoints ------------------------------------------------------------------


def _comparable(result: dict[str, Any]) -> dict[str, Any]:
    """A result without what describes one run rather than the repair: times, attempts,
    the order concurrent calls ended in, and the provider's prompt cache (warm or not)."""
    run = ("started_s", "wait_s", "attempts", "cached_tokens")
    result = dict(result)
    for field in ("timings", "finished_at", "source_file"):  # the CLI names its file
        result.pop(field)
    result["usage"] = {k: v for k, v in result["usage"].items() if k not in run}
    calls = [{k: v for k, v in c.items() if k not in run} for c in result["calls"]]
    result["calls"] = sorted(calls, key=lambda c: (c["chunk"], c["purpose"], c["units"]))
    return result


def test_the_seed_comes_back_as_repair_fix_json_gives_it(
    service: ServedRepair,
    fake: FakeServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed = golden_pair()[0]
    status, headers, body = service.call("POST", "/v1/repair", {"text": seed})
    assert status == 200, body
    assert headers["content-type"] == "application/json"
    served_result = json.loads(body)
    assert served_result["finished_at"] and served_result["source_file"] is None

    path = tmp_path / "seed.txt"
    path.write_text(seed, encoding="utf-8")
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    code = main(["fix", str(path), "--json", "--base-url", fake.base_url, *MODEL_ARGS])
    fixed = json.loads(capsys.readouterr().out)
    assert code == 0
    assert _comparable(served_result) == _comparable(fixed)
    assert served_result["text"] == golden_pair()[1]


def test_an_article_sent_twice_is_paid_once(service: ServedRepair, fake: FakeServer) -> None:
    article = small_article(first=9)[0]
    status, headers, first = service.call("POST", "/v1/repair", {"text": article})
    asked = len(fake.chat_requests())
    assert status == 200 and headers["x-repair-cache-hits"] == "0"
    status, headers, again = service.call("POST", "/v1/repair", {"text": article})
    assert status == 200
    assert len(fake.chat_requests()) == asked  # not one more request to the model
    calls = len(json.loads(again)["calls"])
    assert calls > 0 and headers["x-repair-cache-hits"] == str(calls)
    assert json.loads(again)["text"] == json.loads(first)["text"]


def test_check_and_apply_answer_as_check_json_and_apply_do(service: ServedRepair) -> None:
    source, reference = small_article()
    status, report = service.json("POST", "/v1/check", {"source": source, "repaired": reference})
    assert status == 200 and report == {"ok": True, "issues": []}
    changed = reference.replace("Putin", "Medvedev", 1)
    assert changed != reference
    status, report = service.json("POST", "/v1/check", {"source": source, "repaired": changed})
    assert status == 200 and not report["ok"]
    assert any(i["kind"] == "entity" for i in report["issues"])

    status, result = service.json("POST", "/v1/repair", {"text": source})
    assert status == 200 and result["edits"]
    every = list(range(1, len(result["edits"]) + 1))
    status, undone = service.json("POST", "/v1/apply", {"result": result, "reject": every})
    assert status == 200
    assert undone["text"] == source and undone["rejected"] == every and undone["report"]["ok"]
    status, kept = service.json("POST", "/v1/apply", {"result": result})
    assert status == 200 and kept["text"] == result["text"]
    status, error = service.json("POST", "/v1/apply", {"result": result, "reject": [999]})
    assert status == 422 and error["error"]["code"] == "invalid-choice"
    assert "999" in error["error"]["message"]


def test_accepted_suggestions_give_the_reference_as_repair_apply_does(
    service: ServedRepair,
) -> None:
    case = load_case("trade-fair-names")
    assert case.suggestions is not None
    status, result = service.json("POST", "/v1/repair", {"text": case.input})
    assert status == 200 and [s["id"] for s in result["suggestions"]] == ["S1", "S2", "S3"]
    assert result["text"] != case.reference  # offered, never applied
    accept = {"result": result, "accept": ["S1", "S2", "S3"]}
    status, outcome = service.json("POST", "/v1/apply", accept)
    assert status == 200 and outcome["text"] == case.reference and outcome["report"]["ok"]
    assert [s["id"] for s in outcome["accepted"]] == ["S1", "S2", "S3"]
    status, error = service.json("POST", "/v1/apply", {"result": result, "accept": ["S9"]})
    assert status == 422 and "no suggestion S9" in error["error"]["message"]


def test_openapi_describes_every_endpoint_from_the_models(service: ServedRepair) -> None:
    status, doc = service.json("GET", "/openapi.json", token=None)
    assert status == 200
    assert set(doc["paths"]) >= {"/v1/repair", "/v1/check", "/v1/apply", "/healthz"}
    schemas = doc["components"]["schemas"]
    assert {"RepairRequest", "RepairResult", "CheckRequest", "ValidationReport"} <= set(schemas)
    assert "paragraphs" in schemas["RepairResult"]["properties"]
    repair = doc["paths"]["/v1/repair"]["post"]
    assert set(repair["responses"]) >= {"200", "401", "413", "422", "502", "503", "504"}


def test_health_reports_the_model_endpoint_probed_at_most_every_few_seconds(
    service: ServedRepair, fake: FakeServer
) -> None:
    def probes() -> int:
        return sum(e.path.endswith("/models") for e in fake.log)

    status, health = service.json("GET", "/healthz", token=None)
    assert status == 200 and health["status"] == "ok"
    assert health["model_endpoint"]["reachable"] and health["model_endpoint"]["status"] == 200
    before = probes()
    for _ in range(5):
        service.call("GET", "/healthz", token=None)
    assert probes() - before <= 1


def test_metrics_count_requests_tokens_and_paragraphs(service: ServedRepair) -> None:
    service.call("POST", "/v1/repair", {"text": small_article(first=12)[0]})
    status, headers, body = service.call("GET", "/metrics")
    text = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/plain")
    assert 'repair_service_requests_total{endpoint="/v1/repair",status="200"}' in text
    assert 'repair_service_paragraphs_total{status="repaired"}' in text
    tokens = [line for line in text.splitlines() if line.startswith("repair_service_tokens_total")]
    assert tokens and all(float(line.split()[-1]) > 0 for line in tokens)


# --- limits and errors ----------------------------------------------------------------


def test_too_large_is_413_for_the_body_and_for_the_article(service: ServedRepair) -> None:
    status, error = service.json("POST", "/v1/repair", {"text": "word " * 30_000})
    assert status == 413 and error["error"]["code"] == "body-too-large"
    status, error = service.json("POST", "/v1/repair", {"text": "word " * 5_000})
    assert status == 413 and error["error"]["code"] == "article-too-large"
    assert "20,000" in error["error"]["message"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", "Invalid JSON"),
        (b"[]", "Input should be an object"),
        (json.dumps({"txt": "An article."}).encode(), "txt: Extra inputs are not permitted"),
        (json.dumps({"text": "A.", "html": "<p>A.</p>"}).encode(), "exactly one of"),
        (json.dumps({"text": "A.", "style": "bold"}).encode(), "style: Input should be"),
        (json.dumps({"text": "   "}).encode(), "empty"),
        (json.dumps({"text": "A.", "glossary": {"Witkoff": 3}}).encode(), "glossary"),
    ],
)
def test_malformed_requests_are_422_saying_what(
    service: ServedRepair, body: bytes, expected: str
) -> None:
    status, _, data = service.call("POST", "/v1/repair", raw=body)
    assert status == 422, data
    error = json.loads(data)["error"]
    assert error["code"] in ("invalid-request", "invalid-article")
    assert expected in error["message"]


def test_a_422_never_echoes_the_article(service: ServedRepair) -> None:
    secret = "The minister's unpublished statement about the harbour deal"
    status, _, data = service.call(
        "POST", "/v1/repair", raw=json.dumps({"text": 1, "style": secret}).encode()
    )
    assert status == 422 and secret not in data.decode()
    assert secret not in service.log_text()


def test_beyond_max_inflight_is_503_with_retry_after(
    service: ServedRepair, slow: Callable[[float], None]
) -> None:
    slow(1.0)
    answers: list[int] = []
    first = threading.Thread(
        target=lambda: answers.append(
            service.call("POST", "/v1/repair", {"text": small_article(first=20)[0]})[0]
        )
    )
    first.start()
    try:
        assert wait_for(lambda: inflight(service) == 1, within=10)
        status, headers, body = service.call("POST", "/v1/repair", {"text": small_article()[0]})
        assert status == 503
        assert json.loads(body)["error"]["code"] == "busy"
        assert int(headers["retry-after"]) >= 1
    finally:
        first.join(30)
    assert answers == [200]


def test_a_client_that_hangs_up_cancels_its_repair(
    service: ServedRepair, fake: FakeServer, slow: Callable[[float], None]
) -> None:
    slow(NEVER)
    body = json.dumps({"text": small_article(first=30)[0]}).encode()
    with socket.create_connection(("127.0.0.1", service.port)) as client:
        client.sendall(
            b"POST /v1/repair HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        assert wait_for(lambda: inflight(service) == 1, within=10)
    # The model has not answered (it takes NEVER seconds): the repair was cancelled.
    assert wait_for(lambda: inflight(service) == 0, within=NEVER / 2)
    _, _, metrics = service.call("GET", "/metrics")
    assert "repair_service_inflight 0.0" in metrics.decode()
    time.sleep(0.3)
    asked = len(fake.chat_requests())
    time.sleep(1.0)  # nothing more is asked for the client that left (no re-ask, no retry)
    assert len(fake.chat_requests()) == asked
    line = [e for e in access_lines(service) if e["path"] == "/v1/repair"][-1]
    assert line["status"] == 499 and line["code"] == "client-closed"


def test_access_lines_hold_no_article_text_and_no_token(service: ServedRepair) -> None:
    lines = access_lines(service)
    assert any(e["path"] == "/v1/repair" and e["status"] == 200 for e in lines)
    assert all({"id", "method", "path", "status", "ms"} <= set(e) for e in lines)
    log = service.log_text()
    words = [p.split(".")[0] for p in small_article()[0].split("\n\n") if p]
    assert all(w not in log for w in words)
    assert TOKEN not in log


# --- the model endpoint down, a deadline, shutting down ------------------------------


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServedRepair, FakeServer]]:
    """A service with a short deadline and its own fake, which the tests may stop."""
    fake = FakeServer().start()
    folder = tmp_path_factory.mktemp("edge")
    try:
        with served(fake, folder, "--deadline", "1", "--no-cache", "--grace", "10") as running:
            yield running, fake
    finally:
        fake.stop()


def test_a_repair_past_the_deadline_is_504(edge: tuple[ServedRepair, FakeServer]) -> None:
    service, fake = edge
    fake.ttft = NEVER
    try:
        status, error = service.json("POST", "/v1/repair", {"text": small_article()[0]})
        assert status == 504 and error["error"]["code"] == "deadline"
        assert wait_for(lambda: inflight(service) == 0, within=NEVER / 2)
    finally:
        fake.ttft = 0.0


def test_a_key_the_endpoint_refuses_is_502_model_rejected(
    edge: tuple[ServedRepair, FakeServer],
) -> None:
    service, fake = edge
    fake.script(*["401"] * 10)  # more than it will ask: the rest is dropped below
    status, error = service.json("POST", "/v1/repair", {"text": small_article()[0]})
    fake.clear_script()
    assert status == 502 and error["error"]["code"] == "model-rejected"
    assert "API key" in error["error"]["message"]


def test_an_article_no_paragraph_of_which_could_be_asked_about_is_502(
    edge: tuple[ServedRepair, FakeServer],
) -> None:
    service, fake = edge
    fake.script(*["500"] * 12)  # every attempt of every request (2 attempts each)
    status, error = service.json("POST", "/v1/repair", {"text": small_article(first=50)[0]})
    fake.clear_script()
    assert status == 502 and error["error"]["code"] == "model-unreachable"
    assert "500" in error["error"]["message"]


def test_sigterm_lets_the_repair_in_flight_finish(
    fake: FakeServer, tmp_path: Path, slow: Callable[[float], None]
) -> None:
    with served(fake, tmp_path, "--grace", "10") as running:
        slow(1.0)
        answers: list[int] = []
        worker = threading.Thread(
            target=lambda: answers.append(
                running.call("POST", "/v1/repair", {"text": small_article(first=40)[0]})[0]
            )
        )
        worker.start()
        assert wait_for(lambda: inflight(running) == 1, within=10)
        running.process.terminate()  # type: ignore[union-attr]
        worker.join(30)
        running.process.wait(30)  # type: ignore[union-attr]
        assert answers == [200]
        # Closed to new work: the port no longer answers.
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", running.port), timeout=1).close()


def test_an_endpoint_that_is_down_is_502_with_the_reason_code(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "REPAIR_"))}
    env["OPENAI_API_KEY"] = TEST_KEY
    nowhere = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    args = ["--base-url", nowhere, *MODEL_ARGS, "--no-cache"]
    with ServedRepair(args, token=TOKEN, env=env, folder=tmp_path) as down:
        status, error = down.json("POST", "/v1/repair", {"text": small_article()[0]})
        assert status == 502 and error["error"]["code"] == "model-unreachable"
        assert "could not connect" in error["error"]["message"]
        status, health = down.json("GET", "/healthz", token=None)
        assert status == 200 and health["status"] == "degraded"
        assert health["model_endpoint"]["reason"] == "unreachable"
        DOWN.append(down)


DOWN: list[ServedRepair] = []  # for the test below: its answers and logs are searched too


def test_the_key_is_in_no_answer_and_no_log(
    service: ServedRepair, edge: tuple[ServedRepair, FakeServer]
) -> None:
    for running in (service, edge[0], *DOWN):
        assert running.replies, "the tests above made requests"
        for _, headers, body in running.replies:
            assert TEST_KEY not in body.decode("utf-8", "replace")
            assert TEST_KEY not in json.dumps(headers)
        assert TEST_KEY not in running.log_text()
