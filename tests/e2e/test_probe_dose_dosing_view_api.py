"""What a client's dosing view answers for the days asked: a range whose toDay is before its
fromDay is refused naming toDay (days-in-order), as the DEA log's is; it answered no entries
and no doses given, which a nurse checking a client's week read as a week without a dose. On
a day before the first dose the client is not yet in treatment: 0 days, not a negative count."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from medication_steps import Clinic

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

SUMMARY = """query($id: UUID!, $atLeast: Seq, $on: Date) {
  clientDosing(clientId: $id, atLeast: $atLeast, on: $on) { firstDoseDay daysInTreatment } }"""
RANGE = """query($id: UUID!, $atLeast: Seq, $from: Date, $to: Date) {
  clientDosing(clientId: $id, atLeast: $atLeast, fromDay: $from, toDay: $to) {
    given entries { day status } } }"""


async def test_days_read_backwards_are_refused_and_one_day_is_a_range(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Dee R.")
    start = today - timedelta(days=3)
    order = await clinic.methadone("60", start)
    await clinic.dose(order["id"], start, "60")

    swapped = await api.gql(
        RANGE, {"id": clinic.client_id, "atLeast": clinic.position, "from": str(today),
                "to": str(start)}, role=Role.NURSE, user="nurse-kim",
    )  # fmt: skip

    [error] = swapped["errors"]
    assert (error["extensions"]["field"], error["extensions"]["rule"]) == (
        "toDay", "days-in-order"
    )  # fmt: skip
    one_day = await clinic.read(RANGE, **{"from": str(start), "to": str(start)})
    assert (one_day["given"], one_day["entries"]) == (1, [{"day": str(start), "status": "given"}])


async def test_a_day_before_the_first_dose_is_no_day_in_treatment(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Dee S.")
    start = today - timedelta(days=3)
    order = await clinic.methadone("60", start)
    await clinic.dose(order["id"], start, "60")

    days = [
        (await clinic.read(SUMMARY, on=str(start + timedelta(days=n))))["daysInTreatment"]
        for n in (-10, -1, 0, 3)
    ]

    assert days == [0, 0, 1, 4]
