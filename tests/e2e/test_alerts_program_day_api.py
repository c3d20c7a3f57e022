"""Through the API, a program in Los Angeles or Kolkata (``CARECOORD_PROGRAM_TIME_ZONE``): a
drug screen is "while on methadone" on the program's day it was collected, and the alert says
that day (``raisedOn``). The rules went by the UTC day: a screen collected at 17:30 in Los
Angeles on a one-day order's day, or at 03:00 in Kolkata, was on no order (no alert), and one
collected at 00:30 in Kolkata the day after was still on it (an alert). Replaying the stored
history with the platform's table gives the alerts it raised."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from medication_steps import INDUCTED
from screen_steps import benzodiazepines_without_methadone

from carecoord.events import Role
from carecoord.events.alerts import AlertRaised
from carecoord.services.alerts.replay import decision_order, replay
from carecoord.services.infrastructure.settings import Settings
from support import Api, ago, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
PRESCRIBE = mutation("PrescribeInput", "prescribeMedication")
NURSE, DOCTOR = "nurse-day", "dr-day"
ON_THE_DAY = {"America/Los_Angeles": time(17, 30), "Asia/Kolkata": time(3)}
"""A time of the order's day whose UTC day is another (the next in LA, the one before in
Kolkata)."""


@pytest.fixture
def settings(zoned_settings: Settings) -> Settings:
    return zoned_settings


async def test_a_screen_alert_is_on_the_programs_day_it_was_collected(
    settings: Settings, api: Api
) -> None:
    zone = settings.program_time_zone
    assert zone == ZoneInfo(str(zone)) == api.platform.alert_rules.zone
    day = datetime.now(zone).date() - timedelta(days=4)  # the order's one day, in the program
    client_id = (
        await api.ok(
            ENROLL,
            {"input": {"displayName": "Ren", "program": "OTP", "occurredAt": ago(days=10)}},
            role=Role.PROGRAM_ADMIN,
        )
    )["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE, NURSE)
    await api.join_care_team(client_id, Role.PRESCRIBER, DOCTOR)
    await api.ok(
        PRESCRIBE,
        {"input": {"clientId": client_id, "medication": "methadone", "dose": "60",
        "acknowledgements": [INDUCTED], "unit": "mg",
                   "route": "oral", "start": str(day), "end": str(day),
                   "occurredAt": ago(days=9)}},
        role=Role.PRESCRIBER, user=DOCTOR,
    )  # fmt: skip

    async def screen(on: date, at: time) -> list[dict[str, Any]]:
        collected = datetime.combine(on, at, zone).astimezone(UTC).isoformat()
        return await benzodiazepines_without_methadone(api, client_id, collected, NURSE)

    on_the_day = await screen(day, ON_THE_DAY[str(zone)])
    assert [(a["ruleId"], a["ruleVersion"], a["raisedOn"]) for a in on_the_day] == [
        ("screen-depressant-on-agonist", "6", str(day)),
        ("screen-negative-for-agonist", "4", str(day)),
    ]
    raised_at = datetime.fromisoformat(on_the_day[0]["raisedAt"])
    assert raised_at.astimezone(UTC).date() != day, "UTC's day is another"
    assert await screen(day + timedelta(days=1), time(0, 30)) == [], "the order has ended"

    stored = await asyncio.to_thread(api.platform.store.read, 0, 10_000)
    events = [e for e in decision_order(stored) if str(e.client_id) == client_id]
    recorded = [e for e in events if isinstance(e, AlertRaised)]
    assert replay(api.platform.alert_rules, events) == recorded
