"""A site's controlled-substance stock through the API: receipts, counts, witnessed waste,
transfers, the witness's confirmation, receipts, waste and transfers marked entered in error,
discrepancies resolved, and the program's dispensing sites registered and retired (what is
read of it: ``stock_views.py``).

A site is a program (the name its clients are enrolled under). Writes are admitted by role
(``AccessGate.stamp_site``); a token that names a program keeps its holder, in any role, to
that program's site (a transfer may go to another's). A count, a waste or a transfer is
decided on the doses the stock view holds once it has every event stored before the request
(``ledger_through``): the count records that position, and what it expected of each lot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import strawberry

from carecoord.events.stock import CountOccasion, OrderForm, Resolution, WasteReason
from carecoord.graphql.context import RequestContext
from carecoord.graphql.declared import Converter, arguments_of, built, mutation
from carecoord.projections import dispensing_sites, stock
from carecoord.services.kernel.access import Action
from carecoord.services.kernel.errors import InvalidInput, Unavailable
from carecoord.services.kernel.stamp import to_camel
from carecoord.services.kernel.unit_of_work import Command
from carecoord.services.stock import commands
from carecoord.services.stock.corrections import InError
from carecoord.services.stock.counts import Count
from carecoord.services.stock.movements import Receipt, Transfer, Waste, with_offset
from carecoord.services.stock.record import Ledger
from carecoord.services.stock.transfers_in_error import TransferInError

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


@strawberry.input(
    description="Confirm, as the witness it names, a count, a waste, or a receipt's or"
    " waste's mark of entered in error."
)
class WitnessStockEntryInput:
    site: str
    entry_id: UUID = strawberry.field(
        description="The count or waste; with inError, the receipt or waste the mark names."
    )
    in_error: bool = strawberry.field(
        default=False,
        description="Confirm the mark of entered in error on entryId, not the entry itself.",
    )


@strawberry.input(
    description="Mark a receipt or a waste entered in error, before a witness: the lot holds"
    " what it would have without it; the entry stays on the record."
)
class StockEntryInErrorInput:
    site: str
    entry_id: UUID = strawberry.field(description="The receipt's or the waste's id.")
    reason: str
    witness_id: str = strawberry.field(description="Another person, who watched the check.")
    received_amount: Decimal | None = strawberry.field(
        default=None,
        description="A receipt's amount actually received: received in its place, at its"
        f" time, with its order form and lot. {QUANTITY}",
    )
    received_containers: int | None = strawberry.field(
        default=None,
        description="With receivedAmount, the containers actually received (1 to 10000);"
        " the wrong receipt's count if omitted.",
    )


@strawberry.input(
    description="Mark a transfer entered in error (the wrong site, the wrong amount, one never"
    " made): both sites hold what they would have without it; its records stay."
)
class TransferInErrorInput:
    site: str = strawberry.field(description="The site that sent it.")
    to_site: str = strawberry.field(description="The site it went to, as the transfer names it.")
    transfer_id: UUID = strawberry.field(description="The transfer's id.")
    reason: str


@strawberry.input
class ResolveStockDiscrepancyInput:
    site: str
    alert_id: UUID
    resolution: Resolution
    note: str


@strawberry.input(
    description="A dispensing site of the program, which stock may be transferred to before it"
    " keeps any: registered once, under a name of at most 100 characters a reader sees."
)
class RegisterDispensingSiteInput:
    site: str = strawberry.field(description="The site's name (its program's).")


@strawberry.input(
    description="A site of the program no stock is transferred to again; its records stay."
)
class RetireDispensingSiteInput:
    site: str


def site_of(given: str, field: str = "site") -> str:
    """The site ``field`` names, trimmed; refused naming ``field`` (a transfer's blank
    ``toSite`` was refused as its ``site``)."""
    site = given.strip()
    if not site:
        raise InvalidInput(field, "site-name", f"name the site ({field}: the program)")
    return site


LedgerOf = Callable[[RequestContext, str, Any], Awaitable[Ledger]]
"""How a mutation reads the site's ledger for its input."""


