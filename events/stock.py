"""Facts about a site's controlled-substance stock: receipts, counts, waste, transfers, and
the discrepancies a count finds (DEA 21 CFR 1304: the records and inventories a narcotic
treatment program keeps, and 1301.76(b) for losses).

These are about a site, not a client. The envelope names a client in ``client_id``; a stock
event carries the site's stock id there instead (``stock_id(site)``, checked against
``site``), so subjects, the store and the chain treat a site like any other record, and no
client's record ever holds one. A site is a program (the place its clients are dosed and
its registration): ``site`` is the program's name as clients are enrolled in it.

Quantities are in the medication's dosing unit (mg of substance), as doses are recorded,
so receipts, doses, waste and transfers add up in one unit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import Field, model_validator

from carecoord.events import amounts
from carecoord.events.envelope import CareEvent, EnteredInError, Kind, Value
from carecoord.events.medication import Severity

_SITES = uuid5(NAMESPACE_URL, "https://carecoord.dev/sites")
_SITE_NAMES = uuid5(NAMESPACE_URL, "https://carecoord.dev/site-names")
_DRAWS = uuid5(NAMESPACE_URL, "https://carecoord.dev/lot-draws")

Quantity = Annotated[amounts.Amount, Field(gt=0)]
"""An amount that moves (received, wasted, transferred): positive, at most 10 kg of substance."""
Counted = Annotated[amounts.Amount, Field(ge=0)]
Balance = Annotated[Decimal, Field(ge=-10_000_000_000, le=10_000_000_000)]
"""A computed amount (expected on hand, a variance): negative when the records are wrong."""
Containers = Annotated[int, Field(ge=1, le=10_000)]
"""How many containers a receipt brought: at least one, at most 10,000 (more is a typo)."""
LOT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
"""How a lot number is written: a letter or digit, then letters, digits and . _ / -."""
LOT_MAX = 100
Lot = Annotated[str, Field(min_length=1, max_length=LOT_MAX, pattern=LOT_PATTERN)]
UserId = Annotated[str, Field(min_length=1, max_length=200)]


def stock_id(site: str) -> UUID:
    """The id a site's stock goes by where the envelope names a client (``client_id``)."""
    return uuid5(_SITES, site)


def name_key(site: str) -> str:
    """What a site's name reads as: case folded, its whitespace one space."""
    return " ".join(site.casefold().split())


def draws_id(site: str, lot: str) -> UUID:
    """The id of the record of what doses drew from ``lot`` (as the site first recorded it)
    at ``site``, where the envelope names a client."""
    return uuid5(_DRAWS, f"{site}\n{lot}")


def site_name_id(site: str) -> UUID:
    """The id of the record of the name ``site`` reads as (``name_key``): every spelling
    of one name has the one record."""
    return uuid5(_SITE_NAMES, name_key(site))


class _Stock(CareEvent):
    context: ClassVar[str] = "stock"
    type_kind: ClassVar[Kind] = Kind.DOSING
    about: ClassVar[str] = "The site's stock id (a UUID: stock_id(site) in events/stock.py)"

    site: str = Field(min_length=1, max_length=200)
    day: date
    """The site's day it happened on (the program's time zone)."""

    @model_validator(mode="after")
    def _site_is_the_record(self) -> Self:
        if self.client_id != stock_id(self.site):
            raise ValueError(f"client_id must be the stock id of site {self.site!r}")
        return self


class _LotEvent(_Stock):
    """What every movement of one lot says, for the DEA records: substance, strength, form."""

    lot: Lot
    medication: str = Field(min_length=1, max_length=100)
    strength: str = Field(max_length=100)
    dosage_form: str = Field(min_length=1, max_length=100)
    unit: str = Field(min_length=1, max_length=20)
    dea_schedule: str = Field(max_length=10)


class OrderForm(StrEnum):
    """What a receipt was ordered on: a DEA Form 222 or its electronic twin, CSOS (schedule
    I-II, 21 CFR 1305.03), or an invoice (schedules III-V)."""

    DEA_222 = "dea_222"
    CSOS = "csos"
    INVOICE = "invoice"


