"""``audit verify`` of a store whose chain's columns were dropped (triggers and all, as a
database superuser could) reports the chain broken at its first event, its hash removed,
exit 1, as it does when every hash is set to NULL. Before, it said there was no chained
event store in the database, exit 2 ("cannot check"), with every event still stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from audit_cli import audit
from conftest import fresh_database
from enrolled_store import enrolled_store

from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.runtime.bootstrap import Servers


@pytest.fixture
def url(servers: Servers, data_dir: Path) -> Iterator[str]:
    """A fresh database with a chained store of two events."""
    with enrolled_store(servers, data_dir, 2) as url:
        yield url


def test_a_store_without_its_chain_columns_is_broken_at_its_first_event(
    url: str, tmp_path: Path
) -> None:
    assert audit(url, tmp_path, "verify").returncode == 0
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {TABLE} DROP COLUMN hash CASCADE")
        conn.execute(f"ALTER TABLE {TABLE} DROP COLUMN prev_hash CASCADE")

    done = audit(url, tmp_path, "verify")

    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("event chain BROKEN at position 1: altered\n")
    assert "event 1 (aggregate" in done.stdout
    assert "had its hash removed" in done.stdout


def test_a_database_without_an_event_store_still_cannot_be_checked(
    servers: Servers, tmp_path: Path
) -> None:
    with fresh_database(servers.database_url) as empty:
        done = audit(empty, tmp_path, "verify")
    assert done.returncode == 2
    assert "no chained event store in this database" in done.stderr
