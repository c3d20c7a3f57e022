"""The event store is hash-chained: stored events cannot be changed through a session, and
one altered, deleted, inserted or reordered by someone who lifted the triggers is named by
the verifier; a rewrite of the whole chain is caught by the anchors kept outside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from conftest import fresh_database, isolated_settings
from undecodable import REWRITE_FROM

from carecoord.events import Actor, Role
from carecoord.services.care.record import ClientRecord
from carecoord.services.infrastructure import access_log, event_chain
from carecoord.services.infrastructure.chain_anchors import (
    Anchor,
    Anchoring,
    anchor_stream,
    read_anchors,
)
from carecoord.services.infrastructure.chain_verification import Report, Row, Verdict, verify
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.event_chain import GENESIS, TABLE, link
from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
ROWS = (
    "SELECT notification_id, originator_id, originator_version, topic, state, prev_hash, hash "
    f"FROM {TABLE} ORDER BY notification_id"
)


def enroll(count: int) -> Command[list[uuid.UUID]]:
    """One command recording ``count`` events: one save, one INSERT of ``count`` rows."""

    def run(uow: UnitOfWork) -> list[uuid.UUID]:
        clients = [uuid.uuid4() for _ in range(count)]
        for client_id in clients:
            uow.get(ClientRecord, client_id).enroll(
                ADMIN, display_name="Chain T.", program="OTP", occurred_at=None
            )
        return clients

    return run


def hash_of(row: Row) -> bytes:
    """A row's hash as the chain wrote it (every row written since the chain has one)."""
    assert row.hash is not None, row.position
    return row.hash


@dataclass
class Chained:
    url: str
    store: EventStore
    bus: CommandBus

    def rows(self) -> list[Row]:
        with psycopg.connect(self.url) as conn:
            return [
                Row(n, o, v, t, bytes(s), _b(p), _b(h))
                for n, o, v, t, s, p, h in conn.execute(ROWS)
            ]

    def verify(self, anchors: list[Anchor] | None = None) -> Report:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return verify(conn, anchors=anchors or [])

    def tamper(self, *statements: tuple[str, tuple[object, ...]]) -> None:
        """What a database superuser could do: lift every trigger, change rows, put them back."""
        with psycopg.connect(self.url, autocommit=True) as conn, conn.transaction():
            conn.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL")
            for statement, params in statements:
                conn.execute(statement, params)
            conn.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER ALL")


def _b(value: bytes | None) -> bytes | None:
    return None if value is None else bytes(value)


@pytest.fixture
def chained(servers: Servers, data_dir: Path) -> Iterator[Chained]:
    """A store whose table has the chain before its first event, ten events in it."""
    with fresh_database(servers.database_url) as url:
        store = EventStore(env=store_env(isolated_settings(data_dir, database_url=url)))
        with psycopg.connect(url) as conn:
            event_chain.install(conn)  # as the store did when it opened: changes nothing
        bus = CommandBus(store)
        for _ in range(5):
            bus.execute_sync(enroll(2))
        try:
            yield Chained(url, store, bus)
        finally:
            bus.close()
            store.close()


def test_each_event_of_a_multi_event_save_follows_the_one_before(chained: Chained) -> None:
    chained.bus.execute_sync(enroll(25))  # one statement inserting 25 rows

    rows = chained.rows()

    assert len(rows) == 35
    prev = GENESIS
    for row in rows:
        assert row.prev_hash == prev, row.position
        assert row.hash == link(
            prev, row.position, row.originator_id, row.version, row.topic, row.state
        )
        prev = row.hash
    report = chained.verify()
    assert report.intact
    assert (report.checked, report.head_position, report.head_hash) == (35, rows[-1].position, prev)


def test_two_writers_at_once_still_make_one_chain(chained: Chained, data_dir: Path) -> None:
    other = EventStore(env=store_env(isolated_settings(data_dir, database_url=chained.url)))
    other_bus = CommandBus(other)
    try:

        def write(bus: CommandBus) -> None:
            for future in [bus.submit(enroll(3)) for _ in range(60)]:
                future.result()

        writers = [threading.Thread(target=write, args=(b,)) for b in (chained.bus, other_bus)]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
    finally:
        other_bus.close()
        other.close()

    report = chained.verify()
    assert report.intact, report.broken
    assert report.checked == 10 + 2 * 60 * 3


