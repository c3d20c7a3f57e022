"""A nurse taken off a client's care team no longer finds the client in their caseload or
their alert queue, even when the care-team view still showed them on it as the request
began. The listing was kept by that lagging view, and the client's grant, decided once the
views had the removal, was only asked whether it existed: a consent naming the nurse for
care entries and alerts kept the client, their open alerts counted, in ``myCaseload`` and
``myAlerts``, logged as read."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import psycopg
from test_access import ACCESS_LOG, CONSENT, END
from test_foundation import ENROLL

from carecoord.events import Role
from support import Api, mutation

SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
QUEUE = """query($at: Seq) { myCaseload(atLeast: $at) { clients { clientId openAlerts } }
  myAlerts(atLeast: $at) { alerts { clientId ruleId } } }"""
NURSE, COLLEAGUE = "nurse-lag", "nurse-stays"
PHQ9_ITEM_9 = [{"item": str(i), "value": 2 if i == 9 else 0} for i in range(1, 10)]


async def alerted_client(api: Api) -> tuple[str, int]:
    """A client with NURSE and COLLEAGUE on the team and an open PHQ-9 item 9 alert, and the
    position NURSE has read their caseload and alert queue at (the client in both)."""
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Lag Q.", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id: str = enrolled["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE, NURSE)
    await api.join_care_team(client_id, Role.NURSE, COLLEAGUE)
    scored = await api.ok(
        SCORE, {"input": {"clientId": client_id, "instrument": "PHQ9", "answers": PHQ9_ITEM_9}},
        role=Role.NURSE, user=COLLEAGUE,
    )  # fmt: skip
    position: int = scored["scoreInstrument"]["position"]
    before = await api.ok(QUEUE, {"at": position}, role=Role.NURSE, user=NURSE)
    assert listed(before) == ([(client_id, 1)], [(client_id, "phq9-item9")])
    return client_id, position


async def removed_while_the_view_lags(api: Api, client_id: str) -> dict[str, Any]:
    """NURSE's caseload and alert queue, read as NURSE is taken off the client's team, which
    the care-team view applies only after the read has begun."""
    with psycopg.connect(api.platform.database_url) as held:
        # The projector cannot write the care-team view while this lock is held.
        held.execute("LOCK TABLE care_team IN EXCLUSIVE MODE")
        await api.ok(
            END,
            {"input": {"clientId": client_id, "memberId": NURSE, "reason": "rotated"}},
            role=Role.PROGRAM_ADMIN,
        )
        reading = asyncio.create_task(api.ok(QUEUE, role=Role.NURSE, user=NURSE))
        await asyncio.sleep(0.5)  # the read has begun, and waits for the views
        held.rollback()
        found: dict[str, Any] = await reading
        return found


async def nurses_reads(api: Api, client_id: str) -> list[tuple[str, str, str]]:
    data = await api.ok(ACCESS_LOG, {"id": client_id}, role=Role.AUDITOR, user="a-1")
    return sorted((e["operation"], e["outcome"], e["basis"]) for e in data["accessLog"]
                  if e["readerId"] == NURSE)  # fmt: skip


BEFORE_THE_REMOVAL = [("myAlerts", "GRANTED", "CARE_TEAM"), ("myCaseload", "GRANTED", "CARE_TEAM")]


async def test_a_removal_the_care_team_view_lacks_leaves_the_caseload_and_alert_queue(
    api: Api,
) -> None:
    client_id, _ = await alerted_client(api)
    await api.ok(
        CONSENT,
        {"input": {"clientId": client_id, "purpose": "treatment", "dataKinds": ["CARE", "ALERT"],
                   "recipients": [{"type": "MEMBER", "id": NURSE, "name": "Nurse L."}],
                   "signedOn": str(api.platform.medication.day_of(datetime.now(UTC))),
                   "expiryEvent": "end of treatment", "signedBy": "Lag Q."}},
        role=Role.PROGRAM_ADMIN,
    )  # fmt: skip

    after = await removed_while_the_view_lags(api, client_id)

    assert listed(after) == ([], [])
    assert await nurses_reads(api, client_id) == BEFORE_THE_REMOVAL


async def test_a_client_left_is_not_logged_as_a_read_refused(api: Api) -> None:
    """Nor, with no consent, was the nurse logged as refused a read of the client they left:
    to an auditor, an attempt to open the record after the removal."""
    client_id, _ = await alerted_client(api)

    after = await removed_while_the_view_lags(api, client_id)

    assert listed(after) == ([], [])
    assert await nurses_reads(api, client_id) == BEFORE_THE_REMOVAL


def listed(data: dict[str, Any]) -> tuple[list[tuple[str, int]], list[tuple[str, str]]]:
    clients = [(c["clientId"], c["openAlerts"]) for c in data["myCaseload"]["clients"]]
    return clients, [(a["clientId"], a["ruleId"]) for a in data["myAlerts"]["alerts"]]
