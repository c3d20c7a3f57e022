"""``audit export --out`` writes the record whole or not at all, and a program's export shows
its progress. The file was opened in place and truncated before the record was written: a
write cut short (a full disk, a file size limit, Ctrl-C) left the first part of the record
where the previous export was, which read as a whole record with clients missing. A
program's export read every client's history, for minutes on a large program, with
nothing on the terminal."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
PREVIOUS = '{"an": "earlier export"}\n'
LIMIT = 600
"""Bytes a file of the command's may hold: less than the record, more than nothing."""


FILE_SIZE_LIMITED = (
    "import resource, runpy, signal\n"
    "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)\n"
    f"resource.setrlimit(resource.RLIMIT_FSIZE, ({LIMIT}, {LIMIT}))\n"
    "runpy.run_module('carecoord.services.runtime.cli', run_name='__main__')\n"
)
"""The command, in a process whose files may hold ``LIMIT`` bytes."""


def export(url: str, cwd: Path, *extra: str, limited: bool) -> subprocess.CompletedProcess[str]:
    command = ["-c", FILE_SIZE_LIMITED] if limited else ["-m", "carecoord.services.runtime.cli"]
    return subprocess.run(
        [sys.executable, *command, "audit", "export", *extra],
        env={**os.environ, "DATABASE_URL": url},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_a_write_cut_short_leaves_the_previous_file_and_no_part_of_the_record(
    platform: Platform, tmp_path: Path
) -> None:
    for name in ("Sam K.", "Jo P.", "Ada B."):
        await platform.bus.execute(enroll_client(ADMIN, display_name=name, program="OTP"))
    out = tmp_path / "record.jsonl"
    out.write_text(PREVIOUS, encoding="utf-8")
    arguments = ("--program", "OTP", "--as", "aud-whole", "--out", str(out))

    cut = await asyncio.to_thread(export, platform.database_url, tmp_path, *arguments, limited=True)

    assert cut.returncode == 2, cut.stderr
    assert f"carecoord audit export: cannot write {out}: File too large" in cut.stderr
    assert out.read_text(encoding="utf-8") == PREVIOUS
    assert files_in(tmp_path) == ["record.jsonl"]  # nothing partial

    whole = await asyncio.to_thread(
        export, platform.database_url, tmp_path, *arguments, limited=False
    )

    assert whole.returncode == 0, whole.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3
    assert files_in(tmp_path) == ["record.jsonl"]


async def test_a_programs_export_shows_its_progress_by_position_or_client(
    platform: Platform, tmp_path: Path
) -> None:
    """JSON Lines are read a page of the store at a time (by position), a Bundle a client
    at a time."""
    for name in ("Sam K.", "Jo P."):
        await platform.bus.execute(enroll_client(ADMIN, display_name=name, program="OTP"))

    for format, unit in (("jsonl", "positions"), ("fhir", "clients")):
        done = await asyncio.to_thread(
            export, platform.database_url, tmp_path, "--program", "OTP", "--as", "aud-whole",
            "--format", format, limited=False,
        )  # fmt: skip

        assert done.returncode == 0, done.stderr
        shown = done.stderr.replace("\r", "\n")
        assert "reading the record: 100%" in shown
        assert unit in shown
    assert "2/2 [" in shown
    assert len(done.stdout.splitlines()) > 2  # the bar is on stderr alone