@pytest.mark.parametrize(
    ("statement", "refused"),
    [
        (f"UPDATE {TABLE} SET state = state", "UPDATE"),
        (f"DELETE FROM {TABLE} WHERE notification_id = 3", "DELETE"),
        (f"TRUNCATE {TABLE}", "TRUNCATE"),
    ],
)
def test_changing_stored_events_is_refused_by_the_database(
    chained: Chained, statement: str, refused: str
) -> None:
    with (
        psycopg.connect(chained.url) as conn,
        pytest.raises(psycopg.errors.RaiseException, match=f"append-only: {refused} refused"),
    ):
        conn.execute(statement)
    assert chained.verify().intact


def test_an_insert_that_bypasses_the_table_lock_cannot_fork_the_chain(chained: Chained) -> None:
    head = chained.rows()[-1].position
    with psycopg.connect(chained.url) as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="would follow event"):
            conn.execute(
                f"INSERT INTO {TABLE} (originator_id, originator_version, topic, state, "
                "notification_id) VALUES (gen_random_uuid(), 1, 'x', 'y', %s)",
                (head - 1,),
            )
        conn.rollback()
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with pytest.raises(psycopg.errors.RaiseException, match="READ COMMITTED"):
            conn.execute(
                f"INSERT INTO {TABLE} (originator_id, originator_version, topic, state) "
                "VALUES (gen_random_uuid(), 1, 'x', 'y')"
            )


def test_an_altered_event_is_named_with_the_hash_it_was_written_with(chained: Chained) -> None:
    rows = chained.rows()
    target = rows[4]

    chained.tamper(
        (
            f"UPDATE {TABLE} SET state = state || 'x'::bytea WHERE notification_id = %s",
            (target.position,),
        )
    )
    broken = chained.verify().broken

    assert broken is not None
    assert (broken.position, broken.verdict) == (target.position, Verdict.ALTERED)
    assert (broken.aggregate_id, broken.version) == (target.originator_id, target.version)
    assert broken.expected == hash_of(target).hex()
    assert broken.found not in (None, broken.expected)
    assert chained.verify().checked == 4


def test_a_deleted_event_breaks_the_link_of_the_next(chained: Chained) -> None:
    rows = chained.rows()

    chained.tamper((f"DELETE FROM {TABLE} WHERE notification_id = %s", (rows[5].position,)))
    broken = chained.verify().broken

    assert broken is not None
    assert (broken.position, broken.verdict) == (rows[6].position, Verdict.DELETED)
    assert broken.related == rows[4].position
    assert (broken.expected, broken.found) == (hash_of(rows[4]).hex(), hash_of(rows[5]).hex())


def test_an_event_inserted_with_a_forged_link_is_named(chained: Chained) -> None:
    with psycopg.connect(chained.url, autocommit=True) as conn:  # a gap, as a failed insert leaves
        conn.execute("SELECT nextval(pg_get_serial_sequence(%s, 'notification_id'))", (TABLE,))
    chained.bus.execute_sync(enroll(1))
    rows = chained.rows()
    before, after = rows[-2], rows[-1]
    forged = before.position + 1
    assert after.position == forged + 1
    originator, state = uuid.uuid4(), b'{"forged": true}'
    hashed = link(hash_of(before), forged, originator, 1, "care.ClientEnrolled", state)

    chained.tamper(
        (
            f"INSERT INTO {TABLE} (originator_id, originator_version, topic, state, "
            "notification_id, prev_hash, hash) "
            "VALUES (%s, 1, 'care.ClientEnrolled', %s, %s, %s, %s)",
            (originator, state, forged, before.hash, hashed),
        )
    )
    broken = chained.verify().broken

    assert broken is not None
    assert (broken.position, broken.verdict) == (after.position, Verdict.INSERTED)
    assert broken.related == before.position
    assert str(forged) in broken.message or f"after {before.position}" in broken.message


def test_an_event_forged_with_an_earlier_link_is_named_not_the_events_before_it(
    chained: Chained,
) -> None:
    with psycopg.connect(chained.url, autocommit=True) as conn:  # a gap, as a failed insert leaves
        conn.execute("SELECT nextval(pg_get_serial_sequence(%s, 'notification_id'))", (TABLE,))
    chained.bus.execute_sync(enroll(1))
    rows = chained.rows()
    named, forged = rows[2], rows[-2].position + 1

    chained.tamper(
        (
            f"INSERT INTO {TABLE} (originator_id, originator_version, topic, state, "
            "notification_id, prev_hash, hash) "
            "VALUES (gen_random_uuid(), 1, 'care.ClientEnrolled', '{}'::bytea, %s, %s, %s)",
            (forged, named.hash, bytes(32)),
        )
    )
    broken = chained.verify().broken

    # Its link vouches for nothing (it does not hash as written): the genuine events between
    # the one it names and it, each following the one before, were not put there.
    assert broken is not None
    assert (broken.position, broken.verdict) == (forged, Verdict.INSERTED)
    assert broken.related == named.position
    assert "does not hash as written" in broken.message
    assert f"events after {named.position}" not in broken.message


