"""Past the most alerts one read answers, ``clientAlerts`` and ``myAlerts`` are refused naming
``raisedTo`` (``rows-at-most``), and are read a period at a time (``raisedFrom``, before
``raisedTo``), the next from where the last ended. Before, they answered the newest 500 with
nothing to say so: a clinician could not tell their queue, or a client's years of alerts,
was not all there."""

from __future__ import annotations

from typing import Any

import pytest

from carecoord.events import Role
from carecoord.graphql import log_pages
from support import Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
CLIENT_ALERTS = """query($id: UUID!, $atLeast: Seq, $from: DateTime, $to: DateTime) {
  clientAlerts(clientId: $id, atLeast: $atLeast, raisedFrom: $from, raisedTo: $to) {
    alertId ruleId raisedAt } }"""
MY_ALERTS = """query($atLeast: Seq, $from: DateTime, $to: DateTime) {
  myAlerts(atLeast: $atLeast, raisedFrom: $from, raisedTo: $to) {
    alerts { alertId ruleId raisedAt } } }"""
NURSE = "nurse-many-alerts"


def refusal(body: dict[str, Any]) -> tuple[str, str, str]:
    [error] = body["errors"]
    return error["extensions"]["field"], error["extensions"]["rule"], error["message"]


async def test_alerts_past_the_most_rows_are_refused_and_read_as_periods(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Ari", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE, NURSE)
    token = api.token(Role.CLIENT, client_id)
    for _ in range(4):
        await api.ok(
            CHECK_IN, {"input": {"clientId": client_id, "substanceUse": True}}, token=token
        )
    answers = [{"item": str(i), "value": 1} for i in range(1, 10)]
    scored = await api.ok(
        SCORE,
        {"input": {"clientId": client_id, "instrument": "PHQ9", "answers": answers}},
        role=Role.NURSE,
        user=NURSE,
    )
    position = scored["scoreInstrument"]["position"]
    who: dict[str, Any] = {"role": Role.NURSE, "user": NURSE}
    whole = (await api.ok(CLIENT_ALERTS, {"id": client_id, "atLeast": position}, **who))[
        "clientAlerts"
    ]
    assert [a["ruleId"] for a in whole] == [*["substance-use-reported"] * 4, "phq9-item9"]
    mine = (await api.ok(MY_ALERTS, {"atLeast": position}, **who))["myAlerts"]["alerts"]
    assert [a["alertId"] for a in mine] == [a["alertId"] for a in whole]
    monkeypatch.setattr(log_pages, "MAX_ROWS", 3)

    for query, variables in (
        (CLIENT_ALERTS, {"id": client_id, "atLeast": position}),
        (MY_ALERTS, {"atLeast": position}),
    ):
        field, rule, message = refusal(await api.gql(query, variables, **who))
        assert (field, rule) == ("raisedTo", "rows-at-most")
        assert "more than 3 rows" in message
        split = whole[2]["raisedAt"]
        read: list[str] = []
        for period in ({"to": split}, {"from": split}):
            body = await api.gql(query, {**variables, **period}, **who)
            assert not body.get("errors"), body["errors"]
            [found] = body["data"].values()
            rows = found["alerts"] if query is MY_ALERTS else found
            read += [a["alertId"] for a in rows]
        assert read == [a["alertId"] for a in whole]
