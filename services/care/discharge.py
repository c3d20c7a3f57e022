"""What a discharge closes in its own transaction, by new events beside ``ClientDischarged``
(docs/episodes.md, "What a discharge closes").

Sessions booked to begin at or after the discharge are cancelled (``SessionCancelled``, reason
``client_discharged``): cancelled before they began, not late, dated at the discharge. The client's
time is free, and so is the leader's once every member of the session has cancelled
(``calendar.py`` reads the members' records), so the slot is booked again; a cancellation
counts for no no-show run. Refusing the discharge instead would hold up one nobody plans (a
death, an arrest, a client who left) until someone cancelled each session by hand, with the
same event.

A guest-dosing arrangement in force on the discharge's day or later ends from that day
(``GuestDosingEnded``, dated at the discharge or at its arranging if later): the orders it
told the other site to dose by are ended already (``orders-in-force``), so it stands for
nothing; one not yet begun ends on its first day.

A consent the client gave until discharge (``expiresOn: DISCHARGE``) expires with it
(``ConsentExpired``, dated at the discharge): its grants and disclosures end on the consent
record itself, which every access decision waits for, and a readmission does not revive it.
"""

from __future__ import annotations

from datetime import datetime

from carecoord.events.consent import ExpiryEvent
from carecoord.events.therapy import CancellationReason
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import dispensing
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.therapy.record import TherapyRecord

CLOSED_BY_DISCHARGE = "client discharged"
"""The reason each guest-dosing end gives."""


def cancel_sessions(
    record: TherapyRecord, stamp: Stamp, discharged_at: datetime, enrolled_at: datetime | None
) -> None:
    """Cancel every session of the client with no outcome that begins at or after
    ``discharged_at``, dated then (or when it was booked, if that was later)."""
    for session_id, session in list(record.sessions.items()):
        if not session.open or session.scheduled_for < discharged_at:
            continue
        when = max(discharged_at, session.opened)
        record.record(
            record.cancel(
                stamp,
                session_id,
                CancellationReason.CLIENT_DISCHARGED,
                "",
                when,
                enrolled_at=enrolled_at,
            )
        )


def end_guest_dosing(record: MedicationRecord, stamp: Stamp, discharged_at: datetime) -> None:
    """End each guest-dosing arrangement that covers the discharge's program day or a later
    one, from that day (or its first day, if it begins later), dated at the discharge (or
    when it was arranged, if that was later: it did not end before it began)."""
    day = stamp.day(discharged_at)
    for guest_dosing_id, guest in list(record.guest_dosing.items()):
        ended_on = max(day, guest.start)
        if ended_on > guest.end:  # over, or ended before it began
            continue
        dispensing.end_guest_dosing(
            record,
            stamp,
            guest_dosing_id=guest_dosing_id,
            ended_on=ended_on,
            reason=CLOSED_BY_DISCHARGE,
            occurred_at=max(discharged_at, guest.arranged_at),
        )


def expire_consents(record: ConsentRecord, stamp: Stamp, discharged_at: datetime) -> None:
    """End each consent in force that the client gave until their discharge."""
    record.expire_on(stamp, ExpiryEvent.DISCHARGE, discharged_at)
