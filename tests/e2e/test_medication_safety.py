"""Medication safety through the API, as a clinic meets it: an antagonist after an agonist
within and after its window, a washout for an antidepressant switch, a refused hard stop
and an override on the record and in the program's export, an order that has ended, and
future and absurd values refused naming the field and the bound."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from medication_steps import (
    DISCONTINUE,
    DOSE,
    END_STATEMENT,
    INDUCTED,
    MEDICATIONS,
    PRESCRIBE,
    SAFETY,
    STATEMENT,
    TIMELINE,
    Clinic,
    at,
    mutation,
)

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

PRESCRIBED = mutation(
    "PrescribeInput",
    "prescribeMedication",
    "{ id position findings { rule ruleVersion severity title acknowledgedReason"
    " exposure { medication basis through washoutDays clearFrom } } }",
)
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
SAFETY_LOG = """query($from: Date!, $to: Date!, $atLeast: Seq) {
  medicationSafetyLog(fromDay: $from, toDay: $to, atLeast: $atLeast) {
    rows { kind clientId ruleId ruleVersion medication actorId } csv
  }
}"""
ACK = "UDS negative today, naloxone challenge passed"


Ago = Callable[[int], date]


@pytest.fixture
def ago(today: date) -> Ago:
    """The day ``days`` before the test's today."""
    return lambda days: today - timedelta(days=days)


def order(medication: str, dose: str, start: date, route: str = "oral") -> dict[str, Any]:
    return {"medication": medication, "dose": dose, "unit": "mg", "route": route,
            "start": str(start)}  # fmt: skip


async def methadone_stopped(api: Api, today: date, name: str, last_dose_ago: int) -> Clinic:
    """Five daily methadone doses, the last ``last_dose_ago`` days before ``today``, then
    stopped that day ("switching to naltrexone", as the hard stop's own advice says)."""
    clinic = await Clinic.enroll(api, name)
    last = today - timedelta(days=last_dose_ago)
    first = last - timedelta(days=4)
    methadone = await clinic.doctor(PRESCRIBE, **order("methadone", "50", first))
    await clinic.doses(methadone["id"], first, 5, "50")
    stopped = {"stoppedAt": at(last, 12)} if last_dose_ago else {}
    await clinic.doctor(
        DISCONTINUE, orderId=methadone["id"], reason="switching to naltrexone", **stopped
    )
    return clinic


async def test_naltrexone_within_the_window_of_the_last_methadone_dose_is_refused_on_record(
    api: Api, today: date, ago: Ago
) -> None:
    clinic = await methadone_stopped(api, today, "Alex R.", last_dose_ago=0)

    refused = await clinic.refused(PRESCRIBE, Role.PRESCRIBER, **order("naltrexone", "50", today))

    assert (refused["code"], refused["field"], refused["rule"], refused["ruleVersion"]) == (
        "RULE_VIOLATION",
        "medication",
        "naltrexone-opioid-agonist",
        "2",
    )
    assert f"exposure: methadone: last dose given {today}, washout 7 days" in refused["message"]
    assert (
        f"naltrexone may start on {today + timedelta(days=8)} at the earliest"
        in (refused["message"])
    )
    clinic.position = refused["position"]
    [stop] = await clinic.read(SAFETY)
    assert (stop["kind"], stop["refId"], stop["rule"], stop["ruleVersion"]) == (
        "hard-stop-refused",
        refused["refusalId"],
        "naltrexone-opioid-agonist",
        "2",
    )
    assert (stop["actorId"], stop["actorRole"], stop["action"]) == (
        "dr-lee",
        "prescriber",
        "prescribe",
    )
    assert (stop["medication"], stop["dose"], stop["start"]) == ("naltrexone", "50", str(today))
    assert stop["exposure"].startswith(f"methadone: last dose given {today}")
    timeline = [n["summary"] for n in (await clinic.read(TIMELINE))["nodes"]]
    assert "Hard stop: naltrexone refused (naltrexone-opioid-agonist v2)" in timeline
    view = await clinic.read(MEDICATIONS, history=True)
    assert [(o["medication"], o["status"]) for o in view["orders"]] == [("methadone", "stopped")]

    # The case: XR-naltrexone five days after the last methadone dose.
    five_days = await methadone_stopped(api, today, "Kim D.", last_dose_ago=5)
    xr = await five_days.refused(
        PRESCRIBE, Role.PRESCRIBER, **order("naltrexone-xr", "380", today, "intramuscular"),
        schedule={"everyDays": 28},
    )  # fmt: skip
    assert xr["rule"] == "naltrexone-opioid-agonist"
    assert f"may start on {ago(5) + timedelta(days=8)} at the earliest" in xr["message"]


