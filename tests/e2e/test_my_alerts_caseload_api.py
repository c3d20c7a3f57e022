"""``myAlerts`` reads the alerts of the reader's own clients, decided once a client: a nurse
of a mixed caseload (an alert open, one acknowledged with a note, a client whose consent to
the nurse is revoked and one whose team the nurse leaves as the read begins, both while the
access views lag) is answered and logged as before, and a reader on no team is answered
nothing, whatever alerts other teams hold."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from statements import statements
from test_access import ACCESS_LOG, CONSENT, END, REVOKE
from test_foundation import ENROLL

from carecoord.events import Role
from carecoord.services.gate import gate
from carecoord.services.gate.grants import grants_for
from support import Api, mutation

SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
ACKNOWLEDGE = mutation("AlertNoteInput", "acknowledgeAlert")
QUEUE = """query($at: Seq) { myAlerts(atLeast: $at) { alerts {
  clientId ruleId status history } } }"""
NURSE, COLLEAGUE, PRESCRIBER = "nurse-mixed", "nurse-colleague", "prescriber-mixed"
PHQ9_ITEM_9 = [{"item": str(i), "value": 2 if i == 9 else 0} for i in range(1, 10)]


async def alerted(api: Api, name: str) -> tuple[str, str, int]:
    """A client with NURSE, COLLEAGUE and PRESCRIBER on the team and an open PHQ-9 item 9
    alert: the client's id, the alert's, and the position it was raised at."""
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": name, "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id: str = enrolled["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE, NURSE)
    await api.join_care_team(client_id, Role.NURSE, COLLEAGUE)
    await api.join_care_team(client_id, Role.PRESCRIBER, PRESCRIBER)
    scored = await api.ok(
        SCORE, {"input": {"clientId": client_id, "instrument": "PHQ9", "answers": PHQ9_ITEM_9}},
        role=Role.NURSE, user=COLLEAGUE,
    )  # fmt: skip
    found = await api.ok(
        "query($id: UUID!, $at: Seq) { clientAlerts(clientId: $id, atLeast: $at) { alertId } }",
        {"id": client_id, "at": scored["scoreInstrument"]["position"]},
        role=Role.NURSE,
        user=COLLEAGUE,
    )
    [alert] = found["clientAlerts"]
    return client_id, alert["alertId"], scored["scoreInstrument"]["position"]


async def consented(api: Api, client_id: str) -> str:
    """A consent naming NURSE for care entries and alerts; its id."""
    data = await api.ok(
        CONSENT,
        {"input": {"clientId": client_id, "purpose": "treatment", "dataKinds": ["CARE", "ALERT"],
                   "recipients": [{"type": "MEMBER", "id": NURSE, "name": "Nurse M."}],
                   "signedOn": str(api.platform.medication.day_of(datetime.now(UTC))),
                   "expiryEvent": "end of treatment", "signedBy": "Mixed C."}},
        role=Role.PROGRAM_ADMIN,
    )  # fmt: skip
    return str(data["recordConsent"]["id"])


async def read_as_the_views_lag(api: Api, revoked: tuple[str, str], left: str) -> Any:
    """NURSE's queue, read as a consent naming them is revoked (``revoked``: client and
    consent) and as they leave ``left``'s team, which the views apply after the read began."""
    with psycopg.connect(api.platform.database_url) as held:
        held.execute("LOCK TABLE care_team, consents IN EXCLUSIVE MODE")
        client_id, consent_id = revoked
        await api.ok(
            REVOKE, {"input": {"clientId": client_id, "consentId": consent_id}},
            role=Role.PROGRAM_ADMIN,
        )  # fmt: skip
        await api.ok(
            END, {"input": {"clientId": left, "memberId": NURSE, "reason": "rotated"}},
            role=Role.PROGRAM_ADMIN,
        )  # fmt: skip
        reading = asyncio.create_task(api.ok(QUEUE, role=Role.NURSE, user=NURSE))
        await asyncio.sleep(0.5)  # the read has begun, and waits for the views
        held.rollback()
        return (await reading)["myAlerts"]["alerts"]


async def reads_of(api: Api, client_id: str, reader: str) -> list[tuple[Any, ...]]:
    data = await api.ok(ACCESS_LOG, {"id": client_id}, role=Role.AUDITOR, user="a-1")
    return [
        (e["operation"], e["outcome"], e["basis"], e["kindsReturned"], e["entriesReturned"])
        for e in data["accessLog"]
        if e["readerId"] == reader and e["operation"] == "myAlerts"
    ]


