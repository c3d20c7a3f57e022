"""What a discharge closes, through the API: the client's session booked for after it is
cancelled with it, not late-cancelled (its therapist's hour booked again for another
client), a guest-dosing arrangement in force ends from its day, and once readmitted the
client is prescribed (from days they were out of treatment, none swept as missed), dosed,
booked and guest-dosed under the care team and the consent they had."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from medication_steps import DOCTOR, DOSE, TIMELINE, Clinic, mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

DISCHARGE = mutation("DischargeClientInput", "dischargeClient")
READMIT = mutation("ReadmitClientInput", "readmitClient")
GUEST = mutation("GuestDosingInput", "arrangeGuestDosing")
SCHEDULE = mutation("ScheduleSessionInput", "scheduleSession")
SITE = "Lakeside OTP"


async def book(clinic: Clinic, starts: datetime) -> None:
    """A 50-minute CBT session led by the client's prescriber (dr-lee)."""
    booking = {"clientIds": [clinic.client_id], "modality": "CBT", "format": "INDIVIDUAL",
               "scheduledFor": starts.isoformat(), "plannedMinutes": 50}  # fmt: skip
    data = await clinic.api.ok(SCHEDULE, {"i": booking}, role=Role.PRESCRIBER, user=DOCTOR)
    clinic.position = max(clinic.position, data["scheduleSession"]["position"])


async def summaries(clinic: Clinic) -> list[str]:
    return [n["summary"] for n in (await clinic.read(TIMELINE))["nodes"]]


async def test_a_discharge_closes_sessions_and_guest_dosing_and_a_readmission_reopens(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Rae T.")
    await clinic.consent_to_guest_dosing(SITE, "Rae T.", today)
    slot = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    await book(clinic, slot)
    stay = {"start": str(today + timedelta(days=1)), "end": str(today + timedelta(days=5))}
    await clinic.nurse(GUEST, site=SITE, **stay)

    # The program admin records it: the cancellations and the end are recorded as theirs.
    # Dated five days back: the client left then, and it is recorded today.
    left = datetime.now(UTC) - timedelta(days=5)
    discharge = {"clientId": clinic.client_id, "reason": "TRANSFERRED",
                 "dischargedAt": left.isoformat()}  # fmt: skip
    done = await api.ok(DISCHARGE, {"i": discharge}, role=Role.PROGRAM_ADMIN)
    clinic.position = done["dischargeClient"]["position"]

    told = await summaries(clinic)
    assert "Cancelled cbt session" in told
    assert not [s for s in told if s.startswith("Late-cancelled")]
    assert f"Guest dosing at {SITE} ended on {today + timedelta(days=1)}" in told  # not begun
    other = await Clinic.enroll(api, "Kit W.")
    await book(other, slot)  # dr-lee's hour is free again

    await clinic.doctor(READMIT)
    # Written from four days back, days the client was out of treatment: none is missed,
    # and today's dose is not held for them.
    order = await clinic.methadone("30", today - timedelta(days=4))
    await clinic.nurse(DOSE, orderId=order["id"], amount="30", dosageForm="oral solution")
    await clinic.swept(today)
    assert not [s for s in await summaries(clinic) if s.startswith("Dose missed")]
    await book(clinic, slot + timedelta(hours=2))
    await clinic.nurse(GUEST, site=SITE, start=str(today + timedelta(days=2)),
                       end=str(today + timedelta(days=4)))  # fmt: skip
    told = await summaries(clinic)
    assert "Readmitted to OTP" in told
    assert told.count(f"Guest dosing at {SITE} from {today + timedelta(days=2)}"
                      f" to {today + timedelta(days=4)}") == 1  # fmt: skip
