"""A session note written on the wrong client's session is marked entered in error through
the API: the timeline reads the correction beside the note, kept as written, and the FHIR
export's DocumentReference is entered-in-error. Before, no mutation said anything of a note,
and a note about another client stayed on this client's record as theirs."""

from __future__ import annotations

from typing import Any

import pytest
from test_therapy_sessions_api import NOTE, Clinic

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

IN_ERROR = """mutation($input: NoteInErrorInput!) {
  markSessionNoteEnteredInError(input: $input) { id position } }"""
NOTES = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 100) {
    nodes { eventId type summary } } }"""
EXPORT = """query($id: UUID!) { exportClientRecord(clientId: $id, format: FHIR) { bundle } }"""


async def test_a_note_marked_in_error_stays_on_the_timeline_marked_and_in_the_export(
    api: Api,
) -> None:
    clinic = Clinic(api)
    client_id = await clinic.enroll("Ola")
    session_id = await clinic.book(client_id)
    await clinic.send(NOTE, clientId=client_id, sessionId=session_id, note="Meant for Ida.")
    nodes = await timeline(clinic, client_id)
    [note] = [n for n in nodes if n["type"] == "therapy.SessionNoteRecorded"]

    marked = await clinic.send(
        IN_ERROR, clientId=client_id, noteId=note["eventId"], reason="wrong client's session"
    )
    again = await clinic.refusal(IN_ERROR, clientId=client_id, noteId=note["eventId"], reason="x")

    assert marked == note["eventId"]
    assert (again["field"], again["rule"]) == ("noteId", "note-in-error")
    types = [(n["type"], n["summary"]) for n in await timeline(clinic, client_id)][-2:]
    assert types == [
        ("therapy.SessionNoteRecorded", "Session note recorded"),
        (
            "therapy.SessionNoteEnteredInError",
            "Session note entered in error (wrong client's session)",
        ),
    ]
    bundle = (await api.ok(EXPORT, {"id": client_id}, role=Role.AUDITOR))["exportClientRecord"]
    [document] = [
        e["resource"] for e in bundle["bundle"]["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
    ]  # fmt: skip
    assert (document["id"], document["status"]) == (note["eventId"], "entered-in-error")


async def timeline(clinic: Clinic, client_id: str) -> list[dict[str, Any]]:
    data = await clinic.api.ok(
        NOTES, {"id": client_id, "atLeast": clinic.position}, role=Role.THERAPIST,
        user=clinic.therapist,
    )  # fmt: skip
    nodes: list[dict[str, Any]] = data["clientTimeline"]["nodes"]
    return nodes