def test_an_event_whose_link_names_an_earlier_event_was_altered(chained: Chained) -> None:
    rows = chained.rows()
    target = rows[6]

    chained.tamper(
        (
            f"UPDATE {TABLE} SET prev_hash = %s WHERE notification_id = %s",
            (rows[3].hash, target.position),
        )
    )
    broken = chained.verify().broken

    assert broken is not None
    assert (broken.position, broken.verdict) == (target.position, Verdict.ALTERED)
    assert broken.related == rows[5].position
    assert "link to the event before it was changed" in broken.message


def test_an_event_inserted_without_a_hash_is_named(chained: Chained) -> None:
    head = chained.rows()[-1].position

    chained.tamper(
        (
            f"INSERT INTO {TABLE} (originator_id, originator_version, topic, state) "
            "VALUES (gen_random_uuid(), 1, 'care.ClientEnrolled', '{}'::bytea)",
            (),
        )
    )
    broken = chained.verify().broken

    assert broken is not None
    assert broken.verdict is Verdict.INSERTED
    assert broken.position > head
    assert "no hash" in broken.message


def test_two_events_swapped_are_named_reordered(chained: Chained) -> None:
    rows = chained.rows()
    first, second = rows[3].position, rows[6].position

    chained.tamper(
        (f"UPDATE {TABLE} SET notification_id = -1 WHERE notification_id = %s", (first,)),
        (f"UPDATE {TABLE} SET notification_id = %s WHERE notification_id = %s", (first, second)),
        (f"UPDATE {TABLE} SET notification_id = %s WHERE notification_id = -1", (second,)),
    )
    broken = chained.verify().broken

    assert broken is not None
    assert (broken.position, broken.verdict) == (first, Verdict.REORDERED)
    assert (broken.aggregate_id, broken.version) == (rows[6].originator_id, rows[6].version)


def anchor_of(row: Row) -> Anchor:
    return Anchor(row.position, hash_of(row), "2026-11-27T09:00:00+00:00")


def test_a_whole_chain_rewrite_is_caught_only_by_the_anchors(chained: Chained) -> None:
    rows = chained.rows()
    anchors = [anchor_of(rows[2]), anchor_of(rows[7])]
    assert chained.verify(anchors).anchors_checked == 2
    start = rows[5].position

    # Change an event and recompute every hash from it on: the chain holds together again.
    chained.tamper(
        (f"UPDATE {TABLE} SET state = state || 'x'::bytea WHERE notification_id = %s", (start,)),
        (REWRITE_FROM.replace("%(start)s", str(start)), ()),
    )

    assert chained.verify().intact
    report = chained.verify(anchors)
    assert report.broken is not None
    assert (report.broken.position, report.broken.verdict) == (rows[7].position, Verdict.REWRITTEN)
    assert report.broken.expected == hash_of(rows[7]).hex()
    assert report.anchors_checked == 1
    # Where the rewrite began: after the last anchor that still holds, not before it.
    assert f"rewritten after event {rows[2].position} " in report.broken.message


def test_removing_the_newest_events_is_caught_by_an_anchor_past_the_end(chained: Chained) -> None:
    rows = chained.rows()
    anchors = [anchor_of(rows[-1])]

    chained.tamper((f"DELETE FROM {TABLE} WHERE notification_id >= %s", (rows[-3].position,)))

    assert chained.verify().intact  # a shorter chain is a valid chain
    broken = chained.verify(anchors).broken
    assert broken is not None
    assert (broken.position, broken.verdict) == (rows[-1].position, Verdict.TRUNCATED)


LIBRARY_TABLE = f"""CREATE TABLE {TABLE} (originator_id uuid NOT NULL,
    originator_version bigint NOT NULL, topic text, state bytea, notification_id bigserial,
    PRIMARY KEY (originator_id, originator_version))"""


