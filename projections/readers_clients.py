"""The clients a program-wide listing's reader may be shown, as a condition of its query.

A listing (the DEA dispensing log, the lot ledger, the medication safety log) is read a
page at a time, and a page's cursor, its ``hasNextPage`` and its size are made from the
rows the query answers: rows the reader may not be shown, read and dropped after, made them
(a cursor holding the day and place of another client's dose, a page short by the rows it
hid). So the query keeps to the reader's clients itself, and the API's grant decision that
follows only confirms them (``graphql/listed.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from psycopg import sql

from carecoord.projections import careteam, timeline


@dataclass(frozen=True, slots=True)
class ReadersClients:
    """Those clients whose care team ``member`` is on now in ``role`` (None: any client),
    enrolled in ``program`` (None: any program), and not ``left_out`` (those the grant
    decision refused though the views listed them, as when a removal had not reached them)."""

    member: str | None = None
    role: str | None = None
    program: str | None = None
    left_out: frozenset[UUID] = field(default_factory=frozenset)

    def where(self) -> tuple[sql.Composable, list[Any]]:
        """The WHERE condition on a row's ``client_id`` that keeps these clients' rows, and
        its parameters."""
        condition = sql.SQL(
            "(%s::text IS NULL OR client_id IN (SELECT client_id FROM {care_team}"
            " WHERE member_id = %s AND role = %s AND started_at <= now()"
            " AND (ended_at IS NULL OR ended_at > now())))"
            " AND (%s::text IS NULL OR client_id IN (SELECT client_id FROM {timeline}"
            " WHERE type = 'care.ClientEnrolled' AND facts->>'program' = %s))"
            " AND NOT client_id = ANY(%s::uuid[])"
        ).format(care_team=sql.Identifier(careteam.NAME), timeline=sql.Identifier(timeline.NAME))
        params = [self.member, self.member, self.role, self.program, self.program]
        return condition, [*params, sorted(self.left_out)]
