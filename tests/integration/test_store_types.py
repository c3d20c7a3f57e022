"""The store's composite type, created at every start, is created without an error where it
exists: the library ran a bare CREATE TYPE and ignored the error, which PostgreSQL logged at
each start (``ERROR: type "stored_event_uuid" already exists``)."""

from __future__ import annotations

import psycopg

from carecoord.services.platform import Platform


def test_creating_the_store_types_again_meets_no_error(platform: Platform) -> None:
    recorder = platform.store.recorder
    types = [s for s in recorder.sql_create_statements if "CREATE TYPE" in s.as_string()]  # type: ignore[attr-defined]
    assert types, "the store creates its composite type"
    with psycopg.connect(platform.database_url, autocommit=True) as conn:
        for statement in types:
            conn.execute(statement)  # raised DuplicateObject, the error the server logged
        found = conn.execute(
            "SELECT count(*) FROM pg_type WHERE typname = 'stored_event_uuid'"
        ).fetchone()
    assert found == (1,)
