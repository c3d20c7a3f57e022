"""Guest dosing is arranged for days the client is a client here: a stay starting before
their enrolment is refused naming start (after-enrolment), as every clinical time before it
is, and records nothing. One in 1900 was accepted, with a disclosure to the guest site of the
orders to dose by for a stay no one could have arranged."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from medication_steps import Clinic, mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

GUEST = mutation("GuestDosingInput", "arrangeGuestDosing")
CONSENT = mutation("RecordConsentInput", "recordConsent")
SITE = "Riverside OTP"


async def test_a_stay_starting_before_enrolment_is_refused(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Gil E.")  # enrolled 90 days ago
    consent = {
        "clientId": clinic.client_id,
        "recipients": [{"type": "ORGANIZATION", "id": SITE, "name": SITE}],
        "purpose": "treatment: guest dosing", "dataKinds": ["MEDICATION", "DOSING"],
        "signedOn": str(today), "signedBy": "Gil E.",
        "expiryEvent": "end of treatment",
    }  # fmt: skip
    await api.ok(CONSENT, {"i": consent}, role=Role.PROGRAM_ADMIN)
    head = await asyncio.to_thread(api.platform.store.last_position)

    for start, end in (("1900-01-01", "1900-01-05"), (today - timedelta(days=100), today)):
        refused = await clinic.refused(GUEST, site=SITE, start=str(start), end=str(end))
        assert (refused["field"], refused["rule"]) == ("start", "after-enrolment")
    assert await asyncio.to_thread(api.platform.store.last_position) == head

    await clinic.nurse(GUEST, site=SITE, start=str(today + timedelta(days=1)),
                       end=str(today + timedelta(days=3)))  # fmt: skip