def as_of(field: str) -> LedgerOf:
    """The ledger as of the input's time ``field`` (now if it is not given)."""

    async def read(ctx: RequestContext, site: str, given: Any) -> Ledger:
        at = getattr(given, field)
        if at is not None:
            with_offset(to_camel(field), at)
        return await ledger_through(ctx, site, await caught_up(ctx), at)

    return read


def at_entry(field: str, *kinds: str, site_field: str | None = None) -> LedgerOf:
    """The ledger as of the site's entry of ``kinds`` the input's ``field`` names (now if
    the site has none: the command refuses it); with ``site_field``, the ledger of the site
    that field of the input names (a transfer's receiving site)."""

    async def read(ctx: RequestContext, site: str, given: Any) -> Ledger:
        head = await caught_up(ctx)
        if site_field is not None:
            site = site_of(getattr(given, site_field), to_camel(site_field))
        at = await stock.entry_time(ctx.platform.primary_reads, site, getattr(given, field), kinds)
        return await ledger_through(ctx, site, head, at)

    return read


async def caught_up(ctx: RequestContext, view: str = stock.NAME) -> int:
    """The store position before this request, once ``view`` has it; refused (retry)
    while it catches up, or while another version's derivation of it is live."""
    platform = ctx.platform
    platform.progress.require_current(view)
    head = await asyncio.to_thread(platform.store.last_position)
    timeout = platform.settings.read_your_writes_timeout
    if not await platform.progress.reach(view, head, timeout):
        raise Unavailable(
            "site", "stock-ledger-catching-up", "the stock ledger is catching up; retry"
        )
    return head


async def ledger_through(ctx: RequestContext, site: str, head: int, at: datetime | None) -> Ledger:
    """The doses drawn from the site's lots through ``head`` by ``at`` (now if None), and
    for a time given, those drawn since."""
    platform = ctx.platform
    moment = at or datetime.now(UTC)
    found = await stock.dispensed(platform.primary_reads, site, through=head, at=moment)
    since = (
        {}
        if at is None
        else await stock.drawn_since(platform.primary_reads, site, through=head, after=moment)
    )
    return Ledger(head, moment, found, since)


def one_site(given: Any) -> tuple[str, ...]:
    """The site a stock input is about: its ``site``."""
    return (site_of(given.site),)


def stock_mutation(
    description: str,
    action: Action,
    command: Callable[..., Command[UUID]],
    input_type: type,
    *,
    sites: Callable[[Any], tuple[str, ...]] = one_site,
    ledger: LedgerOf | None = None,
    fields: tuple[str, ...] = (),
    **given: Converter,
) -> Any:
    """The mutation that stamps ``action`` on the input's ``sites`` (the first is the one
    recorded on), then records ``command(stamp, site=..., rules=..., **arguments)``.

    The arguments are ``arguments_of`` the input (its ``fields`` only); with ``ledger``,
    also the site's ``ledger`` it reads for the input.
    """

    async def build(ctx: RequestContext, input: object) -> Command[UUID]:
        site, *others = sites(input)
        stamp = ctx.gate.stamp_site(action, site, *others)
        arguments = {"site": site, "rules": ctx.platform.medication}
        if ledger is not None:
            arguments["ledger"] = await ledger(ctx, site, input)
        return command(stamp, **arguments, **arguments_of(input, fields, given))

    return mutation(description, input_type, build)


async def registration(ctx: RequestContext, input: RegisterDispensingSiteInput) -> Command[UUID]:
    """A site registered, decided on the name keys of the active sites (the program file's
    and those registered) as the store holds them before this request."""
    site = site_of(input.site)
    stamp = ctx.gate.stamp_site(Action.REGISTER_DISPENSING_SITE, site)
    await caught_up(ctx, dispensing_sites.NAME)
    rules = ctx.platform.medication
    found = await dispensing_sites.changes(ctx.platform.primary_reads)
    taken = dispensing_sites.active_keys(found, rules.sites)
    return commands.register_site(stamp, site=site, rules=rules, taken=taken)


