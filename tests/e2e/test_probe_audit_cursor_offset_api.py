"""A cursor whose time has no UTC offset is no cursor the API made (it writes every time
with its offset), and is refused as one (`after`, `cursor`): `accessAsOf` compared it with
the entries' times and failed with an internal error quoting Python's complaint, and
`medicationSafetyLog` read it in the database session's time zone."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from test_record_export_api import enroll

from carecoord.events import Role
from support import Api

AS_OF = """query($id: UUID!, $at: DateTime!, $after: String) {
  accessAsOf(userId: "nurse-1", role: NURSE, clientId: $id, at: $at, first: 1,
    after: $after) { timeline { position } } }"""
SAFETY_LOG = """query($after: String) {
  medicationSafetyLog(fromDay: "2026-01-01", toDay: "2026-12-31", first: 1, after: $after)
  { csv } }"""


def forged(*place: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(place)).encode()).decode()


@pytest.mark.parametrize(
    ("query", "after"),
    [
        (AS_OF, forged("accessAsOf", "2026-03-01 08:00:00", "2")),
        (SAFETY_LOG, forged("medicationSafetyLog", "2026-03-01 08:00:00", "2", "0")),
    ],
)
async def test_a_cursor_time_without_its_offset_is_not_a_cursor(
    api: Api, query: str, after: str
) -> None:
    client = await enroll(api, "OTP")
    await api.join_care_team(client, Role.NURSE)
    variables = {"id": client, "at": datetime.now(UTC).isoformat(), "after": after}
    if query is SAFETY_LOG:
        variables = {"after": after}

    answer = await api.gql(query, variables, role=Role.AUDITOR, user="auditor-1")

    [error] = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert (error["extensions"]["field"], error["extensions"]["rule"]) == ("after", "cursor")
    assert error["message"] == "not a cursor returned by this API"
