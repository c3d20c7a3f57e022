"""The library's recorder, its composite type created without an error where it exists.

PostgreSQL has no ``CREATE TYPE ... IF NOT EXISTS``: the library runs the statement at each
start and ignores the error it meets from the second start on, which the server logged all
the same (``ERROR: type "stored_event_uuid" already exists``, with the statement), an error
in every start's log that is none. Here the statement runs in a block that takes that one
error itself, which the server does not log; the type is created as before where it is not.
"""

from __future__ import annotations

from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.sql import SQL, Composed

CREATE_TYPE = "CREATE TYPE"


class StoreTypesRecorder(PostgresApplicationRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.sql_create_statements = [
            _if_absent(s) if s.as_string().startswith(CREATE_TYPE) else s
            for s in self.sql_create_statements
        ]


def _if_absent(statement: Composed) -> Composed:
    """``statement`` (a CREATE TYPE) in a block that ends quietly where the type exists."""
    return SQL("DO $$ BEGIN {}; EXCEPTION WHEN duplicate_object THEN NULL; END $$").format(
        statement
    )
