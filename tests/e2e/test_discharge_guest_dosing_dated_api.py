"""A guest-dosing arrangement made after the time a discharge is dated back to ends at its
arranging, not at the discharge: its end was dated days before it was arranged, so the
timeline (in clinical order) and the exports read it as ending before it began. A session
booked after that time is cancelled at its booking, and a consent expires at its recording,
likewise."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from medication_steps import Clinic, mutation

from support import Api

pytestmark = pytest.mark.shared_platform

DISCHARGE = mutation("DischargeClientInput", "dischargeClient")
GUEST = mutation("GuestDosingInput", "arrangeGuestDosing")
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 500) {
    nodes { type occurredAt } } }"""
SITE = "Harbor OTP"


async def test_an_arrangement_ends_no_earlier_than_it_was_made(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Sasha V.")
    await clinic.consent_to_guest_dosing(SITE, "Sasha V.", today)
    stay = {"start": str(today + timedelta(days=1)), "end": str(today + timedelta(days=5))}
    await clinic.nurse(GUEST, site=SITE, **stay)
    left = datetime.now(UTC) - timedelta(days=5)
    await clinic.doctor(DISCHARGE, reason="TRANSFERRED", dischargedAt=left.isoformat())

    nodes = (await clinic.read(TIMELINE))["nodes"]

    at = {n["type"]: datetime.fromisoformat(n["occurredAt"]) for n in nodes}
    assert at["care.ClientDischarged"] == left
    assert at["medication.GuestDosingEnded"] >= at["medication.GuestDosingArranged"]
    types = [n["type"] for n in nodes]
    assert types.index("medication.GuestDosingArranged") < types.index(
        "medication.GuestDosingEnded"
    )
