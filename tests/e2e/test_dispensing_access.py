"""The DEA dispensing log and the lot ledger are for the roles that keep them: the program's
admin and auditors see every client's rows, prescribers and nurses their care team's only,
and every client whose rows a reader gets is in the access log. Refused reads are logged
whatever the role."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

from medication_steps import DOCTOR, DOSE, ENROLL, INDUCTED, MEDICATIONS, PRESCRIBE, Clinic
from test_access import ACCESS_LOG, refusal

from carecoord.events import Role
from support import Api

LOG = """query($d: Date!, $at: Seq) { dispensingLog(fromDay: $d, toDay: $d, atLeast: $at) {
  rows { clientId dispenser } csv } }"""
LEDGER = """query($at: Seq) { inventoryLedger(atLeast: $at) {
  lots { lot entries { clientId } } csv } }"""
ORDER = {
    "medication": "methadone",
    "dose": "60",
    "acknowledgements": [INDUCTED],
    "unit": "mg",
    "route": "oral",
}


async def dosed_elsewhere(api: Api, today: date) -> tuple[str, int]:
    """A second client whose nurse is not nurse-kim, given a dose ``today``."""
    enrolled = datetime.now(UTC) - timedelta(days=90)
    data = await api.ok(
        ENROLL,
        {"i": {"displayName": "Other C.", "program": "OTP", "occurredAt": enrolled.isoformat()}},
        role=Role.PROGRAM_ADMIN,
    )
    other = Clinic(api, data["enrollClient"]["id"])
    await api.join_care_team(other.client_id, Role.PRESCRIBER, DOCTOR)
    await api.join_care_team(other.client_id, Role.NURSE, "nurse-2")
    order = await other.doctor(PRESCRIBE, **ORDER, start=str(today))
    done = await api.ok(
        DOSE,
        {"i": {"clientId": other.client_id, "orderId": order["id"], "amount": "60",
               "dosageForm": "oral solution", "lot": "LOT-A"}},
        role=Role.NURSE,
        user="nurse-2",
    )  # fmt: skip
    return other.client_id, int(done["administerDose"]["position"])


async def two_clients(api: Api, today: date) -> tuple[str, str, int]:
    mine = await Clinic.enroll(api, "Mine C.")
    order = await mine.doctor(PRESCRIBE, **ORDER, start=str(today))
    await mine.dose(order["id"], today, "60")
    theirs, position = await dosed_elsewhere(api, today)
    return mine.client_id, theirs, max(position, mine.position)


def clients_in(log: dict[str, Any], ledger: dict[str, Any]) -> tuple[set[str], set[str]]:
    logged = {r["clientId"] for r in log["dispensingLog"]["rows"]}
    ledgered = {e["clientId"] for lot in ledger["inventoryLedger"]["lots"] for e in lot["entries"]}
    return logged, ledgered


async def read_both(api: Api, day: date, position: int, **who: Any) -> tuple[set[str], set[str]]:
    log = await api.ok(LOG, {"d": str(day), "at": position}, **who)
    ledger = await api.ok(LEDGER, {"at": position}, **who)
    return clients_in(log, ledger)


async def entries(api: Api, client_id: str, reader: str) -> list[tuple[str, str, int]]:
    data = await api.ok(ACCESS_LOG, {"id": client_id}, role=Role.AUDITOR, user="auditor-1")
    return [
        (e["operation"], e["outcome"], e["entriesReturned"])
        for e in data["accessLog"]
        if e["readerId"] == reader
    ]


async def test_a_nurse_sees_only_their_care_teams_clients(api: Api, today: date) -> None:
    mine, theirs, position = await two_clients(api, today)

    logged, ledgered = await read_both(api, today, position, role=Role.NURSE, user="nurse-kim")

    assert logged == ledgered == {mine}
    assert await entries(api, mine, "nurse-kim") == [
        ("dispensingLog", "GRANTED", 1),
        ("inventoryLedger", "GRANTED", 1),
    ]
    assert await entries(api, theirs, "nurse-kim") == []
    logged, _ = await read_both(api, today, position, role=Role.NURSE, user="nurse-2")
    assert logged == {theirs}


async def test_the_programs_admin_and_auditors_see_every_client_and_are_logged(
    api: Api, today: date
) -> None:
    mine, theirs, position = await two_clients(api, today)

    for role, user in ((Role.PROGRAM_ADMIN, "admin-9"), (Role.AUDITOR, "auditor-9")):
        logged, ledgered = await read_both(api, today, position, role=role, user=user)
        assert logged == ledgered == {mine, theirs}
        for client_id in (mine, theirs):
            assert await entries(api, client_id, user) == [
                ("dispensingLog", "GRANTED", 1),
                ("inventoryLedger", "GRANTED", 1),
            ]


async def test_other_roles_are_refused(api: Api, today: date) -> None:
    for role in (Role.THERAPIST, Role.PEER_SUPPORTER, Role.CLIENT):
        user = str(uuid4()) if role is Role.CLIENT else None
        for query, variables in ((LOG, {"d": str(today)}), (LEDGER, {})):
            refused = await refusal(api, query, variables, role=role, user=user)
            assert (refused["code"], refused["rule"]) == ("FORBIDDEN", "role-may-export")


async def test_a_peer_supporters_refused_reads_are_logged(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Peer C.")
    joined = await api.join_care_team(clinic.client_id, Role.PEER_SUPPORTER, "peer-1")

    refused = await refusal(
        api,
        MEDICATIONS,
        {"id": clinic.client_id, "atLeast": joined},
        role=Role.PEER_SUPPORTER,
        user="peer-1",
    )

    assert refused["rule"] == "kind-may-read"
    data = await api.ok(ACCESS_LOG, {"id": clinic.client_id}, role=Role.AUDITOR, user="a-1")
    logged = [
        (e["operation"], e["outcome"], e["refusal"])
        for e in data["accessLog"]
        if e["readerId"] == "peer-1"
    ]
    assert logged == [("clientMedications", "REFUSED", "kind-may-read")]
