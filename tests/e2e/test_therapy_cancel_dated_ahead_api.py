"""A cancellation dated ahead, at or past a session still to come, is refused as a time in the
future (occurredAt, not-in-future): it was refused saying the session "began" days before it
does, pointing to recordAttendance for a meeting not yet held."""

from __future__ import annotations

import pytest
from test_therapy_cancellation_api import CANCEL
from test_therapy_sessions_api import SCHEDULE, Clinic, booking

from support import Api, ago, ahead

pytestmark = pytest.mark.shared_platform


async def test_a_cancellation_dated_at_a_coming_sessions_start_is_refused_as_ahead(
    api: Api,
) -> None:
    clinic = Clinic(api)
    client_id = await clinic.enroll("Kai")
    slot = ahead(days=2)
    session_id = await clinic.send(SCHEDULE, **booking((client_id,), slot, ago(minutes=5)))

    for when in (slot, ahead(days=3)):
        refused = await clinic.refusal(
            CANCEL, clientId=client_id, sessionId=session_id, reason="OTHER", occurredAt=when
        )
        assert (refused["field"], refused["rule"]) == ("occurredAt", "not-in-future")
    await clinic.send(CANCEL, clientId=client_id, sessionId=session_id, reason="OTHER")
