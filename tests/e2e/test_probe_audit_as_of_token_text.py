"""What a user could see at a time, and what they read, asked with their id or their token's
program as a token may carry it (spaces around): the gate trims a token's subject and program
claim, so the nurse read the record and the program's admin its client, yet ``accessAsOf``
compared the text as typed and answered each refused, an auditor told of a refusal that
never was, and ``accessLog`` answered that the nurse had read nothing. An id or a program no
token could carry (a line break, none at all, thousands of characters) is refused naming it,
where a program of thousands was quoted whole in the refusal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
AS_OF = """query($user: String!, $role: Role!, $client: UUID!, $at: DateTime!, $program: String) {
  accessAsOf(userId: $user, role: $role, clientId: $client, at: $at, program: $program) {
    userId grant { basis } refusal { rule } } }"""
CARE_TEAM = "query($id: UUID!) { careTeam(clientId: $id) { memberId } }"
LOG = """query($reader: String) {
  accessLog(readerId: $reader, first: 500) { readerId clientId } }"""


async def as_of(api: Api, client_id: str, user: str, role: str, program: str | None = None) -> Any:
    asked = {
        "user": user,
        "role": role,
        "client": client_id,
        "at": datetime.now(UTC).isoformat(),
        "program": program,
    }
    return await api.gql(AS_OF, asked, role=Role.AUDITOR)


async def enrolled(api: Api) -> str:
    enrolment = {"displayName": "Lee", "program": "North OTP"}
    data = await api.ok(ENROLL, {"input": enrolment}, role=Role.PROGRAM_ADMIN)
    return str(data["enrollClient"]["id"])


async def test_a_user_id_and_a_program_read_as_a_token_carries_them(api: Api) -> None:
    client_id = await enrolled(api)
    await api.join_care_team(client_id, Role.NURSE, "nurse-trimmed")

    nurse = await as_of(api, client_id, " nurse-trimmed\t", "NURSE")
    admin = await as_of(api, client_id, "admin-north", "PROGRAM_ADMIN", " North OTP ")

    assert nurse["data"]["accessAsOf"] == {
        "userId": "nurse-trimmed", "grant": {"basis": "CARE_TEAM"}, "refusal": None,
    }  # fmt: skip
    assert admin["data"]["accessAsOf"]["grant"] == {"basis": "PROGRAM"}


@pytest.mark.parametrize(
    ("user", "program", "field", "rule"),
    [
        ("nurse\nb", None, "userId", "user-id"),
        ("  ", None, "userId", "user-id"),
        ("admin-north", "", "program", "program-name"),
        ("admin-north", "North\nOTP", "program", "program-name"),
        ("admin-north", "P" * 5000, "program", "program-name"),
    ],
)
async def test_an_id_or_a_program_no_token_carries_is_refused_naming_it(
    api: Api, user: str, program: str | None, field: str, rule: str
) -> None:
    client_id = await enrolled(api)

    body = await as_of(api, client_id, user, "PROGRAM_ADMIN", program)

    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field, "rule": rule}
    assert "P" * 300 not in error["message"]


async def test_the_access_log_of_a_reader_asked_with_spaces_around_is_theirs(api: Api) -> None:
    client_id = await enrolled(api)
    await api.join_care_team(client_id, Role.NURSE, "nurse-logged")
    await api.ok(CARE_TEAM, {"id": client_id}, role=Role.NURSE, user="nurse-logged")

    asked = await api.ok(LOG, {"reader": " nurse-logged\t"}, role=Role.AUDITOR)
    blank = await api.gql(LOG, {"reader": "  "}, role=Role.AUDITOR)

    assert [(e["readerId"], e["clientId"]) for e in asked["accessLog"]] == [
        ("nurse-logged", client_id)
    ]
    [error] = blank["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "readerId", "rule": "user-id"}
