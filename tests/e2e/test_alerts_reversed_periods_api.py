"""Alerts read for a period whose end is at or before its start (raisedTo not after
raisedFrom, the two swapped) are refused naming raisedTo (period-end-after-start), as the
client's other views' periods are: clientAlerts and myAlerts, whole or a page at a time,
answered such a period empty, which a clinician read as a time no alert was raised in."""

from __future__ import annotations

from typing import Any

import pytest
from medication_steps import DOCTOR, Clinic

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

EARLY, LATE = "2026-12-01T00:00:00Z", "2026-12-06T00:00:00Z"
CLIENT_ALERTS = """query($id: UUID!, $start: DateTime, $end: DateTime) {
  clientAlerts(clientId: $id, raisedFrom: $start, raisedTo: $end) { alertId } }"""
MY_ALERTS = """query($start: DateTime, $end: DateTime, $first: Int) {
  myAlerts(raisedFrom: $start, raisedTo: $end, first: $first) { alerts { alertId } } }"""


@pytest.mark.parametrize(
    ("query", "first"), [(CLIENT_ALERTS, None), (MY_ALERTS, None), (MY_ALERTS, 10)]
)
async def test_alerts_of_a_period_ending_at_or_before_its_start_are_refused(
    api: Api, query: str, first: int | None
) -> None:
    clinic = await Clinic.enroll(api, "Raised R.")
    who: dict[str, Any] = {"role": Role.PRESCRIBER, "user": DOCTOR}
    given: dict[str, Any] = {"id": clinic.client_id} if query is CLIENT_ALERTS else {"first": first}

    for start, end in [(LATE, EARLY), (LATE, LATE)]:
        body = await api.gql(query, {**given, "start": start, "end": end}, **who)
        [error] = body["errors"]
        assert error["extensions"] == {
            "code": "BAD_USER_INPUT", "field": "raisedTo", "rule": "period-end-after-start"
        }, (start, end)  # fmt: skip

    await api.ok(query, {**given, "start": EARLY, "end": LATE}, **who)