def test_events_stored_before_the_chain_are_chained_once_when_it_is_added(
    servers: Servers,
) -> None:
    with fresh_database(servers.database_url) as url, psycopg.connect(url) as conn:
        conn.execute(LIBRARY_TABLE)  # the table as the library made it before the chain
        conn.execute(
            f"INSERT INTO {TABLE} (originator_id, originator_version, topic, state) "
            "SELECT gen_random_uuid(), 1, 'care.ClientEnrolled', convert_to('{}', 'UTF8') "
            "FROM generate_series(1, 4)"
        )
        conn.commit()

        event_chain.install(conn)
        event_chain.install(conn)  # a second start changes nothing
        stored = conn.execute(f"SELECT count(*), count(hash) FROM {TABLE}").fetchone()
        report = verify(conn)

    assert stored == (4, 4)
    assert report.intact
    assert report.checked == 4


# --- the CLI ------------------------------------------------------------------------------


def audit_verify(url: str, cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "audit", "verify", *extra],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_cli_exits_zero_on_an_intact_store_and_one_on_a_tampered_one(
    chained: Chained, tmp_path: Path
) -> None:
    rows = chained.rows()

    intact = audit_verify(chained.url, tmp_path)
    assert intact.returncode == 0, intact.stderr
    assert "event chain intact" in intact.stdout
    assert "events/s" in intact.stdout
    assert f"head: position {rows[-1].position}" in intact.stdout
    # a progress bar rewritten in place ("\r", read back as a newline in text mode), then ended
    assert intact.stderr.strip().startswith("verifying the event chain:")
    assert "100%" in intact.stderr
    assert "10/10" in intact.stderr
    assert intact.stderr.endswith(" events/s]\n")

    chained.tamper(
        (
            f"UPDATE {TABLE} SET state = state || 'x'::bytea WHERE notification_id = %s",
            (rows[3].position,),
        )
    )
    tampered = audit_verify(chained.url, tmp_path, "--json")

    assert tampered.returncode == 1, tampered.stderr
    report = json.loads(tampered.stdout)
    assert report["intact"] is False
    assert report["broken"]["position"] == rows[3].position
    assert report["broken"]["verdict"] == "altered"
    assert report["broken"]["aggregate_id"] == str(rows[3].originator_id)


def test_the_cli_checks_an_anchors_file(chained: Chained, tmp_path: Path) -> None:
    rows = chained.rows()
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(json.dumps(anchor_of(rows[4]).as_json()) + "\n")

    assert audit_verify(chained.url, tmp_path, "--anchors", str(anchors)).returncode == 0
    chained.tamper(
        (
            f"UPDATE {TABLE} SET state = state || 'x'::bytea WHERE notification_id = %s",
            (rows[2].position,),
        ),
        (REWRITE_FROM.replace("%(start)s", str(rows[2].position)), ()),
    )
    assert audit_verify(chained.url, tmp_path).returncode == 0
    caught = audit_verify(chained.url, tmp_path, "--anchors", str(anchors))
    assert caught.returncode == 1
    assert "rewritten" in caught.stdout

    anchors.write_text("not json\n")
    assert audit_verify(chained.url, tmp_path, "--anchors", str(anchors)).returncode == 2


# --- anchors from a running platform ------------------------------------------------------


async def test_the_platform_chains_its_events_and_anchors_the_head(
    platform: Platform, tmp_path: Path
) -> None:
    settings = platform.settings.model_copy(update={"chain_anchor_file": tmp_path / "a.jsonl"})
    anchoring = Anchoring(platform.pool, platform.broker, settings, platform.liveness)
    outcome = await platform.bus.execute(enroll(3))
    async with platform.pool.connection() as conn:
        await access_log.ensure_table(conn)  # as the API makes it

    anchored = await anchoring.anchor()
    again = await anchoring.anchor()

    assert anchored is not None
    assert anchored.position == outcome.position
    assert anchored.access_log_from is not None  # where the access log's chain begins
    assert again is None  # the head has not moved
    assert read_anchors(tmp_path / "a.jsonl") == [anchored]
    js = platform.broker.connection.jetstream()
    published = await js.get_last_msg(anchor_stream(settings), f"anchors.{settings.subject_root}.>")
    assert published.data is not None
    assert json.loads(published.data) == anchored.as_json()
    with psycopg.connect(platform.database_url, autocommit=True) as conn:
        report = verify(conn, anchors=[anchored])
    assert report.intact
    assert report.anchors_checked == 1


def test_the_cli_says_when_there_is_no_chained_store(servers: Servers, tmp_path: Path) -> None:
    with fresh_database(servers.database_url) as url:
        found = audit_verify(url, tmp_path)

    assert found.returncode == 2
    assert "no chained event store" in found.stderr
