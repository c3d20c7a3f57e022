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
