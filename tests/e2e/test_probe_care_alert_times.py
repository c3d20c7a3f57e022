"""An alert is acknowledged and resolved after it was raised and no later than now: a step
dated in the future, or before the alert was raised, is refused naming ``occurredAt`` and
adds nothing to its history. Before, a PHQ-9 item-9 alert raised today was shown as
acknowledged in 2099 and resolved in 1901, its resolution sorted before the client's
enrolment on the timeline."""

from __future__ import annotations

from typing import Any

import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
ACKNOWLEDGE = mutation("AlertNoteInput", "acknowledgeAlert")
RESOLVE = mutation("AlertNoteInput", "resolveAlert")
ALERTS = """query($id: UUID!, $atLeast: Seq) { clientAlerts(clientId: $id, atLeast: $atLeast) {
  alertId status history } }"""
NURSE = "nurse-alert-times"


async def as_nurse(api: Api, query: str, **given: Any) -> dict[str, Any]:
    return await api.gql(query, {"input": given}, role=Role.NURSE, user=NURSE)


async def test_an_alert_step_dated_in_the_future_or_before_the_alert_is_refused(
    api: Api,
) -> None:
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Tam", "program": "IOP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE, NURSE)
    answers = [{"item": str(i), "value": 1} for i in range(1, 10)]
    scored = await as_nurse(api, SCORE, clientId=client_id, instrument="PHQ9", answers=answers)
    position = scored["data"]["scoreInstrument"]["position"]
    found = await api.ok(
        ALERTS, {"id": client_id, "atLeast": position}, role=Role.NURSE, user=NURSE
    )
    [alert] = found["clientAlerts"]
    step = {"clientId": client_id, "alertId": alert["alertId"], "note": "called the client"}

    for query, when, rule in (
        (ACKNOWLEDGE, "2099-01-01T00:00:00Z", "not-in-future"),
        (RESOLVE, "2099-01-01T00:00:00Z", "not-in-future"),
        (ACKNOWLEDGE, "1901-01-01T00:00:00Z", "after-alert-raised"),
        (RESOLVE, "1901-01-01T00:00:00Z", "after-alert-raised"),
    ):
        body = await as_nurse(api, query, **step, occurredAt=when)
        [error] = body["errors"]
        assert error["extensions"] == {
            "code": "BAD_USER_INPUT", "field": "occurredAt", "rule": rule,
        }, error  # fmt: skip

    resolved = await as_nurse(api, RESOLVE, **step)
    after = await api.ok(
        ALERTS,
        {"id": client_id, "atLeast": resolved["data"]["resolveAlert"]["position"]},
        role=Role.NURSE,
        user=NURSE,
    )
    [history] = [a["history"] for a in after["clientAlerts"]]
    assert [h["status"] for h in history] == ["resolved"], "the refused steps added nothing"
