"""A program admin whose token names a program manages that program's clients only; an
admin token without the claim manages every program (a single-program deployment)."""

from __future__ import annotations

import asyncio

import pytest

from carecoord.events import Role
from carecoord.projections import careteam
from carecoord.services.infrastructure.identity import issue_token
from support import ASSIGN_CARE_TEAM_MEMBER, Api

# Each test enrolls its own clients and reads nothing beyond them.
pytestmark = pytest.mark.shared_platform

ENROLL = "mutation($i: EnrollClientInput!) { enrollClient(input: $i) { id position } }"
CARE_TEAM = "query($id: UUID!) { careTeam(clientId: $id) { memberId role } }"


def admin_of(api: Api, program: str) -> str:
    return issue_token(
        api.platform.settings, f"admin-{program}", Role.PROGRAM_ADMIN, program=program
    )


async def enroll(api: Api, program: str) -> str:
    data = await api.ok(
        ENROLL, {"i": {"displayName": "Sam", "program": program}}, role=Role.PROGRAM_ADMIN
    )
    return str(data["enrollClient"]["id"])


def assignment(client_id: str) -> dict[str, object]:
    return {"input": {"clientId": client_id, "memberId": "nurse-1", "role": "NURSE"}}


async def test_an_admin_of_one_program_manages_its_clients_and_no_others(api: Api) -> None:
    north, south = await enroll(api, "North OTP"), await enroll(api, "South OTP")
    token = admin_of(api, "North OTP")

    own = await api.ok(ASSIGN_CARE_TEAM_MEMBER, assignment(north), token=token)
    before = await asyncio.to_thread(api.platform.store.last_position)
    other = await api.gql(ASSIGN_CARE_TEAM_MEMBER, assignment(south), token=token)
    enrolled_elsewhere = await api.gql(
        ENROLL, {"i": {"displayName": "Kim", "program": "South OTP"}}, token=token
    )
    read_other = await api.gql(CARE_TEAM, {"id": south}, token=token)

    refusals = ((other, "clientId"), (enrolled_elsewhere, "program"), (read_other, "clientId"))
    for refused, field in refusals:
        [error] = refused["errors"]
        assert error["extensions"] == {"code": "FORBIDDEN", "field": field, "rule": "admin-program"}
    assert await asyncio.to_thread(api.platform.store.last_position) == before
    position = own["assignCareTeamMember"]["position"]
    assert await api.platform.progress.reach(careteam.NAME, position, timeout=5)
    seen = await api.ok(CARE_TEAM, {"id": north}, token=token)
    assert seen["careTeam"] == [{"memberId": "nurse-1", "role": "nurse"}]


async def test_an_admin_token_without_a_program_manages_every_program(api: Api) -> None:
    south = await enroll(api, "South OTP")

    done = await api.gql(ASSIGN_CARE_TEAM_MEMBER, assignment(south), role=Role.PROGRAM_ADMIN)

    assert "errors" not in done, done
