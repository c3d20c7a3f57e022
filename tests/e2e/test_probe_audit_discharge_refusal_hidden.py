"""A discharge dated before what was recorded for the client since is refused (``in-order``)
without quoting to a program admin what their grant does not show: the refusal read "before
what was given to, held or set for the client since (a dose given 2026-01-02T09:00)", so an
admin, who reads care and consent entries alone (42 CFR Part 2's minimum necessary), was
told when the client was last dosed, handed take-homes, seen in session or prescribed for,
with no read of the record logged. A prescriber is still told what and when."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from test_foundation import enroll_prescribe_dose

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

DISCHARGE = mutation("DischargeClientInput", "dischargeClient")


async def test_a_discharge_before_a_dose_is_refused_without_telling_an_admin_of_it(
    api: Api,
) -> None:
    client, _, _, dosed = await enroll_prescribe_dose(api)  # prescribed for the day before
    day_before = date.fromisoformat(dosed[:10]) - timedelta(1)
    given = {
        "input": {"clientId": client, "reason": "ADMINISTRATIVE",
                  "dischargedAt": f"{day_before}T12:00:00Z"},
    }  # fmt: skip

    admin = await api.gql(DISCHARGE, given, role=Role.PROGRAM_ADMIN)
    doctor = await api.gql(DISCHARGE, given, role=Role.PRESCRIBER, user="dr-lee")

    [refused] = admin["errors"]
    said = refused["message"]
    assert (refused["extensions"]["field"], refused["extensions"]["rule"]) == (
        "dischargedAt",
        "in-order",
    )
    assert "dose" not in said
    assert dosed[:10] not in said
    assert "does not read" in said
    [told] = doctor["errors"]
    assert told["extensions"]["rule"] == "in-order"
    assert f"a dose given {dosed[:16]}" in told["message"]
