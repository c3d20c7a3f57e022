"""An auditor pointed at a database that takes no writes (a hot standby, the copy auditors
are often given, or a user that may only read) is told so, exit 2, cannot check or nothing
written: ``audit projections`` derives into scratch tables and ``audit export`` records
each client in the access log first. Each ended in a traceback, exit 1, which from
``projections`` reads as a model that differs. ``audit verify`` only reads, and checks
there."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path

import psycopg
from audit_cli import audit
from cli_run import said
from psycopg import sql
from psycopg.conninfo import make_conninfo

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


def audited(url: str, cwd: Path) -> list[subprocess.CompletedProcess[str]]:
    """``projections``, ``export`` of the Standby program to a file, and ``verify``."""
    export = ("export", "--program", "Standby", "--as", "aud-ro", "--out", "standby.jsonl")
    return [audit(url, cwd, *check) for check in (("projections",), export, ("verify",))]


async def test_a_database_that_takes_no_writes_cannot_be_checked_or_exported_from(
    platform: Platform, tmp_path: Path
) -> None:
    await platform.bus.execute(enroll_client(ADMIN, display_name="Ro S.", program="Standby"))
    url = platform.database_url
    reader = f"reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(reader)))
        conn.execute(
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(
                sql.Identifier(reader)
            )
        )
    try:
        standby, selecting = await asyncio.gather(
            asyncio.to_thread(
                audited, make_conninfo(url, options="-c default_transaction_read_only=on"),
                tmp_path,
            ),
            asyncio.to_thread(audited, make_conninfo(url, user=reader), tmp_path),
        )  # fmt: skip
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(reader)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(reader)))

    for checked, exported, verified in (standby, selecting):
        assert (checked.returncode, exported.returncode, verified.returncode) == (2, 2, 0), (
            verified.stdout + verified.stderr
        )
        assert said(checked) == [
            "carecoord audit projections: the database takes no writes (a standby, or a user"
            " that may only read): the read models are derived into scratch tables; check"
            " against the primary, as a user that may create tables"
        ]
        assert said(exported)[-1].startswith("carecoord audit export: the database takes no")
    assert not (tmp_path / "standby.jsonl").exists()
