"""An auditor pointed at a database that takes no writes (a hot standby, the copy auditors
are often given) is told so, exit 2, cannot check or nothing written: ``audit projections``
derives into scratch tables and ``audit export`` records each client in the access log
first. Each ended in a traceback, exit 1, which from ``projections`` reads as a model that
differs. ``audit verify`` only reads, and checks there."""

from __future__ import annotations

import asyncio
from pathlib import Path

from audit_cli import audit
from cli_run import said
from psycopg.conninfo import make_conninfo

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


async def test_a_database_that_takes_no_writes_cannot_be_checked_or_exported_from(
    platform: Platform, tmp_path: Path
) -> None:
    await platform.bus.execute(enroll_client(ADMIN, display_name="Ro S.", program="Standby"))
    standby = make_conninfo(platform.database_url, options="-c default_transaction_read_only=on")

    checked, exported, verified = await asyncio.gather(
        asyncio.to_thread(audit, standby, tmp_path, "projections"),
        asyncio.to_thread(
            audit, standby, tmp_path, "export", "--program", "Standby", "--as", "aud-ro",
            "--out", "standby.jsonl",
        ),
        asyncio.to_thread(audit, standby, tmp_path, "verify"),
    )  # fmt: skip

    assert (checked.returncode, exported.returncode, verified.returncode) == (2, 2, 0)
    assert said(checked) == [
        "carecoord audit projections: the database takes no writes (a standby, or read-only"
        " by its settings): the read models are derived into scratch tables; check against"
        " the primary"
    ]
    assert said(exported)[-1].startswith("carecoord audit export: the database takes no writes")
    assert not (tmp_path / "standby.jsonl").exists()
