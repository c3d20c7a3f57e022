"""The witness of a take-home return confirms it under their own login. Before, the nurse
recording the return named a witness and nothing more: methadone destroyed on site was on
the DEA log as witnessed by someone who never said so, where a stock waste's witness
confirms under their own credentials (two-person control)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest
from medication_steps import DOCTOR, NURSE, Clinic, mutation
from test_take_home_return_api import DEA_LOG, RETURN, bottles, home_with_bottles

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

CONFIRM = mutation("TakeHomeReturnWitnessInput", "witnessTakeHomeReturn")
SUSPEND = mutation("UserAccessInput", "suspendUser")
DOSING = """query($id: UUID!, $atLeast: Seq) { clientDosing(clientId: $id, atLeast: $atLeast) {
  entries { day status witnessed dispenseId recordedBy } } }"""


async def confirm(api: Api, clinic: Clinic, return_id: str, user: str, role: Role) -> Any:
    return await api.gql(
        CONFIRM, {"i": {"clientId": clinic.client_id, "returnId": return_id}}, role=role,
        user=user,
    )  # fmt: skip


def refusal(body: dict[str, Any]) -> tuple[str, str]:
    [error] = body["errors"]
    return error["extensions"].get("field", ""), error["extensions"].get("rule", "")


async def dea_lines(api: Api, clinic: Clinic, day: date) -> list[Any]:
    log = await api.ok(
        DEA_LOG.replace("witness ", "witness witnessedAt "),
        {"from": str(day), "to": str(day), "atLeast": clinic.position},
        role=Role.AUDITOR, user="auditor-lee",
    )  # fmt: skip
    rows = log["dispensingLog"]["rows"]
    return [r for r in rows if r["clientId"] == clinic.client_id and r["amountReturned"]]


async def returned_entries(api: Api, clinic: Clinic) -> list[Any]:
    found = await api.ok(
        DOSING, {"id": clinic.client_id, "atLeast": clinic.position}, role=Role.NURSE, user=NURSE
    )
    entries = found["clientDosing"]["entries"]
    return [e for e in entries if e["status"].startswith("take-home-return")]


async def test_the_named_witness_confirms_the_return_under_their_own_login(
    api: Api, today: date
) -> None:
    clinic, _, dispense_id = await home_with_bottles(api, today, "Lena P.")
    witness = f"nurse-{uuid4().hex[:8]}"
    clinic.position = await api.join_care_team(clinic.client_id, Role.NURSE, witness)
    tomorrow = today + timedelta(days=1)
    back = await clinic.nurse(RETURN, bottles=bottles(dispense_id, tomorrow), witnessId=witness)

    [line] = await dea_lines(api, clinic, today)
    assert (line["witness"], line["witnessedAt"]) == (witness, None)
    assert [(e["status"], e["witnessed"]) for e in await returned_entries(api, clinic)] == [
        ("take-home-returned", False)
    ]
    for user, role in ((NURSE, Role.NURSE), (DOCTOR, Role.PRESCRIBER)):
        refused = await confirm(api, clinic, back["id"], user, role)
        assert refusal(refused) == ("returnId", "named-witness"), user
    unknown = await confirm(api, clinic, str(uuid4()), witness, Role.NURSE)
    assert refusal(unknown) == ("returnId", "unknown-return")

    done = await confirm(api, clinic, back["id"], witness, Role.NURSE)
    assert "errors" not in done, done
    clinic.position = done["data"]["witnessTakeHomeReturn"]["position"]
    again = await confirm(api, clinic, back["id"], witness, Role.NURSE)
    assert refusal(again) == ("returnId", "witnessed")

    [line] = await dea_lines(api, clinic, today)
    assert line["witness"] == witness
    assert line["witnessedAt"] is not None
    assert [
        (e["status"], e["witnessed"], e["dispenseId"], e["recordedBy"])
        for e in await returned_entries(api, clinic)
    ] == [
        ("take-home-returned", True, dispense_id, NURSE),
        ("take-home-return-witnessed", False, dispense_id, witness),
    ]


async def test_a_witness_suspended_since_the_return_cannot_confirm_it(
    api: Api, today: date
) -> None:
    clinic, _, dispense_id = await home_with_bottles(api, today, "Noor K.")
    witness = f"nurse-{uuid4().hex[:8]}"
    clinic.position = await api.join_care_team(clinic.client_id, Role.NURSE, witness)
    back = await clinic.nurse(RETURN, bottles=bottles(dispense_id, today), witnessId=witness)
    left = {"i": {"userId": witness, "reason": "left the program"}}
    await api.ok(SUSPEND, left, role=Role.PROGRAM_ADMIN)

    refused = await confirm(api, clinic, back["id"], witness, Role.NURSE)
    assert refused["errors"][0]["extensions"]["rule"] == "user-suspended"
    [line] = await dea_lines(api, clinic, today)
    assert line["witnessedAt"] is None
