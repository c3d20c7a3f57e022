"""Each take-home bottle's label shows every character it holds. Before, B1 and B1 with a
zero-width space after it passed the rule that each bottle has its own label, and a label of
spaces was kept: a call-back count could not tell which dose a returned bottle held. Each is
refused naming the bottle and records nothing; labels written plainly are handed over. An
empty label or lot, or a label over 100 characters, was an internal error; each is refused
naming the field too."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest
from medication_steps import DOSE, DOSING, TAKE_HOME, Clinic

from support import Api

pytestmark = pytest.mark.shared_platform

HIDDEN = ["B1\u200b", "B\u20601", "B1\u00a0x"]


async def test_a_label_holding_what_no_reader_sees_is_refused(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Kit B.")
    prescribed = await clinic.methadone("60", today)
    order = str(prescribed["id"])
    await clinic.nurse(DOSE, orderId=order, amount="60", dosageForm="oral solution")
    await clinic.eligible(7)
    given: dict[str, Any] = {
        "orderId": order, "firstDay": str(today + timedelta(days=1)), "days": 2,
        "dosageForm": "oral solution",
    }  # fmt: skip
    head = await asyncio.to_thread(api.platform.store.last_position)

    refusals = [
        await clinic.refused(
            TAKE_HOME,
            **given,
            bottles=[{"bottle": "B1", "lot": "LOT-A"}, {"bottle": label, "lot": "LOT-A"}],
        )
        for label in HIDDEN
    ]

    for label, refused in zip(HIDDEN, refusals, strict=True):
        assert (refused["code"], refused["field"], refused["rule"]) == (
            "BAD_USER_INPUT", "bottles.1.bottle", "visible-name",
        ), ascii(label)  # fmt: skip
    for bottle, field, rule in [
        ({"bottle": "   ", "lot": "LOT-A"}, "bottles.1.bottle", "string_too_short"),
        ({"bottle": "B2", "lot": ""}, "bottles.1.lot", "string_too_short"),
        ({"bottle": "B" * 101, "lot": "LOT-A"}, "bottles.1.bottle", "string_too_long"),
    ]:
        refused = await clinic.refused(
            TAKE_HOME, **given, bottles=[{"bottle": "B1", "lot": "LOT-A"}, bottle]
        )
        assert (refused["code"], refused["field"], refused["rule"]) == (
            "BAD_USER_INPUT", field, rule,
        ), bottle  # fmt: skip
    assert await asyncio.to_thread(api.platform.store.last_position) == head
    await clinic.nurse(
        TAKE_HOME,
        **given,
        bottles=[{"bottle": "B1", "lot": "LOT-A"}, {"bottle": "B2", "lot": "LOT-A"}],
    )
    assert (await clinic.read(DOSING))["takeHomeDoses"] == 2
