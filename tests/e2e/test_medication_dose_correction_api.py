"""A dose charted on the wrong client is corrected through the API by a new event: the slot is
free again for the right dose, the views mark the dose and give its amount back beside the
original rows, and every refusal names its field and rule and records nothing."""

from __future__ import annotations

import asyncio
from datetime import date
from uuid import uuid4

import pytest
from medication_steps import (
    DOSE,
    DOSING,
    LOTS,
    ON_HAND,
    REPLACE,
    STOCK_LEDGER,
    TIMELINE,
    Clinic,
    mutation,
    read,
)

from carecoord.events import Role
from carecoord.projections import dispensing_log, dosing, inventory, stock
from carecoord.projections.verify import verify_all
from support import Api

IN_ERROR = mutation("DoseInErrorInput", "markDoseEnteredInError")
LOG = """query($d: Date!, $at: Seq) { dispensingLog(fromDay: $d, toDay: $d, atLeast: $at) {
  rows { clientId amountConsumed lots note } } }"""
CASELOAD = """query($at: Seq) { myCaseload(atLeast: $at) { clients { clientId lastDoseDay } } }"""


async def given(clinic: Clinic, order: str, lot: str) -> str:
    result = await clinic.nurse(
        DOSE, orderId=order, amount="60", dosageForm="oral solution", lot=lot
    )
    return str(result["id"])


async def methadone(clinic: Clinic, start: date) -> str:
    prescribed = await clinic.methadone("60", start)
    return str(prescribed["id"])


@pytest.mark.shared_platform
async def test_a_dose_on_the_wrong_client_is_marked_in_error_and_charted_again(
    api: Api, today: date
) -> None:
    site, lot = f"OTP-{uuid4().hex[:8]}", f"LOT-{uuid4().hex[:8]}"
    right = await Clinic.enroll(api, "Rae M.", program=site)
    wrong = await Clinic.enroll(api, "Ray N.", program=site)
    right_order, wrong_order = await methadone(right, today), await methadone(wrong, today)
    charted = await given(wrong, wrong_order, lot)
    refused_again = await wrong.refused(
        DOSE, orderId=wrong_order, amount="60", dosageForm="oral solution"
    )
    assert refused_again["rule"] == "one-dose-per-slot"
    head = await asyncio.to_thread(api.platform.store.last_position)

    blank = await wrong.refused(IN_ERROR, doseId=charted, reason="  ")
    unknown = await right.refused(IN_ERROR, doseId=charted, reason="wrong client")
    therapist = await api.gql(
        IN_ERROR,
        {"i": {"clientId": wrong.client_id, "doseId": charted, "reason": "wrong client"}},
        role=Role.THERAPIST,
    )
    off_team = await api.gql(
        IN_ERROR,
        {"i": {"clientId": wrong.client_id, "doseId": charted, "reason": "wrong client"}},
        role=Role.NURSE,
        user="nurse-elsewhere",
    )

    assert (blank["code"], blank["field"], blank["rule"]) == (
        "BAD_USER_INPUT",
        "reason",
        "reason-required",
    )
    assert (unknown["code"], unknown["field"], unknown["rule"]) == (
        "NOT_FOUND",
        "doseId",
        "unknown-dose",
    )
    assert therapist["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert therapist["errors"][0]["extensions"]["rule"] == "role-may-record"
    assert off_team["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await asyncio.to_thread(api.platform.store.last_position) == head

    marked = await wrong.nurse(IN_ERROR, doseId=charted, reason=" charted on Ray, given to Rae ")
    assert marked["id"] == charted
    caseload = await read(api, CASELOAD, wrong.position, Role.NURSE)
    [line] = [c for c in caseload["clients"] if c["clientId"] == wrong.client_id]
    assert line["lastDoseDay"] is None

    head = await asyncio.to_thread(api.platform.store.last_position)
    twice = await wrong.refused(IN_ERROR, Role.PRESCRIBER, doseId=charted, reason="again")
    replaced = await wrong.refused(
        REPLACE, orderId=wrong_order, replacesDoseId=charted, amount="60",
        dosageForm="oral solution", reason="spilled",
    )  # fmt: skip
    assert (twice["code"], twice["field"], twice["rule"]) == (
        "RULE_VIOLATION",
        "doseId",
        "not-in-error",
    )
    assert (replaced["code"], replaced["field"], replaced["rule"]) == (
        "RULE_VIOLATION",
        "replacesDoseId",
        "dose-in-error",
    )
    assert await asyncio.to_thread(api.platform.store.last_position) == head

    await given(right, right_order, lot)
    again = await given(wrong, wrong_order, lot)  # the slot is free: Ray's own dose
    position = max(right.position, wrong.position)
    wrong.position = right.position = position

    view = await wrong.read(DOSING)
    assert (view["given"], view["firstDoseDay"]) == (1, str(today))
    entries = [(e["status"], e["detail"], e["amount"]) for e in view["entries"]]
    assert entries == [
        ("given", "", "60"),
        ("entered-in-error", "charted on Ray, given to Rae", "60"),
        ("given", "", "60"),
    ]
    raw = await api.ok(
        """query($id: UUID!, $at: Seq) { clientDosing(clientId: $id, atLeast: $at) {
             entries { status doseId enteredInError } } }""",
        {"id": wrong.client_id, "at": position},
        role=Role.NURSE,
        user="nurse-kim",
    )
    assert [(e["doseId"], e["enteredInError"]) for e in raw["clientDosing"]["entries"]] == [
        (charted, True),
        (charted, False),
        (again, False),
    ]
    timeline = await wrong.read(TIMELINE)
    assert [
        n["summary"] for n in timeline["nodes"] if n["type"].endswith("DoseEnteredInError")
    ] == [f"Dose entered in error: methadone 60 mg on {today} (charted on Ray, given to Rae)"]
    assert (await right.read(DOSING))["given"] == 1

    log = await read(api, LOG, position, Role.AUDITOR, d=str(today))
    ours = [r for r in log["rows"] if r["lots"] == lot]
    assert [(r["clientId"], r["amountConsumed"]) for r in ours] == [
        (wrong.client_id, "60"),
        (wrong.client_id, "-60"),
        (right.client_id, "60"),
        (wrong.client_id, "60"),
    ]
    assert ours[1]["note"] == (
        f"entered in error: corrects dose {charted} of {today}: charted on Ray, given to Rae"
    )
    ledger = await read(api, STOCK_LEDGER, position, Role.AUDITOR, site=site, d=str(today))
    assert [(r["kind"], r["change"]) for r in ledger["rows"] if r["lot"] == lot] == [
        ("dose", "-60"),
        ("dose-in-error", "60"),
        ("dose", "-60"),
        ("dose", "-60"),
    ]
    on_hand = await read(api, ON_HAND, position, Role.AUDITOR, site=site)
    assert [(r["lot"], r["dispensed"]) for r in on_hand["lots"]] == [(lot, "120")]
    lots = await read(api, LOTS, position, Role.NURSE, lot=lot)
    [drawn] = lots["lots"]
    assert drawn["dispensed"] == "120"
    assert [e["kind"] for e in drawn["entries"]] == ["observed", "in-error", "observed", "observed"]

    models = [dosing, dispensing_log, inventory, stock]
    found = await verify_all(api.platform.store, api.platform.pool, models)
    assert [v.name for v in found if not v.intact] == []
