"""A UTC offset no place uses (beyond -12:00 to +14:00) is refused naming the field. Python
takes offsets up to a day; PostgreSQL's timestamptz only to 15:59, so a session booked for
``...T07:00:00-23:59`` was recorded, and every later caseload of the client's care team
failed on it as an internal error ("time zone displacement out of range"): an event once
stored stays, so the caseload stayed broken.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from carecoord.events import Role
from support import Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
SCHEDULE = mutation("ScheduleSessionInput", "scheduleSession")
CASELOAD = "{ myCaseload { clients { clientId nextSessionAt } } }"


@pytest.mark.parametrize("offset", ["-23:59", "+16:00", "-12:01", "+14:01"])
async def test_an_offset_no_place_uses_is_refused_and_the_caseload_still_reads(
    api: Api, offset: str
) -> None:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Ari", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST)
    await api.join_care_team(client_id, Role.PRESCRIBER)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    session = {
        "clientIds": [client_id],
        "modality": "CBT",
        "format": "INDIVIDUAL",
        "scheduledFor": tomorrow + offset,
        "plannedMinutes": 50,
    }
    body = await api.gql(SCHEDULE, {"input": session}, role=Role.THERAPIST)
    assert body["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "scheduledFor",
        "rule": "time-offset",
    }
    caseload = await api.ok(CASELOAD, role=Role.PRESCRIBER)
    assert [c["clientId"] for c in caseload["myCaseload"]["clients"]] == [client_id]


async def test_the_offsets_in_use_are_accepted(api: Api) -> None:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Bo", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    for offset in ("-12:00", "+14:00", "+05:45"):
        session = {
            "clientIds": [client_id],
            "modality": "CBT",
            "format": "INDIVIDUAL",
            "scheduledFor": tomorrow + offset,
            "plannedMinutes": 50,
        }
        await api.ok(SCHEDULE, {"input": session}, role=Role.THERAPIST)
