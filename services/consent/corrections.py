"""The entry a correction, a hold, a discontinuation or another change of it (a dose change,
a taper, a hold lifted, an order back in force, a statement or a guest stay ended) changes: a
recipient sent the entry is sent its change under the same consent (``disclose_events``), or
its copy of the record stays as it was, a dose entered in error still given."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from carecoord.events import CareEvent
from carecoord.events.checkins import CheckInEnteredInError
from carecoord.events.medication import (
    DoseAdministered,
    DoseChanged,
    DoseEnteredInError,
    DoseNotGivenEnteredInError,
    GuestDosingArranged,
    GuestDosingEnded,
    MedicationPrescribed,
    MedicationStatementEnded,
    MedicationStatementEnteredInError,
    MedicationStatementRecorded,
    OrderDiscontinued,
    OrderEnteredInError,
    OrderHeld,
    OrderReinstated,
    OrderResumed,
    TakeHomeDispensed,
    TakeHomeEnteredInError,
    TaperOrdered,
)
from carecoord.events.therapy import SessionOutcomeCorrected

NAMING_ITS_EVENT: dict[type[CareEvent], str] = {
    SessionOutcomeCorrected: "corrects_event_id",
    CheckInEnteredInError: "entry_event_id",
    DoseNotGivenEnteredInError: "entry_id",
}
"""A change naming the event that recorded its entry, by the field naming it."""

_ORDER = ("order_id", "order_id", (MedicationPrescribed, DoseChanged, TaperOrdered))
_REPLACED = ("prior_order_id", "order_id", _ORDER[2])
_STATEMENT = ("statement_id", "statement_id", (MedicationStatementRecorded,))
NAMING_ITS_ENTRY: dict[type[CareEvent], tuple[str, str, tuple[type[CareEvent], ...]]] = {
    DoseEnteredInError: ("dose_id", "dose_id", (DoseAdministered,)),
    TakeHomeEnteredInError: ("dispense_id", "dispense_id", (TakeHomeDispensed,)),
    MedicationStatementEnteredInError: _STATEMENT,
    MedicationStatementEnded: _STATEMENT,
    GuestDosingEnded: ("guest_dosing_id", "guest_dosing_id", (GuestDosingArranged,)),
    OrderHeld: _ORDER,
    OrderResumed: _ORDER,
    OrderDiscontinued: _ORDER,
    OrderEnteredInError: _ORDER,
    OrderReinstated: _ORDER,
    DoseChanged: _REPLACED,
    TaperOrdered: _REPLACED,
}
"""A change naming its entry by the entry's own id: its field naming it, the field of the
events recording such an entry that holds it, and their types (a dose change or a taper
replaces the order its ``prior_order_id`` names)."""


def needs_history(change: CareEvent) -> bool:
    """Whether the event recording ``change``'s entry is found only in its context's
    history (``entry_event``)."""
    return type(change) in NAMING_ITS_ENTRY


def entry_event(change: CareEvent, history: Iterable[CareEvent] = ()) -> UUID | None:
    """The id of the event that recorded the entry ``change`` corrects, holds or stops,
    looked for in ``history`` (the client's events of ``change``'s context) where the change
    names the entry by its own id; None for any other event, or an entry not found."""
    kind = type(change)
    if kind in NAMING_ITS_EVENT:
        named: UUID = getattr(change, NAMING_ITS_EVENT[kind])
        return named
    if kind not in NAMING_ITS_ENTRY:
        return None
    naming, field, recording = NAMING_ITS_ENTRY[kind]
    entry = getattr(change, naming)
    found = (e for e in history if isinstance(e, recording) and getattr(e, field) == entry)
    return next((e.event_id for e in found), None)
