"""An order's start is never before the client's enrolment. Before, a prescriber could date
one back anywhere within the year's horizon: an order for a client enrolled 90 days ago
started 200 days back, in force for months the program never treated them, and walked by
every missed-dose sweep. A dose taken elsewhere before the enrolment is a statement."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from medication_steps import MEDICATIONS, PRESCRIBE, SAFETY, Clinic

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform


def buprenorphine(start: date) -> dict[str, str]:
    return {"medication": "buprenorphine", "dose": "8", "unit": "mg", "route": "sublingual",
            "start": str(start)}  # fmt: skip


async def test_an_order_starting_before_the_enrolment_is_refused_naming_start(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Ines R.")  # 90 days ago

    refused = await clinic.refused(
        PRESCRIBE, Role.PRESCRIBER, **buprenorphine(today - timedelta(200))
    )

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "BAD_USER_INPUT", "start", "after-enrolment"
    )  # fmt: skip
    assert "before the client's enrolment" in refused["message"]
    assert (await clinic.read(MEDICATIONS))["orders"] == []
    assert await clinic.read(SAFETY) == []

    written = await clinic.doctor(PRESCRIBE, **buprenorphine(today - timedelta(88)))
    clinic.position = written["position"]
    [order] = (await clinic.read(MEDICATIONS))["orders"]
    assert (order["id"], order["start"]) == (written["id"], str(today - timedelta(88)))
