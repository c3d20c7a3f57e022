"""cancelSession through the API: a session cancelled ahead (a therapist off sick) reads
"Cancelled cbt session" on the timeline, not "Late-cancelled", leaves the caseload's
upcoming sessions, frees the therapist's hour for another client, and is refused once
cancelled, once given an outcome and once begun (pointing to recordAttendance), and with a
note over 500 characters, recording nothing. The nurse's note on it is withheld from the
therapist, who sees no doses; a peer supporter is shown no therapy entry at all. Before, the
one way to cancel was a late cancellation, counted like a no-show for the schedule."""

from __future__ import annotations

from typing import Any

from test_therapy_sessions_api import ATTENDANCE, SCHEDULE, Clinic, booking

from carecoord.events import Role
from support import Api, ago, ahead

CANCEL = """mutation($input: CancelSessionInput!) {
  cancelSession(input: $input) { id position } }"""
TIMELINE = """query($id: UUID!, $atLeast: Seq, $kinds: [Kind!]) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 100, kinds: $kinds) {
    nodes { type summary withheld facts } } }"""
CASELOAD = """query($atLeast: Seq) { myCaseload(atLeast: $atLeast) {
  clients { clientId upcomingSessions nextSessionAt } } }"""
NURSE = "nurse-cancel"
PEER = "peer-cancel"
SICK = "therapist has the flu; offered Thursday"


async def therapy_entries(clinic: Clinic, client_id: str, role: Role, user: str) -> Any:
    data = await clinic.api.ok(
        TIMELINE, {"id": client_id, "atLeast": clinic.position, "kinds": ["THERAPY"]},
        role=role, user=user,
    )  # fmt: skip
    return [n for n in data["clientTimeline"]["nodes"] if n["type"] == "therapy.SessionCancelled"]


async def test_a_session_cancelled_ahead_frees_the_hour_and_reads_as_cancelled(api: Api) -> None:
    clinic = Clinic(api)
    client_id = await clinic.enroll("Ash")
    await api.join_care_team(client_id, Role.NURSE, NURSE)
    await api.join_care_team(client_id, Role.PEER_SUPPORTER, PEER)
    slot = ahead(days=7)
    session_id = await clinic.send(SCHEDULE, **booking((client_id,), slot, ago(minutes=5)))
    other = await clinic.enroll("Bo")
    refusal = await clinic.refusal(SCHEDULE, **booking((other,), slot, ago(minutes=1)))
    assert refusal["rule"] == "therapist-booked-then"

    cancelled = await api.ok(
        CANCEL, {"input": {"clientId": client_id, "sessionId": session_id,
                           "reason": "CLINICIAN_UNAVAILABLE", "note": SICK}},
        role=Role.NURSE, user=NURSE,
    )  # fmt: skip
    clinic.position = cancelled["cancelSession"]["position"]
    assert cancelled["cancelSession"]["id"] == session_id

    await clinic.send(SCHEDULE, **booking((other,), slot, ago(minutes=1)))  # the hour is free
    [nursed] = await therapy_entries(clinic, client_id, Role.NURSE, NURSE)
    assert (nursed["summary"], nursed["withheld"]) == ("Cancelled cbt session", [])
    assert (nursed["facts"]["reason"], nursed["facts"]["note"]) == ("clinician_unavailable", SICK)
    [told] = await therapy_entries(clinic, client_id, Role.THERAPIST, clinic.therapist)
    assert (told["facts"]["note"], told["withheld"]) == (None, ["note"])
    assert told["facts"]["reason"] == "clinician_unavailable"
    peered = await api.gql(
        TIMELINE, {"id": client_id, "atLeast": clinic.position, "kinds": ["THERAPY"]},
        role=Role.PEER_SUPPORTER, user=PEER,
    )  # fmt: skip
    assert peered["errors"][0]["extensions"]["rule"] == "kind-may-read"
    everything = await api.ok(
        TIMELINE, {"id": client_id, "atLeast": clinic.position}, role=Role.PEER_SUPPORTER,
        user=PEER,
    )  # fmt: skip
    assert not [n for n in everything["clientTimeline"]["nodes"] if SICK in str(n)]

    caseload = await api.ok(
        CASELOAD, {"atLeast": clinic.position}, role=Role.THERAPIST, user=clinic.therapist
    )
    upcoming = {c["clientId"]: c["upcomingSessions"] for c in caseload["myCaseload"]["clients"]}
    assert upcoming == {client_id: 0, other: 1}


