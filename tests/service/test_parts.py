"""The service's parts as plain functions: settings, the token, request bodies, the
in-flight limit, and the command line's refusals (no server started)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
from pydantic import SecretStr, ValidationError

from repair.cli import main
from repair.errors import ConfigurationError
from repair.results import RepairResult
from repair.service.auth import BearerAuth
from repair.service.errors import ServiceError, invalid
from repair.service.limits import Inflight
from repair.service.models import ApplyRequest, RepairRequest
from repair.service.settings import ServiceSettings, is_loopback

TOKEN = SecretStr("a-long-enough-token-0123456789")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.5.5.5", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.7", False),
        ("cms.example", False),
    ],
)
def test_loopback_is_told_from_every_other_address(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_without_a_token_only_loopback_with_no_auth_may_start() -> None:
    with pytest.raises(ConfigurationError, match="REPAIR_SERVICE_TOKEN"):
        ServiceSettings().check()
    ServiceSettings(no_auth=True).check()
    with pytest.raises(ConfigurationError, match="loopback"):
        ServiceSettings(host="0.0.0.0", no_auth=True).check()
    ServiceSettings(host="0.0.0.0", token=TOKEN).check()
    with pytest.raises(ConfigurationError, match="shorter"):
        ServiceSettings(token=SecretStr("short")).check()
    with pytest.raises(ConfigurationError, match="choose one"):
        ServiceSettings(token=TOKEN, no_auth=True).check()


def test_serve_refuses_to_start_unsafely_with_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPAIR_SERVICE_TOKEN", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--no-auth"]) == 2
    assert "loopback" in capsys.readouterr().err
    assert main(["serve"]) == 2
    assert "REPAIR_SERVICE_TOKEN" in capsys.readouterr().err
    # A token, but no model endpoint: said before the port opens.
    monkeypatch.setenv("REPAIR_SERVICE_TOKEN", TOKEN.get_secret_value())
    assert main(["serve", "--no-cache"]) == 2
    assert "no model endpoint" in capsys.readouterr().err


def test_the_command_line_loads_the_web_stack_only_to_serve() -> None:
    code = (
        "import sys\n"
        "from repair.cli import main\n"
        "from repair import service\n"
        "service.ServiceSettings()\n"
        "print(sorted(m for m in ('starlette', 'uvicorn', 'prometheus_client') "
        "if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_token_is_checked_whole_and_by_scheme() -> None:
    auth = BearerAuth(TOKEN)
    auth.check({"authorization": f"Bearer {TOKEN.get_secret_value()}"})
    auth.check({"authorization": f"bearer  {TOKEN.get_secret_value()} "})
    for header in (
        {},
        {"authorization": TOKEN.get_secret_value()},
        {"authorization": f"Basic {TOKEN.get_secret_value()}"},
        {"authorization": f"Bearer {TOKEN.get_secret_value()[:-1]}"},
        {"authorization": f"Bearer {TOKEN.get_secret_value()}x"},
        {"authorization": "Bearer "},
    ):
        with pytest.raises(ServiceError) as caught:
            auth.check(header)
        assert caught.value.status == 401
        assert TOKEN.get_secret_value() not in caught.value.message
    BearerAuth(None).check({})  # --no-auth: nothing asked


def test_an_article_comes_in_exactly_one_field() -> None:
    assert RepairRequest(markdown="# A").article[1].value == "markdown"
    assert RepairRequest(html="<p>A</p>").article == (
        "<p>A</p>",
        RepairRequest(html="x").article[1],
    )
    for body in ({}, {"text": "A", "html": "<p>A</p>"}):
        with pytest.raises(ValidationError, match="exactly one"):
            RepairRequest.model_validate(body)


def test_a_422_names_the_fields_but_never_what_was_in_them() -> None:
    article = "A confidential draft about the harbour deal"
    with pytest.raises(ValidationError) as caught:
        RepairRequest.model_validate({"text": article, "style": article, "verify": 3})
    error = invalid(caught.value)
    assert error.status == 422
    assert "style:" in error.message and "verify:" in error.message
    assert article not in error.message


def test_suggestion_ids_and_edit_numbers_are_checked_before_the_library() -> None:
    result = RepairResult.model_validate_json(_SAVED)
    ApplyRequest.model_validate({"result": result, "accept": ["S1"], "reject": [1]})
    for choice in ({"accept": ["1"]}, {"accept": ["S1; DROP"]}, {"reject": [0]}):
        with pytest.raises(ValidationError):
            ApplyRequest.model_validate({"result": result, **choice})


_SAVED = json.dumps(
    {
        "text": "The envoy made four trips.",
        "paragraphs": [
            {
                "id": "P1",
                "kind": "paragraph",
                "status": "repaired",
                "source": "The envoy maked four trips.",
                "repaired": "The envoy made four trips.",
                "at": 0,
            }
        ],
        "usage": {},
        "model": "m",
        "template_version": "t",
        "style": "minimal",
        "chunks": 1,
        "timings": {},
    }
)


async def test_one_repair_past_the_limit_is_refused_with_a_retry_after() -> None:
    gate = Inflight(1)
    async with gate.slot():
        with pytest.raises(ServiceError) as caught:
            async with gate.slot():
                pass
        assert caught.value.status == 503
        assert int(caught.value.headers["Retry-After"]) >= 1
    async with gate.slot():  # freed again
        assert gate.count == 1
    await asyncio.sleep(0)
    assert gate.count == 0
