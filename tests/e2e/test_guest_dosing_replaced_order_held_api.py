"""What a guest site is told of an order whose dose change, starting later, is on hold or
stopped: the hold or the stop there holds or stops the order it replaces too (the window
here refuses it), so the guest site reads it ON HOLD, or not as an order to dose by at all.
It was told as an order to dose by with no word of either, and would have dosed it.

SAMHSA guest dosing: the home program tells the guest program the current order and any
hold; 42 CFR 2.33 (a disclosure with consent) says what goes, so it must be right."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from medication_steps import (
    CHANGE,
    DISCONTINUE,
    HOLD,
    TIMELINE,
    Clinic,
    mutation,
)

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

GUEST = mutation("GuestDosingInput", "arrangeGuestDosing")
CONSENT = mutation("RecordConsentInput", "recordConsent")
SITE = "Riverside OTP"


async def told(api: Api, today: date, action: str) -> str:
    """Methadone 60 mg from ``today``, a change to 50 mg from in five days, ``action`` on that
    change, then a guest stay from in two days to in eight: the description disclosed to the
    site."""
    clinic = await Clinic.enroll(api, "Bo E.")
    old = await clinic.methadone("60", today)
    start = today + timedelta(days=5)
    new = await clinic.doctor(CHANGE, orderId=old["id"], dose="50", start=str(start), reason="r")
    await clinic.doctor(action, orderId=new["id"], reason="intoxicated at intake")
    consent = {
        "clientId": clinic.client_id,
        "recipients": [{"type": "ORGANIZATION", "id": SITE, "name": SITE}],
        "purpose": "treatment: guest dosing",
        "dataKinds": ["MEDICATION", "DOSING"],
        "signedOn": str(today),
        "expiryEvent": "end of treatment",
        "signedBy": "Bo E.",
    }
    await api.ok(CONSENT, {"i": consent}, role=Role.PROGRAM_ADMIN)
    stay = {"start": str(today + timedelta(days=2)), "end": str(today + timedelta(days=8))}
    await clinic.nurse(GUEST, site=SITE, **stay)
    timeline = await clinic.read(TIMELINE.replace("summary", "summary facts"))
    [disclosed] = [n for n in timeline["nodes"] if n["type"] == "access.DisclosureRecorded"]
    return str(disclosed["facts"]["description"])


async def test_an_order_held_by_the_change_replacing_it_is_told_on_hold(
    api: Api, today: date
) -> None:
    description = await told(api, today, HOLD)

    [old, new] = description.removeprefix("Orders to dose by: ").split("; ")
    assert old.startswith("methadone 60 mg oral")
    assert new.startswith("methadone 50 mg oral")
    assert f"ON HOLD since {today}: do not dose" in old
    assert f"ON HOLD since {today}: do not dose" in new


async def test_an_order_stopped_with_the_change_replacing_it_is_not_told(
    api: Api, today: date
) -> None:
    description = await told(api, today, DISCONTINUE)

    assert description == "Orders to dose by: no clinic-dispensed order in force"
