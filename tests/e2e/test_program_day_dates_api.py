"""Dates a person writes down are days of the program (``CARECOORD_PROGRAM_TIME_ZONE``), not
of UTC: a treatment goal set at 17:30 in Los Angeles may have that day as its target (the UTC
day was already the next, and it was refused as before the goal was set), and one set at
03:00 in Kolkata may not have the day before (the UTC day, which was accepted)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from carecoord.events import Role
from carecoord.services.infrastructure.settings import Settings
from support import Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
GOAL = mutation("SetTreatmentGoalInput", "setTreatmentGoal")
THERAPIST = "ther-day"
AT = {"America/Los_Angeles": time(17, 30), "Asia/Kolkata": time(3)}
"""A time of the program's day whose UTC day is another (the next in Los Angeles, the one
before in Kolkata)."""


@pytest.fixture
def settings(zoned_settings: Settings) -> Settings:
    return zoned_settings


async def test_a_goal_targets_a_day_of_the_program(settings: Settings, api: Api) -> None:
    zone = settings.program_time_zone
    day = datetime.now(zone).date() - timedelta(days=3)
    set_at = datetime.combine(day, AT[str(zone)], zone)
    assert set_at.astimezone(UTC).date() != day
    client_id = (
        await api.ok(
            ENROLL,
            {
                "input": {
                    "displayName": "Noor",
                    "program": "IOP",
                    "occurredAt": "2026-01-01T10:00:00Z",
                }
            },
            role=Role.PROGRAM_ADMIN,
        )
    )["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST)

    def goal(target: str) -> dict[str, object]:
        given = {"clientId": client_id, "description": "Walk daily", "targetDate": target}
        return {"input": given | {"occurredAt": set_at.astimezone(UTC).isoformat()}}

    before = await api.gql(
        GOAL, goal(str(day - timedelta(days=1))), role=Role.THERAPIST, user=THERAPIST
    )
    [error] = before["errors"]
    assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
        "targetDate",
        "target-before-set",
    )
    on_the_day = await api.ok(GOAL, goal(str(day)), role=Role.THERAPIST, user=THERAPIST)
    assert on_the_day["setTreatmentGoal"]["id"]
