"""A discharge dated back is refused before a dose already given, a session already held or
a goal already set: each would read as given to, held or set for a client out of treatment,
as none sent for that time could be."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from medication_steps import DISCONTINUE, DOSE, Clinic, mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

DISCHARGE = mutation("DischargeClientInput", "dischargeClient")
SCHEDULE = mutation("ScheduleSessionInput", "scheduleSession")
ATTENDANCE = mutation("RecordAttendanceInput", "recordAttendance")
GOAL = mutation("SetTreatmentGoalInput", "setTreatmentGoal")
THERAPIST = "therapist-dated-back"


async def test_a_discharge_is_not_dated_before_the_last_dose_given(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Robin T.")
    order = str((await clinic.methadone("40", today))["id"])
    before_dose = datetime.now(UTC) - timedelta(minutes=1)
    await clinic.nurse(DOSE, orderId=order, amount="40", dosageForm="oral solution")
    await clinic.doctor(DISCONTINUE, orderId=order, reason="discharge")
    before = await asyncio.to_thread(api.platform.store.last_position)

    refusal = await clinic.refused(
        DISCHARGE, Role.PRESCRIBER, reason="ADMINISTRATIVE",
        dischargedAt=before_dose.isoformat(),
    )  # fmt: skip

    assert (refusal["code"], refusal["field"], refusal["rule"]) == (
        "BAD_USER_INPUT", "dischargedAt", "in-order",
    )  # fmt: skip
    assert await asyncio.to_thread(api.platform.store.last_position) == before
    await clinic.doctor(DISCHARGE, reason="ADMINISTRATIVE")


async def test_a_discharge_is_not_dated_before_a_session_held(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Sasha M.")
    await api.join_care_team(clinic.client_id, Role.THERAPIST, THERAPIST)
    began = datetime.now(UTC) - timedelta(hours=2)
    booked = await api.ok(
        SCHEDULE,
        {"i": {"clientIds": [clinic.client_id], "modality": "CBT", "format": "INDIVIDUAL",
               "scheduledFor": began.isoformat(), "plannedMinutes": 50}},
        role=Role.THERAPIST, user=THERAPIST,
    )  # fmt: skip
    attended = [{"clientId": clinic.client_id, "outcome": "ATTENDED"}]
    await api.ok(
        ATTENDANCE,
        {"i": {"sessionId": booked["scheduleSession"]["id"], "attendance": attended,
               "durationMinutes": 50}},
        role=Role.THERAPIST, user=THERAPIST,
    )  # fmt: skip

    refusal = await clinic.refused(
        DISCHARGE, Role.PRESCRIBER, reason="ADMINISTRATIVE",
        dischargedAt=(began - timedelta(hours=1)).isoformat(),
    )  # fmt: skip

    assert (refusal["code"], refusal["field"], refusal["rule"]) == (
        "BAD_USER_INPUT", "dischargedAt", "in-order",
    )  # fmt: skip
    await clinic.doctor(DISCHARGE, reason="ADMINISTRATIVE")


async def test_a_discharge_is_not_dated_before_a_goal_set(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Kai L.")
    before_goal = datetime.now(UTC) - timedelta(minutes=1)
    await clinic.doctor(GOAL, description="back at work by spring")

    refusal = await clinic.refused(
        DISCHARGE, Role.PRESCRIBER, reason="LEFT_AGAINST_ADVICE",
        dischargedAt=before_goal.isoformat(),
    )  # fmt: skip

    assert (refusal["field"], refusal["rule"]) == ("dischargedAt", "in-order")
    await clinic.doctor(DISCHARGE, reason="LEFT_AGAINST_ADVICE")
