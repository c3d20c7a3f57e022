"""A dose or take-home is not charted for a time before its order was written.

An order written at 10:00 to start that day prescribes nothing at 06:00: a dose charted as
given then (a nurse's wrong time, or a dose given without an order) is refused naming
``givenAt`` (``handedOverAt`` for a take-home), rule ``after-order-written``, and nothing is
recorded. An order dated back, by its ``occurredAt`` (a paper order entered late) or by a
start before the day it was written, is dosed from then."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from medication_steps import CHANGE, DOSE, DOSING, INDUCTED, TAKE_HOME, Clinic
from program_days import earlier_today

from support import Api

pytestmark = pytest.mark.shared_platform


async def test_a_dose_charted_before_the_order_was_written_is_refused_and_not_recorded(
    api: Api, now: datetime, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Ana W.")
    given_at, written_at = earlier_today(now, api.platform.medication.zone, 30, 20)
    order = (await clinic.methadone("60", today))["id"]
    dose = {"orderId": order, "amount": "60", "dosageForm": "oral solution", "lot": "LOT-A"}

    refused = await clinic.refused(DOSE, **dose, givenAt=given_at.isoformat())
    assert (refused["code"], refused["field"], refused["rule"]) == (
        "RULE_VIOLATION", "givenAt", "after-order-written",
    )  # fmt: skip
    assert "before it was prescribed" in refused["message"]
    assert (await clinic.read(DOSING))["entries"] == []

    dated_back = await Clinic.enroll(api, "Ben W.")
    order = (await dated_back.methadone("60", today, occurredAt=written_at.isoformat()))["id"]
    refused = await dated_back.refused(
        DOSE, **(dose | {"orderId": order}), givenAt=given_at.isoformat()
    )
    assert refused["rule"] == "after-order-written"
    await dated_back.nurse(DOSE, **(dose | {"orderId": order}), givenAt=now.isoformat())
    assert [e["status"] for e in (await dated_back.read(DOSING))["entries"]] == ["given"]


async def test_a_take_home_handed_over_before_a_dose_change_was_written_is_refused(
    api: Api, now: datetime, today: date
) -> None:
    """Bottles handed over before a change written today to start today went home under the
    order it replaced, not under the change."""
    clinic = await Clinic.enroll(api, "Cy W.")
    yesterday = today - timedelta(days=1)
    order = (await clinic.methadone("60", yesterday))["id"]
    await clinic.dose(order, yesterday, "60")
    await clinic.eligible(7, on=yesterday)
    [handed_at] = earlier_today(now, api.platform.medication.zone, 20)
    changed = (
        await clinic.doctor(
            CHANGE, orderId=order, dose="70", start=str(today), reason="cravings",
            acknowledgements=[INDUCTED, {"rule": "methadone-titration", "reason": "cravings"}],
        )
    )["id"]  # fmt: skip

    refused = await clinic.refused(
        TAKE_HOME, orderId=changed, firstDay=str(today + timedelta(days=1)), days=1,
        dosageForm="oral solution", bottles=[{"bottle": "TH-1", "lot": "LOT-A"}],
        handedOverAt=handed_at.isoformat(),
    )  # fmt: skip
    assert (refused["field"], refused["rule"]) == ("handedOverAt", "after-order-written")
    dosing = await clinic.read(DOSING)
    assert [e["status"] for e in dosing["entries"]] == ["given"]
