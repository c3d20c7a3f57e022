"""Writes pass the same gate as reads: the role, and the relationship with the client now."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from test_access import BREAK_GLASS, END, enroll
from test_bad_input import PRESCRIBE, order

from carecoord.events import Role
from carecoord.projections import careteam
from support import Api, ahead

# Each test enrolls its own clients and reads nothing beyond them.
pytestmark = pytest.mark.shared_platform

DOSE = (
    """mutation($input: AdministerDoseInput!) { administerDose(input: $input) { id position } }"""
)
CHECK_IN = (
    """mutation($input: RecordCheckInInput!) { recordCheckIn(input: $input) { id position } }"""
)
SESSION = """mutation($input: ScheduleSessionInput!) { scheduleSession(input: $input) { id } }"""


async def refused(api: Api, query: str, variables: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """The one error of a refused mutation, after checking that nothing was recorded."""
    head = await asyncio.to_thread(api.platform.store.last_position)
    body = await api.gql(query, variables, **kw)
    assert body["data"] is None or all(v is None for v in body["data"].values())
    assert await asyncio.to_thread(api.platform.store.last_position) == head, "nothing recorded"
    (error,) = body["errors"]
    extensions: dict[str, Any] = error["extensions"]
    return extensions


def dose(client_id: str, order_id: str) -> dict[str, Any]:
    return {
        "input": {
            "clientId": client_id,
            "orderId": order_id,
            "amount": "60",
            "dosageForm": "oral solution",
        }
    }


async def test_a_clinician_off_the_care_team_records_nothing_for_the_client(api: Api) -> None:
    client_id = await enroll(api)
    prescribe = {"input": order(client_id)}

    before = await refused(api, PRESCRIBE, prescribe, role=Role.PRESCRIBER)
    await api.join_care_team(client_id, Role.PRESCRIBER)
    order_id = (await api.ok(PRESCRIBE, prescribe, role=Role.PRESCRIBER))["prescribeMedication"]
    nurse_off_team = await refused(api, DOSE, dose(client_id, order_id["id"]), role=Role.NURSE)
    # On the team as a nurse does not let the same person prescribe: membership is per role.
    await api.join_care_team(client_id, Role.NURSE)
    as_other_role = await refused(api, PRESCRIBE, prescribe, role=Role.PRESCRIBER, user="nurse-1")
    given = await api.ok(DOSE, dose(client_id, order_id["id"]), role=Role.NURSE)

    assert before == {"code": "FORBIDDEN", "field": "clientId", "rule": "care-team-member"}
    assert nurse_off_team["rule"] == "care-team-member"
    assert as_other_role["rule"] == "care-team-member"
    assert given["administerDose"]["position"] > order_id["position"]


async def test_membership_ended_ends_the_right_to_record(api: Api) -> None:
    client_id = await enroll(api)
    await api.join_care_team(client_id, Role.PRESCRIBER)
    await api.ok(PRESCRIBE, {"input": order(client_id)}, role=Role.PRESCRIBER)
    ended = await api.ok(
        END,
        {"input": {"clientId": client_id, "memberId": "prescriber-1", "reason": "left"}},
        role=Role.PROGRAM_ADMIN,
    )
    # An end counts once the care-team read model has it (the projector's lag), as for reads.
    position = ended["endCareTeamMembership"]["position"]
    assert await api.platform.progress.reach(careteam.NAME, position, timeout=5)

    after = await refused(api, PRESCRIBE, {"input": order(client_id)}, role=Role.PRESCRIBER)

    assert after["rule"] == "care-team-member"


async def test_break_glass_opens_reads_not_writes(api: Api) -> None:
    client_id = await enroll(api)
    reason = "collapsed at the window, need the current order"
    await api.ok(
        BREAK_GLASS, {"input": {"clientId": client_id, "reason": reason}}, role=Role.PRESCRIBER
    )

    write = await refused(api, PRESCRIBE, {"input": order(client_id)}, role=Role.PRESCRIBER)

    assert write["rule"] == "care-team-member"


async def test_a_client_records_check_ins_about_themself_only(api: Api) -> None:
    mine, theirs = await enroll(api, "Sam K."), await enroll(api, "Jo P.")

    own = await api.ok(
        CHECK_IN, {"input": {"clientId": mine, "mood": 6}}, role=Role.CLIENT, user=mine
    )
    other = await refused(
        api, CHECK_IN, {"input": {"clientId": theirs, "mood": 6}}, role=Role.CLIENT, user=mine
    )
    auditor = await refused(
        api, CHECK_IN, {"input": {"clientId": mine, "mood": 6}}, role=Role.AUDITOR
    )

    assert own["recordCheckIn"]["position"] > 0
    assert other == {"code": "FORBIDDEN", "field": "clientId", "rule": "own-record-only"}
    assert auditor["rule"] == "role-may-record"


async def test_a_group_session_needs_the_therapist_on_every_members_team(api: Api) -> None:
    first, second = await enroll(api, "A."), await enroll(api, "B.")
    await api.join_care_team(first, Role.THERAPIST)
    session = {
        "clientIds": [first, second],
        "modality": "GROUP",
        "format": "GROUP",
        "scheduledFor": ahead(days=7),
        "plannedMinutes": 90,
    }

    one_missing = await refused(api, SESSION, {"input": session}, role=Role.THERAPIST)
    await api.join_care_team(second, Role.THERAPIST)
    booked = await api.ok(SESSION, {"input": session}, role=Role.THERAPIST)

    assert one_missing["rule"] == "care-team-member"
    assert booked["scheduleSession"]["id"]
