"""``audit export --out`` naming a file another user owns (made ready in a shared folder) is
refused before the access log records the export: written into by root, or by anyone its
mode lets in, the record stayed that user's to read, 0600 or not."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from audit_cli import export
from cli_run import said

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
NOBODY = 65534


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
async def test_a_file_another_user_owns_is_refused_before_it_is_logged(
    platform: Platform, tmp_path: Path
) -> None:
    enrolled = await platform.bus.execute(enroll_client(ADMIN, display_name="Jo R.", program="OTP"))
    theirs = tmp_path / "record.jsonl"
    theirs.write_text("")
    os.chown(theirs, NOBODY, NOBODY)
    theirs.chmod(0o666)

    out = ("--out", str(theirs))
    done = await asyncio.to_thread(export, platform.database_url, tmp_path, "--as", "aud-owner",
                                   "--client", str(enrolled.result), *out)  # fmt: skip

    assert done.returncode == 2, done.stderr
    assert said(done) == [
        f"carecoord audit export: cannot write {theirs}: another user owns it and could read"
        " the record"
    ]
    assert theirs.read_text() == ""
