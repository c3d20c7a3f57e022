"""A process whose broker never answers at start-up exits for its supervisor (75), as one
whose running connection gives up does, instead of ending on a traceback with 1."""

from __future__ import annotations

import logging

import pytest

from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime import bootstrap, cli
from carecoord.services.runtime.embedded import free_port


async def test_an_unreachable_broker_at_start_up_is_reported_for_a_restart(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(bootstrap, "STARTUP_SECONDS", 0.5)
    nobody = f"nats://127.0.0.1:{free_port()}"
    # A bounded reconnect budget, as the fault tests and a supervised deployment set it: with
    # the default (-1, for ever) the client itself keeps trying and never gives up.
    settings = Settings(
        jwt_secret="startup-tests-secret-startup-tests",
        nats_reconnect_attempts=1,
        nats_reconnect_wait_seconds=0.05,
    )

    with caplog.at_level(logging.CRITICAL), pytest.raises(bootstrap.BrokerUnreachable):
        await bootstrap.connect_broker(settings, nobody, lambda: None)

    [record] = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert getattr(record, "code", None) == "BROKER_UNREACHABLE"


def test_the_command_line_exits_75_when_the_broker_never_answered() -> None:
    async def starting() -> None:
        raise bootstrap.BrokerUnreachable

    with pytest.raises(SystemExit) as exited:
        cli.until_stopped(starting())

    assert exited.value.code == bootstrap.EXIT_BROKER_GONE
