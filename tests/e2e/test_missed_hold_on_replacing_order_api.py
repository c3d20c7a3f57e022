"""Days missed before a dose change takes effect hold the order that replaces the old one.

The missed-dose rule (``consecutive-missed-doses``, after the Australian national methadone
guideline, section 3.5: "if three or more consecutive days are missed, withhold or reduce
until assessed") holds the order the client is dosed by. When a dose change written earlier
starts today, that is the new order: a hold on it holds the old one for its last days too,
as a prescriber's hold does, and the prescriber lifts it there. Placed on the old order,
the hold held nothing from the change's first day, and no one could lift it (the old order
answers "act on the one that replaced it", the new one "not on hold"). A stop placed there
stops both, and the old order's days after it are not missed."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import isolated_settings
from medication_steps import (
    CHANGE,
    DISCONTINUE,
    DOSE,
    DOSING,
    HOLD,
    MEDICATIONS,
    PRESCRIBE,
    RESUME,
    Clinic,
)

from carecoord.services.infrastructure.settings import Settings
from support import Api


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """The sweep runs when the test says, not on its own timer."""
    return isolated_settings(data_dir, missed_dose_interval_seconds=3600)


async def changed_from_tomorrow(clinic: Clinic, today: date) -> tuple[str, str]:
    """Methadone 60 mg dosed the two days before ``today``, changed to 50 mg from tomorrow."""
    start = today - timedelta(days=2)
    old = (await clinic.methadone("60", start))["id"]
    await clinic.doses(old, start, 2, "60")
    new = (
        await clinic.doctor(
            CHANGE, orderId=old, dose="50", start=str(today + timedelta(days=1)), reason="reduce"
        )
    )["id"]
    return old, new


async def refused_then_swept(clinic: Clinic, old: str, today: date) -> None:
    """The window refuses the old order; then tomorrow's sweep runs."""
    refused = await clinic.refused(DOSE, orderId=old, amount="60", dosageForm="oral solution")
    assert (refused["field"], refused["rule"]) == ("orderId", "order-active")
    await clinic.swept(today + timedelta(days=1))


async def test_days_missed_before_a_dose_change_starts_hold_the_new_order_until_resumed(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Ash W.")
    start = today - timedelta(days=5)
    old = (await clinic.methadone("60", start))["id"]
    await clinic.dose(old, start, "60")
    new = (await clinic.doctor(CHANGE, orderId=old, dose="50", start=str(today), reason="reduce"))[
        "id"
    ]
    await clinic.swept(today)

    [order] = (await clinic.read(MEDICATIONS))["orders"]
    assert (order["id"], order["status"], order["hold"]["rule"]) == (
        new,
        "on-hold",
        "consecutive-missed-doses",
    )
    refused = await clinic.refused(DOSE, orderId=new, amount="50", dosageForm="oral solution")
    assert (refused["field"], refused["rule"]) == ("orderId", "order-active")

    await clinic.doctor(RESUME, orderId=new, reason="assessed; dose at 50 mg")
    await clinic.nurse(DOSE, orderId=new, amount="50", dosageForm="oral solution")
    [order] = (await clinic.read(MEDICATIONS))["orders"]
    assert (order["status"], order["hold"]) == ("active", None)


async def test_no_day_is_missed_under_an_order_whose_replacement_was_stopped(
    api: Api, today: date
) -> None:
    """Stopping the dose change that replaces an order stops that order too (the window
    refuses it): its remaining days are not dosing days, so the sweep finds none missed, as
    it finds none under an order stopped itself. The client takes supervised disulfiram at
    the window too, so the sweep looks at the record."""
    clinic = await Clinic.enroll(api, "Cy V.")
    disulfiram = await clinic.doctor(
        PRESCRIBE, medication="disulfiram", dose="250", unit="mg", route="oral",
        start=str(today), dispensing="CLINIC",
    )  # fmt: skip
    await clinic.nurse(DOSE, orderId=disulfiram["id"], amount="250", dosageForm="tablet")
    old, new = await changed_from_tomorrow(clinic, today)
    await clinic.doctor(DISCONTINUE, orderId=new, reason="transferred to another program")
    await refused_then_swept(clinic, old, today)

    dosing = await clinic.read(DOSING)
    assert (dosing["given"], dosing["missed"]) == (3, 0)


async def test_no_day_is_missed_under_an_order_while_its_replacement_is_on_hold(
    api: Api, today: date
) -> None:
    """A hold on the dose change that replaces an order holds that order too: its days on
    hold are not missed, as days under a hold of its own are not."""
    clinic = await Clinic.enroll(api, "Di R.")
    old, new = await changed_from_tomorrow(clinic, today)
    await clinic.doctor(HOLD, orderId=new, reason="intoxicated at intake")
    await refused_then_swept(clinic, old, today)

    dosing = await clinic.read(DOSING)
    assert (dosing["given"], dosing["missed"]) == (2, 0)
