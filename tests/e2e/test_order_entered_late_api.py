"""A paper methadone order entered after a downtime, through the API.

The missed-dose sweep judged every past day of an order entered late at once: each day the
nurses had not yet charted from the paper record was missed, with an alert, and the order
held, so the paper doses could not be charted until a prescriber resumed it; an order that
had already ended was held too. Two paper orders for the same days were both accepted. Now
the sweep leaves the days before the order was entered for the rule's charting grace (a
program day after the day it was entered), then judges them as it catches up on any day; an
ended order is never held; and an order for days another order of the medication covered is
refused naming the field, as one in force today is."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import isolated_settings
from medication_steps import DOSING, MEDICATIONS, PRESCRIBE, Clinic

from carecoord.events import Role
from carecoord.services.infrastructure.settings import Settings
from support import Api


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """The sweep runs when the test says, with the program's charting grace."""
    return isolated_settings(
        data_dir, missed_dose_interval_seconds=3600, missed_dose_charting_grace_days=1
    )


def missed(dosing: dict[str, list[dict[str, str]]]) -> list[str]:
    return [e["day"] for e in dosing["entries"] if e["status"] == "missed"]


async def test_the_paper_doses_are_charted_before_the_sweep_judges_their_days(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Ari P.")
    start = today - timedelta(days=4)
    order = (await clinic.methadone("40", start))["id"]

    await clinic.swept(today)
    assert missed(await clinic.read(DOSING)) == []
    [active] = (await clinic.read(MEDICATIONS))["orders"]
    assert (active["status"], active["hold"]) == ("active", None)

    await clinic.doses(order, start, 3, "40")  # from the paper chart: none the day before
    await clinic.dose(order, today, "40")
    await clinic.swept(today + timedelta(days=1))  # the day after it was entered: charting
    assert missed(await clinic.read(DOSING)) == []

    await clinic.swept(today + timedelta(days=2))
    dosing = await clinic.read(DOSING)
    assert missed(dosing) == [str(today - timedelta(days=1)), str(today + timedelta(days=1))]
    assert "hold-placed" not in [e["status"] for e in dosing["entries"]]
    [active] = (await clinic.read(MEDICATIONS))["orders"]
    assert active["status"] == "active"


async def test_an_order_for_days_an_ended_order_covered_is_refused_and_the_ended_one_not_held(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Bo Q.")
    first, last = today - timedelta(days=6), today - timedelta(days=4)
    ended = (await clinic.methadone("40", first, end=str(last)))["id"]
    asked = {"medication": "methadone", "dose": "40", "unit": "mg", "route": "oral"}

    inside = await clinic.refused(
        PRESCRIBE, Role.PRESCRIBER, **asked, start=str(today - timedelta(days=5)),
        end=str(today - timedelta(days=3)),
    )  # fmt: skip
    assert (inside["code"], inside["field"], inside["rule"]) == (
        "RULE_VIOLATION", "start", "one-order-per-medication",
    )  # fmt: skip
    assert ended in inside["message"]
    across = await clinic.refused(
        PRESCRIBE, Role.PRESCRIBER, **asked, start=str(today - timedelta(days=7))
    )
    assert (across["field"], across["rule"]) == ("end", "one-order-per-medication")

    await clinic.swept(today + timedelta(days=2))
    dosing = await clinic.read(DOSING)
    assert missed(dosing) == [str(first + timedelta(days=n)) for n in range(3)]
    assert "hold-placed" not in [e["status"] for e in dosing["entries"]]
    [order] = (await clinic.read(MEDICATIONS, history=True))["orders"]
    assert (order["id"], order["status"], order["hold"]) == (ended, "ended", None)
