"""The basis a prescriber gives for take-home eligibility is free text as a hold's reason
is: a therapist on the care team, who reads the entry (medication) but not the doses,
reads `facts.basis` null, named in the entry's `withheld`, where they read it in clear;
the team's nurse reads it whole."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from medication_steps import CRITERIA, ELIGIBILITY, NURSE, Clinic

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

THERAPIST = "therapist-basis"
BASIS = "stable on 90 mg, two clean screens"
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 500) {
    nodes { type withheld facts } } }"""


async def test_a_prescribers_basis_for_take_homes_is_withheld_from_a_therapist(
    api: Api,
) -> None:
    clinic = await Clinic.enroll(api, "Ila B.")
    await api.join_care_team(clinic.client_id, Role.THERAPIST, THERAPIST)
    await clinic.methadone("60", datetime.now(UTC).date())
    criteria = [{"criterion": c, "met": True} for c in CRITERIA]
    await clinic.doctor(ELIGIBILITY, maxDays=2, criteria=criteria, basis=BASIS)

    async def told(role: Role, user: str) -> list[tuple[object, list[str]]]:
        found = await api.ok(
            TIMELINE, {"id": clinic.client_id, "atLeast": clinic.position}, role=role, user=user
        )
        return [
            (n["facts"]["basis"], n["withheld"])
            for n in found["clientTimeline"]["nodes"]
            if n["type"] == "medication.TakeHomeEligibilityDetermined"
        ]

    assert await told(Role.NURSE, NURSE) == [(BASIS, [])]
    assert await told(Role.THERAPIST, THERAPIST) == [(None, ["basis"])]
