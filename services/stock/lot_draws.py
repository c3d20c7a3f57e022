"""The draws on one lot at one site: a record of its own, which every dose, replacement or
take-home drawn from the lot writes (``StockDrawn``), so two draws at once, in one process
or two, are decided one after the other. One per lot, not per site: a site's window draws
hundreds of doses a day, which would make the site's record (receipts, counts, a few a day)
grow without bound; a lot is used up in a few thousand. A waste, a transfer out, a loss or
a receipt taken back is recorded on the site's record and decided on this one too, read in
its batch: a draw stored meanwhile runs it again (services/infrastructure/decided_on.py),
as a waste stored meanwhile runs a draw again, which read the site's record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from carecoord.events import CareEvent
from carecoord.events.stock import StockDrawn
from carecoord.services.kernel.aggregate import Aggregate


class LotDraws(Aggregate, context="stock"):
    def __init__(self, draws_id: UUID) -> None:
        super().__init__(draws_id)
        self.drawn: list[tuple[datetime, Decimal]] = []
        """Each draw (a draw given back negative), when it was given or handed over."""
        self.by: dict[UUID, list[tuple[datetime, Decimal]]] = {}
        """The same, by the dose's or take-home's id: what marking it in error gives back."""

    def apply(self, event: CareEvent) -> None:
        if isinstance(event, StockDrawn):
            self.drawn.append((event.occurred_at, event.quantity))
            self.by.setdefault(event.dispensed_id, []).append((event.occurred_at, event.quantity))


DrawsOn = Callable[[str], LotDraws]
"""The record of draws on a lot of one site, by the lot's name as the site recorded it."""
