"""Dates a person writes down are days of the program (``CARECOORD_PROGRAM_TIME_ZONE``), not
of UTC: a treatment goal set at 20:00 in Los Angeles may have that day as its target (the UTC
day was already the next, and it was refused as before the goal was set), and one set at
03:00 in Kolkata may not have the day before (the UTC day, which was accepted). The record's
FHIR export dates the goal's start on that day too (it gave the UTC day)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from program_days import parted

from carecoord.events import Role
from carecoord.services.infrastructure.settings import Settings
from support import Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
GOAL = mutation("SetTreatmentGoalInput", "setTreatmentGoal")
EXPORT = """query($id: UUID!) { exportClientRecord(clientId: $id, format: FHIR) { bundle } }"""
THERAPIST = "ther-day"


@pytest.fixture
def settings(zoned_settings: Settings) -> Settings:
    return zoned_settings


def set_on(settings: Settings) -> tuple[date, datetime]:
    """A day of the program three days back, and a time of it on another UTC day, when the
    goals are set."""
    zone = settings.program_time_zone
    day = datetime.now(zone).date() - timedelta(days=3)
    return day, parted(day, zone)


async def enrolled(api: Api) -> str:
    """A client on whose care team ``THERAPIST`` is."""
    client_id: str = (
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
    return client_id


async def test_a_goal_targets_a_day_of_the_program(settings: Settings, api: Api) -> None:
    day, set_at = set_on(settings)
    client_id = await enrolled(api)

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


async def test_an_exported_goal_starts_on_the_programs_day(settings: Settings, api: Api) -> None:
    day, set_at = set_on(settings)
    client_id = await enrolled(api)
    given = {"clientId": client_id, "description": "Walk daily"}
    await api.ok(
        GOAL,
        {"input": given | {"occurredAt": set_at.astimezone(UTC).isoformat()}},
        role=Role.THERAPIST,
        user=THERAPIST,
    )

    exported = await api.ok(EXPORT, {"id": client_id}, role=Role.AUDITOR, user="auditor-1")

    bundle = exported["exportClientRecord"]["bundle"]
    [goal] = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Goal"]
    assert goal["startDate"] == str(day)