async def test_naltrexone_inside_the_interval_needs_the_evidence_and_after_it_none(
    api: Api, today: date, ago: Ago
) -> None:
    clinic = await methadone_stopped(api, today, "Sam K.", last_dose_ago=9)
    head = await asyncio.to_thread(api.platform.store.last_position)

    unacknowledged = await clinic.refused(
        PRESCRIBE, Role.PRESCRIBER, **order("naltrexone", "50", today)
    )
    assert (unacknowledged["field"], unacknowledged["rule"], unacknowledged["ruleVersion"]) == (
        "acknowledgements",
        "naltrexone-opioid-free-interval",
        "1",
    )
    assert await asyncio.to_thread(api.platform.store.last_position) == head, "a prompt, not kept"
    ack = {"rule": "naltrexone-opioid-free-interval", "reason": ACK}
    naltrexone = await clinic.doctor(
        PRESCRIBED, **order("naltrexone", "50", today), acknowledgements=[ack]
    )

    [found] = naltrexone["findings"]
    assert (found["rule"], found["severity"], found["acknowledgedReason"]) == (
        "naltrexone-opioid-free-interval",
        "HIGH",
        ACK,
    )
    assert found["exposure"] == {
        "medication": "methadone",
        "basis": f"last dose given {ago(9)}",
        "through": str(ago(9)),
        "washoutDays": 14,
        "clearFrom": str(ago(9) + timedelta(days=15)),
    }
    [override] = await clinic.read(SAFETY)
    assert (override["kind"], override["rule"], override["detail"]) == (
        "override",
        "naltrexone-opioid-free-interval",
        ACK,
    )
    assert override["orderId"] == naltrexone["id"]
    log = await api.ok(
        SAFETY_LOG, {"from": str(today), "to": str(today), "atLeast": clinic.position},
        role=Role.AUDITOR, user="dea-inspector",
    )  # fmt: skip
    mine = [r for r in log["medicationSafetyLog"]["rows"] if r["clientId"] == clinic.client_id]
    assert [(r["kind"], r["ruleId"], r["actorId"]) for r in mine] == [
        ("override", "naltrexone-opioid-free-interval", "dr-lee")
    ]
    assert log["medicationSafetyLog"]["csv"].startswith("occurred_at,client_id,kind,ref_id")
    assert f",{clinic.client_id},override," in log["medicationSafetyLog"]["csv"]

    after = await methadone_stopped(api, today, "Jo B.", last_dose_ago=15)
    clear = await after.doctor(PRESCRIBED, **order("naltrexone", "50", today))
    assert clear["findings"] == []


async def test_an_antidepressant_switch_waits_out_fluoxetine_for_five_weeks(
    api: Api, today: date, ago: Ago
) -> None:
    clinic = await Clinic.enroll(api, "Riley M.")
    fluoxetine = await clinic.nurse(
        STATEMENT, medication="fluoxetine", source="OTHER_PRESCRIBER", dose="20", unit="mg",
        sourceDetail="community psychiatrist", since=str(ago(80)),
    )  # fmt: skip
    await clinic.nurse(
        END_STATEMENT, statementId=fluoxetine["id"], reason="stopped by the psychiatrist",
        stoppedAt=at(ago(10), 18),
    )  # fmt: skip
    clear_from = ago(10) + timedelta(days=36)

    refused = await clinic.refused(PRESCRIBE, Role.PRESCRIBER, **order("phenelzine", "15", today))
    assert refused["rule"] == "ssri-maoi"
    assert (
        f"fluoxetine: reported from elsewhere, stopped {ago(10)}, washout 35 days"
        in (refused["message"])
    )
    assert f"phenelzine may start on {clear_from} at the earliest" in refused["message"]

    switched = await clinic.doctor(PRESCRIBED, **order("phenelzine", "15", clear_from))
    assert switched["findings"] == []
    kinds = [e["kind"] for e in await clinic.read(SAFETY)]
    assert kinds == ["hard-stop-refused"]


