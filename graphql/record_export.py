"""Exports of the record for auditors and program admins: a client's, or a program's for a
period of recording time, as JSON Lines of events or a FHIR R4 Bundle, read from the event
store (``projections/audit``), each within the reader's grant.

Each client exported is a read of their record and is access-logged (one entry per client,
refused ones too). The reads already logged go into a FHIR export as AuditEvents only for
auditors, who alone may read the access log.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from itertools import chain
from typing import Annotated, Any, NoReturn
from uuid import UUID

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from carecoord.events import Actor, Role
from carecoord.graphql import periods
from carecoord.graphql.audit import ClientRecordVerification
from carecoord.graphql.context import RequestContext
from carecoord.graphql.log_pages import After, Key, LogOrder, not_a_cursor, paged
from carecoord.graphql.page_info import PageInfo
from carecoord.projections.audit import settling
from carecoord.projections.audit.export import (
    ClientRecord,
    Format,
    Period,
    as_fhir,
    as_jsonl,
)
from carecoord.projections.audit.history import client_pages, program_clients
from carecoord.projections.audit.reads import reads_of
from carecoord.services.infrastructure.chain_verification import verify_client
from carecoord.services.infrastructure.store import EventStore
from carecoord.services.kernel.clinical_time import IN_FUTURE
from carecoord.services.kernel.errors import Altered, InvalidInput, NotFound, Unavailable
from carecoord.services.kernel.policy import Grant, Listing
from carecoord.services.kernel.visible_names import site_named

strawberry.enum(Format, name="ExportFormat", description="JSON Lines of events, or FHIR R4.")


@strawberry.type(description="An export of the record (docs/access.md, 'Exporting the record').")
class RecordExport:
    format: Format
    clients: int = strawberry.field(
        description="Clients exported (each access-logged): a program's, those of this page."
    )
    events: int = strawberry.field(description="Events exported (in the period).")
    json_lines: str | None = strawberry.field(
        description="JSONL: one event a line, its store position first, then the body as the"
        " broker carries it; in log order."
    )
    bundle: JSON | None = strawberry.field(description="FHIR: an R4 Bundle of type collection.")
    records: list[ClientRecordVerification] = strawberry.field(
        description="Each exported client's events checked against the event store's hash"
        " chain, as verifyClientRecord checks them: the lines carry no link of the chain, so"
        " an export of a record not intact (an event altered, deleted or inserted) cannot be"
        " told from a true one once it is out."
    )
    page_info: PageInfo | None = strawberry.field(
        default=None,
        description="A program's export: where its next page starts (null for a client's).",
    )


MAX_CLIENTS = 100
"""The most clients one export of a program answers: each is their whole history, read from
the store and held in memory, and a program of years holds thousands."""
CLIENT_ORDER = LogOrder("exportProgramRecord", ("client_id",), (UUID,))
"""A program's clients in the order they were enrolled, which an enrolment only adds to."""
Clients = Annotated[
    int | None,
    strawberry.argument(
        description=f"A page of at most this many clients (1 to {MAX_CLIENTS}), the next after"
        f" pageInfo.endCursor; without it the program whole, refused past {MAX_CLIENTS} clients."
    ),
]

MAX_ENTRIES = 5000
"""The most events (and, in an auditor's FHIR export, logged reads) one export answers: a
client's years of daily doses and check-ins, and every read of their record, are more than
one response should hold."""


def too_many(operation: str) -> InvalidInput:
    """The refusal of an export past ``MAX_ENTRIES``, naming the period's end, which a
    shorter period moves; a program's may take fewer clients too."""
    fewer = " or fewer clients a page (first)" if operation == "exportProgramRecord" else ""
    return InvalidInput(
        "recordedTo",
        "rows-at-most",
        f"the export holds more than {MAX_ENTRIES} events and reads, the most one answers:"
        f" export it as shorter periods (recordedFrom, recordedTo){fewer}, each from where the"
        " last ended",
    )


RecordedAt = Annotated[
    datetime | None,
    strawberry.argument(description="A recording time, with its UTC offset."),
]


