"""``carecoord tail`` against a message on the care subjects that is no event: skipped and
logged by its code, never its content, and the events after it still printed. A stream the
broker lacks is said in a line naming the setting, not a traceback; a subject off the stream,
or one malformed, as a wrong argument naming the subjects the stream carries, exit 2."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path

import pytest
from cli_run import run_cli, said
from platform_env import platform_env
from tailed import tailed
from test_probe_audit_cli import unreachable_url

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


def test_a_stream_the_broker_lacks_is_said_in_a_line(
    platform: Platform, servers: Servers, tmp_path: Path
) -> None:
    env = {**tail_env(platform, servers), "CARECOORD_STREAM_NAME": "NO_SUCH_STREAM"}

    done = run_cli(tmp_path, env, "tail")

    assert done.returncode == 1, done.stderr
    assert said(done) == [
        "carecoord tail: the broker has no stream NO_SUCH_STREAM (CARECOORD_STREAM_NAME)"
    ]


def test_a_subject_off_the_stream_is_refused_before_any_server_is_asked(
    tmp_path: Path,
) -> None:
    """It exited 1, as a stream the broker lacks, once it had reached the broker."""
    env = {**os.environ, "CARECOORD_DATA_DIR": str(tmp_path), "CARECOORD_SUBJECT_ROOT": "care",
           "CARECOORD_STREAM_NAME": "CARE", "DATABASE_URL": unreachable_url(),
           "NATS_URL": "nats://127.0.0.1:1"}  # fmt: skip

    for subject in ("elsewhere.>", "care", ">"):
        done = run_cli(tmp_path, env, "tail", "--subject", subject)

        assert done.returncode == 2, done.stderr
        assert said(done) == [refused(subject, "care", "CARE")]


@pytest.mark.parametrize(
    "subject", ["care..x", "care.", "care.>.x", "care.a*", "care.x>", "care. x"]
)
def test_a_malformed_filter_is_refused_before_any_server_is_asked(
    tmp_path: Path, subject: str
) -> None:
    """A filter no broker takes (care..x) went to the broker, which answered each version
    its own way: one a bad request, another a server error with a traceback, exit 1."""
    env = {**os.environ, "CARECOORD_DATA_DIR": str(tmp_path), "CARECOORD_SUBJECT_ROOT": "care",
           "CARECOORD_STREAM_NAME": "CARE", "DATABASE_URL": unreachable_url(),
           "NATS_URL": "nats://127.0.0.1:1"}  # fmt: skip

    done = run_cli(tmp_path, env, "tail", "--subject", subject)

    assert done.returncode == 2, done.stderr
    assert said(done) == [refused(subject, "care", "CARE")]


@pytest.mark.parametrize(
    ("subject", "shown"),
    [("care.\x01x", "care.\\x01x"), ("care.é\u200bx", "care.\\xe9\\u200bx"),
     ("care." + "x" * 100_000, "care." + "x" * 75 + "...")],
    ids=["control-character", "invisible-character", "100k-characters"],
)  # fmt: skip
def test_a_filter_no_broker_takes_is_refused_and_said_in_one_short_line(
    tmp_path: Path, subject: str, shown: str
) -> None:
    """A control character or a filter longer than a subscription can carry went to the
    broker, and the refusal would have echoed all of it."""
    env = {**os.environ, "CARECOORD_DATA_DIR": str(tmp_path), "CARECOORD_SUBJECT_ROOT": "care",
           "CARECOORD_STREAM_NAME": "CARE", "DATABASE_URL": unreachable_url(),
           "NATS_URL": "nats://127.0.0.1:1"}  # fmt: skip

    done = run_cli(tmp_path, env, "tail", "--subject", subject)

    assert done.returncode == 2, done.stderr
    assert said(done) == [refused(shown, "care", "CARE")]


def refused(subject: str, root: str, stream: str) -> str:
    return (
        f"carecoord tail: argument --subject: {subject} is not a subject filter of the stream"
        f" {stream}, which carries {root}.> (CARECOORD_SUBJECT_ROOT): give {root}.> or a filter"
        f" under it, such as {root}.medication.>"
    )
