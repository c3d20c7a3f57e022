"""The demo clients (``carecoord up --demo``) load on a fresh store within the rules the
platform enforces: each with an order and three days of doses given, the methadone client at
an initial dose the induction cap allows without an acknowledgement."""

from __future__ import annotations

from carecoord.events.medication import DoseAdministered, MedicationPrescribed
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.store import EventStore
from carecoord.services.runtime import demo


def test_the_demo_clients_load_with_their_doses_and_load_once(
    two_stores: tuple[EventStore, EventStore],
) -> None:
    store, _ = two_stores
    bus = CommandBus(store, batch_max=100)
    try:
        ids = demo.load(bus)
        assert demo.load(bus) == ids
    finally:
        bus.close()

    events = [p.event for p in store.read(0, 1000)]
    ordered = [e for e in events if isinstance(e, MedicationPrescribed)]
    assert sorted(e.client_id for e in ordered) == sorted(ids)
    assert sum(isinstance(e, DoseAdministered) for e in events) == 9
