"""Two processes: doses drawn at once from one lot, each within what it holds but together
past it, are decided one after the other on the site's record: one is given, the others are
refused naming the lot, and the lot is not drawn below zero. So are a waste and a dose from
a nearly empty lot, the second decided on what its process read before the first was
stored (the waste on the stock view's doses, the dose on the site's record). A receipt
stored by one process is drawn on by the next dose in the other, which had not heard of it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from carecoord.events import Actor, Role, Schedule
from carecoord.events.medication import DoseAdministered
from carecoord.events.stock import (
    OrderForm,
    StockDrawn,
    StockWasted,
    WasteReason,
    draws_id,
    stock_id,
)
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.store import EventStore
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command
from carecoord.services.medication.commands import administer_dose, prescribe
from carecoord.services.medication.dispensing import GivenDose
from carecoord.services.medication.induction import INITIAL_DOSE
from carecoord.services.medication.prescribing import NewOrder
from carecoord.services.medication.rules import DEFAULT_RULES
from carecoord.services.stock.commands import receive, waste
from carecoord.services.stock.lot_draws import LotDraws
from carecoord.services.stock.movements import Receipt, Waste
from carecoord.services.stock.record import Ledger, SiteStock

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
DOCTOR = Stamp(Actor(id="dr-lee", role=Role.PRESCRIBER))
NURSE = Stamp(Actor(id="nurse-kim", role=Role.NURSE))
RECEIPT = Receipt(
    "M-1", "methadone", "oral solution", Decimal(100), 1, OrderForm.DEA_222, "222-1",
    "Mallinckrodt", "RM1234563", date.today() + timedelta(days=300),
)  # fmt: skip


@pytest.fixture
def buses(two_stores: tuple[EventStore, EventStore]) -> Iterator[tuple[CommandBus, CommandBus]]:
    pair = CommandBus(two_stores[0]), CommandBus(two_stores[1])
    yield pair
    for bus in pair:
        bus.close()


def received(bus: CommandBus, name: str) -> str:
    """A site of its own, named ``name`` and a tag, holding lot M-1 as ``RECEIPT`` brings it."""
    site = f"{name} {uuid.uuid4().hex[:8]}"
    bus.execute_sync(receive(NURSE, site=site, receipt=RECEIPT, rules=DEFAULT_RULES))
    return site


def doses_of(clients: list[tuple[uuid.UUID, uuid.UUID]]) -> list[Command[uuid.UUID]]:
    """A 60 mg dose from lot M-1 for each of ``clients``, under its order."""
    return [
        administer_dose(
            NURSE,
            client_id=client_id,
            dose=GivenDose(order, Decimal(60), "oral solution", lot="M-1"),
        )
        for client_id, order in clients
    ]


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
    site = received(buses[0], "Draw OTP")
    clients = ordered(buses[0], site, 6)

    doses = doses_of(clients)
    sent = [buses[n % processes].submit(dose) for n, dose in enumerate(doses)]

    refused = [f.exception(timeout=30) for f in sent if f.exception(timeout=30) is not None]
    assert len(refused) == len(clients) - 1
    assert all(isinstance(r, RuleViolation) and r.rule == "on-hand" for r in refused)
    stored = [item.event for item in two_stores[0].read(0, 10_000)]
    drawn = [e.quantity for e in stored if isinstance(e, StockDrawn) and e.site == site]
    assert drawn == [Decimal(60)]
    given = {c for c, _ in clients}
    assert sum(isinstance(e, DoseAdministered) and e.client_id in given for e in stored) == 1


@pytest.mark.parametrize("processes", [1, 2])
@pytest.mark.parametrize("order", [("dose", "waste"), ("waste", "dose")])
@pytest.mark.parametrize("at_once", [False, True], ids=["one-after", "at-once"])
def test_a_waste_and_a_dose_at_once_do_not_take_the_lot_below_zero(
    processes: int,
    order: tuple[str, str],
    at_once: bool,
    buses: tuple[CommandBus, CommandBus],
    two_stores: tuple[EventStore, EventStore],
) -> None:
    """One after the other: the second is submitted once the first is stored, decided on
    what its process read before (the worst moment); at once: whichever comes first."""
    site = received(buses[0], "Waste OTP")
    ((client_id, order_id),) = ordered(buses[0], site, 1)
    for store in two_stores:  # each process has read the lot as it stood before either
        store.load(SiteStock, stock_id(site))
        store.load(LotDraws, draws_id(site, "M-1"))
    ledger = Ledger(two_stores[0].last_position(), datetime.now(UTC))  # no doses yet
    spilled = Waste("M-1", Decimal(60), WasteReason.SPILL, "cup knocked over", "nurse-ola")
    dose = GivenDose(order_id, Decimal(60), "oral solution", lot="M-1")
    commands: dict[str, tuple[CommandBus, Any]] = {
        "waste": (
            buses[0],
            waste(NURSE, site=site, waste=spilled, ledger=ledger, rules=DEFAULT_RULES),
        ),
        "dose": (buses[processes - 1], administer_dose(NURSE, client_id=client_id, dose=dose)),
    }
    sent: dict[str, Future[Any]] = {}
    for name in order:
        bus, command = commands[name]
        sent[name] = bus.submit(command)
        if not at_once:
            sent[name].exception(timeout=30)

    refused = {name: f.exception(timeout=30) for name, f in sent.items() if f.exception(timeout=30)}
    ((name, refusal),) = refused.items()
    assert at_once or name == order[1]
    assert isinstance(refusal, RuleViolation)
    assert (refusal.field, refusal.rule) == ("quantity" if name == "waste" else "lot", "on-hand")
    assert "lot M-1 holds 40 mg" in refusal.message
    stored = [item.event for item in two_stores[0].read(0, 10_000)]
    taken = [
        e.quantity for e in stored if isinstance(e, StockDrawn | StockWasted) and e.site == site
    ]
    assert sum(taken) == Decimal(60)


def test_a_receipt_in_one_process_is_drawn_on_by_the_next_dose_in_the_other(
    buses: tuple[CommandBus, CommandBus],
    two_stores: tuple[EventStore, EventStore],
) -> None:
    """The second process has the site's record cached from its first dose and has not
    heard of the receipt (as between a write and its NOTIFY): it refused the dose, the lot
    holding 40 mg by its copy, though 140 mg was stored."""
    site = received(buses[0], "Receipt OTP")
    doses = doses_of(ordered(buses[0], site, 2))
    buses[1].execute_sync(doses[0])
    more = replace(RECEIPT, order_form_number="222-2")
    buses[0].execute_sync(receive(NURSE, site=site, receipt=more, rules=DEFAULT_RULES))

    buses[1].execute_sync(doses[1])

    stored = [item.event for item in two_stores[0].read(0, 10_000)]
    drawn = [e.quantity for e in stored if isinstance(e, StockDrawn) and e.site == site]
    assert drawn == [Decimal(60), Decimal(60)]
