"""A client whose record holds one SUD counseling note, written by a therapist on their care
team beside a colleague: where the tests of who may read such notes begin."""

from __future__ import annotations

from uuid import uuid4

from carecoord.events import Role
from support import Api, ago, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
SCHEDULE = mutation("ScheduleSessionInput", "scheduleSession")
COUNSELING_NOTE = mutation("SessionNoteInput", "recordCounselingNote")


async def client_with_a_note(api: Api, colleague: str) -> tuple[str, int]:
    """The client's id and the note's position; ``colleague`` is a therapist on the team.
    The note's writer is a therapist of the client's own: one therapist leads one session at
    a time, and every such client's session is booked for the same time."""
    writer = f"ther-notes-{uuid4().hex[:8]}"
    enrolled = await api.ok(
        ENROLL,
        {"input": {"displayName": "Rae T.", "program": "OTP", "occurredAt": ago(days=2)}},
        role=Role.PROGRAM_ADMIN,
    )
    client_id = str(enrolled["enrollClient"]["id"])
    await api.join_care_team(client_id, Role.THERAPIST, writer)
    await api.join_care_team(client_id, Role.THERAPIST, colleague)
    session = await api.ok(
        SCHEDULE,
        {
            "input": {
                "clientIds": [client_id],
                "modality": "CBT",
                "format": "INDIVIDUAL",
                "scheduledFor": ago(minutes=30),
                "plannedMinutes": 50,
            }
        },
        role=Role.THERAPIST,
        user=writer,
    )
    note = {"clientId": client_id, "sessionId": session["scheduleSession"]["id"], "note": "n"}
    noted = await api.ok(COUNSELING_NOTE, {"input": note}, role=Role.THERAPIST, user=writer)
    return client_id, int(noted["recordCounselingNote"]["position"])
