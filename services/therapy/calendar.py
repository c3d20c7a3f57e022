"""A clinician's calendar: the sessions they lead, so that one is booked to lead one session
at a time (``therapist-booked-then``), as a client is booked into one (``client-booked-then``).

Every booking records ``ClinicianBooked`` on its leader's calendar (``calendar_id``), once
for a group, in the transaction that books its members: two bookings of one clinician at
once, even from two API processes, write the one record, and the second conflicts and is
decided again on the calendar as the first left it. A read model of the sessions could not
tell: it may not yet hold the first. A session holds the clinician's time while any of its
members' records holds it (a cancellation or a late one frees a client's time, and the
clinician's once every member's session is cancelled); the members' records are read, not
the calendar, so a cancellation needs no entry here.

A session booked before calendars were kept is put on its leader's calendar as the platform
starts (``booked_before``, run by ``services/runtime/calendars.py``), so it holds their time
as one booked since does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from carecoord.events import CareEvent
from carecoord.events.therapy import ClinicianBooked
from carecoord.services.kernel.aggregate import Aggregate
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.therapy.record import Booking
from carecoord.services.therapy.slots import Slot


@dataclass(frozen=True, slots=True)
class Led:
    """A session on the calendar: its time and its members."""

    slot: Slot
    client_ids: tuple[UUID, ...]


Holds = Callable[[UUID, Led], bool]
"""Whether the session still holds its time (read from its members' records)."""


class Calendar(Aggregate, context="therapy"):
    def __init__(self, calendar: UUID) -> None:
        super().__init__(calendar)
        self.sessions: dict[UUID, Led] = {}

    def apply(self, event: CareEvent) -> None:
        if isinstance(event, ClinicianBooked):
            slot = Slot(event.scheduled_for, event.planned_minutes)
            self.sessions[event.session_id] = Led(slot, tuple(event.client_ids))

    def book(
        self,
        stamp: Stamp,
        booking: Booking,
        client_ids: Sequence[UUID],
        occurred_at: datetime | None,
        holds: Holds,
    ) -> None:
        """Refuse a booking during another session the clinician leads that still holds its
        time; else record it here."""
        self.require_free(
            booking.clinician_id,
            booking.slot,
            holds,
            "scheduledFor",
            "book another time, name another clinicianId, or cancel that session",
        )
        self._on_calendar(stamp, booking, client_ids, occurred_at)

    def require_free(
        self,
        clinician_id: str,
        slot: Slot,
        holds: Holds,
        field: str,
        then: str,
        but: UUID | None = None,
    ) -> None:
        """Refuse ``slot`` while another session than ``but`` the clinician leads holds it
        (``then`` says what to do about that session)."""
        for session_id, led in self.sessions.items():
            if session_id != but and led.slot.overlaps(slot) and holds(session_id, led):
                raise RuleViolation(
                    field,
                    "therapist-booked-then",
                    f"clinician {clinician_id} leads session {session_id} then"
                    f" ({led.slot.said()}); {then}",
                )

    def booked_before(
        self, stamp: Stamp, booking: Booking, client_ids: Sequence[UUID], booked_at: datetime
    ) -> bool:
        """Put a session booked before calendars were kept here, as its booking would have,
        dated when it was booked and whatever it overlaps (it was booked); False when it is
        here already (a second run, or one cut short)."""
        if booking.session_id in self.sessions:
            return False
        self._on_calendar(stamp, booking, client_ids, booked_at)
        return True

    def _on_calendar(
        self,
        stamp: Stamp,
        booking: Booking,
        client_ids: Sequence[UUID],
        occurred_at: datetime | None,
    ) -> None:
        self.record(
            _signed_for(stamp, self.client_id).event(
                ClinicianBooked,
                self.client_id,
                occurred_at,
                clinician_id=booking.clinician_id,
                session_id=booking.session_id,
                scheduled_for=booking.scheduled_for,
                planned_minutes=booking.planned_minutes,
                client_ids=list(client_ids),
            )
        )


def _signed_for(stamp: Stamp, calendar: UUID) -> Stamp:
    """The booking's stamp, signing the leader's calendar too: the gate admitted the booking
    for its clients, the leader is on each one's care team (``leaders.require_leader``), and
    the calendar is no client's record."""
    if stamp.clients is None:
        return stamp
    return replace(stamp, clients=stamp.clients | {calendar})