class StockReceived(_LotEvent):
    """Containers of one lot received into the site's stock (21 CFR 1304.22(c), 1304.21(d):
    the date actually received)."""

    summary_template: ClassVar[str] = (
        "Received {quantity} {unit} {medication} lot {lot} ({order_form} {order_form_number})"
    )

    receipt_id: UUID
    quantity: Quantity
    containers: Containers
    order_form: OrderForm
    order_form_number: str = Field(pattern=r"^[A-Za-z0-9-]{1,40}$")
    supplier: str = Field(min_length=1, max_length=200)
    supplier_dea_number: str = Field(pattern=r"^[A-Z][A-Z9][0-9]{7}$")
    """The supplier's DEA registration (two letters, seven digits, the last a check digit)."""
    expires_on: date | None = None


class WasteReason(StrEnum):
    WASTE = "waste"
    """Spoiled, contaminated or left over (a dose drawn and not given)."""
    BREAKAGE = "breakage"
    SPILL = "spill"


class StockWasted(_LotEvent):
    """Stock destroyed or lost in handling, counted out in front of a witness."""

    summary_template: ClassVar[str] = "{reason}: {quantity} {unit} {medication} lot {lot}"

    waste_id: UUID
    quantity: Quantity
    reason: WasteReason
    description: str = Field(min_length=1, max_length=500)
    witness_id: UserId


class _Transfer(_LotEvent):
    """One side of a transfer between sites: both sides carry its id."""

    transfer_id: UUID
    quantity: Quantity


class StockTransferredOut(_Transfer):
    """Stock sent to another site; ``StockTransferredIn`` with the same id receives it."""

    summary_template: ClassVar[str] = (
        "Transferred {quantity} {unit} {medication} lot {lot} to {to_site}"
    )

    to_site: str = Field(min_length=1, max_length=200)
    order_form: OrderForm
    order_form_number: str = Field(default="", pattern=r"^[A-Za-z0-9-]{0,40}$")


class StockTransferredIn(_Transfer):
    summary_template: ClassVar[str] = (
        "Received by transfer {quantity} {unit} {medication} lot {lot} from {from_site}"
    )

    from_site: str = Field(min_length=1, max_length=200)
    expires_on: date | None = None
    order_form: OrderForm | None = None
    """The receiving site's order form the transfer names, as its transfer out says (None:
    recorded before this side carried it)."""
    order_form_number: str = Field(default="", pattern=r"^[A-Za-z0-9-]{0,40}$")


Draw = Annotated[amounts.Amount, Field(ge=-amounts.AMOUNT_MAX)]
"""What a dispensing drew from a lot: negative when it is given back."""


class StockDrawn(_LotEvent):
    """A dose, a replacement or a take-home's bottles drawn from a lot the site holds, on the
    lot's record of draws at the site beside the client's dispensing and in its
    transaction: two draws from the lot at once write the one record, so the second is
    decided again on the first, and a lot is not drawn below what it holds. Given back
    (``quantity`` negative) when the dose or take-home is marked entered in error.
    ``dispensed_id`` is the dose's or the take-home's id; the client's record says whom it
    went to, this record never does."""

    about: ClassVar[str] = "The lot's draws id (a UUID: draws_id(site, lot) in events/stock.py)"
    summary_template: ClassVar[str] = "Drew {quantity} {unit} {medication} lot {lot}"

    dispensed_id: UUID
    quantity: Draw

    @model_validator(mode="after")
    def _site_is_the_record(self) -> Self:
        if self.client_id != draws_id(self.site, self.lot):
            raise ValueError(f"client_id must be the draws id of lot {self.lot!r} at {self.site!r}")
        return self


class CountOccasion(StrEnum):
    OPENING = "opening"
    """Before the first dose of the day."""
    CLOSING = "closing"
    """After the last dose of the day."""
    SPOT = "spot"
    """Any other time, of any lots."""


