"""Stored entries a follower cannot decode, written past the command bus as a later version
or an older, laxer one would have stored them."""

from __future__ import annotations

import json
import uuid

import psycopg
from psycopg import sql

from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.platform import Platform

LATER_TYPE = "care.ClientTransferred"
SECRET = "Robin Q. Sample"

REWRITE_FROM = f"""
DO $$
DECLARE r record; prev bytea; next_hash bytea;
BEGIN
  SELECT hash INTO prev FROM {TABLE} WHERE notification_id < %(start)s
    ORDER BY notification_id DESC LIMIT 1;
  FOR r IN SELECT * FROM {TABLE} WHERE notification_id >= %(start)s ORDER BY notification_id LOOP
    next_hash := {TABLE}_link(prev, r.notification_id, r.originator_id, r.originator_version,
      r.topic, r.state);
    UPDATE {TABLE} SET prev_hash = prev, hash = next_hash
      WHERE notification_id = r.notification_id;
    prev := next_hash;
  END LOOP;
END $$"""
"""Every hash from ``%(start)s`` on recomputed as the chain's trigger makes them: a chain
rewritten whole, or a store as a release that wrote a changed event there would hold it."""


def _insert(platform: Platform, topic: str, body: bytes) -> int:
    insert = sql.SQL(
        "INSERT INTO {} (originator_id, originator_version, topic, state)"
        " VALUES (%s, 1, %s, %s) RETURNING notification_id"
    ).format(sql.Identifier(TABLE))
    with psycopg.connect(platform.database_url, autocommit=True) as conn:
        seal = platform.store.catalog_mapper.seal
        found = conn.execute(insert, (uuid.uuid4(), topic, seal(body))).fetchone()
    assert found is not None
    return int(found[0])


def as_a_later_release_stored(
    platform: Platform, position: int, changes: dict[str, object]
) -> None:
    """The event at ``position`` changed in place as a later release would have written it,
    the chain recomputed from it so that it holds (a change alone breaks it)."""
    with psycopg.connect(platform.database_url, autocommit=True) as conn, conn.transaction():
        found = conn.execute(
            sql.SQL("SELECT state FROM {} WHERE notification_id = %s").format(
                sql.Identifier(TABLE)
            ),
            (position,),
        ).fetchone()
        assert found is not None
        mapper = platform.store.catalog_mapper
        body = json.loads(mapper.unseal(bytes(found[0])))
        body.update(changes)
        conn.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL")
        conn.execute(
            sql.SQL("UPDATE {} SET state = %s WHERE notification_id = %s").format(
                sql.Identifier(TABLE)
            ),
            (mapper.seal(json.dumps(body).encode()), position),
        )
        conn.execute(REWRITE_FROM.replace("%(start)s", str(position)))
        conn.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER ALL")


def record_a_later_versions_event(platform: Platform) -> int:
    """An event of a type this catalog lacks (recorded by a later version, read after a
    rollback); its position."""
    body = b'{"event_id": "%s", "schema_version": 1}' % str(uuid.uuid4()).encode()
    return _insert(platform, LATER_TYPE, body)


def store_a_changed_copy(platform: Platform, changes: dict[str, object], at: int = 0) -> int:
    """The event stored at position ``at`` (the first when 0) again under new ids, with
    ``changes`` to its fields; its position."""
    where = sql.SQL("WHERE notification_id = %s" if at else "WHERE notification_id > %s")
    with psycopg.connect(platform.database_url, autocommit=True) as conn:
        found = conn.execute(
            sql.SQL("SELECT topic, state FROM {} {} ORDER BY notification_id LIMIT 1").format(
                sql.Identifier(TABLE), where
            ),
            (at,),
        ).fetchone()
    assert found is not None
    topic, state = found
    body = json.loads(platform.store.catalog_mapper.unseal(bytes(state)))
    body.update(event_id=str(uuid.uuid4()), **changes)
    return _insert(platform, topic, json.dumps(body).encode())


def store_a_copy_that_fails_its_checks(platform: Platform) -> int:
    """The first stored event again under new ids, its name (``SECRET``) refused by today's
    bounds; its position."""
    return store_a_changed_copy(platform, {"display_name": [SECRET]})
