"""A site's controlled-substance stock as its keepers and inspectors read it: the perpetual
inventory by lot and by medication, the continuing record (21 CFR 1304.22(c)), the counts
and who witnessed them, the discrepancies they raised, and the biennial inventory, as rows
and CSV.

Read by role (``Listing.STOCK``: program admins, auditors, prescribers and nurses): a site's
stock names no client, so no access-log entry is written; a program admin whose token names
a program reads that program's site only.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import strawberry
from strawberry.types import Info

from carecoord.events.medication import Severity
from carecoord.graphql.context import AtLeast, RequestContext
from carecoord.graphql.stock import site_of
from carecoord.projections import stock
from carecoord.services.kernel.policy import Listing
from carecoord.services.medication.exports import to_csv


@strawberry.type(description="One lot's perpetual inventory at a site.")
class StockLot:
    lot: str
    medication: str
    strength: str
    dosage_form: str
    unit: str
    dea_schedule: str
    received: Decimal
    transferred_in: Decimal
    transferred_out: Decimal
    wasted: Decimal
    lost: Decimal = strawberry.field(description="Shortfalls resolved as a loss reported.")
    dispensed: Decimal = strawberry.field(description="Doses given and take-homes handed over.")
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
    lots: list[StockLot]
    by_medication: list[MedicationOnHand]


@strawberry.type(description="A row of the site's continuing record (21 CFR 1304.22(c)).")
class StockEntry:
    position: int
    day: date
    occurred_at: datetime
    kind: str = strawberry.field(
        description="receipt, transfer-in, transfer-out, waste, dose, take-home, count,"
        " discrepancy, resolved or witnessed."
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


@strawberry.type
class StockLedger:
    rows: list[StockEntry]
    csv: str


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
    csv: str


LEDGER_CSV = ("day", "occurred_at", "kind", "lot", "medication", "strength", "dosage_form",
              "dea_schedule", "change", "unit", "counted", "expected", "ref_id", "detail",
              "actor_id", "witness_id")  # fmt: skip
INVENTORY_CSV = ("site", "day", "occasion", "count_id", "lot", "medication", "strength",
                 "dosage_form", "counted", "unit", "counted_by", "witness_id",
                 "witnessed_at")  # fmt: skip


def counts_of(found: list[stock.Counted]) -> list[StockCount]:
    made: dict[UUID, StockCount] = {}
    for r in found:
        count = made.get(r["count_id"])
        if count is None:
            count = made[r["count_id"]] = StockCount(
                count_id=r["count_id"], occasion=r["occasion"], day=r["day"],
                counted_at=r["occurred_at"], counted_by=r["counted_by"],
                witness_id=r["witness_id"], witnessed_at=r["witnessed_at"], lines=[],
            )  # fmt: skip
        count.lines.append(
            StockCountLine(
                lot=r["lot"], medication=r["medication"], strength=r["strength"],
                dosage_form=r["dosage_form"], counted=r["counted"], expected=r["expected"],
                variance=r["counted"] - r["expected"], unit=r["unit"],
            )
        )  # fmt: skip
    return list(made.values())


def entry_of(r: stock.Entry) -> StockEntry:
    return StockEntry(
        position=r["position"], day=r["day"], occurred_at=r["occurred_at"], kind=r["kind"],
        lot=r["lot"], medication=r["medication"], change=r["change"], counted=r["counted"],
        expected=r["expected"], unit=r["unit"], ref_id=r["ref_id"], detail=r["detail"],
        recorded_by=r["actor_id"], witness_id=r["witness_id"],
    )  # fmt: skip


def discrepancy_of(r: stock.Found) -> StockDiscrepancy:
    return StockDiscrepancy(
        alert_id=r["alert_id"], count_id=r["count_id"], lot=r["lot"],
        medication=r["medication"], counted=r["counted"], expected=r["expected"],
        variance=r["counted"] - r["expected"], severity=Severity(r["severity"]), day=r["day"],
        raised_at=r["occurred_at"], counted_by=r["counted_by"], resolution=r["resolution"],
        resolved_by=r["resolved_by"], resolved_at=r["resolved_at"],
    )  # fmt: skip


async def readable(ctx: RequestContext, site: str, at_least: int | None) -> str:
    """The site, once the reader's role may read it and the view has ``at_least``."""
    ctx.gate.require(Listing.STOCK)
    site = site_of(site)
    ctx.gate.manages(site)
    await ctx.caught_up(stock.NAME, at_least)
    return site


