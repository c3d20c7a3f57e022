"""An order on hold is prescribed but not given. A screen negative for methadone while the
methadone order is held, and withdrawal then, are what the hold leads to: no diversion review
and no dose-adequacy review (the rows' version 4). Benzodiazepines while it is held still raise
the overdose-risk review. Once the order is resumed, the same screen and score raise them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from medication_steps import HOLD, INDUCTED, PRESCRIBE, RESUME, Clinic, mutation

from carecoord.events.checkins import Instrument
from carecoord.services.checkins.instruments import INSTRUMENTS
from support import Api

pytestmark = pytest.mark.shared_platform

SCREEN = mutation("RecordDrugScreenInput", "recordDrugScreen")
SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
ALERTS = """query($id: UUID!, $atLeast: Seq) { clientAlerts(clientId: $id, atLeast: $atLeast) {
  alertId ruleId ruleVersion } }"""
BENZODIAZEPINES_NO_METHADONE = [
    {"analyte": "benzodiazepines", "result": "POSITIVE"},
    {"analyte": "methadone", "result": "NEGATIVE"},
    {"analyte": "eddp", "result": "NEGATIVE"},
]


def cows(total: int) -> list[dict[str, Any]]:
    """COWS answers adding up to ``total``, each item as high as what is left allows."""
    answers, left = [], total
    for item in (i for i in INSTRUMENTS[Instrument.COWS].items if i.required):
        value = max((v for v in item.allowed if v <= left), default=0) if item.scored else 0
        left -= value
        answers.append({"item": item.id, "value": value})
    assert left == 0
    return answers


class Alerts:
    """The client's alerts, and those each step raised."""

    def __init__(self, clinic: Clinic) -> None:
        self.clinic = clinic
        self.seen: set[str] = set()

    async def new(self) -> list[tuple[str, str]]:
        """Rule and version of each alert raised since the last look."""
        alerts = await self.clinic.read(ALERTS)
        fresh = [a for a in alerts if a["alertId"] not in self.seen]
        self.seen |= {a["alertId"] for a in alerts}
        return sorted((a["ruleId"], a["ruleVersion"]) for a in fresh)


async def test_a_held_agonist_raises_no_diversion_or_dose_adequacy_review(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Noa H.")
    alerts = Alerts(clinic)
    started = datetime.now(UTC).date() - timedelta(days=20)
    order = (
        await clinic.doctor(
            PRESCRIBE, medication="methadone", dose="60",
            acknowledgements=[INDUCTED], unit="mg", route="oral",
            start=str(started),
        )
    )["id"]  # fmt: skip
    await clinic.dose(order, started, "60")  # in maintenance: the first dose 20 days back
    await clinic.doctor(HOLD, orderId=order, reason="intoxicated at the window")

    await clinic.nurse(SCREEN, method="PRESUMPTIVE", results=BENZODIAZEPINES_NO_METHADONE)
    assert await alerts.new() == [("screen-depressant-on-agonist", "6")], (
        "the overdose-risk review still; no diversion review while the order is held"
    )
    await clinic.nurse(SCORE, instrument="COWS", answers=cows(20))
    assert await alerts.new() == [], "withdrawal while held: no dose-adequacy review"

    await clinic.doctor(RESUME, orderId=order, reason="assessed; dosing again")
    await clinic.nurse(SCREEN, method="PRESUMPTIVE", results=BENZODIAZEPINES_NO_METHADONE)
    assert await alerts.new() == [
        ("screen-depressant-on-agonist", "6"),
        ("screen-negative-for-agonist", "4"),
    ]
    await clinic.nurse(SCORE, instrument="COWS", answers=cows(20))
    assert await alerts.new() == [("cows-maintenance", "4")]
