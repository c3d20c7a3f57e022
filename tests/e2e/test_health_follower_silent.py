"""/health names a projector that was killed: with no event recorded meanwhile its lag stayed
0 and the API's /health, in another process, said ``ok`` over a timeline that would not
move. Its heartbeat stops instead, and once it has been silent for
``follower_silent_seconds`` every /health says ``degraded``, code ``FOLLOWER_SILENT``."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import isolated_settings, serving_api, started
from platform_env import platform_env

from carecoord.events import Role
from carecoord.services.runtime.bootstrap import Servers
from support import Api

SILENT_SECONDS = 1.5
POLLS = 600
"""At most a minute of /health at 0.1 s: a guard against a hung run, not a timed check."""
ENROLL = "mutation($i: EnrollClientInput!) { enrollClient(input: $i) { id position } }"


class Projector:
    """``carecoord project`` in a process of its own, on the test's platform."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._env, self._log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "carecoord.services.runtime.cli", "project"],
                env=self._env,
                stdout=log,
                stderr=log,
            )

    def end(self, signum: signal.Signals) -> int:
        assert self.process is not None
        self.process.send_signal(signum)
        return self.process.wait(30)


@pytest.fixture
def projector_process(tmp_path: Path) -> Iterator[list[Projector]]:
    made: list[Projector] = []
    yield made
    for projector in made:
        if projector.process is not None and projector.process.poll() is None:
            projector.end(signal.SIGKILL)


async def health_until(api: Api, holds: Any) -> dict[str, Any]:
    for _ in range(POLLS):
        response = await api.health()
        body: dict[str, Any] = response.json()
        if holds(body):
            assert response.status_code == 200
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"/health never came to it: {body}")


async def enrolled_and_projected(api: Api, name: str) -> None:
    done = await api.ok(
        ENROLL, {"i": {"displayName": name, "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    assert await api.platform.progress.reach("timeline", done["enrollClient"]["position"], 30)


async def test_a_killed_projector_is_named_silent_and_its_restart_mends_it(
    servers: Servers, data_dir: Path, tmp_path: Path, projector_process: list[Projector]
) -> None:
    settings = isolated_settings(data_dir, follower_silent_seconds=SILENT_SECONDS)
    async with started(settings, servers, project=False) as platform, serving_api(platform) as api:
        env = platform_env(platform, servers, tmp_path)
        env.update(
            CARECOORD_JWT_SECRET=str(settings.jwt_secret),
            CARECOORD_FOLLOWER_SILENT_SECONDS=str(SILENT_SECONDS),
        )
        projector = Projector(env, tmp_path / "project.log")
        projector_process.append(projector)
        projector.start()
        await enrolled_and_projected(api, "S. Ilent")
        await health_until(api, lambda body: body["status"] == "ok")

        assert projector.end(signal.SIGKILL) == -signal.SIGKILL
        body = await health_until(api, lambda body: "projections" in body["silent"])

        assert body["status"] == "degraded"
        assert body["silent"]["projections"]["code"] == "FOLLOWER_SILENT"
        assert body["silent"]["projections"]["silentSeconds"] >= SILENT_SECONDS
        assert "relay" not in body["silent"]  # the relay of the API's process beats on
        assert all(f["lag"] == 0 for f in body["followers"].values())  # lag alone said ok

        projector.start()
        body = await health_until(api, lambda body: body["status"] == "ok")
        assert body["silent"] == {}
        await enrolled_and_projected(api, "R. Estarted")

        assert projector.end(signal.SIGTERM) == 0
        body = (await api.health()).json()
        assert body["silent"] == {}, "a projector stopped on purpose is absent, not silent"
        assert body["status"] == "ok"
