"""The issue's scenario: a methadone client and a buprenorphine client with depression,
through induction, dose changes, take-homes, missed days, a hold, a taper and interaction
alerts, all through the GraphQL API; their timelines and medication views tell the story.

Day 0 is 30 days ago; the missed-dose sweep runs today (day 30) through the platform.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from medication_steps import (
    CHANGE,
    DOSE,
    DOSING,
    MEDICATIONS,
    NOT_GIVEN,
    PRESCRIBE,
    REPLACE,
    RESUME,
    STATEMENT,
    TAKE_HOME,
    TAPER,
    TIMELINE,
    Clinic,
    at,
)

from carecoord.events import Role
from carecoord.services.runtime.missed_sweep import sweep_once
from support import Api

Day = Callable[[int], date]
RAISED = {"rule": "methadone-titration", "reason": "cravings and withdrawal at 40 mg"}
"""The prescriber's reason for 20 mg more in the first two weeks (``titration.py``)."""


@pytest.fixture
def day(today: date) -> Day:
    """Day ``n`` of the story: day 30 is the test's today."""
    return lambda n: today - timedelta(days=30 - n)


def bottles(count: int, lot: str) -> list[dict[str, str]]:
    return [{"bottle": f"TH-{n}", "lot": lot} for n in range(count)]


async def methadone_client(api: Api, day: Day) -> tuple[Clinic, str]:
    alex = await Clinic.enroll(api, "Alex R.")
    induction = await alex.doctor(
        PRESCRIBE, medication="methadone", dose="30", unit="mg", route="oral",
        start=str(day(0)), indication="opioid use disorder", occurredAt=at(day(0), 8),
    )  # fmt: skip
    await alex.doses(induction["id"], day(0), 3, "30")
    forty = await alex.doctor(
        CHANGE, orderId=induction["id"], dose="40", start=str(day(3)),
        reason="COWS 9 before dose", occurredAt=at(day(2), 12),
    )  # fmt: skip
    await alex.doses(forty["id"], day(3), 7, "40")
    sixty = await alex.doctor(
        CHANGE, orderId=forty["id"], dose="60", start=str(day(10)),
        reason="cravings", occurredAt=at(day(9), 12), acknowledgements=[RAISED],
    )  # fmt: skip
    await alex.doses(sixty["id"], day(10), 7, "60")
    pdmp = await alex.nurse(
        STATEMENT, medication="alprazolam", source="PDMP",
        sourceDetail="state PDMP: alprazolam 0.5 mg from an outside prescriber",
        occurredAt=at(day(12), 14),
    )  # fmt: skip
    assert [f["rule"] for f in pdmp["findings"]] == ["opioid-cns-depressant"]
    await alex.eligible(7, on=day(16))
    too_many = await alex.refused(
        TAKE_HOME, orderId=sixty["id"], firstDay=str(day(17)), days=8,
        dosageForm="oral solution", bottles=bottles(8, "LOT-M1"), handedOverAt=at(day(16), 10),
    )  # fmt: skip
    assert too_many["rule"] == "take-home-eligibility"
    await alex.nurse(
        TAKE_HOME, orderId=sixty["id"], firstDay=str(day(17)), days=6,
        dosageForm="oral solution", bottles=bottles(6, "LOT-M1"), handedOverAt=at(day(16), 10),
    )  # fmt: skip
    await alex.doses(sixty["id"], day(23), 4, "60")  # then days 27-29 are missed
    return alex, sixty["id"]