async def test_a_cancellation_is_refused_once_closed_or_begun_recording_nothing(
    api: Api,
) -> None:
    clinic = Clinic(api)
    client_id = await clinic.enroll("Cy")
    other = await clinic.enroll("Di")
    coming = await clinic.send(SCHEDULE, **booking((client_id,), ahead(days=2), ago(days=1)))
    begun = await clinic.book(client_id, when=ago(hours=1))
    later = await clinic.send(SCHEDULE, **booking((client_id,), ahead(days=4), ago(days=1)))
    attended = await clinic.book(client_id, when=ago(days=3))
    await clinic.send(
        ATTENDANCE, sessionId=attended, durationMinutes=50,
        attendance=[{"clientId": client_id, "outcome": "ATTENDED"}],
    )  # fmt: skip
    await clinic.send(CANCEL, clientId=client_id, sessionId=coming, reason="CLIENT_REQUEST")
    before = clinic.position

    async def refused(session_id: str, client: str = client_id) -> dict[str, Any]:
        return await clinic.refusal(
            CANCEL, clientId=client, sessionId=session_id, reason="PROGRAM_CLOSURE"
        )

    again, closed, late, theirs = (
        await refused(coming), await refused(attended), await refused(begun),
        await refused(coming, other),
    )  # fmt: skip
    assert (again["field"], again["rule"]) == ("sessionId", "session-cancelled")
    assert (closed["field"], closed["rule"]) == ("sessionId", "outcome-recorded")
    assert (late["field"], late["rule"]) == ("sessionId", "cancelled-before-start")
    assert "recordAttendance" in late["message"]
    assert (theirs["field"], theirs["rule"]) == ("sessionId", "unknown-session")
    wordy = await clinic.refusal(
        CANCEL, clientId=client_id, sessionId=later, reason="OTHER", note="x" * 501
    )
    assert (wordy["code"], wordy["field"]) == ("BAD_USER_INPUT", "note")
    discharged = await clinic.refusal(
        CANCEL, clientId=client_id, sessionId=later, reason="CLIENT_DISCHARGED"
    )
    assert (discharged["code"], discharged["field"], discharged["rule"]) == (
        "BAD_USER_INPUT", "reason", "reason-of-discharge",
    )  # fmt: skip
    assert [n["type"] for n in await clinic.timeline(client_id)].count(
        "therapy.SessionCancelled"
    ) == 1
    assert clinic.position == before
    no_show = await clinic.refusal(
        ATTENDANCE, sessionId=coming, attendance=[{"clientId": client_id, "outcome": "NO_SHOW"}]
    )
    assert no_show["rule"] == "session-cancelled"


async def test_a_cancellation_dated_at_the_start_is_refused_and_the_no_show_kept(
    api: Api,
) -> None:
    """From a session's start on, its outcome is recorded: a cancellation dated at the start
    itself was kept, and the same session read as cancelled and, to the no-show sent beside
    it, as missed."""
    clinic = Clinic(api)
    client_id = await clinic.enroll("Ed")
    starts = ago(hours=1)
    session_id = await clinic.book(client_id, when=starts)

    at_start = await clinic.refusal(
        CANCEL, clientId=client_id, sessionId=session_id, reason="CLIENT_REQUEST",
        occurredAt=starts,
    )  # fmt: skip

    assert (at_start["code"], at_start["field"], at_start["rule"]) == (
        "RULE_VIOLATION", "occurredAt", "cancelled-before-start",
    )  # fmt: skip
    assert "recordAttendance" in at_start["message"]
    await clinic.send(
        ATTENDANCE, sessionId=session_id, attendance=[{"clientId": client_id, "outcome": "NO_SHOW"}]
    )
    types = [n["type"] for n in await clinic.timeline(client_id)]
    assert "therapy.SessionNoShow" in types
    assert "therapy.SessionCancelled" not in types
