"""The take-home eligibility a hand-over is held to is the latest determined, by when it was
determined, not the last entered.

42 CFR 8.12(i)(2): the medical director decides take-home eligibility on the criteria, and
reassesses it (a positive screen, a diversion report). A determination charted late from the
paper record, dated before the one in force, is on the record where it belongs and does not
undo the later decision: after "no take-homes" today, an older "7 days" entered since leaves
the client with none."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from medication_steps import DOSE, HOLD, RESUME, TAKE_HOME, Clinic, at

from support import Api

pytestmark = pytest.mark.shared_platform


async def dosed_since(clinic: Clinic, start: date) -> str:
    """A methadone order from ``start``, dosed on its first day; its id."""
    written = await clinic.methadone("60", start)
    await clinic.dose(written["id"], start, "60")
    return str(written["id"])


async def test_an_older_determination_entered_late_does_not_undo_the_latest(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Sam Q.")
    order = await dosed_since(clinic, today - timedelta(days=40))
    await clinic.eligible(0)  # today: a diversion report, no take-homes
    await clinic.eligible(7, on=today - timedelta(days=10))  # charted late from paper

    refused = await clinic.refused(
        TAKE_HOME, orderId=order, firstDay=str(today + timedelta(days=1)), days=1,
        dosageForm="oral solution", bottles=[{"bottle": "E-1", "lot": "LOT-A"}],
    )  # fmt: skip
    assert (refused["field"], refused["rule"]) == ("days", "take-home-eligibility")
    assert "up to 0 days" in refused["message"]

    await clinic.eligible(2)
    await clinic.doctor(HOLD, orderId=order, reason="back after weeks away; to be assessed")
    await clinic.doctor(RESUME, orderId=order, reason="assessed")
    await clinic.nurse(DOSE, orderId=order, amount="60", dosageForm="oral solution")
    await clinic.nurse(
        TAKE_HOME, orderId=order, firstDay=str(today + timedelta(days=1)), days=1,
        dosageForm="oral solution", bottles=[{"bottle": "E-1", "lot": "LOT-A"}],
    )  # fmt: skip


async def test_a_take_home_charted_late_is_held_to_the_determination_in_force_when_handed_over(
    api: Api, today: date
) -> None:
    """A hand-over charted from paper is held to the eligibility of its day: before any was
    determined it is refused, though the client is eligible today; handed over while seven
    days were allowed it stands, though a reassessment since allows none."""
    clinic = await Clinic.enroll(api, "Sam R.")
    order = await dosed_since(clinic, today - timedelta(days=40))
    for days_ago in range(39, 10, -1):  # dosed daily, or the day back would be a restart
        if days_ago != 24:  # the day the refused take-home is for
            await clinic.dose(order, today - timedelta(days=days_ago), "60")

    def handed(days_ago: int, label: str) -> dict[str, Any]:
        day = today - timedelta(days=days_ago)
        return {
            "orderId": order, "firstDay": str(day + timedelta(days=1)), "days": 1,
            "dosageForm": "oral solution", "bottles": [{"bottle": label, "lot": "LOT-A"}],
            "handedOverAt": at(day, 12),
        }  # fmt: skip

    await clinic.eligible(7, on=today - timedelta(days=20))
    await clinic.eligible(0)  # today: a diversion report, no take-homes
    before = await clinic.refused(TAKE_HOME, **handed(25, "E-1"))
    assert (before["field"], before["rule"]) == ("days", "take-home-eligibility")
    assert "none was determined by the hand-over" in before["message"]
    await clinic.nurse(TAKE_HOME, **handed(10, "E-2"))
