"""NATS not answering as a command starts: from the first failure on, each try names the
server (its credentials hidden), why it failed and how long the command goes on trying, and
the command ends naming both. It said "broker not ready; trying again" with an error's
class name alone for 30 s, then that no server answered, its cause hidden behind the
start-up window's own timeout."""

from __future__ import annotations

import asyncio
import logging

import pytest

from carecoord.services.infrastructure.server_urls import (
    described,
    hidden_from,
    without_credentials,
)
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime import bootstrap, cli
from carecoord.services.runtime.embedded import free_port

SECRET = "s3cret-pw"


def test_a_url_is_shown_without_its_credentials() -> None:
    assert without_credentials(f"nats://kim:{SECRET}@nats.example:4222") == (
        "nats://kim:***@nats.example:4222"
    )
    assert without_credentials(f"nats://{SECRET}@a:4222,nats://b:4222") == (
        "nats://***@a:4222,nats://b:4222"
    )
    assert without_credentials("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222"
    url = f"tls://kim:{SECRET}@h:4222"
    assert hidden_from(f"refused {url}", url) == "refused tls://kim:***@h:4222"
    assert described(OSError(f"no {url}"), url) == "OSError: no tls://kim:***@h:4222"
    assert described(TimeoutError(), url) == "TimeoutError"


async def test_each_try_names_the_server_and_why_and_the_end_says_both(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(bootstrap, "STARTUP_SECONDS", 1.5)
    port = free_port()
    url = f"nats://kim:{SECRET}@127.0.0.1:{port}"
    shown = f"nats://kim:***@127.0.0.1:{port}"
    settings = Settings(jwt_secret="startup-tests-secret-startup-tests")

    with caplog.at_level(logging.WARNING), pytest.raises(bootstrap.BrokerUnreachable) as ended:
        await asyncio.wait_for(bootstrap.connect_broker(settings, url, lambda: None), 20)

    tries = [r for r in caplog.records if r.getMessage() == "broker not ready; trying again"]
    first = tries[0]
    assert first.server == shown  # type: ignore[attr-defined]
    assert first.reason.startswith("ConnectionRefusedError")  # type: ignore[attr-defined]
    assert 0 < first.gives_up_in <= 1.5  # type: ignore[attr-defined]
    assert ended.value.server == shown
    assert ended.value.reason.startswith("ConnectionRefusedError")  # not the window's timeout
    assert not [r for r in caplog.records if SECRET in str(r.__dict__)]


def test_the_command_line_names_the_server_and_the_cause(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def starting() -> None:
        raise bootstrap.BrokerUnreachable("nats://kim:***@bogus:4222", "gaierror: no such host")

    with pytest.raises(SystemExit) as exited:
        cli.until_stopped(starting())

    assert exited.value.code == bootstrap.EXIT_BROKER_GONE
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(
        "carecoord: no NATS server answered at nats://kim:***@bogus:4222 within 30 s"
        " (gaierror: no such host): "
    )
    assert "NATS_URL" in line
