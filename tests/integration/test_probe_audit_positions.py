"""A row put below the first position (an event at 0 or before, an access-log entry at seq 0
or before) is named by ``audit verify``: the store and the log number from 1, so nothing of
theirs is there, yet a client's export and ``accessLog(after: -1)`` read such rows, while the
walks began after 0 and called the chain intact. And an access log whose chain's columns
were dropped is its entries, unchained, not "none in this database"."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from audit_cli import audit
from conftest import fresh_database, isolated_settings
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from carecoord.events import Actor, Role
from carecoord.services.care.record import ClientRecord
from carecoord.services.gate.gate import read_entry
from carecoord.services.infrastructure import access_chain, access_log
from carecoord.services.infrastructure.chain_anchors import Anchor, Anchoring
from carecoord.services.infrastructure.chain_verification import (
    ClientReport,
    Verdict,
    verify,
    verify_client,
)
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.event_chain import GENESIS, TABLE, link
from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
CLIENT = uuid.UUID(int=7)
NAME = "Below T."


def enroll(client_id: uuid.UUID) -> Command[None]:
    def run(uow: UnitOfWork) -> None:
        uow.get(ClientRecord, client_id).enroll(
            ADMIN, display_name=NAME, program="OTP", occurred_at=None
        )

    return run


@pytest.fixture
def url(servers: Servers, data_dir: Path) -> Iterator[str]:
    """A fresh database: three clients enrolled (the first CLIENT), three reads logged."""
    with fresh_database(servers.database_url) as url:
        store = EventStore(env=store_env(isolated_settings(data_dir, database_url=url)))
        bus = CommandBus(store)
        try:
            for client_id in (CLIENT, uuid.uuid4(), uuid.uuid4()):
                bus.execute_sync(enroll(client_id))
            asyncio.run(_log_reads(url, 3))
            yield url
        finally:
            bus.close()
            store.close()


async def _log_reads(url: str, count: int) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await access_log.ensure_table(conn)
    async with AsyncConnectionPool(url, min_size=1, max_size=2) as pool:
        log = access_log.AccessLog(pool)
        task = asyncio.create_task(log.run())
        try:
            for n in range(count):
                stamp = Stamp(Actor(id="nurse-1", role=Role.NURSE), correlation_id=uuid.uuid4())
                await log.append(read_entry(stamp, CLIENT, "clientTimeline", count=n))
        finally:
            task.cancel()


def forge_event(url: str, position: int, *, chained_from_genesis: bool) -> None:
    """A second event of CLIENT's record, as a superuser could put it: the triggers lifted,
    a copy of the enrolment's body at ``position``, its hash recomputed (chained from the
    genesis, as the first row is) or copied from the enrolment."""
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        row = conn.execute(
            f"SELECT originator_id, topic, state, prev_hash, hash FROM {TABLE}"
            " WHERE notification_id = 1"
        ).fetchone()
        assert row is not None
        originator, topic, state, prev, hashed = row
        if chained_from_genesis:
            prev, hashed = GENESIS, link(GENESIS, position, originator, 2, topic, bytes(state))
        conn.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL")
        conn.execute(
            f"INSERT INTO {TABLE} (notification_id, originator_id, originator_version, topic,"
            " state, prev_hash, hash) VALUES (%s, %s, 2, %s, %s, %s, %s)",
            (position, originator, topic, state, prev, hashed),
        )
        conn.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER ALL")


@pytest.mark.parametrize("position", [0, -1, -(2**63)])
@pytest.mark.parametrize("chained_from_genesis", [True, False])
def test_an_event_put_below_the_first_position_is_named_inserted(
    url: str, tmp_path: Path, position: int, chained_from_genesis: bool
) -> None:
    forge_event(url, position, chained_from_genesis=chained_from_genesis)

    done = audit(url, tmp_path, "verify")

    assert done.returncode == 1, done.stdout + done.stderr
    first = done.stdout.splitlines()[0]
    assert first == f"event chain BROKEN at position {position}: inserted"
    assert "numbers from 1" in done.stdout
    assert NAME not in done.stdout + done.stderr
    with psycopg.connect(url, autocommit=True) as conn:
        report = verify(conn)
    assert report.broken is not None
    assert (report.broken.position, report.broken.verdict) == (position, Verdict.INSERTED)
    assert report.checked == 0


def test_one_clients_check_names_the_event_put_below_the_first_position(url: str) -> None:
    forge_event(url, -1, chained_from_genesis=True)

    async def checked() -> ClientReport:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            return await verify_client(conn, CLIENT)

    report = asyncio.run(checked())

    assert report.broken is not None
    assert (report.broken.position, report.broken.verdict) == (-1, Verdict.INSERTED)


@pytest.mark.parametrize("seq", [0, -5])
def test_an_access_log_entry_put_below_the_first_seq_is_named(
    url: str, tmp_path: Path, seq: int
) -> None:
    """A forged entry chained from the genesis, as the first entry is: it hashes as written."""
    stamp = Stamp(Actor(id="dr-forged", role=Role.PRESCRIBER), correlation_id=uuid.uuid4())
    entry = read_entry(stamp, CLIENT, "clientTimeline", count=1)
    stored = entry.model_dump(mode="json")
    values = access_log.columns(entry)
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute("ALTER TABLE access_log DISABLE TRIGGER ALL")
        names = ", ".join(access_log.COLUMNS[:-3])
        holes = ", ".join(["%s"] * len(values))
        conn.execute(
            f"INSERT INTO access_log (seq, {names}, event, prev_hash, hash)"
            f" VALUES (%s, {holes}, %s, %s, %s)",
            (seq, *values, Jsonb(stored), GENESIS, access_chain.link(GENESIS, stored)),
        )
        conn.execute("ALTER TABLE access_log ENABLE TRIGGER ALL")

    done = audit(url, tmp_path, "verify")

    assert done.returncode == 1, done.stdout + done.stderr
    assert f"access log BROKEN at entry {seq}: seq" in done.stdout
    assert "numbers from 1" in done.stdout
    assert "access log head: entry 0 hash " + GENESIS.hex() in done.stdout


def test_an_access_log_without_its_chain_columns_is_counted_not_called_absent(
    url: str, tmp_path: Path
) -> None:
    """Its columns dropped (or a log kept before the chain): every entry is unchained, and a
    head kept before is no longer on it; it was reported as no access log at all, exit 0."""
    kept = audit(url, tmp_path, "verify").stdout.splitlines()[-1].split()
    assert kept[:3] == ["access", "log", "head:"]
    head = f"{kept[4]}:{kept[6]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE access_log DROP COLUMN hash, DROP COLUMN prev_hash")

    done = audit(url, tmp_path, "verify")
    held = audit(url, tmp_path, "verify", "--access-log-head", head)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "access log: none in this database" not in done.stdout
    assert "access log intact (sha256-v1): 0 entries (3 from before the chain, unchecked)" in (
        done.stdout
    )
    assert held.returncode == 1, held.stdout + held.stderr
    assert f"access log BROKEN at entry {kept[4]}: truncated" in held.stdout


@pytest.mark.parametrize("removed", ["hashes", "columns"])
def test_an_access_log_stripped_of_its_chain_is_broken_against_the_anchors(
    url: str, tmp_path: Path, removed: str
) -> None:
    """Every hash set to NULL (or the chain's columns dropped): every entry read as from
    before the chain, unchecked, exit 0, and only a head kept before showed it. The anchors
    record the entry the chain begins at, so entries from there on without a hash are named."""

    async def chain_start() -> int | None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            return await access_log.chained_from(conn)

    start = asyncio.run(chain_start())
    assert start == 1
    with psycopg.connect(url) as conn:
        found = conn.execute(
            f"SELECT notification_id, hash FROM {TABLE} ORDER BY 1 DESC LIMIT 1"
        ).fetchone()
    assert found is not None
    anchor = Anchor(found[0], bytes(found[1]), "2026-12-06T08:00:00+00:00", access_log_from=start)
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(json.dumps(anchor.as_json()) + "\n")
    assert audit(url, tmp_path, "verify", "--anchors", str(anchors)).returncode == 0
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute("ALTER TABLE access_log DISABLE TRIGGER ALL")
        if removed == "hashes":
            conn.execute("UPDATE access_log SET hash = NULL, prev_hash = NULL")
        else:
            conn.execute("ALTER TABLE access_log DROP COLUMN hash, DROP COLUMN prev_hash")
        conn.execute("ALTER TABLE access_log ENABLE TRIGGER ALL")

    done = audit(url, tmp_path, "verify", "--anchors", str(anchors))

    assert done.returncode == 1, done.stdout + done.stderr
    assert "access log BROKEN at entry 1: unchained" in done.stdout
    assert "the chain was anchored as begun at entry 1: its hash was removed" in done.stdout


async def test_the_anchors_keep_where_the_chain_began_once_its_hashes_are_removed(
    url: str, platform: Platform, data_dir: Path, tmp_path: Path
) -> None:
    """Hashes removed between two anchors (or before the relay starts again) make the log
    look unchained from its first entry on: the next anchor keeps the start anchored before."""
    settings = platform.settings.model_copy(update={"chain_anchor_file": tmp_path / "a.jsonl"})
    store = EventStore(env=store_env(isolated_settings(data_dir, database_url=url)))
    bus = CommandBus(store)
    async with AsyncConnectionPool(url, min_size=1, max_size=2) as pool:
        first = await Anchoring(pool, platform.broker, settings, platform.liveness).anchor()
        with psycopg.connect(url, autocommit=True) as tampering, tampering.transaction():
            tampering.execute("ALTER TABLE access_log DISABLE TRIGGER ALL")
            tampering.execute("UPDATE access_log SET hash = NULL, prev_hash = NULL")
            tampering.execute("ALTER TABLE access_log ENABLE TRIGGER ALL")
        try:
            bus.execute_sync(enroll(uuid.uuid4()))  # the head moves: a new anchor is due
        finally:
            bus.close()
            store.close()
        async with pool.connection() as conn:
            now = await access_log.chained_from(conn)
        again = await Anchoring(pool, platform.broker, settings, platform.liveness).anchor()

    assert first is not None
    assert again is not None
    assert (first.access_log_from, now, again.access_log_from) == (1, 4, 1)
