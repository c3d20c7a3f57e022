"""The entry a correction, a hold or a discontinuation changes: a recipient sent the entry
is sent its change under the same consent (``disclose_events``), or its copy of the record
stays as it was, a dose entered in error still given."""

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
    MedicationPrescribed,
    MedicationStatementEnteredInError,
    MedicationStatementRecorded,
    OrderDiscontinued,
    OrderEnteredInError,
    OrderHeld,
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

_ORDERS = (MedicationPrescribed, DoseChanged, TaperOrdered)
NAMING_ITS_ENTRY: dict[type[CareEvent], tuple[str, tuple[type[CareEvent], ...]]] = {
    DoseEnteredInError: ("dose_id", (DoseAdministered,)),
    TakeHomeEnteredInError: ("dispense_id", (TakeHomeDispensed,)),
    MedicationStatementEnteredInError: ("statement_id", (MedicationStatementRecorded,)),
    OrderHeld: ("order_id", _ORDERS),
    OrderDiscontinued: ("order_id", _ORDERS),
    OrderEnteredInError: ("order_id", _ORDERS),
}
"""A change naming its entry by the entry's own id: the field, which the events recording
such an entry hold too, and their types."""


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
    field, recording = NAMING_ITS_ENTRY[kind]
    entry = getattr(change, field)
    found = (e for e in history if isinstance(e, recording) and getattr(e, field) == entry)
    return next((e.event_id for e in found), None)
