"""The medication safety log is read like the DEA dispensing log: auditors get every
client's rows, prescribers and nurses their care team's clients' only, and each client whose
rows a read returns gets one access-log entry (kind medication). Any prescriber or nurse
read every client's refused hard stops and overrides (drugs, doses, reasons), and no read
of it was in the access log."""

from __future__ import annotations

from datetime import date
from typing import Any

from medication_steps import PRESCRIBE
from test_access import ACCESS_LOG
from test_medication_safety import SAFETY_LOG, methadone_stopped, order

from carecoord.events import Role
from support import Api


async def rows_of(api: Api, day: date, client_id: str, position: int, **who: Any) -> list[str]:
    log = await api.ok(SAFETY_LOG, {"from": str(day), "to": str(day), "atLeast": position}, **who)
    return [r["kind"] for r in log["medicationSafetyLog"]["rows"] if r["clientId"] == client_id]


async def read_by(api: Api, client_id: str, reader: str) -> list[tuple[str, str, list[str]]]:
    data = await api.ok(ACCESS_LOG, {"id": client_id}, role=Role.AUDITOR, user="a-1")
    return [
        (e["outcome"], e["basis"], e["kindsReturned"])
        for e in data["accessLog"]
        if e["readerId"] == reader and e["operation"] == "medicationSafetyLog"
    ]


async def test_the_safety_log_is_the_care_teams_and_every_read_is_logged(
    api: Api, today: date
) -> None:
    clinic = await methadone_stopped(api, today, "Safe L.", last_dose_ago=0)
    refused = await clinic.refused(PRESCRIBE, Role.PRESCRIBER, **order("naltrexone", "50", today))
    assert refused["rule"] == "naltrexone-opioid-agonist"
    position = int(refused["position"])
    client = clinic.client_id

    assert (
        await rows_of(api, today, client, position, role=Role.NURSE, user="nurse-elsewhere") == []
    )
    assert await rows_of(api, today, client, position, role=Role.NURSE, user="nurse-kim") == [
        "hard-stop-refused"
    ]
    assert await rows_of(api, today, client, position, role=Role.AUDITOR, user="inspector") == [
        "hard-stop-refused"
    ]
    assert await read_by(api, client, "nurse-elsewhere") == []
    assert await read_by(api, client, "nurse-kim") == [("GRANTED", "CARE_TEAM", ["medication"])]
    assert await read_by(api, client, "inspector") == [("GRANTED", "AUDIT", ["medication"])]
