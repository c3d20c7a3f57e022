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
QUEUE = """query($at: Int) { myCaseload(atLeast: $at) { clients { clientId openAlerts } }
  myAlerts(atLeast: $at) { clientId ruleId } }"""
NURSE, COLLEAGUE = "nurse-lag", "nurse-stays"
PHQ9_ITEM_9 = [{"item": str(i), "value": 2 if i == 9 else 0} for i in range(1, 10)]


async def test_a_removal_the_care_team_view_lacks_leaves_the_caseload_and_alert_queue(
    api: Api,
) -> None:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Lag Q.", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE, NURSE)
    await api.join_care_team(client_id, Role.NURSE, COLLEAGUE)
    scored = await api.ok(
        SCORE, {"input": {"clientId": client_id, "instrument": "PHQ9", "answers": PHQ9_ITEM_9}},
        role=Role.NURSE, user=COLLEAGUE,
    )  # fmt: skip
    consented = await api.ok(
        CONSENT,
        {"input": {"clientId": client_id, "purpose": "treatment", "dataKinds": ["CARE", "ALERT"],
                   "recipients": [{"type": "MEMBER", "id": NURSE, "name": "Nurse L."}],
                   "signedOn": str(api.platform.medication.day_of(datetime.now(UTC))),
                   "signedBy": "Lag Q."}},
        role=Role.PROGRAM_ADMIN,
    )  # fmt: skip
    position = max(scored["scoreInstrument"]["position"], consented["recordConsent"]["position"])
    before = await api.ok(QUEUE, {"at": position}, role=Role.NURSE, user=NURSE)
    assert listed(before) == ([(client_id, 1)], [(client_id, "phq9-item9")])

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
        after = await reading

    assert listed(after) == ([], [])
    data = await api.ok(ACCESS_LOG, {"id": client_id}, role=Role.AUDITOR, user="a-1")
    read = [(e["operation"], e["basis"]) for e in data["accessLog"]
            if e["readerId"] == NURSE and e["outcome"] == "GRANTED"]  # fmt: skip
    assert sorted(read) == [("myAlerts", "CARE_TEAM"), ("myCaseload", "CARE_TEAM")], (
        "the reads before the removal"
    )


def listed(data: dict[str, Any]) -> tuple[list[tuple[str, int]], list[tuple[str, str]]]:
    clients = [(c["clientId"], c["openAlerts"]) for c in data["myCaseload"]["clients"]]
    return clients, [(a["clientId"], a["ruleId"]) for a in data["myAlerts"]]
