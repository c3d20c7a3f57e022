"""``carecoord tail`` against a message on the care subjects that is no event: skipped and
logged by its code, never its content, and the events after it still printed. A stream or
subject the broker refuses is said in a line naming the setting, not a traceback."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid

import pytest
from platform_env import platform_env
from tailed import tailed

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
SECRET = "NOTE-4b1c"


def tail_env(platform: Platform, servers: Servers) -> dict[str, str]:
    return platform_env(platform, servers, platform.settings.data_dir)


async def test_a_foreign_message_is_skipped_and_the_events_after_it_printed(
    platform: Platform, servers: Servers
) -> None:
    js = platform.broker.connection.jetstream()
    subject = f"{platform.settings.subject_root}.care.ClientEnrolled.{uuid.uuid4()}"
    for data in (f'{{"note": "{SECRET}"'.encode(), b"[1]", b"\xff"):
        await js.publish(subject, data, stream=platform.settings.stream_name)
    await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))
    for _ in range(3000):
        if (await js.stream_info(platform.settings.stream_name)).state.messages >= 4:
            break
        await asyncio.sleep(0.01)

    [line], logged = await tailed(platform, servers, until=bool)

    assert line, logged
    assert json.loads(line)["type"] == "care.ClientEnrolled"
    assert logged.count('"MESSAGE_UNREADABLE"') == 3
    assert SECRET not in logged


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"CARECOORD_STREAM_NAME": "NO_SUCH_STREAM"}, "the broker has no stream NO_SUCH_STREAM"),
        ({}, "--subject elsewhere.> is outside the stream's"),
    ],
)
def test_a_stream_or_subject_the_broker_refuses_is_said_in_a_line(
    platform: Platform, servers: Servers, change: dict[str, str], said: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "tail"]
        + ([] if change else ["--subject", "elsewhere.>"]),
        env={**tail_env(platform, servers), **change},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1, done.stderr
    assert f"carecoord tail: {said}" in done.stderr
    assert "Traceback" not in done.stderr
