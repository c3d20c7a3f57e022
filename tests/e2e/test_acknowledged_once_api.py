"""An order acknowledging one rule twice is refused naming the second (acknowledged-once):
the two reasons were read into one, the last kept and the first dropped unsaid, and the
prescriber's record of the override was not what they sent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from medication_steps import DOCTOR, INDUCTED, PRESCRIBE, Clinic

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform


async def test_a_rule_acknowledged_twice_is_refused_naming_the_second(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Sam R.")
    twice = [INDUCTED, {**INDUCTED, "reason": "titrated from another program"}]
    given = {
        "clientId": clinic.client_id, "medication": "methadone", "dose": "60", "unit": "mg",
        "route": "oral", "start": str(datetime.now(UTC).date()), "acknowledgements": twice,
    }  # fmt: skip
    head = await asyncio.to_thread(api.platform.store.last_position)

    body = await api.gql(PRESCRIBE, {"i": given}, role=Role.PRESCRIBER, user=DOCTOR)

    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT", "field": "acknowledgements.1.rule", "rule": "acknowledged-once",
    }  # fmt: skip
    assert await asyncio.to_thread(api.platform.store.last_position) == head
