"""Two processes: doses drawn at once from one lot, each within what it holds but together
past it, are decided one after the other on the site's record: one is given, the others are
refused naming the lot, and the lot is not drawn below zero."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from carecoord.events import Actor, Role, Schedule
from carecoord.events.medication import DoseAdministered
from carecoord.events.stock import OrderForm, StockDrawn
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.store import EventStore
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication.commands import administer_dose, prescribe
from carecoord.services.medication.dispensing import GivenDose
from carecoord.services.medication.induction import INITIAL_DOSE
from carecoord.services.medication.prescribing import NewOrder
from carecoord.services.medication.rules import DEFAULT_RULES
from carecoord.services.stock.commands import receive
from carecoord.services.stock.movements import Receipt

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
DOCTOR = Stamp(Actor(id="dr-lee", role=Role.PRESCRIBER))
NURSE = Stamp(Actor(id="nurse-kim", role=Role.NURSE))


@pytest.fixture
def buses(two_stores: tuple[EventStore, EventStore]) -> Iterator[tuple[CommandBus, CommandBus]]:
    pair = CommandBus(two_stores[0]), CommandBus(two_stores[1])
    yield pair
    for bus in pair:
        bus.close()


def ordered(bus: CommandBus, site: str, count: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """``count`` clients of ``site``, each with a methadone order of 60 mg from yesterday."""
    found = []
    enrolled = datetime.now(UTC) - timedelta(days=2)
    for _ in range(count):
        client_id = bus.execute_sync(
            enroll_client(ADMIN, display_name="A", program=site, occurred_at=enrolled)
        ).result
        order = NewOrder(
            "methadone", Decimal(60), "mg", "oral", Schedule(),
            date.today() - timedelta(days=1), acknowledgements={INITIAL_DOSE: "tolerant"},
        )  # fmt: skip
        found.append(
            (
                client_id,
                bus.execute_sync(prescribe(DOCTOR, client_id=client_id, order=order)).result.id,
            )
        )
    return found


@pytest.mark.parametrize("processes", [1, 2])
def test_doses_from_one_lot_sent_at_once_do_not_draw_it_below_zero(
    processes: int,
    buses: tuple[CommandBus, CommandBus],
    two_stores: tuple[EventStore, EventStore],
) -> None:
    site = f"Draw OTP {uuid.uuid4().hex[:8]}"
    receipt = Receipt(
        "M-1", "methadone", "oral solution", Decimal(100), 1, OrderForm.DEA_222, "222-1",
        "Mallinckrodt", "RM1234563", date.today() + timedelta(days=300),
    )  # fmt: skip
    buses[0].execute_sync(receive(NURSE, site=site, receipt=receipt, rules=DEFAULT_RULES))
    clients = ordered(buses[0], site, 6)

    doses = [
        administer_dose(
            NURSE,
            client_id=client_id,
            dose=GivenDose(order, Decimal(60), "oral solution", lot="M-1"),
        )
        for client_id, order in clients
    ]
    sent = [buses[n % processes].submit(dose) for n, dose in enumerate(doses)]

    refused = [f.exception(timeout=30) for f in sent if f.exception(timeout=30) is not None]
    assert len(refused) == len(clients) - 1
    assert all(isinstance(r, RuleViolation) and r.rule == "on-hand" for r in refused)
    stored = [item.event for item in two_stores[0].read(0, 10_000)]
    drawn = [e.quantity for e in stored if isinstance(e, StockDrawn) and e.site == site]
    assert drawn == [Decimal(60)]
    given = {c for c, _ in clients}
    assert sum(isinstance(e, DoseAdministered) and e.client_id in given for e in stored) == 1
