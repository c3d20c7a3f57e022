"""A site's controlled-substance stock as its keepers and inspectors read it: the perpetual
inventory by lot and by medication, the continuing record (21 CFR 1304.22(c)), the counts
and who witnessed them, the discrepancies they raised, and the biennial inventory, as rows
and CSV.

Read by role (``Listing.STOCK``: program admins, auditors, prescribers and nurses): a site's
stock names no client, so no access-log entry is written; a token that names a program
reads that program's site only, whatever its role.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from carecoord.events import Kind, Role
from carecoord.events.medication import Severity
from carecoord.graphql import (
    log_pages,
    medication_safety,  # noqa: F401  (registers the GraphQL `Severity` enum)
)
from carecoord.graphql.context import RequestContext
from carecoord.graphql.day_ranges import MAX_DAYS, bounded
from carecoord.graphql.declared import AT_LEAST, into, own_arguments, resolved_by, returned
from carecoord.graphql.log_pages import PAGE_CSV, WHOLE_OR_PAGED, After, First, LogOrder, paged
from carecoord.graphql.page_info import PageInfo
from carecoord.graphql.seqs import Seq
from carecoord.graphql.stock import site_of
from carecoord.graphql.whole_ranges import given, whole
from carecoord.projections import stock
from carecoord.services.kernel.policy import Listing, writer_sees
from carecoord.services.medication.exports import to_csv


@strawberry.type(description="One lot's perpetual inventory at a site.")
class StockLot:
    lot: str
    medication: str
    strength: str
    dosage_form: str
    unit: str
    dea_schedule: str
    received: Decimal = strawberry.field(description="Less receipts entered in error.")
    transferred_in: Decimal
    transferred_out: Decimal
    wasted: Decimal = strawberry.field(description="Less waste entered in error.")
    lost: Decimal = strawberry.field(description="Shortfalls resolved as a loss reported.")
    dispensed: Decimal = strawberry.field(
        description="Doses given and take-homes handed over, less those entered in error."
    )
    on_hand: Decimal = strawberry.field(
        description="received + transferredIn - transferredOut - wasted - lost - dispensed."
    )
    last_counted: Decimal | None
    last_counted_at: datetime | None


@strawberry.type(description="What a site holds of one medication and form, over its lots.")
class MedicationOnHand:
    medication: str
    strength: str
    dosage_form: str
    unit: str
    on_hand: Decimal


@strawberry.type
class SiteStock:
    site: str
    lots: list[StockLot] = strawberry.field(description="The lots of this page, by name.")
    by_medication: list[MedicationOnHand] = strawberry.field(
        description="Over every lot of the site, whichever page this is."
    )
    page_info: PageInfo


@strawberry.type(description="A row of the site's continuing record (21 CFR 1304.22(c)).")
class StockEntry:
    position: Seq
    day: date
    occurred_at: datetime
    kind: str = strawberry.field(
        description="receipt, receipt-in-error (a receipt entered in error, its amount taken"
        " back), transfer-in, transfer-out, transfer-out-in-error and transfer-in-in-error"
        " (a transfer entered in error: its amount back at the site that sent it, taken"
        " away at the one it went to), waste, waste-in-error (a waste entered in error,"
        " its amount back), dose, dose-in-error (a dose entered in error, its amount back),"
        " take-home, take-home-in-error (a take-home bottle entered in error, its amount"
        " back), count, discrepancy, resolved or witnessed."
    )
    lot: str
    medication: str
    change: Decimal
    counted: Decimal | None
    expected: Decimal | None
    unit: str
    ref_id: UUID
    detail: str
    recorded_by: str
    witness_id: str
    witnessed_at: datetime | None = strawberry.field(
        description="When the witness the row names (a count, a waste, a mark of entered in"
        " error) confirmed it; null: not yet, or no witness named."
    )
    withheld: list[str] = strawberry.field(
        description="`reason` where `detail` reads without the clinician's reason about a"
        " client's dose (a replacement's, a dose's or take-home's mark of entered in error):"
        " your role reads no client's doses (docs/access.md)."
    )


@strawberry.type
class StockLedger:
    rows: list[StockEntry]
    csv: str = strawberry.field(description=PAGE_CSV)
    page_info: PageInfo


@strawberry.type
class StockCountLine:
    lot: str
    medication: str
    strength: str
    dosage_form: str
    counted: Decimal
    expected: Decimal
    variance: Decimal
    unit: str
    cursor: str = strawberry.field(
        description="This line's place: the next page of counts is after it (the last line"
        " of a page's last count)."
    )


@strawberry.type(description="A count, who took it and who witnessed it.")
class StockCount:
    count_id: UUID
    occasion: str
    day: date
    counted_at: datetime
    counted_by: str
    witness_id: str
    witnessed_at: datetime | None = strawberry.field(description="Null: not yet witnessed.")
    lines: list[StockCountLine]


@strawberry.type(description="A lot a count found off its perpetual inventory.")
class StockDiscrepancy:
    alert_id: UUID
    count_id: UUID
    lot: str
    medication: str
    counted: Decimal
    expected: Decimal
    variance: Decimal
    severity: Severity
    day: date
    raised_at: datetime
    counted_by: str
    resolution: str | None
    resolved_by: str | None
    resolved_at: datetime | None


@strawberry.type
class BiennialInventory:
    counts: list[StockCount]
    csv: str = strawberry.field(description=PAGE_CSV)
    page_info: PageInfo


LEDGER_CSV = ("day", "occurred_at", "kind", "lot", "medication", "strength", "dosage_form",
              "dea_schedule", "change", "unit", "counted", "expected", "ref_id", "detail",
              "actor_id", "witness_id", "witnessed_at")  # fmt: skip
INVENTORY_CSV = ("site", "day", "occasion", "count_id", "lot", "medication", "strength",
                 "dosage_form", "counted", "unit", "counted_by", "witness_id",
                 "witnessed_at")  # fmt: skip


COUNT_ORDER = LogOrder("stockCounts", stock.COUNT_ORDER, log_pages.PLACE)
"""The lots counted, in the order counted: a count's lines may go on in the next page, where
the count is again with the rest of them."""


def counts_of(found: list[stock.Counted]) -> list[StockCount]:
    made: dict[UUID, StockCount] = {}
    for r in found:
        count = made.get(r["count_id"])
        if count is None:
            count = made[r["count_id"]] = into(StockCount, r, counted_at=r["occurred_at"], lines=[])
        variance = r["counted"] - r["expected"]
        line = into(StockCountLine, r, variance=variance, cursor=COUNT_ORDER.cursor(r))
        count.lines.append(line)
    return list(made.values())


async def counted_page(
    ctx: RequestContext,
    site: str,
    from_day: date,
    to_day: date,
    first: int | None,
    after: str | None,
    *,
    biennial: bool = False,
) -> tuple[list[stock.Counted], PageInfo]:
    """The page of lots counted ``first`` and ``after`` ask for (``log_pages.paged``)."""
    bounded(from_day, to_day)
    return await paged(
        COUNT_ORDER,
        first,
        after,
        lambda place, limit: stock.counts(
            ctx.platform.primary_reads,
            site,
            from_day,
            to_day,
            biennial=biennial,
            after=place,
            limit=limit,
        ),
        unit="lots counted",
    )


IN_ERROR = " entered in error: "
"""Where a dose's or take-home's mark of entered in error puts its reason in ``detail``."""
DOSE_REASONS = frozenset({"dose", "dose-in-error", "take-home-in-error"})
"""The rows whose ``detail`` tells a clinician's reason about a client's dose."""


def reasons_shown(r: stock.Witnessed, reader: Role) -> dict[str, Any]:
    """``r`` with ``withheld``, and without the clinician's reason about a client's dose
    for a reader whose role reads no client's doses (a program admin): the ledger names no
    client and is read unlogged, and the same text is withheld from them in clientDosing."""
    detail = r["detail"]
    if r["kind"] not in DOSE_REASONS or not detail or Kind.DOSING in writer_sees(reader):
        return {**r, "withheld": []}
    cut = detail.partition(IN_ERROR)[0] + IN_ERROR.rstrip(": ") if IN_ERROR in detail else ""
    return {**r, "detail": cut, "withheld": ["reason"]}


def entry_of(r: dict[str, Any]) -> StockEntry:
    return into(StockEntry, r, recorded_by=r["actor_id"])


def discrepancy_of(r: stock.Found) -> StockDiscrepancy:
    return into(
        StockDiscrepancy,
        r,
        variance=r["counted"] - r["expected"],
        severity=Severity(r["severity"]),
        raised_at=r["occurred_at"],
    )


async def readable(ctx: RequestContext, site: str, at_least: int | None) -> str:
    """The site, once the reader's role may read it and the view has ``at_least``."""
    ctx.gate.require(Listing.STOCK)
    site = site_of(site)
    ctx.gate.at_site(site)
    await ctx.caught_up(stock.NAME, at_least)
    return site


