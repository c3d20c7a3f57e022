"""One site's controlled-substance stock driven through the real commands, in memory, at a
chosen time, with the doses the stock view would have read."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from in_memory import InMemory

from carecoord.events import Actor, CareEvent, Role
from carecoord.events.stock import CountOccasion, OrderForm, WasteReason
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command
from carecoord.services.medication.rules import DEFAULT_RULES
from carecoord.services.stock import commands
from carecoord.services.stock.corrections import InError
from carecoord.services.stock.counts import Count
from carecoord.services.stock.movements import Receipt, Transfer, Waste
from carecoord.services.stock.record import Ledger

T = TypeVar("T")
E = TypeVar("E", bound=CareEvent)

NURSE = Actor(id="nurse-kim", role=Role.NURSE)
WITNESS = Actor(id="nurse-ola", role=Role.NURSE)
DOCTOR = Actor(id="dr-lee", role=Role.PRESCRIBER)
SITE = "North OTP"
SUPPLIER_DEA = "RM1234563"
"""A well-formed DEA registration: 1+3+5 + 2*(2+4+6) = 33, check digit 3."""
START = datetime(2026, 3, 2, 7, tzinfo=UTC)
RULES = replace(DEFAULT_RULES, sites=frozenset({"South OTP"}))
"""The program file registers South OTP, which transfers may go to before it keeps stock."""


class Site(InMemory):
    """The site's record and the doses drawn from it (lot -> amount), as the view sums them."""

    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.dispensed: dict[str, Decimal] = {}
        self.position = 0

    def stamp(self, actor: Actor = NURSE) -> Stamp:
        return Stamp(actor, clock=lambda: self.now)

    def run(self, command: Command[T]) -> T:
        self.position += 1
        return super().run(command)

    def later(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def ledger(self) -> Ledger:
        return Ledger(self.position, self.now, dict(self.dispensed))

    def events(self, cls: type[E] = CareEvent) -> list[E]:  # type: ignore[assignment]
        pending = [r for a in self.touched.values() for r in a.pending]
        ordered = sorted(pending, key=lambda r: r.event.recorded_at)
        return [r.event for r in ordered if isinstance(r.event, cls)]

    def dose(self, lot: str, amount: str) -> None:
        self.dispensed[lot] = self.dispensed.get(lot, Decimal(0)) + Decimal(amount)

    def receive(
        self, lot: str = "M-100", quantity: str = "10000", site: str = SITE, **given: Any
    ) -> UUID:
        facts: dict[str, Any] = {
            "lot": lot, "medication": "methadone", "dosage_form": "oral solution",
            "quantity": Decimal(quantity), "containers": 1, "order_form": OrderForm.DEA_222,
            "order_form_number": f"222-{lot}", "supplier": "Mallinckrodt",
            "supplier_dea_number": SUPPLIER_DEA, "expires_on": date(2027, 3, 1),
        }  # fmt: skip
        receipt = Receipt(**(facts | given))
        return self.run(commands.receive(self.stamp(), site=site, receipt=receipt, rules=RULES))

    def count(
        self,
        *lines: tuple[str, str],
        occasion: CountOccasion = CountOccasion.CLOSING,
        actor: Actor = NURSE,
        witness: str = WITNESS.id,
        biennial: bool = False,
    ) -> UUID:
        given = Count(occasion, [(lot, Decimal(n)) for lot, n in lines], witness, biennial)
        return self.run(
            commands.count(
                self.stamp(actor), site=SITE, count=given, ledger=self.ledger(),
                rules=RULES,
            )
        )  # fmt: skip

    def waste(
        self,
        lot: str,
        quantity: str,
        witness: str = WITNESS.id,
        occurred_at: datetime | None = None,
    ) -> UUID:
        given = Waste(
            lot, Decimal(quantity), WasteReason.SPILL, "cup knocked over", witness, occurred_at
        )
        return self.run(
            commands.waste(self.stamp(), site=SITE, waste=given, ledger=self.ledger(), rules=RULES)
        )

    def transfer(self, lot: str, quantity: str, to_site: str, number: str = "222-T1") -> UUID:
        given = Transfer(lot, Decimal(quantity), to_site, OrderForm.DEA_222, number)
        return self.run(
            commands.transfer(
                self.stamp(), site=SITE, transfer=given, ledger=self.ledger(), rules=RULES
            )
        )

    def witness(self, entry_id: UUID, actor: Actor = WITNESS, in_error: bool = False) -> None:
        self.run(
            commands.witness(
                self.stamp(actor), site=SITE, entry_id=entry_id, rules=RULES,
                in_error=in_error,
            )
        )  # fmt: skip

    def in_error(
        self,
        entry_id: UUID,
        reason: str = "1000 entered for 100",
        witness: str = WITNESS.id,
        actor: Actor = DOCTOR,
        ledger: Ledger | None = None,
        received: str | None = None,
        containers: int | None = None,
    ) -> UUID:
        amount = None if received is None else Decimal(received)
        given = InError(entry_id, reason, witness, amount, containers)
        return self.run(
            commands.enter_in_error(
                self.stamp(actor), site=SITE, in_error=given, ledger=ledger or self.ledger(),
                rules=RULES,
            )
        )  # fmt: skip
