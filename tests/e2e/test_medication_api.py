"""Prescribing and dispensing through the API: invariants under concurrency, refusals that
name their rule and record nothing (but a hard stop, kept for a safety review), and the
views and exports built from the events."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from medication_steps import (
    DOSE,
    DOSING,
    HOLD,
    INDUCTED,
    MEDICATIONS,
    PRESCRIBE,
    REPLACE,
    SAFETY,
    TAKE_HOME,
    Clinic,
    at,
)

from carecoord.events import Role
from support import Api


def drug(medication: str, dose: str, start: str, route: str = "oral") -> dict[str, object]:
    return {"medication": medication, "dose": dose, "unit": "mg", "route": route, "start": start}


def methadone(start: str, dose: str = "60") -> dict[str, object]:
    return {**drug("methadone", dose, start), "acknowledgements": [INDUCTED]}


@pytest.mark.shared_platform
async def test_simultaneous_doses_for_one_slot_exactly_one_succeeds(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Alex R.")
    order = (await clinic.doctor(PRESCRIBE, **methadone(str(today))))["id"]
    for window in range(16):
        clinic.position = await api.join_care_team(clinic.client_id, Role.NURSE, f"nurse-{window}")
    attempt = {
        "clientId": clinic.client_id,
        "orderId": order,
        "amount": "60",
        "dosageForm": "oral solution",
    }

    bodies = await asyncio.gather(
        *(
            api.gql(DOSE, {"i": attempt}, role=Role.NURSE, user=f"nurse-{window}")
            for window in range(16)
        )
    )

    succeeded = [b for b in bodies if not b.get("errors")]
    refused = [b["errors"][0]["extensions"] for b in bodies if b.get("errors")]
    assert len(succeeded) == 1
    assert len(refused) == 15
    assert {(r["code"], r["rule"], r["field"]) for r in refused} == {
        ("RULE_VIOLATION", "one-dose-per-slot", "slot")
    }
    position = succeeded[0]["data"]["administerDose"]["position"]
    clinic.position = position
    assert (await clinic.read(DOSING))["given"] == 1


@pytest.mark.shared_platform
async def test_refusals_name_the_rule_and_what_would_be_valid_and_record_only_a_hard_stop(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Sam K.")
    order = (await clinic.doctor(PRESCRIBE, **methadone(str(today))))["id"]
    await clinic.doctor(HOLD, orderId=order, reason="QTc 520 ms")
    head = await asyncio.to_thread(api.platform.store.last_position)

    not_prescriber = await clinic.refused(PRESCRIBE, Role.NURSE, **methadone(str(today)))
    benzo = await clinic.refused(PRESCRIBE, Role.PRESCRIBER, **drug("lorazepam", "1", str(today)))
    blocked = await clinic.refused(
        PRESCRIBE, Role.PRESCRIBER, **drug("naltrexone", "50", str(today))
    )
    held = await clinic.refused(DOSE, orderId=order, amount="60", dosageForm="oral solution")

    assert (not_prescriber["code"], not_prescriber["rule"]) == ("FORBIDDEN", "role-may-record")
    assert (benzo["code"], benzo["field"], benzo["rule"]) == (
        "RULE_VIOLATION",
        "acknowledgements",
        "opioid-cns-depressant",
    )
    assert "acknowledge rule 'opioid-cns-depressant' with a reason" in benzo["message"]
    assert blocked["rule"] == "naltrexone-opioid-agonist"
    assert "hard stop: discontinue methadone first" in blocked["message"]
    assert held["rule"] == "order-active"
    assert "on hold since" in held["message"]
    assert "placed by dr-lee (its reason is the order's hold.reason" in held["message"]
    assert "QTc 520" not in held["message"]
    # The hard stop alone is on the record (one event, no order); the other refusals left
    # nothing.
    assert blocked["position"] == head + 1
    assert await asyncio.to_thread(api.platform.store.last_position) == head + 1
    clinic.position = blocked["position"]
    [refusal] = [e for e in await clinic.read(SAFETY) if e["kind"] != "override"]
    assert (refusal["kind"], refusal["refId"]) == ("hard-stop-refused", blocked["refusalId"])
    assert (refusal["rule"], refusal["medication"]) == ("naltrexone-opioid-agonist", "naltrexone")
    assert [o["medication"] for o in (await clinic.read(MEDICATIONS))["orders"]] == ["methadone"]


@pytest.mark.shared_platform
async def test_acknowledged_interaction_shows_as_an_open_finding(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Jo B.")
    methadone_id = (await clinic.doctor(PRESCRIBE, **methadone(str(today))))["id"]
    reason = "baseline QTc 410 ms, ECG in 2 weeks"
    ordered = await clinic.doctor(
        PRESCRIBE,
        **drug("escitalopram", "10", str(today)),
        acknowledgements=[{"rule": "methadone-qt-prolonging", "reason": reason}],
    )

    [finding] = [f for f in ordered["findings"] if f["severity"] == "HIGH"]
    view = await clinic.read(MEDICATIONS)
    assert {f["rule"] for f in view["findings"]} == {
        "methadone-qt-prolonging",
        "opioid-serotonergic",
    }
    [shown] = [f for f in view["findings"] if f["rule"] == "methadone-qt-prolonging"]
    assert shown == {**finding, "status": "open"}
    assert (shown["ruleVersion"], shown["acknowledgedReason"]) == ("2", reason)
    assert set(shown["implicated"]) == {methadone_id, ordered["id"]}


async def test_dea_log_and_lot_ledger_from_doses_and_take_homes(api: Api, today: date) -> None:
    clinic = await Clinic.enroll(api, "Kai M.")
    start = today - timedelta(days=20)
    order = (await clinic.doctor(PRESCRIBE, **methadone(str(start))))["id"]
    first = await clinic.dose(order, start, "60")
    await clinic.nurse(
        REPLACE, orderId=order, replacesDoseId=first, amount="60", dosageForm="oral solution",
        reason="vomited", givenAt=at(start, 10), lot="LOT-B",
    )  # fmt: skip
    await clinic.eligible(7, on=start)
    await clinic.nurse(
        TAKE_HOME, orderId=order, firstDay=str(start + timedelta(days=1)), days=2,
        dosageForm="oral solution", handedOverAt=at(start, 11),
        bottles=[{"bottle": "TH-1", "lot": "LOT-B"}, {"bottle": "TH-2", "lot": "LOT-B"}],
    )  # fmt: skip

    log = (
        await api.ok(
            """query($from: Date!, $to: Date!, $at: Seq) {
                 dispensingLog(fromDay: $from, toDay: $to, atLeast: $at) {
                   rows { substance strength dosageForm deaSchedule amountConsumed
                          amountTakenHome dispenser lots note }
                   csv } }""",
            {"from": str(start), "to": str(today), "at": clinic.position},
            role=Role.AUDITOR,
        )
    )["dispensingLog"]
    ledger = (
        await api.ok(
            """query($at: Seq) { inventoryLedger(lot: "LOT-B", atLeast: $at) {
                 lots { lot dispensed entries { kind amount bottle } } csv } }""",
            {"at": clinic.position},
            role=Role.NURSE,
            user="nurse-kim",  # on the client's care team: a nurse sees their team's clients
        )
    )["inventoryLedger"]

    client_rows = [r for r in log["rows"] if r["dispenser"] == "nurse-kim"]
    assert [(r["amountConsumed"], r["amountTakenHome"]) for r in client_rows] == [
        ("60", None), ("60", None), (None, "120")
    ]  # fmt: skip
    assert client_rows[0]["substance"] == "methadone"
    assert client_rows[0]["strength"] == "10 mg/mL"
    assert client_rows[0]["deaSchedule"] == "CII"
    assert "replaces" in client_rows[1]["note"]
    assert log["csv"].splitlines()[0].startswith("client_id,dispensed_on,substance,strength")
    assert len(log["csv"].splitlines()) == len(log["rows"]) + 1
    [lot] = ledger["lots"]
    assert lot["dispensed"] == "180"
    assert [e["kind"] for e in lot["entries"]] == ["replacement", "take-home", "take-home"]
    handed_over = await api.ok(
        """query($d: Date!) { inventoryLedger(lot: "LOT-B", fromDay: $d, toDay: $d) {
             lots { entries { kind day } } } }""",
        {"d": str(start)},
        role=Role.AUDITOR,
    )
    # A range holds what left stock on its days: the bottles for the two days after, too.
    [lot] = handed_over["inventoryLedger"]["lots"]
    assert [e["kind"] for e in lot["entries"]] == ["replacement", "take-home", "take-home"]

    denied = await api.gql(
        "query($d: Date!) { dispensingLog(fromDay: $d, toDay: $d) { csv } }",
        {"d": str(today)},
        role=Role.THERAPIST,
    )
    assert denied["errors"][0]["extensions"]["rule"] == "role-may-export"
