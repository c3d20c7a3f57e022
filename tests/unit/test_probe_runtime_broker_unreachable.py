"""NATS_URL naming a server that never answers, with the default reconnect budget (-1: the
client reconnects for ever): the process waited for ever, silently, where the start-up
window (30 s) then exit 75 for the supervisor was meant. The command line says which
variable to mend."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime import bootstrap, cli
from carecoord.services.runtime.embedded import free_port


async def test_the_default_reconnect_budget_still_ends_the_start_up_window(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(bootstrap, "STARTUP_SECONDS", 1.0)
    nobody = f"nats://127.0.0.1:{free_port()}"
    settings = Settings(jwt_secret="startup-tests-secret-startup-tests")
    assert settings.nats_reconnect_attempts == -1  # the default: for ever

    started = time.monotonic()
    with caplog.at_level(logging.WARNING), pytest.raises(bootstrap.BrokerUnreachable):
        await asyncio.wait_for(bootstrap.connect_broker(settings, nobody, lambda: None), 20)

    assert time.monotonic() - started < 5
    codes = [getattr(r, "code", None) for r in caplog.records if r.levelno == logging.CRITICAL]
    assert codes == ["BROKER_UNREACHABLE"]
    assert any(r.getMessage() == "broker not ready; trying again" for r in caplog.records)


def test_the_command_line_names_the_variable_when_the_broker_never_answered(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def starting() -> None:
        raise bootstrap.BrokerUnreachable

    with pytest.raises(SystemExit) as exited:
        cli.until_stopped(starting())

    assert exited.value.code == bootstrap.EXIT_BROKER_GONE
    [line] = capsys.readouterr().err.splitlines()
    assert "NATS_URL" in line
    assert line.startswith("carecoord: ")


async def test_tail_gives_up_on_a_broker_that_never_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`carecoord tail` with NATS_URL naming no server waited for ever, printing nothing."""
    monkeypatch.setattr(bootstrap, "STARTUP_SECONDS", 1.0)
    nobody = f"nats://127.0.0.1:{free_port()}"
    settings = Settings(jwt_secret="startup-tests-secret-startup-tests")

    with pytest.raises(bootstrap.BrokerUnreachable):
        await asyncio.wait_for(
            cli.tail_events(
                settings, bootstrap.Servers("postgresql://x", nobody), "care.>", new_only=True
            ),
            20,
        )