SITE = inspect.Parameter("site", inspect.Parameter.KEYWORD_ONLY, annotation=str)


def site_query(description: str, read: Callable[..., Awaitable[Any]]) -> Any:
    """The query ``(site, ..., atLeast)`` of a site's stock, answered by ``read(ctx, site,
    ...)`` once the site is ``readable``; read's parameters after those two are the
    query's own arguments, and its return type the query's."""

    async def resolve(
        info: Info[RequestContext, None], site: str, at_least: int | None = None, **own: Any
    ) -> object:
        ctx = info.context
        return await read(ctx, await readable(ctx, site, at_least), **own)

    arguments = [SITE, *own_arguments(read, 2), AT_LEAST]
    return resolved_by(strawberry.field, description, resolve, arguments, returned(read))


BY_MEDICATION = ("medication", "strength", "dosage_form", "unit")
LOT_ORDER = LogOrder("stockOnHand", ("lot",), (str,))
"""A site's lots by name, which no two share."""


async def on_hand(
    ctx: RequestContext, site: str, first: First = None, after: After = None
) -> SiteStock:
    pool = ctx.platform.primary_reads
    found, page_info = await paged(
        LOT_ORDER,
        first,
        after,
        lambda place, limit: stock.on_hand(
            pool, site, after=None if place is None else place[0], limit=limit
        ),
    )
    held = sorted(await stock.held(pool, site), key=itemgetter(*BY_MEDICATION))
    return SiteStock(
        site=site,
        lots=[StockLot(**r) for r in found],
        by_medication=[MedicationOnHand(**r) for r in held],
        page_info=page_info,
    )


