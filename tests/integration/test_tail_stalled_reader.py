"""``carecoord tail`` piped to a reader that stopped reading (a pager left open, a stalled
consumer) still stops on SIGTERM, exit 0: its writes blocked the whole process once the
pipe was full, the signal's handler never ran, and a service manager had to kill it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid

from platform_env import platform_env

from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

FILLS_THE_PIPE = 4  # lines of 40 KB against a pipe's 64 KB


async def test_a_tail_whose_reader_stopped_reading_stops_on_sigterm(
    platform: Platform, servers: Servers
) -> None:
    js = platform.broker.connection.jetstream()
    subject = f"{platform.settings.subject_root}.care.ClientEnrolled.{uuid.uuid4()}"
    body = json.dumps({"pad": "x" * 40_000}).encode()
    unread, written = os.pipe()  # a pipe whose reader never reads
    tail = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "carecoord.services.runtime.cli", "tail",
        env=platform_env(platform, servers, platform.settings.data_dir),
        stdout=written, stderr=subprocess.PIPE,
    )  # fmt: skip
    os.close(written)
    assert tail.stderr is not None
    try:
        async with asyncio.timeout(30):
            while b'"tailing"' not in await tail.stderr.readline():
                pass
        for _ in range(FILLS_THE_PIPE):
            await js.publish(subject, body, stream=platform.settings.stream_name)
        await asyncio.sleep(1)  # the lines written until the pipe is full; nothing reads it

        tail.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            ended = await tail.wait()
    finally:
        if tail.returncode is None:
            tail.kill()
            await tail.wait()
        os.close(unread)

    assert ended == 0
