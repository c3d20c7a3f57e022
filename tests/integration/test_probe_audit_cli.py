"""The audit commands when the database cannot be reached or the output cannot be written:
exit 2, said in a line an operator can act on (no traceback), never the exit status that
means the chain is broken (1), and no access-log entry for an export nobody received."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


def unreachable_url() -> str:
    """A PostgreSQL URL on a local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql://carecoord@127.0.0.1:{port}/carecoord"


def audit(cwd: Path, *check: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "audit", *check],
        env={**os.environ, "DATABASE_URL": url or unreachable_url()},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_verify_without_a_database_cannot_check_rather_than_cry_broken(tmp_path: Path) -> None:
    done = audit(tmp_path, "verify")

    assert done.returncode == 2, done.stderr
    assert "carecoord audit verify: cannot reach the database" in done.stderr
    assert "Traceback" not in done.stderr


def test_export_without_a_database_says_so(tmp_path: Path) -> None:
    done = audit(tmp_path, "export", "--as", "aud-7", "--program", "OTP")

    assert done.returncode == 2, done.stderr
    assert "carecoord audit export: cannot reach the database" in done.stderr
    assert "Traceback" not in done.stderr


async def test_export_to_a_missing_folder_is_refused_before_it_is_logged(
    platform: Platform, tmp_path: Path
) -> None:
    enrolled = await platform.bus.execute(enroll_client(ADMIN, display_name="Jo R.", program="OTP"))
    client = str(enrolled.result)
    out = tmp_path / "missing" / "record.jsonl"

    done = audit(tmp_path, "export", "--as", "aud-7", "--client", client, "--out", str(out),
                 url=platform.database_url)  # fmt: skip

    assert done.returncode == 2, done.stderr
    assert f"carecoord audit export: cannot write {out}" in done.stderr
    assert "Traceback" not in done.stderr
    with psycopg.connect(platform.database_url) as conn:
        kept = conn.execute("SELECT to_regclass('access_log') IS NOT NULL").fetchone()
        logged = (
            conn.execute(
                "SELECT count(*) FROM access_log WHERE operation LIKE 'auditExport%'"
            ).fetchone()
            if kept == (True,)
            else (0,)
        )
    assert logged == (0,)


def test_export_as_a_user_whose_id_reads_as_anothers_is_refused(tmp_path: Path) -> None:
    """The access log records the user ``--as`` names: one with a Cyrillic a (U+0430) among
    Latin letters would read as aud-anna in every review of it."""
    done = audit(tmp_path, "export", "--as", "aud-\u0430nna", "--program", "OTP")

    assert done.returncode == 2, done.stderr
    assert "argument --as: holds U+0430 CYRILLIC SMALL LETTER A at 4" in done.stderr
    assert "cannot reach the database" not in done.stderr


@pytest.mark.parametrize(
    "which", [("--program", "OTP"), ("--client", "8d1e3a5e-7a55-4d0a-9c1e-3a2b0c4d5e6f")]
)
def test_export_from_a_database_without_the_store_says_so_and_makes_nothing(
    database: str, tmp_path: Path, which: tuple[str, str]
) -> None:
    """Opening the store made its tables, triggers and functions in whatever database
    DATABASE_URL named, said no client was enrolled, and ``verify`` then found an intact
    empty chain there."""
    done = audit(tmp_path, "export", "--as", "aud-7", *which, url=database)

    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "carecoord audit export: no event store in this database (the platform makes it"
        " when it first starts)\n"
    )
    with psycopg.connect(database) as conn:
        made = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public'"
        ).fetchone()
    assert made == (0,)