class CountLine(Value):
    """One lot as counted, and the perpetual inventory it was reconciled against:
    ``expected = received + transferred_in - transferred_out - wasted - lost - dispensed``."""

    lot: Lot
    medication: str = Field(min_length=1, max_length=100)
    counted: Counted
    received: Balance
    transferred_in: Balance
    transferred_out: Balance
    wasted: Balance
    lost: Balance
    """Shortfalls of earlier counts resolved as a loss reported to the DEA."""
    dispensed: Balance
    """Given at the window and handed over as take-homes from this lot, up to the count."""
    expected: Balance

    @property
    def variance(self) -> Decimal:
        return self.counted - self.expected


class StockCounted(_Stock):
    """A physical count of the site's stock by the recording user, before a witness who
    confirms it (``StockEntryWitnessed``). An opening or closing count covers every lot on
    hand; a biennial inventory (21 CFR 1304.11(c)) is one of those, marked."""

    summary_template: ClassVar[str] = "{occasion} count of {lot_count} lots ({variances})"

    count_id: UUID
    occasion: CountOccasion
    biennial: bool = False
    lines: tuple[CountLine, ...] = Field(min_length=1, max_length=200)
    witness_id: UserId
    ledger_through: int = Field(ge=0)
    """The store position the dispensed amounts were read through: doses recorded after it
    (or given after the count) are not in them."""

    @property
    def lot_count(self) -> int:
        return len(self.lines)

    @model_validator(mode="after")
    def _biennial_at_opening_or_closing(self) -> Self:
        if self.biennial and self.occasion is CountOccasion.SPOT:
            raise ValueError("a biennial inventory is taken at opening or at closing")
        return self

    def summary(self) -> str:
        off = sum(1 for line in self.lines if line.variance)
        variances = f"{off} discrepancies" if off else "all as expected"
        facts = self.facts() | {"lot_count": self.lot_count, "variances": variances}
        return self.summary_template.format(**facts)


class StockEntryWitnessed(_Stock):
    """The witness a count or a waste named confirms it, under their own credentials."""

    summary_template: ClassVar[str] = "Witnessed {entry} {entry_id}"

    entry_id: UUID
    entry: str = Field(pattern=r"^(count|waste)$")


class StockDiscrepancyFound(_Stock):
    """A count found a lot off its perpetual inventory: the alert to the program (DEA
    21 CFR 1301.76(b): a theft or significant loss is reported on Form 106)."""

    summary_template: ClassVar[str] = (
        "Discrepancy ({severity}): {medication} lot {lot} counted {counted}, expected {expected}"
    )

    alert_id: UUID
    count_id: UUID
    rule_id: str = Field(min_length=1, max_length=100)
    rule_version: str = Field(min_length=1, max_length=40)
    severity: Severity
    lot: Lot
    medication: str = Field(min_length=1, max_length=100)
    counted: Counted
    expected: Balance
    variance: Balance


class Resolution(StrEnum):
    EXPLAINED = "explained"
    """A recording error found (a dose or waste entered late or wrong): no loss."""
    LOSS_REPORTED = "loss_reported"
    """A loss or theft, reported to the DEA on Form 106."""


class StockDiscrepancyResolved(_Stock):
    """A discrepancy closed. A loss reported takes the shortfall out of the lot's perpetual
    inventory (``lost``), as of the count that found it; an explained one takes nothing
    (the entry that was missing or wrong is recorded, or corrected, on its own)."""

    summary_template: ClassVar[str] = "Discrepancy resolved ({resolution}): {note}"

    alert_id: UUID
    lot: Lot
    resolution: Resolution
    lost: Balance = Field(ge=0)
    note: str = Field(min_length=1, max_length=2000)


class CorrectedEntry(StrEnum):
    """The entries a mark of entered in error may name: what moved stock by hand."""

    RECEIPT = "receipt"
    WASTE = "waste"


