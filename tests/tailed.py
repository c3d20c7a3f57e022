"""``carecoord tail`` run as a subscriber runs it, beside a test's platform, read line by line."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable

from platform_env import platform_env

from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers


async def tailed(
    platform: Platform,
    servers: Servers,
    *args: str,
    until: Callable[[list[str]], bool],
) -> tuple[list[str], str]:
    """The lines ``carecoord tail *args`` prints until ``until`` holds of them (30 s at most,
    or until the tail ends), and what it logged until it was stopped."""
    tail = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "carecoord.services.runtime.cli",
        "tail",
        *args,
        env=platform_env(platform, servers, platform.settings.data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert tail.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(30):
            while not until(lines):
                line = (await tail.stdout.readline()).decode()
                if not line:  # the tail ended
                    break
                lines.append(line)
    except TimeoutError:
        pass
    finally:
        if tail.returncode is None:
            tail.send_signal(signal.SIGTERM)
        _, err = await tail.communicate()
    return lines, err.decode()


def holding(text: str) -> Callable[[list[str]], bool]:
    """Until the last line printed holds ``text``."""
    return lambda lines: bool(lines) and text in lines[-1]
