"""Each correction, hold, discontinuation or other change of an entry finds the event that
recorded its entry in its client's history of its context, as the disclosure forwarder looks
for it (``corrections.entry_event``): the entry it was sent is what lets the change go to a
recipient. Checked over a record of every event type."""

from __future__ import annotations

from every_event import every_event

from carecoord.events.envelope import type_name
from carecoord.events.medication import DoseAdministered, OrderHeld
from carecoord.services.consent.corrections import (
    NAMING_ITS_ENTRY,
    NAMING_ITS_EVENT,
    entry_event,
    needs_history,
)


def test_every_change_in_the_record_finds_the_event_of_its_entry_before_it() -> None:
    events = every_event().events
    changes = [e for e in events if type(e) in NAMING_ITS_ENTRY | NAMING_ITS_EVENT]
    assert {type(e) for e in changes} == set(NAMING_ITS_ENTRY) | set(NAMING_ITS_EVENT)
    found = {}
    for change in changes:
        history = [e for e in events if e.context == change.context]
        entry = entry_event(change, history)
        earlier = {e.event_id: e for e in events[: events.index(change)]}
        assert entry in earlier, type_name(type(change))
        found[type_name(type(change))] = type_name(type(earlier[entry]))
    assert found["medication.DoseEnteredInError"] == type_name(DoseAdministered)
    assert found["medication.DoseChanged"] == "medication.MedicationPrescribed"


def test_an_entry_not_in_the_history_is_not_found_and_other_events_name_none() -> None:
    events = every_event().events
    held = next(e for e in events if isinstance(e, OrderHeld))
    assert needs_history(held)
    assert entry_event(held, []) is None
    given = next(e for e in events if isinstance(e, DoseAdministered))
    assert not needs_history(given)
    assert entry_event(given, events) is None
