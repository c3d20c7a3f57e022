"""``carecoord tail`` against hostile messages on the care subjects: JSON nested deeper than
the parser goes, numbers JSON has no text for, a body naming another subject and position.
Each is skipped or shown as the broker holds it, every line printed is JSON, and the events
after them are still printed."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import uuid

from platform_env import platform_env

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
DEEP = b"[" * 100_000 + b"]" * 100_000  # the parser gives up with RecursionError
NOT_JSON_NUMBERS = [b'{"dose": NaN}', b'{"dose": Infinity}', b'{"dose": 1e999}']
FORGED = b'{"subject": "care.elsewhere", "position": "1", "note": "x"}'


def strict(line: str) -> dict[str, object]:
    """The line as JSON, refusing NaN and Infinity, which are not JSON."""

    def refuse(constant: str) -> object:
        raise ValueError(constant)

    found = json.loads(line, parse_constant=refuse)
    assert isinstance(found, dict)
    return found


async def lines_tailed(platform: Platform, servers: Servers, until: str) -> tuple[list[str], str]:
    """What ``carecoord tail`` prints up to the first line of type ``until``, and its log."""
    tail = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "carecoord.services.runtime.cli",
        "tail",
        env=platform_env(platform, servers, platform.settings.data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert tail.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(30):
            while not lines or f'"type": "{until}"' not in lines[-1]:
                line = (await tail.stdout.readline()).decode()
                if not line:  # the tail ended
                    break
                lines.append(line)
    finally:
        if tail.returncode is None:
            tail.send_signal(signal.SIGTERM)
        _, err = await tail.communicate()
    return lines, err.decode()


async def test_hostile_messages_are_skipped_or_shown_as_held_and_the_tail_goes_on(
    platform: Platform, servers: Servers
) -> None:
    js = platform.broker.connection.jetstream()
    stream = platform.settings.stream_name
    subject = f"{platform.settings.subject_root}.care.ClientEnrolled.{uuid.uuid4()}"
    for data in (DEEP, *NOT_JSON_NUMBERS, FORGED):
        await js.publish(subject, data, headers={"Carecoord-Position": "7"}, stream=stream)
    await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))

    lines, logged = await lines_tailed(platform, servers, until="care.ClientEnrolled")

    assert lines, logged
    shown = [strict(line) for line in lines]
    assert shown[-1]["type"] == "care.ClientEnrolled"
    assert shown[:-1] == [{"subject": subject, "position": 7, "note": "x"}]
    assert isinstance(shown[-1]["position"], int)
    assert logged.count('"MESSAGE_UNREADABLE"') == 1 + len(NOT_JSON_NUMBERS), logged
    assert "Traceback" not in logged