async def buprenorphine_client(api: Api, day: Day) -> tuple[Clinic, str]:
    sam = await Clinic.enroll(api, "Sam K.")
    split = await sam.doctor(
        PRESCRIBE, medication="buprenorphine-naloxone", dose="8", unit="mg", route="sublingual",
        start=str(day(10)), schedule={"timesPerDay": 2}, occurredAt=at(day(10), 8),
    )  # fmt: skip
    await sam.dose(split["id"], day(10), "4", form="sublingual film")
    await sam.dose(split["id"], day(10), "4", form="sublingual film", slot=2)
    daily = await sam.doctor(
        CHANGE, orderId=split["id"], dose="16", start=str(day(11)), schedule={"timesPerDay": 1},
        reason="induction complete", occurredAt=at(day(10), 16),
    )  # fmt: skip
    await sam.doses(daily["id"], day(11), 14, "16", form="sublingual film")
    lost = await sam.dose(daily["id"], day(25), "16", form="sublingual film")
    await sam.nurse(
        REPLACE, orderId=daily["id"], replacesDoseId=lost, amount="16",
        dosageForm="sublingual film", reason="film dropped", givenAt=at(day(25), 9),
    )  # fmt: skip
    await sam.nurse(
        NOT_GIVEN, orderId=daily["id"], reason="INTOXICATED", occurredAt=at(day(26), 9),
        note="smelled of alcohol; asked to return tomorrow",
    )  # fmt: skip
    await sam.dose(daily["id"], day(27), "16", form="sublingual film")
    await sam.eligible(7, on=day(27))
    await sam.nurse(
        TAKE_HOME, orderId=daily["id"], firstDay=str(day(28)), days=3,
        dosageForm="sublingual film", bottles=bottles(3, "LOT-B7"), handedOverAt=at(day(27), 10),
    )  # fmt: skip
    sertraline = await sam.doctor(
        PRESCRIBE, medication="sertraline", dose="50", unit="mg", route="oral",
        start=str(day(12)), indication="major depressive disorder", occurredAt=at(day(12), 11),
    )  # fmt: skip
    assert [(f["rule"], f["severity"]) for f in sertraline["findings"]] == [
        ("opioid-serotonergic", "MODERATE")
    ]
    sleep = {
        "medication": "trazodone", "dose": "50", "unit": "mg", "route": "oral",
        "start": str(day(20)), "indication": "insomnia", "occurredAt": at(day(20), 11),
    }  # fmt: skip
    refused = await sam.refused(PRESCRIBE, Role.PRESCRIBER, **sleep)
    assert refused["rule"] == "opioid-cns-depressant"
    ack = {"rule": "opioid-cns-depressant", "reason": "low dose; naloxone kit given"}
    trazodone = await sam.doctor(PRESCRIBE, **sleep, acknowledgements=[ack])
    assert {f["rule"] for f in trazodone["findings"]} == {
        "opioid-cns-depressant",
        "opioid-serotonergic",
    }
    return sam, daily["id"]


