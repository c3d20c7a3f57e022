"""``audit export`` of a client id or a program the store does not know (a typo, another
installation's id, a program's name in the wrong case) answered an empty export, exit 0, and
the access log recorded an export of that client: the auditor took it for a record with
nothing in it. Now it says so, exit 2, and logs nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import uuid4

from audit_cli import export
from cli_run import said
from test_probe_audit_export_args import exports_by

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


async def test_a_client_the_store_does_not_hold_is_refused_before_it_is_logged(
    platform: Platform, tmp_path: Path
) -> None:
    unknown = str(uuid4())

    done = await asyncio.to_thread(export, platform.database_url, tmp_path, "--as", "aud-unknown",
                                   "--client", unknown)  # fmt: skip

    assert done.returncode == 2, done.stderr
    assert said(done)[-1] == f"carecoord audit export: no event of client {unknown} is stored"
    assert done.stdout == ""
    assert exports_by(platform.database_url, "aud-unknown") == 0


async def test_a_program_no_client_is_enrolled_in_is_refused_before_it_is_logged(
    platform: Platform, tmp_path: Path
) -> None:
    program = f"North {uuid4().hex[:6]}"
    await platform.bus.execute(enroll_client(ADMIN, display_name="Jo R.", program=program))

    done = await asyncio.to_thread(export, platform.database_url, tmp_path, "--as", "aud-none",
                                   "--program", program.lower())  # fmt: skip
    found = await asyncio.to_thread(export, platform.database_url, tmp_path, "--as", "aud-none",
                                    "--program", program)  # fmt: skip

    assert done.returncode == 2, done.stderr
    assert said(done)[-1] == (
        f"carecoord audit export: no client is enrolled in program {program.lower()!r}"
    )
    assert done.stdout == ""
    assert found.returncode == 0, found.stderr
    assert exports_by(platform.database_url, "aud-none") == 1
