"""A site's controlled-substance stock through the API: receipts, counts, witnessed waste,
transfers, the witness's confirmation and discrepancies resolved (what is read of it:
``stock_views.py``).

A site is a program (the name its clients are enrolled under). Writes are admitted by role
(``AccessGate.stamp_site``); a program admin whose token names a program keeps that
program's site only. A count, a waste or a transfer is decided on the doses the stock view
holds once it has every event stored before the request (``ledger_now``): the count records
that position, and what it expected of each lot.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import strawberry
from strawberry.types import Info

from carecoord.events.stock import CountOccasion, OrderForm, Resolution, WasteReason
from carecoord.graphql.care import Recorded, recorded
from carecoord.graphql.context import RequestContext
from carecoord.projections import stock
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.errors import InvalidInput, Unavailable
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
