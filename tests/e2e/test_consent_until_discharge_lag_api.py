"""A consent given until discharge stops granting at the discharge even when the consents
view has not applied the discharge as the read begins: the expiry is an event of the
consent record, recorded with the discharge, so the grant waits for the view to have it, as
it waits for a revocation. Had the expiry been derived from the discharge alone, the lagging
view would have granted the read."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
from medication_steps import Clinic
from test_consent_until_discharge_api import DISCHARGE, UNTIL_DISCHARGE, consent, timeline

from support import Api

COURT = {"type": "ORGANIZATION", "id": "lag-court", "name": "Lag Court"}


async def discharged_while_the_view_lags(clinic: Clinic) -> dict[str, Any]:
    with psycopg.connect(clinic.api.platform.database_url) as held:
        # The projector cannot write the consents view while this lock is held.
        held.execute("LOCK TABLE consents IN EXCLUSIVE MODE")
        await clinic.doctor(DISCHARGE, reason="INCARCERATED")
        reading = asyncio.create_task(timeline(clinic, UNTIL_DISCHARGE))
        await asyncio.sleep(0.5)  # the read has begun, and waits for the views
        held.rollback()
        return await reading


async def test_the_discharge_ends_the_grant_though_the_view_lags(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Lee W.")
    await consent(clinic, UNTIL_DISCHARGE, COURT, expiresOn="DISCHARGE")
    before = await timeline(clinic, UNTIL_DISCHARGE, clinic.position)
    assert "errors" not in before, before

    after = await discharged_while_the_view_lags(clinic)

    [error] = after["errors"]
    assert after["data"] is None
    assert error["extensions"]["code"] == "FORBIDDEN"
