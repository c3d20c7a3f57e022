"""The draws on one lot at one site: a record of its own, which every dose, replacement or
take-home drawn from the lot writes (``StockDrawn``), so two draws at once, in one process
or two, are decided one after the other. One per lot, not per site: a site's window draws
hundreds of doses a day, which would make the site's record (receipts, counts, a few a day)
grow without bound; a lot is used up in a few thousand."""

from __future__ import annotations

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
