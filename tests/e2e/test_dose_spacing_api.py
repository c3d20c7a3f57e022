"""Doses at the window are kept hours apart across midnight (rule ``dose-spacing``): a dose
at 23:30 and one at 00:15 were each the first of their program day, and a client was given
two full daily doses of methadone 45 minutes apart with nothing asked. The second is refused
naming ``givenAt`` and records nothing; one given half a day on is taken."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from medication_steps import DOSE, Clinic

from support import Api


async def test_a_dose_just_after_midnight_on_top_of_the_evenings_is_refused(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Ari")
    today = datetime.now(UTC).date()
    order = (await clinic.methadone("40", today - timedelta(days=3)))["id"]
    evening = datetime.combine(today - timedelta(days=2), time(23, 30), UTC)
    given = {"orderId": order, "amount": "40", "dosageForm": "oral solution", "lot": "LOT-A"}
    await clinic.nurse(DOSE, **given, givenAt=evening.isoformat())
    head = api.platform.store.last_position()

    refused = await clinic.refused(
        DOSE, **given, givenAt=(evening + timedelta(minutes=45)).isoformat()
    )

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "RULE_VIOLATION",
        "givenAt",
        "dose-spacing",
    )
    assert api.platform.store.last_position() == head
    await clinic.nurse(DOSE, **given, givenAt=(evening + timedelta(hours=12)).isoformat())
