"""A nurse taken off a client's care team gets none of that client's rows of the DEA
dispensing log, even when the care-team view still showed them on it as the request
began: the rows were kept by that lagging view, and the client's grant, decided once the
views had the removal, was only asked whether it existed. A consent naming the nurse for
care entries alone then returned the client's doses and logged them as read."""

from __future__ import annotations

import asyncio
from datetime import date

import psycopg
from medication_steps import NURSE, PRESCRIBE, Clinic
from test_access import ACCESS_LOG, CONSENT, END
from test_dispensing_access import LOG, ORDER

from carecoord.events import Role
from support import Api


async def test_a_removal_the_care_team_view_lacks_still_withholds_the_clients_rows(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Lag C.")
    order = await clinic.doctor(PRESCRIBE, **ORDER, start=str(today))
    await clinic.dose(order["id"], today, "60")
    consented = await api.ok(
        CONSENT,
        {"input": {"clientId": clinic.client_id, "purpose": "treatment", "dataKinds": ["CARE"],
                   "recipients": [{"type": "MEMBER", "id": NURSE, "name": "Nurse K."}],
                   "signedOn": str(today), "expiryEvent": "end of treatment",
                   "signedBy": "Lag C."}},
        role=Role.PROGRAM_ADMIN,
    )  # fmt: skip
    position = max(clinic.position, consented["recordConsent"]["position"])
    before = await api.ok(LOG, {"d": str(today), "at": position}, role=Role.NURSE, user=NURSE)
    assert {r["clientId"] for r in before["dispensingLog"]["rows"]} == {clinic.client_id}

    with psycopg.connect(api.platform.database_url) as held:
        # The projector cannot write the care-team view while this lock is held.
        held.execute("LOCK TABLE care_team IN EXCLUSIVE MODE")
        await api.ok(
            END,
            {"input": {"clientId": clinic.client_id, "memberId": NURSE, "reason": "rotated"}},
            role=Role.PROGRAM_ADMIN,
        )
        reading = asyncio.create_task(api.ok(LOG, {"d": str(today)}, role=Role.NURSE, user=NURSE))
        await asyncio.sleep(0.5)  # the read has begun, and waits for the views
        held.rollback()
        after = await reading

    assert after["dispensingLog"]["rows"] == []
    data = await api.ok(ACCESS_LOG, {"id": clinic.client_id}, role=Role.AUDITOR, user="a-1")
    read = [(e["operation"], e["outcome"], e["basis"]) for e in data["accessLog"]
            if e["readerId"] == NURSE and e["operation"] == "dispensingLog"]  # fmt: skip
    assert read == [("dispensingLog", "GRANTED", "CARE_TEAM")]  # the read before the removal
