"""accessAsOf answers each timeline entry as the user's own timeline read showed it: a
prescriber's reason for holding an order and a nurse's for marking a check-in in error read
without the reason to the therapist, who sees no doses (`withheld: ["reason"]`), and whole
to the nurse. Before, accessAsOf showed every entry's summary whole, so an auditor read that
the therapist had been shown reasons her timeline withheld."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from medication_steps import HOLD, NURSE, Clinic, mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

THERAPIST = "ther-as-of-text"
PRESCRIBE = mutation("PrescribeInput", "prescribeMedication")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
IN_ERROR = mutation("CheckInInErrorInput", "markCheckInEnteredInError")
HELD = "QTc 510 ms on 120 mg methadone"
MISTYPED = "craving typed for her dose of 120 mg"
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, first: 500, atLeast: $atLeast) {
    nodes { eventId summary withheld } } }"""
AS_OF = """query($user: String!, $role: Role!, $id: UUID!, $at: DateTime!) {
  accessAsOf(userId: $user, role: $role, clientId: $id, at: $at) {
    timeline { eventId summary withheld } } }"""


async def live(clinic: Clinic, role: Role, user: str) -> dict[str, Any]:
    found = await clinic.api.ok(
        TIMELINE, {"id": clinic.client_id, "atLeast": clinic.position}, role=role, user=user
    )
    return {n["eventId"]: (n["summary"], n["withheld"]) for n in found["clientTimeline"]["nodes"]}


async def as_of(clinic: Clinic, role: Role, user: str, at: datetime) -> dict[str, Any]:
    found = await clinic.api.ok(
        AS_OF, {"user": user, "role": role.name, "id": clinic.client_id, "at": at.isoformat()},
        role=Role.AUDITOR,
    )  # fmt: skip
    return {n["eventId"]: (n["summary"], n["withheld"]) for n in found["accessAsOf"]["timeline"]}


async def test_access_as_of_withholds_the_free_text_the_timeline_withheld(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Ines V.")
    await api.join_care_team(clinic.client_id, Role.THERAPIST, THERAPIST)
    start = str(datetime.now(UTC).date() - timedelta(days=1))
    ordered = await clinic.doctor(
        PRESCRIBE, medication="buprenorphine", dose="8", unit="mg", route="sublingual",
        start=start,
    )  # fmt: skip
    await clinic.doctor(HOLD, orderId=ordered["id"], reason=HELD)
    checked = await clinic.nurse(CHECK_IN, craving=60)
    await clinic.nurse(IN_ERROR, entryId=checked["id"], reason=MISTYPED)
    seen = await live(clinic, Role.THERAPIST, THERAPIST)
    assert ("Order on hold: buprenorphine", ["reason"]) in seen.values()
    assert ("Check-in entered in error", ["reason"]) in seen.values()
    assert not any(HELD in line or MISTYPED in line for line, _ in seen.values())
    now = datetime.now(UTC)
    assert await as_of(clinic, Role.THERAPIST, THERAPIST, now) == seen
    nurse_saw = await live(clinic, Role.NURSE, NURSE)
    assert (f"Order on hold: buprenorphine ({HELD})", []) in nurse_saw.values()
    assert await as_of(clinic, Role.NURSE, NURSE, now) == nurse_saw