def period(recorded_from: datetime | None, recorded_to: datetime | None) -> Period:
    for name, value in (("recordedFrom", recorded_from), ("recordedTo", recorded_to)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(name, "time-offset", f"{name} needs its UTC offset (e.g. Z)")
    within = periods.in_order(("recordedFrom", "recordedTo"), recorded_from, recorded_to)
    if within.to_come(datetime.now(UTC)):
        raise InvalidInput(
            "recordedTo",
            IN_FUTURE,
            f"recordedTo {recorded_to} is to come: the period is not over, and what is recorded"
            " in it from now on would be in neither this export nor the next, from its end;"
            " export a period once it has ended, or leave recordedTo out for all until now",
        )
    if within.starts_to_come(datetime.now(UTC)):
        raise InvalidInput(
            "recordedFrom",
            IN_FUTURE,
            f"recordedFrom {recorded_from} is to come: nothing recorded is in the period yet;"
            " export a period once it has begun and ended, or leave recordedFrom out",
        )
    retry = settling.until(within, datetime.now(UTC))
    if retry is not None:
        raise Unavailable(
            "recordedTo",
            "period-settling",
            f"recordedTo {recorded_to} ended less than {settling.SETTLE.seconds} s ago: an event"
            " recorded just before it may still be committing, and would be in neither this"
            f" export nor the next, from its end; export the period from {retry.isoformat()} on",
            {"retryAt": retry.isoformat()},
        )
    return within


async def settle(ctx: RequestContext, within: Period) -> None:
    """Wait until every transaction storing events as the export is asked for has ended:
    one holding events stamped before the period's end, stored after the export read, would
    be in neither this export nor the next (``EventStore.writers_done``), on the API's bound
    pool. A period left open has no end to settle."""
    if within.end is not None:
        async with ctx.platform.primary_reads.connection() as conn:
            await ctx.platform.store.writers_done_on(conn)


def recorded(
    store: EventStore,
    client_id: UUID,
    grant: Grant,
    reader: Actor,
    within: Period,
    fhir: bool,
    most: int,
) -> ClientRecord | None:
    """The client's record as ``grant`` shows it, read from the store a page of ``most`` + 1
    events at a time; None once more than ``most`` are in the period, the rest unread: a
    client's years are never held in memory to be refused. A Bundle keeps the events
    before the period too, folded into the resources it changed."""
    pages = client_pages(store, client_id, most + 1)
    first = next(pages, None)
    if first is None:  # a program's clients are its enrolments: only a named id can be
        raise NotFound("clientId", "unknown-client", f"no event of client {client_id} is stored")
    return ClientRecord.read(
        client_id, chain([first], pages), grant, reader, within, most=most, earlier=fhir
    )


async def refused(
    ctx: RequestContext,
    grants: dict[UUID, Grant],
    operation: str,
    refusal: Altered | None = None,
) -> NoReturn:
    """Refuse an export, past ``MAX_ENTRIES`` unless ``refusal`` says why else (an event or a
    logged read altered into one that does not decode), each client logged as read
    returning none."""
    await asyncio.gather(
        *(
            ctx.gate.record_read(c, grant, operation=operation, kinds=(), count=0)
            for c, grant in grants.items()
        )
    )
    raise refusal or too_many(operation)


async def exported(
    ctx: RequestContext, grants: dict[UUID, Grant], operation: str, format: Format, within: Period
) -> RecordExport:
    """The export of these clients, each access-logged once it is made."""
    reader, fhir = ctx.reader(), format is Format.FHIR
    left = MAX_ENTRIES
    records: list[ClientRecord] = []
    try:
        for client_id, grant in grants.items():
            record = await asyncio.to_thread(
                recorded, ctx.platform.store, client_id, grant, reader, within, fhir, left
            )
            if record is None:
                return await refused(ctx, grants, operation)
            records.append(record)
            left -= len(record.within(within))
        reads = (
            await reads_of(ctx.platform.pool, grants, within, most=left)
            if fhir and reader.role is Role.AUDITOR
            else []
        )
    except Altered as altered:
        return await refused(ctx, grants, operation, altered)
    if len(reads) > left:
        return await refused(ctx, grants, operation)
    count = sum(len(r.within(within)) for r in records)
    async with ctx.platform.pool.connection() as conn:
        checked = [
            ClientRecordVerification.of(r.client_id, await verify_client(conn, r.client_id))
            for r in records
        ]
    lines: str | None = None
    bundle: Any = None
    if not fhir:
        lines = as_jsonl(records, within)
    else:
        zone = ctx.platform.settings.program_time_zone
        bundle = as_fhir(records, reads, at=datetime.now(UTC), period=within, zone=zone)
    await asyncio.gather(
        *(
            ctx.gate.record_read(
                r.client_id,
                grants[r.client_id],
                operation=operation,
                kinds=r.kinds(within),
                count=len(r.within(within)),
            )
            for r in records
        )
    )
    return RecordExport(
        format=format,
        clients=len(records),
        events=count,
        json_lines=lines,
        bundle=bundle,
        records=checked,
    )


@strawberry.type
class RecordExportQuery:
    @strawberry.field(
        description="A client's record as JSON Lines or a FHIR R4 Bundle, within your grant"
        " (auditors, program admins; access-logged): the events recorded in the period"
        " (recordedFrom, before recordedTo; whole without them), or the resources they made"
        f" or changed as they stood at its end (FHIR), at most {MAX_ENTRIES} events and"
        " reads, refused past that."
    )
    async def export_client_record(
        self,
        info: Info[RequestContext, None],
        client_id: UUID,
        format: Format = Format.JSONL,
        recorded_from: RecordedAt = None,
        recorded_to: RecordedAt = None,
    ) -> RecordExport:
        ctx = info.context
        operation = "exportClientRecord"
        within = period(recorded_from, recorded_to)
        await ctx.gate.require_about(Listing.RECORD_EXPORT, client_id, operation)
        grant = await ctx.gate.readable(client_id, operation=operation)
        await settle(ctx, within)
        return await exported(ctx, {client_id: grant}, operation, format, within)

    @strawberry.field(
        description="Every client of a program: the events recorded in the period (JSON Lines),"
        " or the resources they made or changed as they stood at its end (FHIR). Auditors,"
        " and the program's admins; each client access-logged. In the order enrolled, the"
        f" program whole (at most {MAX_CLIENTS} clients) or a page of clients at a time with"
        " first and after."
    )
    async def export_program_record(
        self,
        info: Info[RequestContext, None],
        program: str,
        recorded_from: RecordedAt = None,
        recorded_to: RecordedAt = None,
        format: Format = Format.JSONL,
        first: Clients = None,
        after: After = None,
    ) -> RecordExport:
        ctx = info.context
        operation = "exportProgramRecord"
        within = period(recorded_from, recorded_to)
        ctx.gate.require(Listing.RECORD_EXPORT)
        program = program_named(program)
        ctx.gate.manages(program)
        await settle(ctx, within)
        clients = await asyncio.to_thread(program_clients, ctx.platform.store, program)

        async def enrolled_after(place: Key | None, limit: int) -> list[dict[str, UUID]]:
            start = 0 if place is None else after_client(clients, place[0])
            return [{"client_id": c} for c in clients[start : start + limit]]

        page, page_info = await paged(
            CLIENT_ORDER, first, after, enrolled_after, most=MAX_CLIENTS, unit="clients"
        )
        if not clients:  # a name mistyped, or written in other letters' case
            await ctx.gate.unmistakable_program(program)
            raise NotFound(
                "program",
                "unknown-program",
                f"no client is enrolled in program {program!r}: an export of it would read as"
                " a program with none",
            )
        grants = await ctx.gate.readable_each([r["client_id"] for r in page], operation=operation)
        export = await exported(ctx, grants, operation, format, within)
        export.page_info = page_info
        return export


def program_named(program: str) -> str:
    """``program`` as an enrolment records it (``site_named``: trimmed, one way of writing
    it), or a refusal: "Demo OTP " or a blank name read no client of the program, an export
    whose auditor took it for a program with none."""
    name = site_named("program", program)
    if not name:
        raise InvalidInput("program", "program-name", "name the program its clients are in")
    return name


def after_client(clients: list[UUID], client_id: UUID) -> int:
    """Where the clients after ``client_id`` start; a cursor naming none of the program's is
    none this export made."""
    try:
        return clients.index(client_id) + 1
    except ValueError:
        raise not_a_cursor() from None
