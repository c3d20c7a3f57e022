"""Ctrl-C once an audit check has its verdict (reaching it through a pager that reads its
answer, say) does not change its exit status: the verdict is written in full and the check
exits with its own 0 or 1. It exited 130, killed by SIGINT as it wrote out what it had
printed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


def full_pipe() -> tuple[int, int]:
    """A pipe nobody has read: whatever is written to it next waits."""
    read, write = os.pipe()
    os.set_blocking(write, False)
    for chunk in (b"x" * 4096, b"x"):
        try:
            while True:
                os.write(write, chunk)
        except BlockingIOError:
            pass
    os.set_blocking(write, True)
    return read, write


def interrupted_while_answering(url: str, cwd: Path, *check: str) -> tuple[int, str, str]:
    """``carecoord audit <check>`` sent SIGINT while it writes its verdict to a full pipe;
    its exit status, what it wrote after the pipe's filling, and its stderr."""
    read, write = full_pipe()
    with (cwd / "stderr").open("w+") as err:
        command = subprocess.Popen(
            [sys.executable, "-m", "carecoord.services.runtime.cli", "audit", *check],
            env={**os.environ, "DATABASE_URL": url},
            cwd=cwd,
            stdout=write,
            stderr=err,
        )
        os.close(write)
        try:
            deadline = time.monotonic() + 120
            while "pipe_write" not in Path(f"/proc/{command.pid}/wchan").read_text():
                assert command.poll() is None, "it ended without writing"
                assert time.monotonic() < deadline, "the check never wrote its verdict"
                time.sleep(0.01)
            command.send_signal(signal.SIGINT)
            with os.fdopen(read, "rb") as out:
                written = out.read()
            status = command.wait(timeout=30)
        finally:
            command.kill()
        err.seek(0)
        return status, written.lstrip(b"x").decode(), err.read()


@pytest.mark.parametrize(
    ("check", "verdict"),
    [(("verify",), "event chain intact"), (("projections",), "read models derived afresh")],
    ids=["verify", "projections"],
)
async def test_ctrl_c_after_the_verdict_leaves_its_exit_status(
    platform: Platform, tmp_path: Path, check: tuple[str, ...], verdict: str
) -> None:
    await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))

    status, out, err = await asyncio.to_thread(
        interrupted_while_answering, platform.database_url, tmp_path, *check
    )

    assert status == 0, out + err
    assert out.startswith(verdict), out
    assert "interrupted" not in err
