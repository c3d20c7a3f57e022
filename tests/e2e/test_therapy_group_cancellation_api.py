"""A program admin cancels a session for the program's closure, for their program's clients
only and with that reason only; a group session, one meeting, is cancelled for every member
still booked with cancelGroupSession, all or nothing, freeing its leader's hour. Before, a
program admin could not cancel at all, and a group was cancelled member by member."""

from __future__ import annotations

from typing import Any

import pytest
from test_idempotent_mutations import post
from test_therapy_cancellation_api import CANCEL
from test_therapy_sessions_api import SCHEDULE, Clinic, booking

from carecoord.events import Role
from carecoord.services.infrastructure.identity import issue_token
from support import Api, ago, ahead

pytestmark = pytest.mark.shared_platform

CANCEL_GROUP = """mutation($input: CancelGroupSessionInput!) {
  cancelGroupSession(input: $input) { id position } }"""


def admin_of(api: Api, program: str) -> str:
    return issue_token(
        api.platform.settings, f"admin-{program}", Role.PROGRAM_ADMIN, program=program
    )


def refusal(body: dict[str, Any]) -> tuple[str, str, str]:
    [error] = body["errors"]
    extensions = error["extensions"]
    return extensions["code"], extensions["field"], extensions["rule"]


async def cancelled(clinic: Clinic, client_id: str) -> list[dict[str, Any]]:
    return [
        n["facts"]
        for n in await clinic.timeline(client_id)
        if n["type"] == "therapy.SessionCancelled"
    ]


async def test_a_program_admin_closes_their_programs_sessions_and_no_others(api: Api) -> None:
    clinic = Clinic(api)
    client_id = await clinic.enroll("Flo")  # in program IOP
    slot = ahead(days=3)
    session_id = await clinic.send(SCHEDULE, **booking((client_id,), slot, ago(minutes=5)))
    begun = await clinic.book(client_id, when=ago(hours=2))
    closure = {"clientId": client_id, "sessionId": session_id, "reason": "PROGRAM_CLOSURE"}
    admin, elsewhere = admin_of(api, "IOP"), admin_of(api, "North OTP")

    other_reason = await api.gql(CANCEL, {"input": closure | {"reason": "OTHER"}}, token=admin)
    not_theirs = await api.gql(CANCEL, {"input": closure}, token=elsewhere)
    too_late = await api.gql(CANCEL, {"input": closure | {"sessionId": begun}}, token=admin)
    assert refusal(other_reason) == ("FORBIDDEN", "reason", "closure-only")
    assert refusal(not_theirs) == ("FORBIDDEN", "clientId", "admin-program")
    assert refusal(too_late) == ("NOT_FOUND", "sessionId", "unknown-session")
    closed = await api.ok(CANCEL, {"input": closure | {"note": "snowstorm"}}, token=admin)

    clinic.position = closed["cancelSession"]["position"]
    [facts] = await cancelled(clinic, client_id)
    assert (facts["session_id"], facts["reason"]) == (session_id, "program_closure")
    other = await clinic.enroll("Gus")
    await clinic.send(SCHEDULE, **booking((other,), slot, ago(minutes=1)))  # the hour is free


async def test_a_group_session_is_cancelled_for_every_member_at_once(api: Api) -> None:
    clinic = Clinic(api)
    members = [await clinic.enroll(name) for name in ("Hal", "Ida", "Jo")]
    slot = ahead(days=5)
    session_id = await clinic.send(SCHEDULE, **booking(tuple(members), slot, ago(minutes=5)))
    given = {"sessionId": session_id, "clientIds": members, "reason": "CLINICIAN_UNAVAILABLE"}
    before = clinic.position

    left_out = await clinic.refusal(CANCEL_GROUP, **given | {"clientIds": members[:2]})
    wordy = await clinic.refusal(CANCEL_GROUP, **given | {"note": "x" * 501})
    assert (left_out["code"], left_out["field"], left_out["rule"]) == (
        "RULE_VIOLATION", "clientIds", "every-member",
    )  # fmt: skip
    assert members[2] in left_out["message"]
    assert (wordy["code"], wordy["field"]) == ("BAD_USER_INPUT", "note")
    assert clinic.position == before

    variables = {"input": given | {"note": "therapist ill"}}
    first, again = [
        await post(
            api, CANCEL_GROUP, variables, key="cancel-group-1", role=Role.THERAPIST,
            user=clinic.therapist,
        )
        for _ in range(2)
    ]  # fmt: skip
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["data"] == first.json()["data"]
    clinic.position = first.json()["data"]["cancelGroupSession"]["position"]

    for member in members:
        [facts] = await cancelled(clinic, member)
        assert (facts["session_id"], facts["reason"], facts["note"]) == (
            session_id, "clinician_unavailable", "therapist ill",
        )  # fmt: skip
    other = await clinic.enroll("Kai")
    await clinic.send(SCHEDULE, **booking((other,), slot, ago(minutes=1)))  # the leader's hour
