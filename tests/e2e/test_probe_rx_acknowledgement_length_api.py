"""An acknowledgement's reason longer than the override it becomes can hold (500 characters)
is refused naming acknowledgements.reason before anything is recorded: it was refused naming
reason (changeDose's own field, or none of prescribeMedication's) once the order was written,
and the refused order stayed in the cached record."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from medication_steps import INDUCTED, PRESCRIBE, Clinic

from carecoord.events import Role
from support import Api


def order(medication: str, start: date, reason: str = "") -> dict[str, object]:
    acknowledged = [{"rule": "opioid-cns-depressant", "reason": reason}] if reason else []
    if medication == "methadone":
        acknowledged.append(INDUCTED)
    return {"medication": medication, "dose": "1" if medication == "lorazepam" else "60",
            "unit": "mg", "route": "oral", "start": str(start),
            "acknowledgements": acknowledged}  # fmt: skip


@pytest.mark.shared_platform
async def test_an_acknowledgement_too_long_for_its_override_is_refused_first(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Jo M.")
    await clinic.doctor(PRESCRIBE, **order("methadone", today))
    head = await asyncio.to_thread(api.platform.store.last_position)

    refused = await clinic.refused(
        PRESCRIBE, Role.PRESCRIBER, **order("lorazepam", today, "r" * 501)
    )

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "BAD_USER_INPUT",
        "acknowledgements.reason",
        "value-bounds",
    )
    assert "501 characters long; at most 500" in refused["message"]
    assert await asyncio.to_thread(api.platform.store.last_position) == head, "nothing recorded"
    written = await clinic.doctor(PRESCRIBE, **order("lorazepam", today, " " + "r" * 500 + " "))
    [finding] = written["findings"]
    assert finding["acknowledgedReason"] == "r" * 500