async def test_a_mixed_caseload_is_answered_and_logged_a_client_at_a_time(api: Api) -> None:
    open_client, _, _ = await alerted(api, "Open A.")
    noted_client, noted_alert, _ = await alerted(api, "Noted B.")
    revoked_client, _, _ = await alerted(api, "Revoked C.")
    left_client, _, _ = await alerted(api, "Left D.")
    consent_id = await consented(api, revoked_client)
    await api.ok(
        ACKNOWLEDGE, {"input": {"clientId": noted_client, "alertId": noted_alert,
                                "note": "called, safety plan in place"}},
        role=Role.PRESCRIBER, user=PRESCRIBER,
    )  # fmt: skip

    found = await read_as_the_views_lag(api, (revoked_client, consent_id), left_client)

    assert [(a["clientId"], a["ruleId"], a["status"]) for a in found] == [
        (open_client, "phq9-item9", "OPEN"),
        (noted_client, "phq9-item9", "ACKNOWLEDGED"),
        (revoked_client, "phq9-item9", "OPEN"),
    ]
    [step] = found[1]["history"]
    assert (step["by"], step["note"], step["withheld"]) == (
        PRESCRIBER,
        "called, safety plan in place",
        [],
    )
    for client_id in (open_client, noted_client, revoked_client):
        assert await reads_of(api, client_id, NURSE) == [
            ("myAlerts", "GRANTED", "CARE_TEAM", ["alert"], 1)
        ]
    assert await reads_of(api, left_client, NURSE) == []


async def test_a_reader_on_no_team_is_answered_nothing(api: Api) -> None:
    client_id, _, position = await alerted(api, "Other E.")

    found = await api.ok(QUEUE, {"at": position}, role=Role.NURSE, user="nurse-no-team")

    assert found["myAlerts"]["alerts"] == []
    assert await reads_of(api, client_id, "nurse-no-team") == []


PAGE = """query($at: Seq, $first: Int, $after: String) {
  myAlerts(atLeast: $at, first: $first, after: $after) {
    alerts { alertId clientId } pageInfo { hasNextPage endCursor } } }"""


async def test_the_queue_is_read_a_page_at_a_time_each_logged_for_its_own_clients(
    api: Api,
) -> None:
    first_client, _, _ = await alerted(api, "Page A.")
    second_client, _, position = await alerted(api, "Page B.")
    whole = await api.ok(PAGE, {"at": position}, role=Role.NURSE, user=NURSE)
    assert whole["myAlerts"]["pageInfo"]["hasNextPage"] is False

    pages, after = [], None
    for _ in range(2):
        found = await api.ok(
            PAGE, {"at": position, "first": 1, "after": after}, role=Role.NURSE, user=NURSE
        )
        pages.append(found["myAlerts"])
        after = found["myAlerts"]["pageInfo"]["endCursor"]

    assert [p["alerts"] for p in pages] == [[a] for a in whole["myAlerts"]["alerts"]]
    assert [a["clientId"] for a in whole["myAlerts"]["alerts"]] == [first_client, second_client]
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, False]
    for client_id in (first_client, second_client):
        assert (
            await reads_of(api, client_id, NURSE)
            == [("myAlerts", "GRANTED", "CARE_TEAM", ["alert"], 1)] * 2
        )


async def test_a_page_out_of_bounds_or_another_lists_cursor_is_refused(api: Api) -> None:
    _, _, position = await alerted(api, "Bounds C.")
    caseload = await api.ok(
        "query($at: Seq) { myCaseload(atLeast: $at, first: 1) { pageInfo { endCursor } } }",
        {"at": position},
        role=Role.NURSE,
        user=NURSE,
    )
    for variables, field, rule in (
        ({"first": 0}, "first", "page-size"),
        ({"first": 5001}, "first", "page-size"),
        ({"first": 1, "after": "not-a-cursor"}, "after", "cursor"),
        ({"after": caseload["myCaseload"]["pageInfo"]["endCursor"]}, "after", "cursor-log"),
    ):
        body = await api.gql(PAGE, variables, role=Role.NURSE, user=NURSE)
        [error] = body["errors"]
        assert (error["extensions"]["field"], error["extensions"]["rule"]) == (field, rule)


async def test_a_page_decides_the_team_once_in_one_statement(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    position = 0
    for n in range(4):
        _, _, position = await alerted(api, f"Counted {n}.")

    decided: list[list[Any]] = []

    async def counted(conn: Any, reader: Any, clients: list[Any], today: Any) -> Any:
        decided.append(list(clients))
        return await grants_for(conn, reader, clients, today)

    monkeypatch.setattr(gate, "grants_for", counted)
    with statements(monkeypatch) as seen:
        found = await api.ok(PAGE, {"at": position, "first": 1}, role=Role.NURSE, user=NURSE)

    assert len(found["myAlerts"]["alerts"]) == 1
    # The team's four clients are decided in one statement before the page is read, so
    # that the one statement reading the page and the alert after it reads only alerts the
    # reader is shown: an alert read and left out after made the page and its cursor.
    assert len([s for s in seen if "CROSS JOIN LATERAL" in s]) == 1
    assert len([s for s in seen if "on_care_team" in s]) == 1
    assert [len(clients) for clients in decided] == [4]
