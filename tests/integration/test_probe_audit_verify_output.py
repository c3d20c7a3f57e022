"""``audit verify`` prints what it read from an altered row (its type, an anchor's time) with
control characters escaped: printed raw, a topic rewritten to carry terminal escapes could
erase the report's ``BROKEN`` line on the auditor's screen and print another in its place."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from enrolled_store import enrolled_store

from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.runtime.bootstrap import Servers

ERASE = "\x1b[1A\x1b[2K\r"  # up a line, clear it, back to its start
FORGED = f"care.ClientEnrolled{ERASE}{ERASE}event chain intact (event-sha256-v1)"


@pytest.fixture
def url(servers: Servers, data_dir: Path) -> Iterator[str]:
    """A fresh database with a chained store of three events."""
    with enrolled_store(servers, data_dir, 3) as url:
        yield url


def test_a_topic_carrying_terminal_escapes_is_printed_escaped(url: str, tmp_path: Path) -> None:
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL")
        conn.execute(f"UPDATE {TABLE} SET topic = %s WHERE notification_id = 2", (FORGED,))
        conn.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER ALL")

    done = subprocess.run(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "audit", "verify"],
        env={**os.environ, "DATABASE_URL": url},
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )
    shown = done.stdout.decode()  # as written: text mode would read a carriage return as \n

    assert done.returncode == 1, done.stderr
    assert shown.startswith("event chain BROKEN at position 2: altered\n")
    assert "\x1b" not in shown
    assert "\r" not in shown
    assert "care.ClientEnrolled\\x1b[1A\\x1b[2K\\r" in shown