async def test_two_clients_through_the_full_medication_story(
    api: Api, today: date, day: Day
) -> None:
    alex, methadone = await methadone_client(api, day)
    sam, bup = await buprenorphine_client(api, day)
    await alex.read(MEDICATIONS)  # the sweep finds clients in the medications view
    await sam.read(MEDICATIONS)

    # Alex's days 27-29; not Sam's day 26, a dose not given: that day is accounted for.
    platform = api.platform
    assert await sweep_once(platform, today) == 3
    assert await sweep_once(platform, today) == 0

    held = await alex.refused(DOSE, orderId=methadone, amount="60", dosageForm="oral solution")
    assert held["rule"] == "order-active"
    said = "placed by missed-dose-sweep under rule consecutive-missed-doses"
    assert said in held["message"]
    await alex.doctor(RESUME, orderId=methadone, reason="assessed: not intoxicated, wants to taper")
    steps = [
        {"start": str(today + timedelta(days=7 * n)), "dose": dose}
        for n, dose in enumerate(("50", "40", "30"))
    ]
    ack = {"rule": "opioid-cns-depressant", "reason": "PDMP alprazolam; coordinating"}
    taper = await alex.doctor(
        TAPER, orderId=methadone, steps=steps, blind=True, reason="client-requested taper",
        acknowledgements=[ack],
    )  # fmt: skip
    await alex.dose(taper["id"], today, "50")

    # Methadone client: the view, the dosing record and the timeline.
    view = await alex.read(MEDICATIONS, history=True)
    orders = {o["id"]: o for o in view["orders"]}
    assert [o["status"] for o in view["orders"]] == ["replaced", "replaced", "replaced", "active"]
    current = orders[taper["id"]]
    assert (current["dose"], current["blind"], current["priorOrderId"]) == ("50", True, methadone)
    assert [s["dose"] for s in current["steps"]] == ["50", "40", "30"]
    assert [h["type"] for h in orders[methadone]["history"]] == [
        "medication.DoseChanged",
        "medication.OrderHeld",
        "medication.OrderResumed",
        "medication.TaperOrdered",
    ]
    assert [s["medication"] for s in view["statements"]] == ["alprazolam"]
    assert {(f["rule"], f["status"]) for f in view["findings"]} == {
        ("opioid-cns-depressant", "resolved"),  # 60 mg order, replaced by the taper
        ("opioid-cns-depressant", "open"),  # the taper
    }
    dosing = await alex.read(DOSING, on=str(today))
    assert (dosing["firstDoseDay"], dosing["daysInTreatment"]) == (str(day(0)), 31)
    assert (dosing["missed"], dosing["takeHomeDoses"], dosing["takeHomeSupplyDays"]) == (3, 6, 0)
    assert dosing["given"] == 3 + 7 + 7 + 4 + 1
    timeline = [n["summary"] for n in (await alex.read(TIMELINE))["nodes"]]
    for line in (
        "Prescribed methadone 30 mg oral",
        f"Dose changed: methadone 30 mg → 40 mg from {day(3)}",
        f"Dose changed: methadone 40 mg → 60 mg from {day(10)}",
        "Dose given: methadone 60 mg",
        "Also taking: alprazolam (source: pdmp)",
        "Take-home handed over: methadone 360 mg in 6 bottles for 6 days",
        f"Dose missed: methadone on {day(29)}",
        "Order on hold: methadone (3 consecutive dosing days missed; a prescriber must assess)",
        "Order resumed: methadone",
        "Taper ordered: methadone 50 mg in 3 steps to 30 mg",
        "Dose given: methadone 50 mg",
    ):
        assert line in timeline, line
    assert timeline.index("Prescribed methadone 30 mg oral") < timeline.index(
        f"Dose changed: methadone 30 mg → 40 mg from {day(3)}"
    )
    assert any(s.startswith("Interaction alert (high): alprazolam + methadone") for s in timeline)

    # Buprenorphine client: split-dose induction, replacement, a dose not given, take-homes.
    sam_view = await sam.read(MEDICATIONS)
    assert sorted(o["medication"] for o in sam_view["orders"]) == [
        "buprenorphine-naloxone",
        "sertraline",
        "trazodone",
    ]
    assert {(f["rule"], f["severity"]) for f in sam_view["findings"]} == {
        ("opioid-serotonergic", "MODERATE"),
        ("opioid-cns-depressant", "HIGH"),
    }
    sam_dosing = await sam.read(DOSING, on=str(today))
    assert (sam_dosing["daysInTreatment"], sam_dosing["takeHomeSupplyDays"]) == (21, 1)
    assert (sam_dosing["missed"], sam_dosing["notGiven"]) == (0, 1)
    statuses = [(e["day"], e["status"]) for e in sam_dosing["entries"] if e["day"] >= str(day(25))]
    assert statuses == [
        (str(day(25)), "given"),
        (str(day(25)), "replacement"),
        (str(day(26)), "not-given"),
        (str(day(27)), "given"),
        (str(day(28)), "take-home"),
        (str(day(29)), "take-home"),
        (str(day(30)), "take-home"),
    ]
    sam_timeline = [n["summary"] for n in (await sam.read(TIMELINE))["nodes"]]
    for line in (
        "Prescribed buprenorphine-naloxone 8 mg sublingual",
        f"Dose changed: buprenorphine-naloxone 8 mg → 16 mg from {day(11)}",
        "Replacement dose given: buprenorphine-naloxone 16 mg (film dropped)",
        "Dose not given: buprenorphine-naloxone (intoxicated)",
        "Prescribed sertraline 50 mg oral",
        "Take-home handed over: buprenorphine-naloxone 48 mg in 3 bottles for 3 days",
    ):
        assert line in sam_timeline, line
    assert bup in {o["id"] for o in sam_view["orders"]}
