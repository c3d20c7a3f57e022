"""A site's controlled-substance stock through the API: receipts, counts, witnessed waste,
transfers, the witness's confirmation and discrepancies resolved; the perpetual inventory,
the continuing record and the biennial inventory as rows and CSV for an inspector.

A site is a program (the name its clients are enrolled under). Writes are admitted by role
(``AccessGate.stamp_site``), reads by ``Listing.STOCK``; a program admin whose token names
a program keeps that program's site only. A count, a waste or a transfer is decided on the
doses the stock view holds once it has every event stored before the request
(``ledger_now``): the count records that position, and what it expected of each lot.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import strawberry
from strawberry.types import Info

from carecoord.events.medication import Severity
from carecoord.events.stock import CountOccasion, OrderForm, Resolution, WasteReason
from carecoord.graphql.care import Recorded, recorded
from carecoord.graphql.context import AtLeast, RequestContext
from carecoord.projections import stock
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.errors import InvalidInput, Unavailable
from carecoord.services.kernel.policy import Listing
from carecoord.services.medication.exports import to_csv
from carecoord.services.stock import commands
from carecoord.services.stock.counts import Count
from carecoord.services.stock.movements import Receipt, Transfer, Waste, with_offset
from carecoord.services.stock.record import Ledger

strawberry.enum(OrderForm, description="What a receipt was ordered on (21 CFR 1305).")
strawberry.enum(WasteReason, description="Why stock was destroyed or lost in handling.")
strawberry.enum(CountOccasion, description="When a count is taken.")
strawberry.enum(Resolution, name="DiscrepancyResolution", description="What a discrepancy was.")

QUANTITY = "In the medication's dosing unit (mg of substance), as doses are recorded."


@strawberry.input(description="Containers of one lot received into a site's stock.")
class ReceiveStockInput:
    site: str = strawberry.field(description="The program whose stock it is.")
    lot: str
    medication: str
    dosage_form: str
    quantity: Decimal = strawberry.field(description=QUANTITY)
    containers: int
    order_form: OrderForm
    order_form_number: str = strawberry.field(description="The DEA 222 or CSOS order number.")
    supplier: str
    supplier_dea_number: str
    expires_on: date | None = None
    received_at: datetime | None = strawberry.field(
        default=None, description="When it was received (21 CFR 1304.21(d)); now if omitted."
    )


@strawberry.input
class CountLineInput:
    lot: str
    counted: Decimal = strawberry.field(description=QUANTITY)


@strawberry.input(
    description="A physical count, by you, before a witness who confirms it"
    " (witnessStockEntry). An opening or closing count covers every lot on hand."
)
class CountStockInput:
    site: str
    occasion: CountOccasion
    lines: list[CountLineInput]
    witness_id: str = strawberry.field(description="The user who watched the count.")
    biennial: bool = strawberry.field(
        default=False, description="The biennial inventory (21 CFR 1304.11(c))."
    )
    counted_at: datetime | None = None


@strawberry.input(description="Stock wasted, broken or spilled, before a witness.")
class WasteStockInput:
    site: str
    lot: str
    quantity: Decimal = strawberry.field(description=QUANTITY)
    reason: WasteReason
    description: str
    witness_id: str
    occurred_at: datetime | None = None


@strawberry.input(description="Stock sent to another site; both sites' records change.")
class TransferStockInput:
    site: str
    to_site: str
    lot: str
    quantity: Decimal = strawberry.field(description=QUANTITY)
    order_form: OrderForm
    order_form_number: str = strawberry.field(
        default="", description="Required for schedule II: the receiving site's 222 or CSOS."
    )
    occurred_at: datetime | None = None


@strawberry.input(description="Confirm, as the witness it names, a count or a waste.")
class WitnessStockEntryInput:
    site: str
    entry_id: UUID


@strawberry.input
class ResolveStockDiscrepancyInput:
    site: str
    alert_id: UUID
    resolution: Resolution
    note: str


def site_of(given: str) -> str:
    site = given.strip()
    if not site:
        raise InvalidInput("site", "site-name", "name the site (the program)")
    return site


async def ledger_now(ctx: RequestContext, site: str, field: str, at: datetime | None) -> Ledger:
    """The doses drawn from the site's lots by ``at`` (now if None), from a stock view that
    has every event stored before this request; refused (retry) while it catches up."""
    if at is not None:
        with_offset(field, at)
    platform = ctx.platform
    head = await asyncio.to_thread(platform.store.last_position)
    timeout = platform.settings.read_your_writes_timeout
    if not await platform.progress.reach(stock.NAME, head, timeout):
        raise Unavailable(
            "site", "stock-ledger-catching-up", "the stock ledger is catching up; retry"
        )
    moment = at or datetime.now(UTC)
    found = await stock.dispensed(platform.pool, site, through=head, at=moment)
    return Ledger(head, moment, found)


@strawberry.type
class StockMutation:
    @strawberry.mutation(description="Record a receipt of one lot; returns the receipt id.")
    async def receive_stock(
        self, info: Info[RequestContext, None], input: ReceiveStockInput
    ) -> Recorded:
        ctx, site = info.context, site_of(input.site)
        stamp = ctx.gate.stamp_site(Action.RECEIVE_STOCK, site)
        receipt = Receipt(
            input.lot, input.medication, input.dosage_form, input.quantity, input.containers,
            input.order_form, input.order_form_number, input.supplier,
            input.supplier_dea_number, input.expires_on, input.received_at,
        )  # fmt: skip
        return await recorded(
            info, commands.receive(stamp, site=site, receipt=receipt, rules=ctx.platform.medication)
        )

    @strawberry.mutation(
        description="Record a count, reconciled lot by lot against the perpetual inventory;"
        " every difference raises a discrepancy. Returns the count id."
    )
    async def count_stock(
        self, info: Info[RequestContext, None], input: CountStockInput
    ) -> Recorded:
        ctx, site = info.context, site_of(input.site)
        stamp = ctx.gate.stamp_site(Action.COUNT_STOCK, site)
        ledger = await ledger_now(ctx, site, "countedAt", input.counted_at)
        lines = [(line.lot, line.counted) for line in input.lines]
        count = Count(input.occasion, lines, input.witness_id, input.biennial, input.counted_at)
        return await recorded(
            info,
            commands.count(stamp, site=site, count=count, ledger=ledger,
                           rules=ctx.platform.medication),
        )  # fmt: skip

    @strawberry.mutation(description="Record stock wasted before a witness; returns its id.")
    async def waste_stock(
        self, info: Info[RequestContext, None], input: WasteStockInput
    ) -> Recorded:
        ctx, site = info.context, site_of(input.site)
        stamp = ctx.gate.stamp_site(Action.WASTE_STOCK, site)
        ledger = await ledger_now(ctx, site, "occurredAt", input.occurred_at)
        waste = Waste(input.lot, input.quantity, input.reason, input.description,
                      input.witness_id, input.occurred_at)  # fmt: skip
        return await recorded(
            info,
            commands.waste(stamp, site=site, waste=waste, ledger=ledger,
                           rules=ctx.platform.medication),
        )  # fmt: skip

    @strawberry.mutation(description="Send stock to another site; returns the transfer id.")
    async def transfer_stock(
        self, info: Info[RequestContext, None], input: TransferStockInput
    ) -> Recorded:
        ctx, site, to_site = info.context, site_of(input.site), site_of(input.to_site)
        stamp = ctx.gate.stamp_site(Action.TRANSFER_STOCK, site, to_site)
        ledger = await ledger_now(ctx, site, "occurredAt", input.occurred_at)
        transfer = Transfer(input.lot, input.quantity, to_site, input.order_form,
                            input.order_form_number, input.occurred_at)  # fmt: skip
        return await recorded(
            info,
            commands.transfer(stamp, site=site, transfer=transfer, ledger=ledger,
                              rules=ctx.platform.medication),
        )  # fmt: skip

    @strawberry.mutation(description="Confirm a count or waste that names you as its witness.")
    async def witness_stock_entry(
        self, info: Info[RequestContext, None], input: WitnessStockEntryInput
    ) -> Recorded:
        ctx, site = info.context, site_of(input.site)
        stamp = ctx.gate.stamp_site(Action.WITNESS_STOCK_ENTRY, site)
        return await recorded(
            info,
            commands.witness(stamp, site=site, entry_id=input.entry_id,
                             rules=ctx.platform.medication),
        )  # fmt: skip

    @strawberry.mutation(
        description="Close a discrepancy: explained (a recording error) or a loss reported to"
        " the DEA on Form 106 (prescribers and program admins)."
    )
    async def resolve_stock_discrepancy(
        self, info: Info[RequestContext, None], input: ResolveStockDiscrepancyInput
    ) -> Recorded:
        ctx, site = info.context, site_of(input.site)
        stamp = ctx.gate.stamp_site(Action.RESOLVE_STOCK_DISCREPANCY, site)
        return await recorded(
            info,
            commands.resolve(stamp, site=site, alert_id=input.alert_id,
                             resolution=input.resolution, note=input.note,
                             rules=ctx.platform.medication),
        )  # fmt: skip


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
