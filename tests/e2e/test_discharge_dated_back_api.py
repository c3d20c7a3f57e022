"""A discharge dated back is refused before a dose already given, a session already held, a
goal already set or an order written: each would read as given to, held or set for a client
out of treatment, as none sent for that time could be. Nor is a session booked, or guest
dosing arranged, once readmitted, for a time the client was discharged."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from medication_steps import DISCONTINUE, DOSE, Clinic, mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

DISCHARGE = mutation("DischargeClientInput", "dischargeClient")
READMIT = mutation("ReadmitClientInput", "readmitClient")
SCHEDULE = mutation("ScheduleSessionInput", "scheduleSession")
ATTENDANCE = mutation("RecordAttendanceInput", "recordAttendance")
GOAL = mutation("SetTreatmentGoalInput", "setTreatmentGoal")
GUEST = mutation("GuestDosingInput", "arrangeGuestDosing")
SITE = "Harbor OTP"
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


async def test_no_session_is_booked_for_a_time_the_client_was_discharged(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Noor A.")
    await api.join_care_team(clinic.client_id, Role.THERAPIST, THERAPIST)
    now = datetime.now(UTC)
    await clinic.doctor(DISCHARGE, reason="ADMINISTRATIVE",
                        dischargedAt=(now - timedelta(days=10)).isoformat())  # fmt: skip
    await clinic.doctor(READMIT, readmittedAt=(now - timedelta(days=2)).isoformat())

    def session(starts: datetime) -> dict[str, object]:
        return {"i": {"clientIds": [clinic.client_id], "modality": "CBT",
                      "format": "INDIVIDUAL", "scheduledFor": starts.isoformat(),
                      "plannedMinutes": 50}}  # fmt: skip

    refused = await api.gql(
        SCHEDULE, session(now - timedelta(days=5)), role=Role.THERAPIST, user=THERAPIST
    )

    [error] = refused["errors"]
    assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
        "scheduledFor", "client-discharged",
    )  # fmt: skip
    await api.ok(SCHEDULE, session(now + timedelta(days=1)), role=Role.THERAPIST, user=THERAPIST)


async def test_no_guest_dosing_is_arranged_over_days_the_client_was_discharged(
    api: Api, today: date
) -> None:
    """Days dosed elsewhere count as methadone in hand: an arrangement over the days out of
    treatment would hide the gap that holds the first dose back to the induction cap."""
    clinic = await Clinic.enroll(api, "Ira B.")
    await clinic.consent_to_guest_dosing(SITE, "Ira B.", today)
    now = datetime.now(UTC)
    await clinic.doctor(DISCHARGE, reason="ADMINISTRATIVE",
                        dischargedAt=(now - timedelta(days=10)).isoformat())  # fmt: skip
    await clinic.doctor(READMIT, readmittedAt=(now - timedelta(days=2)).isoformat())
    before = await asyncio.to_thread(api.platform.store.last_position)

    refusal = await clinic.refused(
        GUEST, site=SITE, start=str(today - timedelta(days=6)), end=str(today + timedelta(days=2))
    )

    assert (refusal["field"], refusal["rule"]) == ("start", "client-discharged")
    assert await asyncio.to_thread(api.platform.store.last_position) == before
    await clinic.nurse(GUEST, site=SITE, start=str(today), end=str(today + timedelta(days=2)))


async def test_a_discharge_is_not_dated_before_an_order_written(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Lee O.")
    before_order = datetime.now(UTC) - timedelta(minutes=1)
    order = str((await clinic.methadone("30", today + timedelta(days=1)))["id"])
    await clinic.doctor(DISCONTINUE, orderId=order, reason="not started")

    refusal = await clinic.refused(
        DISCHARGE, Role.PRESCRIBER, reason="TRANSFERRED", dischargedAt=before_order.isoformat()
    )

    assert (refusal["field"], refusal["rule"]) == ("dischargedAt", "in-order")
    await clinic.doctor(DISCHARGE, reason="TRANSFERRED")
