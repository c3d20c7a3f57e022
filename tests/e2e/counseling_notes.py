"""A client whose record holds one SUD counseling note, written by a therapist on their care
team beside a colleague: where the tests of who may read such notes begin."""

from __future__ import annotations

from carecoord.events import Role
from support import Api, ago, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
SCHEDULE = mutation("ScheduleSessionInput", "scheduleSession")
COUNSELING_NOTE = mutation("SessionNoteInput", "recordCounselingNote")
WRITER = "ther-notes"


async def client_with_a_note(api: Api, colleague: str) -> tuple[str, int]:
    """The client's id and the note's position; ``colleague`` is a therapist on the team."""
    enrolled = await api.ok(
        ENROLL,
        {"input": {"displayName": "Rae T.", "program": "OTP", "occurredAt": ago(days=2)}},
        role=Role.PROGRAM_ADMIN,
    )
    client_id = str(enrolled["enrollClient"]["id"])
    await api.join_care_team(client_id, Role.THERAPIST, WRITER)
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
        user=WRITER,
    )
    note = {"clientId": client_id, "sessionId": session["scheduleSession"]["id"], "note": "n"}
    noted = await api.ok(COUNSELING_NOTE, {"input": note}, role=Role.THERAPIST, user=WRITER)
    return client_id, int(noted["recordCounselingNote"]["position"])