class StockEntryEnteredInError(EnteredInError, _LotEvent):
    """A receipt or a waste recorded wrong (1000 mg for 100, a spill of 60 for 6), marked in
    error before a witness: the lot holds again what it would have without the entry, from
    the entry's own time on. The entry's record stays (21 CFR 1304: a correction is a new,
    attributable entry); ``day`` is the site's day it was marked, ``entry_day`` the entry's.
    """

    summary_template: ClassVar[str] = (
        "{entry} entered in error: {quantity} {unit} {medication} lot {lot} ({reason})"
    )
    summary_text: ClassVar[str] = "reason"

    entry_id: UUID
    entry: CorrectedEntry
    entry_day: date
    quantity: Quantity
    """What the entry moved, returned by the correction."""
    witness_id: UserId


class StockCorrectionWitnessed(_Stock):
    """The witness a mark of entered in error named confirms it, under their own
    credentials: ``entry_id`` is the receipt or waste the mark names (one mark each)."""

    summary_template: ClassVar[str] = "Witnessed {entry} {entry_id} entered in error"

    entry_id: UUID
    entry: CorrectedEntry


class TransferSide(StrEnum):
    """Which side of a transfer a site's record holds."""

    OUT = "out"
    """The site sent it."""
    IN = "in"
    """The site received it."""


class StockTransferEnteredInError(EnteredInError, _LotEvent):
    """A transfer recorded wrong (the wrong site, the wrong amount, one that never happened)
    marked in error: recorded on both sites' records in one transaction, as the transfer
    was, each naming its side, so the sending lot holds again what it sent and the
    receiving lot no longer holds it, from the transfer's own time on. The transfer's
    records stay (21 CFR 1304); ``day`` is the site's day it was marked, ``transfer_day``
    the transfer's, ``other_site`` the site on the transfer's other side."""

    summary_template: ClassVar[str] = (
        "Transfer {side} entered in error: {quantity} {unit} {medication} lot {lot},"
        " other site {other_site} ({reason})"
    )
    summary_text: ClassVar[str] = "reason"

    transfer_id: UUID
    side: TransferSide
    other_site: str = Field(min_length=1, max_length=200)
    transfer_day: date
    quantity: Quantity
    """What the transfer moved, returned by the correction."""


class DispensingSiteRegistered(_Stock):
    """A program admin registered a dispensing site of the program: stock may be transferred
    to it before it keeps any (21 CFR 1307.11(a)(1): only to a site registered to receive
    it), as to one the program file registers. ``client_id`` is the id its stock goes by."""

    summary_template: ClassVar[str] = "Site {site} registered"


class DispensingSiteRetired(_Stock):
    """A program admin retired a site of the program: no stock is transferred to it again.
    Its records stay, and it is not registered again."""

    summary_template: ClassVar[str] = "Site {site} retired"


class DispensingSiteNameHeld(CareEvent):
    """The name a registered site reads as (``name_key``) is held by it, or with ``held``
    false let go as it was retired: recorded on the name's own record beside the
    registration or retirement, so that of two admins registering names that read alike at
    once the second's write conflicts and, decided again, is refused (``site-name-unique``).
    ``client_id`` is the name's record (``site_name_id(site)``)."""

    context: ClassVar[str] = "stock"
    type_kind: ClassVar[Kind] = Kind.DOSING
    about: ClassVar[str] = "The site name's id (a UUID: site_name_id(site) in events/stock.py)"
    summary_template: ClassVar[str] = "Site name {site} held: {held}"

    site: str = Field(min_length=1, max_length=200)
    held: bool

    @model_validator(mode="after")
    def _name_is_the_record(self) -> Self:
        if self.client_id != site_name_id(self.site):
            raise ValueError(f"client_id must be the name id of site {self.site!r}")
        return self


STOCK_EVENTS: tuple[type[CareEvent], ...] = (
    StockReceived,
    StockWasted,
    StockTransferredOut,
    StockTransferredIn,
    StockDrawn,
    StockCounted,
    StockEntryWitnessed,
    StockDiscrepancyFound,
    StockDiscrepancyResolved,
    StockEntryEnteredInError,
    StockCorrectionWitnessed,
    StockTransferEnteredInError,
    DispensingSiteRegistered,
    DispensingSiteRetired,
    DispensingSiteNameHeld,
)
"""Events about a site's stock: no client's record holds them."""
