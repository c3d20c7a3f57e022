"""A command whose output cannot be written: a reader that leaves early (``carecoord tail |
head -1``) or a full disk, and an ``audit export --out`` file only the open or the write
refuses. Each ended in a traceback; now the reader's leaving ends the command quietly by
SIGPIPE, as standard tools end (exit 2 read as an audit that could not check), the others
with one line and exit 2 (1 is ``audit verify``'s broken chain). A stream closed at start
(``2>&-``) made ``audit verify`` exit 1 on an intact chain."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from audit_cli import export
from cli_run import said
from platform_env import platform_env

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
CLI = (sys.executable, "-m", "carecoord.services.runtime.cli")


def test_output_to_a_full_disk_is_one_line_and_exit_two(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:  # Linux's disk that is always full
        done = subprocess.run(
            [*CLI, "token", "--user", "dr-lee", "--role", "prescriber"],
            env={**os.environ, "CARECOORD_DATA_DIR": str(tmp_path)},
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "carecoord: cannot write the output (No space left on device)"
    ]


async def test_a_tail_whose_reader_left_ends_quietly(
    platform: Platform, servers: Servers, tmp_path: Path
) -> None:
    for name in ("Sam K.", "Ada B."):
        await platform.bus.execute(enroll_client(ADMIN, display_name=name, program="OTP"))
    read_end, write_end = os.pipe()
    tail = await asyncio.create_subprocess_exec(
        *CLI,
        "tail",
        env=platform_env(platform, servers, tmp_path),
        stdout=write_end,
        stderr=asyncio.subprocess.PIPE,
    )
    os.close(write_end)
    assert tail.stderr is not None
    try:
        async with asyncio.timeout(30):
            with os.fdopen(read_end, "rb") as reader:  # head -1: one line, then gone
                assert await asyncio.to_thread(reader.readline)
            await platform.bus.execute(enroll_client(ADMIN, display_name="Lu M.", program="OTP"))
            logged = (await tail.stderr.read()).decode()
            await tail.wait()
    finally:
        if tail.returncode is None:
            tail.kill()
            await tail.wait()

    assert tail.returncode == -signal.SIGPIPE, logged
    assert [line for line in logged.splitlines() if '"level": "info"' not in line] == []


@pytest.mark.parametrize(
    "check",
    [["verify"], ["projections"], ["export", "--as", "aud-1", "--program", "OTP"]],
    ids=["verify", "projections", "export"],
)
async def test_an_audit_whose_reader_left_ends_quietly_by_sigpipe(
    platform: Platform, tmp_path: Path, check: list[str]
) -> None:
    """``carecoord audit ... | head -0``: a pipe whose reader is gone before the first line."""
    await platform.bus.execute(enroll_client(ADMIN, display_name="Jo R.", program="OTP"))
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = await asyncio.to_thread(
            subprocess.run,
            [*CLI, "audit", *check],
            env={**os.environ, "DATABASE_URL": platform.database_url},
            cwd=tmp_path,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)

    assert done.returncode == -signal.SIGPIPE, done.stderr
    assert "Traceback" not in done.stderr
    assert "carecoord" not in done.stderr, "no error: its progress alone"


async def test_an_export_the_out_file_cannot_take_is_one_line_and_exit_two(
    platform: Platform, tmp_path: Path
) -> None:
    enrolled = await platform.bus.execute(enroll_client(ADMIN, display_name="Jo R.", program="OTP"))
    device = os.stat("/dev/full").st_mode
    try:
        for out in ("/proc/record.jsonl", "/dev/full"):  # refused only by the open; by the write
            done = await asyncio.to_thread(export, platform.database_url, tmp_path, "--as",
                                           "aud-1", "--client", str(enrolled.result), "--out",
                                           out)  # fmt: skip

            assert done.returncode == 2, done.stderr
            assert said(done)[-1].startswith(f"carecoord audit export: cannot write {out}: "), out
            assert "Traceback" not in done.stderr
        # A device keeps its mode: made 0600, it refused every other user's process.
        assert os.stat("/dev/full").st_mode == device
    finally:
        if os.stat("/dev/full").st_mode != device:
            os.chmod("/dev/full", stat.S_IMODE(device))


async def test_verify_with_its_progress_stream_closed_still_says_intact(
    platform: Platform, tmp_path: Path
) -> None:
    await platform.bus.execute(enroll_client(ADMIN, display_name="Jo R.", program="OTP"))

    done = await asyncio.to_thread(
        subprocess.run,
        [*CLI, "audit", "verify"],
        env={**os.environ, "DATABASE_URL": platform.database_url},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=lambda: os.close(2),  # 2>&-: its progress went to a stream that is None
    )

    assert done.returncode == 0
    assert done.stdout.startswith("event chain intact")
