"""A monthly buprenorphine injection is started only on buprenorphine the client has taken
(the SUBLOCADE label: after transmucosal buprenorphine, a single tolerated dose at least):
one was prescribed and injected into a client with none on record, a month's depot that
nothing takes back if it precipitates withdrawal. The order needs the prescriber's
acknowledgement unless sublingual buprenorphine is on record or ordered by then, and the
window gives the first injection an hour after a sublingual dose, not before."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from medication_steps import DOSE, DOSING, PRESCRIBE, Clinic, at

from carecoord.events import Role
from support import Api

RULE = "buprenorphine-xr-initiation"
XR = {
    "medication": "buprenorphine-xr", "dose": "300", "unit": "mg", "route": "subcutaneous",
    "schedule": {"everyDays": 28},
}  # fmt: skip
CROSS = {"rule": "duplicate-opioid-treatment", "reason": "rapid initiation of the injection"}


def clock(day: date, hour: int, minute: int) -> str:
    return datetime.combine(day, time(hour, minute), UTC).isoformat()


@pytest.mark.shared_platform
async def test_an_injection_waits_for_sublingual_buprenorphine_and_an_hour(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Ren T.")
    first = today - timedelta(days=10)
    written = at(first, 8)

    unasked = await clinic.refused(
        PRESCRIBE, role=Role.PRESCRIBER, **XR, start=str(first), occurredAt=written
    )
    sublingual = await clinic.doctor(
        PRESCRIBE, medication="buprenorphine", dose="4", unit="mg", route="sublingual",
        start=str(first), end=str(first), occurredAt=written,
    )  # fmt: skip
    xr = await clinic.doctor(
        PRESCRIBE, **XR, start=str(first), occurredAt=written, acknowledgements=[CROSS]
    )
    injection: dict[str, Any] = {"orderId": xr["id"], "amount": "300", "dosageForm": "injection"}
    before = await clinic.refused(DOSE, **injection, givenAt=clock(first, 9, 0))
    await clinic.nurse(
        DOSE, orderId=sublingual["id"], amount="4", dosageForm="sublingual film",
        givenAt=clock(first, 9, 5), lot="LOT-S",
    )  # fmt: skip
    too_soon = await clinic.refused(DOSE, **injection, givenAt=clock(first, 9, 35))
    await clinic.nurse(DOSE, **injection, givenAt=clock(first, 10, 10), lot="LOT-X")

    assert (unasked["code"], unasked["field"], unasked["rule"]) == (
        "RULE_VIOLATION",
        "acknowledgements",
        RULE,
    )
    for refused in (before, too_soon):
        assert (refused["code"], refused["field"], refused["rule"]) == (
            "RULE_VIOLATION",
            "orderId",
            RULE,
        )
    dosing = await clinic.read(DOSING)
    given = [(e["medication"], e["amount"]) for e in dosing["entries"] if e["status"] == "given"]
    assert sorted(given) == [("buprenorphine", "4"), ("buprenorphine-xr", "300")]


@pytest.mark.shared_platform
async def test_a_week_at_2_mg_is_not_enough_for_the_first_injection(api: Api, today: date) -> None:
    """Version 2 of the rule (the SUBLOCADE label): seven days of 8-24 mg a day, or a single
    dose of at least 4 mg observed over the hour before; any buprenorphine was enough, so a
    week at 2 mg a day, or an order of it that ran out days before, let the depot in."""
    clinic = await Clinic.enroll(api, "Ivo P.")
    first = today - timedelta(days=10)
    injection_day = first + timedelta(days=7)
    sublingual = await clinic.doctor(
        PRESCRIBE, medication="buprenorphine", dose="2", unit="mg", route="sublingual",
        start=str(first), end=str(injection_day), occurredAt=at(first, 8),
    )  # fmt: skip
    await clinic.doses(sublingual["id"], first, 7, "2", form="sublingual film")
    ran_out = await clinic.refused(
        PRESCRIBE, role=Role.PRESCRIBER, **XR, start=str(injection_day + timedelta(days=1)),
        occurredAt=at(first, 8),
    )  # fmt: skip
    xr = await clinic.doctor(
        PRESCRIBE, **XR, start=str(injection_day), occurredAt=at(first, 8),
        acknowledgements=[CROSS],
    )  # fmt: skip
    injection: dict[str, Any] = {"orderId": xr["id"], "amount": "300", "dosageForm": "injection"}
    refused = await clinic.refused(DOSE, **injection, givenAt=clock(injection_day, 11, 0))

    assert (ran_out["field"], ran_out["rule"], ran_out["daysOnBuprenorphine"]) == (
        "acknowledgements",
        RULE,
        0,
    )
    assert (refused["code"], refused["field"], refused["rule"]) == (
        "RULE_VIOLATION",
        "orderId",
        RULE,
    )
    assert refused["daysOnBuprenorphine"] == 0
    assert "7 days of 8-24 mg" in refused["message"]
    dosing = await clinic.read(DOSING)
    assert [e["medication"] for e in dosing["entries"] if e["status"] == "given"] == [
        "buprenorphine"
    ] * 7
