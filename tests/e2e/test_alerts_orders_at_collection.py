"""A screen entered late is judged on the client's orders when it was collected: one
collected before the first methadone order, entered after it, raises no "while on methadone"
alert; one collected while on the order does. Before, every screen was judged on the orders
in force when it was entered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from medication_steps import INDUCTED
from screen_steps import benzodiazepines_without_methadone

from carecoord.events import Role
from support import Api, ago, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
PRESCRIBE = mutation("PrescribeInput", "prescribeMedication")
NURSE, DOCTOR = "nurse-collected", "dr-collected"


async def test_a_screen_entered_late_goes_by_the_orders_when_it_was_collected(api: Api) -> None:
    data = await api.ok(
        ENROLL,
        {"input": {"displayName": "Kai", "program": "OTP", "occurredAt": ago(days=10)}},
        role=Role.PROGRAM_ADMIN,
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE, NURSE)
    await api.join_care_team(client_id, Role.PRESCRIBER, DOCTOR)
    started = (datetime.now(UTC) - timedelta(days=3)).date()
    await api.ok(
        PRESCRIBE,
        {"input": {"clientId": client_id, "medication": "methadone", "dose": "60",
        "acknowledgements": [INDUCTED], "unit": "mg",
                   "route": "oral", "start": str(started), "occurredAt": ago(days=3)}},
        role=Role.PRESCRIBER, user=DOCTOR,
    )  # fmt: skip

    async def screen(collected: str) -> list[dict[str, Any]]:
        return await benzodiazepines_without_methadone(api, client_id, collected, NURSE)

    assert await screen(ago(days=8)) == [], "collected before the first order"
    on_methadone = await screen(ago(days=1))
    assert sorted((a["ruleId"], a["detail"]) for a in on_methadone) == [
        ("screen-depressant-on-agonist", "positive for benzodiazepines while on methadone"),
        ("screen-negative-for-agonist", "negative for prescribed methadone"),
    ]
