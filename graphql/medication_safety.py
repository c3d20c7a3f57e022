"""The medication safety log through the API: refused hard stops and acknowledged overrides.

A client's entries are read like the rest of their medication record (the access policy,
one access-log entry per read); the program-wide log, for a safety review or an
inspector, is for the roles that may export (``services/medication/exports.py``) and
names clients by id only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import strawberry

from carecoord.events import Kind
from carecoord.events.medication import Severity
from carecoord.graphql.context import RequestContext
from carecoord.projections import medication_safety
from carecoord.services.kernel.errors import Forbidden
from carecoord.services.kernel.policy import Listing
from carecoord.services.medication.exports import to_csv

FIELDS = tuple(c for c in medication_safety.COLUMNS if c != "occurred_at")


@strawberry.type(description="A refused hard stop or an acknowledged override, as recorded.")
class SafetyEvent:
    kind: str = strawberry.field(description="hard-stop-refused or override.")
    ref_id: UUID = strawberry.field(description="The refusal's or the override's id.")
    client_id: UUID
    rule_id: str
    rule_version: str
    severity: Severity
    action: str = strawberry.field(description="The step attempted: prescribe, change_dose...")
    medication: str
    dose: Decimal | None
    unit: str
    start: date | None
    order_id: UUID | None = strawberry.field(
        description="The order written (an override), or the order a refused change replaced."
    )
    detail: str = strawberry.field(description="The refusal's message, or the override reason.")
    exposure: str = strawberry.field(description="The exposure the rule counted, if any.")
    occurred_at: datetime
    actor_id: str
    actor_role: str


@strawberry.type(description="The medication safety log for a period, as rows and as CSV.")
class SafetyLog:
    rows: list[SafetyEvent]
    csv: str


def event_of(row: Mapping[str, Any]) -> SafetyEvent:
    return SafetyEvent(**{f: row[f] for f in FIELDS}, occurred_at=row["occurred_at"])


def cells(row: Mapping[str, Any], columns: Sequence[str]) -> list[Any]:
    """A row's values for a CSV line."""
    return [row[c] for c in columns]


async def client_events(
    ctx: RequestContext, client_id: UUID, at_least: int | None
) -> list[SafetyEvent]:
    grant = await ctx.gate.readable(client_id, operation="clientSafetyEvents", at_least=at_least)
    if not grant.shows(Kind.MEDICATION, authored_by_reader=False):
        refusal = Forbidden("clientId", "kind-may-read", "your access does not include medication")
        raise await ctx.gate.refused_read(client_id, "clientSafetyEvents", refusal)
    await ctx.caught_up(medication_safety.NAME, at_least)
    found = await medication_safety.of_client(ctx.platform.reads, client_id)
    await ctx.gate.record_read(
        client_id,
        grant,
        operation="clientSafetyEvents",
        kinds=[Kind.MEDICATION],
        count=len(found),
    )
    return [event_of(r) for r in found]


async def program_log(
    ctx: RequestContext, from_day: date, to_day: date, at_least: int | None
) -> SafetyLog:
    ctx.gate.require(Listing.SAFETY_LOG)
    await ctx.caught_up(medication_safety.NAME, at_least)
    zone = str(ctx.platform.medication.zone)
    found = await medication_safety.between_days(ctx.platform.reads, zone, from_day, to_day)
    columns = ("occurred_at", *FIELDS)
    return SafetyLog(
        rows=[event_of(r) for r in found],
        csv=to_csv(columns, (cells(r, columns) for r in found)),
    )
