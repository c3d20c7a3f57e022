"""A monthly buprenorphine extended-release injection is charted through the API in its
window: before the label's 26 days since the last one it is refused naming `givenAt` and the
earliest day, and nothing is recorded; from that day on it is given, though not its exact
due day. A dose not given is recorded on any day of the same window (before, only on the
exact due day), and before it is refused naming `occurredAt`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from medication_steps import DOSE, DOSING, NOT_GIVEN, PRESCRIBE, Clinic, at

from support import Api

STARTED = {"rule": "buprenorphine-xr-initiation", "reason": "on sublingual buprenorphine elsewhere"}


async def injected_once(api: Api, today: date, name: str) -> tuple[Clinic, dict[str, Any], date]:
    """A client on a monthly injection given 40 days before ``today``: the clinic, the order,
    that day."""
    clinic = await Clinic.enroll(api, name)
    first = today - timedelta(days=40)
    order = await clinic.doctor(
        PRESCRIBE, medication="buprenorphine-xr", dose="300", unit="mg", route="subcutaneous",
        start=str(first), schedule={"everyDays": 28}, occurredAt=at(first, 8),
        acknowledgements=[STARTED],
    )  # fmt: skip
    await clinic.dose(order["id"], first, "300", form="injection")
    return clinic, order, first


@pytest.mark.shared_platform
async def test_an_injection_is_given_in_its_window_and_refused_before_it(
    api: Api, today: date
) -> None:
    clinic, order, first = await injected_once(api, today, "Kit B.")
    too_soon = first + timedelta(days=25)

    refused = await clinic.refused(
        DOSE, orderId=order["id"], amount="300", dosageForm="injection", givenAt=at(too_soon)
    )
    earliest = first + timedelta(days=26)  # two days before its due day
    await clinic.dose(order["id"], earliest, "300", form="injection")

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "RULE_VIOLATION",
        "givenAt",
        "injection-interval",
    )
    assert f"given on {first}; the next may be given from {earliest}" in refused["message"]
    dosing = await clinic.read(DOSING)
    given = [e["day"] for e in dosing["entries"] if e["status"] == "given"]
    assert given == [str(first), str(earliest)]


@pytest.mark.shared_platform
async def test_a_dose_not_given_is_recorded_in_the_injections_window(api: Api, today: date) -> None:
    clinic, order, first = await injected_once(api, today, "Lou N.")
    too_soon, declined = first + timedelta(days=20), first + timedelta(days=27)

    refused = await clinic.refused(
        NOT_GIVEN, orderId=order["id"], reason="DECLINED", occurredAt=at(too_soon)
    )
    await clinic.nurse(NOT_GIVEN, orderId=order["id"], reason="DECLINED", occurredAt=at(declined))

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "RULE_VIOLATION",
        "occurredAt",
        "injection-interval",
    )
    assert f"may be given from {first + timedelta(days=26)}" in refused["message"]
    dosing = await clinic.read(DOSING)
    not_given = [(e["day"], e["detail"]) for e in dosing["entries"] if e["status"] == "not-given"]
    assert not_given == [(str(declined), "declined")]
