"""A take-home charted for the wrong client is corrected through the API by a new event: its
days are free again and are charted anew, the views mark it and reverse its bottles beside
the original rows, the FHIR export nullifies its MedicationDispense, and every refusal names
its field and rule and records nothing."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from uuid import uuid4

import pytest
from fhir.resources.R4B.bundle import Bundle
from medication_steps import (
    DOSE,
    DOSING,
    LOTS,
    ON_HAND,
    STOCK_LEDGER,
    TAKE_HOME,
    TIMELINE,
    Clinic,
    mutation,
    read,
)

from carecoord.events import Role
from carecoord.projections import dispensing_log, dosing, inventory, stock
from carecoord.projections.verify import verify_all
from support import Api

IN_ERROR = mutation("TakeHomeInErrorInput", "markTakeHomeEnteredInError")
ENTRIES = """query($id: UUID!, $at: Seq) { clientDosing(clientId: $id, atLeast: $at) {
  takeHomeSupplyDays takeHomeDoses
  entries { day status detail amount dispenseId enteredInError } } }"""
LOG = """query($from: Date!, $to: Date!, $at: Seq) {
  dispensingLog(fromDay: $from, toDay: $to, atLeast: $at) {
    rows { clientId amountTakenHome lots note } } }"""
EXPORT = """query($id: UUID!) {
  exportClientRecord(clientId: $id, format: FHIR) { bundle } }"""


async def started(api: Api, today: date, name: str, site: str) -> tuple[Clinic, str]:
    """Enrolled at ``site``, on methadone 60 mg from ``today`` and dosed now, eligible for a
    week at home."""
    clinic = await Clinic.enroll(api, name, program=site)
    prescribed = await clinic.methadone("60", today)
    order = str(prescribed["id"])
    await clinic.nurse(DOSE, orderId=order, amount="60", dosageForm="oral solution")
    await clinic.eligible(7)
    return clinic, order


async def take_home(
    clinic: Clinic, order: str, first: date, lot: str, labels: tuple[str, str]
) -> str:
    """Bottles for ``first`` (tomorrow) and the day after."""
    result = await clinic.nurse(
        TAKE_HOME, orderId=order, firstDay=str(first), days=2, dosageForm="oral solution",
        bottles=[{"bottle": label, "lot": lot} for label in labels],
    )  # fmt: skip
    return str(result["id"])


@pytest.mark.shared_platform
async def test_a_take_home_for_the_wrong_client_is_marked_in_error_and_charted_again(
    api: Api, today: date
) -> None:
    site, lot = f"OTP-{uuid4().hex[:8]}", f"LOT-{uuid4().hex[:8]}"
    tomorrow = today + timedelta(days=1)
    right, right_order = await started(api, today, "Rae M.", site)
    wrong, wrong_order = await started(api, today, "Ray N.", site)
    charted = await take_home(wrong, wrong_order, tomorrow, lot, ("TH-1", "TH-2"))
    covered = await wrong.refused(
        TAKE_HOME, orderId=wrong_order, firstDay=str(tomorrow), days=1,
        dosageForm="oral solution", bottles=[{"bottle": "TH-9", "lot": lot}],
    )  # fmt: skip
    assert covered["rule"] == "one-dose-per-slot"
    head = await asyncio.to_thread(api.platform.store.last_position)

    blank = await wrong.refused(IN_ERROR, dispenseId=charted, reason=" \t ")
    unprintable = await wrong.refused(IN_ERROR, dispenseId=charted, reason="wrong\x00client")
    long = await wrong.refused(IN_ERROR, dispenseId=charted, reason="x" * 501)
    unknown = await right.refused(IN_ERROR, dispenseId=charted, reason="wrong client")
    given = {"clientId": wrong.client_id, "dispenseId": charted, "reason": "wrong client"}
    therapist = await api.gql(IN_ERROR, {"i": given}, role=Role.THERAPIST)
    off_team = await api.gql(IN_ERROR, {"i": given}, role=Role.NURSE, user="nurse-elsewhere")

    assert (blank["code"], blank["field"], blank["rule"]) == (
        "BAD_USER_INPUT",
        "reason",
        "reason-required",
    )
    assert (unprintable["code"], unprintable["field"]) == ("BAD_USER_INPUT", "reason")
    assert (long["code"], long["field"]) == ("BAD_USER_INPUT", "reason")
    assert (unknown["code"], unknown["field"], unknown["rule"]) == (
        "NOT_FOUND",
        "dispenseId",
        "unknown-take-home",
    )
    assert therapist["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert therapist["errors"][0]["extensions"]["rule"] == "role-may-record"
    assert off_team["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await asyncio.to_thread(api.platform.store.last_position) == head

    marked = await wrong.nurse(IN_ERROR, dispenseId=charted, reason=" handed to Rae, not Ray ")
    assert marked["id"] == charted
    head = await asyncio.to_thread(api.platform.store.last_position)
    twice = await wrong.refused(IN_ERROR, Role.PRESCRIBER, dispenseId=charted, reason="again")
    assert (twice["code"], twice["field"], twice["rule"]) == (
        "RULE_VIOLATION",
        "dispenseId",
        "not-in-error",
    )
    assert await asyncio.to_thread(api.platform.store.last_position) == head

    # The bottles Rae took home, then Ray's own: the days are free.
    await take_home(right, right_order, tomorrow, lot, ("TH-1", "TH-2"))
    again = await take_home(wrong, wrong_order, tomorrow, lot, ("TH-3", "TH-4"))
    position = max(right.position, wrong.position)
    wrong.position = right.position = position

    view = await read(api, ENTRIES, position, Role.NURSE, id=wrong.client_id)
    assert (view["takeHomeSupplyDays"], view["takeHomeDoses"]) == (2, 2)
    later = [e for e in view["entries"] if e["day"] == str(tomorrow)]
    assert [(e["status"], e["dispenseId"], e["enteredInError"]) for e in later] == [
        ("take-home", charted, True),
        ("take-home-in-error", charted, False),
        ("take-home", again, False),
    ]
    assert later[1]["detail"] == "handed to Rae, not Ray"
    assert (await right.read(DOSING))["takeHomeDoses"] == 2
    timeline = await wrong.read(TIMELINE)
    assert [
        n["summary"] for n in timeline["nodes"] if n["type"].endswith("TakeHomeEnteredInError")
    ] == [
        f"Take-home entered in error: methadone 120 mg in 2 bottles handed over on {today}"
        " (handed to Rae, not Ray)"
    ]

    log = await read(api, LOG, position, Role.AUDITOR, **{"from": str(today), "to": str(today)})
    ours = [r for r in log["rows"] if r["lots"] == lot]
    assert [(r["clientId"], r["amountTakenHome"]) for r in ours] == [
        (wrong.client_id, "120"),
        (wrong.client_id, "-120"),
        (right.client_id, "120"),
        (wrong.client_id, "120"),
    ]
    assert ours[1]["note"] == (
        f"entered in error: corrects take-home {charted} of {today} (2 bottles for 2 days):"
        " handed to Rae, not Ray"
    )
    ledger = await read(api, STOCK_LEDGER, position, Role.AUDITOR, site=site, d=str(today))
    assert [(r["kind"], r["change"]) for r in ledger["rows"] if r["lot"] == lot] == [
        ("take-home", "-60"),
        ("take-home", "-60"),
        ("take-home-in-error", "60"),
        ("take-home-in-error", "60"),
        ("take-home", "-60"),
        ("take-home", "-60"),
        ("take-home", "-60"),
        ("take-home", "-60"),
    ]
    on_hand = await read(api, ON_HAND, position, Role.AUDITOR, site=site)
    assert [(r["lot"], r["dispensed"]) for r in on_hand["lots"]] == [(lot, "240")]
    lots = await read(api, LOTS, position, Role.NURSE, lot=lot)
    [drawn] = lots["lots"]
    assert drawn["dispensed"] == "240"
    assert [e["kind"] for e in drawn["entries"]] == [
        "take-home", "take-home", "take-home-in-error", "take-home-in-error",
        "take-home", "take-home", "take-home", "take-home",
    ]  # fmt: skip

    exported = await api.ok(EXPORT, {"id": wrong.client_id}, role=Role.AUDITOR, user="auditor-1")
    bundle = exported["exportClientRecord"]["bundle"]
    Bundle.model_validate(bundle)
    resources = [entry["resource"] for entry in bundle["entry"]]
    dispenses = {r["id"]: r for r in resources if r["resourceType"] == "MedicationDispense"}
    assert (dispenses[charted]["status"], dispenses[again]["status"]) == (
        "entered-in-error",
        "completed",
    )
    [history] = dispenses[charted]["eventHistory"]
    [nullified] = [r for r in resources if f"Provenance/{r['id']}" == history["reference"]]
    assert nullified["target"] == [{"reference": f"MedicationDispense/{charted}"}]
    assert nullified["activity"]["coding"][0]["code"] == "NULLIFY"

    models = [dosing, dispensing_log, inventory, stock]
    found = await verify_all(api.platform.store, api.platform.pool, models)
    assert [v.name for v in found if not v.intact] == []
