"""A dose given at the window before the order was stopped is charted after the stop.

A nurse charts the morning's doses when the window quietens; a prescriber may stop the order
(switching to naltrexone) in between. The dose was given while the order was in force: it
is dispensed methadone the DEA dispensing log must show (21 CFR 1304.24) and opioid exposure
the naltrexone rule counts from (``naltrexone-opioid-agonist``: opioid-free 7-14 days). A
stop, as a stop's own ``stoppedAt`` rule says (``stop-after-last-dose``), comes after the
doses given before it; a dose given after it is refused as before."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from medication_steps import (
    DISCONTINUE,
    DOSE,
    DOSING,
    INDUCTED,
    PRESCRIBE,
    REPLACE,
    TAKE_HOME,
    Clinic,
)
from program_days import earlier_today

from support import Api

pytestmark = pytest.mark.shared_platform


def minutes_before(api: Api, now: datetime, *minutes: float) -> list[datetime]:
    """So many minutes before ``now``, on the program's day of ``now`` whatever its hour
    (``earlier_today``): this morning's window, not last night's."""
    return earlier_today(now, api.platform.medication.zone, *minutes)


async def test_a_dose_given_before_the_stop_is_charted_and_one_after_it_is_refused(
    api: Api, now: datetime, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Jo S.")
    start = today - timedelta(days=3)
    order = (await clinic.methadone("60", start))["id"]
    given_at, stopped_at, after_at = minutes_before(api, now, 30, 10, 5)
    await clinic.doctor(
        DISCONTINUE, orderId=order, reason="switching to naltrexone",
        stoppedAt=stopped_at.isoformat(),
    )  # fmt: skip

    after = await clinic.refused(
        DOSE, orderId=order, amount="60", dosageForm="oral solution",
        givenAt=after_at.isoformat(),
    )  # fmt: skip
    assert (after["field"], after["rule"]) == ("orderId", "order-active")
    await clinic.nurse(
        DOSE, orderId=order, amount="60", dosageForm="oral solution", givenAt=given_at.isoformat()
    )

    dosing = await clinic.read(DOSING)
    assert [e["status"] for e in dosing["entries"] if e["status"] == "given"] == ["given"]
    assert dosing["firstDoseDay"] is not None


async def stopped_and_followed(
    clinic: Clinic, now: datetime, today: date
) -> tuple[str, str, datetime]:
    """Methadone 60 mg stopped a minute after this morning's dose (not yet charted) and
    followed by an 80 mg order from today: the two orders and when the dose was given."""
    given_at, stopped_at = minutes_before(clinic.api, now, 3, 2)
    old = (
        await clinic.doctor(
            PRESCRIBE, medication="methadone", dose="60",
            acknowledgements=[INDUCTED], unit="mg", route="oral",
            start=str(today - timedelta(days=3)),
        )
    )["id"]  # fmt: skip
    await clinic.doctor(
        DISCONTINUE, orderId=old, reason="dose increase as a new order",
        stoppedAt=stopped_at.isoformat(),
    )  # fmt: skip
    new = (
        await clinic.doctor(
            PRESCRIBE, medication="methadone", dose="80",
            acknowledgements=[INDUCTED], unit="mg", route="oral",
            start=str(today),
        )
    )["id"]  # fmt: skip
    return old, new, given_at


async def test_a_dose_charted_under_the_stopped_order_counts_against_the_next_orders_day(
    api: Api, now: datetime, today: date
) -> None:
    """Stopped at 60 mg and restarted at 80 mg on one day: the morning's 60 mg, charted late
    under the stopped order, is that day's intake under the new one too (``daily-amount``);
    the nurse may give the 20 mg that is left."""
    clinic = await Clinic.enroll(api, "Ray K.")
    old, new, given_at = await stopped_and_followed(clinic, now, today)
    await clinic.nurse(
        DOSE, orderId=old, amount="60", dosageForm="oral solution", givenAt=given_at.isoformat()
    )

    refused = await clinic.refused(DOSE, orderId=new, amount="80", dosageForm="oral solution")
    assert (refused["field"], refused["rule"]) == ("amount", "daily-amount")
    assert "at most 20 mg more" in refused["message"]
    await clinic.nurse(DOSE, orderId=new, amount="20", dosageForm="oral solution")


async def test_a_dose_charted_late_under_the_stopped_order_is_held_to_what_is_left(
    api: Api, now: datetime, today: date
) -> None:
    """The other way round: 80 mg given under the new order first, the stopped order's
    morning dose charted after it would make 140 mg of methadone in one day."""
    clinic = await Clinic.enroll(api, "Sam K.")
    old, new, given_at = await stopped_and_followed(clinic, now, today)
    await clinic.nurse(DOSE, orderId=new, amount="80", dosageForm="oral solution")

    refused = await clinic.refused(
        DOSE, orderId=old, amount="60", dosageForm="oral solution", givenAt=given_at.isoformat()
    )
    assert (refused["field"], refused["rule"]) == ("amount", "daily-amount")
    assert "at most 0 mg more" in refused["message"]


async def test_a_replacement_given_before_the_stop_is_charted_and_one_after_it_is_refused(
    api: Api, now: datetime, today: date
) -> None:
    """A dose vomited and replaced at the window before the order was stopped, both charted
    after the stop: the replacement is dispensed methadone the DEA log needs, as the dose is."""
    clinic = await Clinic.enroll(api, "Lee S.")
    written_at, given_at, replaced_at, stopped_at, after_at = minutes_before(
        api, now, 40, 30, 25, 10, 5
    )
    order = (
        await clinic.doctor(
            PRESCRIBE, medication="methadone", dose="60", acknowledgements=[INDUCTED],
            unit="mg", route="oral", start=str(today), occurredAt=written_at.isoformat(),
        )
    )["id"]  # fmt: skip
    dose = await clinic.nurse(
        DOSE, orderId=order, amount="60", dosageForm="oral solution", givenAt=given_at.isoformat()
    )
    await clinic.doctor(
        DISCONTINUE, orderId=order, reason="switching to naltrexone",
        stoppedAt=stopped_at.isoformat(),
    )  # fmt: skip
    replacing = {"orderId": order, "replacesDoseId": dose["id"], "amount": "60",
                 "dosageForm": "oral solution", "reason": "vomited"}  # fmt: skip

    after = await clinic.refused(REPLACE, **replacing, givenAt=after_at.isoformat())
    assert (after["field"], after["rule"]) == ("orderId", "order-active")
    await clinic.nurse(REPLACE, **replacing, givenAt=replaced_at.isoformat())

    dosing = await clinic.read(DOSING)
    assert sorted(e["status"] for e in dosing["entries"]) == ["given", "replacement"]


async def test_a_take_home_handed_over_before_the_stop_is_charted_and_one_after_it_is_refused(
    api: Api, now: datetime, today: date
) -> None:
    """Bottles for tomorrow handed over this morning, the order stopped since and the hand-over
    charted after the stop: the client holds schedule II methadone the DEA log must show."""
    clinic = await Clinic.enroll(api, "Kim S.")
    start = today - timedelta(days=3)
    order = (
        await clinic.doctor(
            PRESCRIBE, medication="methadone", dose="60",
            acknowledgements=[INDUCTED], unit="mg", route="oral", start=str(start)
        )
    )["id"]  # fmt: skip
    await clinic.dose(order, start, "60")
    await clinic.eligible(7, on=start)
    handed_at, stopped_at, after_at = minutes_before(api, now, 30, 10, 5)
    await clinic.doctor(
        DISCONTINUE, orderId=order, reason="switching to naltrexone",
        stoppedAt=stopped_at.isoformat(),
    )  # fmt: skip
    bottles = {"orderId": order, "firstDay": str(today + timedelta(days=1)),
               "days": 1, "dosageForm": "oral solution"}  # fmt: skip

    after = await clinic.refused(
        TAKE_HOME, **bottles, bottles=[{"bottle": "TH-2", "lot": "LOT-A"}],
        handedOverAt=after_at.isoformat(),
    )  # fmt: skip
    assert (after["field"], after["rule"]) == ("orderId", "order-active")
    await clinic.nurse(
        TAKE_HOME, **bottles, bottles=[{"bottle": "TH-1", "lot": "LOT-A"}],
        handedOverAt=handed_at.isoformat(),
    )  # fmt: skip

    dosing = await clinic.read(DOSING)
    assert [e["status"] for e in dosing["entries"]].count("take-home") == 1
