"""A closure made in error is lifted by its program's admin with liftProgramClosure: sessions
are booked in its span again, and the one it cancelled stays cancelled. Before, nothing lifted
one, and every booking in the span was refused (program-closed) until it ended."""

from __future__ import annotations

import pytest
from test_program_closure_api import ProgramClinic, closed
from test_therapy_group_cancellation_api import admin_of, cancelled

from carecoord.events import Role
from support import Api, ago, ahead

pytestmark = pytest.mark.shared_platform

LIFT = """mutation($input: LiftProgramClosureInput!) {
  liftProgramClosure(input: $input) { id position } }"""


async def test_a_closure_lifted_takes_bookings_again_and_only_its_admin_lifts_it(
    api: Api,
) -> None:
    clinic = ProgramClinic(api)
    ann = await clinic.enroll("Ann")
    first = await clinic.book(ann, when=ahead(days=2, hours=2))
    span = {"from": ahead(days=2), "until": ahead(days=3)}
    admin = admin_of(api, clinic.program)
    await closed(api, admin, span | {"note": "snowstorm"})
    shut = await clinic.refusal(
        "mutation($input: ScheduleSessionInput!) { scheduleSession(input: $input) { id } }",
        clientIds=[ann], modality="CBT", format="INDIVIDUAL", scheduledFor=ahead(days=2, hours=4),
        plannedMinutes=50, occurredAt=ago(minutes=1),
    )  # fmt: skip
    assert shut["rule"] == "program-closed"
    given = span | {"reason": "the storm passed"}
    therapist = await api.gql(LIFT, {"input": given}, role=Role.THERAPIST, user=clinic.therapist)
    assert therapist["errors"][0]["extensions"]["rule"] == "role-may-record"

    headers = {"Authorization": f"Bearer {admin}"}
    body = {"query": LIFT, "variables": {"input": given}}
    lifted = (await api.http.post("/graphql", json=body, headers=headers)).json()
    again = (await api.http.post("/graphql", json=body, headers=headers)).json()

    assert lifted["data"]["liftProgramClosure"]["id"]
    assert again["errors"][0]["extensions"] | {"code": None} == {
        "code": None, "field": "from", "rule": "closure-unknown",
    }  # fmt: skip
    booked = await clinic.book(ann, when=ahead(days=2, hours=4))
    clinic.position = max(clinic.position, lifted["data"]["liftProgramClosure"]["position"])
    assert [f["session_id"] for f in await cancelled(clinic, ann)] == [first]
    assert booked != first
