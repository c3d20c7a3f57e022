"""Days the missed-dose sweep found, and what is charted about them since.

A dose charted late for a day the missed-dose sweep had found missed: the day was dosed.

The missed-dose rule (``consecutive-missed-doses``, after the Australian national methadone
guideline, section 3.5) holds an order after that many dosing days in a row passed without
a dose. A day the nurse charts a dose for after the sweep (the paper record entered the next
morning) was not a day without one: it breaks the run, and the dosing view and the caseload
do not count it missed, as a dose not given charted late counts as not given. The sweep's
finding stays on the record (nothing is edited)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import isolated_settings
from medication_steps import CHANGE, DOSING, MEDICATIONS, PRESCRIBE, Clinic

from carecoord.events import Role
from carecoord.services.infrastructure.settings import Settings
from support import Api

CASELOAD = """query($atLeast: Seq) { myCaseload(atLeast: $atLeast) {
  clients { clientId consecutiveMissedDays recentMissedDays } } }"""


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """The sweep runs when the test says, not on its own timer."""
    return isolated_settings(data_dir, missed_dose_interval_seconds=3600)


async def test_a_day_dosed_late_after_the_sweep_found_it_breaks_the_run_and_is_not_missed(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Kit D.")
    start = today - timedelta(days=5)
    order = (
        await clinic.doctor(
            PRESCRIBE, medication="methadone", dose="40", unit="mg", route="oral", start=str(start)
        )
    )["id"]
    await clinic.doses(order, start, 2, "40")
    third = start + timedelta(days=2)
    await clinic.swept(start + timedelta(days=3))
    assert [
        e["day"] for e in (await clinic.read(DOSING))["entries"] if e["status"] == "missed"
    ] == [str(third)]

    await clinic.dose(order, third, "40")  # the day's dose, charted from the paper record
    await clinic.swept(today)

    dosing = await clinic.read(DOSING)
    assert "hold-placed" not in [e["status"] for e in dosing["entries"]]
    [methadone] = (await clinic.read(MEDICATIONS))["orders"]
    assert methadone["status"] == "active"
    assert (dosing["given"], dosing["missed"]) == (3, 2)
    caseload = await api.ok(
        CASELOAD, {"atLeast": clinic.position}, role=Role.NURSE, user="nurse-kim"
    )
    [row] = [c for c in caseload["myCaseload"]["clients"] if c["clientId"] == clinic.client_id]
    assert (row["consecutiveMissedDays"], row["recentMissedDays"]) == (2, 2)


async def test_days_found_missed_before_a_dose_change_dated_back_are_missed_once(
    api: Api, today: date
) -> None:
    """A dose change written late, dated back to days the sweep had found missed under the
    order it replaces: those days are each missed once (the rule's findings stand under the
    old order), and they count in the run the hold goes by."""
    clinic = await Clinic.enroll(api, "Lou F.")
    start = today - timedelta(days=6)
    old = (await clinic.methadone("60", start))["id"]
    await clinic.dose(old, start, "60")
    await clinic.swept(start + timedelta(days=3))
    back = start + timedelta(days=1)
    await clinic.doctor(CHANGE, orderId=old, dose="50", start=str(back), reason="reduce")
    await clinic.swept(start + timedelta(days=4))

    dosing = await clinic.read(DOSING)
    missed = [(e["day"], e["detail"][:11]) for e in dosing["entries"] if e["status"] == "missed"]
    assert missed == [
        (str(back), "1 in a row "),
        (str(back + timedelta(days=1)), "2 in a row "),
        (str(back + timedelta(days=2)), "3 in a row "),
    ]
    assert dosing["missed"] == 3
    assert [e["status"] for e in dosing["entries"]].count("hold-placed") == 1
