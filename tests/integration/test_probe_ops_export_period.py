"""``audit export`` with a period that holds nothing, its ``--to`` at or before its ``--from``
(the two swapped, or an offset misread) or before anything can be recorded (``--to
0001-01-01T00:00Z``): it exported nothing, exit 0, and the access log recorded the export.
Now it is refused, exit 2, before anything is logged."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from audit_cli import export
from cli_run import said

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


@pytest.mark.parametrize(
    "period",
    [
        ("--from", "2026-01-02T00:00:00Z", "--to", "2026-01-01T00:00:00Z"),
        ("--from", "2026-01-01T05:00:00+05:00", "--to", "2026-01-01T00:00:00Z"),
        ("--to", "0001-01-01T00:00:00Z"),
        ("--to", "1899-12-31T23:59:59+05:00"),
    ],
)
async def test_an_export_period_that_holds_nothing_is_refused_before_it_is_logged(
    platform: Platform, tmp_path: Path, period: tuple[str, ...]
) -> None:
    enrolled = await platform.bus.execute(enroll_client(ADMIN, display_name="Jo R.", program="OTP"))

    done = await asyncio.to_thread(export, platform.database_url, tmp_path, "--as", "aud-range",
                                   "--client", str(enrolled.result), *period)  # fmt: skip

    assert done.returncode == 2, done.stderr
    assert said(done)[-1].startswith("carecoord audit export: --to "), done.stderr
    assert "access log:" not in done.stderr
    assert done.stdout == ""
