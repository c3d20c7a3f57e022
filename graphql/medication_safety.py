"""The medication safety log through the API: refused hard stops and acknowledged overrides.

A client's entries are read like the rest of their medication record (the access policy,
one access-log entry per read); the program-wide log, for a safety review or an
inspector, names clients by id only and is read like the DEA dispensing log
(``graphql/listed.py``): auditors get every client's rows, prescribers and nurses their care
team's, and each client returned is access-logged.
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
from carecoord.graphql import log_pages, periods
from carecoord.graphql.context import RequestContext
from carecoord.graphql.day_ranges import bounded
from carecoord.graphql.declared import client_query, into, listing_query
from carecoord.graphql.listed import listed_page
from carecoord.graphql.log_pages import (
    PAGE_CSV,
    WHOLE_OR_PAGED,
    After,
    First,
    LogOrder,
    instant,
)
from carecoord.graphql.page_info import PageInfo
from carecoord.graphql.whole_ranges import at_most_rows
from carecoord.projections import medication_safety
from carecoord.services.kernel.policy import Grant, Listing
from carecoord.services.medication.exports import to_csv

FIELDS = tuple(c for c in medication_safety.COLUMNS if c != "occurred_at")

# Here, where the views' modules that hold it import it from: a type read before the enum was
# registered took it as an enum of its own, and the schema then held two of one name.
strawberry.enum(Severity, description="FHIR DetectedIssue severity.")


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

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> SafetyEvent:
        return into(cls, row)


@strawberry.type(description="The medication safety log for a period, as rows and as CSV.")
class SafetyLog:
    rows: list[SafetyEvent]
    csv: str = strawberry.field(description=PAGE_CSV)
    page_info: PageInfo


def cells(row: Mapping[str, Any], columns: Sequence[str]) -> list[Any]:
    """A row's values for a CSV line."""
    return [row[c] for c in columns]


async def of_client(
    ctx: RequestContext,
    client_id: UUID,
    _: Grant,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
) -> list[medication_safety.Entry]:
    """A client's entries of a period (from ``occurred_from``, before ``occurred_to``), at
    most ``MAX_ROWS``: a prescriber refused again and again, or overriding every dose
    change, makes more over years than one response should hold."""
    found = await medication_safety.of_client(
        ctx.platform.reads, client_id, occurred_from, occurred_to, limit=log_pages.MAX_ROWS + 1
    )
    return at_most_rows(found, ("occurredFrom", "occurredTo"))


client_events = client_query(
    "A client's refused hard stops and acknowledged overrides, in order (occurredFrom, before"
    f" occurredTo), whole: at most {log_pages.MAX_ROWS} rows, refused past that.",
    medication_safety.NAME,
    of_client,
    SafetyEvent.of,
    needs=Kind.MEDICATION,
    checks=periods.occurred,
)
"""The ``clientSafetyEvents`` query: read like the rest of the client's medication record."""


LOG_ORDER = LogOrder("medicationSafetyLog", medication_safety.ORDER, (instant, *log_pages.PLACE))


async def between_days(
    ctx: RequestContext, from_day: date, to_day: date, first: First = None, after: After = None
) -> SafetyLog:
    bounded(from_day, to_day)
    zone = str(ctx.platform.medication.zone)
    found, page_info = await listed_page(
        ctx,
        LOG_ORDER,
        first,
        after,
        lambda clients, place, limit: medication_safety.between_days(
            ctx.platform.reads, zone, from_day, to_day, clients=clients, after=place, limit=limit
        ),
        operation="medicationSafetyLog",
        listing=Listing.SAFETY_LOG,
        kind=Kind.MEDICATION,
    )
    columns = ("occurred_at", *FIELDS)
    return SafetyLog(
        rows=[SafetyEvent.of(r) for r in found],
        csv=to_csv(columns, (cells(r, columns) for r in found)),
        page_info=page_info,
    )


program_log = listing_query(
    "The program's refused hard stops and acknowledged overrides for a range"
    " of the program's days, at most 366 (prescribers, nurses, auditors), as rows and CSV:"
    f" {WHOLE_OR_PAGED}",
    Listing.SAFETY_LOG,
    between_days,
    medication_safety.NAME,
)
"""The ``medicationSafetyLog`` query: a safety review's or an inspector's, by client id."""