@strawberry.type
class StockQuery:
    @strawberry.field(description="A site's perpetual inventory, by lot and by medication.")
    async def stock_on_hand(
        self, info: Info[RequestContext, None], site: str, at_least: AtLeast = None
    ) -> SiteStock:
        ctx = info.context
        site = await readable(ctx, site, at_least)
        lots = [StockLot(**r) for r in await stock.on_hand(ctx.platform.pool, site)]
        totals: dict[tuple[str, str, str, str], Decimal] = {}
        for lot in lots:
            key = (lot.medication, lot.strength, lot.dosage_form, lot.unit)
            totals[key] = totals.get(key, Decimal(0)) + lot.on_hand
        return SiteStock(
            site=site,
            lots=lots,
            by_medication=[
                MedicationOnHand(medication=m, strength=s, dosage_form=f, unit=u, on_hand=n)
                for (m, s, f, u), n in sorted(totals.items())
            ],
        )

    @strawberry.field(
        description="The site's continuing record for a range of its days: every receipt,"
        " dose, take-home, waste, transfer, count and discrepancy, as rows and CSV."
    )
    async def stock_ledger(
        self,
        info: Info[RequestContext, None],
        site: str,
        from_day: date,
        to_day: date,
        lot: str | None = None,
        at_least: AtLeast = None,
    ) -> StockLedger:
        ctx = info.context
        site = await readable(ctx, site, at_least)
        found = await stock.ledger(ctx.platform.pool, site, from_day, to_day, lot)
        return StockLedger(
            rows=[entry_of(r) for r in found],
            csv=to_csv(LEDGER_CSV, ([r[c] for c in LEDGER_CSV] for r in found)),  # type: ignore[literal-required]
        )

    @strawberry.field(description="The counts taken at a site on a range of its days.")
    async def stock_counts(
        self,
        info: Info[RequestContext, None],
        site: str,
        from_day: date,
        to_day: date,
        at_least: AtLeast = None,
    ) -> list[StockCount]:
        ctx = info.context
        site = await readable(ctx, site, at_least)
        return counts_of(await stock.counts(ctx.platform.pool, site, from_day, to_day))

    @strawberry.field(description="The discrepancies counts raised at a site (open ones only).")
    async def stock_discrepancies(
        self,
        info: Info[RequestContext, None],
        site: str,
        open_only: bool = True,
        at_least: AtLeast = None,
    ) -> list[StockDiscrepancy]:
        ctx = info.context
        site = await readable(ctx, site, at_least)
        found = await stock.discrepancies(ctx.platform.pool, site, open_only=open_only)
        return [discrepancy_of(r) for r in found]

    @strawberry.field(
        description="The biennial inventories (21 CFR 1304.11(c)) taken at a site on a range"
        " of its days, as counts and CSV."
    )
    async def biennial_inventory(
        self,
        info: Info[RequestContext, None],
        site: str,
        from_day: date,
        to_day: date,
        at_least: AtLeast = None,
    ) -> BiennialInventory:
        ctx = info.context
        site = await readable(ctx, site, at_least)
        found = await stock.counts(ctx.platform.pool, site, from_day, to_day, biennial=True)
        rows = ([site, *(r[c] for c in INVENTORY_CSV[1:])] for r in found)  # type: ignore[literal-required]
        return BiennialInventory(counts=counts_of(found), csv=to_csv(INVENTORY_CSV, rows))
