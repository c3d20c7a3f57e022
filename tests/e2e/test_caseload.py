"""A clinician's caseload through the API: their clients, most in need of attention first,
each shown only as far as their access goes; and new alerts for those clients, pushed live.

The example operations in graphql/operations/ are the documents sent here.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import isolated_settings
from medication_steps import DOSING, MEDICATIONS, PRESCRIBE, Clinic

from carecoord.events import Role
from carecoord.graphql import caseload as caseload_api
from carecoord.graphql.export import OPERATIONS_DIR
from carecoord.projections import alerts
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime.missed_sweep import sweep_once
from support import Api

PHQ9_ITEM9 = {"1": 2, "2": 2, "3": 1, "4": 2, "5": 1, "6": 1, "7": 1, "8": 0, "9": 1}
CASELOAD = """query($atLeast: Seq) { myCaseload(atLeast: $atLeast) {
  rulesVersion clients { clientId displayName needsAttention openAlerts highestAlertSeverity
    consecutiveMissedDays recentMissedDays lastDoseDay lastCheckInAt checkInOverdue
    upcomingSessions nextSessionAt } } }"""
ACCESS_LOG = """query($id: UUID!) {
  accessLog(clientId: $id) { readerId operation kindsReturned } }"""


def operation(role: str, name: str) -> str:
    return (OPERATIONS_DIR / role / f"{name}.graphql").read_text(encoding="utf-8")


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    # The test runs the missed-dose sweep itself, once the backdated doses are in (on its own
    # timer it could run between the order and its doses; see test_medication_missed.py).
    return isolated_settings(data_dir, missed_dose_interval_seconds=3600)


class Program:
    """Clients enrolled three weeks before ``now``, and the clinicians put on their care
    teams."""

    def __init__(self, api: Api, now: datetime) -> None:
        self.api = api
        self.now = now
        self.position = 0

    async def enroll(self, name: str, *team: tuple[Role, str], days_ago: int = 21) -> str:
        data = await self.api.ok(
            operation("program_admin", "EnrollClient"),
            {"input": {"displayName": name, "program": "OTP",
                       "occurredAt": (self.now - timedelta(days=days_ago)).isoformat()}},
            role=Role.PROGRAM_ADMIN,
        )  # fmt: skip
        client_id: str = data["enrollClient"]["id"]
        for role, user in team:
            self.position = await self.api.join_care_team(client_id, role, user)
        return client_id

    async def send(self, name: str, role: Role, user: str, given: dict[str, Any]) -> str:
        data = await self.api.ok(
            operation(role.value, name), {"input": given}, role=role, user=user
        )
        [result] = data.values()
        self.position = max(self.position, result["position"])
        return str(result["id"])

    async def phq9(self, client_id: str) -> None:
        answers = [{"item": k, "value": v} for k, v in PHQ9_ITEM9.items()]
        await self.send(
            "ScoreInstrument", Role.CLIENT, client_id,
            {"clientId": client_id, "instrument": "PHQ9", "answers": answers},
        )  # fmt: skip

    async def caseload(self, role: Role, user: str, query: str = CASELOAD) -> Any:
        data = await self.api.ok(query, {"atLeast": self.position}, role=role, user=user)
        return data["myCaseload"]


NURSE, DOCTOR, PEER, THERAPIST = "nurse-kim", "dr-lee", "peer-jo", "ther-ana"


async def test_the_caseload_puts_who_needs_attention_first(
    api: Api, now: datetime, today: date
) -> None:
    program = Program(api, now)
    alerted = await program.enroll(
        "Ash", (Role.NURSE, NURSE), (Role.PRESCRIBER, DOCTOR), (Role.PEER_SUPPORTER, PEER)
    )
    missing = await program.enroll(
        "Blake", (Role.NURSE, NURSE), (Role.PRESCRIBER, DOCTOR), (Role.PEER_SUPPORTER, PEER)
    )
    booked = await program.enroll("Cary", (Role.NURSE, NURSE), (Role.THERAPIST, THERAPIST))
    quiet = await program.enroll("Dale", (Role.NURSE, NURSE), days_ago=1)
    await program.enroll("Elliot", (Role.PRESCRIBER, DOCTOR))

    await program.phq9(alerted)
    clinic = Clinic(api, missing)
    start = today - timedelta(days=5)
    order = await clinic.doctor(
        PRESCRIBE, medication="methadone", dose="40", unit="mg", route="oral", start=str(start)
    )
    await clinic.doses(order["id"], start, 2, "40")
    await program.send(
        "RecordCheckIn", Role.CLIENT, booked, {"clientId": booked, "craving": 10, "mood": 7}
    )
    await program.send(
        "ScheduleSession", Role.THERAPIST, THERAPIST,
        {"clientIds": [booked], "modality": "CBT", "format": "INDIVIDUAL",
         "scheduledFor": (now + timedelta(days=1)).isoformat(), "plannedMinutes": 50},
    )  # fmt: skip
    await clinic.read(MEDICATIONS)  # the sweep finds its candidates in this view
    platform = api.platform
    await sweep_once(platform, today)
    for _ in range(100):  # the missed-dose sweep records the three days after the two doses
        if (await clinic.read(DOSING))["missed"] == 3:
            break
        await asyncio.sleep(0.1)

    nurse = await program.caseload(Role.NURSE, NURSE)
    assert nurse["rulesVersion"] == "caseload-2026.3"
    rows = nurse["clients"]
    assert [r["clientId"] for r in rows] == [alerted, missing, booked, quiet]
    ash, blake, cary, dale = rows
    assert (ash["openAlerts"], ash["highestAlertSeverity"]) == (2, "high")
    assert ash["needsAttention"] == ["2 open alert(s), highest high"]  # the PHQ-9 is a check-in
    assert (blake["consecutiveMissedDays"], blake["recentMissedDays"]) == (3, 3)
    assert blake["lastDoseDay"] == str(start + timedelta(days=1))
    assert blake["needsAttention"] == ["3 dosing day(s) missed in a row", "check-in overdue"]
    assert (cary["checkInOverdue"], cary["upcomingSessions"], cary["needsAttention"]) == (
        False, 1, []
    )  # fmt: skip
    assert cary["nextSessionAt"] is not None
    assert (dale["checkInOverdue"], dale["nextSessionAt"], dale["openAlerts"]) == (False, None, 0)

    # A peer supporter sees check-ins and alerts, never doses or sessions.
    peer = (await program.caseload(Role.PEER_SUPPORTER, PEER))["clients"]
    assert [(r["clientId"], r["consecutiveMissedDays"], r["nextSessionAt"]) for r in peer] == [
        (alerted, None, None), (missing, None, None),
    ]  # fmt: skip
    assert peer[1]["needsAttention"] == ["check-in overdue"]

    doctor = await program.caseload(Role.PRESCRIBER, DOCTOR, operation("prescriber", "MyCaseload"))
    assert [r["displayName"] for r in doctor["clients"]] == ["Ash", "Blake", "Elliot"]
    for role, user in ((Role.NURSE, NURSE), (Role.PEER_SUPPORTER, PEER)):
        example = await program.caseload(role, user, operation(role.value, "MyCaseload"))
        assert len(example["clients"]) == len(nurse["clients"] if role is Role.NURSE else peer)

    log = await api.ok(ACCESS_LOG, {"id": missing}, role=Role.AUDITOR)
    reads = [(e["readerId"], e["kindsReturned"]) for e in log["accessLog"]
             if e["operation"] == "myCaseload"]  # fmt: skip
    assert (NURSE, ["alert", "care", "check_in", "dosing", "therapy"]) in reads
    assert (PEER, ["alert", "care", "check_in"]) in reads


async def test_the_caseload_is_for_care_team_roles(api: Api) -> None:
    for role in (Role.PROGRAM_ADMIN, Role.AUDITOR):
        body = await api.gql("{ myCaseload { clients { clientId } } }", role=role)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert body["errors"][0]["extensions"]["rule"] == "role-has-caseload"
    empty = await api.ok("{ myCaseload { clients { clientId } } }", role=Role.NURSE)
    assert empty["myCaseload"]["clients"] == []


async def test_new_alerts_for_my_caseload_arrive_once_in_order(api: Api, now: datetime) -> None:
    program = Program(api, now)
    mine = await program.enroll("Frankie", (Role.NURSE, NURSE))
    other = await program.enroll("Gale", (Role.NURSE, "nurse-ola"))
    assert await api.platform.progress.reach(alerts.NAME, 0, 1)
    start = api.platform.progress.position(alerts.NAME)
    token = api.token(Role.NURSE, NURSE)
    query = operation("prescriber", "CaseloadAlerts")
    async with api.subscription(token, query, {"after": start}) as ws:
        await program.phq9(other)  # not on this nurse's caseload: never delivered
        await program.phq9(mine)
        first = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(2)]
        await program.phq9(other)
        await program.phq9(mine)
        second = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(2)]

    delivered = [m["payload"]["data"]["alertsForMyCaseload"] for m in first + second]
    assert {m["type"] for m in first + second} == {"next"}
    assert {a["clientId"] for a in delivered} == {mine}
    positions = [a["position"] for a in delivered]
    assert positions == sorted(set(positions)), "each once, in the order raised"
    assert [a["severity"] for a in delivered].count("high") == 2
    queried = await api.ok(
        operation("nurse", "MyAlerts"), {"atLeast": program.position}, role=Role.NURSE, user=NURSE
    )
    assert {a["alertId"] for a in queried["myAlerts"]["alerts"]} == {
        a["alertId"] for a in delivered
    }


async def test_a_caseload_feed_resumed_far_back_catches_up_page_by_page(
    api: Api, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caseload_api, "ALERTS_PAGE", 1)
    program = Program(api, now)
    mine = await program.enroll("Harper", (Role.NURSE, NURSE))
    other = await program.enroll("Indy", (Role.NURSE, "nurse-ola"))
    assert await api.platform.progress.reach(alerts.NAME, 0, 1)
    start = api.platform.progress.position(alerts.NAME)
    for client_id in (mine, other, mine):
        await program.phq9(client_id)
    assert await api.platform.progress.reach(alerts.NAME, program.position, 10)

    token = api.token(Role.NURSE, NURSE)
    query = operation("prescriber", "CaseloadAlerts")
    async with api.subscription(token, query, {"after": start}) as ws:
        caught_up = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(4)]
        await program.phq9(mine)
        live = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(2)]

    delivered = [m["payload"]["data"]["alertsForMyCaseload"] for m in caught_up + live]
    assert {a["clientId"] for a in delivered} == {mine}
    positions = [a["position"] for a in delivered]
    assert positions == sorted(set(positions)), "each once, in the order raised"
