"""The records a batch decided on without writing them, checked unchanged when it commits.

A save's version check guards the records a batch writes; a record it only read is not
saved, so nothing guarded it. A dose is checked against the site's stock, a booking
against the care team, a break-glass against the team too: with two API processes, a
waste, or a membership ended, in the other process at the same moment went unseen, and
the dose took the lot below zero, or the clinician no longer on the team was booked. So
the batch names each record it read at the version it read, and its transaction, once it
holds the store's write lock (``LOCK TABLE``: no other batch commits meanwhile), fails
as a conflict if any of them has a later event. The command bus then runs the batch
again on fresh state, as after any conflict (``commands.py``). One statement per batch,
sent in the batch's pipeline, so no extra round trip.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composable, Composed, Identifier, Literal

from carecoord.events.envelope import type_name
from carecoord.events.users import UserSuspended
from carecoord.services.infrastructure import pipelines
from carecoord.services.infrastructure.idempotency import IdempotentRecorder

SAVE_KWARG = "decided_on"
"""The keyword ``EventStore.record`` passes through ``save`` down to the recorder: the
records read and not written, each with the version read."""

CONFLICT = "23505"
"""unique_violation: what a version already taken raises, so the bus treats both alike."""

ACTING_KWARG = "acting"
"""The keyword ``EventStore.record`` passes down to the recorder: the access records of the
users whose events the batch stores (``access_record``), each refused if suspended."""
SUSPENDED = "CC403"
"""What a batch storing an event of a user suspended meanwhile raises: the gate admitted
the request before the suspension, and it is refused all the same (``user-suspended``)."""
SUSPENDED_TOPIC = type_name(UserSuspended)
OWN_BACKENDS_KEPT = 64
"""Server processes remembered as this process's writers; past it they are forgotten, and a
commit on one forgotten is read as another process's would be (one query)."""


class DecisionRecorder(IdempotentRecorder):
    """The recorder that also checks, in the events' transaction, that what the batch
    decided on is as it read it."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(datastore.schema)
        table = SQL("{}.{}").format(schema, Identifier(events_table_name))
        function = SQL("{}.carecoord_unchanged").format(schema)
        self.sql_create_statements.append(
            _refusing(
                function,
                SQL("ids uuid[], versions bigint[]"),
                SQL(
                    "SELECT read.id INTO found FROM unnest(ids, versions) AS read(id, version)"
                    " WHERE EXISTS (SELECT 1 FROM {table} AS e"
                    "  WHERE e.originator_id = read.id AND e.originator_version > read.version)"
                ).format(table=table),
                "record % was written after this batch read it",
                CONFLICT,
            )
        )
        self._check = SQL("SELECT {}(%s::uuid[], %s::bigint[])").format(function)
        admitted = SQL("{}.carecoord_not_suspended").format(schema)
        self.sql_create_statements.append(
            _refusing(
                admitted,
                SQL("ids uuid[], suspended text"),
                SQL(
                    "SELECT record.id INTO found FROM unnest(ids) AS record(id),"
                    " LATERAL (SELECT topic FROM {table} WHERE originator_id = record.id"
                    "  ORDER BY originator_version DESC LIMIT 1) AS last"
                    " WHERE last.topic = suspended"
                ).format(table=table),
                "access record % is suspended",
                SUSPENDED,
            )
        )
        self._admitted = SQL("SELECT {}(%s::uuid[], %s)").format(admitted)
        self.own_backends: set[int] = set()
        """The server processes of the connections this process stored events on: a NOTIFY
        from one of them is a commit of this process's own (``cache_freshness.py``)."""

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """After the library's ``LOCK TABLE`` and the rows (the lock is held to commit);
        on a cursor of its own, since the library fetches the rows' positions from
        ``curs``."""
        super()._insert_stored_events(curs, stored_events, **kwargs)
        if len(self.own_backends) >= OWN_BACKENDS_KEPT:  # pooled connections replaced
            self.own_backends.clear()
        self.own_backends.add(curs.connection.info.backend_pid)
        read = _read(kwargs)
        acting = cast("frozenset[UUID]", kwargs.get(ACTING_KWARG, frozenset()))
        if read or acting:
            with curs.connection.cursor() as check:
                if read:
                    check.execute(self._check, (list(read), list(read.values())), prepare=True)
                if acting:
                    check.execute(self._admitted, (list(acting), SUSPENDED_TOPIC), prepare=True)
            pipelines.send_all(curs.connection)


def _refusing(
    function: Composable, arguments: SQL, finding: Composable, message: str, code: str
) -> Composed:
    """A function raising ``code`` with ``message`` for the first id ``finding`` selects
    ``INTO found``: the store's check of a batch, in its transaction."""
    return SQL(
        "CREATE OR REPLACE FUNCTION {function}({arguments})"
        " RETURNS void LANGUAGE plpgsql AS $$"
        " DECLARE found uuid;"
        " BEGIN"
        "  {finding} LIMIT 1;"
        "  IF found IS NOT NULL THEN"
        "   RAISE EXCEPTION {message}, found USING ERRCODE = {code};"
        "  END IF;"
        " END $$"
    ).format(
        function=function,
        arguments=arguments,
        finding=finding,
        message=Literal(message),
        code=Literal(code),
    )


def suspended_actor(failure: BaseException) -> bool:
    """Whether ``failure`` is a batch refused for an actor suspended before it committed
    (the store's library wraps the driver's error)."""
    cause = failure.__cause__ if failure.__cause__ is not None else failure
    return getattr(cause, "sqlstate", None) == SUSPENDED


def _read(kwargs: Mapping[str, Any]) -> Mapping[UUID, int]:
    return cast("Mapping[UUID, int]", kwargs.get(SAVE_KWARG, {}))