async def test_an_order_past_its_end_date_reads_ended_and_refuses_doses(
    api: Api, today: date, ago: Ago
) -> None:
    clinic = await Clinic.enroll(api, "Lee P.")
    methadone = await clinic.doctor(PRESCRIBE, **order("methadone", "40", ago(4)), end=str(ago(1)))
    await clinic.doses(methadone["id"], ago(4), 4, "40")

    refused = await clinic.refused(
        DOSE, orderId=methadone["id"], amount="40", dosageForm="oral solution"
    )
    assert (refused["rule"], refused["message"]) == (
        "order-active",
        f"order ended on {ago(1)}; no dose is given under it on {today}",
    )
    assert (await clinic.read(MEDICATIONS))["orders"] == []
    [ended] = (await clinic.read(MEDICATIONS, history=True))["orders"]
    assert ended["status"] == "ended"
    again = await clinic.doctor(PRESCRIBE, **order("methadone", "40", today))
    assert again["id"] != methadone["id"]


HUGE, TINY = "1" + "0" * 308, "0." + "0" * 29 + "1"  # 1e308 and 1e-30, written out


async def test_future_and_absurd_values_are_refused_naming_the_field_and_the_bound(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Max T.")
    methadone = (
        await clinic.doctor(
            PRESCRIBE, **order("methadone", "60", today), acknowledgements=[INDUCTED]
        )
    )["id"]
    head = await asyncio.to_thread(api.platform.store.last_position)
    soon = datetime.now(UTC) + timedelta(days=2)

    refusals = [
        await clinic.refused(
            DOSE, orderId=methadone, amount="60", dosageForm="oral solution",
            givenAt=soon.isoformat(),
        ),
        await clinic.refused(PRESCRIBE, Role.PRESCRIBER, **order("methadone", HUGE, today)),
        await clinic.refused(PRESCRIBE, Role.PRESCRIBER, **order("methadone", TINY, today)),
        await clinic.refused(PRESCRIBE, Role.PRESCRIBER, **order("lorazepam", "0.0001", today)),
        await clinic.refused(PRESCRIBE, Role.PRESCRIBER, **order("lorazepam", "50000", today)),
        await clinic.refused(
            PRESCRIBE, Role.PRESCRIBER, **order("lorazepam", "1", date(9999, 1, 1))
        ),
        await clinic.refused(
            DISCONTINUE, Role.PRESCRIBER, orderId=methadone, reason="x",
            stoppedAt=(datetime.now(UTC) - timedelta(days=60)).isoformat(),
        ),
        await clinic.refused(
            DISCONTINUE, Role.PRESCRIBER, orderId=methadone, reason="x",
            stoppedAt=soon.isoformat(),
        ),
    ]  # fmt: skip
    check_in = await api.gql(
        CHECK_IN,
        {"i": {"clientId": clinic.client_id, "mood": 6,
               "occurredAt": (datetime.now(UTC) + timedelta(days=30)).isoformat()}},
        role=Role.CLIENT, user=clinic.client_id,
    )  # fmt: skip
    [check_in_error] = check_in["errors"]
    refusals.append({"message": check_in_error["message"], **check_in_error["extensions"]})

    assert [(r["code"], r["field"], r["rule"]) for r in refusals] == [
        ("BAD_USER_INPUT", "givenAt", "not-in-future"),
        ("BAD_USER_INPUT", "dose", "value-bounds"),
        ("BAD_USER_INPUT", "dose", "value-bounds"),
        ("BAD_USER_INPUT", "dose", "dose-precision"),
        ("BAD_USER_INPUT", "dose", "dose-limit"),
        ("BAD_USER_INPUT", "start", "value-bounds"),
        ("BAD_USER_INPUT", "stoppedAt", "stop-backdate-limit"),
        ("BAD_USER_INPUT", "stoppedAt", "not-in-future"),
        ("BAD_USER_INPUT", "occurredAt", "not-in-future"),
    ]
    assert "at most 5 minutes past now" in refusals[0]["message"]
    assert "more than 3 decimal places" in refusals[3]["message"]
    assert "above the limit of 10000 mg per dosing day for lorazepam" in refusals[4]["message"]
    assert "more than 30 days back" in refusals[6]["message"]
    assert await asyncio.to_thread(api.platform.store.last_position) == head, "nothing recorded"
