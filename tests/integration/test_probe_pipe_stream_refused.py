"""A stream the broker refuses as configured (its subjects held by another stream, a
de-duplication window it cannot keep) stops a process at once with a line naming the
settings: it was taken for a broker not yet up, retried for 30 s, then reported as
unreachable with the exit status that asks a supervisor to start it again, for ever."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest
from platform_env import platform_env

from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import EXIT_BROKER_GONE, Servers


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({}, "subjects overlap with an existing stream"),
        ({"CARECOORD_DUPLICATE_WINDOW_SECONDS": "-5"}, "duplicates window can not be negative"),
    ],
)
def test_a_stream_the_broker_refuses_stops_the_relay_naming_the_settings(
    platform: Platform, servers: Servers, change: dict[str, str], said: str
) -> None:
    other = f"R{uuid.uuid4().hex[:10]}"  # another stream, over the platform's subjects
    env = platform_env(platform, servers, platform.settings.data_dir)
    if change:  # subjects of its own: only the window is wrong
        env["CARECOORD_SUBJECT_ROOT"] = other.lower()
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "relay"],
        env={**env, "CARECOORD_STREAM_NAME": other, **change},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode not in (0, EXIT_BROKER_GONE), done.stderr
    assert time.monotonic() - started < 20, "it waited for a broker that had answered"
    assert f"the broker refuses the stream {other}" in done.stderr, done.stderr
    assert said in done.stderr
    assert "CARECOORD_SUBJECT_ROOT" in done.stderr
    assert "Traceback" not in done.stderr
    assert "BROKER_UNREACHABLE" not in done.stderr