@strawberry.type
class StockMutation:
    receive_stock = stock_mutation(
        "Record a receipt of one lot; returns the receipt id.",
        Action.RECEIVE_STOCK,
        commands.receive,
        ReceiveStockInput,
        receipt=built(Receipt),
    )
    count_stock = stock_mutation(
        "Record a count, reconciled lot by lot against the perpetual inventory;"
        " every difference raises a discrepancy. Returns the count id.",
        Action.COUNT_STOCK,
        commands.count,
        CountStockInput,
        ledger=as_of("counted_at"),
        count=built(Count, lines=lambda given: [(line.lot, line.counted) for line in given.lines]),
    )
    waste_stock = stock_mutation(
        "Record stock wasted before a witness; returns its id.",
        Action.WASTE_STOCK,
        commands.waste,
        WasteStockInput,
        ledger=as_of("occurred_at"),
        waste=built(Waste),
    )
    transfer_stock = stock_mutation(
        "Send stock to another site; returns the transfer id.",
        Action.TRANSFER_STOCK,
        commands.transfer,
        TransferStockInput,
        sites=lambda given: (site_of(given.site), site_of(given.to_site, "toSite")),
        ledger=as_of("occurred_at"),
        transfer=built(Transfer, to_site=lambda given: site_of(given.to_site, "toSite")),
    )
    witness_stock_entry = stock_mutation(
        "Confirm a count, a waste or a mark of entered in error that names you as its witness.",
        Action.WITNESS_STOCK_ENTRY,
        commands.witness,
        WitnessStockEntryInput,
        fields=("entry_id", "in_error"),
    )
    mark_stock_entry_entered_in_error = stock_mutation(
        "Mark a receipt or a waste entered in error (prescribers and program admins, before"
        " a witness): a correction row returns the lot to what it would have held without"
        " it, and a receipt's order form and lot may be received again, or with"
        " receivedAmount are received for that amount at once. Its witness confirms it with"
        " witnessStockEntry (inError). Returns the entry's id, or the new receipt's.",
        Action.ENTER_STOCK_ENTRY_IN_ERROR,
        commands.enter_in_error,
        StockEntryInErrorInput,
        ledger=at_entry("entry_id", "receipt", "waste"),
        in_error=built(InError),
    )
    mark_transfer_entered_in_error = stock_mutation(
        "Mark a transfer entered in error (prescribers and program admins): a correction"
        " row at each site returns the sending lot what it sent and takes it from the"
        " receiving lot, as of the transfer; refused (rule transfer-drawn-on) while what the"
        " receiving site used of it since would leave its lot below zero. The transfer's"
        " order form line may be transferred again. Returns the transfer's id.",
        Action.ENTER_STOCK_ENTRY_IN_ERROR,
        commands.enter_transfer_in_error,
        TransferInErrorInput,
        sites=lambda given: (site_of(given.site), site_of(given.to_site, "toSite")),
        ledger=at_entry("transfer_id", "transfer-in", site_field="to_site"),
        fields=(),
        to_site=lambda given: site_of(given.to_site, "toSite"),
        in_error=built(TransferInError),
    )
    resolve_stock_discrepancy = stock_mutation(
        "Close a discrepancy: explained (a recording error) or a loss reported to"
        " the DEA on Form 106 (prescribers and program admins other than whoever took or"
        " witnessed the count that found it).",
        Action.RESOLVE_STOCK_DISCREPANCY,
        commands.resolve,
        ResolveStockDiscrepancyInput,
        ledger=at_entry("alert_id", "discrepancy"),
        fields=("alert_id", "resolution", "note"),
    )
    register_dispensing_site = mutation(
        "Register a dispensing site of the program (program admins): stock may be"
        " transferred to it before it keeps any; refused (rule site-name-unique) under a"
        " name an active site's reads as but for letter case or spacing. Returns the id its"
        " stock goes by.",
        RegisterDispensingSiteInput,
        registration,
    )
    retire_dispensing_site = stock_mutation(
        "Retire a site of the program (program admins): no stock is transferred to it again,"
        " whatever the program file says; its records stay. Returns the id its stock goes by.",
        Action.RETIRE_DISPENSING_SITE,
        commands.retire_site,
        RetireDispensingSiteInput,
    )
