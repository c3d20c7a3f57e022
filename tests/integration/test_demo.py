"""The demo clients (``carecoord up --demo``) load on a fresh store within the rules the
platform enforces: each with an order and three days of doses given, the methadone client at
an initial dose the induction cap allows without an acknowledgement."""

from __future__ import annotations

from typing import Any

import pytest

from carecoord.events.careteam import CareTeamMemberAssigned
from carecoord.events.medication import DoseAdministered, MedicationPrescribed
from carecoord.services.infrastructure.commands import CommandBus, Outcome
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


class _StoppedBus(CommandBus):
    """A bus whose process stops after ``left`` commands (Ctrl-C as the demo loads)."""

    def __init__(self, store: EventStore, left: int) -> None:
        super().__init__(store)
        self.left = left

    def execute_sync(self, command: Any, *, key: Any = None) -> Outcome[Any]:
        if self.left == 0:
            raise KeyboardInterrupt
        self.left -= 1
        return super().execute_sync(command, key=key)


def test_a_demo_load_cut_short_is_finished_at_the_next_start(
    two_stores: tuple[EventStore, EventStore],
) -> None:
    """A client enrolled as the load stopped was skipped by every later load: left without
    its care team, order or doses, the demo tokens were refused for it."""
    store, _ = two_stores
    stopped = _StoppedBus(store, left=10)  # the first client whole, the second begun
    try:
        with pytest.raises(KeyboardInterrupt):
            demo.load(stopped)
    finally:
        stopped.close()
    bus = CommandBus(store)
    try:
        ids = demo.load(bus)
    finally:
        bus.close()

    events = [p.event for p in store.read(0, 1000)]
    assert sum(isinstance(e, CareTeamMemberAssigned) for e in events) == 2 * len(ids)
    assert sorted(e.client_id for e in events if isinstance(e, MedicationPrescribed)) == sorted(ids)
    assert sum(isinstance(e, DoseAdministered) for e in events) == 9