LEDGER_ORDER = LogOrder("stockLedger", stock.LEDGER_ORDER, log_pages.PLACE)


async def ledger(
    ctx: RequestContext,
    site: str,
    from_day: date,
    to_day: date,
    lot: str | None = None,
    first: First = None,
    after: After = None,
) -> StockLedger:
    bounded(from_day, to_day)
    found, page_info = await paged(
        LEDGER_ORDER,
        first,
        after,
        lambda place, limit: stock.ledger(
            ctx.platform.primary_reads, site, from_day, to_day, lot, after=place, limit=limit
        ),
    )
    shown = [reasons_shown(r, ctx.reader().role) for r in found]
    return StockLedger(
        rows=[entry_of(r) for r in shown],
        csv=to_csv(LEDGER_CSV, ([r[c] for c in LEDGER_CSV] for r in shown)),
        page_info=page_info,
    )


LinesFirst = Annotated[
    int | None,
    strawberry.argument(
        description=f"A page of at most this many lots counted (1 to {log_pages.MAX_ROWS}), the"
        f" next after its last line's cursor; without it the range whole, refused past"
        f" {log_pages.MAX_ROWS}."
    ),
]
LinesAfter = Annotated[
    str | None,
    strawberry.argument(description="The lots counted after this cursor: a line's cursor."),
]


async def counted(
    ctx: RequestContext,
    site: str,
    from_day: date,
    to_day: date,
    first: LinesFirst = None,
    after: LinesAfter = None,
) -> list[StockCount]:
    found, _ = await counted_page(ctx, site, from_day, to_day, first, after)
    return counts_of(found)


async def discrepancies(
    ctx: RequestContext,
    site: str,
    open_only: bool = True,
    from_day: date | None = None,
    to_day: date | None = None,
) -> list[StockDiscrepancy]:
    given(from_day, to_day)
    found = await whole(
        from_day,
        to_day,
        lambda limit: stock.discrepancies(
            ctx.platform.primary_reads,
            site,
            open_only=open_only,
            from_day=from_day,
            to_day=to_day,
            limit=limit,
        ),
        spanned=not open_only,
    )
    return [discrepancy_of(r) for r in found]


async def biennial(
    ctx: RequestContext,
    site: str,
    from_day: date,
    to_day: date,
    first: First = None,
    after: After = None,
) -> BiennialInventory:
    found, page_info = await counted_page(ctx, site, from_day, to_day, first, after, biennial=True)
    rows = ([site, *(r[c] for c in INVENTORY_CSV[1:])] for r in found)  # type: ignore[literal-required]
    return BiennialInventory(
        counts=counts_of(found), csv=to_csv(INVENTORY_CSV, rows), page_info=page_info
    )


@strawberry.type
class StockQuery:
    stock_on_hand = site_query(
        "A site's perpetual inventory by medication, and by lot: its lots by name, every one"
        f" (at most {log_pages.MAX_ROWS}) or a page at a time with first and after.",
        on_hand,
    )
    stock_ledger = site_query(
        "The site's continuing record for a range of its days, at most 366: every receipt,"
        " dose, take-home, waste, transfer, count and discrepancy, as rows and CSV,"
        f" {WHOLE_OR_PAGED}",
        ledger,
    )
    stock_counts = site_query(
        f"The counts taken at a site on a range of its days, at most {MAX_DAYS}, in the order"
        f" counted: the range whole (at most {log_pages.MAX_ROWS} lots counted) or a page at"
        " a time with first and after (a line's cursor; a page of fewer lines than first is"
        " the last, and a count may go on in the next).",
        counted,
    )
    stock_discrepancies = site_query(
        "The discrepancies counts raised at a site, in the order raised: the open ones, or"
        " with openOnly false every one, on a range of its days (fromDay and toDay; one left"
        " out runs to the first or last raised), whole: at most"
        f" {log_pages.MAX_ROWS} rows, and with openOnly false at most {MAX_DAYS} days, refused"
        " past either.",
        discrepancies,
    )
    biennial_inventory = site_query(
        "The biennial inventories (21 CFR 1304.11(c)) taken at a site on a range of its"
        f" days, at most {MAX_DAYS}, as counts and CSV, in the order counted: the range whole"
        f" (at most {log_pages.MAX_ROWS} lots counted) or a page at a time with first and"
        " after (a count may go on in the next).",
        biennial,
    )
