"""A group's booking, cancellation or attendance refused for one client off the writer's care
team names that client's entry (``clientIds.1``, ``attendance.1.clientId``): it named
``clientId``, a field none of these inputs has, so a client showing each error beside its
field had nowhere to show it and the clinician could not tell which of the group it was."""

from __future__ import annotations

from uuid import uuid4

import pytest
from test_therapy_group_cancellation_api import CANCEL_GROUP
from test_therapy_sessions_api import ATTENDANCE, SCHEDULE, Clinic, booking

from support import Api, ago, ahead

pytestmark = pytest.mark.shared_platform


async def test_the_client_off_the_team_is_named_by_their_entry_in_the_group(api: Api) -> None:
    clinic = Clinic(api)
    members = [await clinic.enroll(name) for name in ("Ra", "Si")]
    session_id = await clinic.book(*members)
    off_team = await Clinic(api).enroll("Ty")

    refusals = [
        await clinic.refusal(
            SCHEDULE, **booking((members[0], off_team), ahead(days=3), ago(minutes=5))
        ),
        await clinic.refusal(
            CANCEL_GROUP,
            sessionId=session_id,
            clientIds=[members[0], off_team],
            reason="OTHER",
        ),
        await clinic.refusal(
            ATTENDANCE,
            sessionId=session_id,
            attendance=[{"clientId": c, "outcome": "NO_SHOW"} for c in (members[0], off_team)],
        ),
        await clinic.refusal(
            ATTENDANCE,
            sessionId=session_id,
            attendance=[{"clientId": c, "outcome": "NO_SHOW"} for c in (str(uuid4()), *members)],
        ),
    ]

    assert [(r["code"], r["field"], r["rule"]) for r in refusals] == [
        ("FORBIDDEN", "clientIds.1", "care-team-member"),
        ("FORBIDDEN", "clientIds.1", "care-team-member"),
        ("FORBIDDEN", "attendance.1.clientId", "care-team-member"),
        ("FORBIDDEN", "attendance.0.clientId", "care-team-member"),
    ]
    assert off_team in refusals[0]["message"]
