"""Therapy as FHIR R4: each client's part in a session is an Encounter (a group session is one
Encounter per member, all naming the session), and notes are DocumentReferences; an SUD
counseling note carries the restricted and substance-use labels. A corrected outcome sets
the Encounter's status anew, with a Provenance (UPDATE) giving who corrected it and why.
``length`` is the planned length until there is an outcome, then how long it lasted: an
attended session's, none for one not attended (nor for one corrected to that)."""

from __future__ import annotations

import base64
from uuid import UUID

from carecoord.events.therapy import (
    CounselingNoteEnteredInError,
    CounselingNoteRecorded,
    SessionAttended,
    SessionCancelled,
    SessionLateCancelled,
    SessionNoShow,
    SessionNoteEnteredInError,
    SessionNoteRecorded,
    SessionOutcome,
    SessionOutcomeCorrected,
    SessionScheduled,
)
from carecoord.projections.audit.fhir import (
    ACT_CODE,
    BASE,
    CONFIDENTIALITY,
    Resource,
    Resources,
    derived_id,
    handlers,
    instant,
    member,
    party,
    patient,
    provenance,
    reference,
    text,
)

SESSION = f"{BASE}/NamingSystem/session"
OUTCOME = f"{BASE}/StructureDefinition/session-outcome"
# An SUD counseling note: restricted, and substance-use information (42 CFR Part 2).
NOTE_LABELS = [
    {"coding": [{"system": CONFIDENTIALITY, "code": "R"}]},
    {"coding": [{"system": ACT_CODE, "code": "ETH"}]},
]


def encounter_id(session_id: UUID, client_id: UUID) -> str:
    """One client's Encounter of a session (a group session has one per member)."""
    return derived_id("Encounter", session_id, client_id)


def scheduled(res: Resources, event: SessionScheduled) -> None:
    res.new(
        event,
        {
            "resourceType": "Encounter",
            "id": encounter_id(event.session_id, event.client_id),
            "identifier": [{"system": SESSION, "value": str(event.session_id)}],
            "status": "planned",
            "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
            "type": [text(f"{event.format.value} {event.modality.value}")],
            "subject": patient(event),
            "participant": [{"individual": member(event.clinician_id)}],
            "period": {"start": instant(event.scheduled_for)},
            "length": {"value": event.planned_minutes, "unit": "min"},
        },
    )


def _outcome(
    res: Resources,
    event: SessionAttended
    | SessionCancelled
    | SessionLateCancelled
    | SessionNoShow
    | SessionOutcomeCorrected,
    status: str,
    outcome: str,
) -> Resource | None:
    found = res.change(event, "Encounter", encounter_id(event.session_id, event.client_id))
    if found is not None:
        found["status"] = status
        found["extension"] = [{"url": OUTCOME, "valueCode": outcome}]
        found.pop("length", None)  # what it lasted: an attended outcome gives it again
    return found


def attended(res: Resources, event: SessionAttended) -> None:
    found = _outcome(res, event, "finished", "attended")
    if found is not None:
        found["length"] = {"value": event.duration_minutes, "unit": "min"}


def late_cancelled(res: Resources, event: SessionLateCancelled) -> None:
    _outcome(res, event, "cancelled", "late-cancelled")


def cancelled(res: Resources, event: SessionCancelled) -> None:
    """Cancelled before it began: no outcome, its note stays on the timeline."""
    _outcome(res, event, "cancelled", "cancelled")


def no_show(res: Resources, event: SessionNoShow) -> None:
    _outcome(res, event, "cancelled", "no-show")


CORRECTED = {
    SessionOutcome.ATTENDED: ("finished", "attended"),
    SessionOutcome.LATE_CANCELLED: ("cancelled", "late-cancelled"),
    SessionOutcome.NO_SHOW: ("cancelled", "no-show"),
}


def corrected(res: Resources, event: SessionOutcomeCorrected) -> None:
    encounter = encounter_id(event.session_id, event.client_id)
    found = _outcome(res, event, *CORRECTED[event.outcome])
    if found is None:
        return
    if event.duration_minutes is not None:
        found["length"] = {"value": event.duration_minutes, "unit": "min"}
    why = f"{event.previous_outcome.value} corrected: {event.reason}" if event.reason else ""
    masked = res.masked(event, "reason")
    res.new(
        event, provenance(event, reference("Encounter", encounter), "UPDATE", why, masked=masked)
    )


def noted(res: Resources, event: SessionNoteRecorded | CounselingNoteRecorded) -> None:
    counseling = isinstance(event, CounselingNoteRecorded)
    document: Resource = {
        "resourceType": "DocumentReference",
        "id": str(event.event_id),
        "status": "current",
        "type": text("SUD counseling note" if counseling else "Session progress note"),
        "subject": patient(event),
        "date": instant(event.occurred_at),
        "author": [party(event.actor)],
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(event.note.encode()).decode(),
                }
            }
        ],
        "context": {
            "encounter": [reference("Encounter", encounter_id(event.session_id, event.client_id))]
        },
    }
    if counseling:
        document["securityLabel"] = NOTE_LABELS
    res.new(event, document)


def note_in_error(
    res: Resources, event: SessionNoteEnteredInError | CounselingNoteEnteredInError
) -> None:
    """The note's DocumentReference is nullified, never removed; the Provenance says who,
    when and why."""
    found = res.change(event, "DocumentReference", event.note_id)
    if found is None:
        return
    found["status"] = "entered-in-error"
    masked = res.masked(event, "reason")
    target = reference("DocumentReference", event.note_id)
    res.new(event, provenance(event, target, "NULLIFY", event.reason, masked=masked))


HANDLERS = handlers(
    scheduled, attended, cancelled, late_cancelled, no_show, corrected, noted, note_in_error
)
